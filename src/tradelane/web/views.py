"""View models of the control tower and the portal, assembled from the store's public methods.

No SQL here and no HTML: each function reads through ``hub.store`` and returns plain data the templates show.
Bounds are named constants: a page never reads more than that many rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tradelane.core.milestones import MILESTONES, Milestone
from tradelane.ports.delivery import DeliveryFilter, DeliveryView, EndpointState
from tradelane.ports.store import EventFilter, StoredEvent
from tradelane.security.properties import strip_pricing
from tradelane.web.business import scan_type

__all__ = [
    "PodDocument",
    "Shipment",
    "Finding",
    "Trace",
    "board",
    "find_deliveries",
    "problems",
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
    return {
        "counts": {k: by_status.get(k, 0) for k in ("pending", "dead", "filtered", "done")},
        "dead_by_destination": dead_by_dest,
        "pending_by_destination": pending_by_dest,
        "oldest_pending": sorted(oldest.items()),
        "oldest_pending_max": max(oldest.values()) if oldest else None,
        "troubled_endpoints": troubled,
        "notifications": await hub.store.notifications(BOARD_NOTIFICATIONS),
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
#: most ownership conflicts read per trace
TRACE_MAX_CONFLICTS = 100
#: characters of an event's data shown as the request of an Odoo write
REQUEST_EXCERPT = 600
#: endpoint kinds whose deliveries write to Odoo (an ``odoo`` endpoint applies events; a ``flow`` endpoint's
#: business flow applies them)
ODOO_KINDS = frozenset({"odoo", "flow"})
#: what applying an event type to an ``odoo`` endpoint writes (see ``tradelane.connectors.odoo.applier``)
ODOO_WRITES: Mapping[str, str] = {
    "tradelane.shipment.shipped.v1": "validate the delivery order (stock.picking) with the shipped quantities",
    "tradelane.receipt.completed.v1": "validate the receipt (stock.picking) with the received quantities",
    "tradelane.shipment.milestone.v1": "post a chatter note on the delivery order",
    "tradelane.shipment.delivered.v1": "attach the POD documents to the delivery order",
}
#: plain words for the stale-event rules' reasons (``late:<reason>``, :mod:`tradelane.routing.staleness`)
LATE_REASONS: Mapping[str, str] = {
    "terminal": "it arrived after the shipment had already reached a final status (e.g. delivered)",
    "no_advance": "it reports a status that does not move the shipment forward",
    "older_sequence": "its sequence number is older than one the same source already sent",
    "older_time": "it is older than the latest update the hub has applied",
}


@dataclass
class TraceStep:
    """One line of a trace's timeline."""

    at: datetime | None
    #: ``inbound``, ``mapping``, ``late``, ``conflict``, ``routed``, ``filtered``, ``odoo``, ``attempt``,
    #: ``replayed``
    kind: str
    title: str
    detail: str = ""
    #: response excerpt, when there is one
    excerpt: str = ""
    #: request: the stored event data a write was given (Odoo writes)
    request: str = ""
    event_id: str = ""
    delivery_id: str = ""
    status: str = ""
    #: link to the record behind the step (a conflict)
    href: str = ""


@dataclass(frozen=True)
class Finding:
    """One thing wrong in a trace, in plain words, with where to look."""

    #: ``dead``, ``late``, ``conflict``, ``pending``
    kind: str
    text: str
    href: str = ""


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
    #: ownership conflicts of the traced events and entities
    conflicts: list[Any] = field(default_factory=list)
    #: dead deliveries, late events, open conflicts — what a person should look at first
    findings: list[Finding] = field(default_factory=list)


async def _events_where(hub: Any, flt: EventFilter, limit: int) -> tuple[list[StoredEvent], bool]:
    page = await hub.store.list_events(flt, None, limit)
    return list(page.items), page.next_cursor is not None


async def _conflicts(hub: Any, events: list[StoredEvent], keys: Iterable[str]) -> list[Any]:
    """Conflicts proposed by one of ``events`` or about one of the entities ``keys`` (ids), oldest first."""
    from tradelane.ports.flows import ConflictFilter

    flows = getattr(hub, "flows", None)
    source = flows.conflicts.list if flows is not None else getattr(hub.store, "list_conflicts", None)
    if source is None:
        return []
    hub_ids = {e.hub_id for e in events}
    found: dict[str, Any] = {}
    for k in sorted({k for k in keys if k}):
        rows, _ = await source(ConflictFilter(entity_id=k), TRACE_MAX_CONFLICTS, None)
        found.update((c.id, c) for c in rows)
    # a conflict about another entity id, proposed by a traced event (e.g. an order field on a shipment event)
    if hub_ids and len(found) < TRACE_MAX_CONFLICTS:
        rows, _ = await source(ConflictFilter(status="open"), TRACE_MAX_CONFLICTS, None)
        found.update((c.id, c) for c in rows if c.event_id in hub_ids)
    return sorted(found.values(), key=lambda c: c.created_at)


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
    if not found:
        return result
    kinds = {name: ep.kind for name, ep in hub.settings.endpoints.items()}
    for ev in found:
        rows, _ = await hub.store.list_deliveries(DeliveryFilter(hub_id=ev.hub_id), TRACE_MAX_DELIVERIES, None)
        full = [await hub.store.get_delivery(r.id, None) or r for r in rows]
        result.deliveries[ev.hub_id] = full
        result.steps.extend(_steps(ev, full, kinds))
    entity_ids = {*result.partition_keys, *(k for e in found if (k := _shipment_key(e)))}
    result.conflicts = await _conflicts(hub, found, entity_ids)
    received = {e.hub_id: e.received_at for e in found}
    for c in result.conflicts:
        result.steps.append(_conflict_step(c, _utc(received.get(c.event_id or "")) or _utc(c.created_at)))
    result.steps.sort(key=lambda s: (s.at or datetime.min.replace(tzinfo=UTC), _STEP_ORDER.get(s.kind, 9)))
    result.findings = _findings(result, kinds)
    return result


#: order of steps that happen at the same instant
_STEP_ORDER = {"inbound": 0, "mapping": 1, "late": 2, "conflict": 3, "routed": 4, "odoo": 4, "filtered": 4}


def _conflict_step(c: Any, at: datetime | None) -> TraceStep:
    owners = ", ".join(c.owners) or "nobody"
    decided = f" by {c.decided_by}" if c.decided_by else ""
    return TraceStep(
        at=at,
        kind="conflict",
        title=f"ownership: {c.source} may not change {c.entity_kind}.{c.field} (owned by {owners}) — conflict "
              f"{c.status}{decided}",
        detail=f"kept {_short(c.current)}, {c.source} proposed {_short(c.proposed)}"
               + (f"; note: {c.note}" if c.note else ""),
        event_id=c.event_id or "",
        status=c.status,
        href=f"/ui/conflicts/{c.id}",
    )


def _short(value: Any, limit: int = 120) -> str:
    import json

    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _request_excerpt(ev: StoredEvent) -> str:
    import json

    text = json.dumps(ev.event.data, ensure_ascii=False, indent=1, default=str)
    return text if len(text) <= REQUEST_EXCERPT else text[:REQUEST_EXCERPT] + "\n…"


def _steps(ev: StoredEvent, views: Iterable[DeliveryView], kinds: Mapping[str, str] | None = None
           ) -> list[TraceStep]:
    e = ev.event
    kinds = kinds or {}
    received = _utc(ev.received_at)
    steps = [
        TraceStep(
            at=received,
            kind="inbound",
            title=f"received {e.type}",
            detail=f"from {e.source} (tenant {ev.tenant}), id {e.id}"
            + (f", shipment {e.partitionkey}" if e.partitionkey else "")
            + (f", correlation {e.correlationid}" if e.correlationid else ""),
            event_id=ev.hub_id,
        ),
        TraceStep(
            at=received,
            kind="mapping",
            title=(f"mapped with {ev.mapping}" + (f" (mapping file digest {ev.mapping_digest})"
                                                   if ev.mapping_digest else ""))
            if ev.mapping else "no partner mapping: received as a canonical event",
            event_id=ev.hub_id,
            status="mapped" if ev.mapping else "canonical",
        ),
    ]
    if ev.staleness:
        reason = ev.staleness.removeprefix("late:")
        steps.append(TraceStep(
            at=received,
            kind="late",
            title=f"kept in the history as {ev.staleness}: it did not change the shipment's state",
            detail=f"why: {LATE_REASONS.get(reason, reason)}; its deliveries are filtered",
            event_id=ev.hub_id,
            status=ev.staleness,
        ))
    for d in views:
        kind = kinds.get(d.destination, "")
        odoo = kind in ODOO_KINDS
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
        if odoo:
            what = ODOO_WRITES.get(d.event_type, "apply the event") if kind == "odoo" else "the flow's Odoo steps"
            title = f"Odoo write via {d.destination} ({kind}{'' if kind == 'odoo' else ' endpoint'}): {what}"
            steps.append(TraceStep(
                at=_utc(d.created_at), kind="odoo", title=title,
                detail=f"route {d.route}, delivery {d.id}, now {d.status}"
                + (f" after {d.attempts} attempt{'s' if d.attempts != 1 else ''}" if d.attempts else "")
                + (f": {d.last_error}" if d.status == "dead" and d.last_error else ""),
                request=_request_excerpt(ev), event_id=ev.hub_id, delivery_id=d.id, status=d.status,
            ))
        else:
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
            target = f"Odoo ({d.destination})" if odoo else d.destination
            steps.append(
                TraceStep(
                    at=_utc(a.get("started_at")),
                    kind="replayed" if outcome == "replayed" else "attempt",
                    title=(
                        str(a.get("detail") or "replayed")
                        if outcome == "replayed"
                        else f"attempt {a.get('attempt')} to {target}: {outcome}"
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


def _findings(t: Trace, kinds: Mapping[str, str]) -> list[Finding]:
    out: list[Finding] = []
    types = {e.hub_id: e.event.type for e in t.events}
    for hub_id, views in t.deliveries.items():
        for d in views:
            if d.status != "dead":
                continue
            where = "Odoo" if kinds.get(d.destination) in ODOO_KINDS else "partner"
            out.append(Finding(
                "dead",
                f"{types.get(hub_id, d.event_type)} never reached {d.destination} ({where}): dead after "
                f"{d.attempts} attempt{'s' if d.attempts != 1 else ''}"
                + (f" — {d.error_class}" if d.error_class else "")
                + (f": {d.last_error}" if d.last_error else ""),
                f"/ui/deliveries/{d.id}",
            ))
    for e in t.events:
        if e.staleness:
            reason = e.staleness.removeprefix("late:")
            out.append(Finding("late", f"{e.event.type} ({e.hub_id}) arrived late and was not applied ({e.staleness})"
                               f": {LATE_REASONS.get(reason, reason)}"))
    for c in t.conflicts:
        if c.status == "open":
            out.append(Finding(
                "conflict",
                f"{c.source} proposed {c.entity_kind}.{c.field} = {_short(c.proposed)} but the field belongs to "
                f"{', '.join(c.owners) or 'nobody'}; {_short(c.current)} was kept until a person decides",
                f"/ui/conflicts/{c.id}",
            ))
    return out


@dataclass
class Problems:
    """What is wrong with the records of a trace: board metrics that count them, their exceptions and SLA
    timers."""

    #: (metric label, metric id, why) for every business-board metric that counts one of the keys
    board: list[tuple[str, str, str]] = field(default_factory=list)
    exceptions: list[Any] = field(default_factory=list)
    timers: list[Any] = field(default_factory=list)

    @property
    def any(self) -> bool:
        return bool(self.board or self.exceptions or self.timers)


#: most exceptions and timers listed per key in a trace
TRACE_MAX_PROBLEMS = 50


async def problems(hub: Any, keys: Iterable[str]) -> Problems:
    """The problems of ``keys`` (shipment, order or correlation ids) across the board and the flow runtime."""
    from tradelane.ports.flows import ExceptionFilter, SlaTimerFilter

    wanted = {k for k in keys if k}
    out = Problems()
    if not wanted:
        return out
    from tradelane.web import cache

    board = (await cache.board(hub)).value
    for m in board.metrics.values():
        for r in m.records:
            if r.key in wanted or r.trace in wanted:
                out.board.append((m.label, m.id, r.reason))
    flows = getattr(hub, "flows", None)
    if flows is not None:
        for k in sorted(wanted):
            rows, _ = await flows.exceptions.list(ExceptionFilter(entity_id=k), TRACE_MAX_PROBLEMS, None)
            out.exceptions.extend(rows)
            timers, _ = await flows.store.list_sla_timers(SlaTimerFilter(key=k), TRACE_MAX_PROBLEMS, None)
            out.timers.extend(timers)
    out.exceptions.sort(key=lambda e: (e.status == "resolved", e.opened_at))
    return out


# -- portal -----------------------------------------------------------------------------------------------
@dataclass
class Milestoned:
    """One customer-visible step of a shipment."""

    at: datetime | None
    label: str
    where: str = ""
    note: str = ""
    eta: datetime | None = None


@dataclass(frozen=True)
class PodDocument:
    """A proof-of-delivery document of a shipment: inline (the hub has the bytes) or at the carrier's URL."""

    #: position among the shipment's POD documents (the download link's index)
    index: int
    name: str
    media_type: str
    sha256: str
    #: the bytes, base64, when given inline
    content: str | None = None
    url: str | None = None


@dataclass
class Shipment:
    """A customer's shipment: its events (pricing removed), milestones and latest ETA."""

    key: str
    steps: list[Milestoned] = field(default_factory=list)
    #: proof-of-delivery documents, in the order the delivered events brought them
    documents: list[PodDocument] = field(default_factory=list)
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


def _documents(ev: StoredEvent, start: int) -> list[PodDocument]:
    data = strip_pricing(ev.event.data) if isinstance(ev.event.data, dict) else {}
    pod = data.get("pod")
    docs = pod.get("documents") if isinstance(pod, dict) else None
    out: list[PodDocument] = []
    for d in docs if isinstance(docs, list) else ():
        if not isinstance(d, dict) or not isinstance(d.get("name"), str):
            continue
        out.append(PodDocument(
            index=start + len(out), name=d["name"], media_type=str(d.get("media_type") or "application/octet-stream"),
            sha256=str(d.get("sha256") or ""), content=d.get("content") if isinstance(d.get("content"), str) else None,
            url=str(d["url"]) if d.get("url") else None,
        ))
    return out


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
        shp.documents.extend(_documents(ev, len(shp.documents)))
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


# -- portal, customer scope -------------------------------------------------------------------------------
#: order events that carry the whole order (and so its customer)
ORDER_DOC_TYPES = ("tradelane.order.created.v1", "tradelane.order.confirmed.v1", "tradelane.order.amended.v1")
#: order events that carry only the order id
ORDER_ID_TYPES = ("tradelane.order.released.v1", "tradelane.order.cancelled.v1")
#: shipment events that carry the whole shipment (and so the orders it ships)
SHIPMENT_DOC_TYPES = (
    "tradelane.shipment.picked.v1", "tradelane.shipment.packed.v1", "tradelane.shipment.shipped.v1",
    "tradelane.shipment.tendered.v1", "tradelane.shipment.booked.v1",
)


async def customer_events(hub: Any, party: str) -> tuple[dict[str, list[StoredEvent]], bool]:
    """The events a customer (canonical party id) may see, grouped by order or shipment id, and whether a
    scan was cut: its orders (``order.party_id``), and the shipments whose ``order_refs`` name one of them,
    whichever partner reported them. Nothing else: not another customer's, not internal event types."""
    cut: list[str] = []
    grouped: dict[str, list[StoredEvent]] = {}
    refs: set[str] = set()
    for etype in ORDER_DOC_TYPES:
        for ev in await scan_type(hub, etype, cut):
            data = ev.event.data if isinstance(ev.event.data, dict) else {}
            found = data.get("order")
            order: dict[str, Any] = found if isinstance(found, dict) else {}
            if order.get("party_id") == party and isinstance(data.get("order_id"), str):
                grouped.setdefault(data["order_id"], []).append(ev)
                refs.add(data["order_id"])
                if isinstance(order.get("number"), str):
                    refs.add(order["number"])
    for etype in ORDER_ID_TYPES:
        for ev in await scan_type(hub, etype, cut):
            data = ev.event.data if isinstance(ev.event.data, dict) else {}
            if data.get("order_id") in grouped:
                grouped[data["order_id"]].append(ev)
    shipment_ids: set[str] = set()
    for etype in SHIPMENT_DOC_TYPES:
        for ev in await scan_type(hub, etype, cut):
            data = ev.event.data if isinstance(ev.event.data, dict) else {}
            found = data.get("shipment")
            shp: dict[str, Any] = found if isinstance(found, dict) else {}
            listed = shp.get("order_refs")
            order_refs: list[Any] = listed if isinstance(listed, list) else []
            if refs.intersection(r for r in order_refs if isinstance(r, str)) and isinstance(data.get("shipment_id"), str):
                shipment_ids.add(data["shipment_id"])
    for sid in sorted(shipment_ids):
        page = await hub.store.list_events(EventFilter(partition_key=sid), None, PORTAL_MAX_TIMELINE)
        grouped[sid] = [ev for ev in page.items if _visible(ev)]
    for evs in grouped.values():
        evs.sort(key=lambda e: e.received_at)
    return grouped, bool(cut)


async def customer_shipments(hub: Any, party: str) -> tuple[list[Shipment], bool]:
    """:func:`shipments` for a customer (see :func:`customer_events`)."""
    if not party:
        return [], False
    grouped, cut = await customer_events(hub, party)
    out = [_summarise(k, evs) for k, evs in grouped.items() if evs]
    out.sort(key=lambda s: s.last_update or datetime.min.replace(tzinfo=UTC), reverse=True)
    return out, cut


async def customer_shipment(hub: Any, party: str, key: str) -> Shipment | None:
    """One of the customer's orders or shipments; ``None`` when it is not theirs (or does not exist)."""
    if not party:
        return None
    grouped, _ = await customer_events(hub, party)
    evs = grouped.get(key)
    return _summarise(key, evs) if evs else None
