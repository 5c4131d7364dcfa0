"""Translate Odoo's error shapes into the Tradelane error tree, once, at the adapter.

::

    Odoo                                              Tradelane
    AccessDenied / AccessError (XML-RPC 3/4)       →  AuthError
    UserError / ValidationError / MissingError     →  BusinessError(kind=<Odoo class>, message=Odoo's text)
    serialization failure, deadlock, 5xx, timeout  →  TransientError (request never reached the DB or rolled back)
    connection dropped after the request was sent  →  AmbiguousOutcome (a TransientError: the call may have committed)
    anything else (ValueError, AttributeError, 4xx)→  PermanentError

``AmbiguousOutcome`` tells callers not to blindly resend a state-changing call; the idempotent operations
re-read Odoo and decide.
"""

from __future__ import annotations

import re
from typing import Any

from tradelane.core.errors import AuthError, BusinessError, ConnectorError, PermanentError, TransientError

__all__ = [
    "AmbiguousOutcome",
    "from_http_status",
    "from_json2_error",
    "from_jsonrpc_error",
    "from_xmlrpc_fault",
    "is_unmarshallable_return",
]

#: XML-RPC ``/xmlrpc/2`` fault codes (``addons/base/controllers/rpc.py``)
XMLRPC_FAULT_OTHER = 1
XMLRPC_FAULT_USER_ERROR = 2
XMLRPC_FAULT_ACCESS_DENIED = 3
XMLRPC_FAULT_ACCESS_ERROR = 4

#: HTTP statuses that mean "try again later" (everything else 4xx is permanent)
RETRYABLE_HTTP_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
HTTP_UNAUTHORIZED = 401
HTTP_FORBIDDEN = 403
HTTP_SERVER_ERROR_FLOOR = 500

#: Odoo exception class names (``data.name`` on JSON-RPC, ``name`` on JSON-2) and what they mean to us
AUTH_ERROR_NAMES = frozenset({"odoo.exceptions.AccessDenied", "odoo.exceptions.AccessError"})
BUSINESS_ERROR_NAMES = frozenset(
    {
        "odoo.exceptions.UserError",
        "odoo.exceptions.ValidationError",
        "odoo.exceptions.MissingError",
        "odoo.exceptions.RedirectWarning",
        "odoo.exceptions.except_orm",
        "odoo.exceptions.Warning",
    }
)

#: markers of a PostgreSQL serialization failure or deadlock that survived Odoo's own 5 retries
_TRANSIENT_MARKERS = re.compile(
    r"could not serialize access|SerializationFailure|deadlock detected|LockNotAvailable|"
    r"could not obtain lock|TransactionRollbackError|concurrent update",
    re.IGNORECASE,
)
#: XML-RPC faults raised *after* commit because the return value cannot be marshalled (reference §0)
_UNMARSHALLABLE = re.compile(r"cannot marshal (None|<class )", re.IGNORECASE)


class AmbiguousOutcome(TransientError):
    """The request was sent but the reply was lost: the call may or may not have been committed."""


def is_unmarshallable_return(fault_string: str) -> bool:
    """Whether an XML-RPC fault only says the (committed) return value could not be marshalled."""
    return bool(_UNMARSHALLABLE.search(fault_string or ""))


def _last_line(text: str) -> str:
    lines = [line for line in (text or "").strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else ""


def _short(name: str) -> str:
    return name.rsplit(".", 1)[-1] if name else "UserError"


def _by_name(name: str, message: str, debug: str = "") -> ConnectorError:
    if (
        _TRANSIENT_MARKERS.search(message)
        or _TRANSIENT_MARKERS.search(debug)
        or _TRANSIENT_MARKERS.search(name)
    ):
        return TransientError(f"Odoo serialization failure: {message}")
    if name in AUTH_ERROR_NAMES:
        return AuthError(f"Odoo {_short(name)}: {message}")
    if name in BUSINESS_ERROR_NAMES:
        return BusinessError(message, kind=_short(name))
    return PermanentError(f"Odoo {_short(name) or 'error'}: {message}")


def from_jsonrpc_error(error: dict[str, Any]) -> ConnectorError:
    """Translate the ``error`` member of a ``/jsonrpc`` response."""
    data = error.get("data") or {}
    name = str(data.get("name") or "")
    message = str(data.get("message") or error.get("message") or "Odoo error")
    return _by_name(name, message, str(data.get("debug") or ""))


def from_xmlrpc_fault(code: int | str, fault_string: str) -> ConnectorError:
    """Translate an XML-RPC fault (integer codes of ``/xmlrpc/2`` or string codes of legacy ``/xmlrpc``)."""
    text = fault_string or ""
    if _TRANSIENT_MARKERS.search(text):
        return TransientError(f"Odoo serialization failure: {_last_line(text)}")
    if isinstance(code, str):
        # legacy endpoint: 'warning -- MissingError\n\nRecord does not exist…' or 'AccessDenied'
        head = code.split("\n", 1)[0]
        body = code.split("\n\n", 1)[1] if "\n\n" in code else text
        if "AccessDenied" in head or "AccessError" in head:
            return AuthError(f"Odoo {head}: {body}")
        kind = head.split("--")[-1].strip() if "--" in head else "UserError"
        return BusinessError(body.strip(), kind=kind)
    if code == XMLRPC_FAULT_ACCESS_DENIED:
        return AuthError(f"Odoo AccessDenied: {text}")
    if code == XMLRPC_FAULT_ACCESS_ERROR:
        return AuthError(f"Odoo AccessError: {text}")
    if code == XMLRPC_FAULT_USER_ERROR:
        # UserError, ValidationError and MissingError share code 2 and cannot be told apart
        return BusinessError(text, kind="UserError")
    return PermanentError(f"Odoo error: {_last_line(text)}")


def from_json2_error(status: int, body: Any) -> ConnectorError:
    """Translate a JSON-2 (Odoo 19) error response: a real HTTP status and ``{name, message, …}``."""
    if isinstance(body, dict) and body.get("name"):
        error = _by_name(str(body["name"]), str(body.get("message") or ""), str(body.get("debug") or ""))
        if (
            isinstance(error, PermanentError)
            and not isinstance(error, BusinessError)
            and status in RETRYABLE_HTTP_STATUSES
        ):
            return TransientError(str(error))
        return error
    return from_http_status(status, str(body)[:500])


def from_http_status(status: int, text: str, retry_after: float | None = None) -> ConnectorError:
    """Translate a bare HTTP error status."""
    if status in (HTTP_UNAUTHORIZED, HTTP_FORBIDDEN):
        return AuthError(f"Odoo HTTP {status}: {text}")
    if status in RETRYABLE_HTTP_STATUSES or status >= HTTP_SERVER_ERROR_FLOOR:
        return TransientError(f"Odoo HTTP {status}: {text}", retry_after=retry_after)
    return PermanentError(f"Odoo HTTP {status}: {text}")
