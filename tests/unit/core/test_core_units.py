"""Units of measure: alias resolution, conversion within a dimension, refusals across dimensions."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tradelane.core.model import PackagingConversion, Product, Quantity, convert
from tradelane.core.units import (
    ALIASES,
    UNITS,
    Dimension,
    IncompatibleUnitsError,
    UnknownUnitError,
    convert_value,
    normalize_unit,
)

#: relative error tolerated after a conversion round trip (far below any stored precision)
ROUND_TRIP_TOLERANCE = Decimal("1e-30")


@pytest.mark.parametrize(
    ("given_code", "canonical"),
    [
        ("kg", "KG"),
        ("KGM", "KG"),
        ("LBR", "LB"),
        ("lbs", "LB"),
        ("Units", "EA"),
        ("  ea ", "EA"),
        ("C62", "EA"),
        ("H87", "PCE"),
        ("MTQ", "M3"),
        ("m³", "M3"),
        ("Dozens", "DZ"),
        ("gal (US)", "GAL"),
    ],
)
def test_aliases_resolve_to_canonical_codes(given_code: str, canonical: str) -> None:
    assert normalize_unit(given_code) == canonical


def test_every_alias_points_at_a_canonical_unit() -> None:
    assert set(ALIASES.values()) <= set(UNITS)


def test_unknown_unit_names_the_unit() -> None:
    with pytest.raises(UnknownUnitError, match="'furlong'") as info:
        normalize_unit("furlong")
    assert info.value.unit == "furlong"


def test_kg_to_lb_and_back() -> None:
    assert convert(Quantity(value=Decimal("45.359237"), unit="KG"), "LB") == Quantity(
        value=Decimal(100), unit="LB"
    )
    assert convert(Quantity(value=Decimal(1), unit="lbs"), "kg").value == Decimal("0.45359237")


def test_other_dimensions_convert() -> None:
    assert convert_value(Decimal(1), "FT", "IN") == Decimal(12)
    assert convert_value(Decimal(2), "M3", "L") == Decimal(2000)
    assert convert_value(Decimal(16), "OZ", "LB") == Decimal(1)
    assert convert_value(Decimal(2), "DZ", "EA") == Decimal(24)


def test_conversion_across_dimensions_is_refused_clearly() -> None:
    with pytest.raises(IncompatibleUnitsError, match=r"KG \(weight\) to L \(volume\)"):
        convert(Quantity(value=Decimal(1), unit="KG"), "L")


def test_packaging_unit_needs_product_sizes() -> None:
    with pytest.raises(IncompatibleUnitsError, match="packaging conversions"):
        convert(Quantity(value=Decimal(1), unit="CS"), "EA")


def _espresso() -> Product:
    return Product(
        sku="NZ-ESP-1KG",
        name="Espresso 1 kg",
        packaging=(
            PackagingConversion(unit="CS", quantity=Decimal(12)),
            PackagingConversion(unit="PL", quantity=Decimal(40), contains_unit="CS"),
        ),
    )


def test_case_to_each_through_product_packaging() -> None:
    product = _espresso()
    assert product.packaging_factors() == {"CS": Decimal(12), "PL": Decimal(480)}
    assert product.convert(Quantity(value=Decimal(3), unit="CS"), "EA") == Quantity(
        value=Decimal(36), unit="EA"
    )
    assert product.convert(Quantity(value=Decimal(1), unit="PL"), "CS").value == Decimal(40)
    assert product.convert(Quantity(value=Decimal(24), unit="Units"), "CS").value == Decimal(2)


def test_packaging_of_another_product_does_not_leak() -> None:
    other = Product(sku="X", name="X", packaging=(PackagingConversion(unit="CS", quantity=Decimal(6)),))
    assert other.convert(Quantity(value=Decimal(1), unit="CS"), "EA").value == Decimal(6)
    assert _espresso().convert(Quantity(value=Decimal(1), unit="CS"), "EA").value == Decimal(12)


_units_by_dimension = {
    dim: sorted(code for code, unit in UNITS.items() if unit.dimension is dim and unit.factor is not None)
    for dim in Dimension
}


@st.composite
def _unit_pairs(draw: st.DrawFn) -> tuple[str, str]:
    dimension = draw(st.sampled_from(list(Dimension)))
    codes = _units_by_dimension[dimension]
    return draw(st.sampled_from(codes)), draw(st.sampled_from(codes))


@given(
    value=st.decimals(min_value=0, max_value=Decimal("1e9"), allow_nan=False, allow_infinity=False, places=6),
    pair=_unit_pairs(),
)
def test_round_trip_returns_the_original_value(value: Decimal, pair: tuple[str, str]) -> None:
    source, target = pair
    there = convert(Quantity(value=value, unit=source), target)
    back = convert(there, source)
    assert back.unit == source
    assert abs(back.value - value) <= abs(value) * ROUND_TRIP_TOLERANCE
