"""Validation of one X12 transaction set against its spec: structure, elements, syntax rules, HL tree.

Everything found becomes an :class:`~tradelane.connectors.edi_common.EdiIssue` carrying the 997 code:
``level="segment"`` issues hold AK304 codes, ``level="element"`` issues hold AK403 codes (the segment they
belong to is reported with AK304 ``8``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from tradelane.connectors.edi_common import EdiIssue, StructureProblem, match_structure, sanitize_copy
from tradelane.connectors.x12.codes import ElementError, SegmentError
from tradelane.connectors.x12.dictionary import SEGMENTS
from tradelane.connectors.x12.spec import (
    CompositeElement,
    DataElement,
    HierarchySpec,
    SegmentSpec,
    SyntaxRule,
    TransactionSpec,
)
from tradelane.connectors.x12.syntax import Repeated, Segment, Value

__all__ = ["ElementProblem", "check_value", "valid_date", "valid_time", "validate_segment", "validate_set"]

#: printable ASCII: the X12 basic and extended character sets together
_PRINTABLE = frozenset(chr(c) for c in range(0x20, 0x7F))
_NUMERIC = re.compile(r"-?[0-9]+")
_DECIMAL = re.compile(r"-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)")
#: accepted lengths of a DT value: YYMMDD (ISA, TA1) and CCYYMMDD
_DATE_LENGTHS = (6, 8)
#: century assumed for six-digit dates
_CENTURY = 2000
#: largest valid hour, minute and second values
_MAX_HOUR, _MAX_MINUTE, _MAX_SECOND = 23, 59, 59

_STRUCTURE_CODES: dict[StructureProblem, SegmentError] = {
    StructureProblem.UNKNOWN_SEGMENT: SegmentError.UNRECOGNIZED,
    StructureProblem.UNEXPECTED_SEGMENT: SegmentError.UNEXPECTED,
    StructureProblem.MISSING_SEGMENT: SegmentError.MANDATORY_MISSING,
    StructureProblem.SEGMENT_OVER_MAX: SegmentError.SEGMENT_OVER_MAX,
    StructureProblem.LOOP_OVER_MAX: SegmentError.LOOP_OVER_MAX,
}


@dataclass(frozen=True)
class ElementProblem:
    """One element error inside a segment."""

    #: AK403 code
    code: ElementError
    #: 1-based element position
    position: int
    #: 1-based component position, for composites
    component: int | None
    #: data element reference number
    ref: str
    #: the offending value (unsanitised)
    value: str = ""


def valid_date(value: str) -> bool:
    """Whether six (YYMMDD) or eight (CCYYMMDD) ASCII digits form a calendar date."""
    try:
        if len(value) == _DATE_LENGTHS[0]:
            date(_CENTURY + int(value[:2]), int(value[2:4]), int(value[4:6]))
        else:
            date(int(value[:4]), int(value[4:6]), int(value[6:8]))
    except ValueError:
        return False
    return True


def valid_time(value: str) -> bool:
    """Whether HHMM[SS[d..]] ASCII digits form a clock time."""
    hh, mm, ss = int(value[:2]), int(value[2:4]), int(value[4:6] or 0)
    return hh <= _MAX_HOUR and mm <= _MAX_MINUTE and ss <= _MAX_SECOND


def check_value(value: str, element: DataElement) -> ElementError | None:
    """Check one non-empty simple value against its data element; ``None`` when it is valid."""
    if any(ch not in _PRINTABLE for ch in value):
        return ElementError.INVALID_CHARACTER
    kind = element.type
    length = len(value)
    if kind.startswith("N"):
        if not _NUMERIC.fullmatch(value):
            return ElementError.INVALID_CHARACTER
        length = len(value.lstrip("-"))
    elif kind == "R":
        if not _DECIMAL.fullmatch(value):
            return ElementError.INVALID_CHARACTER
        length = sum(ch.isdigit() for ch in value)
    elif kind in ("DT", "TM") and not (value.isascii() and value.isdigit()):
        return ElementError.INVALID_DATE if kind == "DT" else ElementError.INVALID_TIME
    if length < element.min_len:
        return ElementError.TOO_SHORT
    if length > element.max_len:
        return ElementError.TOO_LONG
    if kind == "DT" and (length not in _DATE_LENGTHS or not valid_date(value)):
        return ElementError.INVALID_DATE
    if kind == "TM" and (length % 2 and length < 7 or not valid_time(value)):
        return ElementError.INVALID_TIME
    if element.codes is not None and value not in element.codes:
        return ElementError.INVALID_CODE
    return None


def _present(value: Value) -> bool:
    if isinstance(value, Repeated):
        return any(_present(v) for v in value.values)
    if isinstance(value, tuple):
        return any(value)
    return value != ""


def _check_composite(value: str | tuple[str, ...], pos: int, comp: CompositeElement) -> list[ElementProblem]:
    parts = value if isinstance(value, tuple) else (value,)
    problems: list[ElementProblem] = []
    if len(parts) > len(comp.components):
        problems.append(
            ElementProblem(ElementError.TOO_MANY_COMPONENTS, pos, len(comp.components) + 1, comp.ref)
        )
    for ci, use in enumerate(comp.components, start=1):
        part = parts[ci - 1] if ci <= len(parts) else ""
        assert isinstance(use.element, DataElement), "composites nest simple elements only"
        if part == "":
            if use.required:
                problems.append(ElementProblem(ElementError.MANDATORY_MISSING, pos, ci, use.element.ref))
            continue
        code = check_value(part, use.element)
        if code is not None:
            problems.append(ElementProblem(code, pos, ci, use.element.ref, part))
    return problems


def _check_rule(rule: SyntaxRule, segment: Segment) -> ElementProblem | None:
    present = [_present(segment.element(p)) for p in rule.positions]
    first, others = present[0], present[1:]
    if rule.kind == "P" and any(present) and not all(present):
        return ElementProblem(
            ElementError.CONDITIONAL_MISSING, rule.positions[present.index(False)], None, ""
        )
    if rule.kind == "R" and not any(present):
        return ElementProblem(ElementError.CONDITIONAL_MISSING, rule.positions[0], None, "")
    if rule.kind == "C" and first and not all(others):
        return ElementProblem(
            ElementError.CONDITIONAL_MISSING, rule.positions[1 + others.index(False)], None, ""
        )
    if rule.kind == "L" and first and not any(others):
        return ElementProblem(ElementError.CONDITIONAL_MISSING, rule.positions[1], None, "")
    if rule.kind == "E" and sum(present) > 1:
        second = [p for p, here in zip(rule.positions, present, strict=False) if here][1]
        return ElementProblem(ElementError.EXCLUSION_VIOLATED, second, None, "")
    return None


def validate_segment(segment: Segment, spec: SegmentSpec) -> list[ElementProblem]:
    """Every element-level problem of one segment, in position order."""
    problems: list[ElementProblem] = []
    for pos, use in enumerate(spec.elements, start=1):
        raw = segment.element(pos)
        values = list(raw.values) if isinstance(raw, Repeated) else [raw]
        ref = use.element.ref
        if isinstance(raw, Repeated) and len(raw.values) > use.max_repeat:
            problems.append(ElementProblem(ElementError.TOO_MANY_REPETITIONS, pos, None, ref))
            continue
        if not _present(raw):
            if use.required:
                problems.append(ElementProblem(ElementError.MANDATORY_MISSING, pos, None, ref))
            continue
        for value in values:
            if isinstance(use.element, CompositeElement):
                if _present(value):
                    problems.extend(_check_composite(value, pos, use.element))
                continue
            if isinstance(value, tuple):
                problems.append(ElementProblem(ElementError.TOO_MANY_COMPONENTS, pos, 2, ref))
                continue
            if value == "":
                continue
            code = check_value(value, use.element)
            if code is not None:
                problems.append(ElementProblem(code, pos, None, ref, value))
    extra = [
        p for p in range(len(spec.elements) + 1, len(segment.elements) + 1) if _present(segment.element(p))
    ]
    if extra:
        problems.append(ElementProblem(ElementError.TOO_MANY_ELEMENTS, extra[0], None, ""))
    flagged = {p.position for p in problems}
    for rule in spec.rules:
        problem = _check_rule(rule, segment)
        if problem is not None and problem.position not in flagged:
            problems.append(problem)
            flagged.add(problem.position)
    return sorted(problems, key=lambda p: (p.position, p.component or 0))


def _check_hierarchy(segments: tuple[Segment, ...], spec: HierarchySpec) -> dict[int, list[ElementProblem]]:
    found: dict[int, list[ElementProblem]] = {}
    levels: dict[str, str] = {}
    children: dict[str, int] = {}
    hl_index: dict[str, int] = {}
    for index, seg in enumerate(segments):
        if seg.tag != "HL":
            continue
        hl_id, parent, level = seg.get(1), seg.get(2), seg.get(3)
        problems = found.setdefault(index, [])
        if hl_id in levels:
            problems.append(ElementProblem(ElementError.INVALID_CODE, 1, None, "628", hl_id))
            continue
        if parent and parent not in levels:
            problems.append(ElementProblem(ElementError.INVALID_CODE, 2, None, "734", parent))
        elif level in spec.parents and levels.get(parent, "") not in spec.parents[level]:
            problems.append(ElementProblem(ElementError.INVALID_CODE, 3, None, "735", level))
        levels[hl_id] = level
        hl_index[hl_id] = index
        if parent in levels:
            children[parent] = children.get(parent, 0) + 1
    for hl_id, index in hl_index.items():
        child_code = segments[index].get(4)
        has_children = children.get(hl_id, 0) > 0
        if (child_code == "0" and has_children) or (child_code == "1" and not has_children):
            found.setdefault(index, []).append(
                ElementProblem(ElementError.INVALID_CODE, 4, None, "736", child_code)
            )
    return {k: v for k, v in found.items() if v}


def validate_set(
    spec: TransactionSpec, segments: tuple[Segment, ...], *, group_control: str = "", set_control: str = ""
) -> list[EdiIssue]:
    """Validate a whole set, ST through SE, and return its segment and element issues in position order.

    :param spec: the transaction set spec
    :param segments: every segment from ST to SE inclusive
    :param group_control: GS06, copied into the issues
    :param set_control: ST02, copied into the issues
    """
    tags = [s.tag for s in segments]
    findings, placed = match_structure(spec.structure, tags, lambda tag: tag in SEGMENTS)
    issues: list[EdiIssue] = []
    for f in findings:
        position = min(f.index, len(segments) - 1) + 1
        issues.append(
            EdiIssue(
                code=_STRUCTURE_CODES[f.problem].value,
                message=f"{f.problem.value.replace('_', ' ')}: {sanitize_copy(f.tag)}",
                level="segment",
                group_control_number=group_control,
                set_control_number=set_control,
                segment_tag=f.tag,
                segment_position=position,
                loop_id=f.loop_id,
            )
        )
    element_problems: dict[int, list[ElementProblem]] = {}
    for index, _loop_id in placed.items():
        seg_spec = SEGMENTS.get(segments[index].tag)
        if seg_spec is not None:
            problems = validate_segment(segments[index], seg_spec)
            if problems:
                element_problems[index] = problems
    if spec.hierarchy is not None:
        for index, problems in _check_hierarchy(segments, spec.hierarchy).items():
            element_problems.setdefault(index, []).extend(problems)
    for index, problems in element_problems.items():
        seg = segments[index]
        for p in problems:
            issues.append(
                EdiIssue(
                    code=p.code.value,
                    message=f"{seg.tag}{p.position:02d}: {p.code.name.lower().replace('_', ' ')}",
                    level="element",
                    group_control_number=group_control,
                    set_control_number=set_control,
                    segment_tag=seg.tag,
                    segment_position=index + 1,
                    loop_id=placed.get(index, ""),
                    element_position=p.position,
                    component_position=p.component,
                    element_ref=p.ref,
                    value=sanitize_copy(p.value),
                )
            )
    return sorted(
        issues, key=lambda i: (i.segment_position or 0, i.level != "segment", i.element_position or 0)
    )
