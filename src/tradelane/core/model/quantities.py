"""Amounts with units: :class:`Quantity` (value + unit of measure) and :class:`Money` (amount + currency).

Both keep their number as :class:`~decimal.Decimal` — never float — and validate their unit: a quantity's
unit must be known to :mod:`tradelane.core.units` (aliases are normalised to the canonical code), a currency
must be an ISO 4217 code from :data:`CURRENCIES`. Conversion of quantities goes through :func:`convert`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

from tradelane.core.model.base import CanonicalModel
from tradelane.core.units import Dimension, UnknownUnitError, convert_value, get_unit, normalize_unit

__all__ = [
    "CURRENCIES",
    "CurrencyCode",
    "Money",
    "Quantity",
    "UnitCode",
    "convert",
    "ensure_one_currency",
]

#: ISO 4217 codes we accept: the currencies logistics partners actually invoice in. Extend as needed.
CURRENCIES: frozenset[str] = frozenset(
    (
        "AED ARS AUD BGN BRL CAD CHF CLP CNY COP CZK DKK EGP EUR GBP HKD "
        "HUF IDR ILS INR JPY KES KRW MAD MXN MYR NGN NOK NZD PEN PHP PKR "
        "PLN QAR RON RSD SAR SEK SGD THB TRY TWD UAH USD VND ZAR"
    ).split()
)


def _unit_code(value: str) -> str:
    try:
        return normalize_unit(value)
    except UnknownUnitError:
        raise PydanticCustomError(
            "unknown_unit", "unknown unit of measure '{unit}'", {"unit": value}
        ) from None


def _currency_code(value: str) -> str:
    if len(value) != 3 or not value.isascii() or not value.isalpha() or not value.isupper():
        raise PydanticCustomError(
            "currency_format",
            "currency must be an ISO 4217 code of 3 upper-case letters, got '{currency}'",
            {"currency": value},
        )
    if value not in CURRENCIES:
        raise PydanticCustomError(
            "unknown_currency", "unknown ISO 4217 currency code '{currency}'", {"currency": value}
        )
    return value


#: a unit of measure; aliases such as ``kg``, ``KGM`` or ``Units`` become the canonical code
UnitCode = Annotated[str, AfterValidator(_unit_code)]
#: an ISO 4217 currency code such as ``EUR``
CurrencyCode = Annotated[str, AfterValidator(_currency_code)]


class Quantity(CanonicalModel):
    """A non-negative amount of something in a unit of measure, e.g. ``12 EA`` or ``18.5 KG``."""

    #: the amount; finite and not negative
    value: Decimal = Field(ge=0, allow_inf_nan=False)
    #: canonical unit code (see :data:`tradelane.core.units.UNITS`)
    unit: UnitCode

    @property
    def dimension(self) -> Dimension:
        """What the quantity measures (count, weight, volume, length)."""
        return get_unit(self.unit).dimension

    def to(self, unit: str, *, packaging: Mapping[str, Decimal] | None = None) -> Quantity:
        """This quantity in ``unit``; see :func:`convert`."""
        return convert(self, unit, packaging=packaging)


def convert(quantity: Quantity, to_unit: str, *, packaging: Mapping[str, Decimal] | None = None) -> Quantity:
    """``quantity`` expressed in ``to_unit``.

    :param quantity: what to convert
    :param to_unit: canonical code or alias of the unit wanted
    :param packaging: sizes of packaging units in ``EA`` for the product concerned, as returned by
        ``Product.packaging_factors()``; needed only for ``CS``, ``PL``, ``BX``, ``PK``
    :raises tradelane.core.units.UnknownUnitError: for an unknown ``to_unit``
    :raises tradelane.core.units.IncompatibleUnitsError: across dimensions, or packaging without sizes
    """
    target = normalize_unit(to_unit)
    value = convert_value(quantity.value, quantity.unit, target, packaging=packaging)
    return Quantity(value=value, unit=target)


class Money(CanonicalModel):
    """An amount of money in one currency. Negative amounts are credits."""

    #: the amount, in major units (``12.50`` is twelve euros fifty)
    amount: Decimal = Field(allow_inf_nan=False)
    #: ISO 4217 currency code
    currency: CurrencyCode


def ensure_one_currency(amounts: Iterable[Money], *, what: str) -> str | None:
    """The single currency shared by ``amounts`` (``None`` when empty).

    :param what: the collection's name for the error message, e.g. ``"charges"``
    :raises PydanticCustomError: ``mixed_currency`` naming the currencies found
    """
    currencies = sorted({m.currency for m in amounts})
    if len(currencies) > 1:
        raise PydanticCustomError(
            "mixed_currency",
            "{what} mix currencies {currencies}; all amounts must be in one currency",
            {"what": what, "currencies": ", ".join(currencies)},
        )
    return currencies[0] if currencies else None
