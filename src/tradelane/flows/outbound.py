"""The outbound flow: Odoo sale order → WMS release → ship confirmation in Odoo → TMS tender → booking, tracking
and milestones in Odoo → proof of delivery → customer invoice.

Two halves, both idempotent so a crash anywhere only repeats work that changes nothing twice:

* **capture** (:meth:`OutboundFlow.capture_once`, run by the hub every few seconds): Odoo change capture finds
  delivery orders of confirmed sale orders and emits one ``order.released`` event per delivery order, with an
  id derived from the Odoo record (``odoo-release-<picking id>``), so seeing an order again stores nothing new;
* **react** (:meth:`OutboundFlow.handle`, the destination of the flow's route, so the delivery engine's retry
  schedule and dead-letter queue apply): each event of the flow does its step —

=============================  ==================================================================================
``order.released``             release to the WMS; remember its delivery number (cross reference) so its
                               callbacks resolve; a refusal opens a ``wms_refused`` exception
``shipment.shipped``           Odoo: quantities, lots, packages, tracking ref, validation (partial → backorder per
                               the Odoo endpoint policy); shipped less than ordered opens ``short_shipped`` listing
                               every difference; then emits ``shipment.tendered``
``shipment.tendered``          sent to the TMS; a refusal opens ``tender_refused``
``shipment.booked``            carrier and PRO number written on the delivery order, booking noted in its chatter
``shipment.tender_rejected``   opens ``tender_rejected``
``shipment.milestone``         a chatter note on the delivery order
``shipment.delivered``         POD attached; the customer invoice posted (when the policy says on POD)
``order.cancelled``            compensation: the WMS release is cancelled while nothing has shipped; when the
                               goods already left (shipped before, or the WMS answers too late) a
                               ``cancel_too_late`` exception on the order says what needs a return
=============================  ==================================================================================

A ship confirmation for a delivery order cancelled in Odoo meanwhile is not applied: it opens
``shipped_after_cancel``.

The flow depends on ports only (:class:`~tradelane.ports.flows.OrderDesk`, ``Warehouse``, ``Transport``,
``EventSink``, ``References``); :mod:`tradelane.bootstrap` wires the Odoo, WMS and TMS connectors behind them.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tradelane.core.errors import BusinessError
from tradelane.flows.exceptions import ExceptionService
from tradelane.ports.flows import (
    CancelledOrder,
    EventSink,
    NewException,
    OrderDesk,
    References,
    ReleaseCandidate,
    Transport,
    Warehouse,
)

__all__ = ["FLOW_EVENTS", "OutboundConfig", "OutboundFlow", "release_number", "shipment_id_for"]

log = logging.getLogger("tradelane.flows.outbound")

RELEASED = "tradelane.order.released.v1"
CANCELLED = "tradelane.order.cancelled.v1"
SHIPPED = "tradelane.shipment.shipped.v1"
TENDERED = "tradelane.shipment.tendered.v1"
BOOKED = "tradelane.shipment.booked.v1"
REJECTED = "tradelane.shipment.tender_rejected.v1"
MILESTONE = "tradelane.shipment.milestone.v1"
DELIVERED = "tradelane.shipment.delivered.v1"
#: the event types the flow's route delivers to :meth:`OutboundFlow.handle`
FLOW_EVENTS = (RELEASED, CANCELLED, SHIPPED, TENDERED, BOOKED, REJECTED, MILESTONE, DELIVERED)
#: quantities closer than this are equal (Odoo keeps floats)
QTY_TOLERANCE = 1e-6
#: how long the carrier has to answer a tender
TENDER_RESPONSE = timedelta(hours=2)
#: how long a tender's pickup window lasts when the WMS gave none
PICKUP_WINDOW = timedelta(hours=3)

Clock = Callable[[], datetime]


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def shipment_id_for(picking_ref: str) -> str:
    """The canonical shipment id of an Odoo delivery order: ``WH/OUT/00007`` → ``shp_wh_out_00007``."""
    return f"shp_{_slug(picking_ref)}"


def _pickup_window(shipped_at: Any, now: datetime) -> dict[str, str]:
    """The pickup window a tender asks for when the WMS gave none: the goods are ready since they shipped
    (left the pick face), so from then for :data:`PICKUP_WINDOW`."""
    start = now
    if isinstance(shipped_at, str):
        with contextlib.suppress(ValueError):
            parsed = datetime.fromisoformat(shipped_at.replace("Z", "+00:00"))
            if parsed.tzinfo is not None:
                start = parsed
    return {"start": _iso(start), "end": _iso(start + PICKUP_WINDOW)}


def release_number(order_ref: str, picking_ref: str, first: bool) -> str:
    """The number a delivery order is released to the WMS under: the sale order's for its first delivery
    order, ``S00042/00043`` for a backorder (a WMS knows each order number once)."""
    return order_ref if first else f"{order_ref}/{picking_ref.rsplit('/', 1)[-1]}"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class OutboundConfig:
    """Where the flow's partners sit and whose events it emits."""

    #: the tenant the flow's events and cross references belong to
    tenant: str = "hub"
    #: the canonical id of the shipping warehouse (``warehouse_id`` of releases)
    warehouse_id: str = "loc_dc_rtm"
    #: the partner name of the WMS in the cross-reference table (its mapping's ``partner``)
    wms_partner: str = "acme-wms"
    #: the partner name of the TMS in the cross-reference table
    tms_partner: str = "globex-tms"
    #: the partner name of the carrier's tracking webhooks (their shipments are keyed by the PRO number)
    carrier_partner: str = "rhenus-tracking"
    #: ``source`` of the events the flow emits
    source: str = "urn:tradelane:flow:outbound"
    #: the team owning the flow's exceptions
    owner_team: str = "logistics"
    #: flow name in the catalogue
    name: str = "outbound"


class OutboundFlow:
    """The outbound flow over its ports (see the module docstring)."""

    def __init__(
        self,
        desk: OrderDesk,
        warehouse: Warehouse,
        transport: Transport | None,
        sink: EventSink,
        refs: References,
        exceptions: ExceptionService,
        config: OutboundConfig | None = None,
        clock: Clock = _utcnow,
    ) -> None:
        self.desk = desk
        self.warehouse = warehouse
        self.transport = transport
        self.sink = sink
        self.refs = refs
        self.exceptions = exceptions
        self.config = config or OutboundConfig()
        self.clock = clock
        #: what each step did, for the demo's per-flow outcome: ``step:outcome`` → count
        self.outcomes: dict[str, int] = {}

    def _count(self, what: str) -> None:
        self.outcomes[what] = self.outcomes.get(what, 0) + 1

    # -- capture -------------------------------------------------------------------------------------------
    def release_event(self, c: ReleaseCandidate) -> dict[str, Any]:
        """The ``order.released`` event of one delivery order (its id comes from the Odoo record)."""
        now = self.clock()
        data: dict[str, Any] = {
            "order_id": f"ord_{_slug(c.order_ref)}",
            "number": release_number(c.order_ref, c.picking_ref, c.first),
            "warehouse_id": self.config.warehouse_id,
            "released_at": _iso(now),
            "lines": [
                {"line_id": line.line_id, "product": {"sku": line.sku},
                 "quantity": {"value": str(line.quantity), "unit": line.unit}}
                for line in c.lines
            ],
        }
        if c.scheduled is not None:
            data["ship_by"] = _iso(c.scheduled)
        return {
            "specversion": "1.0",
            "id": f"odoo-release-{c.picking_odoo_id}",
            "source": self.config.source,
            "type": RELEASED,
            "subject": c.picking_ref,
            "time": _iso(now),
            "correlationid": c.order_ref,
            "data": data,
        }

    def cancel_event(self, c: CancelledOrder) -> dict[str, Any]:
        """The ``order.cancelled`` event of a sale order cancelled in Odoo (its id comes from the Odoo record)."""
        now = _iso(self.clock())
        return {
            "specversion": "1.0", "id": f"odoo-cancel-{c.order_odoo_id}", "source": self.config.source,
            "type": CANCELLED, "subject": c.order_ref, "time": now, "correlationid": c.order_ref,
            "data": {"order_id": f"ord_{_slug(c.order_ref)}", "number": c.order_ref, "cancelled_at": now,
                     "reason": "cancelled in Odoo"},
        }

    async def capture_once(self) -> int:
        """Poll Odoo for confirmed and cancelled orders; emit a release per new delivery order and a cancellation
        per cancelled order. Returns how many events were new."""
        docs = [self.release_event(c) for c in await self.desk.poll_releases() if c.lines]
        docs += [self.cancel_event(c) for c in await self.desk.poll_cancellations()]
        if not docs:
            return 0
        results = await self.sink.emit(self.config.tenant, docs)
        fresh = 0
        for doc, result in zip(docs, results, strict=True):
            if result == "created":
                fresh += 1
                self._count("released" if doc["type"] == RELEASED else "cancelled")
        return fresh

    # -- react ---------------------------------------------------------------------------------------------
    async def deliver(self, delivery: Any) -> None:
        """The delivery engine's entry point (a ``CallableSender``)."""
        await self.handle(delivery.event)

    async def handle(self, event: Mapping[str, Any]) -> None:
        """Do the flow's step for ``event``; raises on failure (transient → retried, else dead-lettered)."""
        kind = event.get("type")
        steps = {
            RELEASED: self._released, CANCELLED: self._cancelled, SHIPPED: self._shipped, TENDERED: self._tendered, BOOKED: self._booked,
            REJECTED: self._rejected, MILESTONE: self._applied, DELIVERED: self._applied,
        }
        step = steps.get(str(kind))
        if step is None:
            raise BusinessError(f"the outbound flow does not handle {kind!r} (check the route)", kind="ValidationError")
        await step(event)

    async def _exception(self, type_: str, severity: str, entity_kind: str, entity_id: str, summary: str,
                         detail: str, event: Mapping[str, Any], odoo: Mapping[str, Any] | None = None) -> None:
        links: dict[str, Any] = {"event_ids": [f"{event.get('source')}#{event.get('id')}"]}
        if odoo:
            links["odoo"] = dict(odoo)
        if event.get("correlationid"):
            links["correlation_id"] = event["correlationid"]
        await self.exceptions.open(NewException(
            tenant=self.config.tenant, type=type_, severity=severity, entity_kind=entity_kind,
            entity_id=entity_id, owner_team=self.config.owner_team, summary=summary[:300], detail=detail,
            flow=self.config.name, dedupe_key=f"{self.config.name}:{type_}:{entity_id}", links=links,
        ))
        self._count(f"exception:{type_}")

    async def _released(self, event: Mapping[str, Any]) -> None:
        picking_ref = str(event.get("subject") or "")
        data = event.get("data") or {}
        picking = await self.desk.picking(picking_ref) if picking_ref else None
        if picking is None:
            raise BusinessError(f"release {event.get('id')} names no Odoo delivery order ({picking_ref!r})",
                                kind="MissingError")
        if picking.state in ("done", "cancel"):
            self._count("release:skipped")
            return  # shipped or cancelled since it was captured: nothing to release
        delivery_no, refused = await self.warehouse.release(event)
        if refused:
            await self._exception(
                "wms_refused", "high", "shipment", picking_ref, f"WMS refused the release of {picking_ref}",
                "\n".join(refused), event, {"model": "stock.picking", "id": picking.odoo_id},
            )
            return
        sid = shipment_id_for(picking_ref)
        await self.refs.link(self.config.tenant, self.config.wms_partner, "shipment", delivery_no or picking_ref,
                             sid, picking.odoo_id)
        await self.refs.link(self.config.tenant, self.config.tms_partner, "shipment", picking_ref, sid,
                             picking.odoo_id)
        self._count("release:sent")
        log.info("released %s (%s) to the WMS as %s", picking_ref, data.get("number"), delivery_no)

    async def _shipped(self, event: Mapping[str, Any]) -> None:
        data = dict(event.get("data") or {})
        shipment = dict(data.get("shipment") or {})
        sid = str(data.get("shipment_id"))
        wms_ref = str(shipment.get("reference") or "")
        found = await self.refs.lookup(self.config.tenant, self.config.wms_partner, "shipment", wms_ref)
        picking = None
        if found is not None and found[1] is not None:
            picking_name = await self.refs.partner_value(self.config.tenant, self.config.tms_partner, "shipment",
                                                         found[0])
            picking = await self.desk.picking(picking_name or wms_ref)
        if picking is None:
            picking = await self.desk.picking(wms_ref)
        if picking is None:
            raise BusinessError(f"no Odoo delivery order for WMS delivery {wms_ref!r}", kind="MissingError")
        if picking.state == "cancel":
            await self._exception(
                "shipped_after_cancel", "high", "shipment", picking.name,
                f"{picking.name} was shipped by the WMS after it was cancelled in Odoo",
                f"order {picking.order_ref or '-'}: the goods left with tracking "
                f"{shipment.get('tracking_number') or '-'}; arrange a return or re-invoice", event,
                {"model": "stock.picking", "id": picking.odoo_id},
            )
            return
        demand = dict(picking.demand)
        shipment["reference"] = picking.name
        if picking.order_ref:  # a backorder's release number is not the sale order's: invoice the order
            shipment["order_refs"] = [picking.order_ref]
        applied = await self.desk.apply({**event, "data": {**data, "shipment": shipment}})
        shipped: dict[str, float] = {}
        for line in shipment.get("lines") or ():
            sku = str(line["product"]["sku"])
            shipped[sku] = shipped.get(sku, 0.0) + float((line.get("quantity") or {}).get("value") or 0)
        short = [
            (sku, want, shipped.get(sku, 0.0)) for sku, want in sorted(demand.items())
            if shipped.get(sku, 0.0) + QTY_TOLERANCE < want
        ]
        self._count(f"ship:{applied.outcome}")
        if short:
            backorders = [r for r in applied.records[1:] if r.startswith("stock.picking:")]
            detail = "\n".join(f"{sku}: ordered {want:g}, shipped {got:g}, short {want - got:g}"
                               for sku, want, got in short)
            detail += "\n" + (f"backorder {', '.join(backorders)}" if backorders else "no backorder (policy)")
            await self._exception(
                "short_shipped", "medium", "shipment", picking.name,
                f"{picking.name} shipped short on {len(short)} product(s)", detail, event,
                {"model": "stock.picking", "id": picking.odoo_id},
            )
        if self.transport is None:
            return
        now = self.clock()
        tender = {
            "specversion": "1.0",
            "id": f"tender-{_slug(picking.name)}-1",
            "source": self.config.source,
            "type": TENDERED,
            "subject": picking.name,
            "time": _iso(now),
            "correlationid": event.get("correlationid") or (shipment.get("order_refs") or [None])[0],
            "causationid": event.get("id"),
            "data": {
                "shipment_id": sid,
                "tender_id": f"TND-{_slug(picking.name).upper()}-1",
                "carrier_id": shipment.get("carrier_id") or "carrier_unassigned",
                "tendered_at": _iso(now),
                "respond_by": _iso(now + TENDER_RESPONSE),
                "shipment": shipment | {"shipment_id": sid, "pickup_window": shipment.get("pickup_window")
                                        or _pickup_window(data.get("shipped_at"), now)},
            },
        }
        await self.sink.emit(self.config.tenant, [tender])

    async def _cancelled(self, event: Mapping[str, Any]) -> None:
        data = event.get("data") or {}
        number = str(data.get("number"))
        pickings = await self.desk.order_pickings(number)
        released = []
        for p in pickings:
            if await self.refs.lookup(self.config.tenant, self.config.tms_partner, "shipment", p.name) is not None:
                released.append(p)
        if not released:
            self._count("cancel:nothing_released")
            return
        late = [f"{p.name}: already shipped (done in Odoo)" for p in released if p.state == "done"]
        for p in released:
            if p.state == "done":
                continue
            wms_number = release_number(number, p.name, p.odoo_id == pickings[0].odoo_id)
            if await self.warehouse.cancel(wms_number) == "too_late":
                late.append(f"{p.name}: the WMS had already shipped it (release {wms_number})")
        if late:
            await self._exception(
                "cancel_too_late", "high", "order", number, f"{number} was cancelled in Odoo after it shipped",
                "\n".join([*late, "the goods are on their way: arrange a return, or re-confirm the order"]), event,
            )
            return
        self._count("cancel:compensated")

    async def _tendered(self, event: Mapping[str, Any]) -> None:
        assert self.transport is not None
        refused = await self.transport.tender(event)
        subject = str(event.get("subject") or (event.get("data") or {}).get("shipment_id"))
        if refused:
            await self._exception("tender_refused", "high", "shipment", subject,
                                  f"TMS refused the tender of {subject}", "\n".join(refused), event)
            return
        self._count("tender:sent")

    async def _picking_of(self, sid: str) -> Any:
        name = await self.refs.partner_value(self.config.tenant, self.config.tms_partner, "shipment", sid)
        return await self.desk.picking(name) if name else None

    async def _booked(self, event: Mapping[str, Any]) -> None:
        data = event.get("data") or {}
        sid = str(data.get("shipment_id"))
        picking = await self._picking_of(sid)
        if picking is None:
            raise BusinessError(f"no Odoo delivery order for shipment {sid!r}", kind="MissingError")
        tracking = data.get("tracking_number")
        carrier = str(data.get("carrier_id") or "")
        rate = data.get("rate") or {}
        note = (f"Booked with {carrier}: booking {data.get('booking_ref') or '-'}, PRO {tracking or '-'}"
                + (f", rate {rate.get('amount')} {rate.get('currency')}" if rate else ""))
        if tracking:  # the carrier's own tracking webhooks name the shipment by this number (linked before
            # Odoo shows the PRO number, so whoever reads it there can rely on the hub resolving it)
            await self.refs.link(self.config.tenant, self.config.carrier_partner, "shipment", str(tracking), sid,
                                 picking.odoo_id)
        await self.desk.set_carrier(picking.odoo_id, str(tracking) if tracking else None, None, note,
                                    f"{event.get('source')}#{event.get('id')}")
        self._count("booked")

    async def _rejected(self, event: Mapping[str, Any]) -> None:
        data = event.get("data") or {}
        sid = str(data.get("shipment_id"))
        picking = await self._picking_of(sid)
        name = picking.name if picking is not None else sid
        await self._exception(
            "tender_rejected", "high", "shipment", name, f"carrier {data.get('carrier_id')} rejected {name}",
            f"reason {data.get('reason_code') or '-'}: {data.get('reason') or ''}".strip(), event,
            {"model": "stock.picking", "id": picking.odoo_id} if picking is not None else None,
        )

    async def _applied(self, event: Mapping[str, Any]) -> None:
        applied = await self.desk.apply(event)
        step = "milestone" if event.get("type") == MILESTONE else "pod"
        self._count(f"{step}:{applied.outcome}")
