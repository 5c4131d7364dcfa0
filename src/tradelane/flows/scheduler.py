"""Scheduled batch flows: each batch flow with a registered job runs on its cron, once per fire time across
every hub (a unique ``(job, fire_time)`` row in ``job_runs`` is the lock; the loser skips the run).

Fire times missed while no hub was running are not caught up: the next run covers them (batch jobs such as
settlement and reconciliation work on "everything since the last run").
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from tradelane.flows.catalogue import next_run
from tradelane.flows.spec import FlowSpec
from tradelane.ports.flows import FlowStore

__all__ = ["BatchJob", "BatchScheduler"]

log = logging.getLogger("tradelane.flows")

#: a batch job: ``(flow name, fire time) → detail`` recorded on the run (``None`` for none)
BatchJob = Callable[[str, datetime], Awaitable[Mapping[str, Any] | None]]
#: longest sleep between checks, seconds (a new fire time is never missed by more than this)
MAX_SLEEP_S = 30.0


def _utcnow() -> datetime:
    return datetime.now(UTC)


class BatchScheduler:
    """Runs registered batch jobs on their flows' cron.

    :param store: where ``job_runs`` live
    :param flows: the catalogue (only ``batch`` flows with a cron and a registered job are scheduled)
    :param jobs: flow name → job
    """

    def __init__(
        self,
        store: FlowStore,
        flows: Sequence[FlowSpec],
        jobs: Mapping[str, BatchJob],
        *,
        owner: str | None = None,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        self.store = store
        self.flows = [f for f in flows if f.mode == "batch" and f.cron and f.name in jobs]
        self.jobs = dict(jobs)
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}"
        self.clock = clock
        self._next: dict[str, datetime | None] = {}
        self._task: asyncio.Task[None] | None = None

    async def run_due(self) -> list[tuple[str, datetime, str]]:
        """Run every job whose next fire time has come; returns ``(flow, fire_time, outcome)`` per run taken
        (``done``, ``failed``) or skipped (``taken``: another instance ran it)."""
        now = self.clock()
        out: list[tuple[str, datetime, str]] = []
        for f in self.flows:
            assert f.cron is not None
            if f.name not in self._next:
                self._next[f.name] = next_run(f.cron, now)
            fire = self._next[f.name]
            if fire is None or fire > now:
                continue
            self._next[f.name] = next_run(f.cron, fire)
            status, _ = await self._run(f.name, fire)
            out.append((f.name, fire, status))
        return out

    async def _run(self, flow: str, fire: datetime) -> tuple[str, dict[str, Any] | None]:
        if not await self.store.claim_job_run(flow, fire, self.owner, self.clock()):
            return "taken", None
        status, detail = "done", None
        try:
            result = await self.jobs[flow](flow, fire)
            detail = dict(result) if result is not None else None
        except Exception as exc:  # a failed run is recorded; the next fire time runs again
            log.exception("batch flow %s (fire time %s) failed", flow, fire.isoformat())
            status, detail = "failed", {"error": f"{type(exc).__name__}: {exc}"[:500]}
        await self.store.finish_job_run(flow, fire, status, detail, self.clock())
        return status, detail

    async def run_now(self, flow: str) -> tuple[str, dict[str, Any] | None]:
        """Run the job of ``flow`` now, outside its cron (an operator's "run now", or the demo): recorded in
        ``job_runs`` under the current time as its fire time, exactly like a scheduled run, so whatever reads
        the last runs (the control tower) sees it. Returns ``(status, detail)``: ``done`` or ``failed`` with
        the job's result, or ``taken`` when another instance claimed the same instant.

        :raises KeyError: ``flow`` has no registered job
        """
        if flow not in self.jobs:
            raise KeyError(f"flow {flow!r} has no batch job in this hub")
        return await self._run(flow, self.clock())

    def seconds_to_next(self) -> float:
        now = self.clock()
        times = [t for t in self._next.values() if t is not None]
        if not times:
            return MAX_SLEEP_S
        return max(0.0, min(MAX_SLEEP_S, (min(times) - now).total_seconds()))

    async def _loop(self) -> None:
        while True:
            try:
                await self.run_due()
            except Exception:  # the database may be briefly away: try again on the next tick
                log.exception("batch scheduler round failed")
            await asyncio.sleep(self.seconds_to_next() or 0.05)

    def start(self) -> None:
        if self.flows and self._task is None:
            self._task = asyncio.create_task(self._loop(), name="tradelane-batch-scheduler")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
