"""Flow store on SQLite and PostgreSQL: one open exception per dedupe key even when hubs race, link merging,
transition rules; a scheduled batch flow runs once per fire time across hubs."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tradelane.core.errors import ConflictError, NotFound
from tradelane.flows.exceptions import ExceptionService
from tradelane.flows.scheduler import BatchScheduler
from tradelane.flows.spec import FlowSpec
from tradelane.ports.flows import ExceptionFilter, NewException
from tradelane.store.engine import make_engine, upgrade
from tradelane.store.sql import SqlStore


def open_store(db_url: str) -> SqlStore:
    engine = make_engine(db_url)
    upgrade(engine)
    return SqlStore(engine)


def breach(n: int) -> NewException:
    return NewException(
        tenant="acme", type="sla_breach", severity="high", entity_kind="order", entity_id="SO7",
        owner_team="warehouse", summary="late", dedupe_key="sla:release:ack:SO7", links={"hub_ids": [f"evt_{n}"]},
    )


async def test_racing_hubs_open_one_exception_per_dedupe_key(db_url: str) -> None:
    a, b = open_store(db_url), open_store(db_url)
    try:
        sa, sb = ExceptionService(a), ExceptionService(b)
        results = await asyncio.gather(*[(sa if i % 2 else sb).open(breach(i)) for i in range(12)])
        assert sum(created for _, created in results) == 1
        assert len({view.id for view, _ in results}) == 1
        [x] = (await a.list_exceptions(ExceptionFilter(tenant="acme"), 50))[0]
        assert sorted(x.links["hub_ids"]) == sorted(f"evt_{i}" for i in range(12))
        # another tenant with the same key is another exception
        other, created = await sa.open(replace(breach(99), tenant="globex"))
        assert created and other.id != x.id
        # transitions: ack twice is refused, an unknown id or another tenant's is not found
        await sa.acknowledge(x.id, "acme", "ops")
        with pytest.raises(ConflictError):
            await sb.acknowledge(x.id, "acme", "ops")
        with pytest.raises(NotFound):
            await sa.resolve(x.id, "globex", "ops", "no")
        with pytest.raises(NotFound):
            await sa.resolve("exc_missing", None, "ops", "no")
        resolved = await sb.resolve(x.id, None, "ops", "fixed")
        assert resolved.status == "resolved" and resolved.age_s(datetime.now(UTC) + timedelta(days=1)) < 3600
        again, created = await sa.open(breach(100))
        assert created and again.id != x.id
    finally:
        await a.close()
        await b.close()


async def test_a_batch_flow_runs_once_per_fire_time_across_hubs(db_url: str) -> None:
    a, b = open_store(db_url), open_store(db_url)
    runs: list[tuple[str, datetime]] = []

    async def settle(flow: str, fire: datetime) -> dict[str, Any]:
        runs.append((flow, fire))
        await asyncio.sleep(0)
        return {"matched": 3}

    async def broken(flow: str, fire: datetime) -> None:
        raise RuntimeError("carrier API down")

    flows = [
        FlowSpec("settlement", "", "batch", "*/5 * * * *", "finance", True, ()),
        FlowSpec("recon", "", "batch", "*/5 * * * *", "warehouse", True, ()),
        FlowSpec("release", "", "realtime", None, "warehouse", True, ()),
    ]
    t0 = datetime(2026, 11, 22, 8, 3, tzinfo=UTC)
    clock = [t0]
    jobs = {"settlement": settle, "recon": broken, "release": settle}
    sa = BatchScheduler(a, flows, jobs, owner="hub-a", clock=lambda: clock[0])
    sb = BatchScheduler(b, flows, jobs, owner="hub-b", clock=lambda: clock[0])
    try:
        assert [f.name for f in sa.flows] == ["settlement", "recon"]  # realtime flows are not scheduled
        assert await sa.run_due() == [] and await sb.run_due() == []  # first fire time is 08:05
        clock[0] = t0 + timedelta(minutes=2, seconds=1)
        got = await asyncio.gather(sa.run_due(), sb.run_due())
        fire = datetime(2026, 11, 22, 8, 5, tzinfo=UTC)
        outcomes = sorted(o for res in got for o in res)
        assert outcomes == sorted([("recon", fire, "failed"), ("recon", fire, "taken"),
                                   ("settlement", fire, "done"), ("settlement", fire, "taken")])
        assert runs == [("settlement", fire)]
        last = await a.last_job_runs(["settlement", "recon"])
        assert last["settlement"]["status"] == "done" and last["settlement"]["detail"] == {"matched": 3}
        assert last["recon"]["status"] == "failed" and "carrier API down" in last["recon"]["detail"]["error"]
        assert await sa.run_due() == []  # not again until 08:10
    finally:
        await a.close()
        await b.close()
