"""An async Odoo client on httpx2: one transport layer for JSON-RPC, XML-RPC (16–18) and JSON-2 (19+).

The client knows nothing about business records. It

* probes ``common.version`` (or ``/web/version``) and picks the protocol, unless told which to use;
* authenticates with a password or an API key;
* translates every Odoo error once (:mod:`.errors`);
* retries a call *only* when that is safe: read-only methods, or failures known not to have been applied
  (connection refused, serialization failure rolled back, 429/503). A lost reply to a state-changing call is
  an :class:`~.errors.AmbiguousOutcome`: the idempotent operations re-read Odoo and decide;
* treats the "method returned ``None``/a recordset" quirks as success (JSON-RPC reply without ``result``,
  XML-RPC ``cannot marshal`` fault after commit, reference §0);
* bounds concurrency (``asyncio.Semaphore``) and the call rate for this Odoo.
"""

from __future__ import annotations

import asyncio
import itertools
import time
import xmlrpc.client
from collections.abc import Sequence
from types import TracebackType
from typing import Any

import httpx2
import orjson
import stamina

from tradelane.core.errors import AuthError, ConnectorError, MappingError, PermanentError, TransientError
from tradelane.observability import metrics, tracing

from .errors import (
    AmbiguousOutcome,
    from_http_status,
    from_json2_error,
    from_jsonrpc_error,
    from_xmlrpc_fault,
    is_unmarshallable_return,
)
from .settings import OdooSettings
from .versions import JSON2_FIRST_MAJOR, OdooDialect, dialect_for

__all__ = ["IDS_ONLY", "READ_ONLY_METHODS", "OdooClient"]

#: ``read``/``search_read`` ``load`` value that returns many2one fields as bare ids (no display names)
IDS_ONLY = "_classic_write"

#: methods that never change data: safe to resend after any transient failure
READ_ONLY_METHODS = frozenset(
    {
        "search",
        "search_read",
        "search_count",
        "read",
        "read_group",
        "fields_get",
        "name_search",
        "default_get",
        "check_object_reference",
        "context_get",
        "version",
        "authenticate",
        "login",
    }
)
#: model-level methods (no ``ids`` as first argument) — JSON-2 needs to know
MODEL_METHODS = frozenset(
    {
        "create",
        "search",
        "search_read",
        "search_count",
        "read_group",
        "fields_get",
        "name_search",
        "default_get",
        "check_object_reference",
        "load",
        "context_get",
    }
)
#: names of positional parameters for JSON-2, which accepts named parameters only
JSON2_POSITIONAL_NAMES: dict[str, tuple[str, ...]] = {
    "create": ("vals_list",),
    "write": ("vals",),
    "read": ("fields",),
    "search": ("domain",),
    "search_read": ("domain", "fields"),
    "search_count": ("domain",),
    "check_object_reference": ("module", "xml_id"),
    "load": ("fields", "data"),
}
#: HTTP statuses that mean the server did not apply the request
NOT_APPLIED_STATUSES = frozenset({408, 425, 429, 503})
#: HTTP 404 on ``/jsonrpc`` means a 19+ server with the legacy API removed
HTTP_NOT_FOUND = 404
HTTP_OK = 200
HTTP_ERROR_FLOOR = 400


class _NotApplied(TransientError):
    """A transient failure known not to have reached (or to have been rolled back by) the database."""


class _RateLimiter:
    """Spaces calls evenly: at most ``rate`` calls per second (0 = unlimited)."""

    def __init__(self, rate: float) -> None:
        self._interval = 1.0 / rate if rate > 0 else 0.0
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        if not self._interval:
            return
        async with self._lock:
            now = time.monotonic()
            wait = self._next - now
            self._next = max(now, self._next) + self._interval
        if wait > 0:
            await asyncio.sleep(wait)


def _retry_after(response: httpx2.Response) -> float | None:
    value = response.headers.get("retry-after")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


class OdooClient:
    """One authenticated connection to one Odoo database.

    Use ``async with OdooClient(settings) as odoo:``; ``odoo.rpc_count`` counts calls made.
    """

    def __init__(
        self,
        settings: OdooSettings,
        *,
        http: httpx2.AsyncClient | None = None,
        transport: httpx2.AsyncBaseTransport | None = None,
    ) -> None:
        """:param http: a shared client (one per process); else one is created with ``transport``."""
        self.settings = settings
        self._own_http = http is None
        self._http = http or httpx2.AsyncClient(
            base_url=settings.url.rstrip("/"),
            timeout=httpx2.Timeout(settings.timeout_s, connect=min(settings.timeout_s, 10.0)),
            limits=httpx2.Limits(
                max_connections=settings.max_concurrency, max_keepalive_connections=settings.max_concurrency
            ),
            transport=transport,
        )
        self._base = settings.url.rstrip("/")
        self._slots = asyncio.Semaphore(settings.max_concurrency)
        self._rate = _RateLimiter(settings.rate_limit_per_s)
        self._ids = itertools.count(1)
        self.protocol: str = settings.protocol
        self.version_info: dict[str, Any] = {}
        self.dialect: OdooDialect = dialect_for(settings.version) if settings.version else dialect_for(17)
        self.uid: int | None = None
        #: calls sent (including retries), for tests and benchmarks
        self.rpc_count = 0

    # -- lifecycle -------------------------------------------------------------------------------------
    async def __aenter__(self) -> OdooClient:
        await self.connect()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the HTTP client if this instance created it."""
        if self._own_http:
            await self._http.aclose()

    async def connect(self) -> OdooClient:
        """Probe the version (unless configured), choose the protocol and authenticate."""
        if self.settings.version is None:
            self.version_info = await self.probe_version()
            self.dialect = dialect_for(
                self.version_info.get("server_serie") or self.version_info.get("server_version_info")
            )
        if self.protocol == "auto":
            has_key = self.settings.api_key is not None and bool(self.settings.api_key.get_secret_value())
            self.protocol = "json2" if self.dialect.major >= JSON2_FIRST_MAJOR and has_key else "jsonrpc"
        if self.protocol == "json2" and not self.dialect.has_json2:
            raise PermanentError(
                f"JSON-2 needs Odoo {JSON2_FIRST_MAJOR}+, the server is {self.dialect.major}"
            )
        await self.authenticate()
        return self

    async def probe_version(self) -> dict[str, Any]:
        """``common.version`` over the configured protocol, falling back to ``/web/version`` (19+)."""
        proto = "xmlrpc" if self.protocol == "xmlrpc" else "jsonrpc"
        try:
            result = await self._with_retry("version", lambda: self._common(proto, "version", []))
            if isinstance(result, dict):
                return result
        except PermanentError:
            pass  # the legacy API is gone (Odoo 22+ drops /jsonrpc): ask /web/version
        response = await self._send(lambda: self._http.get(f"{self._base}/web/version"))
        if response.status_code >= HTTP_ERROR_FLOOR:
            raise from_http_status(
                response.status_code, f"cannot tell the Odoo version: {response.text[:200]}"
            )
        body = orjson.loads(response.content)
        serie = body.get("version") or body.get("server_serie")
        return {"server_serie": serie, "server_version_info": body.get("version_info"), **body}

    async def authenticate(self) -> int:
        """Resolve and remember the uid; raises :class:`AuthError` when the credential is refused."""
        if self.protocol == "json2":
            ctx = await self.execute_kw("res.users", "context_get")
            uid = ctx.get("uid") if isinstance(ctx, dict) else None
        else:
            s = self.settings
            uid = await self._with_retry(
                "authenticate",
                lambda: self._common(self.protocol, "authenticate", [s.db, s.user, s.secret, {}]),
            )
        if not uid:
            raise AuthError(
                f"Odoo refused the credentials of {self.settings.user!r} on database {self.settings.db!r}"
            )
        self.uid = int(uid)
        return self.uid

    # -- generic call ------------------------------------------------------------------------------------
    async def execute_kw(
        self,
        model: str,
        method: str,
        args: Sequence[Any] = (),
        kwargs: dict[str, Any] | None = None,
        *,
        context: dict[str, Any] | None = None,
    ) -> Any:
        """Call ``model.method(*args, **kwargs)``; for record methods ``args[0]`` is the id list.

        Returns Odoo's result, ``None`` for methods that return nothing (never an error). Each call is a
        CLIENT span and counts in ``tradelane_odoo_rpc_calls_total`` (failures also in ``…_errors_total``).
        """
        t0 = time.perf_counter()
        with tracing.span(
            f"odoo {model}.{method}",
            kind=tracing.SpanKind.CLIENT,
            attributes={"rpc.system": "odoo", "rpc.service": model, "rpc.method": method},
        ):
            try:
                return await self._execute_kw(model, method, args, kwargs, context)
            except Exception as exc:
                public = next(
                    c for c in type(exc).__mro__ if not c.__name__.startswith("_")
                )  # not _NotApplied
                metrics.ODOO_RPC_ERRORS.labels(model, method, public.__name__).inc()
                raise
            finally:
                metrics.ODOO_RPC_CALLS.labels(model, method).inc()
                metrics.ODOO_RPC_LATENCY.labels(model, method).observe(time.perf_counter() - t0)

    async def _execute_kw(
        self,
        model: str,
        method: str,
        args: Sequence[Any],
        kwargs: dict[str, Any] | None,
        context: dict[str, Any] | None,
    ) -> Any:
        kw = dict(kwargs or {})
        if context:
            kw["context"] = {**kw.get("context", {}), **context}
        if self.protocol == "json2":
            return await self._with_retry(method, lambda: self._json2(model, method, list(args), kw))
        if self.uid is None and not (model == "res.users" and method == "context_get"):
            raise AuthError("not authenticated: call connect() first")
        s = self.settings
        payload = [s.db, self.uid, s.secret, model, method, list(args), kw]
        return await self._with_retry(method, lambda: self._object(payload))

    # -- helpers (shapes every operation uses) -------------------------------------------------------
    async def search(
        self,
        model: str,
        domain: list[Any],
        *,
        limit: int | None = None,
        order: str | None = None,
        context: dict[str, Any] | None = None,
    ) -> list[int]:
        """Ids matching ``domain``."""
        kw: dict[str, Any] = {}
        if limit is not None:
            kw["limit"] = limit
        if order:
            kw["order"] = order
        return list(await self.execute_kw(model, "search", [domain], kw, context=context) or [])

    async def search_read(
        self,
        model: str,
        domain: list[Any],
        fields: Sequence[str],
        *,
        order: str | None = None,
        limit: int | None = None,
        offset: int = 0,
        context: dict[str, Any] | None = None,
        load: str | None = None,
    ) -> list[dict[str, Any]]:
        """Rows matching ``domain`` with only ``fields`` (always name the fields: reference §8).

        :param load: :data:`IDS_ONLY` returns many2one values as bare ids, sparing the server a display-name
            computation per value (Odoo's ``read(load=…)``).
        """
        kw: dict[str, Any] = {"fields": list(fields)}
        if load is not None:
            kw["load"] = load
        if order:
            kw["order"] = order
        if limit is not None:
            kw["limit"] = limit
        if offset:
            kw["offset"] = offset
        return list(await self.execute_kw(model, "search_read", [domain], kw, context=context) or [])

    async def read(
        self,
        model: str,
        ids: Sequence[int],
        fields: Sequence[str],
        *,
        context: dict[str, Any] | None = None,
        load: str | None = None,
    ) -> list[dict[str, Any]]:
        """Rows for the ids that still exist (missing ids are silently left out, reference §0);
        ``load`` as in :meth:`search_read`."""
        if not ids:
            return []
        kw: dict[str, Any] = {"fields": list(fields)}
        if load is not None:
            kw["load"] = load
        return list(await self.execute_kw(model, "read", [list(ids)], kw, context=context) or [])

    async def create(
        self, model: str, vals_list: Sequence[dict[str, Any]], *, context: dict[str, Any] | None = None
    ) -> list[int]:
        """Create many records in one call; returns their ids in order."""
        if not vals_list:
            return []
        result = await self.execute_kw(model, "create", [list(vals_list)], context=context)
        if isinstance(result, int):
            return [result]
        if not isinstance(result, list):
            raise MappingError(f"{model}.create returned {result!r}")
        return [int(x) for x in result]

    async def write(
        self, model: str, ids: Sequence[int], vals: dict[str, Any], *, context: dict[str, Any] | None = None
    ) -> None:
        """Write the same ``vals`` on every id in one call."""
        if ids and vals:
            await self.execute_kw(model, "write", [list(ids)], {"vals": vals}, context=context)

    async def call(
        self,
        model: str,
        method: str,
        ids: Sequence[int],
        *,
        context: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> Any:
        """Call a record method (``button_validate``, ``message_post`` …) with named arguments."""
        return await self.execute_kw(model, method, [list(ids)], kwargs, context=context)

    # -- protocol plumbing ---------------------------------------------------------------------------
    async def _with_retry(self, method: str, attempt: Any) -> Any:
        read_only = method in READ_ONLY_METHODS

        def retryable(exc: Exception) -> bool | float:
            if not isinstance(exc, TransientError):
                return False
            if not read_only and isinstance(exc, AmbiguousOutcome):
                return False
            if not read_only and not isinstance(exc, _NotApplied):
                return False
            return exc.retry_after if exc.retry_after is not None else True

        s = self.settings
        async for try_ in stamina.retry_context(
            on=retryable,
            attempts=s.retry_attempts,
            timeout=None,
            wait_initial=s.retry_wait_initial_s,
            wait_max=s.retry_wait_max_s,
            wait_jitter=s.retry_wait_initial_s,
        ):
            with try_:
                return await attempt()
        raise AssertionError("unreachable")  # pragma: no cover

    async def _send(self, request: Any) -> httpx2.Response:
        """Send one HTTP request under the concurrency and rate limits; translate transport failures."""
        async with self._slots:
            await self._rate.acquire()
            self.rpc_count += 1
            try:
                return await request()
            except (httpx2.ConnectError, httpx2.ConnectTimeout, httpx2.PoolTimeout) as exc:
                raise _NotApplied(f"Odoo unreachable: {exc!r}") from exc
            except (httpx2.TimeoutException, httpx2.NetworkError, httpx2.RemoteProtocolError) as exc:
                raise AmbiguousOutcome(f"Odoo reply lost (the call may have been applied): {exc!r}") from exc
            except httpx2.HTTPError as exc:
                raise PermanentError(f"Odoo HTTP failure: {exc!r}") from exc

    def _check_status(self, response: httpx2.Response) -> None:
        status = response.status_code
        if status < HTTP_ERROR_FLOOR:
            return
        error = from_http_status(status, response.text[:300], _retry_after(response))
        if status in NOT_APPLIED_STATUSES:
            raise _NotApplied(
                str(error), retry_after=error.retry_after if isinstance(error, TransientError) else None
            )
        if isinstance(error, TransientError):
            raise AmbiguousOutcome(str(error), retry_after=error.retry_after)
        raise error

    async def _jsonrpc(self, service: str, method: str, args: list[Any]) -> Any:
        body = {
            "jsonrpc": "2.0",
            "method": "call",
            "params": {"service": service, "method": method, "args": args},
            "id": next(self._ids),
        }
        response = await self._send(
            lambda: self._http.post(
                f"{self._base}/jsonrpc",
                content=orjson.dumps(body),
                headers={"Content-Type": "application/json"},
            )
        )
        self._check_status(response)
        try:
            reply = orjson.loads(response.content)
        except orjson.JSONDecodeError as exc:
            raise AmbiguousOutcome(f"Odoo sent a non-JSON reply: {response.text[:200]!r}") from exc
        if not isinstance(reply, dict):
            raise MappingError(f"Odoo sent an unexpected JSON-RPC reply: {reply!r}")
        if reply.get("error"):
            error = from_jsonrpc_error(reply["error"])
            if isinstance(error, TransientError):
                raise _NotApplied(str(error)) from None  # Odoo rolled the transaction back
            raise error
        # a method that returned None yields neither "result" nor "error" (reference §0)
        return reply.get("result")

    async def _xmlrpc(self, service: str, method: str, args: list[Any]) -> Any:
        content = xmlrpc.client.dumps(tuple(args), methodname=method, allow_none=True).encode()
        response = await self._send(
            lambda: self._http.post(
                f"{self._base}/xmlrpc/2/{service}", content=content, headers={"Content-Type": "text/xml"}
            )
        )
        self._check_status(response)
        try:
            params, _ = xmlrpc.client.loads(response.content, use_builtin_types=True)
        except xmlrpc.client.Fault as fault:
            if is_unmarshallable_return(fault.faultString):
                return None  # committed; the return value (None or a recordset) could not be marshalled
            error = from_xmlrpc_fault(fault.faultCode, fault.faultString)
            if isinstance(error, TransientError):
                raise _NotApplied(str(error)) from fault
            raise error from fault
        except Exception as exc:
            raise AmbiguousOutcome(f"Odoo sent an unreadable XML-RPC reply: {exc!r}") from exc
        return params[0] if params else None

    async def _common(self, proto: str, method: str, args: list[Any]) -> Any:
        if proto == "xmlrpc":
            return await self._xmlrpc("common", method, args)
        return await self._jsonrpc("common", method, args)

    async def _object(self, payload: list[Any]) -> Any:
        if self.protocol == "xmlrpc":
            return await self._xmlrpc("object", "execute_kw", payload)
        return await self._jsonrpc("object", "execute_kw", payload)

    async def _json2(self, model: str, method: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
        body: dict[str, Any] = dict(kwargs)
        positional = list(args)
        if method not in MODEL_METHODS and positional:
            body["ids"] = positional.pop(0)
        names = JSON2_POSITIONAL_NAMES.get(method, ())
        if len(positional) > len(names):
            raise MappingError(
                f"JSON-2 needs named parameters for {model}.{method}; got {len(positional)} positional"
            )
        body.update(zip(names, positional, strict=False))
        headers = {
            "Authorization": f"bearer {self.settings.secret}",
            "X-Odoo-Database": self.settings.db,
            "Content-Type": "application/json",
        }
        response = await self._send(
            lambda: self._http.post(
                f"{self._base}/json/2/{model}/{method}", content=orjson.dumps(body), headers=headers
            )
        )
        if response.status_code == HTTP_OK:
            return orjson.loads(response.content) if response.content else None
        try:
            payload: Any = orjson.loads(response.content)
        except orjson.JSONDecodeError:
            payload = response.text[:300]
        error: ConnectorError = from_json2_error(response.status_code, payload)
        if isinstance(error, TransientError):
            if response.status_code in NOT_APPLIED_STATUSES or "serialization" in str(error):
                raise _NotApplied(str(error), retry_after=_retry_after(response))
            raise AmbiguousOutcome(str(error), retry_after=_retry_after(response))
        raise error
