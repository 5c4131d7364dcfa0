"""Locating problems in the file a partner sent, and writing the human-readable report.

The codecs report positions inside a set ("segment 7 of set 0002"); people fix files by line. A
:class:`Locator` splits the raw interchange into segments once — honouring the X12 delimiters of the ISA,
and the EDIFACT UNA with its release character — remembering the line each segment starts on, so that a
problem can say ``line 14, segment 13 (AT7)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tradelane.connectors.edi_common import EdiIssue, SetOutcome

if TYPE_CHECKING:
    from tradelane.edi.events import SetMappingError
    from tradelane.edi.service import UploadResult

__all__ = ["Locator", "Problem", "format_report"]

#: ISA width up to and including its segment terminator; the terminator is its last character
ISA_WIDTH = 106
#: EDIFACT defaults when there is no UNA: element separator, release character, segment terminator
EDIFACT_DEFAULTS = ("+", "?", "'")
#: UNA length ("UNA" and six service characters)
UNA_LENGTH = 9
#: element holding the group control number: GS06, UNG05
GS_CONTROL, UNG_REFERENCE = 6, 5
#: tags that open a set / message, and a group
SET_HEADERS, GROUP_HEADERS = ("ST", "UNH"), ("GS", "UNG")


@dataclass(frozen=True)
class Problem:
    """One problem with an inbound file, located as precisely as the error allows."""

    #: what is wrong, in words
    message: str
    #: the standard code reported in the acknowledgment (TA105, AK3/AK4/AK5, 0085) or our own code
    code: str
    #: ``interchange``, ``group``, ``set``, ``segment``, ``element`` or ``mapping``
    level: str
    #: 1-based line of the file
    line: int | None = None
    #: 1-based segment number in the file (ISA / UNA / UNB is 1)
    segment_number: int | None = None
    #: segment tag
    segment_tag: str = ""
    #: 1-based element (and component) position
    element_position: int | None = None
    component_position: int | None = None
    #: ST01 and ST02 / UNH02-1 and UNH01 of the set concerned
    set_id: str = ""
    set_control_number: str = ""

    def where(self) -> str:
        """``line 14, segment 13 (AT7), element 01`` — as much as is known."""
        parts = []
        if self.line is not None:
            parts.append(f"line {self.line}")
        if self.segment_number is not None:
            parts.append(
                f"segment {self.segment_number}" + (f" ({self.segment_tag})" if self.segment_tag else "")
            )
        elif self.segment_tag:
            parts.append(f"segment {self.segment_tag}")
        if self.element_position:
            element = f"element {self.element_position:02d}"
            if self.component_position:
                element += f"-{self.component_position}"
            parts.append(element)
        if self.set_control_number:
            parts.append(f"set {self.set_id} #{self.set_control_number}")
        return ", ".join(parts) or "interchange"

    def describe(self) -> str:
        """One line for people."""
        return f"{self.where()}: {self.message} [{self.level} {self.code}]"


@dataclass(frozen=True)
class _Seg:
    tag: str
    elements: tuple[str, ...]
    line: int


class Locator:
    """Segment → line table of one raw interchange."""

    def __init__(self, text: str, segments: list[_Seg]) -> None:
        self._text = text
        self._segments = segments

    @classmethod
    def of(cls, data: bytes) -> Locator:
        """Split ``data`` (X12 or EDIFACT; anything else yields an empty table)."""
        text = data.decode("latin-1")
        stripped = text.lstrip("\ufeff\xef\xbb\xbf\r\n\t ")
        offset = len(text) - len(stripped)
        if stripped.startswith("ISA") and len(stripped) >= ISA_WIDTH:
            element, terminator = stripped[3], stripped[ISA_WIDTH - 1]
            return cls(text, _scan(text, offset, element, terminator, ""))
        if stripped.startswith(("UNA", "UNB")):
            element, release, terminator = EDIFACT_DEFAULTS
            if stripped.startswith("UNA") and len(stripped) >= UNA_LENGTH:
                element, release, terminator = stripped[4], stripped[6], stripped[8]
                release = "" if release == " " else release
                first = _Seg("UNA", (), text[:offset].count("\n") + 1)
                return cls(text, [first, *_scan(text, offset + UNA_LENGTH, element, terminator, release)])
            return cls(text, _scan(text, offset, element, terminator, release))
        return cls(text, [])

    def line_of_offset(self, offset: int) -> int:
        """1-based line of a character offset."""
        return self._text[: max(offset, 0)].count("\n") + 1

    def _set_start(self, set_index: int) -> int | None:
        starts = [i for i, s in enumerate(self._segments) if s.tag in SET_HEADERS]
        return starts[set_index] if 0 <= set_index < len(starts) else None

    def _at(self, index: int | None) -> tuple[int | None, int | None, str]:
        if index is None or not 0 <= index < len(self._segments):
            return None, None, ""
        seg = self._segments[index]
        return seg.line, index + 1, seg.tag

    def _by_tag(self, tag: str, value: str = "", position: int = 1) -> int | None:
        def matches(seg: _Seg) -> bool:
            if not value:
                return True
            return len(seg.elements) >= position and seg.elements[position - 1].split(":")[0] == value

        hits = [i for i, s in enumerate(self._segments) if s.tag == tag and matches(s)]
        if not hits:
            return None
        return hits[-1] if tag in ("IEA", "UNZ", "GE", "UNE") else hits[0]

    def problem(
        self, issue: EdiIssue, sets: Sequence[SetOutcome[Any]], set_index: int | None = None
    ) -> Problem:
        """Locate a codec issue: inside its set when it has a position, else by its envelope segment."""
        index: int | None = None
        if set_index is not None:
            start = self._set_start(set_index)
            if start is not None:
                index = start + (issue.segment_position or 1) - 1
                if issue.segment_tag and not issue.segment_position:
                    index = next(
                        (
                            i
                            for i in range(start, len(self._segments))
                            if self._segments[i].tag == issue.segment_tag
                        ),
                        start,
                    )
        elif issue.level == "group":
            index = self._by_tag("GS", issue.group_control_number, GS_CONTROL)
            if index is None:
                index = self._by_tag("UNG", issue.group_control_number, UNG_REFERENCE)
        elif issue.segment_tag:
            index = self._by_tag(issue.segment_tag)
        else:
            index = 0 if self._segments else None
        line, number, tag = self._at(index)
        outcome = sets[set_index] if set_index is not None and set_index < len(sets) else None
        return Problem(
            message=issue.message,
            code=issue.code,
            level=issue.level,
            line=line,
            segment_number=number,
            segment_tag=issue.segment_tag or tag,
            element_position=issue.element_position,
            component_position=issue.component_position,
            set_id=outcome.set_id if outcome else "",
            set_control_number=issue.set_control_number or (outcome.control_number if outcome else ""),
        )

    def mapping_problem(self, error: SetMappingError, outcome: SetOutcome[Any], set_index: int) -> Problem:
        """Locate a mapping error of an accepted set."""
        start = self._set_start(set_index)
        index: int | None = start
        if start is not None and error.segment_position:
            index = start + error.segment_position - 1
        elif start is not None and error.segment_tag:
            index = next(
                (i for i in range(start, len(self._segments)) if self._segments[i].tag == error.segment_tag),
                start,
            )
        line, number, tag = self._at(index)
        detail = "; ".join(f"{p.path}: {p.message}" for p in error.problems[1:4])
        return Problem(
            message=str(error) + (f" ({detail})" if detail else ""),
            code="mapping",
            level="mapping",
            line=line,
            segment_number=number,
            segment_tag=error.segment_tag or tag,
            element_position=error.element_position,
            set_id=outcome.set_id,
            set_control_number=outcome.control_number,
        )


def _scan(text: str, start: int, element: str, terminator: str, release: str) -> list[_Seg]:
    out: list[_Seg] = []
    line = text[:start].count("\n") + 1
    buf: list[str] = []
    seg_line: int | None = None
    i = start
    while i < len(text):
        ch = text[i]
        if release and ch == release and i + 1 < len(text):
            buf.append(text[i + 1])
            line += text[i + 1] == "\n"
            i += 2
            continue
        if ch == terminator:
            raw = "".join(buf)
            if raw.strip():
                tag, *elements = raw.strip("\r\n\t ").split(element)
                out.append(_Seg(tag, tuple(elements), seg_line or line))
            buf, seg_line = [], None
        else:
            if seg_line is None and not ch.isspace():
                seg_line = line
            buf.append(ch)
        line += ch == "\n"
        i += 1
    return out


def format_report(result: UploadResult) -> str:
    """The report written next to a file moved to the error folder (and printed by the CLI)."""
    accepted = sum(s.accepted for s in result.sets)
    lines = [
        f"EDI interchange report — {result.file_name}",
        f"partner:        {result.partner}",
        f"standard:       {result.standard or 'unknown'}",
        f"control number: {result.control_number or 'unknown'}"
        + ("  (TEST interchange)" if result.test else ""),
        f"verdict:        {result.status.value.upper()} — {accepted} of {len(result.sets)} sets accepted, "
        f"{len(result.events)} events emitted",
        f"acknowledgment: {result.ack_kind or 'none'}",
        f"sha256:         {result.digest}",
        "",
    ]
    if result.problems:
        lines.append(f"Problems ({len(result.problems)}):")
        lines += [f"  - {p.describe()}" for p in result.problems]
        lines.append("")
    if result.sets:
        lines.append("Sets:")
        for s in result.sets:
            verdict = f"accepted, {s.events} events" if s.accepted else f"REFUSED: {s.reason}"
            lines.append(f"  {s.set_id} #{s.control_number}: {verdict}")
    return "\n".join(lines).rstrip() + "\n"
