"""The ingest hot path's shortcuts keep their meaning: the fast event construction, the precompiled
duplicate lookup, the commit in the writer thread, and waking the delivery worker only when there is work."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from tradelane.core.envelope import CloudEvent
from tradelane.core.examples import example
from tradelane.core.registry import registry
from tradelane.ingest.service import IngestService
from tradelane.ingest.validate import event_hash, validate_event
from tradelane.routing.routes import Router, RouteSpec
from tradelane.store.engine import make_engine, upgrade
from tradelane.store.sql import SqlStore

TYPE = "tradelane.shipment.milestone.v1"


def doc(i: int, **extra: object) -> dict[str, object]:
    return {"specversion": "1.0", "id": f"hp-{i}", "source": "/partners/hp", "type": TYPE,
            "time": "2026-11-22T11:00:00+01:00", "data": example(TYPE), **extra}


@pytest.fixture
def store(tmp_path: Path) -> SqlStore:
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    upgrade(engine)
    return SqlStore(engine)


def test_validated_event_is_the_instance_model_construct_builds() -> None:
    ev = validate_event(doc(1), registry)
    reference = CloudEvent.model_construct(**dict(ev.__dict__))
    assert type(ev) is CloudEvent
    assert ev == reference
    assert ev.model_fields_set == reference.model_fields_set == set(CloudEvent.model_fields)
    assert ev.model_dump() == reference.model_dump()
    assert ev.time == datetime(2026, 11, 22, 10, 0, tzinfo=UTC)  # normalised to UTC by the validator
    assert ev.partitionkey == example(TYPE)["shipment_id"]  # filled from the type's key field
    assert event_hash(ev) == event_hash(reference)
    with pytest.raises(ValidationError):
        ev.id = "changed"  # type: ignore[misc]  # still frozen


@pytest.fixture
def any_store(db_url: str) -> SqlStore:
    engine = make_engine(db_url)
    upgrade(engine)
    return SqlStore(engine)


async def test_duplicates_and_conflicts_across_groups_use_the_stored_rows(any_store: SqlStore) -> None:
    store = any_store
    svc = IngestService(store)
    await svc.start()
    first = await svc.submit("t", [validate_event(doc(1), registry)])
    again = await svc.submit("t", [validate_event(doc(1), registry)])
    other = await svc.submit("t", [validate_event(doc(1, subject="changed"), registry)])
    other_tenant = await svc.submit("u", [validate_event(doc(1), registry)])
    await svc.stop()
    assert (first.outcome, first.status_code) == ("created", 201)
    # the second group finds the first one's row: same hub id and received-at text, status duplicate
    assert (again.outcome, again.status_code) == ("duplicate", 200)
    assert again.body["hubid"] == first.body["hubid"]
    assert again.body["receivedat"] == first.body["receivedat"]
    assert again.body["status"] == "duplicate"
    assert (other.outcome, other.status_code) == ("conflict", 409)
    assert other_tenant.outcome == "created"  # dedupe keys are per tenant
    assert await store.count_events() == 2
    stored = await store.get_event(first.body["hubid"], "t")
    assert stored is not None
    assert stored.received_at.isoformat().replace("+00:00", "Z") == first.body["receivedat"]
    await store.close()


async def test_the_commit_in_the_writer_thread_is_durable_before_the_answer(store: SqlStore, tmp_path: Path) -> None:
    svc = IngestService(store)
    await svc.start()
    results = await asyncio.gather(*(svc.submit("t", [validate_event(doc(i), registry)]) for i in range(64)))
    # read through a new connection of another engine: every answered event is committed
    other = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    with other.connect() as conn:
        count = conn.exec_driver_sql("SELECT count(*) FROM events WHERE tenant = 't'").scalar_one()
    other.dispose()
    await svc.stop()
    assert [r.status_code for r in results] == [201] * 64
    assert count == 64
    assert svc.transactions < 64
    await store.close()


async def test_the_worker_is_woken_only_when_a_pending_delivery_was_written(store: SqlStore) -> None:
    woken: list[int] = []
    routes = Router([
        RouteSpec(name="all", events=(TYPE,), destination="sink"),
        RouteSpec(name="none", events=(TYPE,), destination="sink", filter="data.shipment_id == 'nope'"),
    ])
    filtered_only = Router([RouteSpec(name="none", events=(TYPE,), destination="sink", filter="`false`")])
    cases = ((None, "no routes"), (filtered_only, "filtered only"), (routes, "pending"))
    for i, (router, label) in enumerate(cases):
        svc = IngestService(store, router=router, on_commit=lambda label=label: woken.append(label))  # type: ignore[misc]
        await svc.start()
        created = await svc.submit("t", [validate_event(doc(200 + i), registry)])
        duplicate = await svc.submit("t", [validate_event(doc(200 + i), registry)])
        await svc.stop()
        assert created.outcome == "created" and duplicate.outcome == "duplicate"
    assert woken == ["pending"]
    await store.close()
