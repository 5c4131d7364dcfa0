"""Direct dispatch of the ingest endpoints: ``POST /v1/events`` and ``POST /v1/events/batch`` are served
before Starlette's middleware stack and router.

A request to the ingest path otherwise passes ten ASGI layers (FastAPI's telemetry check, the server-error,
exception-telemetry, body-limit, observability, audit, exception and exit-stack middleware, the router with
every route of the hub, the route's request/response wrapper) that do nothing for it: the endpoints read
the raw body themselves, answer problem+json through the app's exception handlers, and are not audited
(the inbox records them). Measured with the ingest benchmark, those layers were about a quarter of the
server's CPU per ingested event.

:class:`HubApp` keeps every effect of those layers that applies to these requests: the app's exception
handlers answer exactly as :class:`~starlette.middleware.exceptions.ExceptionMiddleware` and
:class:`~starlette.middleware.errors.ServerErrorMiddleware` would (an unhandled error is answered by the
``Exception`` handler and then re-raised for the server to log), and the request is counted as
:class:`~tradelane.observability.tracing.ObservabilityMiddleware` counts it. A request takes the ordinary
path whenever the shortcut could differ: tracing on (the server span is the middleware's), FastAPI's native
OpenTelemetry active, a ``root_path``, or a middleware other than the hub's own two installed.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI
from starlette._utils import is_async_callable
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import Message, Receive, Scope, Send

from tradelane.observability import metrics, tracing

__all__ = ["DIRECT_SCOPE_KEY", "HubApp"]

#: seconds for which FastAPI's "is native telemetry enabled" answer is reused (it reads three providers and
#: the environment: about 7 µs per request)
TELEMETRY_CHECK_S = 1.0
#: ASGI scope key set on requests served by the direct path (tests check the shortcut is taken)
DIRECT_SCOPE_KEY = "tradelane.direct"

Endpoint = Callable[[Request], Awaitable[Response]]


class HubApp(FastAPI):
    """The hub's FastAPI app, with the ingest endpoints dispatched directly (see the module docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: path → (endpoint, route template) of the POST endpoints served directly
        self.direct_routes: dict[str, tuple[Endpoint, str]] = {}
        self._stack_allows_direct: bool | None = None
        self._telemetry_checked_at = -TELEMETRY_CHECK_S
        self._telemetry_on = True

    def add_direct_route(self, path: str, endpoint: Endpoint) -> None:
        """Serve ``POST path`` with ``endpoint`` directly; the same endpoint must also be routed normally."""
        self.direct_routes[path] = (endpoint, path)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            direct = self.direct_routes.get(scope["path"])
            if direct is not None and self._direct_allowed(scope):
                await self._serve(direct[0], direct[1], scope, receive, send)
                return
        await super().__call__(scope, receive, send)

    def _direct_allowed(self, scope: Scope) -> bool:
        if scope.get("root_path") or self.root_path or tracing.enabled():
            return False
        allowed = self._stack_allows_direct
        if allowed is None:
            from tradelane.api.auth import AuditTrail

            own = (tracing.ObservabilityMiddleware, AuditTrail)
            allowed = self._stack_allows_direct = all(m.cls in own for m in self.user_middleware)
        if not allowed:
            return False
        now = time.monotonic()
        if now - self._telemetry_checked_at >= TELEMETRY_CHECK_S:
            native = getattr(self, "_native_telemetry", None)
            # unknown FastAPI internals: assume telemetry is on, so every request takes the ordinary path
            self._telemetry_on = native is None or bool(native.enabled())
            self._telemetry_checked_at = now
        return not self._telemetry_on

    async def _serve(self, endpoint: Endpoint, template: str, scope: Scope, receive: Receive, send: Send) -> None:
        scope["app"] = self
        scope["endpoint"] = endpoint
        scope[DIRECT_SCOPE_KEY] = True
        scope.setdefault("path_params", {})
        status = 500  # what an exception escaping before the response starts becomes

        async def counted(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        request = Request(scope, receive, send)
        # an ObservabilityMiddleware wrapped around the whole app counts it already (one count per request)
        count = not tracing.counted_upstream(scope)
        try:
            try:
                response = await endpoint(request)
            except Exception as exc:
                response, unhandled = await self._answer_error(request, exc)
                await response(scope, receive, counted)
                if unhandled:
                    raise
                exc.__traceback__ = None  # as Starlette does: a reused exception must not keep growing
                return
            await response(scope, receive, counted)
        finally:
            if count:
                metrics.count_http("POST", template, status)

    async def _answer_error(self, request: Request, exc: Exception) -> tuple[Response, bool]:
        """The response the app's handlers give ``exc``, and whether it was unhandled (to be re-raised).

        Handlers are looked up as Starlette does: a status-code handler for an ``HTTPException``, then the
        exception's classes in MRO order; ``Exception`` (or 500) is the server-error handler, used last.
        """
        handlers = self.exception_handlers
        server_error = (500, Exception)  # Starlette gives these keys to the server-error middleware
        handler = None
        if isinstance(exc, HTTPException) and exc.status_code not in server_error:
            handler = handlers.get(exc.status_code)
        if handler is None:
            for cls in type(exc).__mro__:
                if cls not in server_error and cls in handlers:
                    handler = handlers[cls]
                    break
        unhandled = handler is None
        if handler is None:
            handler = handlers.get(500) or handlers.get(Exception)
        if handler is None:
            return PlainTextResponse("Internal Server Error", status_code=500), True
        if is_async_callable(handler):
            response = await handler(request, exc)
        else:
            response = await run_in_threadpool(handler, request, exc)
        return response, unhandled
