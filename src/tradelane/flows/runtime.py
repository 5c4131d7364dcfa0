"""The flow runtime a hub runs: the exception, conflict and SLA services and their background loops (SLA
projector + due scan, Odoo mirror of exceptions, batch scheduler). Everything durable is in the database,
so stopping a hub and starting another on the same database resumes where the first stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass

from tradelane.flows.conflicts import ConflictService
from tradelane.flows.exceptions import ExceptionService
from tradelane.flows.scheduler import BatchJob, BatchScheduler
from tradelane.flows.sla import SlaEngine
from tradelane.flows.spec import FlowSpec
from tradelane.ports.flows import ExceptionMirror, FlowStore

__all__ = ["FlowRuntime", "RuntimeConfig"]

log = logging.getLogger("tradelane.flows")


@dataclass(frozen=True)
class RuntimeConfig:
    """Loop timing of the runtime (from the ``flow_runtime`` settings)."""

    #: run the background loops at all (off: API and CLI only)
    loops: bool = True
    #: seconds between SLA rounds when idle
    sla_interval_s: float = 1.0
    #: seconds between mirror rounds when idle
    mirror_interval_s: float = 5.0
    #: see :data:`tradelane.flows.sla.SETTLE_S`
    settle_s: float = 2.0
    #: the SLA projector's first run on a database reads the stored history too (default: new events only)
    sla_from_history: bool = False


class FlowRuntime:
    """Services plus loops.

    :param on_breach: ``(flow, sla)`` hook per SLA breach (connect the ``sla_breaches_total`` counter here)
    :param jobs: batch jobs by flow name, run by the batch scheduler on the flow's cron
    """

    def __init__(
        self,
        store: FlowStore,
        flows: Sequence[FlowSpec],
        *,
        mirror: ExceptionMirror | None = None,
        on_breach: Callable[[str, str], None] | None = None,
        jobs: Mapping[str, BatchJob] | None = None,
        config: RuntimeConfig = RuntimeConfig(),
        on_close: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.store = store
        self.flows = tuple(flows)
        self.config = config
        self.exceptions = ExceptionService(store, mirror)
        self.conflicts = ConflictService(store)
        self.sla = SlaEngine(
            store, [s for f in self.flows for s in f.slas], on_breach=on_breach, mirror=mirror is not None,
            settle_s=config.settle_s, from_history=config.sla_from_history,
        )
        self._jobs: dict[str, BatchJob] = dict(jobs or {})
        self.scheduler = BatchScheduler(store, self.flows, self._jobs)
        self._tasks: list[asyncio.Task[None]] = []
        self._on_close = on_close
        self._closers: list[Callable[[], Awaitable[None]]] = []
        #: (name, work, interval) run in a loop while the runtime runs: e.g. the outbound flow's change capture
        self.pollers: list[tuple[str, Callable[[], Awaitable[object]], float]] = []

    def add_poller(self, name: str, work: Callable[[], Awaitable[object]], interval_s: float) -> None:
        """Run ``work`` every ``interval_s`` seconds while the runtime runs (a failure is logged and retried)."""
        self.pollers.append((name, work, interval_s))

    def add_job(self, flow: str, job: BatchJob) -> None:
        """Register the batch job of ``flow`` (run by the scheduler on the flow's cron)."""
        self._jobs[flow] = job
        self.scheduler = BatchScheduler(self.store, self.flows, self._jobs)

    def add_closer(self, closer: Callable[[], Awaitable[None]]) -> None:
        """Called once when the runtime stops (closes connections the flows opened)."""
        self._closers.append(closer)

    async def _poll_loop(self, name: str, work: Callable[[], Awaitable[object]], interval_s: float) -> None:
        while True:
            try:
                await work()
            except Exception:  # Odoo or a partner may be briefly away: the next round tries again
                log.exception("flow poller %s failed", name)
            await asyncio.sleep(interval_s)

    def flow(self, name: str) -> FlowSpec | None:
        return next((f for f in self.flows if f.name == name), None)

    async def _sla_loop(self) -> None:
        while True:
            more = False
            try:
                more = (await self.sla.run_round()).more
            except Exception:  # the database may be briefly away; the cursor makes the retry exact
                log.exception("SLA round failed")
            if not more:
                await asyncio.sleep(self.config.sla_interval_s)

    async def _mirror_loop(self) -> None:
        while True:
            try:
                await self.exceptions.mirror_pending()
            except Exception:
                log.exception("exception mirror round failed")
            await asyncio.sleep(self.config.mirror_interval_s)

    async def start(self) -> None:
        if not self.config.loops or self._tasks:
            return
        if self.sla.types:
            try:  # anchor the cursor now, so that every event stored after start() is timed
                await self.sla.project_once()
            except Exception:
                log.exception("first SLA round failed; the loop retries")
            self._tasks.append(asyncio.create_task(self._sla_loop(), name="tradelane-sla"))
        if self.exceptions.mirroring:
            self._tasks.append(asyncio.create_task(self._mirror_loop(), name="tradelane-exception-mirror"))
        for name, work, interval in self.pollers:
            self._tasks.append(asyncio.create_task(self._poll_loop(name, work, interval), name=f"tradelane-{name}"))
        self.scheduler.start()

    async def stop(self) -> None:
        for t in self._tasks:
            t.cancel()
        for t in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await t
        self._tasks.clear()
        await self.scheduler.stop()
        for closer in self._closers:
            await closer()
        if self._on_close is not None:
            await self._on_close()
