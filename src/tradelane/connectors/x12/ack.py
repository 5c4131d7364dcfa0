"""Building X12 acknowledgments: TA1 (interchange), 997 (functional) and 999 (implementation).

The builders take the verdicts computed by :mod:`.codec` (:class:`GroupReport`, :class:`SetReport`) and return
typed segments / transaction sets; :func:`~tradelane.connectors.x12.model.render_interchange` writes them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from tradelane.connectors.edi_common import EdiIssue, sanitize_copy
from tradelane.connectors.x12.codes import (
    ElementError,
    GroupAckStatus,
    GroupError,
    InterchangeAckCode,
    InterchangeNote,
    SegmentError,
    SetAckStatus,
    SetError,
)
from tradelane.connectors.x12.model import TransactionSet
from tradelane.connectors.x12.syntax import Segment, Value

__all__ = ["AckKind", "GroupReport", "SetReport", "build_functional_ack", "build_ta1"]

AckKind = Literal["997", "999"]
#: most error codes an AK5/IK5 or AK9 segment can carry
MAX_TRAILER_CODES = 5
#: most AK4/IK4 notes per segment
MAX_ELEMENT_NOTES = 99
#: ST03 of a 999 (the implementation guide of the 999 itself)
IMPLEMENTATION_999 = "005010X231A1"
#: first GS08 version whose AK1 carries AK103
AK103_FROM_VERSION = "005"
#: width of generated ack set control numbers
ACK_SET_CONTROL_WIDTH = 4
#: AK301 bounds: a segment id is 2 or 3 alphanumerics
SEGMENT_ID_MIN, SEGMENT_ID_MAX = 2, 3
#: AK303 loop identifier maximum length
LOOP_ID_MAX = 6
#: AK402 maximum digits of a data element reference number
ELEMENT_REF_MAX = 4
#: GS06 / AK102 maximum digits
GROUP_CONTROL_MAX = 9
#: ST02 / AK202 length bounds
SET_CONTROL_MIN, SET_CONTROL_MAX = 4, 9
#: ST01 / AK201 length
SET_ID_LENGTH = 3
_NOT_ALNUM = re.compile(r"[^A-Z0-9]")


@dataclass(frozen=True)
class SetReport:
    """Verdict on one set, as the functional acknowledgment reports it."""

    #: ST01
    set_id: str
    #: ST02
    control_number: str
    #: ST03, echoed in AK203 of a 999
    implementation_ref: str
    #: AK501 / IK501
    status: SetAckStatus
    #: AK502.. / IK502.. codes
    codes: tuple[SetError, ...]
    #: segment- and element-level issues (AK3/AK4 or IK3/IK4)
    issues: tuple[EdiIssue, ...]


@dataclass(frozen=True)
class GroupReport:
    """Verdict on one functional group."""

    #: GS01
    functional_id: str
    #: GS06
    control_number: str
    #: GS08
    version: str
    #: AK901
    status: GroupAckStatus
    #: AK905.. codes
    codes: tuple[GroupError, ...]
    #: AK902: sets the sender declared (GE01, or the count received when GE01 is unusable)
    declared: int
    #: AK903: sets received
    received: int
    #: AK904: sets accepted
    accepted: int
    #: one report per set received
    sets: tuple[SetReport, ...]


def build_ta1(
    control_number: str, date: str, time: str, code: InterchangeAckCode, note: InterchangeNote
) -> Segment:
    """A TA1 segment answering the interchange ``control_number`` sent on ``date``/``time``."""
    return Segment("TA1", (control_number, date, time, code.value, note.value))


def _segment_id(tag: str) -> str:
    clean = _NOT_ALNUM.sub("", tag.upper())[:SEGMENT_ID_MAX]
    return clean.ljust(SEGMENT_ID_MIN, "Z")


def _fixed_id(value: str, width: int) -> str:
    return _NOT_ALNUM.sub("", value.upper())[:width].ljust(width, "Z")


def _digits(value: str, limit: int) -> str:
    digits = "".join(ch for ch in value if "0" <= ch <= "9")[:limit]
    return digits or "0"


def _clean(value: str, forbidden: str, limit: int) -> str:
    return sanitize_copy(value, forbidden)[:limit].strip()


def _notes(report: SetReport, kind: AckKind, forbidden: str) -> list[Segment]:
    seg_tag, elem_tag = ("AK3", "AK4") if kind == "997" else ("IK3", "IK4")
    by_position: dict[int, list[EdiIssue]] = {}
    for issue in report.issues:
        by_position.setdefault(issue.segment_position or 1, []).append(issue)
    out: list[Segment] = []
    for position in sorted(by_position):
        issues = by_position[position]
        first = issues[0]
        tag = _segment_id(first.segment_tag)
        loop = _clean(first.loop_id, forbidden, LOOP_ID_MAX)
        for issue in (i for i in issues if i.level == "segment"):
            out.append(Segment(seg_tag, (_segment_id(issue.segment_tag), str(position), loop, issue.code)))
        elements = [i for i in issues if i.level == "element"][:MAX_ELEMENT_NOTES]
        if not elements:
            continue
        out.append(Segment(seg_tag, (tag, str(position), loop, SegmentError.ELEMENT_ERRORS.value)))
        for issue in elements:
            where: Value = (
                (str(issue.element_position or 1), str(issue.component_position))
                if issue.component_position
                else str(issue.element_position or 1)
            )
            ref = (
                issue.element_ref
                if issue.element_ref.isascii()
                and issue.element_ref.isdigit()
                and len(issue.element_ref) <= ELEMENT_REF_MAX
                else ""
            )
            copy = ""
            if issue.code not in (
                ElementError.MANDATORY_MISSING.value,
                ElementError.CONDITIONAL_MISSING.value,
            ):
                copy = _clean(issue.value, forbidden, len(issue.value) or 1)
            out.append(Segment(elem_tag, (where, ref, issue.code, copy)))
    return out


def build_functional_ack(
    report: GroupReport, kind: AckKind, control_number: int, forbidden: str = ""
) -> TransactionSet:
    """A 997 or 999 answering one functional group.

    :param report: the verdicts on the group and its sets
    :param kind: ``997`` or ``999``
    :param control_number: ST02 of the acknowledgment set
    :param forbidden: delimiter characters that must not appear in echoed data
    """
    body: list[Segment] = []
    ak1: tuple[str, ...] = (
        _fixed_id(report.functional_id, 2),
        _digits(report.control_number, GROUP_CONTROL_MAX),
    )
    if kind == "999" or report.version >= AK103_FROM_VERSION:
        ak1 = (*ak1, _clean(report.version, forbidden, 12))
    body.append(Segment("AK1", ak1))
    for s in report.sets:
        set_control = _clean(s.control_number, forbidden, SET_CONTROL_MAX).ljust(SET_CONTROL_MIN, "0")
        ak2: tuple[str, ...] = (_fixed_id(s.set_id, SET_ID_LENGTH), set_control)
        if kind == "999" and s.implementation_ref:
            ak2 = (*ak2, s.implementation_ref)
        body.append(Segment("AK2", ak2))
        body.extend(_notes(s, kind, forbidden))
        trailer = "AK5" if kind == "997" else "IK5"
        body.append(Segment(trailer, (s.status.value, *(c.value for c in s.codes[:MAX_TRAILER_CODES]))))
    body.append(
        Segment(
            "AK9",
            (
                report.status.value,
                str(report.declared),
                str(report.received),
                str(report.accepted),
                *(c.value for c in report.codes[:MAX_TRAILER_CODES]),
            ),
        )
    )
    control = str(control_number).zfill(ACK_SET_CONTROL_WIDTH)
    return TransactionSet(kind, control, tuple(body), IMPLEMENTATION_999 if kind == "999" else "")
