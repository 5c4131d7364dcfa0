"""Tracing: off means no-op, on means spans with W3C propagation; the ASGI middleware's spans and counters."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx2
import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from tradelane.observability import metrics, tracing
from tradelane.settings import ObservabilitySettings

INBOUND_TRACE = "0af7651916cd43dd8448eb211c80319c"
INBOUND = f"00-{INBOUND_TRACE}-b7ad6b7169203331-01"


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    tracing.configure(ObservabilitySettings(), exporter=exporter)
    yield exporter
    tracing.shutdown()


def test_exporter_none_is_a_no_op() -> None:
    assert tracing.configure(ObservabilitySettings(traces_exporter="none")) is None
    assert not tracing.enabled()
    cm = tracing.span("anything", attributes={"a": 1})
    assert cm is tracing.span("other")  # one shared null context manager: nothing allocated per call
    with cm as sp:
        assert sp is None
        headers: dict[str, str] = {}
        tracing.inject(headers)
        assert headers == {}
        assert tracing.current_traceparent() is None
        assert tracing.capture() is None


def test_spans_nest_and_inject_the_current_span(spans: InMemorySpanExporter) -> None:
    assert tracing.enabled()
    with tracing.span("outer") as outer, tracing.span("inner", kind=SpanKind.CLIENT) as inner:
        assert outer is not None and inner is not None
        headers: dict[str, str] = {}
        tracing.inject(headers)
        ctx = inner.get_span_context()
        assert headers["traceparent"] == f"00-{ctx.trace_id:032x}-{ctx.span_id:016x}-{ctx.trace_flags:02x}"
        assert tracing.current_traceparent() == headers["traceparent"]
        assert tracing.current_ids() == (f"{ctx.trace_id:032x}", f"{ctx.span_id:016x}")
    done = {s.name: s for s in spans.get_finished_spans()}
    assert done["inner"].parent.span_id == done["outer"].context.span_id
    assert done["inner"].kind is SpanKind.CLIENT


def test_a_stored_traceparent_becomes_the_parent(spans: InMemorySpanExporter) -> None:
    assert tracing.context_from_traceparent(None) is None
    assert tracing.context_from_traceparent("00-not-a-trace-01") is None
    assert tracing.context_from_traceparent(f"00-{'0' * 32}-b7ad6b7169203331-01") is None  # all-zero trace id
    with tracing.span("child", parent=tracing.context_from_traceparent(INBOUND)):
        pass
    (child,) = spans.get_finished_spans()
    assert f"{child.context.trace_id:032x}" == INBOUND_TRACE
    assert f"{child.parent.span_id:016x}" == "b7ad6b7169203331"


@dataclass
class _Delivery:
    tenant: str
    event: dict[str, Any]
    traceparent: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def test_delivery_parent_prefers_the_stored_traceparent_then_memory(
    spans: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = "00-11111111111111111111111111111111-2222222222222222-01"
    tracing.remember("acme", "urn:s", "e1", INBOUND)
    remembered = tracing.delivery_parent(_Delivery("acme", {"source": "urn:s", "id": "e1"}))
    stored = tracing.delivery_parent(_Delivery("acme", {"source": "urn:s", "id": "e1"}, traceparent=other))
    unknown = tracing.delivery_parent(_Delivery("globex", {"source": "urn:s", "id": "e1"}))  # tenant is part of the key
    assert unknown is None
    for ctx, trace_id in ((remembered, INBOUND_TRACE), (stored, "1" * 32)):
        assert ctx is not None
        with tracing.span("x", parent=ctx) as sp:
            assert sp is not None
            assert f"{sp.get_span_context().trace_id:032x}" == trace_id
    # the memory is bounded: the oldest entries go first
    monkeypatch.setattr(tracing, "MAX_REMEMBERED", 3)
    for i in range(5):
        tracing.remember("acme", "urn:s", f"n{i}", INBOUND)
    assert [tracing.recall("acme", "urn:s", f"n{i}") is not None for i in range(5)] == [False, False, True, True, True]


# -- middleware ---------------------------------------------------------------------------------------


async def _events(_: Request) -> PlainTextResponse:
    with tracing.span("handler"):
        return PlainTextResponse("bad", status_code=422)


async def _thing(request: Request) -> PlainTextResponse:
    return PlainTextResponse(request.path_params["tid"])


async def _scrape(_: Request) -> PlainTextResponse:
    return PlainTextResponse("# metrics")


def _app() -> Starlette:
    return Starlette(routes=[
        Route("/v1/events", _events, methods=["POST"]), Route("/things/{tid}", _thing), Route("/metrics", _scrape),
    ])


def _sample(name: str, **labels: str) -> float:
    return metrics.REGISTRY.get_sample_value(name, labels) or 0.0


async def test_middleware_continues_the_inbound_trace_and_counts_by_route_template(
    spans: InMemorySpanExporter,
) -> None:
    # wrapped twice: the inner one must stand aside (one span, one count)
    app = tracing.ObservabilityMiddleware(tracing.ObservabilityMiddleware(_app()))
    before_things = _sample("tradelane_http_requests_total", method="GET", route="/things/{tid}", status="200")
    before_rejected = _sample("tradelane_ingest_rejected_total", channel="api", status="422")
    before_unmatched = _sample("tradelane_http_requests_total", method="GET", route="unmatched", status="404")
    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url="http://hub") as c:
        assert (await c.post("/v1/events", content=b"{}", headers={"traceparent": INBOUND})).status_code == 422
        assert (await c.get("/things/123")).text == "123"
        assert (await c.get("/things/456")).status_code == 200
        assert (await c.get("/nowhere")).status_code == 404
        assert (await c.get("/metrics")).status_code == 200  # counted, not traced
    assert _sample("tradelane_http_requests_total", method="GET", route="/things/{tid}", status="200") == before_things + 2
    assert _sample("tradelane_ingest_rejected_total", channel="api", status="422") == before_rejected + 1
    assert _sample("tradelane_http_requests_total", method="GET", route="unmatched", status="404") == before_unmatched + 1
    assert _sample("tradelane_http_requests_total", method="GET", route="/metrics", status="200") >= 1
    server = [s for s in spans.get_finished_spans() if s.kind is SpanKind.SERVER]
    assert sorted(s.name for s in server) == ["GET /things/{tid}", "GET /things/{tid}", "GET unmatched", "POST /v1/events"]
    post = next(s for s in server if s.name == "POST /v1/events")
    assert f"{post.context.trace_id:032x}" == INBOUND_TRACE
    assert f"{post.parent.span_id:016x}" == "b7ad6b7169203331"
    assert post.attributes["http.response.status_code"] == 422
    handler = next(s for s in spans.get_finished_spans() if s.name == "handler")
    assert handler.parent.span_id == post.context.span_id


async def test_middleware_counts_without_tracing() -> None:
    tracing.shutdown()
    app = tracing.ObservabilityMiddleware(_app())
    before = _sample("tradelane_ingest_rejected_total", channel="api", status="422")
    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url="http://hub") as c:
        r = await c.post("/v1/events", content=b"{}", headers={"traceparent": INBOUND})
        assert r.status_code == 422
        assert "traceparent" not in r.headers
    assert _sample("tradelane_ingest_rejected_total", channel="api", status="422") == before + 1


async def test_installed_with_add_middleware_on_fastapi_there_is_one_server_span(
    spans: InMemorySpanExporter,
) -> None:
    from fastapi import FastAPI

    app = FastAPI()  # FastAPI's native telemetry left at its defaults (on when a global provider is set)

    @app.get("/v1/things/{tid}")
    async def thing(tid: str) -> dict[str, str]:
        with tracing.span("handler"):
            return {"tid": tid}

    app.add_middleware(tracing.ObservabilityMiddleware)
    before = _sample("tradelane_http_requests_total", method="GET", route="/v1/things/{tid}", status="200")
    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url="http://hub") as c:
        assert (await c.get("/v1/things/7", headers={"traceparent": INBOUND})).json() == {"tid": "7"}
    assert _sample("tradelane_http_requests_total", method="GET", route="/v1/things/{tid}", status="200") == before + 1
    finished = spans.get_finished_spans()
    handler = next(s for s in finished if s.name == "handler")
    assert f"{handler.context.trace_id:032x}" == INBOUND_TRACE
    server = [s for s in finished if s.kind is SpanKind.SERVER and s.context.trace_id == handler.context.trace_id]
    if server:  # FastAPI's span went to this provider (it is the process's global one): it is the only one
        assert len(server) == 1
        by_id, up, chain = {s.context.span_id: s for s in finished}, handler, []
        while up is not None and up.parent is not None:
            chain.append(up.parent.span_id)
            up = by_id.get(up.parent.span_id)
        assert server[0].context.span_id in chain  # (FastAPI's operation spans may sit in between)
