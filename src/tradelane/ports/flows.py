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
    "Applied",
    "ArmTimer",
    "BillRequest",
    "CancelledOrder",
    "ConflictFilter",
    "ConflictView",
    "CursorPositions",
    "EventSink",
    "ExceptionFilter",
    "ExceptionMirror",
    "ExceptionView",
    "FlowStore",
    "MirrorOutcome",
    "NewConflict",
    "NewException",
    "OrderDesk",
    "PickingState",
    "ProjectedEvent",
    "ProjectionResult",
    "QuantRow",
    "References",
    "ReleaseCandidate",
    "ReleaseLine",
    "SlaBreach",
    "SlaTimerFilter",
    "SlaTimerView",
    "StopTimer",
    "TimerOp",
    "Transport",
    "Warehouse",
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
    source: str | None = None

    def as_document(self) -> dict[str, Any]:
        """The CloudEvent-shaped document JMESPath keys and SLA scopes are evaluated against."""
        return {
            "type": self.type,
            "source": self.source,
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
    #: a repeated start moves the due time of a timer still armed (the due time comes from the event, e.g. an
    #: ETA that changed); otherwise the first start counts
    rearm: bool = False


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


# -- business flows: what the outbound and settlement flows need from Odoo and the partners ---------------------
@dataclass(frozen=True, slots=True)
class ReleaseLine:
    """One move of a delivery order to release: product, demand and unit."""

    line_id: str
    sku: str
    quantity: float
    #: canonical unit code (``EA`` …)
    unit: str = "EA"


@dataclass(frozen=True, slots=True)
class ReleaseCandidate:
    """A delivery order of a confirmed sale order, found by change capture, not yet shipped."""

    order_ref: str
    order_odoo_id: int
    picking_ref: str
    picking_odoo_id: int
    lines: tuple[ReleaseLine, ...]
    customer_ref: str | None = None
    scheduled: datetime | None = None
    #: the order's first delivery order (else a backorder, released under its own release number)
    first: bool = True


@dataclass(frozen=True, slots=True)
class CancelledOrder:
    """A sale order cancelled in Odoo, found by change capture."""

    order_ref: str
    order_odoo_id: int


@dataclass(frozen=True, slots=True)
class Applied:
    """What applying a canonical event to Odoo did (mirrors the Odoo applier's result)."""

    #: ``applied``, ``already`` (a replay) or ``ignored``
    outcome: str
    detail: str
    #: ``model:id`` of the records written
    records: tuple[str, ...] = ()
    discrepancies: tuple[Mapping[str, Any], ...] = ()


@dataclass(frozen=True, slots=True)
class PickingState:
    """A delivery order as Odoo holds it: state and demand per product."""

    odoo_id: int
    name: str
    state: str
    order_ref: str | None
    #: sku → demanded quantity
    demand: Mapping[str, float]
    tracking_ref: str | None = None


@dataclass(frozen=True, slots=True)
class BillRequest:
    """A carrier's invoice to post as a vendor bill, once (the reference is the carrier's invoice number)."""

    carrier_ref: str
    invoice_number: str
    invoice_date: str
    currency: str
    #: ``(description, amount)`` per charge line
    lines: tuple[tuple[str, float], ...]
    #: the hub's key for the effect (idempotency)
    key: str
    #: ``default_code`` of the freight service product the lines are booked on (its expense account)
    product_ref: str | None = None


@dataclass(frozen=True, slots=True)
class QuantRow:
    """Stock on hand in Odoo (or in the warehouse's snapshot) for one product, lot and location."""

    sku: str
    quantity: float
    lot: str | None = None
    location: str | None = None


class OrderDesk(Protocol):
    """Odoo as the outbound and settlement flows use it (the adapter wraps the Odoo connector)."""

    async def poll_releases(self) -> list[ReleaseCandidate]:
        """Delivery orders of sale orders confirmed or changed since the last poll (change capture)."""
        ...

    async def poll_cancellations(self) -> list[CancelledOrder]:
        """Sale orders cancelled since the last poll (change capture)."""
        ...

    async def picking(self, name: str) -> PickingState | None: ...

    async def order_pickings(self, order_ref: str) -> list[PickingState]:
        """Every delivery order of a sale order, oldest first."""
        ...

    async def apply(self, event: Mapping[str, Any]) -> Applied:
        """Apply a canonical event (ship confirmation, milestone, POD) to Odoo, idempotently."""
        ...

    async def set_carrier(self, picking_id: int, tracking_ref: str | None, carrier_name: str | None,
                          note: str, key: str) -> None:
        """Write the carrier's tracking (PRO) number on the delivery order and note the booking in its chatter."""
        ...

    async def post_vendor_bill(self, bill: BillRequest) -> tuple[int, bool]:
        """Post a vendor bill once per carrier and invoice number: ``(move id, created now)``."""
        ...

    async def quants(self, skus: list[str]) -> list[QuantRow]:
        """Stock on hand in the warehouse's stock location per product (and lot)."""
        ...

    async def adjust(self, counts: list[QuantRow], key: str) -> int:
        """Set counted quantities (an inventory adjustment, applied once per key); returns lines changed."""
        ...


class Warehouse(Protocol):
    """The WMS as the outbound flow uses it."""

    async def release(self, event: Mapping[str, Any]) -> tuple[str | None, tuple[str, ...]]:
        """Release an order: ``(the WMS's delivery number, refusal messages)``; raises when unreachable."""
        ...

    async def snapshot(self, site: str) -> list[QuantRow]:
        """The WMS's stock on hand per product and lot."""
        ...

    async def cancel(self, order_no: str) -> str:
        """Stop an order the WMS holds: ``cancelled``, ``too_late`` (already shipped) or ``unknown``."""
        ...


class Transport(Protocol):
    """The TMS as the outbound flow uses it."""

    async def tender(self, event: Mapping[str, Any]) -> tuple[str, ...]:
        """Send a tender; returns refusal messages (empty = acknowledged); raises when unreachable."""
        ...


class EventSink(Protocol):
    """Where a flow records the events it emits (the hub's ingest: stored, routed, deduplicated by id)."""

    async def emit(self, tenant: str, events: list[dict[str, Any]]) -> list[str]:
        """Validate and commit ``events``; returns ``created`` or ``duplicate`` per event."""
        ...

    async def find(self, tenant: str, event_type: str, since: datetime | None = None,
                   limit: int = 1000) -> list[dict[str, Any]]:
        """Stored events of one type, oldest first (as CloudEvent dicts)."""
        ...


class References(Protocol):
    """Cross references the flows write so partner callbacks resolve (a view of the xref port)."""

    async def link(self, tenant: str, partner: str, kind: str, partner_value: str, canonical_id: str,
                   odoo_id: int | None = None) -> None: ...

    async def lookup(self, tenant: str, partner: str, kind: str, partner_value: str) -> tuple[str, int | None] | None:
        """``(canonical id, Odoo id)`` of a partner value."""
        ...

    async def partner_value(self, tenant: str, partner: str, kind: str, canonical_id: str) -> str | None: ...


class CursorPositions(Protocol):
    """Named, durable positions of the flows' tailers (e.g. where the change capture of Odoo stopped), so a
    restarted hub resumes instead of re-reading from the beginning."""

    async def get(self, name: str) -> int | None:
        """The stored position (``None``: never written)."""
        ...

    async def put(self, name: str, position: int) -> None: ...
