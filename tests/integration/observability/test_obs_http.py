"""Observability over real HTTP: a hub on loopback (API + worker, wrapped in the observability middleware)
ingests events and delivers them to loopback sinks; ``/metrics`` is scraped and parsed, and traces are
exported to an in-memory exporter."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import pytest
import uvicorn
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from prometheus_client.parser import text_string_to_metric_families

from tradelane.api.app import create_app
from tradelane.bootstrap import build_hub
from tradelane.observability import tracing
from tradelane.settings import Settings, load_settings
from tradelane.testing.delivery import delivery_settings, milestone
from tradelane.testing.net import free_port
from tradelane.testing.sink import WebhookSink

#: generous: CI is a loaded 2-core machine
DEADLINE_S = 60.0


class TracingSink(WebhookSink):
    """The webhook sink, also recording the ``traceparent`` each delivery arrived with."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.traceparents: dict[str, str | None] = {}

    async def _handle(self, headers: dict[str, str], body: bytes) -> int:
        self.traceparents.setdefault(headers.get("webhook-id", ""), headers.get("traceparent"))
        return await super()._handle(headers, body)


@dataclass
class Served:
    hub: Any
    base_url: str
    loop: asyncio.AbstractEventLoop

    def call(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(30)

    def key(self, tenant: str | None, scopes: tuple[str, ...] = ("events:write", "events:read")) -> str:
        from tradelane.security.keyring import create_api_key

        secret = self.hub.settings.resolved_secret_key()
        k, _ = self.call(create_api_key(self.hub.store, secret, name="obs", tenant=tenant, scopes=scopes))
        return str(k)


@contextlib.contextmanager
def serve(settings: Settings, before_start: Callable[[], None] | None = None) -> Iterator[Served]:
    """The hub behind uvicorn on loopback, with :class:`ObservabilityMiddleware` outermost."""
    hub = build_hub(settings)
    if before_start is not None:
        before_start()  # after build_hub, so nothing it sets up overrides the test's configuration
    app = tracing.ObservabilityMiddleware(create_app(hub))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    holder: dict[str, asyncio.AbstractEventLoop] = {}

    def run() -> None:
        loop = asyncio.new_event_loop()
        holder["loop"] = loop
        loop.run_until_complete(server.serve())

    t = threading.Thread(target=run, daemon=True)
    t.start()
    deadline = time.monotonic() + DEADLINE_S
    while not server.started:
        if time.monotonic() > deadline or not t.is_alive():
            raise RuntimeError("test server did not start")
        time.sleep(0.02)
    try:
        yield Served(hub, f"http://127.0.0.1:{port}", holder["loop"])
    finally:
        server.should_exit = True
        t.join(30)


def poll(fn: Callable[[], Any], what: str) -> Any:
    deadline = time.monotonic() + DEADLINE_S
    while True:
        value = fn()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not met within {DEADLINE_S} s: {what}")
        time.sleep(0.05)


def scrape(c: httpx2.Client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """``/metrics`` parsed: (sample name, sorted labels) → value. Fails on text Prometheus cannot parse."""
    r = c.get("/metrics")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain")
    out: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for fam in text_string_to_metric_families(r.text):
        for s in fam.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def val(m: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    return m.get((name, tuple(sorted(labels.items()))), 0.0)


# -- /metrics -----------------------------------------------------------------------------------------


@pytest.fixture
def sinks() -> Iterator[tuple[TracingSink, TracingSink]]:
    ok, bad = TracingSink(port=free_port()), TracingSink(port=free_port(), status_for=lambda doc: 422)
    yield ok, bad


def test_metrics_count_ingest_and_delivery_and_read_the_outbox(
    db_url: str, tmp_path: Path, sinks: tuple[TracingSink, TracingSink]
) -> None:
    ok, bad = sinks
    down_url = f"http://127.0.0.1:{free_port()}/hook"  # nothing listens: connect errors
    settings = delivery_settings(
        tmp_path,
        db_url,
        {"ok": {"url": ok.url}, "bad": {"url": bad.url}, "down": {"url": down_url}},
        [
            {"name": "to-ok", "events": ["tradelane.shipment.*"], "destination": "ok"},
            {"name": "to-bad", "events": ["tradelane.shipment.*"], "destination": "bad"},
            # one long retry: the failed deliveries stay pending, in the bulk lane
            {"name": "to-down", "events": ["tradelane.shipment.*"], "destination": "down", "lane": "bulk",
             "retry": {"schedule": [3600], "jitter": 0.0}},
        ],
        delivery={"retry_compress": 1.0, "breaker": {"failure_threshold": 1, "cool_down_s": 3600}},
    )
    with serve(settings) as hub:
        hub.call(ok.start())
        hub.call(bad.start())
        try:
            key = hub.key("acme")
            auth = {"Authorization": f"Bearer {key}"}
            with httpx2.Client(base_url=hub.base_url, timeout=30) as c:
                before = scrape(c)
                batch = [milestone(i, "shp_obs", i).to_wire() for i in range(3)]
                assert c.post("/v1/events/batch", json=batch, headers=auth).status_code == 201
                # the same event again: a duplicate; then an invalid one: rejected
                assert c.post("/v1/events", json=batch[0], headers=auth).status_code == 200
                broken = {**batch[0], "id": "ms-broken", "type": "tradelane.nope.v1"}
                assert c.post("/v1/events", json=broken, headers=auth).status_code in (400, 422)

                def settled() -> Any:
                    m = scrape(c)
                    return m if (
                        val(m, "tradelane_deliveries", status="done") == 3
                        and val(m, "tradelane_dlq_size") == 3
                        and val(m, "tradelane_queue_depth", lane="bulk") == 3
                        and val(m, "tradelane_endpoint_breaker_state", endpoint="down") == 2
                    ) else None

                m = poll(settled, "3 done, 3 dead, 3 pending in bulk, breaker of 'down' open")
        finally:
            hub.call(ok.stop())
            hub.call(bad.stop())

    def delta(name: str, **labels: str) -> float:
        return val(m, name, **labels) - val(before, name, **labels)

    assert len(ok.effects) == 3
    # ingest counters
    assert delta("tradelane_ingest_events_total", channel="api", outcome="accepted") == 3
    assert delta("tradelane_ingest_events_total", channel="api", outcome="duplicate") == 1
    assert sum(
        v - before.get(k, 0.0) for k, v in m.items()
        if k[0] == "tradelane_ingest_rejected_total" and ("channel", "api") in k[1]
    ) == 1
    assert delta("tradelane_ingest_latency_seconds_count", channel="api") == 2  # the batch and the duplicate
    # delivery counters, per endpoint and outcome
    assert delta("tradelane_delivery_attempts_total", endpoint="ok", outcome="success") == 3
    assert delta("tradelane_delivery_attempts_total", endpoint="bad", outcome="dead") == 3
    assert delta("tradelane_delivery_dead_lettered_total", endpoint="bad") == 3
    assert delta("tradelane_delivery_retries_total", endpoint="down") >= 1
    assert delta("tradelane_delivery_latency_seconds_count", endpoint="ok") == 3
    assert delta("tradelane_http_requests_total", method="POST", route="/v1/events/batch", status="201") == 1
    # store gauges
    assert val(m, "tradelane_deliveries", status="pending") == 3
    assert val(m, "tradelane_destination_pending", endpoint="down") == 3
    assert val(m, "tradelane_destination_pending", endpoint="ok") == 0
    assert val(m, "tradelane_endpoint_breaker_state", endpoint="ok") == 0
    assert ("tradelane_queue_oldest_pending_age_seconds", (("lane", "bulk"),)) in m
    assert ("tradelane_queue_oldest_pending_age_seconds", (("lane", "critical"),)) not in m  # none pending
    assert ("tradelane_endpoint_since_success_seconds", (("endpoint", "ok"),)) in m
    assert ("tradelane_endpoint_since_success_seconds", (("endpoint", "down"),)) not in m


def test_metrics_can_be_turned_off_and_need_no_credentials(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'tl.db'}"
    on = load_settings(None, data_dir=tmp_path / "on", database={"url": db})
    with serve(on) as hub, httpx2.Client(base_url=hub.base_url, timeout=30) as c:
        r = c.get("/metrics")  # no Authorization header
        assert r.status_code == 200
        names = {f.name for f in text_string_to_metric_families(r.text)}
        assert {"tradelane_dlq_size", "tradelane_ingest_events", "tradelane_sla_breaches"} <= names
        spec = c.get("/openapi.json").json()["paths"]["/metrics"]["get"]
        assert spec["security"] == []
    off = load_settings(None, data_dir=tmp_path / "off", database={"url": db}, observability={"metrics_enabled": False})
    with serve(off) as hub, httpx2.Client(base_url=hub.base_url, timeout=30) as c:
        r = c.get("/metrics")
        assert r.status_code == 404
        assert r.headers["content-type"] == "application/problem+json"
        assert "metrics_enabled" in r.json()["detail"]


# -- traces -------------------------------------------------------------------------------------------


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    yield exporter
    tracing.shutdown()


def test_one_trace_spans_api_ingest_commit_and_the_webhook_send(
    db_url: str, tmp_path: Path, spans: InMemorySpanExporter
) -> None:
    sink = TracingSink(port=free_port())
    settings = delivery_settings(
        tmp_path, db_url, {"wms": {"url": sink.url}},
        [{"name": "to-wms", "events": ["tradelane.shipment.*"], "destination": "wms"}],
    )
    inbound_trace = "4bf92f3577b34da6a3ce929d0e0e4736"
    inbound = f"00-{inbound_trace}-00f067aa0ba902b7-01"
    with serve(settings, before_start=lambda: tracing.configure(settings.observability, exporter=spans)) as hub:
        hub.call(sink.start())
        try:
            auth = {"Authorization": f"Bearer {hub.key('acme')}"}
            with httpx2.Client(base_url=hub.base_url, timeout=30) as c:
                r = c.post("/v1/events", json=milestone(1, "shp_tr", 1).to_wire(), headers={**auth, "traceparent": inbound})
                assert r.status_code == 201, r.text
                # a second event, without an inbound trace: the hub starts one
                r = c.post("/v1/events", json=milestone(2, "shp_tr", 2).to_wire(), headers=auth)
                assert r.status_code == 201, r.text
            poll(lambda: len(sink.effects) == 2, "both events delivered")
            poll(lambda: sum(s.name == "delivery.attempt" for s in spans.get_finished_spans()) >= 2,
                 "attempt spans ended")
        finally:
            hub.call(sink.stop())

    finished = spans.get_finished_spans()
    by_trace: dict[str, list[Any]] = {}
    for s in finished:
        by_trace.setdefault(format(s.context.trace_id, "032x"), []).append(s)
    received = {doc["id"]: sink.traceparents[wid] for wid, doc in sink.effects.items()}
    assert all(received.values()), received

    for event_id, expected_trace in (("ms-shp_tr-1", inbound_trace), ("ms-shp_tr-2", None)):
        tp = received[event_id]
        assert tp is not None
        _, trace_id, span_id, _ = tp.split("-")
        if expected_trace is not None:
            assert trace_id == expected_trace  # the caller's trace continues through the hub to the partner
        chain = {s.name: s for s in by_trace[trace_id]}
        # one server span per request (FastAPI's native one is turned off for requests we trace)
        assert [s.name for s in by_trace[trace_id] if s.kind is SpanKind.SERVER] == ["POST /v1/events"]
        assert {"POST /v1/events", "ingest.submit", "store.commit", "delivery.attempt", "delivery.send"} <= set(chain)
        server, submit = chain["POST /v1/events"], chain["ingest.submit"]
        attempt, send = chain["delivery.attempt"], chain["delivery.send"]
        assert submit.parent.span_id == server.context.span_id
        assert chain["store.commit"].parent.span_id == submit.context.span_id
        assert attempt.parent.span_id == submit.context.span_id  # carried from ingest to the worker
        assert send.parent.span_id == attempt.context.span_id
        assert format(send.context.span_id, "016x") == span_id  # the sink saw the send span's traceparent
        assert server.attributes["http.route"] == "/v1/events"
        assert server.attributes["http.response.status_code"] == 201
        assert attempt.attributes["tradelane.delivery.outcome"] == "success"
        if expected_trace is not None:
            assert format(server.parent.span_id, "016x") == "00f067aa0ba902b7"
    claims = [s for s in finished if s.name == "delivery.claim"]
    assert claims and all(s.links for s in claims)
