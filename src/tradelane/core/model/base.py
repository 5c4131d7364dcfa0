"""The shared base of every canonical model, and the small annotated types all of them use.

:class:`CanonicalModel` fixes the rules once: immutable, unknown fields refused, strings stripped. The
annotated types here (:data:`UtcDatetime`, :data:`Identifier`, :data:`Sscc`, :data:`Gtin` …) carry their own
validation so a field is declared by its meaning, and a bad value fails with a field-level error whose
``type`` is a stable code (``naive_datetime``, ``sscc_check_digit`` …) that ingest turns into a
:class:`~tradelane.core.errors.FieldProblem`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Annotated, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

__all__ = [
    "GTIN_LENGTHS",
    "MAX_IDENTIFIER_LENGTH",
    "MAX_NAME_LENGTH",
    "MAX_TEXT_LENGTH",
    "SSCC_LENGTH",
    "CanonicalModel",
    "CountryCode",
    "Gln",
    "Gtin",
    "Identifier",
    "Name",
    "Position",
    "Sscc",
    "Text",
    "TimeWindow",
    "UtcDatetime",
    "gs1_check_digit",
    "unique_ids",
]

#: longest id or business reference we accept (Odoo names, partner ids, tracking numbers)
MAX_IDENTIFIER_LENGTH = 128
#: longest display name (party, product, location)
MAX_NAME_LENGTH = 256
#: longest free text (reasons, notes, descriptions)
MAX_TEXT_LENGTH = 4000
#: digits in a GS1 Serial Shipping Container Code, check digit included
SSCC_LENGTH = 18
#: digits in a GS1 Global Location Number, check digit included
GLN_LENGTH = 13
#: allowed lengths of a GTIN (GTIN-8, UPC-A, EAN-13, GTIN-14)
GTIN_LENGTHS = frozenset({8, 12, 13, 14})
#: the GS1 application identifier that scanners put in front of an SSCC
SSCC_APPLICATION_IDENTIFIER = "00"
#: weight of every other digit in the GS1 mod-10 check, counting from the right of the data digits
_GS1_ODD_WEIGHT = 3
#: latitude bounds in degrees
MAX_LATITUDE = 90.0
#: longitude bounds in degrees
MAX_LONGITUDE = 180.0


class CanonicalModel(BaseModel):
    """Base of every canonical model: immutable, no unknown fields, blanks around strings stripped."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


def _to_utc(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise PydanticCustomError(
            "naive_datetime",
            "datetime must be timezone-aware (add 'Z' or an offset such as +02:00), got {value}",
            {"value": value.isoformat()},
        )
    return value.astimezone(UTC)


#: a timezone-aware datetime, normalised to UTC; a naive datetime is a ``naive_datetime`` error
UtcDatetime = Annotated[datetime, AfterValidator(_to_utc)]

#: an id or business reference: non-empty, no surrounding blanks
Identifier = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_IDENTIFIER_LENGTH)
]

#: a display name: non-empty
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_NAME_LENGTH)]

#: free text, possibly long
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_TEXT_LENGTH)]

#: ISO 3166-1 alpha-2 country code, upper case
CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]


def gs1_check_digit(data_digits: str) -> int:
    """The GS1 mod-10 check digit for ``data_digits`` (all digits of a GS1 key but the last).

    Weights alternate 3, 1, 3 … starting from the rightmost data digit.
    """
    total = 0
    for position, char in enumerate(reversed(data_digits)):
        total += int(char) * (_GS1_ODD_WEIGHT if position % 2 == 0 else 1)
    return (10 - total % 10) % 10


def _gs1_key(value: str, lengths: frozenset[int], kind: str, code: str) -> str:
    digits = value.strip().replace(" ", "")
    if not digits.isascii() or not digits.isdigit() or len(digits) not in lengths:
        expected = " or ".join(str(n) for n in sorted(lengths))
        raise PydanticCustomError(
            f"{code}_format",
            "{kind} must be {expected} digits, got '{value}'",
            {"kind": kind, "expected": expected, "value": value},
        )
    expected_check = gs1_check_digit(digits[:-1])
    if int(digits[-1]) != expected_check:
        raise PydanticCustomError(
            f"{code}_check_digit",
            "{kind} {value} has a wrong GS1 check digit: expected {expected}, got {actual}",
            {"kind": kind, "value": digits, "expected": expected_check, "actual": int(digits[-1])},
        )
    return digits


def _sscc(value: str) -> str:
    compact = value.strip().replace(" ", "").replace("(00)", "", 1)
    if len(compact) == SSCC_LENGTH + len(SSCC_APPLICATION_IDENTIFIER) and compact.startswith(
        SSCC_APPLICATION_IDENTIFIER
    ):
        compact = compact[len(SSCC_APPLICATION_IDENTIFIER) :]
    return _gs1_key(compact, frozenset({SSCC_LENGTH}), "SSCC", "sscc")


def _gtin(value: str) -> str:
    return _gs1_key(value, GTIN_LENGTHS, "GTIN", "gtin")


def _gln(value: str) -> str:
    return _gs1_key(value, frozenset({GLN_LENGTH}), "GLN", "gln")


#: GS1 Serial Shipping Container Code: 18 digits with a valid mod-10 check digit ("(00)" prefix removed)
Sscc = Annotated[str, AfterValidator(_sscc)]
#: GS1 Global Trade Item Number (8, 12, 13 or 14 digits) with a valid check digit
Gtin = Annotated[str, AfterValidator(_gtin)]
#: GS1 Global Location Number: 13 digits with a valid check digit
Gln = Annotated[str, AfterValidator(_gln)]


class Position(CanonicalModel):
    """A point on Earth (WGS 84)."""

    #: latitude in decimal degrees, −90 … 90
    lat: float = Field(ge=-MAX_LATITUDE, le=MAX_LATITUDE)
    #: longitude in decimal degrees, −180 … 180
    lon: float = Field(ge=-MAX_LONGITUDE, le=MAX_LONGITUDE)
    #: horizontal accuracy in metres, when the device reports it
    accuracy_m: float | None = Field(default=None, ge=0)


class TimeWindow(CanonicalModel):
    """A closed interval of time, e.g. a delivery window or an appointment slot."""

    #: start of the window
    start: UtcDatetime
    #: end of the window; not before ``start``
    end: UtcDatetime

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.end < self.start:
            raise PydanticCustomError(
                "window_order",
                "window ends ({end}) before it starts ({start})",
                {"end": self.end.isoformat(), "start": self.start.isoformat()},
            )
        return self


def unique_ids(ids: Iterable[str], *, what: str) -> None:
    """Refuse duplicates among ``ids`` with a ``duplicate_id`` error naming the first repeated one.

    :param what: the name of the id in the error message, e.g. ``"line_id"``
    """
    seen: set[str] = set()
    for item in ids:
        if item in seen:
            raise PydanticCustomError(
                "duplicate_id", "{what} '{id}' appears twice", {"what": what, "id": item}
            )
        seen.add(item)
