"""Parsing inbound EDIFACT interchanges into verdicts, typed messages and the CONTRL to send.

Like the X12 codec, ``parse_edifact`` reports bad content as data — a rejected interchange, group or message
with its CONTRL — and raises :class:`~tradelane.connectors.edi_common.EdiParseError` only when the input is
not an interchange at all (no UNB, unusable UNA). ``fuzz_edifact`` checks that no other exception escapes.
"""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass, field
from datetime import datetime

from tradelane.connectors.edi_common import (
    EdiIssue,
    EdiParseError,
    EdiRenderError,
    InterchangeKey,
    InterchangeResult,
    InterchangeStatus,
    SetOutcome,
    fuzz_parser,
    is_duplicate,
    sanitize_copy,
)
from tradelane.connectors.edifact.codes import ActionCode, SyntaxIdentifier
from tradelane.connectors.edifact.codes import SyntaxError as EdiSyntax
from tradelane.connectors.edifact.directory import SEGMENTS
from tradelane.connectors.edifact.messages import MESSAGES
from tradelane.connectors.edifact.model import EdifactInterchange, Message, MessageGroup, render_edifact
from tradelane.connectors.edifact.syntax import DEFAULT_CHARS, NOT_USED, Segment, ServiceChars, tokenize
from tradelane.connectors.edifact.validate import (
    Repertoire,
    repertoire_for,
    valid_timestamp,
    validate_message,
    validate_segment,
)

__all__ = ["ContrlOptions", "EdifactResult", "fuzz_edifact", "parse_edifact"]

EdifactResult = InterchangeResult[EdifactInterchange, Message]

#: UNB01-2 syntax versions this codec reads
SUPPORTED_SYNTAX_VERSIONS = frozenset({"1", "2", "3", "4"})
#: syntax version from which CONTRL is identified as 4:1 and dates may carry the century
SYNTAX_4 = "4"
#: UTF-8 byte-order mark
UTF8_BOM = b"\xef\xbb\xbf"
#: syntax identifiers whose bytes are UTF-8
_UTF8_LEVELS = (b"UNOY", b"UNOW")
#: how far into the bytes the UNB syntax identifier is looked for
SYNTAX_SCAN = 200
#: UNB04 date lengths: YYMMDD (syntax 1-3) and CCYYMMDD (syntax 4)
_UNB_DATE = {6: "%y%m%d", 8: "%Y%m%d"}
#: UNB04 time: HHMM
_UNB_TIME = ("%H%M", 4)
#: CONTRL message identifiers (type, version, release, agency) by syntax generation
CONTRL_ID_V3 = ("CONTRL", "D", "3", "UN")
CONTRL_ID_V4 = ("CONTRL", "4", "1", "UN")
#: UNH01 of the CONTRL message
CONTRL_REFERENCE = "1"
#: fallback UNB04 of a CONTRL when neither caller nor input gives a usable one
FALLBACK_DATE, FALLBACK_TIME = "000101", "0000"
#: S009 components echoed in UCM02 (length limit, placeholder when the inbound UNH lacks them)
_S009_FALLBACK = ((6, "UNKNWN"), (3, "D"), (3, "000"), (3, "UN"))
#: service segment tags (0013) are three letters
SEGMENT_TAG_LENGTH = 3
#: UNB sender/recipient id and reference limits
ID_MAX, REF_MAX = 35, 14


@dataclass(frozen=True)
class ContrlOptions:
    """Numbering and dating of the CONTRL; defaults derive from the inbound interchange."""

    #: UNB05 of the CONTRL interchange; default: the inbound reference
    control_reference: str | None = None
    #: UNB04 of the CONTRL; default: the inbound UNB04
    now: datetime | None = None
    #: written after each segment terminator of the CONTRL, e.g. ``"\\n"``
    suffix: str = field(default="")


@dataclass(frozen=True)
class _Error:
    code: EdiSyntax
    tag: str = ""
    element: int | None = None
    component: int | None = None


@dataclass
class _RawMessage:
    header: Segment
    body: list[Segment]
    trailer: Segment | None = None


@dataclass
class _RawGroup:
    header: Segment
    messages: list[_RawMessage]
    trailer: Segment | None = None


@dataclass(frozen=True)
class _MessageVerdict:
    message: Message
    header: Segment
    accepted: bool
    error: _Error | None
    issues: tuple[EdiIssue, ...]


@dataclass(frozen=True)
class _GroupVerdict:
    header: Segment
    error: _Error | None
    messages: tuple[_MessageVerdict, ...]


def _decode(data: bytes | str) -> str:
    if isinstance(data, bytes):
        data = data.removeprefix(UTF8_BOM)
        head = data[:SYNTAX_SCAN]
        text = (
            data.decode("utf-8", "replace")
            if any(u in head for u in _UTF8_LEVELS)
            else data.decode("latin-1")
        )
    else:
        text = data.removeprefix("\ufeff")
    return text.lstrip("\r\n\t ")


def _first_problem(seg: Segment, repertoire: Repertoire) -> _Error | None:
    spec = SEGMENTS[seg.tag]
    problems = validate_segment(seg, spec, repertoire)
    if not problems:
        return None
    p = problems[0]
    return _Error(p.code, seg.tag, p.position, p.component)


def _int(value: str) -> int | None:
    return int(value) if value.isascii() and value.isdigit() else None


def _unb_error(unb: Segment, repertoire: Repertoire) -> _Error | None:
    if unb.get(1, 1) not in {s.value for s in SyntaxIdentifier}:
        return _Error(EdiSyntax.SYNTAX_NOT_SUPPORTED, "UNB", 1, 1)
    if unb.get(1, 2) not in SUPPORTED_SYNTAX_VERSIONS:
        return _Error(EdiSyntax.SYNTAX_NOT_SUPPORTED, "UNB", 1, 2)
    problem = _first_problem(unb, repertoire)
    if problem:
        return problem
    date, time = unb.get(4, 1), unb.get(4, 2)
    if len(date) not in _UNB_DATE or not valid_timestamp(date, _UNB_DATE[len(date)], len(date)):
        return _Error(EdiSyntax.INVALID_VALUE, "UNB", 4, 1)
    if not valid_timestamp(time, *_UNB_TIME):
        return _Error(EdiSyntax.INVALID_VALUE, "UNB", 4, 2)
    return None


def _walk(
    segments: tuple[Segment, ...],
) -> tuple[list[_RawMessage], list[_RawGroup], Segment | None, list[_Error]]:
    messages: list[_RawMessage] = []
    groups: list[_RawGroup] = []
    errors: list[_Error] = []
    unz: Segment | None = None
    group: _RawGroup | None = None
    current: _RawMessage | None = None
    for seg in segments[1:]:
        tag = seg.tag
        if unz is not None:
            errors.append(_Error(EdiSyntax.INVALID_OCCURRENCE, sanitize_copy(tag)[:3]))
            break
        if tag == "UNZ":
            unz, group, current = seg, None, None
        elif tag == "UNG":
            if messages:
                errors.append(_Error(EdiSyntax.GROUPS_AND_MESSAGES_MIXED, "UNG"))
            group, current = _RawGroup(seg, []), None
            groups.append(group)
        elif tag == "UNE":
            if group is None:
                errors.append(_Error(EdiSyntax.INVALID_OCCURRENCE, "UNE"))
                continue
            group.trailer, group, current = seg, None, None
        elif tag == "UNH":
            current = _RawMessage(seg, [])
            if group is not None:
                group.messages.append(current)
            else:
                if groups:
                    errors.append(_Error(EdiSyntax.GROUPS_AND_MESSAGES_MIXED, "UNH"))
                messages.append(current)
        elif tag == "UNT":
            if current is None:
                errors.append(_Error(EdiSyntax.INVALID_OCCURRENCE, "UNT"))
                continue
            current.trailer, current = seg, None
        elif current is not None:
            current.body.append(seg)
        else:
            errors.append(_Error(EdiSyntax.INVALID_OCCURRENCE, sanitize_copy(tag)[:3]))
    return messages, groups, unz, errors


def _message_verdict(
    raw: _RawMessage, group_ref: str, repertoire: Repertoire, repetition: str | None, seen_refs: set[str]
) -> _MessageVerdict:
    unh = raw.header
    ref, mtype = unh.get(1), unh.get(2, 1)
    message = Message(mtype, ref, unh.get(2, 2), unh.get(2, 3), unh.get(2, 4), unh.get(2, 5), tuple(raw.body))
    error = _first_problem(unh, repertoire)
    spec = MESSAGES.get(mtype)
    if error is None and spec is None:
        error = _Error(EdiSyntax.VALUE_NOT_SUPPORTED, "UNH", 2, 1)
    if error is None and ref in seen_refs:
        error = _Error(EdiSyntax.DUPLICATE, "UNH", 1)
    seen_refs.add(ref)
    if error is None and raw.trailer is None:
        error = _Error(EdiSyntax.MISSING, "UNT")
    if error is None and raw.trailer is not None:
        if raw.trailer.get(2) != ref:
            error = _Error(EdiSyntax.REFERENCES_DO_NOT_MATCH, "UNT", 2)
        elif _int(raw.trailer.get(1)) != len(raw.body) + 2:
            error = _Error(EdiSyntax.COUNT_MISMATCH, "UNT", 1)
    issues: list[EdiIssue] = []
    if error is None and spec is not None and raw.trailer is not None:
        full = (unh, *raw.body, raw.trailer)
        issues = validate_message(
            spec, full, repertoire, repetition=repetition, group_reference=group_ref, message_reference=ref
        )
    if error is not None:
        issues.insert(
            0,
            EdiIssue(
                code=error.code.value,
                message=f"{error.tag}: {error.code.name.lower().replace('_', ' ')}",
                level="set",
                group_control_number=group_ref,
                set_control_number=ref,
                segment_tag=error.tag,
                element_position=error.element,
                component_position=error.component,
            ),
        )
    return _MessageVerdict(message, unh, not issues, error, tuple(issues))


def _group_error(raw: _RawGroup, repertoire: Repertoire) -> _Error | None:
    error = _first_problem(raw.header, repertoire)
    if error is None and raw.trailer is None:
        return _Error(EdiSyntax.MISSING, "UNE")
    if error is None and raw.trailer is not None:
        if raw.trailer.get(2) != raw.header.get(5):
            return _Error(EdiSyntax.REFERENCES_DO_NOT_MATCH, "UNE", 2)
        if _int(raw.trailer.get(1)) != len(raw.messages):
            return _Error(EdiSyntax.COUNT_MISMATCH, "UNE", 1)
    return error


def _error_elements(error: _Error | None) -> list[str | list[str]]:
    if error is None:
        return []
    where: list[str] = [str(error.element)] if error.element else []
    if where and error.component:
        where.append(str(error.component))
    tag = (
        error.tag
        if len(error.tag) == SEGMENT_TAG_LENGTH and error.tag.isascii() and error.tag.isalpha()
        else ""
    )
    return [error.code.value, tag.upper(), where]


def _party(seg: Segment, element: int, clean: str) -> list[str]:
    party = sanitize_copy(seg.get(element, 1), clean).strip()[:ID_MAX]
    return [party, sanitize_copy(seg.get(element, 2), clean).strip()[:4]] if party else []


def _ucs(issues: tuple[EdiIssue, ...]) -> list[Segment]:
    out: list[Segment] = []
    by_position: dict[int, list[EdiIssue]] = {}
    for issue in issues:
        if issue.level in ("segment", "element"):
            by_position.setdefault(issue.segment_position or 1, []).append(issue)
    for position in sorted(by_position):
        group = by_position[position]
        seg_codes = [i.code for i in group if i.level == "segment"]
        out.append(Segment.of("UCS", str(position), seg_codes[0] if seg_codes else ""))
        for issue in (i for i in group if i.level == "element"):
            where = [str(issue.element_position or 1)]
            if issue.component_position:
                where.append(str(issue.component_position))
            out.append(Segment.of("UCD", issue.code, where))
    return out


def _ucm(verdict: _MessageVerdict, clean: str) -> list[Segment]:
    unh = verdict.header
    s009 = [
        sanitize_copy(unh.get(2, i), clean)[:limit].strip() or fallback
        for i, (limit, fallback) in enumerate(_S009_FALLBACK, start=1)
    ]
    action = ActionCode.ACCEPTED if verdict.accepted else ActionCode.REJECTED
    head = Segment.of(
        "UCM",
        sanitize_copy(unh.get(1), clean)[:REF_MAX] or "0",
        s009,
        action.value,
        *_error_elements(verdict.error),
    )
    return [head, *_ucs(verdict.issues)] if verdict.error is None else [head]


def _contrl(
    unb: Segment,
    chars: ServiceChars,
    uci_error: _Error | None,
    top: list[_MessageVerdict],
    groups: list[_GroupVerdict],
    options: ContrlOptions,
) -> str:
    clean = chars.separators + chars.release + "\r\n"

    def field_(e: int, c: int = 1, limit: int = ID_MAX) -> str:
        return sanitize_copy(unb.get(e, c), clean).strip()[:limit]

    version = unb.get(1, 2) if unb.get(1, 2) in SUPPORTED_SYNTAX_VERSIONS else "3"
    syntax_id = unb.get(1, 1) if unb.get(1, 1) in {s.value for s in SyntaxIdentifier} else "UNOC"
    action = ActionCode.REJECTED if uci_error else ActionCode.ACCEPTED
    body: list[Segment] = [
        Segment.of(
            "UCI",
            field_(5, limit=REF_MAX) or "0",
            [field_(2) or "UNKNOWN", field_(2, 2, 4)],
            [field_(3) or "UNKNOWN", field_(3, 2, 4)],
            action.value,
            *_error_elements(uci_error),
        )
    ]
    if uci_error is None:
        for verdict in top:
            body += _ucm(verdict, clean)
        for g in groups:
            ung = g.header
            g_action = ActionCode.REJECTED if g.error else ActionCode.ACCEPTED
            body.append(
                Segment.of(
                    "UCF",
                    sanitize_copy(ung.get(5), clean)[:REF_MAX] or "0",
                    _party(ung, 2, clean),
                    _party(ung, 3, clean),
                    g_action.value,
                    *_error_elements(g.error),
                )
            )
            if g.error is None:
                for verdict in g.messages:
                    body += _ucm(verdict, clean)
    if options.now is not None:
        fmt = "%Y%m%d" if version == SYNTAX_4 else "%y%m%d"
        date, time = options.now.strftime(fmt), options.now.strftime("%H%M")
    else:
        date, time = unb.get(4, 1), unb.get(4, 2)
        if len(date) not in _UNB_DATE or not valid_timestamp(date, _UNB_DATE[len(date)], len(date)):
            date = FALLBACK_DATE
        if not valid_timestamp(time, *_UNB_TIME):
            time = FALLBACK_TIME
    contrl_id = CONTRL_ID_V4 if version == SYNTAX_4 else CONTRL_ID_V3
    reference = options.control_reference or field_(5, limit=REF_MAX) or "1"
    interchange = EdifactInterchange(
        sender=field_(3) or "UNKNOWN",
        sender_qualifier=field_(3, 2, 4),
        recipient=field_(2) or "UNKNOWN",
        recipient_qualifier=field_(2, 2, 4),
        date=date,
        time=time,
        control_reference=reference,
        syntax_id=syntax_id,
        syntax_version=version,
        messages=(Message(contrl_id[0], CONTRL_REFERENCE, *contrl_id[1:], segments=tuple(body)),),
    )
    try:
        chars.check()
        out_chars = chars
    except EdiRenderError:
        out_chars = DEFAULT_CHARS
    return render_edifact(interchange, out_chars, una=True, suffix=options.suffix)


def parse_edifact(
    data: bytes | str,
    *,
    ack: ContrlOptions | None = None,
    seen: Set[InterchangeKey] = frozenset(),
) -> EdifactResult:
    """Parse one inbound EDIFACT interchange and decide what to accept and what CONTRL to send.

    :param data: the raw file; bytes are read as UTF-8 for UNOY/UNOW and Latin-1 otherwise
    :param ack: numbering and dating of the CONTRL
    :param seen: keys of interchanges already received; a repeat is rejected with syntax error 26
    :raises EdiParseError: when the input has no UNB or an unusable UNA
    """
    options = ack or ContrlOptions()
    tokens = tokenize(_decode(data))
    if not tokens.segments or tokens.segments[0].tag != "UNB":
        raise EdiParseError("input does not start with a UNB interchange header", code="no_header", offset=0)
    unb = tokens.segments[0]
    chars = tokens.chars
    syntax_id, syntax_version = unb.get(1, 1), unb.get(1, 2)
    repertoire = repertoire_for(syntax_id)
    repetition = chars.repetition if syntax_version == SYNTAX_4 and chars.repetition != NOT_USED else None
    header = {
        "sender": unb.get(2, 1),
        "sender_q": unb.get(2, 2),
        "recipient": unb.get(3, 1),
        "recipient_q": unb.get(3, 2),
        "ref": unb.get(5),
    }
    key = InterchangeKey(
        f"{header['sender_q']}:{header['sender']}",
        f"{header['recipient_q']}:{header['recipient']}",
        header["ref"],
    )
    uci_error = _unb_error(unb, repertoire)
    if uci_error is None and is_duplicate(key, seen):
        uci_error = _Error(EdiSyntax.DUPLICATE, "UNB", 5)
    raw_messages, raw_groups, unz, walk_errors = _walk(tokens.segments)
    if uci_error is None and unz is None:
        uci_error = _Error(EdiSyntax.MISSING, "UNZ")
    if uci_error is None and walk_errors:
        uci_error = walk_errors[0]
    if uci_error is None and unz is not None:
        count = len(raw_groups) if raw_groups else len(raw_messages)
        if unz.get(2) != header["ref"]:
            uci_error = _Error(EdiSyntax.REFERENCES_DO_NOT_MATCH, "UNZ", 2)
        elif _int(unz.get(1)) != count:
            uci_error = _Error(EdiSyntax.COUNT_MISMATCH, "UNZ", 1)
        elif count == 0:
            uci_error = _Error(EdiSyntax.LOWER_LEVEL_EMPTY, "UNZ")
    seen_refs: set[str] = set()
    top = [_message_verdict(m, "", repertoire, repetition, seen_refs) for m in raw_messages]
    groups: list[_GroupVerdict] = []
    for g in raw_groups:
        group_seen: set[str] = set()
        verdicts = tuple(
            _message_verdict(m, g.header.get(5), repertoire, repetition, group_seen) for m in g.messages
        )
        groups.append(_GroupVerdict(g.header, _group_error(g, repertoire), verdicts))
    rejected = uci_error is not None
    outcomes: list[SetOutcome[Message]] = []
    issues: list[EdiIssue] = []
    if uci_error is not None:
        issues.append(
            EdiIssue(
                code=uci_error.code.value,
                message=f"interchange: {uci_error.code.name.lower().replace('_', ' ')} ({uci_error.tag})",
                level="interchange",
                segment_tag=uci_error.tag,
                element_position=uci_error.element,
                component_position=uci_error.component,
            )
        )
    for v in top:
        ok = v.accepted and not rejected
        outcomes.append(SetOutcome(v.message.message_type, v.message.reference, "", ok, v.issues, v.message))
    model_groups: list[MessageGroup] = []
    for gv in groups:
        ref = gv.header.get(5)
        if gv.error is not None:
            issues.append(
                EdiIssue(
                    code=gv.error.code.value,
                    message=f"group: {gv.error.code.name.lower().replace('_', ' ')} ({gv.error.tag})",
                    level="group",
                    group_control_number=ref,
                    segment_tag=gv.error.tag,
                    element_position=gv.error.element,
                )
            )
        for mv in gv.messages:
            ok = mv.accepted and not rejected and gv.error is None
            outcomes.append(
                SetOutcome(mv.message.message_type, mv.message.reference, ref, ok, mv.issues, mv.message)
            )
        h = gv.header
        model_groups.append(
            MessageGroup(
                h.get(1),
                h.get(2, 1),
                h.get(2, 2),
                h.get(3, 1),
                h.get(3, 2),
                h.get(4, 1),
                h.get(4, 2),
                ref,
                h.get(7, 1),
                h.get(7, 2),
                h.get(6),
                tuple(m.message for m in gv.messages),
            )
        )
    document = EdifactInterchange(
        header["sender"],
        header["sender_q"],
        header["recipient"],
        header["recipient_q"],
        unb.get(4, 1),
        unb.get(4, 2),
        header["ref"],
        syntax_id,
        syntax_version,
        unb.get(7),
        unb.get(9) == "1",
        unb.get(11) == "1",
        tuple(v.message for v in top),
        tuple(model_groups),
    )
    only_contrl = bool(outcomes) and all(o.set_id == "CONTRL" for o in outcomes) and not rejected
    ack_text = None if only_contrl else _contrl(unb, chars, uci_error, top, groups, options)
    accepted = sum(o.accepted for o in outcomes)
    if rejected or accepted == 0:
        status = InterchangeStatus.REJECTED
    elif accepted == len(outcomes):
        status = InterchangeStatus.ACCEPTED
    else:
        status = InterchangeStatus.PARTIAL
    return InterchangeResult(
        standard="EDIFACT",
        sender_qualifier=header["sender_q"],
        sender_id=header["sender"],
        receiver_qualifier=header["recipient_q"],
        receiver_id=header["recipient"],
        control_number=header["ref"],
        version=syntax_version,
        test=unb.get(11) == "1",
        status=status,
        sets=tuple(outcomes),
        issues=tuple(issues),
        ack=ack_text,
        ack_kind="CONTRL" if ack_text else "",
        document=document,
    )


def fuzz_edifact(data: bytes) -> None:
    """Fuzz entry point (see :func:`~tradelane.connectors.edi_common.fuzz_parser`)."""
    fuzz_parser(parse_edifact, data)
