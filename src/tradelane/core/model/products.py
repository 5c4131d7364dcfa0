"""Products and their packaging: what is ordered, shipped, stored and counted.

A :class:`Product` declares its base unit of measure and, in :class:`PackagingConversion` entries, how many
base units its packaging levels hold (1 CS = 12 EA, 1 PL = 40 CS …). :meth:`Product.packaging_factors`
resolves those into sizes in ``EA`` for :func:`tradelane.core.model.quantities.convert`.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from enum import StrEnum
from typing import Self

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from tradelane.core.model.base import CanonicalModel, CountryCode, Gtin, Identifier, Name, Text
from tradelane.core.model.parties import ExternalRef
from tradelane.core.model.quantities import Quantity, UnitCode, convert
from tradelane.core.units import Dimension, get_unit

__all__ = ["PackagingConversion", "Product", "ProductRef", "Tracking"]


class Tracking(StrEnum):
    """How individual units of a product are traced (Odoo's ``product.template.tracking``)."""

    NONE = "none"
    LOT = "lot"
    SERIAL = "serial"


class PackagingConversion(CanonicalModel):
    """One packaging level of a product: one ``unit`` holds ``quantity`` of ``contains_unit``."""

    #: the packaging unit, e.g. ``CS``
    unit: UnitCode
    #: how many ``contains_unit`` one ``unit`` holds; positive
    quantity: Decimal = Field(gt=0, allow_inf_nan=False)
    #: what the packaging holds, e.g. ``EA`` or another packaging level (``PL`` holds ``CS``)
    contains_unit: UnitCode = "EA"


class ProductRef(CanonicalModel):
    """A reference to a product on an order, shipment, receipt or stock line."""

    #: the stock keeping unit, our canonical product key
    sku: Identifier
    #: product name, as a convenience for people reading the event
    name: Name | None = None
    #: GS1 trade item number, when the partner identifies products by barcode
    gtin: Gtin | None = None


class Product(CanonicalModel):
    """A product master record."""

    #: the stock keeping unit, our canonical product key
    sku: Identifier
    #: product name
    name: Name
    #: longer description
    description: Text | None = None
    #: the unit stock is counted in (Odoo's ``uom_id``)
    uom: UnitCode = "EA"
    #: GS1 trade item number (EAN/UPC barcode)
    gtin: Gtin | None = None
    #: gross weight of one ``uom``
    weight: Quantity | None = None
    #: volume of one ``uom``
    volume: Quantity | None = None
    #: packaging levels (case, pallet …) and what they hold
    packaging: tuple[PackagingConversion, ...] = ()
    #: whether lots or serial numbers are tracked
    tracking: Tracking = Tracking.NONE
    #: HS tariff code for customs
    hs_code: Identifier | None = None
    #: ISO 3166-1 alpha-2 country of origin
    origin_country: CountryCode | None = None
    #: ids of the same product in other systems
    external_refs: tuple[ExternalRef, ...] = ()

    @model_validator(mode="after")
    def _check_units(self) -> Self:
        if self.weight is not None and self.weight.dimension is not Dimension.WEIGHT:
            raise PydanticCustomError(
                "wrong_dimension", "weight must be in a weight unit, got {unit}", {"unit": self.weight.unit}
            )
        if self.volume is not None and self.volume.dimension is not Dimension.VOLUME:
            raise PydanticCustomError(
                "wrong_dimension", "volume must be in a volume unit, got {unit}", {"unit": self.volume.unit}
            )
        seen: set[str] = set()
        for level in self.packaging:
            for code in (level.unit, level.contains_unit):
                if get_unit(code).dimension is not Dimension.COUNT:
                    raise PydanticCustomError(
                        "wrong_dimension", "packaging must be in count units, got {unit}", {"unit": code}
                    )
            if not get_unit(level.unit).is_packaging:
                raise PydanticCustomError(
                    "fixed_unit",
                    "{unit} has a fixed size and cannot be redefined as packaging",
                    {"unit": level.unit},
                )
            if level.unit in seen:
                raise PydanticCustomError(
                    "duplicate_packaging", "packaging {unit} is defined twice", {"unit": level.unit}
                )
            seen.add(level.unit)
        self.packaging_factors()  # raises on cycles and dangling levels
        return self

    def packaging_factors(self) -> Mapping[str, Decimal]:
        """Size of each packaging unit in ``EA``, e.g. ``{"CS": 12, "PL": 480}``.

        :raises PydanticCustomError: when a level holds an undefined packaging unit or levels form a cycle
        """
        holds = {level.unit: level for level in self.packaging}
        factors: dict[str, Decimal] = {}
        for start in holds:
            chain: list[str] = []
            code, size = start, Decimal(1)
            while (fixed := get_unit(code).factor) is None:
                if code in chain:
                    raise PydanticCustomError(
                        "packaging_cycle",
                        "packaging levels form a cycle: {chain}",
                        {"chain": " → ".join([*chain, code])},
                    )
                level = holds.get(code)
                if level is None:
                    raise PydanticCustomError(
                        "undefined_packaging",
                        "packaging {unit} holds {inner}, which is not defined",
                        {"unit": chain[-1] if chain else start, "inner": code},
                    )
                chain.append(code)
                size *= level.quantity
                code = level.contains_unit
            factors[start] = size * fixed  # fixed count factors are already in EA
        return factors

    def convert(self, quantity: Quantity, to_unit: str) -> Quantity:
        """``quantity`` of this product in ``to_unit``, through its packaging levels when needed."""
        return convert(quantity, to_unit, packaging=self.packaging_factors())
