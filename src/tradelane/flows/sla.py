"""SLA timers, durable across restarts and shared by several hubs.

:class:`SlaEngine` turns the configured :class:`~tradelane.flows.spec.SlaSpec` list into a pure
:meth:`~SlaEngine.plan` (event → timer operations) that the store applies while it tails the ``events`` table
(the cursor and the timers move in one transaction), and runs the due scan that marks breaches and opens
their exceptions. Every breach is reported once to ``on_breach(flow, sla)`` — the hook for the
``sla_breaches_total{flow,sla}`` counter.

Each SLA can be scoped (``where``, ``start_where``, ``stop_where``: JMESPath conditions over the event) so it
times only the events of its flow, tenant or partner; the stop side may read its key with another expression
(``stop_key``), and a key expression yielding a list times every element.

Out-of-order events are expected: a stop seen before its start records a met timer whose start is filled in
later; a stop after the due time breaches (late), whether or not the due scan got there first.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from tradelane.flows.spec import SlaSpec
from tradelane.ports.flows import ArmTimer, FlowStore, ProjectedEvent, SlaBreach, StopTimer, TimerOp

__all__ = ["PROJECTOR_CURSOR", "SlaEngine", "SlaRound"]

log = logging.getLogger("tradelane.flows")

#: the ``flow_cursors`` row of the SLA projector
PROJECTOR_CURSOR = "sla-projector"
#: events read per projector transaction
PROJECT_BATCH = 500
#: timers breached per scan transaction
SCAN_BATCH = 200
#: seconds an event must have been stored before the projector reads it (PostgreSQL may commit a lower seq
#: after a higher one; ingest transactions last milliseconds, so this is generous)
SETTLE_S = 2.0

BreachHook = Callable[[str, str], None]


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class SlaRound:
    """What one projector-and-scan round did."""

    events: int
    armed: int
    stopped: int
    breaches: tuple[SlaBreach, ...]
    #: whether the batch was full (more work is probably waiting)
    more: bool


class SlaEngine:
    """Projector and due scan for a set of SLAs.

    :param store: the flow store
    :param specs: the SLAs of every flow
    :param on_breach: called with ``(flow, sla)`` once per breach, after its transaction committed
    :param mirror: whether opened exceptions are due for mirroring (a mirror is configured)
    :param settle_s: see :data:`SETTLE_S`
    :param from_history: the first run on a database reads every stored event (default: only new ones)
    """

    def __init__(
        self,
        store: FlowStore,
        specs: Sequence[SlaSpec],
        *,
        on_breach: BreachHook | None = None,
        mirror: bool = False,
        settle_s: float = SETTLE_S,
        batch: int = PROJECT_BATCH,
        clock: Callable[[], datetime] = _utcnow,
        from_history: bool = False,
    ) -> None:
        self.store = store
        self.specs = tuple(specs)
        self.on_breach = on_breach
        self.mirror = mirror
        self.settle_s = settle_s
        self.batch = batch
        self.clock = clock
        self.from_history = from_history
        self.types = frozenset(t for s in self.specs for t in (*s.start, *s.stop))
        #: breaches counted by this process, per (flow, sla)
        self.breach_counts: dict[tuple[str, str], int] = {}

    def plan(self, ev: ProjectedEvent) -> list[TimerOp]:
        """The timer operations ``ev`` causes (pure: runs inside the projector's transaction)."""
        ops: list[TimerOp] = []
        for s in self.specs:
            is_start = ev.type in s.start and s.starts(ev)
            is_stop = ev.type in s.stop and s.stops(ev)
            if not (is_start or is_stop):
                continue
            if is_start:
                keys = s.start_keys(ev)
                due = ev.time + s.within
                if s.due_at is not None:
                    at = s.due(ev)
                    if at is None:
                        log.debug("event %s has no due time %r for SLA %s/%s", ev.hub_id, s.due_at, s.flow, s.name)
                        keys = ()
                    else:
                        due = at + s.within
                if not keys:
                    log.debug("event %s has no key %r for SLA %s/%s", ev.hub_id, s.key, s.flow, s.name)
                for key in keys:
                    ops.append(
                        ArmTimer(
                            tenant=ev.tenant, flow=s.flow, sla=s.name, key=key, entity_kind=s.entity_kind,
                            severity=s.severity, owner_team=s.owner_team, started_at=ev.time,
                            due_at=due, hub_id=ev.hub_id, correlation_id=ev.correlation_id,
                            rearm=s.due_at is not None,
                        )
                    )
            if is_stop:
                for key in s.stop_keys(ev):
                    ops.append(
                        StopTimer(
                            tenant=ev.tenant, flow=s.flow, sla=s.name, key=key, entity_kind=s.entity_kind,
                            severity=s.severity, owner_team=s.owner_team, stopped_at=ev.time, hub_id=ev.hub_id,
                        )
                    )
        return ops

    def _report(self, breaches: Sequence[SlaBreach]) -> None:
        for b in breaches:
            self.breach_counts[(b.flow, b.sla)] = self.breach_counts.get((b.flow, b.sla), 0) + 1
            if self.on_breach is not None:
                try:
                    self.on_breach(b.flow, b.sla)
                except Exception:  # a metrics hook must never stop the timers
                    log.exception("on_breach hook failed")

    async def project_once(self) -> tuple[int, int, int, tuple[SlaBreach, ...], bool]:
        """One projector step: ``(events, armed, stopped, breaches, batch_full)``."""
        if not self.types:
            return 0, 0, 0, (), False
        res = await self.store.project_sla_events(
            PROJECTOR_CURSOR, self.types, self.plan, self.clock(), self.batch, self.settle_s, self.mirror,
            self.from_history,
        )
        self._report(res.breaches)
        return res.events, res.armed, res.stopped, res.breaches, res.events >= self.batch

    async def scan_once(self, limit: int = SCAN_BATCH) -> list[SlaBreach]:
        """Breach every armed timer that is due now; returns the breaches (each reported once)."""
        breaches = await self.store.breach_due_timers(self.clock(), limit, self.mirror)
        self._report(breaches)
        return breaches

    async def run_round(self) -> SlaRound:
        """Project what is new, then scan for due timers."""
        events, armed, stopped, late, more = await self.project_once()
        due = await self.scan_once()
        return SlaRound(events, armed, stopped, (*late, *due), more or len(due) >= SCAN_BATCH)
