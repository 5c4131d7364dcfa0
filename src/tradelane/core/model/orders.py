"""Orders: sales orders (we ship to a customer) and purchase orders (a supplier ships to us).

An :class:`Order` is the commercial document that causes shipments and receipts; its lines name a product, a
quantity, optionally a requested time and a price. All priced lines of one order share one currency.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field, field_validator

from tradelane.core.model.base import CanonicalModel, Identifier, Text, TimeWindow, UtcDatetime, unique_ids
from tradelane.core.model.parties import Address, ExternalRef
from tradelane.core.model.products import ProductRef
from tradelane.core.model.quantities import Money, Quantity, ensure_one_currency

__all__ = ["Order", "OrderKind", "OrderLine", "OrderStatus"]


class OrderKind(StrEnum):
    """Which way goods flow."""

    #: we sell and ship to a customer (Odoo ``sale.order``)
    SALES = "sales"
    #: we buy and receive from a supplier (Odoo ``purchase.order``)
    PURCHASE = "purchase"


class OrderStatus(StrEnum):
    """Where the order is in its life."""

    DRAFT = "draft"
    CONFIRMED = "confirmed"
    RELEASED = "released"
    DONE = "done"
    CANCELLED = "cancelled"


class OrderLine(CanonicalModel):
    """One line of an order."""

    #: line id, unique within the order (Odoo line id or partner line number)
    line_id: Identifier
    #: what is ordered
    product: ProductRef
    #: how much
    quantity: Quantity
    #: when the customer wants it (sales) or the supplier promised it (purchase)
    requested_at: UtcDatetime | None = None
    #: unit price, when the receiver of the event is allowed to see prices
    unit_price: Money | None = None
    #: free-text note on the line
    note: Text | None = None


class Order(CanonicalModel):
    """A sales or purchase order."""

    #: canonical id of the order
    order_id: Identifier
    #: business reference people use, e.g. ``SO0042`` or ``P00017``
    number: Identifier
    #: sales or purchase
    kind: OrderKind
    #: where the order is in its life
    status: OrderStatus = OrderStatus.CONFIRMED
    #: the customer (sales) or supplier (purchase)
    party_id: Identifier
    #: the customer's own reference (their PO number on a sales order)
    customer_ref: Identifier | None = None
    #: the warehouse that ships (sales) or receives (purchase)
    warehouse_id: Identifier | None = None
    #: where goods go
    ship_to: Address | None = None
    #: when goods are wanted, for the whole order
    requested_window: TimeWindow | None = None
    #: when the order was placed
    ordered_at: UtcDatetime
    #: the lines; at least one
    lines: tuple[OrderLine, ...] = Field(min_length=1)
    #: ids of the same order in other systems
    external_refs: tuple[ExternalRef, ...] = ()

    @field_validator("lines")
    @classmethod
    def _consistent_lines(cls, lines: tuple[OrderLine, ...]) -> tuple[OrderLine, ...]:
        unique_ids([line.line_id for line in lines], what="line_id")
        ensure_one_currency((line.unit_price for line in lines if line.unit_price), what="line prices")
        return lines

    @property
    def currency(self) -> str | None:
        """The currency of the priced lines, if any line is priced."""
        return next((line.unit_price.currency for line in self.lines if line.unit_price), None)
