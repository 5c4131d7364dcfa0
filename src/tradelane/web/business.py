"""The business board: what is wrong with orders, shipments and money, computed from the stored events and
the flow runtime (exceptions, SLA timers) — read through ``hub.store`` and ``hub.flows``, never SQL.

Each metric is a list of :class:`Record` (so every count links to its records) with a plain-words
definition shown on the board:

========================  =============================================================================
``awaiting_release``      an order confirmed (or created) with no ``order.released`` and no ``order.cancelled``
``silent``                a shipment not delivered whose latest update is older than ``web.board.silent_after``
``past_eta``              a shipment in transit (shipped, tendered, booked or with a milestone), not
                          delivered, whose latest ETA has passed
``delivered_no_pod``      a shipment reported delivered by a milestone with no ``shipment.delivered`` proof,
                          or whose proof carries no document
``pod_no_invoice``        a shipment with a proof of delivery that no carrier invoice (``carrier_invoice.received``,
                          ``shipment_refs``) bills yet
``freight_not_posted``    a ``freight.charged`` event with no delivery done whose shipment's carrier invoice has
                          not been settled (none yet, an open settlement exception, or newer than the last
                          settlement run — a matched invoice is posted as a vendor bill by that run)
``sla_breached``          SLA timers of the flow runtime that breached
``exceptions``            open and acknowledged exceptions, by owner team and age band
========================  =============================================================================

The scan is bounded: at most :data:`SCAN_CAP` events per event type are read per board; when a type has
more, the board says so (``truncated``) instead of pretending to be complete.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from tradelane.ports.delivery import DeliveryFilter
from tradelane.ports.flows import ExceptionFilter, ExceptionView, SlaTimerFilter
from tradelane.ports.store import EventFilter, StoredEvent

__all__ = [
    "AGE_BANDS",
    "METRICS",
    "BusinessBoard",
    "Metric",
    "Record",
    "age_band",
    "business_board",
    "open_exceptions",
    "scan_type",
]

#: most events of one type read per board
SCAN_CAP = 20_000
#: page size of the event scan
SCAN_PAGE = 500
#: most freight charges whose deliveries are looked up per board
FREIGHT_CAP = 2_000
#: most open exceptions read per board
EXCEPTIONS_CAP = 2_000
#: most breached SLA timers listed
TIMERS_CAP = 1_000
#: exception age bands: (upper bound in seconds or ``None``, label), youngest first
AGE_BANDS: tuple[tuple[float | None, str], ...] = (
    (3600.0, "under 1h"),
    (4 * 3600.0, "1h–4h"),
    (24 * 3600.0, "4h–24h"),
    (None, "over 24h"),
)

ORDER_TYPES = (
    "tradelane.order.created.v1",
    "tradelane.order.confirmed.v1",
    "tradelane.order.released.v1",
    "tradelane.order.cancelled.v1",
)
SHIPMENT_TYPES = (
    "tradelane.shipment.picked.v1",
    "tradelane.shipment.packed.v1",
    "tradelane.shipment.shipped.v1",
    "tradelane.shipment.tendered.v1",
    "tradelane.shipment.booked.v1",
    "tradelane.shipment.tender_rejected.v1",
    "tradelane.shipment.milestone.v1",
    "tradelane.shipment.eta_changed.v1",
    "tradelane.shipment.delivered.v1",
)
#: shipment events that mean the goods left the warehouse
IN_TRANSIT_TYPES = frozenset({
    "tradelane.shipment.shipped.v1",
    "tradelane.shipment.tendered.v1",
    "tradelane.shipment.booked.v1",
    "tradelane.shipment.milestone.v1",
})
FREIGHT_TYPE = "tradelane.freight.charged.v1"
INVOICE_TYPE = "tradelane.carrier_invoice.received.v1"

#: metric id → (label, definition)
METRICS: Mapping[str, tuple[str, str]] = {
    "awaiting_release": (
        "orders awaiting release",
        "Orders confirmed (or created) that no warehouse release and no cancellation followed.",
    ),
    "silent": (
        "shipments with no milestone beyond SLA",
        "Shipments not delivered whose latest update is older than the milestone SLA.",
    ),
    "past_eta": (
        "in transit past ETA",
        "Shipments that left the warehouse, are not delivered, and whose latest ETA has passed.",
    ),
    "delivered_no_pod": (
        "delivered without POD",
        "Shipments a milestone reports delivered with no proof of delivery, or a proof without any document.",
    ),
    "pod_no_invoice": (
        "POD without invoice",
        "Shipments with a proof of delivery that no carrier invoice bills yet.",
    ),
    "freight_not_posted": (
        "freight charges not posted",
        "Freight charges not posted yet: no delivery of the charge is done and the shipment's carrier invoice "
        "has not been settled (none yet, a settlement exception open, or waiting for the next settlement run).",
    ),
    "sla_breached": (
        "SLA breaches",
        "SLA timers of the flow catalogue that ran out before their stop event arrived.",
    ),
}


@dataclass(frozen=True)
class Record:
    """One record behind a count: what it is, since when, why it is counted, and where to look."""

    key: str
    #: ``order``, ``shipment``, ``freight`` or ``sla``
    kind: str
    tenants: tuple[str, ...]
    #: when the condition started (the order's confirmation, the last update, the ETA, the charge …)
    since: datetime | None
    #: why it is counted, in plain words
    reason: str
    #: the latest event type seen for it
    last_type: str = ""
    #: the trace query that shows its whole story
    trace: str = ""

    @property
    def trace_href(self) -> str:
        return "/ui/trace?q=" + quote(self.trace or self.key, safe="")


@dataclass
class Metric:
    id: str
    label: str
    definition: str
    records: list[Record] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.records)

    @property
    def href(self) -> str:
        return f"/ui/business/{self.id}"


@dataclass
class BusinessBoard:
    metrics: dict[str, Metric]
    #: owner team → age band label → count, for open and acknowledged exceptions
    exceptions: dict[str, dict[str, int]]
    exceptions_total: int
    #: ``None`` when the hub runs no flow runtime
    flows_connected: bool
    #: event types whose scan hit :data:`SCAN_CAP`
    truncated: list[str]
    now: datetime
    silent_after: timedelta

    @property
    def age_labels(self) -> list[str]:
        return [label for _, label in AGE_BANDS]


def _utc(value: Any) -> datetime | None:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return None


def age_band(age_s: float) -> str:
    """The label of the :data:`AGE_BANDS` band ``age_s`` falls in."""
    for upper, label in AGE_BANDS:
        if upper is None or age_s < upper:
            return label
    return AGE_BANDS[-1][1]


async def scan_type(hub: Any, etype: str, truncated: list[str]) -> list[StoredEvent]:
    """Every stored event of type ``etype`` (all tenants), oldest first, at most about :data:`SCAN_CAP`;
    ``etype`` is appended to ``truncated`` when there were more."""
    out: list[StoredEvent] = []
    cursor: str | None = None
    while True:
        page = await hub.store.list_events(EventFilter(type=etype), cursor, SCAN_PAGE)
        out.extend(page.items)
        cursor = page.next_cursor
        if cursor is None:
            return out
        if len(out) >= SCAN_CAP:
            truncated.append(etype)
            return out


def _data(ev: StoredEvent) -> dict[str, Any]:
    return ev.event.data if isinstance(ev.event.data, dict) else {}


def _key(ev: StoredEvent, field_name: str) -> str | None:
    value = _data(ev).get(field_name)
    if isinstance(value, str) and value:
        return value
    return ev.event.partitionkey or None


def _when(ev: StoredEvent) -> datetime:
    return _utc(ev.event.time) or _utc(ev.received_at) or ev.received_at


@dataclass
class _Order:
    tenants: set[str] = field(default_factory=set)
    confirmed_at: datetime | None = None
    released: bool = False
    cancelled: bool = False
    last_type: str = ""
    number: str = ""


@dataclass
class _Shipment:
    tenants: set[str] = field(default_factory=set)
    last_update: datetime | None = None
    last_type: str = ""
    in_transit: bool = False
    eta: datetime | None = None
    eta_seq: tuple[datetime, str] | None = None
    delivered_milestone: datetime | None = None
    pod_at: datetime | None = None
    pod_documents: int = 0
    correlation: str | None = None


def _orders(events: Iterable[StoredEvent]) -> dict[str, _Order]:
    orders: dict[str, _Order] = {}
    for ev in events:
        key = _key(ev, "order_id")
        if key is None:
            continue
        o = orders.setdefault(key, _Order())
        o.tenants.add(ev.tenant)
        o.last_type = ev.event.type
        data = _data(ev)
        number = data.get("number") or (data.get("order") or {}).get("number")
        if isinstance(number, str):
            o.number = number
        if ev.event.type.endswith(".released.v1"):
            o.released = True
        elif ev.event.type.endswith(".cancelled.v1"):
            o.cancelled = True
        else:
            at = _utc(data.get("confirmed_at")) or _when(ev)
            o.confirmed_at = at if o.confirmed_at is None else min(o.confirmed_at, at)
    return orders


def _milestone_step(ev: StoredEvent) -> tuple[datetime, datetime | None, str | None]:
    """(when it happened, the ETA it states, the milestone name) of one shipment event."""
    data = _data(ev)
    tracking = data.get("event")
    if isinstance(tracking, dict):
        at = _utc(tracking.get("occurred_at")) or _when(ev)
        ms = tracking.get("milestone")
        return at, _utc(tracking.get("estimated_delivery_at")), ms if isinstance(ms, str) else None
    if "new_eta" in data:
        return _utc(data.get("changed_at")) or _when(ev), _utc(data.get("new_eta")), None
    for name in ("shipped_at", "picked_at", "packed_at", "booked_at", "tendered_at", "rejected_at"):
        found = _utc(data.get(name))
        if found is not None:
            return found, None, None
    return _when(ev), None, None


def _shipments(events: Iterable[StoredEvent]) -> dict[str, _Shipment]:
    shipments: dict[str, _Shipment] = {}
    for ev in sorted(events, key=lambda e: e.received_at):
        key = _key(ev, "shipment_id")
        if key is None:
            continue
        s = shipments.setdefault(key, _Shipment())
        s.tenants.add(ev.tenant)
        s.correlation = s.correlation or ev.event.correlationid
        at, eta, milestone = _milestone_step(ev)
        if ev.event.type in IN_TRANSIT_TYPES:
            s.in_transit = True
        if eta is not None:
            s.eta = eta  # events in arrival order: the last estimate wins
        if milestone == "delivered":
            s.delivered_milestone = at
        if ev.event.type == "tradelane.shipment.delivered.v1":
            pod = _data(ev).get("pod")
            pod = pod if isinstance(pod, dict) else {}
            s.pod_at = _utc(pod.get("delivered_at")) or at
            docs = pod.get("documents")
            s.pod_documents = len(docs) if isinstance(docs, list) else 0
            at = s.pod_at
        if s.last_update is None or at >= s.last_update:
            s.last_update, s.last_type = at, ev.event.type
    return shipments


@dataclass(frozen=True)
class _Invoice:
    number: str
    carrier: str
    received_at: datetime
    #: ``source#id`` of the invoice event (what settlement exceptions link)
    event: str = ""


def _invoiced(events: Iterable[StoredEvent]) -> dict[str, list[_Invoice]]:
    """Shipment id → the carrier invoices billing it, in arrival order."""
    out: dict[str, list[_Invoice]] = {}
    for ev in events:
        inv = _data(ev).get("invoice")
        if not isinstance(inv, dict):
            continue
        refs = inv.get("shipment_refs")
        entry = _Invoice(str(inv.get("invoice_number") or ev.hub_id), str(inv.get("carrier_id") or ""),
                         _utc(ev.received_at) or ev.received_at, f"{ev.event.source}#{ev.event.id}")
        for ref in refs if isinstance(refs, list) else ():
            if isinstance(ref, str):
                out.setdefault(ref, []).append(entry)
    return out


async def _settled_at(hub: Any) -> datetime | None:
    """When the latest finished freight-settlement run ended (a batch run whose result counts posted bills)."""
    flows = getattr(hub, "flows", None)
    if flows is None:
        return None
    names = [f.name for f in flows.flows if f.mode == "batch"]
    runs = await flows.store.last_job_runs(names) if names else {}
    ends = [_utc(r.get("finished_at")) for r in runs.values()
            if r.get("status") == "done" and isinstance(r.get("detail"), dict) and "bills_posted" in r["detail"]]
    return max((e for e in ends if e is not None), default=None)


async def _freight(hub: Any, events: list[StoredEvent], invoices: Mapping[str, list[_Invoice]],
                   disputed: Mapping[str, str], settled_at: datetime | None) -> list[Record]:
    """Freight charges not posted: no delivery of the charge is done, and its shipment's carrier invoice has not
    gone through settlement (none yet, an open settlement exception, or it arrived after the last run)."""
    out: list[Record] = []
    for ev in events[:FREIGHT_CAP]:
        rows, _ = await hub.store.list_deliveries(DeliveryFilter(hub_id=ev.hub_id), 50, None)
        routed = [d for d in rows if d.status != "filtered"]
        if any(d.status == "done" for d in routed):
            continue
        key = _key(ev, "shipment_id") or ev.hub_id
        bills = invoices.get(key, [])
        reasons = [f"{d.status} at {d.destination}" for d in routed]
        if not bills:
            reasons.append("no carrier invoice yet" if routed else "no route delivers it and no carrier invoice yet")
        else:
            latest = bills[-1]
            dispute = disputed.get(latest.number) or disputed.get(latest.event)
            if dispute:
                reasons.append(f"invoice {latest.number}: {dispute}")
            elif settled_at is None or latest.received_at > settled_at:
                reasons.append(f"invoice {latest.number} awaits the settlement run")
            else:
                continue  # settled: the vendor bill was posted
        charged = _utc(_data(ev).get("charged_at")) or _when(ev)
        out.append(Record(key=key, kind="freight", tenants=(ev.tenant,), since=charged, reason="; ".join(reasons),
                          last_type=ev.event.type, trace=ev.hub_id))
    return out


def _sorted(records: list[Record]) -> list[Record]:
    return sorted(records, key=lambda r: (r.since or datetime.max.replace(tzinfo=UTC), r.key))


async def open_exceptions(hub: Any, limit: int = EXCEPTIONS_CAP) -> list[ExceptionView]:
    """Open and acknowledged exceptions of every tenant (at most ``limit``), oldest first."""
    flows = getattr(hub, "flows", None)
    if flows is None:
        return []
    out: list[ExceptionView] = []
    for status in ("open", "acknowledged"):
        after: str | None = None
        while len(out) < limit:
            rows, after = await flows.exceptions.list(ExceptionFilter(status=status), min(500, limit), after)
            out.extend(rows)
            if after is None:
                break
    return sorted(out[:limit], key=lambda e: e.opened_at)


async def business_board(hub: Any, now: datetime | None = None, silent_after: timedelta | None = None
                         ) -> BusinessBoard:
    """Every business metric with its records, and open exceptions by owner and age.

    :param now: the time the board is computed for (default: now)
    :param silent_after: the milestone SLA (default: ``web.board.silent_after_h``)
    """
    now = now or datetime.now(UTC)
    if silent_after is None:
        board_cfg = getattr(hub.settings.web, "board", None)
        silent_after = timedelta(hours=getattr(board_cfg, "silent_after_h", 24.0))
    truncated: list[str] = []
    order_events = [ev for t in ORDER_TYPES for ev in await scan_type(hub, t, truncated)]
    shipment_events = [ev for t in SHIPMENT_TYPES for ev in await scan_type(hub, t, truncated)]
    invoices = _invoiced(await scan_type(hub, INVOICE_TYPE, truncated))
    freight_events = await scan_type(hub, FREIGHT_TYPE, truncated)

    metrics = {mid: Metric(mid, label, definition) for mid, (label, definition) in METRICS.items()}
    for key, o in _orders(order_events).items():
        if not (o.released or o.cancelled):
            metrics["awaiting_release"].records.append(Record(
                key=key, kind="order", tenants=tuple(sorted(o.tenants)), since=o.confirmed_at,
                reason=f"{o.number or key}: confirmed, not released", last_type=o.last_type,
            ))
    for key, s in _shipments(shipment_events).items():
        delivered = s.pod_at is not None or s.delivered_milestone is not None

        def rec(since: datetime | None, reason: str, k: str = key, sh: _Shipment = s) -> Record:
            return Record(key=k, kind="shipment", tenants=tuple(sorted(sh.tenants)), since=since, reason=reason,
                          last_type=sh.last_type)

        if not delivered and s.last_update is not None and now - s.last_update > silent_after:
            metrics["silent"].records.append(rec(s.last_update, f"no update for {_span(now - s.last_update)}"))
        if not delivered and s.in_transit and s.eta is not None and s.eta < now:
            metrics["past_eta"].records.append(rec(s.eta, f"ETA passed {_span(now - s.eta)} ago"))
        if s.delivered_milestone is not None and s.pod_at is None:
            metrics["delivered_no_pod"].records.append(rec(s.delivered_milestone, "delivered, no proof of delivery"))
        elif s.pod_at is not None and s.pod_documents == 0:
            metrics["delivered_no_pod"].records.append(rec(s.pod_at, "proof of delivery has no document"))
        if s.pod_at is not None and key not in invoices:
            metrics["pod_no_invoice"].records.append(rec(s.pod_at, "delivered with POD, no carrier invoice"))
    flows = getattr(hub, "flows", None)
    unresolved = await open_exceptions(hub)
    # a reused invoice number disputes the later invoice only (the exception links its event), not the first one
    # settled under that number; the other settlement exceptions dispute the invoice number
    disputed = {e.entity_id: f"{e.type} exception {e.status}" for e in unresolved
                if e.entity_kind == "carrier_invoice" and e.type != "invoice_duplicate"}
    disputed.update({str(eid): f"{e.type} exception {e.status}" for e in unresolved
                     if e.entity_kind == "carrier_invoice" and e.type == "invoice_duplicate"
                     for eid in (e.links or {}).get("event_ids", ())})
    metrics["freight_not_posted"].records.extend(
        await _freight(hub, freight_events, invoices, disputed, await _settled_at(hub))
    )

    by_owner: dict[str, dict[str, int]] = {}
    total = 0
    if flows is not None:
        rows, _ = await flows.store.list_sla_timers(SlaTimerFilter(status="breached"), TIMERS_CAP, None)
        for t in rows:
            metrics["sla_breached"].records.append(Record(
                key=t.key, kind="sla", tenants=(t.tenant,), since=t.breached_at or t.due_at,
                reason=f"{t.flow}/{t.sla}: due {t.due_at:%Y-%m-%d %H:%M} UTC" if t.due_at else f"{t.flow}/{t.sla}",
                last_type=t.entity_kind, trace=t.correlation_id or t.key,
            ))
        for exc in unresolved:
            band = age_band(exc.age_s(now))
            row = by_owner.setdefault(exc.owner_team, {label: 0 for _, label in AGE_BANDS})
            row[band] += 1
            total += 1
    for m in metrics.values():
        m.records = _sorted(m.records)
    return BusinessBoard(
        metrics=metrics, exceptions=dict(sorted(by_owner.items())), exceptions_total=total,
        flows_connected=flows is not None, truncated=truncated, now=now, silent_after=silent_after,
    )


def _span(delta: timedelta) -> str:
    s = int(delta.total_seconds())
    if s < 3600:
        return f"{s // 60}m"
    if s < 86_400:
        return f"{s // 3600}h {s % 3600 // 60}m"
    return f"{s // 86_400}d {s % 86_400 // 3600}h"
