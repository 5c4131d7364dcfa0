"""Inputs and outputs of the Odoo operations: small frozen dataclasses, Odoo-shaped, not canonical.

Flows map between these and the canonical model. References are the keys the hub and the partners share:
``*_ref`` is an Odoo name or code (picking ``WH/OUT/00015``, product ``default_code``), ``key`` is the hub's
own key of a master record, ``hub_event_id`` the id of the hub event that caused a write (idempotency key).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from .versions import ProductKind

__all__ = [
    "ActivityRequest",
    "ActivityResult",
    "AdjustmentResult",
    "AttachmentRequest",
    "BillLine",
    "CarrierBill",
    "CarrierData",
    "ChangeBatch",
    "ChangeCursor",
    "ChangeHint",
    "InvoiceResult",
    "Location",
    "MoveInfo",
    "NoteRequest",
    "OrderLine",
    "OrderRelease",
    "PartnerData",
    "PickLine",
    "PickingInfo",
    "ProductData",
    "QuantInfo",
    "ReceiptConfirmation",
    "RecordRef",
    "ScheduleChange",
    "ShipConfirmation",
    "StockCount",
    "TransferResult",
    "UpsertResult",
    "Warehouse",
]

Tracking = Literal["none", "lot", "serial"]


# -- master data -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PartnerData:
    """A customer, vendor or carrier company; ``key`` is stored in ``res.partner.ref``."""

    key: str
    name: str
    is_company: bool = True
    street: str | None = None
    city: str | None = None
    zip: str | None = None
    #: ISO 3166 alpha-2, looked up in ``res.country``
    country_code: str | None = None
    email: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class ProductData:
    """A product; ``sku`` is ``product.product.default_code``."""

    sku: str
    name: str
    kind: ProductKind = "storable"
    list_price: float | None = None
    standard_price: float | None = None
    #: kg per unit
    weight: float | None = None
    barcode: str | None = None
    tracking: Tracking = "none"
    #: ``delivery`` invoices what was shipped, ``order`` what was ordered
    invoice_policy: Literal["order", "delivery"] | None = None


@dataclass(frozen=True)
class CarrierData:
    """A ``delivery.carrier``; its service product gets ``default_code`` ``TL-SHIP-<key>``."""

    key: str
    name: str
    fixed_price: float = 0.0
    delivery_type: str = "fixed"


@dataclass(frozen=True)
class UpsertResult:
    """What an upsert did to one record."""

    key: str
    id: int
    created: bool
    updated: bool


@dataclass(frozen=True)
class Warehouse:
    id: int
    code: str
    name: str
    #: the main stock location (``lot_stock_id``)
    stock_location_id: int
    view_location_id: int | None
    in_type_id: int | None
    out_type_id: int | None


@dataclass(frozen=True)
class Location:
    id: int
    name: str
    complete_name: str
    #: ``internal``, ``customer``, ``supplier``, ``inventory``, ``view`` …
    usage: str
    parent_id: int | None
    warehouse_id: int | None
    barcode: str | None


# -- outbound / inbound --------------------------------------------------------------------------------
@dataclass(frozen=True)
class OrderLine:
    line_id: int
    product_id: int
    product_ref: str | None
    description: str
    quantity: float
    delivered: float
    uom: str | None


@dataclass(frozen=True)
class MoveInfo:
    move_id: int
    product_id: int
    product_ref: str | None
    #: demand (``product_uom_qty``)
    demand: float
    #: reserved or registered quantity
    quantity: float
    state: str


@dataclass(frozen=True)
class PickingInfo:
    picking_id: int
    name: str
    state: str
    picking_type_code: str | None
    scheduled_date: str | None
    origin: str | None
    carrier_id: int | None
    location_id: int | None
    location_dest_id: int | None
    tracking_ref: str | None
    moves: tuple[MoveInfo, ...]


@dataclass(frozen=True)
class OrderRelease:
    """A confirmed sale order, ready to release to a warehouse."""

    order_id: int
    order_ref: str
    client_order_ref: str | None
    partner_id: int | None
    partner_ref: str | None
    carrier_id: int | None
    commitment_date: str | None
    write_date: str | None
    lines: tuple[OrderLine, ...]
    pickings: tuple[PickingInfo, ...]


@dataclass(frozen=True)
class PickLine:
    """One picked (or received) quantity of one product, optionally per lot and destination package."""

    product_ref: str
    quantity: float
    lot: str | None = None
    #: destination package name (SSCC / parcel id)
    package: str | None = None
    #: measured package weight in kg (``stock.quant.package.shipping_weight``)
    package_weight: float | None = None


@dataclass(frozen=True)
class ShipConfirmation:
    """A warehouse's ship confirmation for one delivery order."""

    picking_ref: str
    lines: tuple[PickLine, ...]
    hub_event_id: str
    tracking_ref: str | None = None
    #: hub key of the carrier (see :class:`CarrierData`)
    carrier_ref: str | None = None
    #: cost billed by the carrier, written on ``stock.picking.carrier_price``
    shipping_cost: float | None = None
    #: keep the unshipped rest as a backorder (True) or cancel it (False)
    backorder: bool = True


@dataclass(frozen=True)
class ReceiptConfirmation:
    """A warehouse's receipt confirmation for one incoming picking (lots are created by name)."""

    picking_ref: str
    lines: tuple[PickLine, ...]
    hub_event_id: str
    backorder: bool = True


@dataclass(frozen=True)
class TransferResult:
    """State of one picking after a confirmation; ``error`` is set when Odoo refused it."""

    picking_ref: str
    picking_id: int | None
    state: str | None
    #: pickings created as backorders of this one
    backorder_ids: tuple[int, ...] = ()
    #: the picking was already done before this call (a replay)
    already_done: bool = False
    tracking_ref: str | None = None
    carrier_price: float | None = None
    carrier_id: int | None = None
    error: str | None = None


@dataclass(frozen=True)
class ScheduleChange:
    """A new appointment for an incoming (or outgoing) picking; datetimes are aware or naive UTC."""

    picking_ref: str
    scheduled_date: datetime
    hub_event_id: str
    deadline: datetime | None = None


# -- inventory -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class QuantInfo:
    quant_id: int
    product_id: int
    product_ref: str | None
    location_id: int
    location_name: str
    lot: str | None
    package: str | None
    quantity: float
    reserved_quantity: float


@dataclass(frozen=True)
class StockCount:
    """A counted quantity of a product at a location (absolute, not a delta)."""

    product_ref: str
    location_id: int
    quantity: float
    lot: str | None = None


@dataclass(frozen=True)
class AdjustmentResult:
    reference: str
    #: (product_ref, location_id, lot) applied by this call
    applied: tuple[tuple[str, int, str | None], ...]
    #: already applied earlier under the same reference
    skipped: tuple[tuple[str, int, str | None], ...]


# -- invoicing -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class InvoiceResult:
    invoice_id: int
    name: str | None
    state: str
    created: bool
    amount_total: float | None = None


@dataclass(frozen=True)
class BillLine:
    description: str
    price_unit: float
    quantity: float = 1.0
    #: a product's ``default_code``; when empty the carrier's service product is used
    product_ref: str | None = None


@dataclass(frozen=True)
class CarrierBill:
    """A carrier's invoice to post as a vendor bill; ``ref`` is the carrier's invoice number."""

    #: hub key of the carrier's vendor partner (``res.partner.ref``)
    vendor_ref: str
    ref: str
    invoice_date: date
    lines: tuple[BillLine, ...]
    hub_event_id: str
    #: hub key of the ``delivery.carrier`` whose service product lines default to
    carrier_ref: str | None = None


# -- traceability ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ActivityResult:
    #: the activity id (None when it was closed and Odoo deleted it)
    activity_id: int | None
    done: bool
    #: this call created (open) or closed (close) it
    changed: bool


@dataclass(frozen=True)
class RecordRef:
    model: str
    res_id: int


@dataclass(frozen=True)
class NoteRequest:
    record: RecordRef
    body: str
    hub_event_id: str
    #: the body is HTML (else it is escaped by Odoo)
    html: bool = False


@dataclass(frozen=True)
class ActivityRequest:
    record: RecordRef
    summary: str
    hub_event_id: str
    note: str = ""
    deadline: date | None = None
    activity_type_xmlid: str = "mail.mail_activity_data_todo"
    user_id: int | None = None


@dataclass(frozen=True)
class AttachmentRequest:
    record: RecordRef
    filename: str
    content: bytes
    hub_event_id: str
    mimetype: str = "application/pdf"
    #: also post a chatter note carrying the attachment
    post_note: bool = True


# -- change capture --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ChangeCursor:
    """Where a poll of one model stopped: the newest ``write_date`` seen and the ``(id, "write_date digest")``
    versions inside the overlap window (so records re-read because of the overlap are not emitted twice,
    while a same-second update with new values still is)."""

    model: str
    watermark: str | None = None
    seen: frozenset[tuple[int, str]] = field(default_factory=frozenset)
    #: keyset position to resume from when the last poll stopped at its page limit: the last ``write_date``
    #: second read and the ids already read in that second (Odoo stores microseconds but returns seconds,
    #: so ``write_date = <second>`` never matches and ``id > n`` is not ordered within the second)
    resume_after: tuple[str, tuple[int, ...]] | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe form for the cursor store."""
        return {
            "model": self.model,
            "watermark": self.watermark,
            "seen": sorted([i, w] for i, w in self.seen),
            "resume_after": [self.resume_after[0], list(self.resume_after[1])] if self.resume_after else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ChangeCursor:
        resume = data.get("resume_after")
        return cls(
            model=str(data["model"]),
            watermark=data.get("watermark"),
            seen=frozenset((int(i), str(w)) for i, w in data.get("seen", [])),
            resume_after=(str(resume[0]), _resume_ids(resume[1])) if resume else None,
        )


def _resume_ids(value: Any) -> tuple[int, ...]:
    # a cursor stored before the ids were kept holds one id; the seen-set dedupe covers what it re-reads
    return tuple(int(i) for i in value) if isinstance(value, list | tuple) else ()


@dataclass(frozen=True)
class ChangeBatch:
    model: str
    records: tuple[dict[str, Any], ...]
    cursor: ChangeCursor
    #: more pages are waiting (the page limit was hit)
    more: bool = False


@dataclass(frozen=True)
class ChangeHint:
    """An Odoo automation-rule webhook, reduced to what it is: a hint to poll ``model`` early."""

    model: str
    record_id: int
    action: str | None
    write_date: str | None
    values: dict[str, Any]
