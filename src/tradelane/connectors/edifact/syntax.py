"""EDIFACT syntax: UNA service string advice, tokenizing (pydifact, wrapped) and segment rendering.

pydifact's tokenizer does the character work — separators, the release character (``?+ ?: ?' ??``), CR/LF
after terminators. This module builds lossless segments from its tokens (every data element is a tuple of
components, empty positions kept) and translates pydifact's exceptions once, here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pydifact.control import Characters
from pydifact.exceptions import EDISyntaxError
from pydifact.exceptions import ValidationError as PydifactValidationError
from pydifact.token import Token
from pydifact.tokenizer import Tokenizer

from tradelane.connectors.edi_common import EdiParseError, EdiRenderError

__all__ = ["DEFAULT_CHARS", "Segment", "ServiceChars", "TokenizeResult", "render_segment", "tokenize"]

#: length of the UNA service string advice: "UNA" plus six characters
UNA_LENGTH = 9
#: number of service characters a UNA declares
UNA_CHARS = 6
#: a space in UNA position 4 (release) or 5 (repetition) means "not used"
NOT_USED = " "
#: stands in for "no release character" in pydifact, which always needs one; never valid in EDIFACT text
_NO_RELEASE = "\x00"


@dataclass(frozen=True)
class ServiceChars:
    """The six characters a UNA declares."""

    #: component data element separator
    component: str = ":"
    #: data element separator
    element: str = "+"
    #: decimal mark
    decimal: str = "."
    #: release character, space when none
    release: str = "?"
    #: repetition separator (syntax 4) or reserved, space when none
    repetition: str = NOT_USED
    #: segment terminator
    segment: str = "'"

    @classmethod
    def from_una(cls, six: str) -> ServiceChars:
        """Read the six characters after ``UNA``."""
        return cls(six[0], six[1], six[2], six[3], six[4], six[5])

    def una(self) -> str:
        """The UNA segment declaring these characters."""
        return (
            "UNA"
            + self.component
            + self.element
            + self.decimal
            + self.release
            + self.repetition
            + self.segment
        )

    @property
    def separators(self) -> str:
        """The characters that must be released inside data."""
        return self.component + self.element + self.segment

    def check(self) -> None:
        """Raise :class:`EdiRenderError` unless the separators are distinct, non-alphanumeric characters."""
        seps = [self.component, self.element, self.segment] + (
            [self.release] if self.release != NOT_USED else []
        )
        if any(len(c) != 1 or c.isalnum() or c == " " for c in seps) or len(set(seps)) != len(seps):
            raise EdiRenderError(f"unusable EDIFACT service characters {self.una()!r}")


#: ISO 9735 defaults, used when an interchange has no UNA
DEFAULT_CHARS = ServiceChars()


@dataclass(frozen=True)
class Segment:
    """One EDIFACT segment; each data element is a tuple of its components."""

    #: segment tag, e.g. ``NAD``
    tag: str
    #: data elements in order; a simple element is a one-tuple
    elements: tuple[tuple[str, ...], ...] = ()

    @classmethod
    def of(cls, tag: str, *elements: str | Sequence[str]) -> Segment:
        """Build a segment from strings (simple elements) and sequences (composites)."""
        return cls(tag, tuple((e,) if isinstance(e, str) else tuple(e) for e in elements))

    def get(self, element: int, component: int = 1) -> str:
        """Text at a 1-based element and component position, ``""`` when absent."""
        if not 0 < element <= len(self.elements):
            return ""
        parts = self.elements[element - 1]
        return parts[component - 1] if 0 < component <= len(parts) else ""


@dataclass(frozen=True)
class TokenizeResult:
    """Segments read from an interchange, and whether reading stopped early."""

    #: service characters in force
    chars: ServiceChars
    #: whether the input began with a UNA
    had_una: bool
    #: every complete segment
    segments: tuple[Segment, ...]
    #: why tokenizing stopped before the end of input (``None`` when it did not)
    error: str | None


def _characters(chars: ServiceChars) -> Characters:
    out = Characters(
        component_separator=chars.component,
        data_separator=chars.element,
        decimal_point=chars.decimal,
        reserved=chars.repetition,
        segment_terminator=chars.segment,
    )
    out.escape_character = chars.release if chars.release != NOT_USED else _NO_RELEASE
    return out


def tokenize(text: str) -> TokenizeResult:
    """Split an interchange into segments.

    :raises EdiParseError: when a UNA is present but unusable
    """
    chars, had_una, body = DEFAULT_CHARS, False, text
    if text.startswith("UNA"):
        if len(text) < UNA_LENGTH:
            raise EdiParseError("UNA service string advice is truncated", code="truncated_header", offset=0)
        chars, had_una, body = (
            ServiceChars.from_una(text[3:UNA_LENGTH]),
            True,
            text[UNA_LENGTH:].lstrip("\r\n"),
        )
        try:
            chars.check()
        except EdiRenderError as exc:
            raise EdiParseError(str(exc), code="bad_delimiters", offset=3) from exc
    segments: list[Segment] = []
    elements: list[list[str]] = [[""]]
    error: str | None = None
    try:
        for token in Tokenizer().get_tokens(body, _characters(chars)):
            if token.type == Token.Type.CONTENT:
                elements[-1][-1] += token.value
            elif token.type == Token.Type.COMPONENT_SEPARATOR:
                elements[-1].append("")
            elif token.type == Token.Type.DATA_SEPARATOR:
                elements.append([""])
            elif token.type == Token.Type.TERMINATOR:
                tag = elements[0][0].lstrip("\r\n\t ")
                segments.append(Segment(tag, tuple(tuple(e) for e in elements[1:])))
                elements = [[""]]
    except (EDISyntaxError, PydifactValidationError) as exc:
        error = str(exc)
    if error is None and any(any(c for c in e) for e in elements):
        error = "input ends inside a segment"
    return TokenizeResult(chars, had_una, tuple(segments), error)


def _escape(value: str, chars: ServiceChars, tag: str) -> str:
    if chars.release == NOT_USED:
        if any(c in chars.separators for c in value):
            raise EdiRenderError(
                f"{tag}: {value!r} contains a separator and no release character is declared"
            )
        return value
    special = chars.separators + chars.release
    return "".join(chars.release + c if c in special else c for c in value)


def render_segment(segment: Segment, chars: ServiceChars) -> str:
    """Render one segment with its terminator; trailing empty components and elements are dropped."""
    if not (segment.tag.isascii() and segment.tag.isalnum()):
        raise EdiRenderError(f"invalid segment tag {segment.tag!r}")
    parts: list[str] = []
    for element in segment.elements:
        comps = [_escape(c, chars, segment.tag) for c in element]
        while comps and comps[-1] == "":
            comps.pop()
        parts.append(chars.component.join(comps))
    while parts and parts[-1] == "":
        parts.pop()
    return chars.element.join([segment.tag, *parts]) + chars.segment
