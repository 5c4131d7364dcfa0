"""Parsing inbound X12 interchanges into verdicts, typed sets and the acknowledgment to send.

``parse_x12`` never raises for bad *content*: envelope errors come back as a rejected result carrying a TA1,
set and element errors as rejected sets carrying a 997 or 999. It raises
:class:`~tradelane.connectors.edi_common.EdiParseError` only when the input is not an interchange at all (no
readable ISA). No other exception escapes for any input; ``fuzz_x12`` is the entry point that checks it.
"""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass, field
from datetime import datetime

from tradelane.connectors.edi_common import (
    EdiIssue,
    EdiRenderError,
    InterchangeKey,
    InterchangeResult,
    InterchangeStatus,
    SetOutcome,
    fuzz_parser,
    is_duplicate,
    sanitize_copy,
)
from tradelane.connectors.x12.ack import AckKind, GroupReport, SetReport, build_functional_ack, build_ta1
from tradelane.connectors.x12.codes import (
    AckRequested,
    AuthQualifier,
    FunctionalId,
    GroupAckStatus,
    GroupError,
    InterchangeAckCode,
    InterchangeNote,
    SecurityQualifier,
    SetAckStatus,
    SetError,
    UsageIndicator,
)
from tradelane.connectors.x12.dictionary import SEGMENTS
from tradelane.connectors.x12.model import (
    FunctionalGroup,
    Interchange,
    TransactionSet,
    default_delimiters,
    render_interchange,
)
from tradelane.connectors.x12.syntax import (
    NO_REPETITION_MARKER,
    REPETITION_FROM_VERSION,
    Delimiters,
    IsaRead,
    Segment,
    read_isa,
    split_segments,
)
from tradelane.connectors.x12.transactions import TRANSACTIONS
from tradelane.connectors.x12.validate import valid_date, valid_time, validate_segment, validate_set

__all__ = ["AckOptions", "X12Result", "fuzz_x12", "parse_x12"]

X12Result = InterchangeResult[Interchange, TransactionSet]

#: ISA12 control versions this codec reads
SUPPORTED_CONTROL_VERSIONS = frozenset({"00401", "00501"})
#: GS08 prefixes this codec validates (4010 and 5010 releases and their industry suffixes)
SUPPORTED_GROUP_VERSIONS = ("004010", "005010")
#: byte-order mark some Windows tools put in front of the ISA
UTF8_BOM = b"\xef\xbb\xbf"
#: ISA09/ISA10 used in an ack when neither the caller nor the inbound ISA gives a valid one
FALLBACK_DATE, FALLBACK_TIME = "000101", "0000"
#: ISA13 of an ack when neither the caller nor the inbound ISA gives a valid one
FALLBACK_CONTROL = "000000001"
#: GS08 of a 997 when the inbound group carries no usable version
DEFAULT_GROUP_VERSION = "004010"
#: GS08 of a 999
VERSION_999 = "005010X231A1"
#: ISA06/ISA08 width and GS02/GS03 length bounds
ISA_ID_WIDTH, GS_ID_MIN, GS_ID_MAX = 15, 2, 15
#: ISA13 digits
CONTROL_DIGITS = 9
#: ST02 length bounds
SET_CONTROL_MIN, SET_CONTROL_MAX = 4, 9
#: ISA05/ISA07 qualifier width
QUALIFIER_WIDTH = 2

#: TA105 note for an ISA element whose fixed width is wrong, by ISA element number
_WIDTH_NOTES: dict[int, InterchangeNote] = {
    1: InterchangeNote.INVALID_AUTH_QUALIFIER,
    2: InterchangeNote.INVALID_AUTH_VALUE,
    3: InterchangeNote.INVALID_SECURITY_QUALIFIER,
    4: InterchangeNote.INVALID_SECURITY_VALUE,
    5: InterchangeNote.INVALID_SENDER_QUALIFIER,
    6: InterchangeNote.INVALID_SENDER_ID,
    7: InterchangeNote.INVALID_RECEIVER_QUALIFIER,
    8: InterchangeNote.INVALID_RECEIVER_ID,
    9: InterchangeNote.INVALID_DATE,
    10: InterchangeNote.INVALID_TIME,
    11: InterchangeNote.INVALID_STANDARDS_ID,
    12: InterchangeNote.INVALID_VERSION_ID,
    13: InterchangeNote.INVALID_CONTROL_NUMBER,
    14: InterchangeNote.INVALID_ACK_REQUESTED,
    15: InterchangeNote.INVALID_TEST_INDICATOR,
    16: InterchangeNote.INVALID_COMPONENT_SEPARATOR,
}


@dataclass(frozen=True)
class AckOptions:
    """How to address and number the acknowledgment; everything defaults to values derived from the input."""

    #: ``997`` or ``999`` for functional acknowledgments
    kind: AckKind = "997"
    #: ISA13 of the ack interchange (the caller's own counter); default: the inbound ISA13
    control_number: str | None = None
    #: GS06 of the ack group; default: the ack ISA13 without leading zeros
    group_control_number: str | None = None
    #: ISA09/ISA10 and GS04/GS05 of the ack; default: the inbound ISA date and time
    now: datetime | None = None
    #: written after each segment terminator of the ack, e.g. ``"\\r\\n"``
    suffix: str = field(default="")


@dataclass
class _RawSet:
    header: Segment
    body: list[Segment]
    trailer: Segment | None = None


@dataclass
class _RawGroup:
    header: Segment
    sets: list[_RawSet]
    trailer: Segment | None = None


def _decode(data: bytes | str) -> str:
    if isinstance(data, bytes):
        if data.startswith(UTF8_BOM):
            data = data[len(UTF8_BOM) :]
        text = data.decode("latin-1")
    else:
        text = data.removeprefix("\ufeff")
    return text.lstrip("\r\n\t ")


def _ascii_digits(value: str) -> bool:
    """Whether ``value`` is ASCII digits only (``str.isdigit`` also accepts ``²`` and other digits
    ``int`` cannot read)."""
    return value.isascii() and value.isdigit()


def _int(value: str) -> int | None:
    return int(value) if value.isascii() and value.isdigit() else None


def _isa_notes(isa: IsaRead) -> list[InterchangeNote]:
    f, d = isa.fields, isa.delimiters
    notes = [_WIDTH_NOTES[n] for n in isa.width_errors]
    checks = (
        (f[0] in {c.value for c in AuthQualifier}, InterchangeNote.INVALID_AUTH_QUALIFIER),
        (f[2] in {c.value for c in SecurityQualifier}, InterchangeNote.INVALID_SECURITY_QUALIFIER),
        (f[4].strip().isalnum(), InterchangeNote.INVALID_SENDER_QUALIFIER),
        (f[6].strip().isalnum(), InterchangeNote.INVALID_RECEIVER_QUALIFIER),
        (f[5].strip() != "", InterchangeNote.INVALID_SENDER_ID),
        (f[7].strip() != "", InterchangeNote.INVALID_RECEIVER_ID),
        (
            f[8].isascii() and f[8].isdigit() and len(f[8]) == 6 and valid_date(f[8]),
            InterchangeNote.INVALID_DATE,
        ),
        (
            f[9].isascii() and f[9].isdigit() and len(f[9]) == 4 and valid_time(f[9]),
            InterchangeNote.INVALID_TIME,
        ),
        (f[11].isascii() and f[11].isdigit() and len(f[11]) == 5, InterchangeNote.INVALID_VERSION_ID),
        (
            f[12].isascii() and f[12].isdigit() and len(f[12]) == CONTROL_DIGITS,
            InterchangeNote.INVALID_CONTROL_NUMBER,
        ),
        (f[13] in {c.value for c in AckRequested}, InterchangeNote.INVALID_ACK_REQUESTED),
        (f[14] in {c.value for c in UsageIndicator}, InterchangeNote.INVALID_TEST_INDICATOR),
    )
    notes += [note for ok, note in checks if not ok]
    if f[10] != NO_REPETITION_MARKER and (f[11] < REPETITION_FROM_VERSION or f[10].isalnum()):
        notes.append(InterchangeNote.INVALID_STANDARDS_ID)
    if InterchangeNote.INVALID_VERSION_ID not in notes and f[11] not in SUPPORTED_CONTROL_VERSIONS:
        notes.append(InterchangeNote.VERSION_NOT_SUPPORTED)
    if d.component.isalnum() or d.component in (" ", d.element):
        notes.append(InterchangeNote.INVALID_COMPONENT_SEPARATOR)
    if d.segment.isalnum() or d.segment in (" ", d.element, d.component):
        notes.append(InterchangeNote.INVALID_SEGMENT_TERMINATOR)
    return list(dict.fromkeys(notes))


def _walk(
    segments: list[Segment],
) -> tuple[list[_RawGroup], list[Segment], Segment | None, list[InterchangeNote]]:
    groups: list[_RawGroup] = []
    ta1s: list[Segment] = []
    notes: list[InterchangeNote] = []
    iea: Segment | None = None
    group: _RawGroup | None = None
    current: _RawSet | None = None
    for seg in segments:
        tag = seg.tag
        if iea is not None:
            notes.append(InterchangeNote.INVALID_CONTROL_STRUCTURE)
            break
        if tag == "IEA":
            iea, group, current = seg, None, None
        elif tag == "GS":
            group, current = _RawGroup(seg, []), None
            groups.append(group)
        elif tag == "GE":
            if group is None:
                notes.append(InterchangeNote.INVALID_CONTROL_STRUCTURE)
                continue
            group.trailer, group, current = seg, None, None
        elif tag == "ST":
            if group is None:
                notes.append(InterchangeNote.INVALID_CONTENT)
                continue
            current = _RawSet(seg, [])
            group.sets.append(current)
        elif tag == "SE":
            if current is None:
                notes.append(InterchangeNote.INVALID_CONTROL_STRUCTURE)
                continue
            current.trailer, current = seg, None
        elif current is not None:
            current.body.append(seg)
        elif tag == "TA1" and group is None and not groups:
            ta1s.append(seg)
        else:
            notes.append(
                InterchangeNote.INVALID_CONTROL_STRUCTURE if tag == "ISA" else InterchangeNote.INVALID_CONTENT
            )
    return groups, ta1s, iea, notes


def _set_report(
    raw: _RawSet, functional_id: str, group_control: str, seen_controls: set[str]
) -> tuple[SetReport, TransactionSet]:
    st = raw.header
    set_id, control, impl = st.get(1), st.get(2), st.get(3)
    codes: list[SetError] = []
    spec = TRANSACTIONS.get(set_id)
    if spec is None:
        codes.append(SetError.NOT_SUPPORTED)
    elif spec.functional_id != functional_id:
        codes.append(SetError.INVALID_SET_ID)
    if not (SET_CONTROL_MIN <= len(control) <= SET_CONTROL_MAX) or sanitize_copy(control) != control:
        codes.append(SetError.INVALID_CONTROL_NUMBER)
    if control in seen_controls:
        codes.append(SetError.DUPLICATE_CONTROL_NUMBER)
    seen_controls.add(control)
    issues: list[EdiIssue] = []
    if raw.trailer is None:
        codes.append(SetError.TRAILER_MISSING)
    else:
        if raw.trailer.get(2) != control:
            codes.append(SetError.CONTROL_NUMBER_MISMATCH)
        if _int(raw.trailer.get(1)) != len(raw.body) + 2:
            codes.append(SetError.SEGMENT_COUNT_MISMATCH)
        if spec is not None:
            full = (st, *raw.body, raw.trailer)
            issues = validate_set(spec, full, group_control=group_control, set_control=control)
            if issues:
                codes.append(SetError.SEGMENTS_IN_ERROR)
    status = SetAckStatus.REJECTED if codes else SetAckStatus.ACCEPTED
    set_issues = [
        EdiIssue(
            code=c.value,
            message=c.name.lower().replace("_", " "),
            level="set",
            group_control_number=group_control,
            set_control_number=control,
            segment_tag="ST",
            segment_position=1,
        )
        for c in codes
        if c is not SetError.SEGMENTS_IN_ERROR
    ]
    report = SetReport(set_id, control, impl, status, tuple(codes), tuple(set_issues + issues))
    return report, TransactionSet(set_id, control, tuple(raw.body), impl)


def _group_report(raw: _RawGroup) -> tuple[GroupReport, FunctionalGroup, list[EdiIssue]]:
    gs = raw.header
    fid, control, version = gs.get(1), gs.get(6), gs.get(8)
    codes: list[GroupError] = []
    if fid not in {f.value for f in FunctionalId}:
        codes.append(GroupError.NOT_SUPPORTED)
    if not version.startswith(SUPPORTED_GROUP_VERSIONS):
        codes.append(GroupError.VERSION_NOT_SUPPORTED)
    if _int(control) is None:
        codes.append(GroupError.CONTROL_NUMBER_SYNTAX)
    declared = len(raw.sets)
    if raw.trailer is None:
        codes.append(GroupError.TRAILER_MISSING)
    else:
        if raw.trailer.get(2) != control:
            codes.append(GroupError.CONTROL_NUMBER_MISMATCH)
        ge01 = _int(raw.trailer.get(1))
        if ge01 != len(raw.sets):
            codes.append(GroupError.SET_COUNT_MISMATCH)
        declared = ge01 if ge01 is not None else declared
    seen: set[str] = set()
    pairs = [_set_report(s, fid, control, seen) for s in raw.sets]
    reports = tuple(p[0] for p in pairs)
    accepted = 0 if codes else sum(r.status is SetAckStatus.ACCEPTED for r in reports)
    if codes or accepted == 0 and reports:
        status = GroupAckStatus.REJECTED
    elif accepted == len(reports):
        status = GroupAckStatus.ACCEPTED
    else:
        status = GroupAckStatus.PARTIALLY_ACCEPTED
    report = GroupReport(
        fid, control, version, status, tuple(codes), declared, len(reports), accepted, reports
    )
    group = FunctionalGroup(
        fid,
        gs.get(2),
        gs.get(3),
        gs.get(4),
        gs.get(5),
        control,
        version,
        tuple(p[1] for p in pairs),
        gs.get(7),
    )
    issues = [
        EdiIssue(
            code=c.value,
            message=c.name.lower().replace("_", " "),
            level="group",
            group_control_number=control,
        )
        for c in codes
    ]
    return report, group, issues


def _clean_id(value: str, d: Delimiters, width: int) -> str:
    return sanitize_copy(value, d.all + "\r\n").strip()[:width]


def _clean_qualifier(value: str) -> str:
    alnum = "".join(ch for ch in value.upper() if ch.isascii() and ch.isalnum())
    return alnum[:QUALIFIER_WIDTH].ljust(QUALIFIER_WIDTH, "Z")


def _ack_interchange(
    isa: IsaRead,
    ta1: Segment | None,
    reports: list[GroupReport],
    groups: list[FunctionalGroup],
    options: AckOptions,
) -> tuple[str, str]:
    f, d = isa.fields, isa.delimiters
    try:
        d.check()
    except EdiRenderError:
        d = default_delimiters(f[11])
    if options.now is not None:
        date, time = options.now.strftime("%y%m%d"), options.now.strftime("%H%M")
    else:
        date = f[8] if _ascii_digits(f[8]) and len(f[8]) == 6 and valid_date(f[8]) else FALLBACK_DATE
        time = f[9] if _ascii_digits(f[9]) and len(f[9]) == 4 and valid_time(f[9]) else FALLBACK_TIME
    control = options.control_number or (
        f[12] if _ascii_digits(f[12]) and len(f[12]) == CONTROL_DIGITS else ""
    )
    control = control or FALLBACK_CONTROL
    group_control = options.group_control_number or (str(int(control)) if _ascii_digits(control) else "1")
    sender = _clean_id(f[7], d, ISA_ID_WIDTH) or "UNKNOWN"
    receiver = _clean_id(f[5], d, ISA_ID_WIDTH) or "UNKNOWN"
    version = f[11] if f[11] in SUPPORTED_CONTROL_VERSIONS else "00401"
    usage = f[14] if f[14] in {u.value for u in UsageIndicator} else UsageIndicator.PRODUCTION.value
    ack_sets = [
        build_functional_ack(r, options.kind, n, d.all)
        for n, r in enumerate((r for r in reports if r.functional_id != FunctionalId.ACKNOWLEDGMENT.value), 1)
    ]
    ack_groups: tuple[FunctionalGroup, ...] = ()
    if ack_sets:
        first = groups[0]
        gs_sender = _clean_id(first.receiver_code, d, GS_ID_MAX)
        gs_receiver = _clean_id(first.sender_code, d, GS_ID_MAX)
        gs_version = VERSION_999 if options.kind == "999" else _clean_id(first.version, d, 12)
        ack_groups = (
            FunctionalGroup(
                FunctionalId.ACKNOWLEDGMENT.value,
                gs_sender if len(gs_sender) >= GS_ID_MIN else sender,
                gs_receiver if len(gs_receiver) >= GS_ID_MIN else receiver,
                ("20" + date) if options.now is None else options.now.strftime("%Y%m%d"),
                time,
                group_control,
                gs_version if gs_version.startswith(SUPPORTED_GROUP_VERSIONS) else DEFAULT_GROUP_VERSION,
                tuple(ack_sets),
            ),
        )
    interchange = Interchange(
        sender_qualifier=_clean_qualifier(f[6]),
        sender_id=sender,
        receiver_qualifier=_clean_qualifier(f[4]),
        receiver_id=receiver,
        date=date,
        time=time,
        control_number=control,
        version=version,
        usage=usage,
        groups=ack_groups,
        ta1s=(ta1,) if ta1 is not None else (),
    )
    delims = Delimiters(d.element, d.component, d.segment, d.repetition, options.suffix)
    kind = options.kind if ack_sets else "TA1"
    return render_interchange(interchange, delims), kind


def parse_x12(
    data: bytes | str,
    *,
    ack: AckOptions | None = None,
    seen: Set[InterchangeKey] = frozenset(),
) -> X12Result:
    """Parse one inbound X12 interchange and decide what to accept and what to acknowledge.

    :param data: the raw file, bytes (read as Latin-1 so that no byte is lost) or text
    :param ack: numbering, dating and kind (997/999) of the acknowledgment
    :param seen: keys of interchanges already received; a repeat is rejected with TA1 note 025
    :raises EdiParseError: when no ISA can be read at the start of the input
    """
    options = ack or AckOptions()
    text = _decode(data)
    isa = read_isa(text)
    f, d = isa.fields, isa.delimiters
    notes = _isa_notes(isa)
    header = dict(
        sender_qualifier=f[4].strip(),
        sender_id=f[5].strip(),
        receiver_qualifier=f[6].strip(),
        receiver_id=f[7].strip(),
        control_number=f[12].strip(),
    )
    key = InterchangeKey(
        f"{header['sender_qualifier']}:{header['sender_id']}",
        f"{header['receiver_qualifier']}:{header['receiver_id']}",
        header["control_number"],
    )
    if is_duplicate(key, seen):
        notes.append(InterchangeNote.DUPLICATE_CONTROL_NUMBER)
    groups_raw: list[_RawGroup] = []
    ta1s: list[Segment] = []
    if not notes:
        segments, trailing = split_segments(text, isa.end, d)
        groups_raw, ta1s, iea, walk_notes = _walk(segments)
        notes += walk_notes
        if iea is None:
            notes.append(InterchangeNote.PREMATURE_END_OF_FILE)
        else:
            if iea.get(2) != f[12]:
                notes.append(InterchangeNote.CONTROL_NUMBER_MISMATCH)
            if _int(iea.get(1)) != len(groups_raw):
                notes.append(InterchangeNote.INVALID_GROUP_COUNT)
            if trailing:
                notes.append(InterchangeNote.INVALID_CONTROL_STRUCTURE)
        for g in groups_raw:
            if validate_segment(g.header, SEGMENTS["GS"]):
                notes.append(InterchangeNote.INVALID_CONTENT)
                break
        notes = list(dict.fromkeys(notes))
    triples = [_group_report(g) for g in groups_raw]
    reports = [t[0] for t in triples]
    groups = [t[1] for t in triples]
    rejected = bool(notes)
    issues: list[EdiIssue] = [
        EdiIssue(code=n.value, message=n.name.lower().replace("_", " "), level="interchange") for n in notes
    ]
    outcomes: list[SetOutcome[TransactionSet]] = []
    for report, group, group_issues in triples:
        issues += group_issues
        for set_report, ts in zip(report.sets, group.sets, strict=False):
            ok = not rejected and not report.codes and set_report.status is SetAckStatus.ACCEPTED
            outcomes.append(
                SetOutcome(ts.set_id, ts.control_number, group.control_number, ok, set_report.issues, ts)
            )
    document = Interchange(
        header["sender_qualifier"],
        header["sender_id"],
        header["receiver_qualifier"],
        header["receiver_id"],
        f[8],
        f[9],
        header["control_number"],
        f[11],
        f[14],
        f[13],
        tuple(groups),
        tuple(ta1s),
        f[0],
        f[1].strip(),
        f[2],
        f[3].strip(),
    )
    ta1: Segment | None = None
    if rejected:
        ta1 = build_ta1(
            f[12] if _ascii_digits(f[12]) and len(f[12]) == CONTROL_DIGITS else "0" * CONTROL_DIGITS,
            f[8] if _ascii_digits(f[8]) and len(f[8]) == 6 and valid_date(f[8]) else FALLBACK_DATE,
            f[9] if _ascii_digits(f[9]) and len(f[9]) == 4 and valid_time(f[9]) else FALLBACK_TIME,
            InterchangeAckCode.REJECTED,
            notes[0],
        )
        ack_text, ack_kind = _ack_interchange(isa, ta1, [], [], options)
    else:
        if f[13] == AckRequested.YES.value:
            ta1 = build_ta1(f[12], f[8], f[9], InterchangeAckCode.ACCEPTED, InterchangeNote.NO_ERROR)
        needs_fa = any(r.functional_id != FunctionalId.ACKNOWLEDGMENT.value for r in reports)
        if ta1 is None and not needs_fa:
            ack_text, ack_kind = None, ""
        else:
            ack_text, ack_kind = _ack_interchange(isa, ta1, reports, groups, options)
    accepted = sum(o.accepted for o in outcomes)
    if rejected or (outcomes and accepted == 0):
        status = InterchangeStatus.REJECTED
    elif accepted == len(outcomes):
        status = InterchangeStatus.ACCEPTED
    else:
        status = InterchangeStatus.PARTIAL
    return InterchangeResult(
        standard="X12",
        sender_qualifier=header["sender_qualifier"],
        sender_id=header["sender_id"],
        receiver_qualifier=header["receiver_qualifier"],
        receiver_id=header["receiver_id"],
        control_number=header["control_number"],
        version=f[11],
        test=f[14] == UsageIndicator.TEST.value,
        status=status,
        sets=tuple(outcomes),
        issues=tuple(issues),
        ack=ack_text,
        ack_kind=ack_kind,
        document=document,
    )


def fuzz_x12(data: bytes) -> None:
    """Fuzz entry point (see :func:`~tradelane.connectors.edi_common.fuzz_parser`)."""
    fuzz_parser(parse_x12, data)
