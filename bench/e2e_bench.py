"""End-to-end delivery benchmarks (ingest over HTTP → delivered to a local HTTP sink), printed as JSON lines.

* ``e2e.events_per_s`` — 10,000 events posted in batches of 100 as fast as the hub takes them; events per
  second from the first POST to the last effect at the sink. Embedded (one process, SQLite) and distributed
  (``--role api`` + relay + 2 workers, PostgreSQL + NATS JetStream).
* ``e2e.p99_ms_at_500`` — single events posted at a fixed 500 events/s for 10 s; p99 of (sink receives −
  event's ``time`` stamped at send), with the shape (p50/p90/max) and the POST round trip's p50/p99 printed
  alongside (the ingest share). ``--runs N`` repeats the embedded phase on fresh hubs (the tail of one run on
  a shared machine says little).
* ``workers.scaling_2v1`` — a backlog of 4,000 events drained by 1 worker, then by 2, against a sink that
  answers in 50 ms (distributed mode, 16 concurrent sends per worker): drain rate of 2 over 1.

Every process is real: the hub via ``tradelane run``, the sink via ``python -m tradelane.testing.sink``.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx2

sys.path.insert(0, str(Path(__file__).resolve().parent))
from chaos import TRADELANE, Proc, event, free_port

SECRET = "bench-secret-" + uuid.uuid4().hex


def config(work: Path, db_url: str, sink_port: int, *, bus: str = "", concurrency: int = 64) -> Path:
    import yaml

    cfg: dict[str, Any] = {
        "mode": "distributed" if bus else "embedded",
        "data_dir": str(work / "data"),
        "database": {"url": db_url},
        "endpoints": {"sink": {"url": f"http://127.0.0.1:{sink_port}/hook", "allow": ["127.0.0.1"],
                               "max_in_flight": concurrency}},
        "routes": [{"name": "all-to-sink", "events": ["tradelane.*"], "destination": "sink"}],
        "delivery": {"critical_concurrency": concurrency, "poll_interval_s": 0.1, "claim_batch": 128},
        "security": {"rate_limit_enabled": False},
    }
    if bus:
        cfg["bus"] = {"url": bus, "stream": "BENCH" + uuid.uuid4().hex[:6].upper()}
    path = work / "tradelane.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def key(cfg: Path, env: dict[str, str]) -> str:
    out = subprocess.run([TRADELANE, "keys", "create", "bench", "--tenant", "bench", "--scope", "events:write",
                          "-c", str(cfg)], env=env, capture_output=True, text=True, check=True).stdout
    return next(t for t in out.split() if t.startswith("tl_pk_"))


async def sink_stats(port: int) -> dict[str, Any]:
    async with httpx2.AsyncClient(timeout=10) as c:
        return dict((await c.get(f"http://127.0.0.1:{port}/stats")).json())


async def wait_effects(port: int, n: int, timeout_s: float = 300) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        st = await sink_stats(port)
        if st["effects"] >= n or time.monotonic() > deadline:
            return st
        await asyncio.sleep(0.1)


async def throughput(base: str, api_key: str, sink_port: int, n: int = 10_000, offset: int = 0) -> float:
    t0 = time.time()
    sem = asyncio.Semaphore(8)
    async with httpx2.AsyncClient(base_url=base, timeout=30) as c:

        async def post(b: int) -> None:
            body = [event(offset + i, 500) for i in range(b * 100, (b + 1) * 100)]
            async with sem:
                r = await c.post("/v1/events/batch", json=body, headers={"Authorization": f"Bearer {api_key}"})
                r.raise_for_status()

        await asyncio.gather(*(post(b) for b in range(n // 100)))
    st = await wait_effects(sink_port, n)
    return n / (st["last_effect_at"] - t0)


async def fixed_rate(base: str, api_key: str, sink_port: int, rate: int = 500, seconds: int = 10,
                     offset: int = 0) -> tuple[float, float, dict[str, float | None]]:
    """Single events at a fixed rate (aiohttp client: the load generator must not eat the hub's CPU).
    Returns the end-to-end p99 and p50 and, to tell ingest from delivery, the POST round trip's p50/p99."""
    import aiohttp
    import orjson

    before = (await sink_stats(sink_port))["effects"]
    n = rate * seconds
    headers = {"Authorization": f"Bearer {api_key}", "content-type": "application/json"}
    posts: list[float] = []
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=64)) as c:
        start = time.monotonic()
        tasks = []

        async def post(i: int) -> None:
            doc = event(offset + i, 500)
            doc["time"] = datetime.now(UTC).isoformat()
            t0 = time.perf_counter()
            async with c.post(f"{base}/v1/events", data=orjson.dumps(doc), headers=headers) as r:
                await r.read()
                assert r.status == 201, r.status
            posts.append((time.perf_counter() - t0) * 1000)

        for i in range(n):
            delay = start + i / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(post(i)))
        await asyncio.gather(*tasks)
    st = await wait_effects(sink_port, before + n)
    posts.sort()
    split = {"p90_ms": st.get("latency_ms_p90"), "max_ms": st.get("latency_ms_max"),
             "post_p50_ms": round(posts[len(posts) // 2], 1), "post_p99_ms": round(posts[int(len(posts) * 0.99)], 1)}
    return float(st["latency_ms_p99"]), float(st["latency_ms_p50"]), split


def emit(name: str, value: float, unit: str, target: float | None, **cond: Any) -> None:
    out: dict[str, Any] = {"bench": name, "value": round(value, 1), "unit": unit}
    if target is not None:
        out["target"] = target
    out.update(cond)
    print(json.dumps(out), flush=True)


def fresh_pg() -> str:
    import psycopg

    name = f"tl_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(os.environ.get("TRADELANE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test"),
                         autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}"')
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


async def embedded(work: Path) -> None:
    env = {**os.environ, "TRADELANE_SECRET_KEY": SECRET}
    sink_port, api_port = free_port(), free_port()
    cfg = config(work, f"sqlite:///{work / 'tl.db'}", sink_port)
    sink = Proc("sink", [sys.executable, "-m", "tradelane.testing.sink", "--port", str(sink_port)], env, work, sink_port)
    hub = Proc("hub", [TRADELANE, "run", "-c", str(cfg), "--port", str(api_port)], env, work, api_port)
    sink.start()
    hub.start()
    try:
        k = key(cfg, env)
        base = f"http://127.0.0.1:{api_port}"
        eps = await throughput(base, k, sink_port)
        emit("e2e.events_per_s", eps, "events/s", 1500, mode="embedded", events=10_000, batch=100)
        p99, p50, split = await fixed_rate(base, k, sink_port, offset=100_000)
        emit("e2e.p99_ms_at_500", p99, "ms", 50, mode="embedded", rate=500, seconds=10, p50_ms=p50, **split,
             load=round(os.getloadavg()[0], 1))
    finally:
        hub.stop()
        sink.stop()


async def distributed(work: Path) -> None:
    env = {**os.environ, "TRADELANE_SECRET_KEY": SECRET}
    sink_port, api_port = free_port(), free_port()
    cfg = config(work, fresh_pg(), sink_port, bus="nats://127.0.0.1:4222")
    subprocess.run([TRADELANE, "db", "upgrade", "-c", str(cfg)], env=env, check=True, capture_output=True)
    sink = Proc("sink", [sys.executable, "-m", "tradelane.testing.sink", "--port", str(sink_port)], env, work, sink_port)
    api = Proc("api", [TRADELANE, "run", "--role", "api", "-c", str(cfg), "--port", str(api_port)], env, work, api_port)
    relay = Proc("relay", [TRADELANE, "run", "--role", "relay", "-c", str(cfg)], env, work)
    workers = [Proc(f"w{i}", [TRADELANE, "run", "--role", "worker", "-c", str(cfg)], env, work) for i in range(2)]
    procs = [sink, api, relay, *workers]
    for p in procs:
        p.start()
    try:
        k = key(cfg, env)
        base = f"http://127.0.0.1:{api_port}"
        eps = await throughput(base, k, sink_port)
        emit("e2e.events_per_s", eps, "events/s", None, mode="distributed", workers=2, events=10_000)
        p99, p50, split = await fixed_rate(base, k, sink_port, offset=100_000)
        emit("e2e.p99_ms_at_500", p99, "ms", None, mode="distributed", rate=500, seconds=10, p50_ms=p50, **split,
             load=round(os.getloadavg()[0], 1))
    finally:
        for p in reversed(procs):
            p.stop()


async def scaling(work: Path) -> None:
    env = {**os.environ, "TRADELANE_SECRET_KEY": SECRET}
    rates = {}
    for n_workers in (1, 2):
        sub = work / f"scale{n_workers}"
        sub.mkdir()
        sink_port, api_port = free_port(), free_port()
        cfg = config(sub, fresh_pg(), sink_port, bus="nats://127.0.0.1:4222", concurrency=16)
        subprocess.run([TRADELANE, "db", "upgrade", "-c", str(cfg)], env=env, check=True, capture_output=True)
        sink = Proc("sink", [sys.executable, "-m", "tradelane.testing.sink", "--port", str(sink_port),
                             "--delay-ms", "50"], env, sub, sink_port)
        api = Proc("api", [TRADELANE, "run", "--role", "api", "-c", str(cfg), "--port", str(api_port)], env, sub,
                   api_port)
        relay = Proc("relay", [TRADELANE, "run", "--role", "relay", "-c", str(cfg)], env, sub)
        workers = [Proc(f"w{i}", [TRADELANE, "run", "--role", "worker", "-c", str(cfg)], env, sub)
                   for i in range(n_workers)]
        for p in (sink, api):
            p.start()
        try:
            k = key(cfg, env)
            n = 4000
            async with httpx2.AsyncClient(base_url=f"http://127.0.0.1:{api_port}", timeout=30) as c:
                for b in range(n // 100):
                    body = [event(i, 500) for i in range(b * 100, (b + 1) * 100)]
                    (await c.post("/v1/events/batch", json=body,
                                  headers={"Authorization": f"Bearer {k}"})).raise_for_status()
            for p in (relay, *workers):
                p.start()
            st = await wait_effects(sink_port, n)
            rates[n_workers] = n / (st["last_effect_at"] - st["first_effect_at"])
        finally:
            for p in (*workers, relay, api, sink):
                p.stop()
    emit("workers.scaling_2v1", rates[2] / rates[1], "x", 1.7, one_worker_eps=round(rates[1], 1),
         two_workers_eps=round(rates[2], 1), sink_latency_ms=50, concurrency_per_worker=16)


def main() -> None:
    import argparse

    ap = argparse.ArgumentParser(description="end-to-end delivery benchmarks (JSON lines)")
    names = ["embedded", "distributed", "scaling"]
    ap.add_argument("phases", nargs="*", help=f"phases to run: {', '.join(names)} (default: all)")
    ap.add_argument("--runs", type=int, default=1, help="repeat the embedded phase on fresh hubs")
    args = ap.parse_args()
    unknown = [p for p in args.phases if p not in names]
    if unknown:
        ap.error(f"unknown phase {unknown[0]!r}; choose from {', '.join(names)}")
    work = Path(tempfile.mkdtemp(prefix="tradelane-e2e-bench-"))
    only = args.phases or ["embedded", "distributed", "scaling"]
    for phase in [p for p in (embedded, distributed, scaling) if p.__name__ in only]:
        for run in range(args.runs if phase is embedded else 1):
            sub = work / f"{phase.__name__}{run}"
            sub.mkdir()
            try:
                asyncio.run(phase(sub))
            except Exception as exc:  # one failed phase must not hide the others' figures
                print(json.dumps({"bench": f"e2e.{phase.__name__}", "error": f"{type(exc).__name__}: {exc}"}),
                      flush=True)


if __name__ == "__main__":
    main()
