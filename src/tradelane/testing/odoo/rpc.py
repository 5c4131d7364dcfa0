"""RPC services of the emulator (``common``, ``object``, ``db``), one transaction per ``execute_kw``, and the
wire encodings: JSON-RPC envelopes, XML-RPC marshalling with ``allow_none=False`` and the JSON-2 (Odoo 19)
body/status conventions.

Error shapes (reference §1.3):

* JSON-RPC: HTTP 200, ``{"error": {"code": 200, "message": "Odoo Server Error", "data": {"name":
  "odoo.exceptions.MissingError", "message", "arguments", "context", "debug"}}}``; a ``None`` result omits
  ``result``; recordsets are serialised as ``"mail.activity(21,)"``.
* XML-RPC ``/xmlrpc/2``: fault 1 (traceback) for anything else, 2 for UserError and subclasses, 3 for
  AccessDenied, 4 for AccessError. A ``None`` or recordset result faults with 1 *after* the commit.
* legacy ``/xmlrpc``: string fault codes (``warning -- MissingError\\n\\n…``, ``AccessDenied``).
* JSON-2: real HTTP statuses (401/403/404/422/500) with the bare error object as body.
"""

from __future__ import annotations

import datetime as dt
import hmac
import json
import threading
import traceback
import xmlrpc.client
from collections import Counter
from typing import Any

from .exceptions import AccessDenied, AccessError, MissingError, OperationalError, UserError
from .orm import Env, Model, check_method_access, format_datetime, method_flag

#: Build date appended to 17.0 versions, as on the reference server.
SERVER_BUILD = "20240709"
PROTOCOL_VERSION = 1
#: JSON-RPC error code/message Odoo uses for every server error.
JSONRPC_ERROR_CODE = 200
JSONRPC_ERROR_MESSAGE = "Odoo Server Error"
#: XML-RPC integer fault codes of ``/xmlrpc/2``.
FAULT_APPLICATION_ERROR = 1
FAULT_WARNING = 2
FAULT_ACCESS_DENIED = 3
FAULT_ACCESS_ERROR = 4
#: Methods that never change the database (the fault-drop simulation only hits the others).
READ_ONLY_METHODS = frozenset(
    {
        "read", "search", "search_read", "search_count", "read_group", "name_search", "name_get", "fields_get",
        "default_get", "check_object_reference", "check_access_rights", "exists", "get_views", "web_read",
        "web_search_read", "onchange", "next_by_code_preview",
    }
)  # fmt: skip
#: HTTP statuses of JSON-2 errors (Odoo 19, from the PR/documentation; not verified on a server).
JSON2_STATUS = (
    (AccessDenied, 401),
    (AccessError, 403),
    (MissingError, 404),
    (UserError, 422),
    (TypeError, 422),
)
JSON2_DEFAULT_STATUS = 500


def version_payload(version: str) -> dict[str, Any]:
    serie = version.split("-", 1)[0]
    parts = serie.split(".")
    major = int(parts[0]) if parts[0].isdigit() else parts[0]
    minor = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
    server_version = version if "-" in version or not serie.startswith("17") else f"{serie}-{SERVER_BUILD}"
    return {
        "server_version": server_version,
        "server_version_info": [major, minor, 0, "final", 0, ""],
        "server_serie": serie,
        "protocol_version": PROTOCOL_VERSION,
    }


class Call:
    """Outcome of one dispatched call: the raw result and whether it changed the database."""

    __slots__ = ("result", "state_changing")

    def __init__(self, result: Any, state_changing: bool = False) -> None:
        self.result = result
        self.state_changing = state_changing


class OdooService:
    """The three RPC services over one in-memory database, serialised by a lock (one transaction at a time)."""

    def __init__(
        self, env_factory: Any, version: str, db_name: str, login: str, password: str, api_key: str
    ) -> None:
        self._db = env_factory
        self.version = version
        self.db_name = db_name
        self.login = login
        self.password = password
        self.api_key = api_key
        self.lock = threading.RLock()
        self.rpc_count = 0
        self.rpc_calls: Counter[tuple[str, str]] = Counter()

    # authentication ----------------------------------------------------------------------------
    def _check_db(self, db: Any) -> None:
        if db != self.db_name:
            raise OperationalError(
                f'connection to server on socket "/var/run/postgresql/.s.PGSQL.5432" failed: '
                f'FATAL:  database "{db}" does not exist'
            )

    def _secret_ok(self, secret: Any) -> bool:
        if not isinstance(secret, str):
            return False
        return hmac.compare_digest(secret, self.password) or hmac.compare_digest(secret, self.api_key)

    def _authenticate(self, login: Any, password: Any) -> int | bool:
        users = self._db.tables["res.users"]
        for uid, row in users.items():
            if (
                row.get("login") == login
                and row.get("active")
                and login == self.login
                and self._secret_ok(password)
            ):
                return uid
        return False

    def check_credentials(self, uid: Any, password: Any) -> int:
        users = self._db.tables["res.users"]
        row = users.get(uid) if isinstance(uid, int) else None
        if (
            row is None
            or not row.get("active")
            or row.get("login") != self.login
            or not self._secret_ok(password)
        ):
            raise AccessDenied()
        return int(uid)

    def uid_for_api_key(self, key: str) -> int | None:
        if not hmac.compare_digest(key, self.api_key):
            return None
        for uid, row in self._db.tables["res.users"].items():
            if row.get("login") == self.login:
                return uid
        return None

    # services ----------------------------------------------------------------------------------
    def dispatch(self, service: str, method: str, params: list[Any]) -> Call:
        if service == "common":
            return Call(self._common(method, params))
        if service == "object":
            if method == "execute_kw":
                db, uid, password, model, name, *rest = params
                args = rest[0] if rest else []
                kwargs = rest[1] if len(rest) > 1 else {}
                self._check_db(db)
                return self.execute_kw(self.check_credentials(uid, password), model, name, args, kwargs)
            if method == "execute":
                db, uid, password, model, name, *args = params
                self._check_db(db)
                return self.execute_kw(self.check_credentials(uid, password), model, name, list(args), {})
            raise NameError(f"method '{method}' does not exist on service 'object'")
        if service == "db":
            if method == "list":
                return Call([self.db_name])
            if method == "server_version":
                return Call(version_payload(self.version)["server_version"])
            raise AccessDenied()
        raise Exception(f"Unknown service {service!r}")

    def _common(self, method: str, params: list[Any]) -> Any:
        if method == "version":
            return version_payload(self.version)
        if method == "authenticate":
            db, login, password = params[0], params[1], params[2]
            self._check_db(db)
            return self._authenticate(login, password)
        if method == "login":
            db, login, password = params[0], params[1], params[2]
            self._check_db(db)
            return self._authenticate(login, password)
        if method == "about":
            return "See http://openerp.com"
        raise NameError(f"method '{method}' does not exist on service 'common'")

    def execute_kw(
        self, uid: int, model: str, method: str, args: list[Any], kwargs: dict[str, Any] | None
    ) -> Call:
        """One ``execute_kw``: one transaction, rolled back on any exception."""
        kwargs = dict(kwargs or {})
        args = list(args or [])
        with self.lock:
            self.rpc_count += 1
            self.rpc_calls[(str(model), str(method))] += 1
            if isinstance(method, str) and method.startswith("_"):
                raise AccessError(f"Private methods (such as {method}) cannot be called remotely.")
            if model not in self._db.registry.models:
                raise UserError(f"Object {model} doesn't exist")
            context = kwargs.pop("context", None) or {}
            env = Env(self._db, uid, context)
            records = env[model]
            fn = check_method_access(records, method)
            cls = type(records)
            self._db.begin()
            try:
                if method_flag(cls, method, "_api_model"):
                    result = fn(records, *args, **kwargs)
                else:
                    if not args:
                        raise IndexError("list index out of range")
                    ids = args[0]
                    ids = [ids] if isinstance(ids, int) else list(ids or [])
                    result = fn(records.browse(ids), *args[1:], **kwargs)
                result = _convert_result(cls, method, result, args, kwargs)
                self._db.commit()
            except BaseException:
                self._db.rollback()
                raise
        return Call(result, state_changing=method not in READ_ONLY_METHODS)

    def json2(self, uid: int, model: str, method: str, body: dict[str, Any]) -> Call:
        """Odoo 19 ``/json/2/<model>/<method>``: named parameters, ``ids`` and ``context`` in the body."""
        body = dict(body)
        ids = body.pop("ids", None)
        context = body.pop("context", None) or {}
        body["context"] = context
        if model in self._db.registry.models and not method.startswith("_"):
            cls = self._db.registry.models[model]
            if not method_flag(cls, method, "_api_model"):
                return self.execute_kw(uid, model, method, [list(ids or [])], body)
        return self.execute_kw(uid, model, method, [], body)


def _convert_result(
    cls: type[Model], method: str, result: Any, args: list[Any], kwargs: dict[str, Any]
) -> Any:
    """Apply ``@api.returns``-like conversions; other recordsets are returned as is (to fail marshalling)."""
    if method == "create" and isinstance(result, Model):
        first = args[0] if args else kwargs.get("vals_list")
        return result.id if isinstance(first, dict) else result.ids
    returns = method_flag(cls, method, "_returns")
    if returns == "id" and isinstance(result, Model):
        return result.id if result else False
    if returns == "ids" and isinstance(result, Model):
        return result.ids
    return result


# ------------------------------------------------------------------------------------------ encodings


def json_default(value: Any) -> Any:
    """Like Odoo's ``json_default``: unknown objects (recordsets) become their ``str``."""
    if isinstance(value, dt.datetime):
        return format_datetime(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, (set, frozenset)):
        return list(value)
    return str(value)


def json_dumps(value: Any) -> bytes:
    return json.dumps(value, default=json_default, ensure_ascii=False).encode()


def serialize_exception(
    exc: BaseException, debug: str, context: dict[str, Any] | None = None
) -> dict[str, Any]:
    cls = type(exc)
    module = cls.__module__
    return {
        "name": f"{module}.{cls.__name__}" if module else cls.__name__,
        "debug": debug,
        "message": str(exc),
        "arguments": list(exc.args),
        "context": context or {},
    }


def jsonrpc_response(request_id: Any, result: Any = None, error: dict[str, Any] | None = None) -> bytes:
    response: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id}
    if error is not None:
        response["error"] = error
    if result is not None:
        response["result"] = result
    return json_dumps(response)


def jsonrpc_error(exc: BaseException, debug: str) -> dict[str, Any]:
    return {
        "code": JSONRPC_ERROR_CODE,
        "message": JSONRPC_ERROR_MESSAGE,
        "data": serialize_exception(exc, debug),
    }


def _xmlrpc_ready(value: Any) -> Any:
    """Prepare a value for ``xmlrpc.client.dumps(allow_none=False)``, failing like Odoo's marshaller does."""
    if value is None:
        raise TypeError("cannot marshal None unless allow_none is enabled")
    if isinstance(value, Model):
        raise TypeError(f"cannot marshal <class 'odoo.api.{value._name}'> objects")
    if isinstance(value, dict):
        return {str(k): _xmlrpc_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_xmlrpc_ready(v) for v in value]
    if isinstance(value, dt.datetime):
        return format_datetime(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (set, frozenset)):
        return [_xmlrpc_ready(v) for v in value]
    return value


def xmlrpc_response(result: Any) -> bytes:
    payload = _xmlrpc_ready(result)
    return xmlrpc.client.dumps((payload,), methodresponse=True, allow_none=False).encode()


def xmlrpc_fault(exc: BaseException, debug: str, legacy: bool = False) -> bytes:
    if legacy:
        fault = _legacy_fault(exc, debug)
    elif isinstance(exc, AccessError):
        fault = xmlrpc.client.Fault(FAULT_ACCESS_ERROR, str(exc))
    elif isinstance(exc, AccessDenied):
        fault = xmlrpc.client.Fault(FAULT_ACCESS_DENIED, str(exc))
    elif isinstance(exc, UserError):
        fault = xmlrpc.client.Fault(FAULT_WARNING, str(exc))
    else:
        fault = xmlrpc.client.Fault(FAULT_APPLICATION_ERROR, debug)
    return xmlrpc.client.dumps(fault, methodresponse=True, allow_none=False).encode()


def _legacy_fault(exc: BaseException, debug: str) -> xmlrpc.client.Fault:
    if isinstance(exc, MissingError):
        return xmlrpc.client.Fault(f"warning -- MissingError\n\n{exc}", "")  # type: ignore[arg-type]
    if isinstance(exc, AccessError):
        return xmlrpc.client.Fault(f"warning -- AccessError\n\n{exc}", "")  # type: ignore[arg-type]
    if isinstance(exc, AccessDenied):
        return xmlrpc.client.Fault("AccessDenied", str(exc))  # type: ignore[arg-type]
    if isinstance(exc, UserError):
        return xmlrpc.client.Fault(f"warning -- UserError\n\n{exc}", "")  # type: ignore[arg-type]
    return xmlrpc.client.Fault(str(exc), debug)  # type: ignore[arg-type]


def json2_status(exc: BaseException) -> int:
    for cls, status in JSON2_STATUS:
        if isinstance(exc, cls):
            return status
    return JSON2_DEFAULT_STATUS


def format_traceback(exc: BaseException) -> str:
    return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
