"""Stock: receipts against expectations (ASN / purchase order), inventory levels, and stock movements.

A :class:`Receipt` carries, per line, what was expected and what was received, and a
:class:`Discrepancy` for each difference with a reason from :class:`DiscrepancyReason`. An
:class:`InventoryLevel` is a point-in-time count of one product at one location; a :class:`StockMovement`
moves stock between locations.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Self

from pydantic import Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from tradelane.core.model.base import CanonicalModel, Identifier, Text, UtcDatetime, unique_ids
from tradelane.core.model.products import ProductRef
from tradelane.core.model.quantities import Quantity
from tradelane.core.model.shipments import LotQuantity

__all__ = [
    "Discrepancy",
    "DiscrepancyReason",
    "InventoryLevel",
    "Receipt",
    "ReceiptLine",
    "StockMovement",
]


class DiscrepancyReason(StrEnum):
    """Why received goods differ from what was expected."""

    #: fewer received than expected
    SHORT = "short"
    #: more received than expected
    OVER = "over"
    #: received damaged
    DAMAGED = "damaged"
    #: a different product than expected
    WRONG_ITEM = "wrong_item"


class Discrepancy(CanonicalModel):
    """One difference between expectation and receipt on a line."""

    #: why
    reason: DiscrepancyReason
    #: how much is affected
    quantity: Quantity
    #: what the receiver noted
    note: Text | None = None


class ReceiptLine(CanonicalModel):
    """Expected and received quantities of one product."""

    #: line id, unique within the receipt (ASN line or PO line)
    line_id: Identifier
    #: the product
    product: ProductRef
    #: what the ASN or purchase order announced
    expected_quantity: Quantity
    #: what was counted at receiving; absent until received
    received_quantity: Quantity | None = None
    #: lot and serial breakdown of what was received
    lots: tuple[LotQuantity, ...] = ()
    #: differences found
    discrepancies: tuple[Discrepancy, ...] = ()

    @model_validator(mode="after")
    def _same_dimension(self) -> Self:
        if self.received_quantity is not None and (
            self.received_quantity.dimension is not self.expected_quantity.dimension
        ):
            raise PydanticCustomError(
                "wrong_dimension",
                "received quantity in {received} cannot be compared with expected {expected}",
                {"received": self.received_quantity.unit, "expected": self.expected_quantity.unit},
            )
        return self


class Receipt(CanonicalModel):
    """Goods arriving at a site against an expectation (advance ship notice or purchase order)."""

    #: canonical id of the receipt
    receipt_id: Identifier
    #: business reference (Odoo picking name, e.g. ``WH/IN/00017``)
    reference: Identifier
    #: the purchase order number, when receiving against one
    order_ref: Identifier | None = None
    #: the shipment bringing the goods, when known
    shipment_id: Identifier | None = None
    #: the receiving site
    location_id: Identifier
    #: canonical party id of the supplier
    supplier_id: Identifier | None = None
    #: when the goods are expected
    expected_at: UtcDatetime | None = None
    #: when receiving finished (set on completion)
    received_at: UtcDatetime | None = None
    #: the lines
    lines: tuple[ReceiptLine, ...] = Field(min_length=1)

    @field_validator("lines")
    @classmethod
    def _unique_lines(cls, lines: tuple[ReceiptLine, ...]) -> tuple[ReceiptLine, ...]:
        unique_ids((line.line_id for line in lines), what="line_id")
        return lines


class InventoryLevel(CanonicalModel):
    """How much of one product (and lot) is at one location at one moment."""

    #: the product
    product: ProductRef
    #: the location (warehouse or bin)
    location_id: Identifier
    #: lot, for lot-tracked products
    lot: Identifier | None = None
    #: physically present
    on_hand: Quantity
    #: reserved for orders
    allocated: Quantity | None = None
    #: free to promise (on hand minus allocated and blocked)
    available: Quantity | None = None
    #: when the count was true
    as_of: UtcDatetime

    @model_validator(mode="after")
    def _same_unit(self) -> Self:
        for name in ("allocated", "available"):
            other: Quantity | None = getattr(self, name)
            if other is not None and other.unit != self.on_hand.unit:
                raise PydanticCustomError(
                    "unit_mismatch",
                    "{name} is in {unit} but on_hand is in {on_hand}",
                    {"name": name, "unit": other.unit, "on_hand": self.on_hand.unit},
                )
        return self


class StockMovement(CanonicalModel):
    """Stock moved from one location to another (put-away, replenishment, transfer, scrap)."""

    #: canonical id of the movement
    movement_id: Identifier
    #: the product
    product: ProductRef
    #: how much
    quantity: Quantity
    #: where it came from
    from_location_id: Identifier
    #: where it went
    to_location_id: Identifier
    #: lot and serial breakdown
    lots: tuple[LotQuantity, ...] = ()
    #: when it moved
    moved_at: UtcDatetime
    #: why, as the warehouse names it (``putaway``, ``replenishment``, ``scrap`` …)
    reason: Identifier | None = None
    #: the document that caused the move (picking, transfer order)
    reference: Identifier | None = None

    @model_validator(mode="after")
    def _moves(self) -> Self:
        if self.from_location_id == self.to_location_id:
            raise PydanticCustomError(
                "same_location",
                "stock cannot move from {location} to itself",
                {"location": self.to_location_id},
            )
        return self
