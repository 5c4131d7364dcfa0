"""The event catalog: every event type Tradelane knows, registered into the process-wide registry on import.

:data:`CATALOG` is the table — type name, payload model, key field — and :class:`EventName` gives each
type name a Python constant. The doc of each event type is its payload model's docstring (when it is emitted
and what it means), so it is written once, next to the fields. Importing this module fills
:data:`tradelane.core.registry.registry`; :func:`register_catalog` fills any other registry (tests).

To add an event type: write its payload model in :mod:`tradelane.core.model.events`, add a member to
:class:`EventName`, a row to :data:`CATALOG` and an example to :mod:`tradelane.core.examples`.
A changed contract is a new version (``.v2``) beside the old one, never an edit of ``.v1``.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from enum import StrEnum

from tradelane.core.model import events as ev
from tradelane.core.registry import EventTypeRegistry, registry

__all__ = ["CATALOG", "CatalogEntry", "EventName", "register_catalog"]


class EventName(StrEnum):
    """The name of every registered event type."""

    ORDER_CREATED = "tradelane.order.created.v1"
    ORDER_CONFIRMED = "tradelane.order.confirmed.v1"
    ORDER_RELEASED = "tradelane.order.released.v1"
    ORDER_AMENDED = "tradelane.order.amended.v1"
    ORDER_CANCELLED = "tradelane.order.cancelled.v1"
    SHIPMENT_PICKED = "tradelane.shipment.picked.v1"
    SHIPMENT_PACKED = "tradelane.shipment.packed.v1"
    SHIPMENT_SHIPPED = "tradelane.shipment.shipped.v1"
    SHIPMENT_TENDERED = "tradelane.shipment.tendered.v1"
    SHIPMENT_BOOKED = "tradelane.shipment.booked.v1"
    SHIPMENT_TENDER_REJECTED = "tradelane.shipment.tender_rejected.v1"
    SHIPMENT_MILESTONE = "tradelane.shipment.milestone.v1"
    SHIPMENT_ETA_CHANGED = "tradelane.shipment.eta_changed.v1"
    SHIPMENT_DELIVERED = "tradelane.shipment.delivered.v1"
    APPOINTMENT_REQUESTED = "tradelane.appointment.requested.v1"
    APPOINTMENT_CONFIRMED = "tradelane.appointment.confirmed.v1"
    GATE_CHECKED_IN = "tradelane.gate.checked_in.v1"
    GATE_CHECKED_OUT = "tradelane.gate.checked_out.v1"
    DOCK_ASSIGNED = "tradelane.dock.assigned.v1"
    RECEIPT_EXPECTED = "tradelane.receipt.expected.v1"
    RECEIPT_COMPLETED = "tradelane.receipt.completed.v1"
    INVENTORY_SNAPSHOT = "tradelane.inventory.snapshot.v1"
    INVENTORY_ADJUSTED = "tradelane.inventory.adjusted.v1"
    STOCK_MOVED = "tradelane.stock.moved.v1"
    FREIGHT_CHARGED = "tradelane.freight.charged.v1"
    CARRIER_INVOICE_RECEIVED = "tradelane.carrier_invoice.received.v1"
    RETURN_REQUESTED = "tradelane.return.requested.v1"
    RETURN_RECEIVED = "tradelane.return.received.v1"
    EXCEPTION_OPENED = "tradelane.exception.opened.v1"
    EXCEPTION_RESOLVED = "tradelane.exception.resolved.v1"
    PARTY_UPSERTED = "tradelane.party.upserted.v1"
    PRODUCT_UPSERTED = "tradelane.product.upserted.v1"


@dataclass(frozen=True)
class CatalogEntry:
    """One row of the catalog."""

    #: the event type name
    name: EventName
    #: the payload model of the event's ``data``
    model: type[ev.EventPayload]
    #: the field of ``data`` holding the aggregate id (ordering and partitioning key)
    key_field: str

    @property
    def doc(self) -> str:
        """When the event is emitted and what it means: the payload model's docstring."""
        return inspect.cleandoc(self.model.__doc__ or "")


#: every event type: name, payload model, key field
CATALOG: tuple[CatalogEntry, ...] = (
    CatalogEntry(EventName.ORDER_CREATED, ev.OrderCreated, "order_id"),
    CatalogEntry(EventName.ORDER_CONFIRMED, ev.OrderConfirmed, "order_id"),
    CatalogEntry(EventName.ORDER_RELEASED, ev.OrderReleased, "order_id"),
    CatalogEntry(EventName.ORDER_AMENDED, ev.OrderAmended, "order_id"),
    CatalogEntry(EventName.ORDER_CANCELLED, ev.OrderCancelled, "order_id"),
    CatalogEntry(EventName.SHIPMENT_PICKED, ev.ShipmentPicked, "shipment_id"),
    CatalogEntry(EventName.SHIPMENT_PACKED, ev.ShipmentPacked, "shipment_id"),
    CatalogEntry(EventName.SHIPMENT_SHIPPED, ev.ShipmentShipped, "shipment_id"),
    CatalogEntry(EventName.SHIPMENT_TENDERED, ev.ShipmentTendered, "shipment_id"),
    CatalogEntry(EventName.SHIPMENT_BOOKED, ev.ShipmentBooked, "shipment_id"),
    CatalogEntry(EventName.SHIPMENT_TENDER_REJECTED, ev.ShipmentTenderRejected, "shipment_id"),
    CatalogEntry(EventName.SHIPMENT_MILESTONE, ev.ShipmentMilestone, "shipment_id"),
    CatalogEntry(EventName.SHIPMENT_ETA_CHANGED, ev.ShipmentEtaChanged, "shipment_id"),
    CatalogEntry(EventName.SHIPMENT_DELIVERED, ev.ShipmentDelivered, "shipment_id"),
    CatalogEntry(EventName.APPOINTMENT_REQUESTED, ev.AppointmentRequested, "appointment_id"),
    CatalogEntry(EventName.APPOINTMENT_CONFIRMED, ev.AppointmentConfirmed, "appointment_id"),
    CatalogEntry(EventName.GATE_CHECKED_IN, ev.GateCheckedIn, "trailer_number"),
    CatalogEntry(EventName.GATE_CHECKED_OUT, ev.GateCheckedOut, "trailer_number"),
    CatalogEntry(EventName.DOCK_ASSIGNED, ev.DockAssigned, "trailer_number"),
    CatalogEntry(EventName.RECEIPT_EXPECTED, ev.ReceiptExpected, "receipt_id"),
    CatalogEntry(EventName.RECEIPT_COMPLETED, ev.ReceiptCompleted, "receipt_id"),
    CatalogEntry(EventName.INVENTORY_SNAPSHOT, ev.InventorySnapshot, "location_id"),
    CatalogEntry(EventName.INVENTORY_ADJUSTED, ev.InventoryAdjusted, "location_id"),
    CatalogEntry(EventName.STOCK_MOVED, ev.StockMoved, "movement_id"),
    CatalogEntry(EventName.FREIGHT_CHARGED, ev.FreightCharged, "shipment_id"),
    CatalogEntry(EventName.CARRIER_INVOICE_RECEIVED, ev.CarrierInvoiceReceived, "invoice_id"),
    CatalogEntry(EventName.RETURN_REQUESTED, ev.ReturnRequested, "return_id"),
    CatalogEntry(EventName.RETURN_RECEIVED, ev.ReturnReceived, "return_id"),
    CatalogEntry(EventName.EXCEPTION_OPENED, ev.ExceptionOpened, "exception_id"),
    CatalogEntry(EventName.EXCEPTION_RESOLVED, ev.ExceptionResolved, "exception_id"),
    CatalogEntry(EventName.PARTY_UPSERTED, ev.PartyUpserted, "party_id"),
    CatalogEntry(EventName.PRODUCT_UPSERTED, ev.ProductUpserted, "sku"),
)


def register_catalog(target: EventTypeRegistry) -> None:
    """Register every :data:`CATALOG` entry into ``target``.

    :raises ValueError: when a key field is not a field of its model, or a name is already registered
    """
    for entry in CATALOG:
        if entry.key_field not in entry.model.model_fields:
            raise ValueError(
                f"{entry.name}: key field {entry.key_field!r} is not a field of {entry.model.__name__}"
            )
        target.register(str(entry.name), entry.model, entry.doc, key_field=entry.key_field)


register_catalog(registry)
