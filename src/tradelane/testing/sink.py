"""A webhook sink: a real HTTP/1.1 server on loopback that records the *effects* of deliveries.

Used by the delivery tests, ``make chaos`` and the end-to-end benchmarks. It behaves like a careful
receiver: it verifies the Standard Webhooks signature (when given a secret), applies each delivery at most
once keyed by ``webhook-id`` (the idempotency key) and answers 2xx for repeats. It counts what a test needs:

* ``effects``: webhook-id → the event (applied once);
* ``http_duplicates``: requests for an already applied webhook-id (at-least-once at work, harmless);
* ``effect_duplicates``: two *different* webhook-ids carrying the same (event id, source) for the same sink
  — a duplicate business effect, i.e. a bug in the hub;
* ``arrivals``: (partition key, sequence) in arrival order, to check ordering lanes.

Faults: ``fail_ratio`` answers 500 to that share of requests (seeded), ``delay_s`` sleeps before answering,
``status_for`` overrides the status per request. With ``record_path`` every effect is appended to a file
(fsync'd) so a chaos run can count effects across sink restarts.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from tradelane.delivery.signing import SignatureError, SignatureScheme, verify

__all__ = ["WebhookSink"]


@dataclass
class WebhookSink:
    host: str = "127.0.0.1"
    port: int = 0
    fail_ratio: float = 0.0
    seed: int = 7
    delay_s: float = 0.0
    secrets: tuple[str, ...] = ()
    status_for: Callable[[dict[str, Any]], int | None] | None = None
    record_path: str | None = None
    effects: dict[str, dict[str, Any]] = field(default_factory=dict)
    effect_keys: dict[tuple[str, str], str] = field(default_factory=dict)
    http_duplicates: int = 0
    effect_duplicates: int = 0
    requests: int = 0
    failures_injected: int = 0
    bad_signatures: int = 0
    arrivals: list[tuple[str | None, int | None, str]] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)
    first_effect_at: float | None = None
    last_effect_at: float | None = None

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        self._server: asyncio.AbstractServer | None = None
        self._record: Any = None
        self.changed = asyncio.Event()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/hook"

    async def start(self) -> WebhookSink:
        if self.record_path:
            self._record = open(self.record_path, "ab")  # noqa: ASYNC230 - once, at start-up
        self._server = await asyncio.start_server(self._conn, self.host, self.port, backlog=1024)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)
        if self._record is not None:
            self._record.close()

    async def wait_for(self, n: int, timeout_s: float = 30.0) -> None:
        """Wait until ``n`` distinct effects were applied."""
        deadline = time.monotonic() + timeout_s
        while len(self.effects) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"sink saw {len(self.effects)} of {n} effects")
            self.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), min(left, 0.5))

    def stats(self) -> dict[str, Any]:
        """Counters and latency percentiles, also served at ``GET /stats``."""
        lat = sorted(self.latencies_ms)

        def pct(p: float) -> float | None:
            return round(lat[min(len(lat) - 1, int(p * len(lat)))], 2) if lat else None

        return {
            "latency_ms_p50": pct(0.50),
            "latency_ms_p90": pct(0.90),
            "latency_ms_p99": pct(0.99),
            "latency_ms_max": round(lat[-1], 2) if lat else None,
            "first_effect_at": self.first_effect_at,
            "last_effect_at": self.last_effect_at,
            "requests": self.requests,
            "effects": len(self.effects),
            "http_duplicates": self.http_duplicates,
            "effect_duplicates": self.effect_duplicates,
            "failures_injected": self.failures_injected,
            "bad_signatures": self.bad_signatures,
        }

    async def _conn(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                headers: dict[str, str] = {}
                for line in lines[1:]:
                    if ":" in line:
                        k, v = line.split(":", 1)
                        headers[k.strip().lower()] = v.strip()
                length = int(headers.get("content-length", "0"))
                body = await reader.readexactly(length) if length else b""
                if lines[0].startswith("GET /stats"):
                    status, payload = 200, orjson.dumps(self.stats())
                else:
                    status = await self._handle(headers, body)
                    payload = b'{"ok":true}' if status < 300 else b'{"ok":false}'
                reason = {200: "OK", 401: "Unauthorized", 500: "Internal Server Error"}.get(status, "Status")
                writer.write(
                    f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\n"
                    f"content-length: {len(payload)}\r\n\r\n".encode()
                    + payload
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()

    async def _handle(self, headers: dict[str, str], body: bytes) -> int:
        self.requests += 1
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        if self.secrets:
            try:
                verify(SignatureScheme.STANDARD, self.secrets, headers, body, int(time.time()))
            except SignatureError:
                self.bad_signatures += 1
                return 401
        try:
            doc = orjson.loads(body)
        except orjson.JSONDecodeError:
            return 400
        if self.status_for is not None:
            forced = self.status_for(doc)
            if forced is not None:
                return forced
        if self.fail_ratio and self._rng.random() < self.fail_ratio:
            self.failures_injected += 1
            return 500
        msg_id = headers.get("webhook-id", "")
        if msg_id in self.effects:
            self.http_duplicates += 1
            return 200
        key = (str(doc.get("source")), str(doc.get("id")))
        if key in self.effect_keys:
            self.effect_duplicates += 1
        self.effect_keys[key] = msg_id
        self.effects[msg_id] = doc
        now = time.time()
        self.first_effect_at = self.first_effect_at or now
        self.last_effect_at = now
        self.arrivals.append((doc.get("partitionkey"), doc.get("sequence"), msg_id))
        sent = doc.get("time")
        if isinstance(sent, str):  # end-to-end latency: the producer stamps the event's time when sending
            with contextlib.suppress(ValueError):
                t = datetime.fromisoformat(sent.replace("Z", "+00:00")).timestamp()
                self.latencies_ms.append(max(0.0, (time.time() - t) * 1000))
        if self._record is not None:
            self._record.write(orjson.dumps({"wid": msg_id, "id": key[1], "source": key[0]}) + b"\n")
            self._record.flush()
            os.fsync(self._record.fileno())
        self.changed.set()
        return 200


def main() -> None:  # pragma: no cover - run as a separate process by chaos runs and benchmarks
    """``python -m tradelane.testing.sink --port P --fail-ratio 0.2 --seed 1 --record effects.jsonl``"""
    import argparse

    ap = argparse.ArgumentParser(description="Tradelane webhook sink (records effects by webhook-id)")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--fail-ratio", type=float, default=0.0)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--delay-ms", type=float, default=0.0)
    ap.add_argument("--record", default=None, help="append each applied effect to this file (fsync'd)")
    args = ap.parse_args()

    sink = WebhookSink(
        host=args.host,
        port=args.port,
        fail_ratio=args.fail_ratio,
        seed=args.seed,
        delay_s=args.delay_ms / 1000,
        record_path=args.record,
    )
    if args.record and os.path.exists(args.record):  # a restarted sink remembers what it applied
        with open(args.record, "rb") as fh:
            for line in fh:
                with contextlib.suppress(orjson.JSONDecodeError):
                    rec = orjson.loads(line)
                    sink.effects[rec["wid"]] = rec
                    sink.effect_keys[(rec["source"], rec["id"])] = rec["wid"]

    async def serve() -> None:
        await sink.start()
        print(f"sink listening on {sink.url}", flush=True)
        await asyncio.Event().wait()

    asyncio.run(serve())


if __name__ == "__main__":  # pragma: no cover
    main()
