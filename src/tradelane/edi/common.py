"""Small helpers shared by the X12 and EDIFACT mappings: numbers, GTINs, and payload construction that
turns pydantic errors into :class:`~tradelane.edi.events.SetMappingError` with field paths."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from decimal import Decimal, InvalidOperation

from pydantic import ValidationError

from tradelane.core.errors import FieldProblem
from tradelane.core.model.base import GTIN_LENGTHS, gs1_check_digit
from tradelane.core.model.events import EventPayload
from tradelane.edi.events import SetMappingError

__all__ = ["ascii_fold", "build_payload", "decimal_of", "gtin_of"]

#: letters and signs NFKD does not decompose, folded to ASCII look-alikes before the generic fold
_FOLD = str.maketrans(
    {
        "ß": "ss",
        "Æ": "AE",
        "æ": "ae",
        "Ø": "O",
        "ø": "o",
        "Œ": "OE",
        "œ": "oe",
        "Ł": "L",
        "ł": "l",
        "Đ": "D",
        "đ": "d",
        "–": "-",
        "—": "-",
        "→": "-",
        "’": "'",
        "‘": "'",
        "“": '"',
        "”": '"',
    }
)


def ascii_fold(value: str) -> str:
    """``value`` in printable-ASCII look-alikes (``Köln`` → ``Koln``, ``Straße`` → ``Strasse``); characters
    without one are dropped. For X12 and the EDIFACT level A/B repertoires (UNOA, UNOB)."""
    return unicodedata.normalize("NFKD", value.translate(_FOLD)).encode("ascii", "ignore").decode()


def build_payload(what: str, factory: Callable[[], EventPayload]) -> EventPayload:
    """Run ``factory``; a validation error becomes a :class:`SetMappingError` naming the fields."""
    try:
        return factory()
    except ValidationError as exc:
        problems = [
            FieldProblem(path=".".join(str(p) for p in e["loc"]), message=e["msg"], code=e["type"])
            for e in exc.errors()
        ]
        first = problems[0]
        raise SetMappingError(f"{what}: {first.path}: {first.message}", problems=problems) from exc


def decimal_of(value: str, pos: int, tag: str, element: int, places: int = 0) -> Decimal:
    """``value`` as a decimal with ``places`` implied decimals (X12 ``N2``: 2, so ``18750`` is ``187.50``).

    :raises SetMappingError: naming the segment and element when ``value`` is not a number
    """
    try:
        return Decimal(value.replace(",", ".")).scaleb(-places)
    except InvalidOperation:
        raise SetMappingError(
            f"{tag}{element:02d} {value!r} is not a number",
            segment_tag=tag,
            segment_position=pos,
            element_position=element,
        ) from None


def gtin_of(value: str) -> str | None:
    """``value`` when it is a GTIN with a valid check digit, else ``None`` (partners send junk there)."""
    digits = value.strip()
    if digits.isascii() and digits.isdigit() and len(digits) in GTIN_LENGTHS:
        if int(digits[-1]) == gs1_check_digit(digits[:-1]):
            return digits
    return None
