"""The SQL cross-reference store on SQLite and PostgreSQL, checked against the in-memory fake."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from tradelane.ports.xref import XrefEntry, XrefField, XrefStore
from tradelane.store.engine import make_engine, upgrade
from tradelane.store.xref import SqlXrefStore
from tradelane.testing.xref import InMemoryXrefStore


class StepClock:
    """A clock that moves one second per call, so "most recently updated" is well defined."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


@pytest.fixture(params=["sql", "memory"])
def store(request: pytest.FixtureRequest, db_url: str) -> Iterator[XrefStore]:
    if request.param == "memory":
        yield InMemoryXrefStore(clock=StepClock())
        return
    engine = make_engine(db_url)
    upgrade(engine)
    yield SqlXrefStore(engine, clock=StepClock())
    engine.dispose()


def _e(value: str, canonical: str, odoo: int | None = None, *, partner: str = "acme-wms") -> XrefEntry:
    return XrefEntry("hub", partner, "shipment", value, canonical, odoo)


async def test_put_get_and_upsert_replaces(store: XrefStore) -> None:
    first = await store.put(_e("WH/OUT/00042", "shp_1", 118))
    assert first.updated_at is not None and first.updated_at.tzinfo is not None
    got = await store.get("hub", "acme-wms", "shipment", "WH/OUT/00042")
    assert got is not None and (got.canonical_id, got.odoo_id) == ("shp_1", 118)
    await store.put(_e("WH/OUT/00042", "shp_2", None))
    again = await store.get("hub", "acme-wms", "shipment", "WH/OUT/00042")
    assert again is not None and (again.canonical_id, again.odoo_id) == ("shp_2", None)
    assert again.updated_at is not None and first.updated_at < again.updated_at
    assert await store.get("hub", "other", "shipment", "WH/OUT/00042") is None
    assert await store.get("t2", "acme-wms", "shipment", "WH/OUT/00042") is None


async def test_find_many_in_every_direction_prefers_newest_alias(store: XrefStore) -> None:
    await store.put(_e("OLD-7", "shp_7", 70))
    await store.put(_e("NEW-7", "shp_7", 70))
    await store.put(_e("X-8", "shp_8"))
    await store.put(_e("X-9", "shp_9", partner="globex-tms"))
    by_partner = await store.find_many(
        "hub", "acme-wms", "shipment", XrefField.PARTNER, ["OLD-7", "X-8", "nope"]
    )
    assert {k: v.canonical_id for k, v in by_partner.items()} == {"OLD-7": "shp_7", "X-8": "shp_8"}
    by_canonical = await store.find_many(
        "hub", "acme-wms", "shipment", XrefField.CANONICAL, ["shp_7", "shp_8", "shp_9"]
    )
    assert {k: v.partner_value for k, v in by_canonical.items()} == {"shp_7": "NEW-7", "shp_8": "X-8"}
    by_odoo = await store.find_many("hub", "acme-wms", "shipment", XrefField.ODOO, ["70", "junk"])
    assert by_odoo["70"].partner_value == "NEW-7" and "junk" not in by_odoo
    assert await store.find_many("hub", "acme-wms", "shipment", XrefField.PARTNER, []) == {}


async def test_batch_lookup_beyond_one_in_chunk(store: XrefStore) -> None:
    for i in range(450):
        await store.put(_e(f"P{i:04d}", f"shp_{i}"))
    found = await store.find_many(
        "hub", "acme-wms", "shipment", XrefField.PARTNER, [f"P{i:04d}" for i in range(0, 450, 1)]
    )
    assert len(found) == 450 and found["P0449"].canonical_id == "shp_449"


async def test_list_filters_orders_and_limits_and_delete(store: XrefStore) -> None:
    await store.put(_e("B", "shp_b"))
    await store.put(_e("A", "shp_a"))
    await store.put(XrefEntry("hub", "acme-wms", "carrier", "DHL", "party_dhl"))
    await store.put(_e("Z", "shp_z", partner="globex-tms"))
    listed = await store.list("hub", "acme-wms")
    assert [(e.kind, e.partner_value) for e in listed] == [
        ("carrier", "DHL"),
        ("shipment", "A"),
        ("shipment", "B"),
    ]
    assert [e.partner_value for e in await store.list("hub", kind="shipment")] == ["A", "B", "Z"]
    assert len(await store.list("hub", limit=2)) == 2
    assert await store.list("other") == []
    assert await store.delete("hub", "acme-wms", "shipment", "A") is True
    assert await store.delete("hub", "acme-wms", "shipment", "A") is False
    assert await store.get("hub", "acme-wms", "shipment", "A") is None
