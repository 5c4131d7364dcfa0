"""Benchmarks of the ingest path: ``ingest.bare_rps``, ``ingest.durable_rps`` and ``ingest.ratio``.

Both servers run as single uvicorn processes on loopback, driven by the same closed-loop load generator
(32 concurrent keep-alive connections) in this process, which is neither server: each server shares the
machine with the generator in the same way. The durable one is the real ingest path (auth, rate limit,
validation, group commit into embedded SQLite with WAL and synchronous=FULL).

The machine may be shared (CI, other jobs), so the two are measured in alternating rounds (bare, durable,
bare, durable, …) rather than one after the other: a burst of outside load then hits both sides instead of
skewing the ratio. Each figure is the total over its rounds; ``round_ratios`` shows the spread.

Each rate line also gives the server's CPU per answered request (``server_cpu_us_per_req``: user + system
time of all its threads, from ``/proc``), which moves less than the rates when the machine is shared.

The bench credential's rate limit is raised above any rate this machine reaches: the limiter still runs on
every request (its cost is measured), it just never refuses one, as for a partner sized for this load.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid

import orjson

sys.path.insert(0, os.path.dirname(__file__))
from _servers import BIN, free_port, process
from loadgen import LoadResult, run_load

from tradelane.core.examples import EXAMPLES

CONCURRENCY = 32
#: measured seconds per side, split over the rounds
DURATION_S = float(os.environ.get("BENCH_DURATION", "6"))
#: alternating rounds per side
ROUNDS = max(1, int(os.environ.get("BENCH_ROUNDS", "3")))
#: seconds of load before the first round of each side (caches, connection pools, first compilations)
WARMUP_S = 1.0
#: seconds at the start of every round that are not counted (connections being opened)
ROUND_WARMUP_S = 0.25
EVENT_TYPE = "tradelane.shipment.milestone.v1"
#: rate limit of the bench credential (requests/s and burst): far above what the machine sustains
BENCH_RATE_LIMIT = 1_000_000


def make_body_factory(run: str):
    template = {
        "specversion": "1.0",
        "id": "",
        "source": "/partners/bench-carrier",
        "type": EVENT_TYPE,
        "time": "2026-11-22T10:00:00Z",
        "correlationid": "bench",
        "data": EXAMPLES[EVENT_TYPE],
    }

    def make(i: int) -> bytes:
        template["id"] = f"{run}-{i}"
        return orjson.dumps(template)

    return make


def _cpu_s(pid: int) -> float | None:
    """User + system CPU seconds of process ``pid`` so far (all threads); ``None`` where /proc is missing."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _merge(parts: list[LoadResult]) -> LoadResult:
    out = LoadResult()
    for p in parts:
        out.requests += p.requests
        out.ok += p.ok
        out.errors += p.errors
        out.elapsed_s += p.elapsed_s
        out.latencies_ms.extend(p.latencies_ms)
        for k, v in p.statuses.items():
            out.statuses[k] = out.statuses.get(k, 0) + v
    return out


def main() -> None:
    run = uuid.uuid4().hex[:8]
    per_round = DURATION_S / ROUNDS
    with contextlib.ExitStack() as stack:
        tmp = stack.enter_context(tempfile.TemporaryDirectory())
        env = {
            "TRADELANE_DATA_DIR": tmp,
            "TRADELANE_SECURITY__RATE_LIMIT__PER_S": str(BENCH_RATE_LIMIT),
            "TRADELANE_SECURITY__RATE_LIMIT__BURST": str(BENCH_RATE_LIMIT),
        }
        key = subprocess.run(
            [str(BIN / "tradelane"), "keys", "create", "bench", "--tenant", "bench"],
            env={**os.environ, **env}, capture_output=True, text=True, check=True,
        ).stdout.strip()
        bare_port, durable_port = free_port(), free_port()
        bare_proc = stack.enter_context(process(
            [str(BIN / "uvicorn"), "bench.bare_app:app", "--port", str(bare_port), "--log-level", "warning",
             "--no-access-log"],
            bare_port,
        ))
        durable_proc = stack.enter_context(
            process([str(BIN / "tradelane"), "run", "--port", str(durable_port)], durable_port, env)
        )
        sides = {
            "bare": (bare_port, make_body_factory(run + "b"), None, bare_proc.pid),
            "durable": (durable_port, make_body_factory(run + "d"), {"Authorization": f"Bearer {key}"},
                        durable_proc.pid),
        }
        offsets = dict.fromkeys(sides, 0)
        #: per side: server CPU seconds (all threads, user + system) and wall seconds over the measured rounds
        cpu: dict[str, list[float]] = {side: [0.0, 0.0] for side in sides}

        def load(side: str, duration: float, warmup: float, measured: bool = True) -> LoadResult:
            port, make, headers, pid = sides[side]
            base = offsets[side]
            offsets[side] += 10_000_000  # every round gets fresh event ids

            def body(i: int) -> bytes:
                return make(base + i)

            before, started = _cpu_s(pid), time.perf_counter()
            result = asyncio.run(
                run_load("127.0.0.1", port, "/v1/events", body, headers=headers, concurrency=CONCURRENCY,
                         duration=duration, warmup=warmup)
            )
            after = _cpu_s(pid)
            if measured and before is not None and after is not None:
                cpu[side][0] += after - before
                cpu[side][1] += time.perf_counter() - started
            return result

        for side in sides:
            load(side, WARMUP_S, 0.0, measured=False)
        rounds: dict[str, list[LoadResult]] = {side: [] for side in sides}
        for _ in range(ROUNDS):
            for side in sides:
                rounds[side].append(load(side, per_round, ROUND_WARMUP_S))
    bare, durable = _merge(rounds["bare"]), _merge(rounds["durable"])

    def cpu_us(side: str, res: LoadResult) -> float | None:
        """Server CPU µs per answered request: the CPU it used per second of load over its request rate
        (steadier than the rates when other work shares the machine)."""
        used, wall = cpu[side]
        return round(used / wall / res.rps * 1e6, 1) if wall and res.rps else None

    cond = {"concurrency": CONCURRENCY, "duration_s": DURATION_S, "rounds": ROUNDS,
            "transport": "loopback http/1.1 keep-alive"}
    print(json.dumps({"bench": "ingest.bare_rps", "value": round(bare.rps, 1), "unit": "req/s",
                      "p50_ms": round(bare.percentile(50), 2), "p99_ms": round(bare.percentile(99), 2),
                      "errors": bare.errors, "server_cpu_us_per_req": cpu_us("bare", bare), **cond}))
    print(json.dumps({"bench": "ingest.durable_rps", "value": round(durable.rps, 1), "unit": "req/s",
                      "p50_ms": round(durable.percentile(50), 2), "p99_ms": round(durable.percentile(99), 2),
                      "statuses": durable.statuses, "store": "sqlite wal synchronous=FULL",
                      "server_cpu_us_per_req": cpu_us("durable", durable), **cond}))
    ratio = durable.rps / bare.rps if bare.rps else 0.0
    pairs = zip(rounds["bare"], rounds["durable"], strict=True)
    round_ratios = [round(d.rps / b.rps, 3) if b.rps else 0.0 for b, d in pairs]
    print(json.dumps({"bench": "ingest.ratio", "value": round(ratio, 3), "unit": "durable/bare", "target": 0.75,
                      "round_ratios": round_ratios, **cond}))


if __name__ == "__main__":
    main()
