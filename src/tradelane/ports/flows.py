"""Flow runtime ports: exceptions, SLA timers, ownership conflicts, and the Odoo mirror of exceptions.

Value types cross the boundary between the flow services (:mod:`tradelane.flows`) and the SQL store
(``tradelane.store.flows``); the services never see SQL. Exception life::

    open ──acknowledge──> acknowledged ──resolve──> resolved
      └────────────────────resolve──────────────────────┘

An SLA timer's life (one per tenant, flow, SLA and key)::

    (start event) armed ──stop in time──> met
                  armed ──due scan / late stop──> breached (an exception is opened)
    (stop event first) met, started_at empty; the later start only fills it in

A conflict's life: ``open`` → ``accepted`` | ``rejected`` (by a person; accepted returns the value to apply).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

__all__ = [
    "ACK",
    "RESOLVE",
    "ArmTimer",
    "ConflictFilter",
    "ConflictView",
    "ExceptionFilter",
    "ExceptionMirror",
    "ExceptionView",
    "FlowStore",
    "MirrorOutcome",
    "NewConflict",
    "NewException",
    "ProjectedEvent",
    "ProjectionResult",
    "SlaBreach",
    "SlaTimerFilter",
    "SlaTimerView",
    "StopTimer",
    "TimerOp",
]

Transition = Literal["acknowledge", "resolve"]

#: transition names accepted by :meth:`FlowStore.transition_exception`
ACK: Transition = "acknowledge"
RESOLVE: Transition = "resolve"


def _iso(v: Any) -> Any:
    return v.isoformat().replace("+00:00", "Z") if isinstance(v, datetime) else v


# -- exceptions ---------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class NewException:
    """An exception to open. With ``dedupe_key``, a second open while the first is unresolved returns the first."""

    tenant: str
    #: what went wrong (``sla_breach``, ``short_shipped``, ``invoice_mismatch`` …)
    type: str
    #: ``low`` | ``medium`` | ``high`` | ``critical``
    severity: str
    #: the entity kind (``shipment``, ``order`` …) and its canonical id
    entity_kind: str
    entity_id: str
    owner_team: str
    summary: str
    detail: str | None = None
    #: the flow that raised it, when one did
    flow: str | None = None
    #: the same breach is never open twice: the key is unique among a tenant's unresolved exceptions
    dedupe_key: str | None = None
    #: linked messages: ``hub_ids`` (events), ``delivery_ids``, ``correlation_id``; ``odoo`` = {model, id}
    links: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ExceptionView:
    """An exception as stored, with its history when read one by one."""

    id: str
    tenant: str
    type: str
    severity: str
    status: str
    entity_kind: str
    entity_id: str
    owner_team: str
    summary: str
    detail: str | None
    flow: str | None
    dedupe_key: str | None
    links: Mapping[str, Any]
    opened_at: datetime
    updated_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    resolution: str | None
    version: int
    #: the status last mirrored to Odoo (``None``: never)
    mirror_state: str | None = None
    mirror_ref: str | None = None
    mirror_error: str | None = None
    #: who did what, oldest first: ``{at, actor, action, from_status, to_status, note}``
    history: tuple[Mapping[str, Any], ...] = ()

    def age_s(self, now: datetime) -> float:
        """Aging: seconds open (until resolved, when resolved)."""
        end = self.resolved_at or now
        return max(0.0, (end - self.opened_at).total_seconds())

    def as_dict(self, now: datetime) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k in self.__dataclass_fields__:
            v = getattr(self, k)
            if k == "history":
                if v:
                    out[k] = [{hk: _iso(hv) for hk, hv in h.items()} for h in v]
                continue
            out[k] = _iso(v) if not isinstance(v, Mapping) else dict(v)
        out["entity"] = f"{self.entity_kind}/{self.entity_id}"
        out["age_s"] = round(self.age_s(now), 3)
        return out


@dataclass(frozen=True, slots=True)
class ExceptionFilter:
    """Selects exceptions; every given criterion must match."""

    #: ``None`` = every tenant (operators)
    tenant: str | None = None
    status: str | None = None
    type: str | None = None
    owner_team: str | None = None
    entity_kind: str | None = None
    entity_id: str | None = None
    flow: str | None = None


# -- SLA timers ---------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ProjectedEvent:
    """What the SLA projector sees of a stored event."""

    seq: int
    hub_id: str
    tenant: str
    type: str
    subject: str | None
    partition_key: str | None
    correlation_id: str | None
    #: the event's own time, else when the hub received it
    time: datetime
    data: Any

    def as_document(self) -> dict[str, Any]:
        """The CloudEvent-shaped document JMESPath keys are evaluated against."""
        return {
            "type": self.type,
            "subject": self.subject,
            "partitionkey": self.partition_key,
            "correlationid": self.correlation_id,
            "tenant": self.tenant,
            "data": self.data,
        }


@dataclass(frozen=True, slots=True)
class ArmTimer:
    """A start event: arm the timer (or fill in the start of one whose stop came first)."""

    tenant: str
    flow: str
    sla: str
    key: str
    entity_kind: str
    severity: str
    owner_team: str
    started_at: datetime
    due_at: datetime
    hub_id: str
    correlation_id: str | None = None


@dataclass(frozen=True, slots=True)
class StopTimer:
    """A stop event: the timer is met (or breached, when the stop came after the due time)."""

    tenant: str
    flow: str
    sla: str
    key: str
    entity_kind: str
    severity: str
    owner_team: str
    stopped_at: datetime
    hub_id: str


TimerOp = ArmTimer | StopTimer


@dataclass(frozen=True, slots=True)
class SlaBreach:
    """One timer that breached, and the exception it opened (or joined)."""

    timer_id: str
    tenant: str
    flow: str
    sla: str
    key: str
    exception_id: str


@dataclass(frozen=True, slots=True)
class ProjectionResult:
    """What one projector step did."""

    #: events read (and the cursor advanced past)
    events: int = 0
    armed: int = 0
    stopped: int = 0
    #: duplicate starts/stops that changed nothing
    ignored: int = 0
    #: timers found breached by a late stop
    breaches: tuple[SlaBreach, ...] = ()
    #: ``False`` when another hub holds the cursor (nothing was done)
    ran: bool = True


@dataclass(frozen=True, slots=True)
class SlaTimerFilter:
    tenant: str | None = None
    flow: str | None = None
    sla: str | None = None
    status: str | None = None
    key: str | None = None


@dataclass(frozen=True, slots=True)
class SlaTimerView:
    id: str
    tenant: str
    flow: str
    sla: str
    key: str
    entity_kind: str
    status: str
    severity: str
    owner_team: str
    started_at: datetime | None
    due_at: datetime | None
    stopped_at: datetime | None
    breached_at: datetime | None
    start_hub_id: str | None
    stop_hub_id: str | None
    correlation_id: str | None
    exception_id: str | None
    created_at: datetime
    updated_at: datetime

    def as_dict(self) -> dict[str, Any]:
        return {k: _iso(getattr(self, k)) for k in self.__dataclass_fields__}


# -- conflicts ----------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class NewConflict:
    """A change a non-owner proposed (see :class:`tradelane.routing.ownership.Conflict`)."""

    tenant: str
    entity_kind: str
    entity_id: str
    field: str
    source: str
    owners: tuple[str, ...]
    current: Any
    proposed: Any
    #: the hub id of the event that proposed it
    event_id: str | None = None


@dataclass(frozen=True, slots=True)
class ConflictView:
    id: str
    tenant: str
    entity_kind: str
    entity_id: str
    field: str
    source: str
    owners: tuple[str, ...]
    current: Any
    proposed: Any
    event_id: str | None
    status: str
    decided_by: str | None
    decided_at: datetime | None
    note: str | None
    created_at: datetime
    updated_at: datetime

    def as_dict(self) -> dict[str, Any]:
        out = {k: _iso(getattr(self, k)) for k in self.__dataclass_fields__}
        out["owners"] = list(self.owners)
        out["entity"] = f"{self.entity_kind}/{self.entity_id}"
        return out


@dataclass(frozen=True, slots=True)
class ConflictFilter:
    tenant: str | None = None
    status: str | None = None
    entity_kind: str | None = None
    entity_id: str | None = None
    source: str | None = None


# -- the store and the mirror -------------------------------------------------------------------------------
#: turns one event into timer operations; runs inside the projector's transaction, so it must be pure
TimerPlanner = Callable[[ProjectedEvent], list[TimerOp]]


class FlowStore(Protocol):
    """Persistence of the flow runtime; every method is one transaction."""

    async def open_exception(self, new: NewException, now: datetime, mirror: bool) -> tuple[ExceptionView, bool]:
        """Open ``new``, or return the unresolved exception with its dedupe key (``False``: not created)."""
        ...

    async def transition_exception(
        self, exception_id: str, tenant: str | None, action: Transition, actor: str, note: str | None,
        now: datetime, mirror: bool,
    ) -> ExceptionView:
        """Acknowledge or resolve. Raises ``NotFound`` (unknown for ``tenant``) or ``ConflictError``
        (the transition is not allowed from the current status)."""
        ...

    async def get_exception(self, exception_id: str, tenant: str | None) -> ExceptionView | None: ...

    async def list_exceptions(
        self, flt: ExceptionFilter, limit: int, after: str | None = None
    ) -> tuple[list[ExceptionView], str | None]: ...

    async def claim_exception_mirrors(self, now: datetime, limit: int, lease_s: float) -> list[ExceptionView]:
        """Exceptions whose status has not been mirrored yet, leased for ``lease_s``."""
        ...

    async def finish_exception_mirror(
        self, exception_id: str, mirrored_status: str | None, ref: str | None, error: str | None,
        retry_at: datetime | None, now: datetime,
    ) -> None:
        """Record a mirror attempt: success (``mirrored_status``) or failure (``error``, retry at ``retry_at``)."""
        ...

    async def project_sla_events(
        self, cursor: str, types: frozenset[str], plan: TimerPlanner, now: datetime, limit: int,
        settle_s: float, mirror: bool, from_history: bool = False,
    ) -> ProjectionResult:
        """Read events after the cursor (only those older than ``settle_s``), apply ``plan``'s timer operations
        and advance the cursor, all in one transaction. A cursor met for the first time starts after the newest
        stored event, or before the oldest with ``from_history``."""
        ...

    async def breach_due_timers(self, now: datetime, limit: int, mirror: bool) -> list[SlaBreach]:
        """Mark armed timers due at ``now`` breached and open their exceptions, in one transaction
        (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several hubs can run it)."""
        ...

    async def list_sla_timers(
        self, flt: SlaTimerFilter, limit: int, after: str | None = None
    ) -> tuple[list[SlaTimerView], str | None]: ...

    async def count_sla_timers(self, flt: SlaTimerFilter) -> dict[str, int]:
        """Timers matching ``flt`` counted by status."""
        ...

    async def record_conflicts(self, conflicts: list[NewConflict], now: datetime) -> list[tuple[ConflictView, bool]]:
        """Record conflicts idempotently (same event, entity, field and source → the same record)."""
        ...

    async def list_conflicts(
        self, flt: ConflictFilter, limit: int, after: str | None = None
    ) -> tuple[list[ConflictView], str | None]: ...

    async def get_conflict(self, conflict_id: str, tenant: str | None) -> ConflictView | None: ...

    async def decide_conflict(
        self, conflict_id: str, tenant: str | None, decision: Literal["accepted", "rejected"], actor: str,
        note: str | None, now: datetime,
    ) -> ConflictView:
        """Accept or reject an open conflict; raises ``NotFound`` or ``ConflictError`` (already decided)."""
        ...

    async def claim_job_run(self, job: str, fire_time: datetime, owner: str, now: datetime) -> bool:
        """Take the single run of a scheduled job at ``fire_time`` (``False``: another instance has it)."""
        ...

    async def finish_job_run(
        self, job: str, fire_time: datetime, status: str, detail: dict[str, Any] | None, now: datetime
    ) -> None: ...

    async def last_job_runs(self, jobs: list[str]) -> dict[str, dict[str, Any]]:
        """The latest run of each job: ``{fire_time, status, owner, finished_at, detail}``."""
        ...


@dataclass(frozen=True, slots=True)
class MirrorOutcome:
    """What mirroring one exception did."""

    #: ``done`` (the record in Odoo reflects the status) or ``skipped`` (no Odoo record to mirror to)
    status: Literal["done", "skipped"]
    #: e.g. ``mail.activity:42``
    ref: str | None = None
    detail: str | None = None


class ExceptionMirror(Protocol):
    """Mirrors an exception into another system (Odoo: an activity on the record). Must be idempotent: the
    same exception and status may be mirrored again after a crash."""

    async def mirror(self, exception: ExceptionView) -> MirrorOutcome: ...
