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
