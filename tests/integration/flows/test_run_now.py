"""A batch flow run "now" (outside its cron) is recorded in ``job_runs`` like a scheduled run: done with the
job's result, failed with the error, and an unknown flow is refused; on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tradelane.flows.scheduler import BatchScheduler
from tradelane.flows.spec import FlowSpec
from tradelane.store.engine import make_engine, upgrade
from tradelane.store.sql import SqlStore


async def test_run_now_is_recorded_like_a_scheduled_run(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    store = SqlStore(engine)
    now = [datetime(2026, 11, 22, 14, 0, tzinfo=UTC)]
    calls: list[tuple[str, datetime]] = []

    async def settle(flow: str, fire: datetime) -> dict[str, Any]:
        calls.append((flow, fire))
        return {"bills_posted": 3}

    async def broken(flow: str, fire: datetime) -> None:
        raise RuntimeError("Odoo is away")

    flows = [FlowSpec("settlement", "", "batch", "0 2 * * *", "finance", True, ()),
             FlowSpec("inventory", "", "batch", "30 3 * * *", "inventory", True, ())]
    scheduler = BatchScheduler(store, flows, {"settlement": settle, "inventory": broken}, owner="t",
                               clock=lambda: now[0])
    try:
        assert await scheduler.run_now("settlement") == ("done", {"bills_posted": 3})
        assert calls == [("settlement", now[0])]  # at 14:00, far from its 02:00 cron
        status, detail = await scheduler.run_now("inventory")
        assert status == "failed" and detail == {"error": "RuntimeError: Odoo is away"}
        runs = await store.last_job_runs(["settlement", "inventory"])
        assert runs["settlement"]["status"] == "done" and runs["settlement"]["detail"] == {"bills_posted": 3}
        assert runs["settlement"]["fire_time"] == now[0] and runs["settlement"]["finished_at"] is not None
        assert runs["inventory"]["status"] == "failed"
        # a second run a minute later is its own run; the scheduled cron is unaffected
        now[0] += timedelta(minutes=1)
        assert (await scheduler.run_now("settlement"))[0] == "done"
        assert (await store.last_job_runs(["settlement"]))["settlement"]["fire_time"] == now[0]
        assert await scheduler.run_due() == []
        with pytest.raises(KeyError, match="returns"):
            await scheduler.run_now("returns")
    finally:
        await store.close()
