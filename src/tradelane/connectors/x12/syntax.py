"""X12 syntax: delimiters from the fixed-width ISA, segment splitting and segment rendering.

The ISA segment is 106 characters wide; its 4th character is the element separator, ISA16 the component
separator and the character after ISA16 the segment terminator. From version 00402 on ISA11 is the repetition
separator (``U`` in 4010). Partners often add CR/LF (and sometimes spaces) after each terminator; those are
dropped when splitting. Nothing here validates element contents: see :mod:`.validate`.
"""

from __future__ import annotations

from dataclasses import dataclass

from tradelane.connectors.edi_common import EdiParseError, EdiRenderError

__all__ = [
    "ISA_FIELD_WIDTHS",
    "ISA_LENGTH",
    "Composite",
    "Delimiters",
    "IsaRead",
    "Repeated",
    "Segment",
    "Value",
    "read_isa",
    "render_isa",
    "render_segment",
    "split_segments",
]

#: total width of a well-formed ISA segment including its terminator
ISA_LENGTH = 106
#: fixed widths of ISA01..ISA16
ISA_FIELD_WIDTHS = (2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1, 1)
#: number of ISA data elements
ISA_ELEMENT_COUNT = len(ISA_FIELD_WIDTHS)
#: how far into the input a damaged (not fixed-width) ISA is searched for its 16 separators
ISA_SCAN_LIMIT = 400
#: characters dropped between segments (after a terminator): partners add CR/LF and padding
INTER_SEGMENT_WHITESPACE = "\r\n\t "
#: ISA11 in versions before 00402: the standards identifier "U.S. EDI Community of ASC X12"
NO_REPETITION_MARKER = "U"
#: ISA element that carries the repetition separator (5010) or the standards identifier (4010)
REPETITION_ELEMENT = 11
#: ISA12 from which ISA11 carries the repetition separator
REPETITION_FROM_VERSION = "00402"

Composite = tuple[str, ...]


@dataclass(frozen=True)
class Repeated:
    """A repeated element (5010 repetition separator)."""

    #: the repetitions, each simple or composite
    values: tuple[str | Composite, ...]


Value = str | Composite | Repeated


@dataclass(frozen=True)
class Delimiters:
    """The four X12 delimiters, plus what to write after each segment terminator when rendering."""

    #: element separator (ISA position 4)
    element: str = "*"
    #: component element separator (ISA16)
    component: str = ":"
    #: segment terminator (the character after ISA16)
    segment: str = "~"
    #: repetition separator (ISA11 from 00402 on), ``None`` for 4010
    repetition: str | None = "^"
    #: written after each terminator when rendering, e.g. ``"\\r\\n"``; never part of the syntax
    suffix: str = ""

    @property
    def all(self) -> str:
        """Every delimiter character in use."""
        return self.element + self.component + self.segment + (self.repetition or "")

    def check(self) -> None:
        """Raise :class:`EdiRenderError` unless the delimiters are single, distinct, non-alphanumeric."""
        chars = [self.element, self.component, self.segment] + ([self.repetition] if self.repetition else [])
        if any(len(c) != 1 or c.isalnum() or c == " " for c in chars) or len(set(chars)) != len(chars):
            raise EdiRenderError(f"unusable X12 delimiters {chars!r}")


@dataclass(frozen=True)
class Segment:
    """One X12 segment: a tag and its elements (simple strings, composites or repetitions)."""

    #: segment id, e.g. ``B10``
    tag: str
    #: ELEMENT01 first; trailing empty elements may be absent
    elements: tuple[Value, ...] = ()

    @classmethod
    def of(cls, tag: str, *elements: Value | list[str]) -> Segment:
        """Build a segment; lists are taken as composites."""
        return cls(tag, tuple(tuple(e) if isinstance(e, list) else e for e in elements))

    def element(self, position: int) -> Value:
        """The element at a 1-based position, ``""`` when absent."""
        return self.elements[position - 1] if 0 < position <= len(self.elements) else ""

    def get(self, position: int, component: int = 1) -> str:
        """Text of an element (of one component of a composite; first repetition of a repeated element)."""
        value = self.element(position)
        if isinstance(value, Repeated):
            value = value.values[0] if value.values else ""
        if isinstance(value, tuple):
            return value[component - 1] if 0 < component <= len(value) else ""
        return value if component == 1 else ""


@dataclass(frozen=True)
class IsaRead:
    """The ISA as read from the front of an interchange."""

    #: ISA01..ISA16 as sent (padding kept)
    fields: tuple[str, ...]
    #: delimiters declared by the ISA
    delimiters: Delimiters
    #: offset just past the ISA terminator
    end: int
    #: 1-based ISA element numbers whose width is not the fixed width
    width_errors: tuple[int, ...]


def _isa_separator_positions() -> tuple[int, ...]:
    positions = [3]
    for width in ISA_FIELD_WIDTHS[:-1]:
        positions.append(positions[-1] + width + 1)
    return tuple(positions)


#: offsets of the 16 element separators in a fixed-width ISA
ISA_SEPARATOR_POSITIONS = _isa_separator_positions()


def read_isa(text: str) -> IsaRead:
    """Read the ISA at the start of ``text`` (fixed width, or leniently when its widths are wrong).

    :raises EdiParseError: when no ISA with 16 elements and a terminator can be found
    """
    if not text.startswith("ISA"):
        raise EdiParseError("input does not start with an ISA segment", code="no_header", offset=0)
    if len(text) < 4:
        raise EdiParseError("ISA segment is truncated", code="truncated_header", offset=len(text))
    sep = text[3]
    if sep.isalnum() or sep in INTER_SEGMENT_WHITESPACE:
        raise EdiParseError(f"unusable element separator {sep!r}", code="bad_delimiters", offset=3)
    fixed = len(text) >= ISA_LENGTH and all(text[p] == sep for p in ISA_SEPARATOR_POSITIONS)
    if fixed:
        fields = tuple(
            text[p + 1 : q]
            for p, q in zip(ISA_SEPARATOR_POSITIONS, ISA_SEPARATOR_POSITIONS[1:], strict=False)
        )
        component, terminator, end = text[ISA_LENGTH - 2], text[ISA_LENGTH - 1], ISA_LENGTH
        fields = (*fields, component)
    else:
        parts = text[:ISA_SCAN_LIMIT].split(sep, ISA_ELEMENT_COUNT)
        if len(parts) <= ISA_ELEMENT_COUNT or len(parts[-1]) < 2:
            raise EdiParseError("ISA segment is truncated or malformed", code="truncated_header", offset=0)
        last = parts[-1]
        component, terminator = last[0], last[1]
        fields = (*parts[1:ISA_ELEMENT_COUNT], component)
        end = len(sep.join(parts[:ISA_ELEMENT_COUNT])) + 3
    width_errors = tuple(
        n
        for n, (value, width) in enumerate(zip(fields, ISA_FIELD_WIDTHS, strict=False), start=1)
        if len(value) != width
    )
    isa11, version = fields[10], fields[11]
    repetition = None
    if version >= REPETITION_FROM_VERSION and isa11 != NO_REPETITION_MARKER and not isa11.isalnum():
        repetition = isa11
    if repetition in (sep, component, terminator):
        repetition = None
    return IsaRead(fields, Delimiters(sep, component, terminator, repetition), end, width_errors)


def _parse_value(raw: str, d: Delimiters) -> Value:
    if d.repetition and d.repetition in raw:
        return Repeated(tuple(_parse_simple(part, d) for part in raw.split(d.repetition)))
    return _parse_simple(raw, d)


def _parse_simple(raw: str, d: Delimiters) -> str | Composite:
    return tuple(raw.split(d.component)) if d.component in raw else raw


def split_segments(text: str, start: int, d: Delimiters) -> tuple[list[Segment], str]:
    """Split everything after the ISA into segments.

    :returns: the segments, and whatever non-blank text followed the last terminator (a truncated segment)
    """
    pieces = text[start:].split(d.segment)
    trailing = pieces.pop().strip(INTER_SEGMENT_WHITESPACE)
    strip = "".join(c for c in INTER_SEGMENT_WHITESPACE if c not in d.all)
    segments: list[Segment] = []
    for piece in pieces:
        raw = piece.lstrip(strip)
        if d.segment == "\n":
            raw = raw.rstrip("\r")
        if not raw:
            continue
        tag, *rest = raw.split(d.element)
        segments.append(Segment(tag, tuple(_parse_value(r, d) for r in rest)))
    return segments, trailing


def _render_text(value: str, d: Delimiters, tag: str) -> str:
    bad = [c for c in value if c in d.all]
    if bad:
        raise EdiRenderError(f"{tag}: value {value!r} contains delimiter {bad[0]!r}")
    return value


def _render_simple(value: str | Composite, d: Delimiters, tag: str) -> str:
    if isinstance(value, tuple):
        parts = [_render_text(v, d, tag) for v in value]
        while parts and parts[-1] == "":
            parts.pop()
        return d.component.join(parts)
    return _render_text(value, d, tag)


def _render_value(value: Value, d: Delimiters, tag: str) -> str:
    if isinstance(value, Repeated):
        if d.repetition is None:
            raise EdiRenderError(f"{tag}: repeated element needs a repetition separator")
        return d.repetition.join(_render_simple(v, d, tag) for v in value.values)
    return _render_simple(value, d, tag)


def render_segment(segment: Segment, d: Delimiters) -> str:
    """Render one segment with its terminator; trailing empty elements are dropped as X12 requires."""
    if not segment.tag or not segment.tag.isalnum():
        raise EdiRenderError(f"invalid segment tag {segment.tag!r}")
    parts = [_render_value(v, d, segment.tag) for v in segment.elements]
    while parts and parts[-1] == "":
        parts.pop()
    return d.element.join([segment.tag, *parts]) + d.segment + d.suffix


def render_isa(fields: tuple[str, ...], d: Delimiters) -> str:
    """Render ISA01..ISA15 padded to their fixed widths; ISA16 is the component separator.

    :raises EdiRenderError: when a value is wider than its field or contains a delimiter
    """
    if len(fields) != ISA_ELEMENT_COUNT - 1:
        raise EdiRenderError(f"ISA needs {ISA_ELEMENT_COUNT - 1} elements before ISA16, got {len(fields)}")
    out = []
    for n, (value, width) in enumerate(zip(fields, ISA_FIELD_WIDTHS, strict=False), start=1):
        if len(value) > width:
            raise EdiRenderError(f"ISA{n:02d} {value!r} is wider than {width}")
        if n == REPETITION_ELEMENT and value == d.repetition:
            out.append(value)
            continue
        out.append(_render_text(value.ljust(width), d, "ISA"))
    return d.element.join(["ISA", *out, d.component]) + d.segment + d.suffix
