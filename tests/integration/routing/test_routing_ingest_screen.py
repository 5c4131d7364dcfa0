"""Stale-event rules and resequencing in the real ingest path (IngestService → SqlStore, SQLite and
PostgreSQL): shuffled and conflicting event streams never regress a terminal shipment, exact duplicates are
dropped, late events are stored, flagged and kept out of deliveries; an ordered route waits a bounded time
for a missing predecessor and re-orders the key when it arrives."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from tradelane.core.registry import registry
from tradelane.ingest.service import IngestService
from tradelane.ingest.validate import validate_event
from tradelane.ports.store import EventFilter
from tradelane.routing.routes import Router, RouteSpec
from tradelane.routing.staleness import AggregateState, Verdict, classify, facts_from_event
from tradelane.store.engine import make_engine, upgrade
from tradelane.store.sql import SqlStore
from tradelane.store.tables import aggregates, deliveries, events, history

T0 = datetime(2026, 11, 16, 8, 0, tzinfo=UTC)
MILESTONES = ["booked", "picked_up", "departed", "in_transit", "arrived", "out_for_delivery", "delayed"]
ROUTE = RouteSpec("to-tms", ("tradelane.shipment.*",), "tms", ordered=True)
_counter = itertools.count()


def milestone(shipment: str, status: str, minute: int, *, seq: int | None = None, ident: str | None = None,
              source: str = "/partners/carrier") -> Any:
    doc: dict[str, Any] = {
        "specversion": "1.0", "id": ident or f"ev-{next(_counter)}", "source": source,
        "type": "tradelane.shipment.milestone.v1", "time": (T0 + timedelta(minutes=minute)).isoformat(),
        "data": {"shipment_id": shipment, "event": {"milestone": status,
                                                    "occurred_at": (T0 + timedelta(minutes=minute)).isoformat()}},
    }
    if seq is not None:
        doc["sequence"] = seq
    return validate_event(doc, registry)


def delivered(shipment: str, minute: int, ident: str | None = None) -> Any:
    return validate_event({
        "specversion": "1.0", "id": ident or f"ev-{next(_counter)}", "source": "/partners/carrier",
        "type": "tradelane.shipment.delivered.v1", "time": (T0 + timedelta(minutes=minute)).isoformat(),
        "data": {"shipment_id": shipment, "pod": {"signee": "J. Jansen",
                                                  "delivered_at": (T0 + timedelta(minutes=minute)).isoformat()}},
    }, registry)


class Rig:
    def __init__(self, store: SqlStore, ingest: IngestService) -> None:
        self.store, self.ingest = store, ingest

    async def post(self, *evs: Any, tenant: str = "acme") -> Any:
        return await self.ingest.submit(tenant, list(evs), batch=len(evs) > 1)

    async def stored(self, shipment: str, tenant: str = "acme") -> list[Any]:
        page = await self.store.list_events(EventFilter(tenant=tenant, partition_key=shipment), None, 500)
        return page.items

    def rows(self, stmt: Any) -> list[Any]:
        with self.store.engine.connect() as conn:
            return list(conn.execute(stmt).all())


@pytest.fixture
async def rig(db_url: str) -> AsyncIterator[Rig]:
    engine = make_engine(db_url)
    upgrade(engine)
    store = SqlStore(engine)
    ingest = IngestService(store, router=Router([ROUTE]))
    ingest.screen = True
    await ingest.start()
    yield Rig(store, ingest)
    await ingest.stop()
    await store.close()


async def test_terminal_never_regresses_late_events_are_kept_and_flagged_duplicates_dropped(rig: Rig) -> None:
    await rig.post(milestone("SHP-1", "in_transit", 10))
    await rig.post(delivered("SHP-1", 50))
    late = await rig.post(milestone("SHP-1", "out_for_delivery", 40))  # older news after the terminal POD
    assert late.status_code == 201 and late.body["staleness"] == "late:terminal"
    again = await rig.post(milestone("SHP-1", "out_for_delivery", 40))  # same content, another id
    assert again.status_code == 200 and again.body["status"] == "duplicate"
    assert again.body["hubid"] == late.body["hubid"]  # answered with the first copy

    stored = await rig.stored("SHP-1")
    assert [(s.event.type.split(".")[2], s.staleness) for s in stored] == [
        ("milestone", None), ("delivered", None), ("milestone", "late:terminal")]
    assert (await rig.store.get_event(late.body["hubid"], "acme")).as_dict()["staleness"] == "late:terminal"
    (state,) = rig.rows(select(aggregates.c.state).where(aggregates.c.aggregate == "SHP-1"))
    assert state.state["status"] == "delivered" and state.state["terminal"] is True
    kinds = rig.rows(select(history.c.kind).where(history.c.aggregate == "SHP-1").order_by(history.c.seq))
    assert [k.kind for k in kinds] == ["applied", "applied", "late:terminal"]
    # the late event changes nothing downstream: its delivery is filtered with the reason
    dl = {r.hub_id: r for r in rig.rows(select(deliveries))}
    assert dl[late.body["hubid"]].status == "filtered"
    assert "late:terminal" in dl[late.body["hubid"]].filter_reason
    assert [dl[s.hub_id].status for s in stored[:2]] == ["pending", "pending"]


async def test_aggregates_are_hub_wide_and_a_refused_submission_moves_no_state(rig: Rig) -> None:
    await rig.post(delivered("SHP-2", 50), tenant="carrier")  # the carrier's POD …
    other = await rig.post(milestone("SHP-2", "in_transit", 10), tenant="acme-tms")  # … and the TMS's old news
    assert other.status_code == 201 and other.body["staleness"] == "late:terminal"  # one shipment, two tenants
    first = milestone("SHP-3", "arrived", 30, ident="fixed-id")
    await rig.post(first)
    clash = milestone("SHP-3", "booked", 5, ident="fixed-id")  # same id, other payload → 409, all or nothing
    refused = await rig.post(delivered("SHP-3", 60), clash)
    assert refused.status_code == 409
    (state,) = rig.rows(select(aggregates.c.state).where(aggregates.c.aggregate == "SHP-3"))
    assert state.state["status"] == "arrived" and not state.state["terminal"]
    assert len(await rig.stored("SHP-3")) == 1


@st.composite
def shuffled_streams(draw: st.DrawFn) -> tuple[list[tuple[str, int]], list[int]]:
    """Distinct milestone contents (status, minute), some with a POD, shuffled, with exact repeats, cut into
    submissions of random sizes."""
    statuses = draw(st.lists(st.sampled_from([*MILESTONES, "delivered"]), min_size=1, max_size=9))
    items = [(s, i * 10) for i, s in enumerate(statuses)]
    items += draw(st.lists(st.sampled_from(items), max_size=4))  # exact duplicates
    order = draw(st.permutations(items))
    cuts = draw(st.lists(st.integers(1, 3), min_size=len(order), max_size=len(order)))
    return list(order), cuts


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(stream=shuffled_streams())
async def test_shuffled_streams_through_ingest_match_the_rules(rig: Rig, stream: Any) -> None:
    order, cuts = stream
    shipment = f"SHP-H{next(_counter)}"
    evs = [delivered(shipment, m) if s == "delivered" else milestone(shipment, s, m) for s, m in order]
    i, k = 0, 0
    while i < len(evs):
        batch = evs[i : i + cuts[k]]
        if len({e.id for e in batch}) == len(batch):
            results = await asyncio.gather(*(rig.post(e) for e in batch))  # concurrent: one group commit
            assert all(r.status_code in (200, 201) for r in results)
        i, k = i + len(batch), k + 1

    # oracle: the pure rules applied in arrival order
    state: AggregateState | None = None
    expected: list[tuple[str, str | None]] = []
    for ev in evs:
        facts, ladder = facts_from_event(ev)
        decision = classify(state, facts, ladder)
        state = decision.state
        if decision.verdict is not Verdict.DUPLICATE:
            expected.append((ev.id, f"late:{decision.reason}" if decision.verdict is Verdict.LATE else None))
    stored = await rig.stored(shipment)
    assert sorted((s.event.id, s.staleness) for s in stored) == sorted(expected)
    contents = {(e.type, str(e.data)) for e in evs}
    assert len(stored) == len(contents)  # every distinct content once, every exact repeat dropped
    (row,) = rig.rows(select(aggregates.c.state).where(aggregates.c.aggregate == shipment))
    pods = [s for s in stored if s.event.type.endswith("delivered.v1")]
    assert row.state["terminal"] is bool(pods) and (row.state["status"] == "delivered") is bool(pods)
    if pods:  # nothing stored after the POD applied, except flagged late events
        after = [s for s in stored if s.hub_id != pods[0].hub_id and
                 rig.rows(select(events.c.seq).where(events.c.hub_id == s.hub_id))[0].seq >
                 rig.rows(select(events.c.seq).where(events.c.hub_id == pods[0].hub_id))[0].seq]
        assert all(s.staleness is not None and s.staleness.startswith("late:") for s in after)


# --- resequencing -----------------------------------------------------------------------------------------


@pytest.fixture
async def reseq(db_url: str) -> AsyncIterator[Rig]:
    engine = make_engine(db_url)
    upgrade(engine)
    store = SqlStore(engine)
    store.resequence = {"to-tms": 600.0}
    ingest = IngestService(store, router=Router([ROUTE]))
    await ingest.start()
    yield Rig(store, ingest)
    await ingest.stop()
    await store.close()


def lane(rig: Rig, shipment: str) -> list[tuple[int | None, bool]]:
    """The key's deliveries in lane order: (producer sequence, due now)."""
    rows = rig.rows(
        select(deliveries.c.event_seq, deliveries.c.next_attempt_at, deliveries.c.created_at, events.c.sequence)
        .join(events, events.c.hub_id == deliveries.c.hub_id)
        .where(deliveries.c.partition_key == shipment)
        .order_by(deliveries.c.event_seq)
    )
    return [(r.sequence, r.next_attempt_at <= r.created_at + timedelta(seconds=1)) for r in rows]


async def test_a_missing_predecessor_holds_the_key_until_it_arrives_then_the_key_is_reordered(reseq: Rig) -> None:
    await reseq.post(milestone("SHP-R", "booked", 0, seq=1))
    await reseq.post(milestone("SHP-R", "departed", 20, seq=3))  # 2 is missing: held
    await reseq.post(milestone("SHP-R", "in_transit", 30, seq=4))  # its predecessor is there, but 3 is held
    assert lane(reseq, "SHP-R") == [(1, True), (3, False), (4, True)]
    await reseq.post(milestone("SHP-R", "picked_up", 10, seq=2))  # the gap is filled
    assert lane(reseq, "SHP-R") == [(1, True), (2, True), (3, True), (4, True)]


async def test_resequencing_is_per_source_and_key(reseq: Rig) -> None:
    await reseq.post(milestone("SHP-S", "booked", 0, seq=5, source="/partners/tms"))  # first seen: held
    await reseq.post(milestone("SHP-T", "booked", 0, seq=1))  # another key is not held by it
    await reseq.post(milestone("SHP-S", "picked_up", 10, seq=1, source="/partners/carrier"))
    assert lane(reseq, "SHP-T") == [(1, True)]
    assert lane(reseq, "SHP-S") == [(5, False), (1, True)]  # other source: not reordered, still behind


# --- the system-of-record matrix in the same transaction --------------------------------------------------

OWNERSHIP = {"entities": {"shipment": {"fields": {"tracking_number": ["tms"], "carrier_id": ["tms", "carrier"]}}}}
SYSTEMS = ["tms", "carrier", "wms"]


@pytest.fixture
async def owned(db_url: str) -> AsyncIterator[Rig]:
    from tradelane.routing.ownership import OwnershipMatrix

    engine = make_engine(db_url)
    upgrade(engine)
    store = SqlStore(engine)
    store.ownership = OwnershipMatrix.from_config(OWNERSHIP)
    ingest = IngestService(store, router=Router([ROUTE]))
    ingest.screen = True
    await ingest.start()
    yield Rig(store, ingest)
    await ingest.stop()
    await store.close()


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(stream=st.lists(st.tuples(st.sampled_from(SYSTEMS), st.sampled_from(["T1", "T2", "T3"]),
                                 st.sampled_from(["C1", "C2"]), st.sampled_from(MILESTONES)),
                       min_size=1, max_size=8))
async def test_conflicting_streams_from_several_systems(owned: Rig, stream: list[tuple[str, str, str, str]]) -> None:
    """Updates of one shipment from three systems (tenants), in any order: owned fields follow their owners
    only, every refused change is one conflict row naming source, current and proposed value."""
    from tradelane.store.tables import conflicts

    shipment = f"SHP-O{next(_counter)}"
    held: dict[str, str] = {}
    expected_conflicts = 0
    for n, (system, tracking, carrier, status) in enumerate(stream):
        ev = milestone(shipment, status, n)
        ev = ev.model_copy(update={"data": {**ev.data, "tracking_number": tracking, "carrier_id": carrier}})
        result = await owned.post(ev, tenant=system)
        if result.body["status"] == "duplicate":
            continue
        stored = await owned.store.get_event(result.body["hubid"], None)
        assert stored is not None
        for fld, value, owners in (("tracking_number", tracking, {"tms"}), ("carrier_id", carrier, {"tms", "carrier"})):
            if result.body.get("staleness"):
                continue  # a late event changes no owned document
            if system in owners or held.get(fld) == value:
                held[fld] = value
                assert stored.event.data[fld] == value
            else:
                expected_conflicts += 1
                assert stored.event.data.get(fld) == held.get(fld)  # the owner's value stays
    rows = owned.rows(select(conflicts).where(conflicts.c.entity_id == shipment))
    assert len({(r.field, r.source, str(r.proposed), r.event_id) for r in rows}) == expected_conflicts
    assert all(r.source == "wms" or (r.source == "carrier" and r.field == "tracking_number") for r in rows)
    (agg,) = owned.rows(select(aggregates.c.state).where(aggregates.c.aggregate == shipment))
    assert {k: agg.state["document"].get(k) for k in held} == held
