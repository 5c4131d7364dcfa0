"""Benchmarks of the ingest path: ``ingest.bare_rps``, ``ingest.durable_rps`` and ``ingest.ratio``.

Both servers run as single uvicorn processes on loopback, driven by the same closed-loop load generator
(32 concurrent keep-alive connections) in this process; the durable one is the real ingest path
(auth, validation, group commit into embedded SQLite with WAL and synchronous=FULL).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import uuid

import orjson

sys.path.insert(0, os.path.dirname(__file__))
from _servers import BIN, free_port, process
from loadgen import run_load

from tradelane.core.examples import EXAMPLES

CONCURRENCY = 32
DURATION_S = float(os.environ.get("BENCH_DURATION", "6"))
EVENT_TYPE = "tradelane.shipment.milestone.v1"


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


def main() -> None:
    run = uuid.uuid4().hex[:8]
    bare_port = free_port()
    with process(
        [str(BIN / "uvicorn"), "bench.bare_app:app", "--port", str(bare_port), "--log-level", "warning", "--no-access-log"],
        bare_port,
    ):
        bare = asyncio.run(
            run_load("127.0.0.1", bare_port, "/v1/events", make_body_factory(run + "b"), concurrency=CONCURRENCY, duration=DURATION_S)
        )
    with tempfile.TemporaryDirectory() as tmp:
        env = {"TRADELANE_DATA_DIR": tmp}
        key = subprocess.run(
            [str(BIN / "tradelane"), "keys", "create", "bench", "--tenant", "bench"],
            env={**os.environ, **env}, capture_output=True, text=True, check=True,
        ).stdout.strip()
        port = free_port()
        with process([str(BIN / "tradelane"), "run", "--port", str(port)], port, env):
            durable = asyncio.run(
                run_load(
                    "127.0.0.1", port, "/v1/events", make_body_factory(run + "d"),
                    headers={"Authorization": f"Bearer {key}"}, concurrency=CONCURRENCY, duration=DURATION_S,
                )
            )
    cond = {"concurrency": CONCURRENCY, "duration_s": DURATION_S, "transport": "loopback http/1.1 keep-alive"}
    print(json.dumps({"bench": "ingest.bare_rps", "value": round(bare.rps, 1), "unit": "req/s",
                      "p50_ms": round(bare.percentile(50), 2), "p99_ms": round(bare.percentile(99), 2),
                      "errors": bare.errors, **cond}))
    print(json.dumps({"bench": "ingest.durable_rps", "value": round(durable.rps, 1), "unit": "req/s",
                      "p50_ms": round(durable.percentile(50), 2), "p99_ms": round(durable.percentile(99), 2),
                      "statuses": durable.statuses, "store": "sqlite wal synchronous=FULL", **cond}))
    ratio = durable.rps / bare.rps if bare.rps else 0.0
    print(json.dumps({"bench": "ingest.ratio", "value": round(ratio, 3), "unit": "durable/bare", "target": 0.75, **cond}))


if __name__ == "__main__":
    main()
