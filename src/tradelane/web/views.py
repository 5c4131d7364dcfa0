"""View models of the control tower and the portal, assembled from the store's public methods.

No SQL here and no HTML: each function reads through ``hub.store`` and returns plain data the templates show.
Bounds are named constants: a page never reads more than that many rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from tradelane.core.milestones import MILESTONES, Milestone
from tradelane.ports.delivery import DeliveryFilter, DeliveryView, EndpointState
from tradelane.ports.store import EventFilter, StoredEvent
from tradelane.security.properties import strip_pricing

__all__ = [
    "ExceptionsBoard",
    "Shipment",
    "Trace",
    "board",
    "find_deliveries",
    "partners",
    "shipment",
    "shipments",
    "trace",
]

#: most events one trace shows
TRACE_MAX_EVENTS = 200
#: most deliveries listed per event in a trace
TRACE_MAX_DELIVERIES = 50
#: most deliveries read while filtering a list by event type (the store cannot filter on it)
EVENT_TYPE_SCAN_CAP = 5000
#: page size of the scan above
SCAN_PAGE = 200
#: most of a tenant's events read to list its shipments
PORTAL_MAX_EVENTS = 5000
#: most events shown on one shipment's timeline
PORTAL_MAX_TIMELINE = 500
#: event types customers see (orders and shipments); freight charges, invoices, stock are internal
PORTAL_TYPE_PREFIXES = ("tradelane.order.", "tradelane.shipment.", "tradelane.return.")
#: notifications shown on the board
BOARD_NOTIFICATIONS = 10


class ExceptionsBoard(Protocol):
    """What the flows work plugs in as ``hub.exceptions_board`` to fill the board's "Exceptions and SLA"
    section: each item is ``{"label": str, "count": int, "href": str}``."""

    async def board_items(self) -> list[dict[str, Any]]: ...


def _utc(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return None


# -- board ------------------------------------------------------------------------------------------------
async def board(hub: Any) -> dict[str, Any]:
    """Counts for the control tower's board, each with the filter that lists its records."""
    stats = await hub.store.delivery_stats()
    states: dict[str, EndpointState] = await hub.store.endpoint_states()
    by_status: dict[str, int] = stats["by_status"]
    dead_by_dest = sorted(
        ((dest, counts.get("dead", 0)) for dest, counts in stats["by_destination"].items() if counts.get("dead")),
        key=lambda x: (-x[1], x[0]),
    )
    pending_by_dest = sorted(
        (dest, counts.get("pending", 0)) for dest, counts in stats["by_destination"].items() if counts.get("pending")
    )
    oldest = stats["oldest_pending_age_s"]
    troubled = [
        s for name, s in sorted(states.items()) if s.breaker != "closed" or s.disabled_at is not None
    ]
    exceptions: list[dict[str, Any]] | None = None
    source: ExceptionsBoard | None = getattr(hub, "exceptions_board", None)
    if source is not None:
        exceptions = await source.board_items()
    return {
        "counts": {k: by_status.get(k, 0) for k in ("pending", "dead", "filtered", "done")},
        "dead_by_destination": dead_by_dest,
        "pending_by_destination": pending_by_dest,
        "oldest_pending": sorted(oldest.items()),
        "oldest_pending_max": max(oldest.values()) if oldest else None,
        "troubled_endpoints": troubled,
        "notifications": await hub.store.notifications(BOARD_NOTIFICATIONS),
        "exceptions": exceptions,
    }


# -- deliveries -------------------------------------------------------------------------------------------
async def find_deliveries(
    hub: Any, flt: DeliveryFilter, event_type: str | None, limit: int, after: str | None
) -> tuple[list[DeliveryView], str | None]:
    """A page of deliveries; with ``event_type``, filtered while scanning at most
    :data:`EVENT_TYPE_SCAN_CAP` rows (the next cursor then resumes the scan)."""
    if not event_type:
        rows, nxt = await hub.store.list_deliveries(flt, limit, after)
        return list(rows), nxt
    out: list[DeliveryView] = []
    cursor, scanned = after, 0
    while scanned < EVENT_TYPE_SCAN_CAP:
        rows, nxt = await hub.store.list_deliveries(flt, SCAN_PAGE, cursor)
        scanned += len(rows)
        for r in rows:
            if r.event_type == event_type:
                out.append(r)
                if len(out) == limit:
                    return out, r.id
        if nxt is None:
            return out, None
        cursor = nxt
    return out, cursor


# -- partners ---------------------------------------------------------------------------------------------
async def partners(hub: Any) -> list[dict[str, Any]]:
    """Every configured endpoint with its breaker, last success/failure and delivery counts."""
    states: dict[str, EndpointState] = await hub.store.endpoint_states()
    stats = await hub.store.delivery_stats()
    out = []
    for name, ep in hub.settings.endpoints.items():
        st = states.get(name) or EndpointState(name=name)
        counts = stats["by_destination"].get(name, {})
        out.append(
            {
                "name": name,
                "kind": ep.kind,
                "target": ep.url or ep.subject,
                "breaker": st.breaker,
                "consecutive_failures": st.consecutive_failures,
                "disabled": st.disabled_at is not None,
                "disabled_reason": st.disabled_reason,
                "disabled_at": st.disabled_at,
                "last_success_at": st.last_success_at,
                "last_failure_at": st.last_failure_at,
                "failing_since": st.failing_since,
                "counts": {k: counts.get(k, 0) for k in ("pending", "done", "dead", "filtered")},
            }
        )
    return out


# -- trace ------------------------------------------------------------------------------------------------
@dataclass
class TraceStep:
    """One line of a trace's timeline."""

    at: datetime | None
    #: ``inbound``, ``routed``, ``filtered``, ``attempt``, ``replayed``, ``done``, ``dead``
    kind: str
    title: str
    detail: str = ""
    #: response or request excerpt, when there is one
    excerpt: str = ""
    event_id: str = ""
    delivery_id: str = ""
    status: str = ""


@dataclass
class Trace:
    """Everything the hub knows about one event, delivery, shipment (partition key) or correlation id."""

    query: str
    #: how the query was understood: ``event``, ``delivery``, ``shipment``, ``correlation`` or ``none``
    matched: str = "none"
    events: list[StoredEvent] = field(default_factory=list)
    deliveries: dict[str, list[DeliveryView]] = field(default_factory=dict)
    steps: list[TraceStep] = field(default_factory=list)
    truncated: bool = False
    partition_keys: list[str] = field(default_factory=list)


async def _events_where(hub: Any, flt: EventFilter, limit: int) -> tuple[list[StoredEvent], bool]:
    page = await hub.store.list_events(flt, None, limit)
    return list(page.items), page.next_cursor is not None


async def trace(hub: Any, query: str) -> Trace:
    """Resolve ``query`` (hub event id, delivery id, partition key or correlation id) into one timeline."""
    q = query.strip()
    result = Trace(query=q)
    if not q:
        return result
    found: list[StoredEvent] = []
    if q.startswith("dlv_"):
        view = await hub.store.get_delivery(q, None)
        if view is not None:
            ev = await hub.store.get_event(view.hub_id, None)
            found, result.matched = ([ev] if ev else []), "delivery"
    if not found and q.startswith("evt_"):
        ev = await hub.store.get_event(q, None)
        if ev is not None:
            found, result.matched = [ev], "event"
    if not found:
        found, result.truncated = await _events_where(hub, EventFilter(partition_key=q), TRACE_MAX_EVENTS)
        result.matched = "shipment" if found else "none"
    if not found:
        found, result.truncated = await _events_where(hub, EventFilter(correlation_id=q), TRACE_MAX_EVENTS)
        result.matched = "correlation" if found else "none"
    result.events = found
    result.partition_keys = sorted({e.event.partitionkey for e in found if e.event.partitionkey})
    for ev in found:
        rows, _ = await hub.store.list_deliveries(DeliveryFilter(hub_id=ev.hub_id), TRACE_MAX_DELIVERIES, None)
        full = [await hub.store.get_delivery(r.id, None) or r for r in rows]
        result.deliveries[ev.hub_id] = full
        result.steps.extend(_steps(ev, full))
    result.steps.sort(key=lambda s: (s.at or datetime.min.replace(tzinfo=UTC)))
    return result


def _steps(ev: StoredEvent, views: Iterable[DeliveryView]) -> list[TraceStep]:
    e = ev.event
    steps = [
        TraceStep(
            at=_utc(ev.received_at),
            kind="inbound",
            title=f"received {e.type}",
            detail=f"from {e.source} (tenant {ev.tenant}), id {e.id}"
            + (f", shipment {e.partitionkey}" if e.partitionkey else "")
            + (f", correlation {e.correlationid}" if e.correlationid else ""),
            event_id=ev.hub_id,
        )
    ]
    for d in views:
        if d.status == "filtered":
            steps.append(
                TraceStep(
                    at=_utc(d.created_at),
                    kind="filtered",
                    title=f"route {d.route} filtered it out (not sent to {d.destination})",
                    detail=d.filter_reason or "",
                    event_id=ev.hub_id,
                    delivery_id=d.id,
                    status=d.status,
                )
            )
            continue
        steps.append(
            TraceStep(
                at=_utc(d.created_at),
                kind="routed",
                title=f"route {d.route} → {d.destination} (lane {d.lane})",
                detail=f"delivery {d.id}, now {d.status}",
                event_id=ev.hub_id,
                delivery_id=d.id,
                status=d.status,
            )
        )
        for a in d.attempt_log:
            outcome = str(a.get("outcome"))
            code = a.get("status_code")
            steps.append(
                TraceStep(
                    at=_utc(a.get("started_at")),
                    kind="replayed" if outcome == "replayed" else "attempt",
                    title=(
                        str(a.get("detail") or "replayed")
                        if outcome == "replayed"
                        else f"attempt {a.get('attempt')} to {d.destination}: {outcome}"
                        + (f" (HTTP {code})" if code else "")
                    ),
                    detail="" if outcome == "replayed" else " ".join(
                        x for x in (str(a.get("error_class") or ""), str(a.get("detail") or "")) if x
                    ),
                    excerpt=str(a.get("response_excerpt") or ""),
                    event_id=ev.hub_id,
                    delivery_id=d.id,
                    status=outcome,
                )
            )
    return steps


# -- portal -----------------------------------------------------------------------------------------------
@dataclass
class Milestoned:
    """One customer-visible step of a shipment."""

    at: datetime | None
    label: str
    where: str = ""
    note: str = ""
    eta: datetime | None = None


@dataclass
class Shipment:
    """A customer's shipment: its events (pricing removed), milestones and latest ETA."""

    key: str
    steps: list[Milestoned] = field(default_factory=list)
    latest_eta: datetime | None = None
    last_update: datetime | None = None
    status: str = ""
    delivered: bool = False


def _visible(ev: StoredEvent) -> bool:
    return ev.event.type.startswith(PORTAL_TYPE_PREFIXES)


def _label(event_type: str) -> str:
    """``tradelane.shipment.eta_changed.v1`` → ``ETA changed``; other entities keep their name
    (``order created``)."""
    parts = event_type.split(".")
    if len(parts) < 4:
        return event_type
    words = parts[2:-1] if parts[1] == "shipment" else parts[1:-1]
    return " ".join(words).replace("_", " ").replace("eta ", "ETA ")


def _where(address: Any) -> str:
    if not isinstance(address, dict):
        return ""
    return ", ".join(str(address[k]) for k in ("city", "country") if address.get(k))


def _step(ev: StoredEvent) -> Milestoned:
    """What a customer sees of one event: the data is stripped of pricing before anything is read."""
    data = strip_pricing(ev.event.data) if isinstance(ev.event.data, dict) else {}
    label = _label(ev.event.type)
    at = _utc(ev.event.time) or _utc(ev.received_at)
    step = Milestoned(at=at, label=label)
    tracking = data.get("event")
    if isinstance(tracking, dict):  # shipment.milestone: a canonical TrackingEvent
        ms = tracking.get("milestone")
        if isinstance(ms, str):
            step.label = ms.replace("_", " ")
        step.at = _utc(tracking.get("occurred_at")) or at
        step.where = _where(tracking.get("address"))
        step.note = str(tracking.get("reason") or "")
        step.eta = _utc(tracking.get("estimated_delivery_at"))
    if "new_eta" in data:  # shipment.eta_changed
        step.eta = _utc(data.get("new_eta"))
        step.at = _utc(data.get("changed_at")) or at
        step.note = str(data.get("reason") or "")
    pod = data.get("pod")
    if isinstance(pod, dict):  # shipment.delivered
        step.at = _utc(pod.get("delivered_at")) or at
        step.note = f"signed by {pod['signee']}" if pod.get("signee") else ""
    return step


def _rank(label: str) -> int | None:
    try:
        return MILESTONES[Milestone(label.replace(" ", "_"))].rank
    except (ValueError, KeyError):
        return None


def _summarise(key: str, events: list[StoredEvent]) -> Shipment:
    shp = Shipment(key=key)
    best_rank = -1
    for ev in events:
        step = _step(ev)
        shp.steps.append(step)
        if step.eta is not None:
            shp.latest_eta = step.eta  # events are in arrival order: the last estimate wins
        if step.at is not None and (shp.last_update is None or step.at > shp.last_update):
            shp.last_update = step.at
        if ev.event.type.endswith(".delivered.v1") or step.label == "delivered":
            shp.delivered = True
        rank = _rank(step.label)
        if rank is not None and rank >= best_rank:
            best_rank, shp.status = rank, step.label
        elif not shp.status:
            shp.status = step.label
    if shp.delivered:
        shp.status = "delivered"
    shp.steps.sort(key=lambda s: s.at or datetime.min.replace(tzinfo=UTC))
    return shp


def _shipment_key(ev: StoredEvent) -> str | None:
    if ev.event.partitionkey:
        return ev.event.partitionkey
    data = ev.event.data
    if isinstance(data, dict) and isinstance(data.get("shipment_id"), str):
        return str(data["shipment_id"])
    return None


async def shipments(hub: Any, tenant: str) -> tuple[list[Shipment], bool]:
    """The tenant's shipments (events grouped by partition key), newest update first; and whether the
    listing was cut at :data:`PORTAL_MAX_EVENTS` events."""
    if not tenant:
        return [], False
    grouped: dict[str, list[StoredEvent]] = {}
    cursor: str | None = None
    read = 0
    while True:
        page = await hub.store.list_events(EventFilter(tenant=tenant), cursor, SCAN_PAGE)
        read += len(page.items)
        for ev in page.items:
            key = _shipment_key(ev)
            if key is not None and _visible(ev):
                grouped.setdefault(key, []).append(ev)
        cursor = page.next_cursor
        if cursor is None or read >= PORTAL_MAX_EVENTS:
            break
    out = [_summarise(k, evs) for k, evs in grouped.items()]
    out.sort(key=lambda s: s.last_update or datetime.min.replace(tzinfo=UTC), reverse=True)
    return out, cursor is not None


async def shipment(hub: Any, tenant: str, key: str) -> Shipment | None:
    """One of the tenant's shipments; ``None`` when the tenant has no visible event with that key (another
    tenant's shipment is indistinguishable from one that does not exist)."""
    if not tenant:
        return None
    page = await hub.store.list_events(EventFilter(tenant=tenant, partition_key=key), None, PORTAL_MAX_TIMELINE)
    events = [ev for ev in page.items if ev.tenant == tenant and _visible(ev)]
    if not events:
        return None
    return _summarise(key, events)
