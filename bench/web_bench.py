"""Benchmarks of the control tower's business board and charts: ``web.board_ms`` and ``web.charts_ms`` at
15,000 and 50,000 stored events (``BENCH_WEB_SIZES`` overrides, comma-separated).

A hub (role ``api``: no delivery worker) on a fresh SQLite file is filled through the real ingest path with a
mix of business events — per shipment an order confirmation, a ship confirmation, two milestones, an ETA
change, a freight charge, and for most a proof of delivery and a carrier invoice — routed to one endpoint; four
in five deliveries are then marked done with a latency (directly in SQL: the bench measures reading, not
sending). Each figure is the median of :data:`ROUNDS` calls of what the page handler calls:

* ``cold``: computed from the store — what the first request after a start or after a control-tower action
  pays (the board scans the events; the charts are aggregate queries);
* ``cached``: served from the cache (``tradelane.web.cache``) — what every other request pays, within the TTL
  and after it too (a stale value is answered at once while one background task recomputes it).

Printed as JSON lines like the other benchmarks.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import update

from tradelane.bootstrap import build_hub
from tradelane.core.envelope import CloudEvent
from tradelane.core.examples import example
from tradelane.settings import load_settings
from tradelane.store.tables import deliveries
from tradelane.web import cache

SIZES = [int(s) for s in os.environ.get("BENCH_WEB_SIZES", "15000,50000").split(",") if s.strip()]
#: calls per figure (the median is printed)
ROUNDS = int(os.environ.get("BENCH_WEB_ROUNDS", "3"))
#: events per ingest batch while seeding
BATCH = 500
#: events one shipment brings (see the module docstring)
PER_SHIPMENT = 8


def _events(i: int, now: datetime) -> list[CloudEvent]:
    sid, oid = f"shp_b{i}", f"ord_b{i}"
    at = now - timedelta(hours=random.uniform(0, 48))
    out: list[tuple[str, dict[str, Any]]] = []
    order = example("tradelane.order.confirmed.v1")
    order["order_id"] = order["order"]["order_id"] = oid
    out.append(("tradelane.order.confirmed.v1", order))
    shipped = example("tradelane.shipment.shipped.v1")
    shipped["shipment_id"] = shipped["shipment"]["shipment_id"] = sid
    out.append(("tradelane.shipment.shipped.v1", shipped))
    for _ in range(2):
        ms = example("tradelane.shipment.milestone.v1")
        ms["shipment_id"] = sid
        out.append(("tradelane.shipment.milestone.v1", ms))
    eta = example("tradelane.shipment.eta_changed.v1")
    eta["shipment_id"] = sid
    out.append(("tradelane.shipment.eta_changed.v1", eta))
    freight = example("tradelane.freight.charged.v1")
    freight["shipment_id"] = sid
    out.append(("tradelane.freight.charged.v1", freight))
    if i % 5:
        pod = example("tradelane.shipment.delivered.v1")
        pod["shipment_id"] = sid
        out.append(("tradelane.shipment.delivered.v1", pod))
        inv = example("tradelane.carrier_invoice.received.v1")
        inv["invoice"] = {**inv["invoice"], "invoice_number": f"INV-{i}", "shipment_refs": [sid]}
        out.append(("tradelane.carrier_invoice.received.v1", inv))
    return [
        CloudEvent(id=f"b{i}-{n}", source="urn:bench:partner", type=t, partitionkey=sid, correlationid=oid,
                   time=(at + timedelta(minutes=n)).isoformat(), data=d)
        for n, (t, d) in enumerate(out)
    ]


async def _seed(hub: Any, target: int, start: int) -> int:
    """Ingest shipments until ``target`` events are stored; returns the next shipment number."""
    now = datetime.now(UTC)
    i = start
    batch: list[CloudEvent] = []
    events_now = await _count_events(hub)
    while events_now + len(batch) < target:
        batch.extend(_events(i, now))
        i += 1
        if len(batch) >= BATCH:
            r = await hub.ingest.submit("bench", batch, batch=True)
            assert r.status_code == 201, r.body
            events_now += len(batch)
            batch = []
    if batch:
        r = await hub.ingest.submit("bench", batch, batch=True)
        assert r.status_code == 201, r.body
    return i


async def _count_events(hub: Any) -> int:
    from sqlalchemy import func, select

    from tradelane.store.tables import events

    def q(conn: Any) -> int:
        return int(conn.execute(select(func.count()).select_from(events)).scalar_one())

    return int(await hub.store._read(q))


async def _finish_deliveries(hub: Any) -> None:
    """Four in five pending deliveries done, 50–2,000 ms after they were created."""

    def run(conn: Any) -> None:
        rows = conn.execute(deliveries.select().where(deliveries.c.status == "pending")).all()
        for r in rows:
            if hash(r.id) % 5 == 0:
                continue
            done = r.created_at + timedelta(milliseconds=random.randint(50, 2000))
            conn.execute(update(deliveries).where(deliveries.c.id == r.id)
                         .values(status="done", completed_at=done, updated_at=done))

    await hub.store._write(run)


async def _median_ms(fn: Any) -> float:
    times = []
    for _ in range(ROUNDS):
        t0 = time.perf_counter()
        await fn()
        times.append((time.perf_counter() - t0) * 1000)
    return round(statistics.median(times), 1)


async def main() -> None:
    from tradelane.web import business, charts

    random.seed(7)
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(
            None, data_dir=Path(tmp) / "data", database={"url": f"sqlite:///{Path(tmp) / 'web.db'}"},
            endpoints={"wms": {"url": "https://wms.example.com/hook"}},
            routes=[{"name": "to-wms", "events": ["tradelane.shipment.*"], "destination": "wms"}],
            flow_runtime={"enabled": False},
        )
        hub = build_hub(settings, role="api")
        await hub.start()
        try:
            nxt = 0
            for size in sorted(SIZES):
                nxt = await _seed(hub, size, nxt)
                await _finish_deliveries(hub)
                stored = await _count_events(hub)

                async def board_cold() -> None:
                    cache.clear(hub)
                    await cache.board(hub)

                async def charts_cold() -> None:
                    cache.clear(hub)
                    await cache.charts(hub, "24h")

                async def board_cached() -> None:
                    await cache.board(hub)

                async def charts_cached() -> None:
                    await cache.charts(hub, "24h")

                figures = {
                    "board_cold": await _median_ms(board_cold),
                    "board_cached": await _median_ms(board_cached),
                    "charts_cold": await _median_ms(charts_cold),
                    "charts_cached": await _median_ms(charts_cached),
                }
                b = await business.business_board(hub)
                c = await charts.charts(hub, "24h")
                for name in ("board", "charts"):
                    print(json.dumps({
                        "bench": f"web.{name}_ms", "events": stored, "cold_ms": figures[f"{name}_cold"],
                        "cached_ms": figures[f"{name}_cached"], "ttl_s": cache.TTL_S, "rounds": ROUNDS,
                        "db": "sqlite",
                        **({"records": sum(m.count for m in b.metrics.values()), "truncated": b.truncated}
                           if name == "board" else
                           {"received_in_window": sum(c[0].values), "truncated": any(x.truncated for x in c)}),
                    }), flush=True)
        finally:
            await hub.stop()


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
