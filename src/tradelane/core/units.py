"""Units of measure: the table of canonical units, their aliases, and conversion between them.

Every quantity in the canonical model carries a *canonical* unit code from :data:`UNITS`. Each unit belongs
to a :class:`Dimension` and has a factor to that dimension's base unit (``EA``, ``KG``, ``L``, ``M``), so any
two units of one dimension convert exactly with :class:`~decimal.Decimal` arithmetic. Packaging units
(``CS``, ``PL``, ``BX``, ``PK``) are counts whose size depends on the product; they have no fixed factor and
convert only with a product's packaging factors (see ``Product.packaging_factors()`` in the model).

Partner and Odoo spellings (``kg``, ``KGM`` from UN/ECE Recommendation 20, ``lbs``, Odoo's ``Units`` …) are
resolved by :func:`normalize_unit` through the :data:`ALIASES` table. This module is pure data and
arithmetic; it imports nothing of ours but the error tree.
"""

from __future__ import annotations

import decimal
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from tradelane.core.errors import TradelaneError

__all__ = [
    "ALIASES",
    "BASE_UNITS",
    "CONVERSION_PRECISION",
    "UNITS",
    "Dimension",
    "IncompatibleUnitsError",
    "Unit",
    "UnknownUnitError",
    "convert_value",
    "dimension_of",
    "get_unit",
    "normalize_unit",
]

#: significant digits used while converting (well above any partner's precision, so round trips are exact
#: to far more places than anyone stores)
CONVERSION_PRECISION = 40


class Dimension(StrEnum):
    """What a unit measures; only units of one dimension convert into each other."""

    COUNT = "count"
    WEIGHT = "weight"
    VOLUME = "volume"
    LENGTH = "length"


@dataclass(frozen=True)
class Unit:
    """One canonical unit of measure."""

    #: canonical code, upper-case, as stored on every canonical quantity
    code: str
    #: human-readable name
    name: str
    #: what the unit measures
    dimension: Dimension
    #: how many base units of the dimension one of this unit is; ``None`` for product-specific packaging
    factor: Decimal | None

    @property
    def is_packaging(self) -> bool:
        """Whether the unit's size depends on the product (case, pallet, box, pack)."""
        return self.factor is None


class UnknownUnitError(TradelaneError, ValueError):
    """A unit code that is neither canonical nor a known alias."""

    def __init__(self, unit: str) -> None:
        #: the offending code, as given
        self.unit = unit
        super().__init__(f"unknown unit of measure {unit!r}")


class IncompatibleUnitsError(TradelaneError, ValueError):
    """A conversion between units that do not convert (different dimensions, or packaging without sizes)."""


_UNIT_LIST: tuple[Unit, ...] = (
    # count — base unit EA
    Unit("EA", "each", Dimension.COUNT, Decimal(1)),
    Unit("PCE", "piece", Dimension.COUNT, Decimal(1)),
    Unit("DZ", "dozen", Dimension.COUNT, Decimal(12)),
    Unit("CS", "case", Dimension.COUNT, None),
    Unit("PL", "pallet", Dimension.COUNT, None),
    Unit("BX", "box", Dimension.COUNT, None),
    Unit("PK", "pack", Dimension.COUNT, None),
    # weight — base unit KG
    Unit("KG", "kilogram", Dimension.WEIGHT, Decimal(1)),
    Unit("G", "gram", Dimension.WEIGHT, Decimal("0.001")),
    Unit("LB", "pound (avoirdupois)", Dimension.WEIGHT, Decimal("0.45359237")),
    Unit("OZ", "ounce (avoirdupois)", Dimension.WEIGHT, Decimal("0.028349523125")),
    Unit("T", "metric tonne", Dimension.WEIGHT, Decimal(1000)),
    # volume — base unit L
    Unit("L", "litre", Dimension.VOLUME, Decimal(1)),
    Unit("ML", "millilitre", Dimension.VOLUME, Decimal("0.001")),
    Unit("M3", "cubic metre", Dimension.VOLUME, Decimal(1000)),
    Unit("FT3", "cubic foot", Dimension.VOLUME, Decimal("28.316846592")),
    Unit("GAL", "US gallon", Dimension.VOLUME, Decimal("3.785411784")),
    # length — base unit M
    Unit("M", "metre", Dimension.LENGTH, Decimal(1)),
    Unit("CM", "centimetre", Dimension.LENGTH, Decimal("0.01")),
    Unit("MM", "millimetre", Dimension.LENGTH, Decimal("0.001")),
    Unit("IN", "inch", Dimension.LENGTH, Decimal("0.0254")),
    Unit("FT", "foot", Dimension.LENGTH, Decimal("0.3048")),
)

#: canonical code → unit
UNITS: Mapping[str, Unit] = {u.code: u for u in _UNIT_LIST}

#: the unit every other unit of a dimension is expressed in
BASE_UNITS: Mapping[Dimension, str] = {
    Dimension.COUNT: "EA",
    Dimension.WEIGHT: "KG",
    Dimension.VOLUME: "L",
    Dimension.LENGTH: "M",
}

#: alias (matched case-insensitively) → canonical code. Canonical codes match themselves case-insensitively
#: and are not repeated here.
ALIASES: Mapping[str, str] = {
    # count
    "C62": "EA",  # UN/ECE Rec 20 "one"
    "EACH": "EA",
    "UNIT": "EA",
    "UNITS": "EA",  # Odoo's default unit of measure
    "UNIT(S)": "EA",  # Odoo 14–16 spelling
    "H87": "PCE",  # UN/ECE Rec 20 "piece"
    "PC": "PCE",
    "PCS": "PCE",
    "PIECE": "PCE",
    "PIECES": "PCE",
    "DZN": "DZ",  # UN/ECE Rec 20 "dozen"
    "DOZEN": "DZ",
    "DOZENS": "DZ",  # Odoo
    "CASE": "CS",  # UN/ECE Rec 20 uses CS for case as well
    "CASES": "CS",
    "CT": "CS",  # carton, treated as a case
    "CTN": "CS",
    "PF": "PL",  # UN/ECE Rec 20 "pallet (lift)"
    "PX": "PL",  # UN/ECE Rec 20 "pallet"
    "PLT": "PL",
    "PALLET": "PL",
    "PALLETS": "PL",
    "BOX": "BX",
    "BOXES": "BX",
    "PACK": "PK",
    "PACKS": "PK",
    "PKG": "PK",
    # weight
    "KGM": "KG",  # UN/ECE Rec 20 kilogram
    "KGS": "KG",
    "KILOGRAM": "KG",
    "GRM": "G",  # UN/ECE Rec 20 gram
    "GR": "G",
    "GRAM": "G",
    "LBR": "LB",  # UN/ECE Rec 20 pound
    "LBS": "LB",
    "POUND": "LB",
    "ONZ": "OZ",  # UN/ECE Rec 20 ounce
    "TNE": "T",  # UN/ECE Rec 20 tonne
    "TONNE": "T",
    # volume
    "LTR": "L",  # UN/ECE Rec 20 litre
    "LITRE": "L",
    "LITER": "L",
    "MLT": "ML",  # UN/ECE Rec 20 millilitre
    "MTQ": "M3",  # UN/ECE Rec 20 cubic metre
    "M³": "M3",  # Odoo
    "CBM": "M3",
    "FTQ": "FT3",  # UN/ECE Rec 20 cubic foot
    "FT³": "FT3",  # Odoo
    "CFT": "FT3",
    "GLL": "GAL",  # UN/ECE Rec 20 US gallon
    "GAL (US)": "GAL",  # Odoo
    # length
    "MTR": "M",  # UN/ECE Rec 20 metre
    "CMT": "CM",  # UN/ECE Rec 20 centimetre
    "MMT": "MM",  # UN/ECE Rec 20 millimetre
    "INH": "IN",  # UN/ECE Rec 20 inch
    "FOT": "FT",  # UN/ECE Rec 20 foot
}

_LOOKUP: Mapping[str, str] = {
    **{code.casefold(): code for code in UNITS},
    **{alias.casefold(): code for alias, code in ALIASES.items()},
}


def normalize_unit(code: str) -> str:
    """The canonical code for ``code`` (canonical or alias, any case, surrounding blanks ignored).

    :raises UnknownUnitError: when the code is not known.
    """
    canonical = _LOOKUP.get(code.strip().casefold())
    if canonical is None:
        raise UnknownUnitError(code)
    return canonical


def get_unit(code: str) -> Unit:
    """The :class:`Unit` for a canonical code or alias."""
    return UNITS[normalize_unit(code)]


def dimension_of(code: str) -> Dimension:
    """The dimension of a canonical code or alias."""
    return get_unit(code).dimension


def _factor(unit: Unit, packaging: Mapping[str, Decimal]) -> Decimal:
    if unit.factor is not None:
        return unit.factor
    size = packaging.get(unit.code)
    if size is None:
        raise IncompatibleUnitsError(
            f"cannot convert {unit.code} ({unit.name}): its size depends on the product; "
            "give the product's packaging conversions"
        )
    return size


def convert_value(
    value: Decimal, from_unit: str, to_unit: str, *, packaging: Mapping[str, Decimal] | None = None
) -> Decimal:
    """Convert ``value`` from ``from_unit`` to ``to_unit`` (both canonical codes or aliases).

    :param value: the amount in ``from_unit``
    :param from_unit: unit of ``value``
    :param to_unit: unit wanted
    :param packaging: product-specific sizes of packaging units in ``EA`` (e.g. ``{"CS": Decimal(12)}``)
    :raises UnknownUnitError: for an unknown unit
    :raises IncompatibleUnitsError: across dimensions, or for a packaging unit without a size
    """
    src, dst = get_unit(from_unit), get_unit(to_unit)
    if src.dimension is not dst.dimension:
        raise IncompatibleUnitsError(
            f"cannot convert {src.code} ({src.dimension}) to {dst.code} ({dst.dimension}): different dimensions"
        )
    if src.code == dst.code:
        return value
    sizes = packaging or {}
    with decimal.localcontext() as ctx:
        ctx.prec = CONVERSION_PRECISION
        return value * _factor(src, sizes) / _factor(dst, sizes)
