"""Every simulator runs as its own process (``python -m tradelane.testing.simulators.<kind> --port P``), as the
demo starts them, and answers on its API."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import httpx2
import pytest

from tradelane.testing.net import free_port

#: how long a simulator process may take to start on a loaded CI machine
START_DEADLINE_S = 60.0

PROBES = {
    "wms": ("GET", "/api/v1/inventory?site=RTM1", 200),
    "tms": ("GET", "/api/tenders/unknown", 404),
    "carrier": ("GET", "/api/v1/tracking/unknown", 404),
    "yard": ("GET", "/api/appointments/unknown", 404),
    "portal": ("GET", "/api/orders/WEB-1/status", 200),
}


@pytest.mark.parametrize("kind", sorted(PROBES))
def test_simulator_runs_as_a_process(kind: str) -> None:
    port = free_port()
    env = {**os.environ, "SIM_API_KEY": "k-1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", f"tradelane.testing.simulators.{kind}", "--port", str(port), "--api-key-env",
         "SIM_API_KEY", "--seed", "3"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    method, path, status = PROBES[kind]
    try:
        deadline = time.monotonic() + START_DEADLINE_S
        while True:
            try:
                res = httpx2.request(method, f"http://127.0.0.1:{port}{path}", headers={"X-Api-Key": "k-1"})
                break
            except httpx2.TransportError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    pytest.fail(f"{kind} simulator did not start: {proc.stdout.read() if proc.poll() else ''}")
                time.sleep(0.1)
        assert res.status_code == status
        unauthorized = httpx2.request(method, f"http://127.0.0.1:{port}{path}")
        assert unauthorized.status_code == 401
    finally:
        proc.terminate()
        proc.wait(30)
