"""Scoped SLAs against the events table on SQLite and PostgreSQL: events outside the scope (another tenant or
source) arm nothing; a due time read from the start event (an ETA) moves when a later start brings a new one,
and the due scan breaches against the moved time."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from tradelane.core.envelope import CloudEvent
from tradelane.flows.sla import SlaEngine
from tradelane.flows.spec import SlaSpec
from tradelane.ports.flows import ExceptionFilter, SlaTimerFilter
from tradelane.ports.store import Submission
from tradelane.store.engine import make_engine, upgrade
from tradelane.store.sql import SqlStore

ETA = "tradelane.shipment.eta_changed.v1"
DELIVERED = "tradelane.shipment.delivered.v1"


def eta_event(shipment: str, eta: datetime, at: datetime, source: str = "/partners/globex-tms") -> CloudEvent:
    return CloudEvent(id=uuid.uuid4().hex, source=source, type=ETA, time=at, data={
        "shipment_id": shipment, "changed_at": at.isoformat(), "new_eta": eta.isoformat(), "reason": "traffic"})


async def test_scope_and_a_moving_due_time(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    store = SqlStore(engine)
    now = datetime.now(UTC)
    clock = [now + timedelta(minutes=1)]  # events are read once stored (settle time 0)
    spec = SlaSpec.build("outbound", "past-eta", ETA, DELIVERED, "30m", "data.shipment_id", "high", "logistics",
                         due_at="data.new_eta", where="tenant == 'hub'",
                         start_where="starts_with(source, '/partners/')")
    sla = SlaEngine(store, [spec], settle_s=0.0, clock=lambda: clock[0], from_history=True)

    async def put(tenant: str, *events: CloudEvent) -> None:
        await store.commit_submissions([Submission(tenant=tenant, channel="api", events=(e,),
                                                   event_hashes=(uuid.uuid4().hex,)) for e in events])

    try:
        first_eta = now + timedelta(hours=2)
        await put("hub", eta_event("shp_1", first_eta, now))
        await put("acme", eta_event("shp_2", first_eta, now))  # another tenant: not this SLA's
        await put("hub", eta_event("shp_3", first_eta, now, source="urn:test:replay"))  # outside start_where
        events, armed, _, _, _ = await sla.project_once()
        assert (events, armed) == (3, 1)
        rows, _ = await store.list_sla_timers(SlaTimerFilter(), 10)
        assert [(r.key, r.due_at) for r in rows] == [("shp_1", first_eta + timedelta(minutes=30))]
        # the ETA moves out by three hours: the armed timer's due time follows
        later_eta = first_eta + timedelta(hours=3)
        await put("hub", eta_event("shp_1", later_eta, now + timedelta(minutes=5)))
        await sla.project_once()
        [row], _ = await store.list_sla_timers(SlaTimerFilter(key="shp_1"), 10)
        assert row.status == "armed" and row.due_at == later_eta + timedelta(minutes=30)
        # past the first ETA nothing breaches; past the moved one it does, once
        clock[0] = first_eta + timedelta(hours=1)
        assert await sla.scan_once() == []
        clock[0] = later_eta + timedelta(hours=1)
        assert [b.key for b in await sla.scan_once()] == ["shp_1"]
        assert await sla.scan_once() == []
        excs, _ = await store.list_exceptions(ExceptionFilter(type="sla_breach"), 10)
        assert [(x.entity_kind, x.entity_id, x.owner_team) for x in excs] == [("shipment", "shp_1", "logistics")]
    finally:
        await store.close()
