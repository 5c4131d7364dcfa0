"""Validation of EDIFACT segments and messages: structure (segment groups), elements, repertoire, dates.

Issues carry ISO 9735 syntax error codes (data element 0085) as CONTRL reports them: ``level="segment"``
for a UCS code, ``level="element"`` for a UCD code.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from tradelane.connectors.edi_common import EdiIssue, StructureProblem, match_structure, sanitize_copy
from tradelane.connectors.edifact.codes import SyntaxError as EdiSyntax
from tradelane.connectors.edifact.directory import SEGMENTS, CompositeSpec, SegmentSpec, SimpleSpec
from tradelane.connectors.edifact.messages import MessageSpec
from tradelane.connectors.edifact.syntax import Segment

__all__ = [
    "ElementProblem",
    "Repertoire",
    "repertoire_for",
    "valid_timestamp",
    "validate_message",
    "validate_segment",
]

Repertoire = Callable[[str], bool]
#: printable ASCII, accepted for UNOA and UNOB (UNOA's upper-case rule is not enforced: partners ignore it)
_ASCII = (0x20, 0x7E)
#: C1 control range, never valid in a Latin-n repertoire
_C1 = (0x7F, 0x9F)
#: syntax identifiers whose repertoire is ASCII
_ASCII_LEVELS = frozenset({"UNOA", "UNOB"})
_NUMBER = re.compile(r"[0-9]*[.,]?[0-9]*")
#: DTM 2379 format codes this codec checks, with their strptime patterns and exact lengths
_DATE_FORMATS: dict[str, tuple[str, int]] = {
    #: YYMMDD
    "101": ("%y%m%d", 6),
    #: CCYYMMDD
    "102": ("%Y%m%d", 8),
    #: CCYYMMDDHHMM
    "203": ("%Y%m%d%H%M", 12),
    #: CCYYMMDDHHMMSS
    "204": ("%Y%m%d%H%M%S", 14),
}
_STRUCTURE_CODES: dict[StructureProblem, EdiSyntax] = {
    StructureProblem.UNKNOWN_SEGMENT: EdiSyntax.NOT_SUPPORTED_IN_POSITION,
    StructureProblem.UNEXPECTED_SEGMENT: EdiSyntax.NOT_SUPPORTED_IN_POSITION,
    StructureProblem.MISSING_SEGMENT: EdiSyntax.MISSING,
    StructureProblem.SEGMENT_OVER_MAX: EdiSyntax.TOO_MANY_REPETITIONS,
    StructureProblem.LOOP_OVER_MAX: EdiSyntax.TOO_MANY_GROUP_REPETITIONS,
}


@dataclass(frozen=True)
class ElementProblem:
    """One element error inside a segment."""

    #: 0085 code
    code: EdiSyntax
    #: 1-based data element position
    position: int
    #: 1-based component position, ``None`` for a simple element
    component: int | None
    #: element reference
    ref: str
    #: offending value
    value: str = ""


def valid_timestamp(value: str, pattern: str, length: int) -> bool:
    """Whether ``value`` is exactly ``length`` ASCII digits forming a real date/time in ``pattern``."""
    if len(value) != length or not (value.isascii() and value.isdigit()):
        return False
    try:
        datetime.strptime(value, pattern)
    except ValueError:
        return False
    return True


def repertoire_for(syntax_id: str) -> Repertoire:
    """The character test for a UNB syntax identifier."""
    if syntax_id in _ASCII_LEVELS:
        return lambda ch: _ASCII[0] <= ord(ch) <= _ASCII[1]
    return lambda ch: ord(ch) >= _ASCII[0] and not (_C1[0] <= ord(ch) <= _C1[1]) and ch != "\ufffd"


def check_simple(value: str, spec: SimpleSpec, repertoire: Repertoire) -> EdiSyntax | None:
    """Check one non-empty value; ``None`` when valid."""
    if not all(repertoire(ch) for ch in value):
        return EdiSyntax.INVALID_CHARACTERS
    length = len(value)
    if spec.kind == "n":
        digits = value[1:] if value.startswith("-") else value
        if not _NUMBER.fullmatch(digits) or not any(ch.isdigit() for ch in digits):
            return EdiSyntax.INVALID_CHARACTER_TYPE
        if digits[0] in ".,":
            return EdiSyntax.MISSING_DIGIT_BEFORE_DECIMAL
        length = sum(ch.isdigit() for ch in digits)
    elif spec.kind == "a" and any(ch.isdigit() for ch in value):
        return EdiSyntax.INVALID_CHARACTER_TYPE
    if length > spec.max_len:
        return EdiSyntax.TOO_LONG
    if length < spec.min_len:
        return EdiSyntax.TOO_SHORT
    return None


def _check_one(
    value: str, spec: SimpleSpec, pos: int, comp: int | None, repertoire: Repertoire, repetition: str | None
) -> ElementProblem | None:
    if repetition and repetition in value:
        return ElementProblem(EdiSyntax.TOO_MANY_REPETITIONS, pos, comp, spec.ref, value)
    code = check_simple(value, spec, repertoire)
    return ElementProblem(code, pos, comp, spec.ref, value) if code else None


def validate_segment(
    segment: Segment, spec: SegmentSpec, repertoire: Repertoire, repetition: str | None = None
) -> list[ElementProblem]:
    """Every element problem of one segment, in position order."""
    problems: list[ElementProblem] = []
    for pos, use in enumerate(spec.elements, start=1):
        comps = segment.elements[pos - 1] if pos <= len(segment.elements) else ()
        element = use.element
        if not any(comps):
            if use.required:
                problems.append(ElementProblem(EdiSyntax.MISSING, pos, None, element.ref))
            continue
        if isinstance(element, CompositeSpec):
            if any(comps[len(element.components) :]):
                problems.append(
                    ElementProblem(
                        EdiSyntax.TOO_MANY_CONSTITUENTS, pos, len(element.components) + 1, element.ref
                    )
                )
            for ci, cuse in enumerate(element.components, start=1):
                value = comps[ci - 1] if ci <= len(comps) else ""
                assert isinstance(cuse.element, SimpleSpec), "composites hold simple elements"
                if value == "":
                    if cuse.required:
                        problems.append(ElementProblem(EdiSyntax.MISSING, pos, ci, cuse.element.ref))
                    continue
                found = _check_one(value, cuse.element, pos, ci, repertoire, repetition)
                if found:
                    problems.append(found)
            continue
        if any(comps[1:]):
            problems.append(ElementProblem(EdiSyntax.TOO_MANY_CONSTITUENTS, pos, 2, element.ref))
            continue
        found = _check_one(comps[0], element, pos, None, repertoire, repetition)
        if found:
            problems.append(found)
    extra = [
        p for p in range(len(spec.elements) + 1, len(segment.elements) + 1) if any(segment.elements[p - 1])
    ]
    if extra:
        problems.append(ElementProblem(EdiSyntax.TOO_MANY_CONSTITUENTS, extra[0], None, ""))
    if segment.tag == "DTM" and not problems:
        fmt, value = segment.get(1, 3), segment.get(1, 2)
        if fmt in _DATE_FORMATS and value:
            pattern, length = _DATE_FORMATS[fmt]
            if not valid_timestamp(value, pattern, length):
                problems.append(ElementProblem(EdiSyntax.INVALID_VALUE, 1, 2, "2380", value))
    return problems


def validate_message(
    spec: MessageSpec,
    segments: tuple[Segment, ...],
    repertoire: Repertoire,
    *,
    repetition: str | None = None,
    group_reference: str = "",
    message_reference: str = "",
) -> list[EdiIssue]:
    """Validate a message from UNH to UNT inclusive; issues are in segment position order."""
    findings, placed = match_structure(spec.structure, [s.tag for s in segments], lambda tag: tag in SEGMENTS)
    issues: list[EdiIssue] = []
    for f in findings:
        issues.append(
            EdiIssue(
                code=_STRUCTURE_CODES[f.problem].value,
                message=f"{f.problem.value.replace('_', ' ')}: {sanitize_copy(f.tag)}",
                level="segment",
                group_control_number=group_reference,
                set_control_number=message_reference,
                segment_tag=f.tag,
                segment_position=min(f.index, len(segments) - 1) + 1,
                loop_id=f.loop_id,
            )
        )
    for index, loop_id in placed.items():
        seg = segments[index]
        seg_spec = SEGMENTS.get(seg.tag)
        if seg_spec is None:
            continue
        for p in validate_segment(seg, seg_spec, repertoire, repetition):
            issues.append(
                EdiIssue(
                    code=p.code.value,
                    message=f"{seg.tag} element {p.position}: {p.code.name.lower().replace('_', ' ')}",
                    level="element",
                    group_control_number=group_reference,
                    set_control_number=message_reference,
                    segment_tag=seg.tag,
                    segment_position=index + 1,
                    loop_id=loop_id,
                    element_position=p.position,
                    component_position=p.component,
                    element_ref=p.ref,
                    value=sanitize_copy(p.value),
                )
            )
    return sorted(
        issues, key=lambda i: (i.segment_position or 0, i.level != "segment", i.element_position or 0)
    )
