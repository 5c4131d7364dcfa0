"""kill -9 of the hub under load loses no acknowledged event (embedded SQLite, WAL, synchronous=FULL)."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx2

from tradelane.core.examples import EXAMPLES
from tradelane.testing.net import free_port

BIN = Path(sys.executable).parent
#: concurrent clients posting while the process is killed
CLIENTS = 16
#: how long the load runs before the kill
LOAD_S = 2.0


def _event(i: int) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": f"crash-{i}",
        "source": "/partners/crash",
        "type": "tradelane.shipment.milestone.v1",
        "time": "2026-11-22T10:00:00Z",
        "data": EXAMPLES["tradelane.shipment.milestone.v1"],
    }


def _wait_ready(base: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else "server died"
        try:
            if httpx2.get(f"{base}/v1/health/ready", timeout=1).status_code == 200:
                return
        except httpx2.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError("server not ready")


def test_kill_9_under_load_loses_no_acknowledged_event(tmp_path: Path) -> None:
    env = {**os.environ, "TRADELANE_DATA_DIR": str(tmp_path)}
    key = subprocess.run(
        [str(BIN / "tradelane"), "keys", "create", "crash", "--tenant", "crash"],
        env=env, capture_output=True, text=True, check=True,
    ).stdout.strip()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [str(BIN / "tradelane"), "run", "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    acked: set[str] = set()
    try:
        _wait_ready(base, proc)

        async def client(n: int, stop: float) -> None:
            async with httpx2.AsyncClient(base_url=base, timeout=5, headers={"Authorization": f"Bearer {key}"}) as c:
                i = n
                while True:
                    try:
                        r = await c.post("/v1/events", json=_event(i))
                    except httpx2.TransportError:
                        return  # the server is gone
                    if r.status_code == 201:
                        acked.add(f"crash-{i}")
                    i += CLIENTS
                    if time.monotonic() > stop + 5:
                        return

        async def load_and_kill() -> None:
            stop = time.monotonic() + LOAD_S
            tasks = [asyncio.create_task(client(n, stop)) for n in range(CLIENTS)]
            await asyncio.sleep(LOAD_S)
            os.kill(proc.pid, signal.SIGKILL)
            await asyncio.gather(*tasks)

        asyncio.run(load_and_kill())
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert len(acked) > 50, "the load did not get going before the kill"
    db = sqlite3.connect(tmp_path / "tradelane.db")
    stored = {row[0] for row in db.execute("SELECT event_id FROM events")}
    db.close()
    lost = acked - stored
    assert not lost, f"{len(lost)} acknowledged events lost, e.g. {sorted(lost)[:5]}"

    # the hub starts again on the same files and answers for the stored events
    proc = subprocess.Popen(
        [str(BIN / "tradelane"), "run", "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        _wait_ready(base, proc)
        r = httpx2.post(f"{base}/v1/events", json=_event(0), headers={"Authorization": f"Bearer {key}"})
        assert r.status_code in (200, 201)
        if "crash-0" in acked:
            assert r.json()["status"] == "duplicate"
    finally:
        proc.terminate()
        proc.wait(10)
