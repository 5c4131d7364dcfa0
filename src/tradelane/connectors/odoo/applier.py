"""Canonical events applied to Odoo: the Odoo side of the outbound and inbound flows.

A route whose destination is the Odoo endpoint hands each event to :meth:`OdooApplier.deliver` (through the
delivery engine's :class:`~tradelane.delivery.senders.CallableSender`, so retries, the dead-letter queue and
replay are the engine's). What each event does in Odoo:

=========================================  =========================================================================
``tradelane.shipment.shipped.v1``          the delivery order (``shipment.reference`` = picking name) gets the
                                           shipped quantities, lots and packages (SSCC, weight), the tracking ref,
                                           and is validated — a partial shipment keeps a backorder or not, per
                                           :attr:`ApplyPolicy.backorder`; with ``invoice_on="shipment"`` the order
                                           is invoiced
``tradelane.receipt.completed.v1``         the receipt (``receipt.reference``) gets the received quantities and
                                           lots and is validated (partial → backorder per policy); discrepancies
                                           (short, over, damaged) are returned so the flow opens an exception —
                                           never silently overwritten
``tradelane.shipment.milestone.v1``        a chatter note on the delivery order found by its tracking ref
``tradelane.shipment.delivered.v1``        the POD documents carried inline are attached to the delivery order (and
                                           noted in the chatter); with ``invoice_on="pod"`` the order is invoiced
=========================================  =========================================================================

Every write is idempotent per event (the Odoo operations mark what they did with the event id), so a retry
after a lost reply or a replay from the DLQ changes nothing twice. A refusal by Odoo (unknown picking, a
validation error) is permanent: the delivery is dead-lettered with Odoo's message; transport trouble and
ambiguous outcomes are retried.
"""

from __future__ import annotations

import base64
import binascii
import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from tradelane.connectors.odoo.client import OdooClient
from tradelane.connectors.odoo.inbound import receive_many
from tradelane.connectors.odoo.invoicing import invoice_delivered_order
from tradelane.connectors.odoo.models import (
    AttachmentRequest,
    NoteRequest,
    PickLine,
    ReceiptConfirmation,
    RecordRef,
    ShipConfirmation,
    TransferResult,
)
from tradelane.connectors.odoo.outbound import ship_confirm_many
from tradelane.connectors.odoo.traceability import attach_document, post_note
from tradelane.core.errors import BusinessError
from tradelane.ports.delivery import ClaimedDelivery

__all__ = ["APPLIED_TYPES", "Applied", "ApplyPolicy", "OdooApplier", "ship_lines"]

SHIPPED = "tradelane.shipment.shipped.v1"
RECEIVED = "tradelane.receipt.completed.v1"
MILESTONE = "tradelane.shipment.milestone.v1"
DELIVERED = "tradelane.shipment.delivered.v1"
#: the event types the applier knows; anything else routed to Odoo is refused (a routing mistake)
APPLIED_TYPES = (SHIPPED, RECEIVED, MILESTONE, DELIVERED)
PICKING = "stock.picking"


@dataclass(frozen=True)
class ApplyPolicy:
    """Per-hub choices the flows leave to the business."""

    #: a partial shipment or receipt keeps the rest as a backorder (else the rest is cancelled)
    backorder: bool = True
    #: when the customer invoice is created and posted: on proof of delivery, on shipment, or never
    invoice_on: Literal["pod", "shipment", "never"] = "pod"
    #: post milestones in the delivery order's chatter
    milestone_notes: bool = True


@dataclass(frozen=True)
class Applied:
    """What applying one event did."""

    #: ``applied`` (Odoo changed), ``already`` (a replay: nothing to do) or ``ignored`` (nothing to apply)
    outcome: Literal["applied", "already", "ignored"]
    detail: str
    #: ``model:id`` of the records written
    records: tuple[str, ...] = ()
    #: discrepancies reported by the warehouse (receipts): ``{sku, reason, quantity, note}``
    discrepancies: tuple[dict[str, Any], ...] = field(default=())


def _qty(q: Mapping[str, Any] | None) -> float:
    return float((q or {}).get("value") or 0)


def ship_lines(lines: Sequence[Mapping[str, Any]], units: Mapping[str, Mapping[str, Any]]) -> tuple[PickLine, ...]:
    """Canonical shipment lines → pick lines: one per lot when lots are given, with the line's SSCC as the
    destination package and that handling unit's weight (kg)."""
    out: list[PickLine] = []
    for line in lines:
        sku = str(line["product"]["sku"])
        sscc = line.get("sscc")
        unit = units.get(str(sscc)) if sscc else None
        weight = None
        if unit is not None and unit.get("weight") and str(unit["weight"].get("unit", "KG")).upper() == "KG":
            weight = float(unit["weight"]["value"])
        lots = line.get("lots") or []
        if lots:
            out += [PickLine(sku, _qty(lot.get("quantity")), lot=str(lot["lot"]), package=sscc,
                             package_weight=weight) for lot in lots]
        else:
            out.append(PickLine(sku, _qty(line.get("quantity")), package=sscc, package_weight=weight))
    return tuple(out)


def _refuse_on_error(result: TransferResult, what: str) -> None:
    if result.error is not None:
        raise BusinessError(f"{what} {result.picking_ref}: {result.error}", kind="UserError")


class OdooApplier:
    """Applies canonical events to one Odoo database (see the module docstring for what each event does)."""

    def __init__(self, client: OdooClient, policy: ApplyPolicy | None = None) -> None:
        self.client = client
        self.policy = policy or ApplyPolicy()

    async def deliver(self, delivery: ClaimedDelivery) -> None:
        """The delivery engine's entry point: raises on failure (transient → retried, else dead-lettered)."""
        await self.apply(delivery.event)

    async def apply(self, event: Mapping[str, Any]) -> Applied:
        kind = event.get("type")
        data = event.get("data") or {}
        event_id = f"{event.get('source', '')}#{event.get('id', '')}"
        if kind == SHIPPED:
            return await self._shipped(data, event_id)
        if kind == RECEIVED:
            return await self._received(data, event_id)
        if kind == MILESTONE:
            return await self._milestone(data, event_id)
        if kind == DELIVERED:
            return await self._delivered(data, event_id)
        raise BusinessError(f"events of type {kind!r} are not applied to Odoo (route them elsewhere)",
                            kind="ValidationError")

    # -- outbound ------------------------------------------------------------------------------------
    async def _shipped(self, data: Mapping[str, Any], event_id: str) -> Applied:
        shipment = data["shipment"]
        units = {str(u["sscc"]): u for u in shipment.get("handling_units") or () if u.get("sscc")}
        conf = ShipConfirmation(
            picking_ref=str(shipment["reference"]),
            lines=ship_lines(shipment.get("lines") or (), units),
            hub_event_id=event_id,
            tracking_ref=shipment.get("tracking_number"),
            backorder=self.policy.backorder,
        )
        [result] = await ship_confirm_many(self.client, [conf])
        _refuse_on_error(result, "delivery order")
        records = [f"{PICKING}:{result.picking_id}"] + [f"{PICKING}:{b}" for b in result.backorder_ids]
        if self.policy.invoice_on == "shipment":
            for order_ref in shipment.get("order_refs") or ():
                inv = await invoice_delivered_order(self.client, str(order_ref), f"{event_id}:{order_ref}")
                records.append(f"account.move:{inv.invoice_id}")
        outcome: Literal["applied", "already"] = "already" if result.already_done else "applied"
        return Applied(outcome, f"{result.picking_ref} {result.state}", tuple(records))

    async def _received(self, data: Mapping[str, Any], event_id: str) -> Applied:
        receipt = data["receipt"]
        lines: list[PickLine] = []
        discrepancies: list[dict[str, Any]] = []
        for line in receipt.get("lines") or ():
            sku = str(line["product"]["sku"])
            lots = line.get("lots") or []
            if lots:
                lines += [PickLine(sku, _qty(lot.get("quantity")), lot=str(lot["lot"])) for lot in lots]
            elif _qty(line.get("received_quantity")) > 0:
                lines.append(PickLine(sku, _qty(line.get("received_quantity"))))
            for d in line.get("discrepancies") or ():
                discrepancies.append({"sku": sku, "reason": d.get("reason"), "quantity": _qty(d.get("quantity")),
                                      "note": d.get("note") or ""})
        conf = ReceiptConfirmation(str(receipt["reference"]), tuple(lines), event_id, backorder=self.policy.backorder)
        [result] = await receive_many(self.client, [conf])
        _refuse_on_error(result, "receipt")
        records = [f"{PICKING}:{result.picking_id}"] + [f"{PICKING}:{b}" for b in result.backorder_ids]
        outcome: Literal["applied", "already"] = "already" if result.already_done else "applied"
        return Applied(outcome, f"{result.picking_ref} {result.state}", tuple(records), tuple(discrepancies))

    # -- tracking ------------------------------------------------------------------------------------
    async def _picking_by_tracking(self, tracking: str | None) -> int:
        if not tracking:
            raise BusinessError("the event carries no tracking number to find the delivery order by",
                                kind="ValidationError")
        rows = await self.client.search_read(
            PICKING, [("carrier_tracking_ref", "=", tracking), ("picking_type_code", "=", "outgoing")], ["id"],
            limit=1, order="id desc",
        )
        if not rows:
            raise BusinessError(f"no delivery order with tracking ref {tracking!r}", kind="MissingError")
        return int(rows[0]["id"])

    async def _milestone(self, data: Mapping[str, Any], event_id: str) -> Applied:
        if not self.policy.milestone_notes:
            return Applied("ignored", "milestone notes are turned off")
        picking_id = await self._picking_by_tracking(data.get("tracking_number"))
        ev = data.get("event") or {}
        where = (ev.get("location") or {}).get("name") or ""
        body = (
            f"<p><b>{html.escape(str(ev.get('milestone', 'milestone')))}</b> at "
            f"{html.escape(str(ev.get('occurred_at', '')))}"
            + (f" — {html.escape(str(where))}" if where else "")
            + (f"<br/>{html.escape(str(ev['reason']))}" if ev.get("reason") else "")
            + "</p>"
        )
        note_id = await post_note(self.client, NoteRequest(RecordRef(PICKING, picking_id), body, event_id, html=True))
        return Applied("applied", f"note {note_id} on picking {picking_id}", (f"mail.message:{note_id}",))

    async def _delivered(self, data: Mapping[str, Any], event_id: str) -> Applied:
        picking_id = await self._picking_by_tracking(data.get("tracking_number"))
        record = RecordRef(PICKING, picking_id)
        records: list[str] = []
        pod = data.get("pod") or {}
        for i, doc in enumerate(pod.get("documents") or ()):
            if not doc.get("content"):
                continue  # a document only linked by URL is not fetched (SSRF): it stays in the event
            try:
                content = base64.b64decode(doc["content"], validate=True)
            except (binascii.Error, ValueError) as exc:
                raise BusinessError(f"pod.documents[{i}].content is not base64: {exc}", kind="ValidationError") from None
            att = await attach_document(
                self.client,
                AttachmentRequest(record, str(doc.get("name") or f"pod-{i}"), content, f"{event_id}:{i}",
                                  mimetype=str(doc.get("media_type") or "application/octet-stream")),
            )
            records.append(f"ir.attachment:{att}")
        if self.policy.invoice_on == "pod":
            rows = await self.client.read(PICKING, [picking_id], ["sale_id"])
            sale = rows[0].get("sale_id") if rows else None
            if sale:
                order_name = sale[1] if isinstance(sale, (list, tuple)) else None
                if order_name is None:
                    order_name = (await self.client.read("sale.order", [int(sale)], ["name"]))[0]["name"]
                inv = await invoice_delivered_order(self.client, str(order_name), f"{event_id}:invoice")
                records.append(f"account.move:{inv.invoice_id}")
        return Applied("applied", f"POD on picking {picking_id}", tuple(records))


# -- what the business flows read and write besides applying events (added for tradelane.flows) -------------
#: states of a delivery order that can still be released to a warehouse
OPEN_PICKING_STATES = ("confirmed", "waiting", "assigned")


async def poll_release_candidates(client: OdooClient, cursor: Any) -> tuple[list[Any], Any]:
    """Change capture for the outbound flow: sale orders confirmed or changed since ``cursor`` (a
    :class:`~tradelane.connectors.odoo.models.ChangeCursor`), each with its open delivery orders.

    Returns ``(candidates, new cursor)``; candidates are :class:`tradelane.ports.flows.ReleaseCandidate`.
    """
    from datetime import UTC

    from tradelane.connectors.odoo.changes import poll_changes
    from tradelane.connectors.odoo.common import from_odoo_datetime
    from tradelane.connectors.odoo.outbound import read_order_releases
    from tradelane.ports.flows import ReleaseCandidate, ReleaseLine

    batch = await poll_changes(client, cursor, ["name", "state"], domain=[("state", "=", "sale")])
    names = sorted({str(r["name"]) for r in batch.records})
    out: list[ReleaseCandidate] = []
    if names:
        for release in await read_order_releases(client, order_refs=names):
            outgoing = [p.picking_id for p in release.pickings if p.picking_type_code == "outgoing"]
            for picking in release.pickings:
                if picking.picking_type_code != "outgoing" or picking.state not in OPEN_PICKING_STATES:
                    continue
                lines = tuple(
                    ReleaseLine(str(i + 1), str(m.product_ref), float(m.demand))
                    for i, m in enumerate(picking.moves)
                    if m.product_ref and m.state not in ("cancel", "done") and m.demand > 0
                )
                scheduled = (from_odoo_datetime(picking.scheduled_date).replace(tzinfo=UTC)
                             if picking.scheduled_date else None)
                out.append(ReleaseCandidate(
                    release.order_ref, release.order_id, picking.name, picking.picking_id, lines,
                    release.client_order_ref, scheduled, first=picking.picking_id == min(outgoing),
                ))
    return out, batch.cursor


async def read_delivery_order(client: OdooClient, name: str) -> Any:
    """A delivery order by name with its demand per product (``None`` when there is none), as a
    :class:`tradelane.ports.flows.PickingState`."""
    from tradelane.connectors.odoo.common import m2o_id, product_refs_by_id
    from tradelane.ports.flows import PickingState

    rows = await client.search_read(PICKING, [("name", "=", name)],
                                    ["name", "state", "sale_id", "carrier_tracking_ref", "move_ids"], limit=1)
    if not rows:
        return None
    row = rows[0]
    moves = await client.search_read("stock.move", [("picking_id", "=", int(row["id"]))],
                                     ["product_id", "product_uom_qty", "state"])
    refs = await product_refs_by_id(client, [p for m in moves if (p := m2o_id(m.get("product_id")))])
    demand: dict[str, float] = {}
    for m in moves:
        ref = refs.get(m2o_id(m.get("product_id")) or 0)
        if ref and m.get("state") != "cancel":
            demand[ref] = demand.get(ref, 0.0) + float(m.get("product_uom_qty") or 0)
    sale = row.get("sale_id")
    order = sale[1] if isinstance(sale, (list, tuple)) and len(sale) > 1 else None
    return PickingState(int(row["id"]), str(row["name"]), str(row["state"]), order, demand,
                        row.get("carrier_tracking_ref") or None)


async def record_booking(client: OdooClient, picking_id: int, tracking_ref: str | None, note: str,
                         hub_event_id: str) -> None:
    """The carrier's booking on a delivery order: its tracking (PRO) number, and a chatter note (once per event)."""
    if tracking_ref:
        rows = await client.read(PICKING, [picking_id], ["carrier_tracking_ref"])
        if rows and rows[0].get("carrier_tracking_ref") != tracking_ref:
            await client.write(PICKING, [picking_id], {"carrier_tracking_ref": tracking_ref})
    await post_note(client, NoteRequest(RecordRef(PICKING, picking_id), note, hub_event_id))


async def poll_cancelled_orders(client: OdooClient, cursor: Any) -> tuple[list[Any], Any]:
    """Change capture of cancelled sale orders since ``cursor``: ``(CancelledOrder list, new cursor)``."""
    from tradelane.connectors.odoo.changes import poll_changes
    from tradelane.ports.flows import CancelledOrder

    batch = await poll_changes(client, cursor, ["name", "state"], domain=[("state", "=", "cancel")])
    return [CancelledOrder(str(r["name"]), int(r["id"])) for r in batch.records], batch.cursor


async def read_order_deliveries(client: OdooClient, order_ref: str) -> list[Any]:
    """Every outgoing delivery order of a sale order (by ``origin``), oldest first, as ``PickingState``."""
    rows = await client.search_read(PICKING, [("origin", "=", order_ref), ("picking_type_code", "=", "outgoing")],
                                    ["name"], order="id")
    out = []
    for row in rows:
        state = await read_delivery_order(client, str(row["name"]))
        if state is not None:
            out.append(state)
    return out


async def poll_receipt_candidates(client: OdooClient, cursor: Any) -> tuple[list[Any], Any]:
    """Change capture for the inbound flow: purchase orders confirmed or changed since ``cursor``, each open
    receipt with its demand, as :class:`tradelane.ports.flows.ReleaseCandidate` (order = the purchase order)."""
    from datetime import UTC

    from tradelane.connectors.odoo.changes import poll_changes
    from tradelane.connectors.odoo.common import from_odoo_datetime
    from tradelane.ports.flows import ReleaseCandidate, ReleaseLine

    batch = await poll_changes(client, cursor, ["name", "state", "partner_ref"], domain=[("state", "=", "purchase")])
    out: list[ReleaseCandidate] = []
    for po in batch.records:
        rows = await client.search_read(
            PICKING, [("origin", "=", po["name"]), ("picking_type_code", "=", "incoming"),
                      ("state", "in", list(OPEN_PICKING_STATES))], ["name", "scheduled_date"], order="id")
        for row in rows:
            state = await read_delivery_order(client, str(row["name"]))
            if state is None:
                continue
            lines = tuple(ReleaseLine(str(i + 1), sku, qty) for i, (sku, qty) in enumerate(sorted(state.demand.items())))
            scheduled = (from_odoo_datetime(row["scheduled_date"]).replace(tzinfo=UTC)
                         if row.get("scheduled_date") else None)
            out.append(ReleaseCandidate(str(po["name"]), int(po["id"]), state.name, state.odoo_id, lines,
                                        po.get("partner_ref") or None, scheduled))
    return out, batch.cursor


async def note_on_picking(client: OdooClient, picking_id: int, body: str, hub_event_id: str) -> int:
    """A chatter note on a picking, once per event."""
    return await post_note(client, NoteRequest(RecordRef(PICKING, picking_id), body, hub_event_id))
