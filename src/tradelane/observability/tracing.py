"""OpenTelemetry tracing: the tracer provider chosen by settings, cheap span helpers, W3C ``traceparent``
propagation, and the ASGI middleware that starts the server span of each API request.

The trace of one event::

    POST /v1/events              (SERVER, continues an inbound ``traceparent``)
      ingest.submit              (validated events queued for the group commit)
        store.commit             (the group-commit transaction; other submissions of the batch are links)
        delivery.attempt         (worker: claimed delivery → send → decision; parent carried across the store)
          delivery.send          (CLIENT; its ``traceparent`` goes out in the webhook's / NATS message's headers)
            odoo <model>.<method>  (CLIENT, an Odoo RPC made by a connector destination)

Each non-empty claim is a ``delivery.claim`` span of its own, linked to the traces it claimed.

With ``traces_exporter: none`` (the default) nothing is set up: :func:`span` returns a shared null context
manager and :func:`inject` does nothing, so the hot paths pay one flag check. :func:`configure` can be
called again (tests swap in an in-memory exporter): our spans always go to the latest provider. The global
provider is set once, by the first call, so that third-party instrumentation (FastAPI's native telemetry)
finds it; in a server process there is only that one call.

Across the store, a delivery's parent is its event's ``traceparent``: ``ClaimedDelivery.traceparent`` when
the store carries it, otherwise the process-local memory written at ingest (:func:`remember`), which covers
embedded mode (API and worker in one process).
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections import OrderedDict
from collections.abc import Mapping, MutableMapping, Sequence
from typing import TYPE_CHECKING, Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
    SpanExporter,
)
from opentelemetry.trace import Link, Span, SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from tradelane.observability import metrics

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

    from tradelane.settings import ObservabilitySettings

__all__ = [
    "ObservabilityMiddleware",
    "SpanKind",
    "capture",
    "claimed",
    "configure",
    "context_from_traceparent",
    "counted_upstream",
    "current_ids",
    "current_traceparent",
    "delivery_parent",
    "enabled",
    "extract",
    "flush",
    "inject",
    "links",
    "recall",
    "remember",
    "shutdown",
    "span",
]

#: W3C trace-context header
TRACEPARENT = "traceparent"
#: most event → traceparent entries kept in process memory for the worker (embedded mode), oldest dropped
MAX_REMEMBERED = 50_000
#: OTLP/HTTP path for spans, appended to ``otlp_endpoint`` when it is a bare collector URL
OTLP_TRACES_PATH = "/v1/traces"
#: scope key marking a request already handled by the middleware (so that wrapping twice is harmless)
_SCOPE_MARK = "tradelane.observed"
#: scope key of FastAPI's native telemetry; ``None`` there means "this request is not FastAPI's to trace"
_FASTAPI_TELEMETRY = "fastapi.telemetry"
#: instrumentation scope name of our spans
TRACER_NAME = "tradelane"

_propagator = TraceContextTextMapPropagator()
_null = contextlib.nullcontext()


class _State:
    __slots__ = ("enabled", "provider", "tracer")

    def __init__(self) -> None:
        self.enabled = False
        self.provider: TracerProvider | None = None
        self.tracer: trace.Tracer = trace.NoOpTracer()


_state = _State()
_global_set = False
_remembered: OrderedDict[tuple[str, str, str], str] = OrderedDict()
_remember_lock = threading.Lock()


def _otlp_url(endpoint: str) -> str | None:
    if not endpoint:
        return None  # the exporter's default (or OTEL_EXPORTER_OTLP_* from the environment)
    base = endpoint.rstrip("/")
    return base if base.endswith(OTLP_TRACES_PATH) else base + OTLP_TRACES_PATH


def configure(
    settings: ObservabilitySettings | None = None, *, exporter: SpanExporter | None = None
) -> TracerProvider | None:
    """Set up tracing from ``settings`` (``traces_exporter`` none|console|otlp); returns the provider.

    :param exporter: export to this exporter instead, synchronously (tests: an in-memory exporter); enables
        tracing whatever the settings say
    """
    global _global_set
    shutdown()
    kind = "custom" if exporter is not None else (settings.traces_exporter if settings is not None else "none")
    if kind == "none":
        return None
    service = settings.service_name if settings is not None else TRACER_NAME
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    if exporter is not None:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    elif kind == "console":
        provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter(out=sys.stderr)))
    else:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        assert settings is not None
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=_otlp_url(settings.otlp_endpoint))))
    _state.provider = provider
    _state.tracer = provider.get_tracer(TRACER_NAME)
    _state.enabled = True
    if not _global_set:  # the global provider can be set only once per process
        trace.set_tracer_provider(provider)
        _global_set = True
    return provider


#: longest wait for buffered spans to be exported when a process stops, milliseconds
FLUSH_TIMEOUT_MS = 5_000


def flush(timeout_ms: int = FLUSH_TIMEOUT_MS) -> None:
    """Export the spans still buffered (a stopping process: uvicorn re-raises SIGTERM after its graceful
    shutdown, so atexit hooks never run and the batch processor's queue would be lost)."""
    provider = _state.provider
    if provider is not None:
        provider.force_flush(timeout_ms)


def shutdown() -> None:
    """Flush and stop the current provider; tracing is off afterwards."""
    provider = _state.provider
    _state.enabled = False
    _state.tracer = trace.NoOpTracer()
    _state.provider = None
    with _remember_lock:
        _remembered.clear()
    if provider is not None:
        provider.shutdown()


def enabled() -> bool:
    """Whether spans are being recorded."""
    return _state.enabled


def span(
    name: str,
    *,
    kind: SpanKind = SpanKind.INTERNAL,
    attributes: Mapping[str, Any] | None = None,
    parent: otel_context.Context | None = None,
    links: Sequence[Link] | None = None,
) -> contextlib.AbstractContextManager[Span | None]:
    """A span made current for the ``with`` block; a shared null context (yielding ``None``) when off.

    :param parent: the parent context (default: the current one)
    """
    if not _state.enabled:
        return _null
    return _state.tracer.start_as_current_span(
        name, context=parent, kind=kind, attributes=dict(attributes) if attributes else None, links=links
    )


def inject(headers: MutableMapping[str, str]) -> None:
    """Add ``traceparent`` (and ``tracestate``) of the current span to ``headers``; nothing when off."""
    if _state.enabled:
        _propagator.inject(headers)


def extract(headers: Mapping[str, str]) -> otel_context.Context:
    """The context described by ``headers`` (lower-case names), for use as a parent."""
    return _propagator.extract(headers)


def context_from_traceparent(traceparent: str | None) -> otel_context.Context | None:
    """A parent context from a stored ``traceparent`` value; ``None`` when absent or malformed."""
    if not traceparent:
        return None
    ctx = _propagator.extract({TRACEPARENT: traceparent})
    return ctx if trace.get_current_span(ctx).get_span_context().is_valid else None


def current_traceparent() -> str | None:
    """The ``traceparent`` of the current span, when tracing is on and a span is current."""
    if not _state.enabled:
        return None
    carrier: dict[str, str] = {}
    _propagator.inject(carrier)
    return carrier.get(TRACEPARENT)


def current_ids() -> tuple[str, str] | None:
    """``(trace_id, span_id)`` in hex of the current span, or ``None`` (used by the log processors)."""
    sc = trace.get_current_span().get_span_context()
    if not sc.is_valid:
        return None
    return format(sc.trace_id, "032x"), format(sc.span_id, "016x")


def capture() -> otel_context.Context | None:
    """The current context to hand to another task (e.g. the group committer); ``None`` when off."""
    return otel_context.get_current() if _state.enabled else None


def links(contexts: Sequence[otel_context.Context | None]) -> list[Link]:
    """Links to the current spans of ``contexts`` (for a span that serves many traces, like a batch)."""
    out = []
    for ctx in contexts:
        if ctx is not None:
            sc = trace.get_current_span(ctx).get_span_context()
            if sc.is_valid:
                out.append(Link(sc))
    return out


#: most links put on one batch span (a claim of 128 deliveries links the first of them)
MAX_LINKS = 32


def claimed(lane: str, deliveries: Sequence[Any], started_ns: int) -> None:
    """Record a finished claim as a ``delivery.claim`` span linked to the claimed deliveries' traces."""
    if not _state.enabled or not deliveries:
        return
    sp = _state.tracer.start_span(
        "delivery.claim",
        context=otel_context.Context(),
        start_time=started_ns,
        attributes={"tradelane.lane": lane, "tradelane.claimed": len(deliveries)},
        links=links([delivery_parent(d) for d in deliveries[:MAX_LINKS]]),
    )
    sp.end()


# -- carrying the trace across the store (embedded mode) ----------------------------------------------


def remember(tenant: str, source: str, event_id: str, traceparent: str) -> None:
    """Keep an event's ``traceparent`` so the worker of this process can continue its trace."""
    key = (tenant, source, event_id)
    with _remember_lock:
        _remembered[key] = traceparent
        _remembered.move_to_end(key)
        while len(_remembered) > MAX_REMEMBERED:
            _remembered.popitem(last=False)


def recall(tenant: str, source: str, event_id: str) -> str | None:
    """The ``traceparent`` :func:`remember` kept for an event, if still kept."""
    with _remember_lock:
        return _remembered.get((tenant, source, event_id))


def delivery_parent(delivery: Any) -> otel_context.Context | None:
    """The parent context of a claimed delivery's spans: its stored ``traceparent`` or the remembered one."""
    tp = getattr(delivery, "traceparent", None)
    if not tp:
        ev = delivery.event
        tp = recall(delivery.tenant, str(ev.get("source", "")), str(ev.get("id", "")))
    return context_from_traceparent(tp)


# -- ASGI middleware ----------------------------------------------------------------------------------

#: ingest routes (templates) and the channel their rejections are counted under
INGEST_ROUTES = metrics.INGEST_ROUTES
#: requests counted but never traced (a span per scrape or probe is noise)
UNTRACED_PATHS = frozenset({"/metrics", "/v1/health/live", "/v1/health/ready"})
#: label for requests that matched no route (keeps the label set bounded)
UNMATCHED = "unmatched"


_paths_by_endpoint: dict[Any, str] = {}


def _find_path(app: Any, endpoint: Any) -> str:
    routes = getattr(app, "routes", ())
    try:  # recent FastAPI nests included routers; this flattens them, with their full paths
        from fastapi.routing import iter_route_contexts

        candidates: Any = iter_route_contexts(routes)
    except ImportError:  # pragma: no cover - older FastAPI: routes are already flat
        candidates = routes
    for r in candidates:
        path = getattr(r, "path", None)
        if getattr(r, "endpoint", None) is endpoint and isinstance(path, str):
            return path
    return UNMATCHED


def _route_of(scope: Scope) -> str:
    """The matched route's path template (bounded label values); ``unmatched`` when no route matched."""
    path = getattr(scope.get("route"), "path", None)
    if isinstance(path, str):
        return path
    # plain Starlette routes (the ingest routes) leave only "endpoint" behind: look its template up once
    endpoint = scope.get("endpoint")
    if endpoint is None:
        return UNMATCHED
    cached = _paths_by_endpoint.get(endpoint)
    if cached is None:
        cached = _paths_by_endpoint[endpoint] = _find_path(scope.get("app"), endpoint)
    return cached


def counted_upstream(scope: Scope) -> bool:
    """Whether an :class:`ObservabilityMiddleware` further out already counts (and traces) this request."""
    return bool(scope.get(_SCOPE_MARK))


class ObservabilityMiddleware:
    """Pure ASGI middleware: one SERVER span per HTTP request (continuing an inbound ``traceparent``), the
    request counter by route template and status, and the count of rejected ingest requests.

    Install it with ``app.add_middleware(ObservabilityMiddleware)`` (or wrap the app); wrapping twice is
    harmless. Scrapes and health checks (:data:`UNTRACED_PATHS`) are counted but not traced.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get(_SCOPE_MARK):
            await self.app(scope, receive, send)
            return
        scope[_SCOPE_MARK] = True
        status = [500]  # what an exception escaping the app becomes

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = int(message["status"])
            await send(message)

        method = str(scope.get("method", "GET"))
        path = str(scope.get("path", ""))
        if not _state.enabled or path in UNTRACED_PATHS:
            try:
                await self.app(scope, receive, send_wrapper)
            finally:
                self._count(scope, method, status[0])
            return
        # FastAPI ≥ 0.16x has native OpenTelemetry (global provider, a server span of its own); this marks
        # the request as excluded from it when we are outermost, so there is one server span per request
        scope.setdefault(_FASTAPI_TELEMETRY, None)
        if trace.get_current_span().is_recording():  # a server span opened upstream (FastAPI's): one is enough
            try:
                await self.app(scope, receive, send_wrapper)
            finally:
                self._count(scope, method, status[0])
            return
        parent = extract({k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", ())})
        with _state.tracer.start_as_current_span(
            f"{method} {path}",
            context=parent,
            kind=SpanKind.SERVER,
            attributes={"http.request.method": method, "url.path": path},
        ) as sp:
            try:
                await self.app(scope, receive, send_wrapper)
            finally:
                route = _route_of(scope)
                sp.update_name(f"{method} {route}")
                sp.set_attribute("http.route", route)
                sp.set_attribute("http.response.status_code", status[0])
                if status[0] >= 500:
                    sp.set_status(Status(StatusCode.ERROR))
                self._count(scope, method, status[0])

    @staticmethod
    def _count(scope: Scope, method: str, status: int) -> None:
        metrics.count_http(method, _route_of(scope), status)
