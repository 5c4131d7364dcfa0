"""Payload models of the event catalog: the ``data`` of every ``tradelane.<entity>.<verb>.v1`` event.

Each payload keeps the aggregate id at its top level (``order_id``, ``shipment_id`` …; the catalog names it
as the event type's ``key_field``) and may wrap a full entity. When it does, :class:`EventPayload` checks
that the top-level id and the wrapped entity's id agree, from the ``consistent_ids`` table of each class.
The docstring of each payload says when the event is emitted; the catalog registers it as the event's doc.
"""

from __future__ import annotations

import operator
from typing import ClassVar, Self

from pydantic import Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from tradelane.core.model.base import CanonicalModel, Identifier, Text, TimeWindow, UtcDatetime
from tradelane.core.model.exceptions import ExceptionCase, ExceptionStatus
from tradelane.core.model.freight import CarrierInvoice, FreightCharge
from tradelane.core.model.inventory import InventoryLevel, Receipt, StockMovement
from tradelane.core.model.orders import Order, OrderLine
from tradelane.core.model.parties import Party
from tradelane.core.model.products import Product, ProductRef
from tradelane.core.model.quantities import Money, Quantity, ensure_one_currency
from tradelane.core.model.returns import Return
from tradelane.core.model.shipments import HandlingUnit, Shipment, ShipmentLine
from tradelane.core.model.tracking import ProofOfDelivery, TrackingEvent
from tradelane.core.model.yard import Appointment, AppointmentStatus, DockAssignment, GateDirection, GateEvent

__all__ = [
    "AppointmentConfirmed",
    "AppointmentRequested",
    "CarrierInvoiceReceived",
    "DockAssigned",
    "EventPayload",
    "ExceptionOpened",
    "ExceptionResolved",
    "FreightCharged",
    "GateCheckedIn",
    "GateCheckedOut",
    "InventoryAdjusted",
    "InventorySnapshot",
    "OrderAmended",
    "OrderCancelled",
    "OrderConfirmed",
    "OrderCreated",
    "OrderReleased",
    "PartyUpserted",
    "ProductUpserted",
    "ReceiptCompleted",
    "ReceiptExpected",
    "ReturnReceived",
    "ReturnRequested",
    "ShipmentBooked",
    "ShipmentDelivered",
    "ShipmentEtaChanged",
    "ShipmentMilestone",
    "ShipmentPacked",
    "ShipmentPicked",
    "ShipmentShipped",
    "ShipmentTendered",
    "ShipmentTenderRejected",
    "StockMoved",
]


class EventPayload(CanonicalModel):
    """Base of every event payload: checks that top-level ids agree with the wrapped entity's."""

    #: (top-level field, dotted path inside the payload) pairs that must hold the same value
    consistent_ids: ClassVar[tuple[tuple[str, str], ...]] = ()

    @model_validator(mode="after")
    def _ids_agree(self) -> Self:
        for top, path in self.consistent_ids:
            inner = operator.attrgetter(path)(self)
            if inner is not None and inner != getattr(self, top):
                raise PydanticCustomError(
                    "id_mismatch",
                    "{top} is '{outer}' but {path} is '{inner}'; they must be the same",
                    {"top": top, "outer": getattr(self, top), "path": path, "inner": inner},
                )
        return self


# --- orders -------------------------------------------------------------------------------------------------


class OrderCreated(EventPayload):
    """Emitted when a sales or purchase order is created in the system of record (usually Odoo), before it is
    confirmed. Carries the whole order; consumers may prepare but should not act on it yet."""

    consistent_ids = (("order_id", "order.order_id"),)

    #: canonical id of the order
    order_id: Identifier
    #: the order as created
    order: Order


class OrderConfirmed(EventPayload):
    """Emitted when an order is confirmed (Odoo "Confirm"): it is now a commitment, and the warehouse and
    transport partners may plan for it. Carries the order as confirmed."""

    consistent_ids = (("order_id", "order.order_id"),)

    #: canonical id of the order
    order_id: Identifier
    #: when it was confirmed
    confirmed_at: UtcDatetime
    #: the order as confirmed
    order: Order


class OrderReleased(EventPayload):
    """Emitted when an order (or part of it) is released to a warehouse for picking, or to the supplier for
    shipping. The lines say what is released; a later release covers the rest."""

    #: canonical id of the order
    order_id: Identifier
    #: business reference of the order
    number: Identifier
    #: the warehouse that must act
    warehouse_id: Identifier
    #: when it was released
    released_at: UtcDatetime
    #: the lines released, with the quantities released now
    lines: tuple[OrderLine, ...] = Field(min_length=1)
    #: the time by which goods must be ready
    ship_by: UtcDatetime | None = None


class OrderAmended(EventPayload):
    """Emitted when a confirmed order changes (quantities, dates, address, lines added or removed). Carries the
    full order after the change and the names of the fields that changed."""

    consistent_ids = (("order_id", "order.order_id"),)

    #: canonical id of the order
    order_id: Identifier
    #: when it changed
    amended_at: UtcDatetime
    #: the order after the change
    order: Order
    #: dotted names of what changed, e.g. ``lines[1].quantity``, ``ship_to``
    changed_fields: tuple[str, ...] = ()
    #: why, when given
    reason: Text | None = None


class OrderCancelled(EventPayload):
    """Emitted when an order is cancelled. Work not yet done for it should stop; shipments already under way
    are handled by their own events."""

    #: canonical id of the order
    order_id: Identifier
    #: business reference of the order
    number: Identifier
    #: when it was cancelled
    cancelled_at: UtcDatetime
    #: why, when given
    reason: Text | None = None


# --- shipments ----------------------------------------------------------------------------------------------


class ShipmentPicked(EventPayload):
    """Emitted by the warehouse when the goods of a shipment have been picked from stock (not yet packed)."""

    #: canonical id of the shipment
    shipment_id: Identifier
    #: business reference of the shipment
    reference: Identifier
    #: the warehouse that picked
    warehouse_id: Identifier
    #: when picking finished
    picked_at: UtcDatetime
    #: what was picked, with lots
    lines: tuple[ShipmentLine, ...] = Field(min_length=1)


class ShipmentPacked(EventPayload):
    """Emitted by the warehouse when a shipment is packed into labelled handling units (SSCC) and is ready to
    be handed to the carrier."""

    #: canonical id of the shipment
    shipment_id: Identifier
    #: business reference of the shipment
    reference: Identifier
    #: when packing finished
    packed_at: UtcDatetime
    #: the pallets, cartons or parcels
    handling_units: tuple[HandlingUnit, ...] = Field(min_length=1)
    #: what is in them
    lines: tuple[ShipmentLine, ...] = ()


class ShipmentShipped(EventPayload):
    """The ship confirmation: emitted when goods leave the warehouse with the carrier. Carries the shipment as
    shipped — quantities, lots, handling units, tracking number — for Odoo to validate the delivery order."""

    consistent_ids = (("shipment_id", "shipment.shipment_id"),)

    #: canonical id of the shipment
    shipment_id: Identifier
    #: when the goods left
    shipped_at: UtcDatetime
    #: the shipment as shipped
    shipment: Shipment


class ShipmentTendered(EventPayload):
    """Emitted when a shipment is offered to a carrier (X12 204, carrier API). The carrier answers with
    ``shipment.booked`` or ``shipment.tender_rejected``."""

    consistent_ids = (("shipment_id", "shipment.shipment_id"),)

    #: canonical id of the shipment
    shipment_id: Identifier
    #: id of this tender (one shipment may be tendered to several carriers in turn)
    tender_id: Identifier
    #: canonical party id of the carrier offered the shipment
    carrier_id: Identifier
    #: when the tender was sent
    tendered_at: UtcDatetime
    #: the carrier must answer by then
    respond_by: UtcDatetime | None = None
    #: the rate offered
    offered_rate: Money | None = None
    #: the shipment offered
    shipment: Shipment


class ShipmentBooked(EventPayload):
    """Emitted when a carrier accepts a tender or books a shipment (X12 990 accept, label created): the carrier
    is committed and a tracking number usually exists."""

    #: canonical id of the shipment
    shipment_id: Identifier
    #: the tender accepted, when the booking answers one
    tender_id: Identifier | None = None
    #: canonical party id of the carrier
    carrier_id: Identifier
    #: when the booking was confirmed
    booked_at: UtcDatetime
    #: the carrier's booking or confirmation number
    booking_ref: Identifier | None = None
    #: tracking, PRO or bill of lading number
    tracking_number: Identifier | None = None
    #: the pickup slot agreed
    pickup_window: TimeWindow | None = None
    #: the rate agreed
    rate: Money | None = None


class ShipmentTenderRejected(EventPayload):
    """Emitted when a carrier declines a tender (X12 990 decline, API refusal, or no answer by the deadline).
    The shipment needs another carrier."""

    #: canonical id of the shipment
    shipment_id: Identifier
    #: the tender declined
    tender_id: Identifier
    #: canonical party id of the carrier
    carrier_id: Identifier
    #: when it was declined
    rejected_at: UtcDatetime
    #: why, in words
    reason: Text | None = None
    #: the carrier's reason code, kept for audit
    reason_code: Identifier | None = None


class ShipmentMilestone(EventPayload):
    """Emitted for every tracking update from a carrier, telematics or driver app (X12 214, carrier webhook),
    mapped to a canonical milestone. Delivery is also reported as ``shipment.delivered`` with the proof."""

    #: canonical id of the shipment
    shipment_id: Identifier
    #: the carrier's tracking number the update was reported for
    tracking_number: Identifier | None = None
    #: canonical party id of the reporting carrier
    carrier_id: Identifier | None = None
    #: what happened
    event: TrackingEvent


class ShipmentEtaChanged(EventPayload):
    """Emitted when the estimated delivery time of a shipment moves — by the carrier's word or our own
    prediction. Customers and the receiving dock plan from it."""

    #: canonical id of the shipment
    shipment_id: Identifier
    #: the estimate before, if there was one
    previous_eta: UtcDatetime | None = None
    #: the new estimate
    new_eta: UtcDatetime
    #: when the estimate changed
    changed_at: UtcDatetime
    #: who estimated: ``carrier``, ``telematics``, ``tradelane`` …
    estimated_by: Identifier | None = None
    #: why, when given
    reason: Text | None = None


class ShipmentDelivered(EventPayload):
    """Emitted when a shipment is delivered, with the proof of delivery (signee, time, position, documents).
    Terminal: no later milestone changes the shipment's state."""

    #: canonical id of the shipment
    shipment_id: Identifier
    #: the carrier's tracking number
    tracking_number: Identifier | None = None
    #: the proof
    pod: ProofOfDelivery


# --- yard and dock ------------------------------------------------------------------------------------------


class AppointmentRequested(EventPayload):
    """Emitted when a carrier or supplier asks for a loading or unloading slot at one of our sites, or when we
    ask a customer's site for one."""

    consistent_ids = (("appointment_id", "appointment.appointment_id"),)

    #: canonical id of the appointment
    appointment_id: Identifier
    #: when it was requested
    requested_at: UtcDatetime
    #: the slot asked for
    appointment: Appointment


class AppointmentConfirmed(EventPayload):
    """Emitted when a site confirms an appointment (possibly for a different slot than requested)."""

    consistent_ids = (("appointment_id", "appointment.appointment_id"),)

    #: canonical id of the appointment
    appointment_id: Identifier
    #: when it was confirmed
    confirmed_at: UtcDatetime
    #: the slot as confirmed
    appointment: Appointment

    @field_validator("appointment")
    @classmethod
    def _confirmed(cls, appointment: Appointment) -> Appointment:
        if appointment.status is not AppointmentStatus.CONFIRMED:
            raise PydanticCustomError(
                "status_mismatch",
                "a confirmed appointment must have status confirmed, got {status}",
                {"status": appointment.status},
            )
        return appointment


def _gate_direction(gate: GateEvent, expected: GateDirection) -> GateEvent:
    if gate.direction is not expected:
        raise PydanticCustomError(
            "status_mismatch",
            "gate direction must be {expected}, got {direction}",
            {"expected": expected, "direction": gate.direction},
        )
    return gate


class GateCheckedIn(EventPayload):
    """Emitted when a trailer enters a site through the gate (yard management system or guard app), with its
    seals as found."""

    consistent_ids = (("trailer_number", "gate.trailer.number"),)

    #: the trailer's number: the key of the trailer's visit
    trailer_number: Identifier
    #: the gate crossing
    gate: GateEvent

    @field_validator("gate")
    @classmethod
    def _inbound(cls, gate: GateEvent) -> GateEvent:
        return _gate_direction(gate, GateDirection.IN)


class GateCheckedOut(EventPayload):
    """Emitted when a trailer leaves a site through the gate, with the seals applied at loading."""

    consistent_ids = (("trailer_number", "gate.trailer.number"),)

    #: the trailer's number: the key of the trailer's visit
    trailer_number: Identifier
    #: the gate crossing
    gate: GateEvent

    @field_validator("gate")
    @classmethod
    def _outbound(cls, gate: GateEvent) -> GateEvent:
        return _gate_direction(gate, GateDirection.OUT)


class DockAssigned(EventPayload):
    """Emitted when a trailer in the yard is sent to a dock door for loading or unloading."""

    consistent_ids = (("trailer_number", "assignment.trailer_number"),)

    #: the trailer's number: the key of the trailer's visit
    trailer_number: Identifier
    #: the assignment
    assignment: DockAssignment


# --- receiving and stock ------------------------------------------------------------------------------------


class ReceiptExpected(EventPayload):
    """Emitted when goods are announced to a receiving site (advance ship notice, confirmed purchase order):
    what is expected, when, from whom."""

    consistent_ids = (("receipt_id", "receipt.receipt_id"),)

    #: canonical id of the receipt
    receipt_id: Identifier
    #: what is expected
    receipt: Receipt


class ReceiptCompleted(EventPayload):
    """Emitted when receiving is finished: every line has a received quantity, and differences carry a
    discrepancy reason (short, over, damaged, wrong item). Odoo validates the incoming picking from it."""

    consistent_ids = (("receipt_id", "receipt.receipt_id"),)

    #: canonical id of the receipt
    receipt_id: Identifier
    #: when receiving finished
    completed_at: UtcDatetime
    #: expected and received, line by line
    receipt: Receipt

    @field_validator("receipt")
    @classmethod
    def _all_received(cls, receipt: Receipt) -> Receipt:
        missing = [line.line_id for line in receipt.lines if line.received_quantity is None]
        if missing:
            raise PydanticCustomError(
                "not_received",
                "a completed receipt needs received_quantity on every line; missing on {lines}",
                {"lines": ", ".join(missing)},
            )
        return receipt


class InventorySnapshot(EventPayload):
    """Emitted by a warehouse with its stock levels at a moment: the full picture of a location (``complete``)
    or a subset. Used to reconcile Odoo's quants."""

    #: canonical id of the site counted
    location_id: Identifier
    #: id of this snapshot
    snapshot_id: Identifier
    #: when the levels were true
    as_of: UtcDatetime
    #: whether products absent from ``levels`` are at zero (full snapshot) or simply not reported
    complete: bool = False
    #: the levels
    levels: tuple[InventoryLevel, ...]


class InventoryAdjusted(EventPayload):
    """Emitted when stock of one product at one location is corrected outside any order (cycle count, damage,
    found stock). Gives the quantity before and after, so replays are idempotent."""

    #: canonical id of the site
    location_id: Identifier
    #: id of the adjustment
    adjustment_id: Identifier
    #: the product
    product: ProductRef
    #: the lot, for lot-tracked products
    lot: Identifier | None = None
    #: the bin or sub-location, when finer than ``location_id``
    bin_id: Identifier | None = None
    #: stock before the adjustment
    quantity_before: Quantity
    #: stock after the adjustment
    quantity_after: Quantity
    #: the warehouse's reason code (``cycle_count``, ``damage`` …)
    reason: Identifier
    #: when it was adjusted
    adjusted_at: UtcDatetime

    @model_validator(mode="after")
    def _same_unit(self) -> Self:
        if self.quantity_before.unit != self.quantity_after.unit:
            raise PydanticCustomError(
                "unit_mismatch",
                "quantity_before is in {before} but quantity_after is in {after}",
                {"before": self.quantity_before.unit, "after": self.quantity_after.unit},
            )
        return self


class StockMoved(EventPayload):
    """Emitted when stock moves between locations inside or between sites (put-away, replenishment,
    transfer, scrap)."""

    consistent_ids = (("movement_id", "movement.movement_id"),)

    #: canonical id of the movement
    movement_id: Identifier
    #: the movement
    movement: StockMovement


# --- freight money ------------------------------------------------------------------------------------------


class FreightCharged(EventPayload):
    """Emitted when freight charges for a shipment become known (rate confirmation, accessorials reported by
    the carrier), before any invoice. All charges are in one currency."""

    #: canonical id of the shipment
    shipment_id: Identifier
    #: when the charges were reported
    charged_at: UtcDatetime
    #: the charges
    charges: tuple[FreightCharge, ...] = Field(min_length=1)

    @field_validator("charges")
    @classmethod
    def _one_currency(cls, charges: tuple[FreightCharge, ...]) -> tuple[FreightCharge, ...]:
        ensure_one_currency((charge.amount for charge in charges), what="charges")
        return charges


class CarrierInvoiceReceived(EventPayload):
    """Emitted when a carrier's invoice arrives (X12 210, portal, API). Freight audit compares it with the
    charges of its shipments; Odoo records it as a vendor bill."""

    #: canonical id of the invoice (carriers' invoice numbers are unique only per carrier)
    invoice_id: Identifier
    #: when it arrived
    received_at: UtcDatetime
    #: the invoice
    invoice: CarrierInvoice


# --- returns, exceptions, master data -----------------------------------------------------------------------


class ReturnRequested(EventPayload):
    """Emitted when a customer asks to return goods and a return authorisation (RMA) is issued."""

    consistent_ids = (("return_id", "rma.return_id"),)

    #: canonical id of the return
    return_id: Identifier
    #: the authorisation
    rma: Return


class ReturnReceived(EventPayload):
    """Emitted when returned goods arrive back at a site and are counted and graded; every line has a
    received quantity and a condition."""

    consistent_ids = (("return_id", "rma.return_id"),)

    #: canonical id of the return
    return_id: Identifier
    #: when the goods arrived
    received_at: UtcDatetime
    #: the return as received
    rma: Return

    @field_validator("rma")
    @classmethod
    def _graded(cls, rma: Return) -> Return:
        missing = [
            line.line_id for line in rma.lines if line.received_quantity is None or line.condition is None
        ]
        if missing:
            raise PydanticCustomError(
                "not_received",
                "a received return needs received_quantity and condition on every line; missing on {lines}",
                {"lines": ", ".join(missing)},
            )
        return rma


class ExceptionOpened(EventPayload):
    """Emitted when a problem needs a person: raised by a flow (late delivery, receipt discrepancy, invoice
    mismatch), a partner, or an operator."""

    consistent_ids = (("exception_id", "exception.exception_id"),)

    #: canonical id of the exception
    exception_id: Identifier
    #: the exception as opened
    exception: ExceptionCase


class ExceptionResolved(EventPayload):
    """Emitted when an exception is resolved; carries how."""

    consistent_ids = (("exception_id", "exception.exception_id"),)

    #: canonical id of the exception
    exception_id: Identifier
    #: the exception as resolved
    exception: ExceptionCase

    @field_validator("exception")
    @classmethod
    def _resolved(cls, exception: ExceptionCase) -> ExceptionCase:
        if exception.status is not ExceptionStatus.RESOLVED:
            raise PydanticCustomError(
                "status_mismatch",
                "a resolved exception must have status resolved, got {status}",
                {"status": exception.status},
            )
        return exception


class PartyUpserted(EventPayload):
    """Emitted when a business partner is created or changed in the system of record; carries the whole
    party (last writer wins per ``party_id``)."""

    consistent_ids = (("party_id", "party.party_id"),)

    #: canonical id of the party
    party_id: Identifier
    #: the party as it now is
    party: Party


class ProductUpserted(EventPayload):
    """Emitted when a product is created or changed in the system of record; carries the whole product with
    its packaging levels (last writer wins per ``sku``)."""

    consistent_ids = (("sku", "product.sku"),)

    #: the product's SKU
    sku: Identifier
    #: the product as it now is
    product: Product
