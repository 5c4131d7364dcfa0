"""The charts' aggregate reads (``tradelane.store.web_reads``, SQLite and PostgreSQL) agree with bucketing the
stored rows one by one: events received per bucket, and per bucket the latency of each delivery done in it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update

from tradelane.ingest.service import IngestService
from tradelane.ports.delivery import DeliveryFilter
from tradelane.ports.store import EventFilter
from tradelane.routing.routes import Router, RouteSpec
from tradelane.store.engine import make_engine, upgrade
from tradelane.store.sql import SqlStore
from tradelane.store.tables import deliveries
from tradelane.testing.delivery import milestone

#: events ingested (in batches, so their receive times differ)
EVENTS = 24


@pytest.fixture
async def store(db_url: str) -> AsyncIterator[tuple[SqlStore, IngestService]]:
    engine = make_engine(db_url)
    upgrade(engine)
    s = SqlStore(engine)
    ingest = IngestService(s, router=Router([RouteSpec("to-tms", ("tradelane.shipment.*",), "tms")]))
    await ingest.start()
    yield s, ingest
    await ingest.stop()
    await s.close()


async def test_buckets_match_the_rows(store: Any) -> None:
    s, ingest = store
    for b in range(EVENTS // 4):
        evs = [milestone(b * 4 + i, f"shp_{b}", i + 1) for i in range(4)]
        assert (await ingest.submit("acme", evs, batch=True)).status_code == 201
    rows = (await s.list_events(EventFilter(), None, 500)).items
    assert len(rows) == EVENTS
    first, last = min(r.received_at for r in rows), max(r.received_at for r in rows)
    # buckets small enough that the batches fall into several of them
    width = max((last - first) / 5, timedelta(milliseconds=5))
    start, n = first - width / 2, 8

    def bucket(at: Any) -> int | None:
        i = int((at - start) / width)
        return i if 0 <= i < n else None

    expected = [0] * n
    for r in rows:
        if (i := bucket(r.received_at)) is not None:
            expected[i] += 1
    assert await s.events_per_bucket(start, width.total_seconds(), n) == expected
    assert sum(expected) == EVENTS and sum(1 for x in expected if x) >= 2

    # three deliveries done with known latencies (1.5 s, 3 s, 4.5 s)
    dl, _ = await s.list_deliveries(DeliveryFilter(), 3)

    def finish(conn: Any) -> None:
        for k, d in enumerate(dl, start=1):
            conn.execute(update(deliveries).where(deliveries.c.id == d.id).values(
                status="done", completed_at=d.created_at + timedelta(seconds=1.5 * k)))

    await s._write(finish)
    done, _ = await s.list_deliveries(DeliveryFilter(status="done"), 10)
    # bucket edges away from the completion times (julianday arithmetic is exact to about a millisecond)
    lat_start, lat_width = min(d.completed_at for d in done) - timedelta(seconds=0.3), 2.0
    got = await s.done_latencies_per_bucket(lat_start, lat_width, 4)
    want: list[list[float]] = [[] for _ in range(4)]
    for d in done:
        i = int((d.completed_at - lat_start).total_seconds() / lat_width)
        if 0 <= i < 4:
            want[i].append((d.completed_at - d.created_at).total_seconds())
    assert [sorted(round(x, 2) for x in v) for v in got] == [sorted(round(x, 2) for x in v) for v in want]
    assert sorted(round(x, 2) for v in got for x in v) == [1.5, 3.0, 4.5]
