"""Returns: a customer sends goods back under a return merchandise authorisation (RMA)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field, field_validator

from tradelane.core.model.base import CanonicalModel, Identifier, Text, UtcDatetime, unique_ids
from tradelane.core.model.products import ProductRef
from tradelane.core.model.quantities import Quantity
from tradelane.core.model.shipments import LotQuantity

__all__ = ["ItemCondition", "Return", "ReturnLine", "ReturnReason"]


class ReturnReason(StrEnum):
    """Why the customer returns goods."""

    DAMAGED = "damaged"
    DEFECTIVE = "defective"
    WRONG_ITEM = "wrong_item"
    NOT_AS_DESCRIBED = "not_as_described"
    NO_LONGER_NEEDED = "no_longer_needed"
    UNDELIVERABLE = "undeliverable"
    OTHER = "other"


class ItemCondition(StrEnum):
    """The state returned goods arrived in (graded at receiving)."""

    NEW = "new"
    RESELLABLE = "resellable"
    DAMAGED = "damaged"
    SCRAP = "scrap"


class ReturnLine(CanonicalModel):
    """One product being returned."""

    #: line id, unique within the return
    line_id: Identifier
    #: the product
    product: ProductRef
    #: how much the customer returns
    quantity: Quantity
    #: why
    reason: ReturnReason
    #: the original order line, when known
    order_line_id: Identifier | None = None
    #: lots or serial numbers returned
    lots: tuple[LotQuantity, ...] = ()
    #: how much arrived back (set on receipt)
    received_quantity: Quantity | None = None
    #: the state it arrived in (set on receipt)
    condition: ItemCondition | None = None


class Return(CanonicalModel):
    """A return merchandise authorisation and its lines."""

    #: canonical id of the return
    return_id: Identifier
    #: the RMA number given to the customer
    rma_number: Identifier
    #: the original sales order number
    order_ref: Identifier | None = None
    #: canonical party id of the customer
    customer_id: Identifier
    #: the site receiving the return
    location_id: Identifier | None = None
    #: why, in the customer's words
    reason_text: Text | None = None
    #: when the customer asked
    requested_at: UtcDatetime
    #: when the goods arrived back (set on receipt)
    received_at: UtcDatetime | None = None
    #: the lines
    lines: tuple[ReturnLine, ...] = Field(min_length=1)

    @field_validator("lines")
    @classmethod
    def _unique_lines(cls, lines: tuple[ReturnLine, ...]) -> tuple[ReturnLine, ...]:
        unique_ids((line.line_id for line in lines), what="line_id")
        return lines
