"""`make demo` end to end: the demo runs on embedded defaults, prints its summary and exits 0."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent


def test_demo_exits_with_summary(tmp_path: Path) -> None:
    env = {**os.environ, "DEMO_EXIT": "1", "TRADELANE_DATA_DIR": str(tmp_path)}
    env.pop("TRADELANE_CONFIG", None)
    proc = subprocess.run(
        [str(BIN / "tradelane"), "demo", "--port", "0"], env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    m = re.search(r"DEMO SUMMARY: accepted=(\d+), duplicate=(\d+), replayed=(\d+), rejected=(\d+), stored=(\d+)", proc.stdout)
    assert m, proc.stdout[-2000:]
    accepted, duplicate, replayed, rejected, stored = map(int, m.groups())
    assert accepted == stored > 0  # every accepted event is stored once
    assert duplicate >= 1 and replayed >= 1  # the injected duplicate and Idempotency-Key retry
    assert rejected == 5  # key reuse, unknown type, unknown unit, naive datetime, missing field
    for field in ("data.lines[0].quantity.unit", "time", "data.shipment_id", "type"):
        assert field in proc.stdout
    # every stored event went to the demo partners through the outbox: delivered or filtered, none lost
    d = re.search(
        r"DELIVERY SUMMARY: deliveries=(\d+), delivered=(\d+), dead=(\d+), filtered=(\d+), pending=(\d+), "
        r"duplicate_effects=(\d+), bad_signatures=(\d+)",
        proc.stdout,
    )
    assert d, proc.stdout[-2000:]
    deliveries, delivered, dead, filtered, pending, dup_effects, bad_sig = map(int, d.groups())
    assert deliveries == delivered + dead + filtered and pending == 0
    assert delivered > 0 and filtered > 0 and dead == 0
    assert dup_effects == 0 and bad_sig == 0
