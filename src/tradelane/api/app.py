"""The FastAPI application: routes, problem+json handlers, health, and the hub's lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from starlette.responses import JSONResponse, Response

from tradelane import __version__, web
from tradelane.api import auth, deliveries, edi, events, exceptions, hooks, metrics, oauth, ratelimit, xref
from tradelane.api.direct import HubApp
from tradelane.api.problems import document_limits, document_problems, install_handlers, problem
from tradelane.core.envelope import CloudEvent
from tradelane.observability.tracing import ObservabilityMiddleware

if TYPE_CHECKING:
    from tradelane.bootstrap import Hub

__all__ = ["create_app"]


def create_app(hub: Hub, *, manage_lifespan: bool = True) -> FastAPI:
    """Build the app around ``hub``; with ``manage_lifespan`` the app starts and stops the hub."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if manage_lifespan:
            await hub.start()
        try:
            yield
        finally:
            if manage_lifespan:
                await hub.stop()

    app = HubApp(
        title="Tradelane",
        version=__version__,
        description="Logistics integration hub for Odoo. Events are CloudEvents 1.0; errors are problem+json.",
        lifespan=lifespan,
    )
    app.state.hub = hub
    install_handlers(app)
    app.include_router(events.router)
    for path, endpoint in events.DIRECT_ROUTES.items():  # also served before the middleware (see api.direct)
        app.add_direct_route(path, endpoint)
    app.include_router(deliveries.router)
    app.include_router(hooks.router)
    app.include_router(xref.router)
    edi.install(app, hub.settings)
    app.include_router(exceptions.router)
    app.include_router(metrics.router)
    if hub.settings.web.enabled:
        app.include_router(web.router)
    oauth.install(app)
    ratelimit.install(app)
    auth.install(app)  # successful state-changing requests → the audit chain
    # request counts and latency, rejected requests, and the inbound W3C traceparent (one server span)
    app.add_middleware(ObservabilityMiddleware)

    @app.get("/v1/health/live", tags=["health"], summary="Liveness: the process answers", openapi_extra={"security": []})
    async def live() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/v1/health/ready", tags=["health"], summary="Readiness: database reachable, ingest running",
             openapi_extra={"security": []})
    async def ready(request: Request) -> Response:
        h: Hub = request.app.state.hub
        try:
            await h.store.ping()
        except Exception:
            return problem(503, "Not ready", "database unreachable")
        if not h.ingest.running:
            return problem(503, "Not ready", "ingest not running")
        return JSONResponse({"status": "ready"})

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        from fastapi.openapi.utils import get_openapi

        schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        for path, item in events.ingest_openapi_paths().items():
            schema["paths"].setdefault(path, {}).update(item)
        comps = schema.setdefault("components", {}).setdefault("schemas", {})
        ce = CloudEvent.model_json_schema(ref_template="#/components/schemas/{model}")
        comps.update(ce.pop("$defs", {}))
        comps["CloudEvent"] = ce
        schema["components"]["securitySchemes"] = {
            "ApiKeyBearer": {"type": "http", "scheme": "bearer", "description": "a Tradelane API key, or an access token from POST /v1/oauth/token"}
        }
        schema["security"] = [{"ApiKeyBearer": []}]
        document_problems(schema)  # every problem+json answer each operation can give
        document_limits(schema, max_page_size=hub.settings.api.max_page_size,
                        max_batch_events=hub.settings.api.max_batch_events)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
