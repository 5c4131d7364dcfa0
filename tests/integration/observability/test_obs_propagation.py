"""Trace propagation and metrics at the edges, against the real things: NATS JetStream message headers, Odoo
RPC (the Odoo emulator on loopback) and the OTLP/HTTP exporter (a loopback collector)."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from tradelane.connectors.odoo import OdooClient
from tradelane.connectors.odoo.settings import OdooSettings
from tradelane.core.errors import ConnectorError
from tradelane.observability import metrics, tracing
from tradelane.ports.delivery import ClaimedDelivery
from tradelane.settings import ObservabilitySettings
from tradelane.testing.odoo.server import OdooEmulator

DEADLINE_S = 60.0


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    tracing.configure(ObservabilitySettings(), exporter=exporter)
    yield exporter
    tracing.shutdown()


@pytest.mark.nats
async def test_nats_publish_carries_the_send_spans_traceparent(spans: InMemorySpanExporter) -> None:
    from tradelane.bus.nats import NatsBus, NatsPublisher

    stream = f"TL_OBS_{uuid.uuid4().hex[:8].upper()}"
    subject = f"obs.{uuid.uuid4().hex[:8]}.events"
    bus = NatsBus("nats://127.0.0.1:4222", stream)
    await bus.connect()
    try:
        await bus.ensure_streams([subject])
        assert bus.nc is not None
        got: asyncio.Queue[Any] = asyncio.Queue()
        sub = await bus.nc.subscribe(subject, cb=got.put)
        delivery = ClaimedDelivery(
            id="dlv_obs_1", tenant="acme", hub_id="evt_1", route="to-bus", destination="bus", lane="critical",
            partition_key=None, attempts=0, fence=1, lease_until=datetime.now(UTC),
            event={"id": "e1", "source": "urn:t", "type": "tradelane.shipment.milestone.v1"},
        )
        with tracing.span("delivery.send", kind=SpanKind.CLIENT) as sp:
            assert sp is not None
            await NatsPublisher(bus, subject)(delivery)
            ctx = sp.get_span_context()
        msg = await asyncio.wait_for(got.get(), DEADLINE_S)
        await sub.unsubscribe()
        assert msg.headers["traceparent"] == f"00-{ctx.trace_id:032x}-{ctx.span_id:016x}-{ctx.trace_flags:02x}"
        assert msg.headers["Nats-Msg-Id"] == "dlv_obs_1"
    finally:
        if bus.js is not None:
            for name in (stream, f"{stream}_EVENTS"):
                with contextlib.suppress(Exception):  # best-effort cleanup of a test stream
                    await bus.js.delete_stream(name)
        await bus.close()


@pytest.fixture
def odoo() -> Iterator[OdooEmulator]:
    with OdooEmulator(version="17.0", seed=5) as emu:
        yield emu


def _sample(name: str, **labels: str) -> float:
    return metrics.REGISTRY.get_sample_value(name, labels) or 0.0


async def test_odoo_rpc_calls_are_client_spans_and_counted(odoo: OdooEmulator, spans: InMemorySpanExporter) -> None:
    settings = OdooSettings(url=odoo.url, db=odoo.db, user=odoo.login, password=odoo.password,
                            retry_wait_initial_s=0.0, retry_wait_max_s=0.0)
    calls = ("tradelane_odoo_rpc_calls_total", {"model": "res.partner", "method": "search_read"})
    errors_before = sum(
        s.value for m in metrics.ODOO_RPC_ERRORS.collect() for s in m.samples
        if s.name.endswith("_total") and s.labels.get("model") == "no.such.model"
    )
    before = _sample(calls[0], **calls[1])
    async with OdooClient(settings) as client:
        with tracing.span("delivery.send", kind=SpanKind.CLIENT):
            rows = await client.search_read("res.partner", [], ["name"], limit=2)
            with pytest.raises(ConnectorError):
                await client.search_read("no.such.model", [], ["name"])
    assert rows
    assert _sample(calls[0], **calls[1]) == before + 1
    assert _sample("tradelane_odoo_rpc_latency_seconds_count", **calls[1]) >= 1
    errors_after = sum(
        s.value for m in metrics.ODOO_RPC_ERRORS.collect() for s in m.samples
        if s.name.endswith("_total") and s.labels.get("model") == "no.such.model"
    )
    assert errors_after == errors_before + 1
    done = spans.get_finished_spans()
    send = next(s for s in done if s.name == "delivery.send")
    ok = next(s for s in done if s.name == "odoo res.partner.search_read")
    bad = next(s for s in done if s.name == "odoo no.such.model.search_read")
    assert ok.kind is SpanKind.CLIENT and ok.parent.span_id == send.context.span_id
    assert ok.attributes["rpc.method"] == "search_read"
    assert ok.status.status_code is StatusCode.UNSET
    assert bad.status.status_code is StatusCode.ERROR and bad.events[0].name == "exception"


class _Collector(BaseHTTPRequestHandler):
    received: list[tuple[str, bytes]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        type(self).received.append((self.path, body))
        self.send_response(200)
        self.send_header("content-type", "application/x-protobuf")
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *_: Any) -> None:
        return


def test_otlp_exporter_sends_spans_to_the_collector() -> None:
    _Collector.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Collector)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        endpoint = f"http://127.0.0.1:{server.server_address[1]}"
        provider = tracing.configure(
            ObservabilitySettings(traces_exporter="otlp", otlp_endpoint=endpoint, service_name="tl-obs-test")
        )
        assert provider is not None
        with tracing.span("exported.span", attributes={"k": "v"}):
            pass
        assert provider.force_flush(int(DEADLINE_S * 1000))
    finally:
        tracing.shutdown()
        server.shutdown()
        server.server_close()
    assert _Collector.received, "the collector received nothing"
    path, body = _Collector.received[0]
    assert path == "/v1/traces"
    req = ExportTraceServiceRequest()
    req.ParseFromString(body)
    (rs,) = req.resource_spans
    service = next(a.value.string_value for a in rs.resource.attributes if a.key == "service.name")
    names = [s.name for ss in rs.scope_spans for s in ss.spans]
    assert service == "tl-obs-test" and names == ["exported.span"]
