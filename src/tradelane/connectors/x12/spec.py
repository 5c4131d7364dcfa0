"""Data model of X12 specifications: data elements, composites, segments, syntax rules, transaction sets.

Specs are *data* (see :mod:`.dictionary` and :mod:`.transactions`); :mod:`.validate` interprets them.
Segments are declared with a compact layout string, one entry per element position::

    "98 M, 93 X, 66 X, 67 X"      element refs with M (mandatory), O (optional) or X (conditional)
    "C030 M"                      a composite, looked up in the composite table
    "1234 O*5"                    repeatable up to 5 times (5010 repetition separator)

and syntax rules as X12 writes them: ``P0304`` (paired), ``R0203`` (at least one), ``C0706`` (if the first
then all others), ``L010203`` (if the first then at least one other), ``E0102`` (at most one).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from tradelane.connectors.edi_common import StructureNode

__all__ = [
    "CompositeElement",
    "DataElement",
    "DataType",
    "ElementUse",
    "HierarchySpec",
    "SegmentSpec",
    "SyntaxRule",
    "TransactionSpec",
    "parse_layout",
]

DataType = Literal["ID", "AN", "N0", "N1", "N2", "N3", "N4", "R", "DT", "TM"]
RuleKind = Literal["P", "R", "C", "L", "E"]
_RULE_KINDS: dict[str, RuleKind] = {"P": "P", "R": "R", "C": "C", "L": "L", "E": "E"}
#: digits per element position in a syntax rule such as ``P0304``
RULE_POSITION_DIGITS = 2


@dataclass(frozen=True)
class DataElement:
    """A simple data element from the dictionary."""

    #: reference number, e.g. ``373``
    ref: str
    #: dictionary name
    name: str
    #: X12 data type
    type: DataType
    #: minimum length (digits only for numeric types)
    min_len: int
    #: maximum length
    max_len: int
    #: allowed codes, when the list is small enough to check
    codes: frozenset[str] | None = None


@dataclass(frozen=True)
class ElementUse:
    """An element at one position of a segment or composite."""

    #: the simple or composite element used here
    element: DataElement | CompositeElement
    #: mandatory at this position
    required: bool
    #: maximum repetitions (1 = not repeatable)
    max_repeat: int = 1


@dataclass(frozen=True)
class CompositeElement:
    """A composite data structure such as C030."""

    #: reference, e.g. ``C030``
    ref: str
    #: name
    name: str
    #: components in order
    components: tuple[ElementUse, ...]


@dataclass(frozen=True)
class SyntaxRule:
    """A relational condition between element positions of one segment."""

    #: P, R, C, L or E
    kind: RuleKind
    #: 1-based element positions involved, first one first
    positions: tuple[int, ...]

    @classmethod
    def parse(cls, text: str) -> SyntaxRule:
        """Parse ``P0304`` style notation."""
        kind, digits = text[0], text[1:]
        if kind not in "PRCLE" or not digits.isdigit() or len(digits) % RULE_POSITION_DIGITS:
            raise ValueError(f"bad syntax rule {text!r}")
        positions = tuple(
            int(digits[i : i + RULE_POSITION_DIGITS]) for i in range(0, len(digits), RULE_POSITION_DIGITS)
        )
        return cls(_RULE_KINDS[kind], positions)


@dataclass(frozen=True)
class SegmentSpec:
    """A segment: its elements by position and its syntax rules."""

    #: segment id
    tag: str
    #: name
    name: str
    #: element uses, position 1 first
    elements: tuple[ElementUse, ...]
    #: relational conditions
    rules: tuple[SyntaxRule, ...] = ()


@dataclass(frozen=True)
class HierarchySpec:
    """Allowed parent levels for HL loops (856): level code → parent level codes (``""`` = top level)."""

    #: HL03 code → allowed parent HL03 codes
    parents: Mapping[str, frozenset[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class TransactionSpec:
    """A transaction set: its structure (including ST and SE) and the GS01 it travels under."""

    #: ST01, e.g. ``214``
    set_id: str
    #: name
    name: str
    #: GS01 functional identifier
    functional_id: str
    #: segments and loops in order, ST first and SE last
    structure: tuple[StructureNode, ...]
    #: HL parent rules, for sets built on the HL hierarchy
    hierarchy: HierarchySpec | None = None


def parse_layout(
    layout: str, elements: Mapping[str, DataElement], composites: Mapping[str, CompositeElement]
) -> tuple[ElementUse, ...]:
    """Turn ``"98 M, 93 X, C030 O*2"`` into element uses; unknown refs raise ``KeyError`` at import time."""
    uses: list[ElementUse] = []
    for entry in (e.strip() for e in layout.split(",") if e.strip()):
        ref, req = entry.split()
        req, _, repeat = req.partition("*")
        element: DataElement | CompositeElement = composites[ref] if ref in composites else elements[ref]
        uses.append(ElementUse(element, req == "M", int(repeat) if repeat else 1))
    return tuple(uses)
