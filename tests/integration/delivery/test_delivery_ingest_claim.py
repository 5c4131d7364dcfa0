"""Embedded mode: the worker claims inside the ingest transaction that wrote the deliveries, so a delivery
is leased (fence 1) when the ingest call returns and its send starts without a second transaction."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import select

from tradelane.bootstrap import build_hub
from tradelane.ports.delivery import DeliveryFilter
from tradelane.store.tables import deliveries
from tradelane.testing.delivery import delivery_settings, milestone
from tradelane.testing.sink import WebhookSink


async def test_deliveries_are_claimed_in_the_ingest_transaction_and_sent(db_url: str, tmp_path: Path) -> None:
    sink = await WebhookSink(delay_s=0.3).start()  # slow enough that the sends are still in flight below
    bulk = await WebhookSink(delay_s=0.3).start()
    hub = build_hub(delivery_settings(
        tmp_path, db_url, {"tms": {"url": sink.url}, "wms": {"url": bulk.url}},
        [{"name": "to-tms", "events": ["*"], "destination": "tms"},
         {"name": "to-wms", "events": ["*"], "destination": "wms", "lane": "bulk"}],
        # no poll tick during the test: only a claim inside the ingest transaction can lease the rows
        delivery={"poll_interval_s": 30},
    ))
    await hub.start()
    assert hub.worker is not None
    try:
        await asyncio.sleep(0.2)  # the lanes' first (empty) claims are done: both wait for work
        await hub.ingest.submit("acme", [milestone(i, f"shp_{i}", 1) for i in range(3)], batch=True)
        # committed together with the events: leased to this worker, fence 1, sends under way
        with hub.store.engine.connect() as conn:
            rows = conn.execute(select(deliveries.c.lease_owner, deliveries.c.fence, deliveries.c.lane)).all()
        assert len(rows) == 6
        assert {(r.lease_owner, r.fence) for r in rows} == {(hub.worker.name, 1)}
        assert sorted(r.lane for r in rows) == ["bulk"] * 3 + ["critical"] * 3
        assert hub.worker._in_flight == {"critical": 3, "bulk": 3}  # the reserved slots were given back
        await sink.wait_for(3, timeout_s=30)
        await bulk.wait_for(3, timeout_s=30)
        for _ in range(300):
            if await hub.store.count_deliveries(DeliveryFilter(status="done")) == 6:
                break
            await asyncio.sleep(0.02)
        assert await hub.store.count_deliveries(DeliveryFilter(status="done")) == 6
        assert sink.http_duplicates == bulk.http_duplicates == 0  # each sent once
        assert hub.worker._in_flight == {"critical": 0, "bulk": 0}
    finally:
        await hub.stop()
        await sink.stop()
        await bulk.stop()
