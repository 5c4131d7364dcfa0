"""Freight money: charges (base rate and accessorials) and carrier invoices.

Accessorial codes are data — :data:`ACCESSORIALS` says what each means; connectors map partner codes
(X12 210 ``L1`` charge codes, carrier API names) onto them in their own ``mapping.py``. A
:class:`CarrierInvoice` must be in one currency; whether its total matches its charges is an audit question
answered by :attr:`CarrierInvoice.total_matches_charges`, not a validation error — carriers send invoices
that do not add up, and we want to receive them.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from enum import StrEnum
from typing import Self

from pydantic import Field, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from tradelane.core.model.base import CanonicalModel, Identifier, Text, UtcDatetime, unique_ids
from tradelane.core.model.quantities import CurrencyCode, Money

__all__ = [
    "ACCESSORIALS",
    "AccessorialCode",
    "CarrierInvoice",
    "ChargeKind",
    "FreightCharge",
]


class ChargeKind(StrEnum):
    """Whether a charge is the line-haul rate or an extra."""

    BASE = "base"
    ACCESSORIAL = "accessorial"


class AccessorialCode(StrEnum):
    """Extra services and penalties a carrier bills on top of the base rate."""

    FUEL = "fuel"
    DETENTION = "detention"
    LIFTGATE = "liftgate"
    RESIDENTIAL = "residential"
    INSIDE_DELIVERY = "inside_delivery"
    REDELIVERY = "redelivery"
    LAYOVER = "layover"
    LUMPER = "lumper"
    STORAGE = "storage"
    OTHER = "other"


#: accessorial code → what it pays for
ACCESSORIALS: Mapping[AccessorialCode, str] = {
    AccessorialCode.FUEL: "fuel surcharge, usually a percentage of the base rate indexed to diesel prices",
    AccessorialCode.DETENTION: "the driver was held at pickup or delivery beyond the free time",
    AccessorialCode.LIFTGATE: "a liftgate truck was needed because the site has no dock",
    AccessorialCode.RESIDENTIAL: "delivery to or pickup from a residential address",
    AccessorialCode.INSIDE_DELIVERY: "goods carried inside the building beyond the door",
    AccessorialCode.REDELIVERY: "a second delivery attempt after a failed one",
    AccessorialCode.LAYOVER: "the driver had to wait overnight",
    AccessorialCode.LUMPER: "third-party labour to load or unload",
    AccessorialCode.STORAGE: "goods held at the carrier's terminal",
    AccessorialCode.OTHER: "anything else; the description says what",
}


class FreightCharge(CanonicalModel):
    """One charge for moving a shipment."""

    #: charge id, unique within its invoice or quote
    charge_id: Identifier
    #: base rate or accessorial
    kind: ChargeKind
    #: which accessorial; required for accessorial charges, absent for the base rate
    accessorial: AccessorialCode | None = None
    #: the amount; negative for a discount or credit
    amount: Money
    #: the shipment charged for
    shipment_id: Identifier | None = None
    #: the carrier's own charge code, kept for audit
    source_code: Identifier | None = None
    #: what the carrier wrote
    description: Text | None = None

    @model_validator(mode="after")
    def _accessorial_code(self) -> Self:
        if self.kind is ChargeKind.ACCESSORIAL and self.accessorial is None:
            raise PydanticCustomError(
                "accessorial_required", "an accessorial charge needs an accessorial code", {}
            )
        if self.kind is ChargeKind.BASE and self.accessorial is not None:
            raise PydanticCustomError(
                "accessorial_on_base",
                "a base charge cannot have an accessorial code ({code})",
                {"code": self.accessorial},
            )
        return self


class CarrierInvoice(CanonicalModel):
    """A carrier's freight bill (X12 210 or PDF/API equivalent)."""

    #: the carrier's invoice number
    invoice_number: Identifier
    #: canonical party id of the carrier
    carrier_id: Identifier
    #: when the invoice was issued
    invoiced_at: UtcDatetime
    #: when payment is due
    due_at: UtcDatetime | None = None
    #: the shipments billed (our shipment ids or the carrier's PRO numbers)
    shipment_refs: tuple[Identifier, ...] = Field(min_length=1)
    #: currency of the whole invoice; every charge and the total must be in it
    currency: CurrencyCode
    #: the charges; at least one
    charges: tuple[FreightCharge, ...] = Field(min_length=1)
    #: the amount due as the carrier states it
    total: Money

    @field_validator("charges")
    @classmethod
    def _charges_in_currency(
        cls, charges: tuple[FreightCharge, ...], info: ValidationInfo
    ) -> tuple[FreightCharge, ...]:
        unique_ids((charge.charge_id for charge in charges), what="charge_id")
        currency = info.data.get("currency")
        for index, charge in enumerate(charges):
            if currency is not None and charge.amount.currency != currency:
                raise PydanticCustomError(
                    "mixed_currency",
                    "charges[{index}] ({charge}) is in {found}, but the invoice currency is {currency}",
                    {
                        "index": index,
                        "charge": charge.charge_id,
                        "found": charge.amount.currency,
                        "currency": currency,
                    },
                )
        return charges

    @field_validator("total")
    @classmethod
    def _total_in_currency(cls, total: Money, info: ValidationInfo) -> Money:
        currency = info.data.get("currency")
        if currency is not None and total.currency != currency:
            raise PydanticCustomError(
                "mixed_currency",
                "total is in {found}, but the invoice currency is {currency}",
                {"found": total.currency, "currency": currency},
            )
        return total

    def charges_total(self) -> Decimal:
        """The sum of the charges' amounts."""
        return sum((charge.amount.amount for charge in self.charges), Decimal(0))

    @property
    def total_matches_charges(self) -> bool:
        """Whether the stated total equals the sum of the charges (freight audit)."""
        return self.charges_total() == self.total.amount
