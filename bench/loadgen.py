"""A small HTTP/1.1 keep-alive load generator for the benchmarks (loopback only).

Each of ``concurrency`` connections sends requests back to back (closed loop) for ``duration`` seconds,
or paced to a fixed total ``rate`` (open loop, for latency at a given load). Bodies come from a
``make_body(i)`` callable so every request can carry a unique event id. Prints nothing; returns figures.
It is deliberately lighter than an HTTP client library so the client does not bound what we measure.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["LoadResult", "run_load"]


@dataclass
class LoadResult:
    requests: int = 0
    ok: int = 0
    errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    latencies_ms: list[float] = field(default_factory=list)
    elapsed_s: float = 0.0
    ok_ids: list[int] = field(default_factory=list)

    @property
    def rps(self) -> float:
        return self.ok / self.elapsed_s if self.elapsed_s else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        xs = sorted(self.latencies_ms)
        return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length = 0
    chunked = False
    for line in lines[1:]:
        k, _, v = line.partition(b":")
        kl = k.strip().lower()
        if kl == b"content-length":
            length = int(v.strip())
        elif kl == b"transfer-encoding" and b"chunked" in v.lower():
            chunked = True
    if chunked:
        body = b""
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip(), 16)
            chunk = await reader.readexactly(size + 2)
            if size == 0:
                break
            body += chunk[:-2]
        return status, body
    return status, await reader.readexactly(length)


async def run_load(
    host: str,
    port: int,
    path: str,
    make_body: Callable[[int], bytes],
    *,
    headers: dict[str, str] | None = None,
    concurrency: int = 32,
    duration: float = 5.0,
    warmup: float = 1.0,
    rate: float | None = None,
    max_requests: int | None = None,
    record_ok_ids: bool = False,
) -> LoadResult:
    """Drive ``POST path`` and return the figures of the measured window (after ``warmup``)."""
    extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
    result = LoadResult()
    counter = 0
    t0 = time.perf_counter()
    measure_from = t0 + warmup
    stop_at = measure_from + duration
    interval = concurrency / rate if rate else 0.0

    async def worker(n: int) -> None:
        nonlocal counter
        reader, writer = await asyncio.open_connection(host, port)
        next_send = time.perf_counter() + (interval * n / concurrency if rate else 0.0)
        try:
            while True:
                now = time.perf_counter()
                if now >= stop_at or (max_requests is not None and counter >= max_requests):
                    return
                if rate:
                    if next_send > now:
                        await asyncio.sleep(next_send - now)
                    next_send += interval
                i = counter
                counter += 1
                body = make_body(i)
                req = (
                    f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(body)}\r\n{extra}\r\n"
                ).encode() + body
                start = time.perf_counter()
                writer.write(req)
                try:
                    status, _ = await _read_response(reader)
                except (asyncio.IncompleteReadError, ConnectionError):
                    result.errors += 1
                    return
                end = time.perf_counter()
                if start >= measure_from and end <= stop_at:
                    result.requests += 1
                    result.statuses[status] = result.statuses.get(status, 0) + 1
                    if 200 <= status < 300:
                        result.ok += 1
                        result.latencies_ms.append((end - start) * 1000)
                if record_ok_ids and 200 <= status < 300:
                    result.ok_ids.append(i)
        finally:
            writer.close()

    await asyncio.gather(*(worker(n) for n in range(concurrency)), return_exceptions=False)
    result.elapsed_s = min(time.perf_counter(), stop_at) - measure_from
    return result
