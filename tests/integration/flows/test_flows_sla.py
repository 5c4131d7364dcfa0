"""SLA timers on SQLite and PostgreSQL: arming from the events table, out-of-order and late stops, restart
durability (a breach exactly once), and concurrent projectors and scanners that never double-open."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tradelane.bootstrap import build_hub
from tradelane.core.envelope import CloudEvent
from tradelane.core.examples import example
from tradelane.flows.sla import SlaEngine
from tradelane.flows.spec import SlaSpec
from tradelane.ports.flows import ExceptionFilter, SlaTimerFilter
from tradelane.settings import Settings, load_settings
from tradelane.store.engine import make_engine, upgrade
from tradelane.store.sql import SqlStore

START = "tradelane.order.released.v1"
STOP = "tradelane.shipment.picked.v1"
#: generous deadline for asynchronous effects (CI is a loaded 2-core machine)
DEADLINE_S = 60.0


def ev(etype: str, subject: str, at: datetime) -> CloudEvent:
    return CloudEvent(
        id=uuid.uuid4().hex, source="urn:test:wms", type=etype, subject=subject, time=at, data=example(etype)
    )


def settings(tmp_path: Path, db_url: str, **runtime: Any) -> Settings:
    return load_settings(
        None,
        data_dir=tmp_path / "data",
        database={"url": db_url},
        flows={
            "order-release": {
                "owner_team": "warehouse",
                "slas": [{"name": "wms-ack", "start": START, "stop": [STOP], "within": "15m", "severity": "high"}],
            }
        },
        flow_runtime={"sla_interval_s": 0.05, "settle_s": 0.0, **runtime},
    )


def spec() -> SlaSpec:
    return SlaSpec.build("order-release", "wms-ack", START, [STOP], "15m", "subject", "high", "warehouse")


async def wait_for(check: Any, what: str) -> Any:
    deadline = asyncio.get_running_loop().time() + DEADLINE_S
    while True:
        value = await check()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


def open_store(db_url: str) -> SqlStore:
    engine = make_engine(db_url)
    upgrade(engine)
    return SqlStore(engine)


async def timer(store: SqlStore, key: str) -> Any:
    rows, _ = await store.list_sla_timers(SlaTimerFilter(key=key), 10)
    return rows[0] if rows else None


async def test_breach_survives_a_restart_and_fires_exactly_once(tmp_path: Path, db_url: str) -> None:
    now = datetime.now(UTC)
    first = build_hub(settings(tmp_path, db_url))
    await first.start()
    try:
        await first.ingest.submit("acme", [ev(START, "SO100", now)])
        armed = await wait_for(lambda: timer(first.store, "SO100"), "the timer to be armed")
        assert armed.status == "armed" and armed.due_at == now + timedelta(minutes=15)
    finally:
        await first.stop()

    # 16 minutes pass while no hub runs; a new hub on the same database breaches the timer
    second = build_hub(settings(tmp_path, db_url))
    assert second.flows is not None
    breaches: list[tuple[str, str]] = []
    second.flows.sla.on_breach = lambda flow, sla: breaches.append((flow, sla))
    second.flows.sla.clock = lambda: datetime.now(UTC) + timedelta(minutes=16)
    await second.start()
    try:
        async def breached() -> Any:
            t = await timer(second.store, "SO100")
            return t if t.status == "breached" else None

        t = await wait_for(breached, "the breach")
        for _ in range(3):  # more rounds change nothing
            assert await second.flows.sla.scan_once() == []
        excs, _ = await second.flows.exceptions.list(ExceptionFilter(type="sla_breach"), 10)
        assert [(x.entity_kind, x.entity_id, x.status, x.severity, x.owner_team) for x in excs] == [
            ("order", "SO100", "open", "high", "warehouse")
        ]
        assert t.exception_id == excs[0].id
        assert excs[0].links["hub_ids"] == [armed.start_hub_id]
        assert breaches == [("order-release", "wms-ack")]
    finally:
        await second.stop()


async def test_out_of_order_and_late_stops(db_url: str) -> None:
    store = open_store(db_url)
    now = datetime.now(UTC)
    clock_now = [now + timedelta(minutes=1)]  # events are read once stored (settle time 0)
    engine = SlaEngine(store, [spec()], settle_s=0.0, clock=lambda: clock_now[0], from_history=True)
    try:
        from tradelane.ports.store import Submission

        async def put(*events: CloudEvent) -> None:
            subs = [Submission(tenant="acme", channel="api", events=(e,), event_hashes=(uuid.uuid4().hex,))
                    for e in events]
            await store.commit_submissions(subs)

        # stop before start, in time: met, start filled in later, never breached
        await put(ev(STOP, "SO1", now + timedelta(minutes=5)))
        # start then a stop after the due time: breached by the late stop (before any scan)
        await put(ev(START, "SO2", now - timedelta(minutes=30)), ev(STOP, "SO2", now - timedelta(minutes=10)))
        # stop first, then a start whose due time is before that stop: breached
        await put(ev(STOP, "SO3", now), ev(START, "SO3", now - timedelta(hours=1)))
        # a start twice: the first counts
        await put(ev(START, "SO4", now), ev(START, "SO4", now + timedelta(minutes=3)))
        await put(ev(START, "SO1", now))
        events, armed, stopped, late, _ = await engine.project_once()
        assert (events, armed, stopped) == (8, 4, 3)
        assert sorted(b.key for b in late) == ["SO2", "SO3"]
        t1, t2, t3, t4 = [await timer(store, k) for k in ("SO1", "SO2", "SO3", "SO4")]
        assert (t1.status, t1.started_at, t1.stopped_at) == ("met", now, now + timedelta(minutes=5))
        assert t2.status == "breached" and t2.exception_id
        assert t3.status == "breached" and t3.exception_id
        assert t4.status == "armed" and t4.due_at == now + timedelta(minutes=15)
        # nothing is due yet; after 20 minutes SO4 breaches, once
        assert await engine.scan_once() == []
        clock_now[0] = now + timedelta(minutes=20)
        assert [b.key for b in await engine.scan_once()] == ["SO4"]
        assert await engine.scan_once() == []
        excs, _ = await store.list_exceptions(ExceptionFilter(type="sla_breach"), 50)
        assert sorted(x.entity_id for x in excs) == ["SO2", "SO3", "SO4"]
        # the stop of SO4 arriving after the breach is recorded, no second exception
        await put(ev(STOP, "SO4", now + timedelta(minutes=21)))
        await engine.project_once()
        t4 = await timer(store, "SO4")
        assert t4.status == "breached" and t4.stopped_at == now + timedelta(minutes=21)
        x4 = await store.get_exception(t4.exception_id, None)
        assert x4 is not None and [h["action"] for h in x4.history] == ["opened", "stop_received"]
        excs, _ = await store.list_exceptions(ExceptionFilter(type="sla_breach"), 50)
        assert len(excs) == 3
        counts = await store.count_sla_timers(SlaTimerFilter())
        assert counts == {"met": 1, "breached": 3}
        assert engine.breach_counts == {("order-release", "wms-ack"): 3}
    finally:
        await store.close()


async def test_concurrent_projectors_and_scanners_never_double_open(db_url: str) -> None:
    a, b = open_store(db_url), open_store(db_url)
    n = 40
    now = datetime.now(UTC)
    later = now + timedelta(hours=1)
    try:
        from tradelane.ports.store import Submission

        def starts(keys: list[str]) -> list[Submission]:
            return [Submission(tenant="acme", channel="api", events=(ev(START, k, now),),
                               event_hashes=(uuid.uuid4().hex,)) for k in keys]

        ea = SlaEngine(a, [spec()], settle_s=0.0, batch=7, clock=lambda: later)
        eb = SlaEngine(b, [spec()], settle_s=0.0, batch=7, clock=lambda: later)
        await a.commit_submissions(starts(["OLD"]))  # history from before SLAs were turned on
        assert (await ea.project_once())[0] == 0  # the first run anchors the cursor after it
        await a.commit_submissions(starts([f"SO{i}" for i in range(n)]))

        async def drain_projection(e: SlaEngine) -> int:
            total = 0
            for _ in range(200):
                events, *_rest = await e.project_once()
                total += events
                if total and events == 0:
                    break
            return total

        pa, pb = await asyncio.gather(drain_projection(ea), drain_projection(eb))
        assert pa + pb == n  # every event projected exactly once across both
        counts = await a.count_sla_timers(SlaTimerFilter())
        assert counts == {"armed": n} and await timer(a, "OLD") is None

        async def drain_scan(e: SlaEngine) -> list[str]:
            keys: list[str] = []
            while True:
                got = await e.scan_once(limit=3)
                if not got:
                    return keys
                keys.extend(b.key for b in got)

        ka, kb = await asyncio.gather(drain_scan(ea), drain_scan(eb))
        assert sorted(ka + kb) == sorted(f"SO{i}" for i in range(n))
        assert not set(ka) & set(kb)
        excs, _ = await a.list_exceptions(ExceptionFilter(), 500)
        assert len(excs) == n and len({x.dedupe_key for x in excs}) == n
    finally:
        await a.close()
        await b.close()
