"""Distributed mode, as separate processes (``tradelane run --role api|relay|worker`` on PostgreSQL + NATS
JetStream): the worker process continues the trace an HTTP request started in the API process.

The only path between the two processes is the database (the relay's dispatch message carries an id and a
fence, nothing else), so the trace can cross only through the ``traceparent`` stored on the delivery row.
Spans of both processes are exported over OTLP/HTTP to a collector on loopback.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx2
import pytest
import yaml
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from tradelane.testing.delivery import milestone
from tradelane.testing.net import free_port
from tradelane.testing.sink import WebhookSink
from tradelane.testing.wait import WAIT_S

pytestmark = [pytest.mark.postgres, pytest.mark.nats]

TRADELANE = str(Path(sys.executable).parent / "tradelane")
SECRET = "trace-test-secret-" + uuid.uuid4().hex
INBOUND_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
INBOUND = f"00-{INBOUND_TRACE}-00f067aa0ba902b7-01"


class _Collector(BaseHTTPRequestHandler):
    """OTLP/HTTP trace receiver: keeps every span with its service name."""

    spans: list[tuple[str, Any]] = []
    lock = threading.Lock()

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        req = ExportTraceServiceRequest()
        req.ParseFromString(body)
        with self.lock:
            for rs in req.resource_spans:
                service = next(
                    (a.value.string_value for a in rs.resource.attributes if a.key == "service.name"), ""
                )
                for ss in rs.scope_spans:
                    type(self).spans.extend((service, s) for s in ss.spans)
        self.send_response(200)
        self.send_header("content-type", "application/x-protobuf")
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *_: Any) -> None:
        return


@pytest.fixture
def collector() -> Iterator[str]:
    _Collector.spans = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Collector)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class TracingSink(WebhookSink):
    """The webhook sink, also keeping the ``traceparent`` each delivery arrived with."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.traceparents: dict[str, str | None] = {}

    async def _handle(self, headers: dict[str, str], body: bytes) -> int:
        self.traceparents.setdefault(headers.get("webhook-id", ""), headers.get("traceparent"))
        return await super()._handle(headers, body)


def _config(path: Path, service: str, pg_url: str, sink_url: str, collector: str, stream: str) -> Path:
    cfg = {
        "mode": "distributed",
        "data_dir": str(path.parent / "data"),
        "database": {"url": pg_url},
        "bus": {"url": "nats://127.0.0.1:4222", "stream": stream},
        "endpoints": {"tms": {"url": sink_url, "allow": ["127.0.0.1"]}},
        "routes": [{"name": "to-tms", "events": ["tradelane.shipment.*"], "destination": "tms"}],
        "delivery": {"poll_interval_s": 0.05, "lease_s": 5},
        "observability": {"traces_exporter": "otlp", "otlp_endpoint": collector, "service_name": service},
    }
    path.write_text(yaml.safe_dump(cfg))
    return path


def _start(tmp_path: Path, api_cfg: Path, worker_cfg: Path, port: int) -> tuple[list[subprocess.Popen[bytes]], str]:
    """Migrate, start the API, relay and worker processes, and create an API key; returns them and the key."""
    env = {**os.environ, "TRADELANE_SECRET_KEY": SECRET}
    subprocess.run([TRADELANE, "db", "upgrade", "-c", str(api_cfg)], env=env, check=True, capture_output=True)
    with open(tmp_path / "processes.log", "ab") as logs:
        procs = [
            subprocess.Popen([TRADELANE, "run", "--role", role, "-c", str(cfg), *extra], env=env, stdout=logs,
                             stderr=subprocess.STDOUT)
            for role, cfg, extra in (
                ("api", api_cfg, ["--port", str(port)]),
                ("relay", worker_cfg, []),
                ("worker", worker_cfg, []),
            )
        ]
    out = subprocess.run(
        [TRADELANE, "keys", "create", "trace", "--tenant", "acme", "--scope", "events:write", "-c", str(api_cfg)],
        env=env, capture_output=True, text=True, check=True,
    ).stdout
    return procs, next(t for t in out.split() if t.startswith("tl_pk_"))


def _stop(procs: list[subprocess.Popen[bytes]]) -> None:
    """SIGTERM: each process stops gracefully and flushes its spans."""
    for p in procs:
        p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(30)
        except subprocess.TimeoutExpired:
            p.kill()


async def _wait(predicate: Any, what: str) -> None:
    deadline = asyncio.get_running_loop().time() + WAIT_S
    while not await predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def test_a_worker_process_continues_the_trace_of_the_api_process(
    pg_url: str, tmp_path: Path, collector: str
) -> None:
    sink = await TracingSink().start()
    stream = f"TL_TRACE_{uuid.uuid4().hex[:8].upper()}"
    api_cfg = _config(tmp_path / "api.yaml", "tl-api", pg_url, sink.url, collector, stream)
    worker_cfg = _config(tmp_path / "worker.yaml", "tl-worker", pg_url, sink.url, collector, stream)
    port = free_port()
    procs: list[subprocess.Popen[bytes]] = []
    try:
        procs, key = await asyncio.to_thread(_start, tmp_path, api_cfg, worker_cfg, port)
        async with httpx2.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:

            async def up() -> bool:
                try:
                    return (await client.get("/v1/health/live")).status_code == 200
                except httpx2.TransportError:
                    return False

            await _wait(up, "the API process")
            r = await client.post(
                "/v1/events",
                json=milestone(1, "shp_trace", 1).to_wire(),
                headers={"Authorization": f"Bearer {key}", "traceparent": INBOUND},
            )
            assert r.status_code == 201, r.text

        async def delivered() -> bool:
            return len(sink.effects) == 1

        await _wait(delivered, "the delivery at the sink")
    finally:
        await asyncio.to_thread(_stop, procs)
        await sink.stop()
        import nats

        nc = await nats.connect("nats://127.0.0.1:4222")
        try:
            await nc.jetstream().delete_stream(stream)
        finally:
            await nc.close()

    # the partner saw the caller's trace, continued by the worker process's send span
    ((wid, tp),) = sink.traceparents.items()
    assert tp is not None
    _, trace_id, send_span_id, _ = tp.split("-")
    assert trace_id == INBOUND_TRACE

    spans = [(svc, s) for svc, s in _Collector.spans if s.trace_id.hex() == INBOUND_TRACE]
    by_name = {(svc, s.name): s for svc, s in spans}
    submit = by_name[("tl-api", "ingest.submit")]
    attempt = by_name[("tl-worker", "delivery.attempt")]
    send = by_name[("tl-worker", "delivery.send")]
    assert attempt.parent_span_id == submit.span_id  # across processes, through the delivery row
    assert send.parent_span_id == attempt.span_id
    assert send.span_id.hex() == send_span_id
    assert {a.key: a.value.string_value for a in attempt.attributes}["tradelane.delivery.id"] == wid
