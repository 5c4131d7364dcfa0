"""The EDI service: one inbound interchange in → events, acknowledgment and problems out; events → documents.

:func:`handle_upload` is what every channel calls (the file-drop folders, an HTTP upload route, the CLI):
it checks the envelope against the partner's settings, asks the ledger whether the control number was seen
before, parses with the X12 or EDIFACT codec, maps every *accepted* set to canonical CloudEvents and
returns them with the TA1/997/999/CONTRL to send and a list of problems located by line and segment. It
does no I/O of its own; duplicate detection goes through the :class:`InterchangeLedger` port.

:func:`render_events` is the way out: canonical events → one interchange for a partner (204, 940, 990 …),
validated by parsing it back before it is returned, so we never send what we would refuse ourselves.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from pydantic import ValidationError

from tradelane.connectors.edi_common import (
    EdiIssue,
    EdiParseError,
    EdiRenderError,
    InterchangeResult,
    InterchangeStatus,
    SetOutcome,
)
from tradelane.connectors.edifact import (
    ContrlOptions,
    EdifactInterchange,
    Message,
    ServiceChars,
    parse_edifact,
    render_edifact,
)
from tradelane.connectors.x12 import (
    TRANSACTIONS,
    AckKind,
    AckOptions,
    Delimiters,
    FunctionalGroup,
    Interchange,
    TransactionSet,
    parse_x12,
    render_interchange,
)
from tradelane.core.envelope import CloudEvent
from tradelane.core.errors import MappingError
from tradelane.core.model.events import EventPayload
from tradelane.core.registry import registry
from tradelane.edi import edifact_mapping, x12_mapping
from tradelane.edi.acks import AckReceived, acks_of
from tradelane.edi.events import SetContext, SetMappingError, build_event, payload_of
from tradelane.edi.partners import PartnerSettings
from tradelane.edi.report import Locator, Problem, format_report

__all__ = [
    "InterchangeLedger",
    "SetSummary",
    "UploadResult",
    "UploadStatus",
    "detect_standard",
    "failed_upload",
    "handle_upload",
    "remember",
    "render_events",
    "renderable_types",
]

#: ISA13 widths and the EDIFACT syntax version from which UNB04 carries the century
ISA_CONTROL_DIGITS = 9
EDIFACT_CENTURY_SYNTAX = "4"
#: length of a CCYYMMDD date (UNB04 in syntax 4, UNG04)
CENTURY_DATE_LENGTH = 8
#: the first interchange segment of each standard
X12_HEADER, EDIFACT_HEADERS = "ISA", ("UNA", "UNB")


class InterchangeLedger(Protocol):
    """Interchanges already received, by partner and control number (duplicate detection).

    Implementations: :class:`tradelane.edi.channels.JsonlInterchangeLedger` (a JSON-lines file in the
    channel folder) and :class:`tradelane.testing.edi.InMemoryInterchangeLedger`.
    """

    def seen(self, partner: str, control_number: str) -> bool:
        """Whether ``partner`` already sent an interchange with this control number (ISA13 / UNB05)."""
        ...

    def record(self, partner: str, control_number: str, *, status: str, digest: str, events: int) -> None:
        """Remember an interchange that was processed (accepted or partly accepted)."""
        ...


class UploadStatus(StrEnum):
    """Outcome of one inbound interchange."""

    #: every set accepted and mapped
    ACCEPTED = "accepted"
    #: some sets accepted (their events are emitted), others refused
    PARTIAL = "partial"
    #: nothing accepted: envelope error, unreadable file, wrong partner, or every set refused
    REJECTED = "rejected"
    #: the control number was received before; nothing emitted, the duplicate acknowledgment is returned
    DUPLICATE = "duplicate"


@dataclass(frozen=True)
class SetSummary:
    """What happened to one transaction set / message."""

    #: ST01 / UNH02-1
    set_id: str
    #: ST02 / UNH01
    control_number: str
    #: accepted by the codec *and* mapped
    accepted: bool
    #: events it produced
    events: int
    #: first problem, when refused
    reason: str = ""


@dataclass(frozen=True)
class UploadResult:
    """Everything a channel needs after one inbound interchange."""

    #: partner id
    partner: str
    #: ``X12``, ``EDIFACT`` or ``""`` when unreadable
    standard: str
    #: ISA13 / UNB05, ``""`` when unreadable
    control_number: str
    #: verdict
    status: UploadStatus
    #: CloudEvents from the accepted sets, in document order
    events: tuple[CloudEvent, ...]
    #: the acknowledgment to send back, ``None`` when none is due
    ack: bytes | None
    #: ``TA1``, ``997``, ``999``, ``CONTRL`` or ``""``
    ack_kind: str
    #: every problem, located in the file
    problems: tuple[Problem, ...]
    #: per set
    sets: tuple[SetSummary, ...] = ()
    #: SHA-256 of the input
    digest: str = ""
    #: name of the file / upload, for the report
    file_name: str = field(default="upload", compare=False)
    #: acknowledgments the file carried (TA1, 997, 999, CONTRL answering what we sent)
    acks: tuple[AckReceived, ...] = ()
    #: the sender marked the interchange as test data (ISA15 ``T``, UNB11 ``1``)
    test: bool = False

    @property
    def ok(self) -> bool:
        """Whether the whole interchange was accepted."""
        return self.status is UploadStatus.ACCEPTED

    def report(self) -> str:
        """A human-readable report of the verdict, the problems and the sets."""
        return format_report(self)


def detect_standard(data: bytes) -> str:
    """``X12`` or ``EDIFACT`` from the first bytes, ``""`` when neither."""
    head = data.lstrip(b"\xef\xbb\xbf\r\n\t ")[:3].decode("latin-1")
    if head == X12_HEADER:
        return "X12"
    if head in EDIFACT_HEADERS:
        return "EDIFACT"
    return ""


def _sent_at_x12(result: InterchangeResult[Any, Any], partner: PartnerSettings) -> dict[str, datetime]:
    out: dict[str, datetime] = {}
    doc = result.document
    if not isinstance(doc, Interchange):
        return out
    for group in doc.groups:
        try:
            day = datetime.strptime(group.date + (group.time + "00")[:6], "%Y%m%d%H%M%S")
        except ValueError:
            continue
        out[group.control_number] = day.replace(tzinfo=partner.zone)
    return out


def _sent_at_edifact(result: InterchangeResult[Any, Any], partner: PartnerSettings) -> dict[str, datetime]:
    doc = result.document
    if not isinstance(doc, EdifactInterchange):
        return {}
    stamps = [("", doc.date, doc.time)] + [(g.reference, g.date, g.time) for g in doc.groups]
    out: dict[str, datetime] = {}
    for ref, day, clock in stamps:
        pattern = "%Y%m%d%H%M" if len(day) == CENTURY_DATE_LENGTH else "%y%m%d%H%M"
        try:
            out[ref] = datetime.strptime(day + clock, pattern).replace(tzinfo=partner.zone)
        except ValueError:
            continue
    return out


def _map_set(
    outcome: SetOutcome[Any], ctx: SetContext, standard: str
) -> tuple[list[CloudEvent], SetMappingError | None]:
    readers: dict[str, Any] = x12_mapping.READERS if standard == "X12" else edifact_mapping.READERS
    reader = readers.get(outcome.set_id)
    if reader is None:
        return [], None  # acknowledgments and documents we only send: nothing to emit
    try:
        mapped = reader(outcome.document, ctx)
        return [build_event(ctx, item, m) for item, m in enumerate(mapped)], None
    except SetMappingError as exc:
        return [], exc
    except MappingError as exc:
        return [], SetMappingError(str(exc), problems=exc.problems)
    except (ValidationError, ValueError, IndexError) as exc:
        return [], SetMappingError(f"{outcome.set_id} cannot be mapped: {exc}")


def _parse(
    standard: str,
    data: bytes,
    partner: PartnerSettings,
    ack_control_number: str | None,
    seen: frozenset[Any],
) -> InterchangeResult[Any, Any]:
    if standard == "X12":
        kind: AckKind = "999" if partner.ack.send == "999" else "997"
        options = AckOptions(
            kind=kind, control_number=ack_control_number, suffix=partner.x12.delimiters.suffix
        )
        return parse_x12(data, ack=options, seen=seen)
    contrl = ContrlOptions(control_reference=ack_control_number, suffix=partner.edifact.suffix)
    return parse_edifact(data, ack=contrl, seen=seen)


def handle_upload(
    partner: PartnerSettings,
    data: bytes,
    *,
    ledger: InterchangeLedger | None = None,
    ack_control_number: str | None = None,
    file_name: str = "upload",
    allow_outbound: bool = False,
    record: bool = True,
) -> UploadResult:
    """Process one inbound interchange from ``partner``.

    :param partner: the partner the channel belongs to (its settings decide ack kind and conventions)
    :param data: the raw bytes as received
    :param ledger: interchanges already received; a repeated control number is a duplicate (TA1 025 /
        CONTRL 26) and emits nothing. ``None`` skips duplicate detection (CLI dry runs)
    :param ack_control_number: ISA13 / UNB05 of the acknowledgment (the channel's own counter); default:
        the inbound control number
    :param file_name: shown in the report
    :param record: record an accepted or partly accepted interchange in ``ledger`` before returning; a
        caller that must first hand the events on (the file-drop channel) passes ``False`` and calls
        :func:`remember` once they are safe, so that a crash in between is not taken for a duplicate
    :param allow_outbound: also read an interchange *we* sent to the partner (the CLI reading back a
        rendered 204 or 940); channels leave it off so that only the partner's own files are accepted
    """
    digest = hashlib.sha256(data).hexdigest()
    locator = Locator.of(data)

    def refused(message: str, code: str, line: int | None = None, standard: str = "") -> UploadResult:
        problem = Problem(message=message, code=code, level="interchange", line=line)
        return UploadResult(
            partner.id, standard, "", UploadStatus.REJECTED, (), None, "", (problem,), (), digest, file_name
        )

    standard = detect_standard(data)
    if not standard:
        return refused(
            "the file starts with neither an X12 ISA nor an EDIFACT UNA/UNB segment", "no_header", 1
        )
    if standard.lower() != partner.standard:
        return refused(
            f"partner {partner.id} exchanges {partner.standard.upper()}, but the file is {standard}",
            "wrong_standard",
            1,
            standard,
        )
    try:
        result = _parse(standard, data, partner, ack_control_number, frozenset())
    except EdiParseError as exc:
        line = locator.line_of_offset(exc.offset) if exc.offset is not None else None
        return refused(f"{exc} ({exc.code})", exc.code, line, standard)
    expected = (partner.interchange.qualifier, partner.interchange.id, partner.us.qualifier, partner.us.id)
    actual = (result.sender_qualifier, result.sender_id, result.receiver_qualifier, result.receiver_id)
    ours = (partner.us.qualifier, partner.us.id, partner.interchange.qualifier, partner.interchange.id)
    if expected != actual and not (allow_outbound and ours == actual):
        return refused(
            f"interchange is from {actual[0]}:{actual[1]} to {actual[2]}:{actual[3]}, but partner {partner.id} "
            f"sends from {expected[0]}:{expected[1]} to {expected[2]}:{expected[3]}",
            "wrong_partner",
            1,
            standard,
        )
    duplicate = ledger is not None and ledger.seen(partner.id, result.control_number)
    if duplicate:
        result = _parse(standard, data, partner, ack_control_number, frozenset({result.key}))
    problems = [locator.problem(i, result.sets) for i in result.issues]
    events: list[CloudEvent] = []
    summaries: list[SetSummary] = []
    sent = (_sent_at_x12 if standard == "X12" else _sent_at_edifact)(result, partner)
    for index, outcome in enumerate(result.sets):
        set_problems = [locator.problem(i, result.sets, index) for i in outcome.issues]
        problems += set_problems
        if not outcome.accepted:
            reason = set_problems[0].message if set_problems else "refused with its interchange or group"
            summaries.append(SetSummary(outcome.set_id, outcome.control_number, False, 0, reason))
            continue
        ctx = SetContext(
            partner=partner,
            standard=standard,
            sender=result.key.sender,
            receiver=result.key.receiver,
            interchange_control=result.control_number,
            group_control=outcome.group_control_number,
            set_control=outcome.control_number,
            set_index=index,
            sent_at=sent.get(outcome.group_control_number) or sent.get(""),
        )
        mapped, error = _map_set(outcome, ctx, standard)
        if error is not None:
            problem = locator.mapping_problem(error, outcome, index)
            problems.append(problem)
            summaries.append(SetSummary(outcome.set_id, outcome.control_number, False, 0, problem.message))
            continue
        events += mapped
        summaries.append(SetSummary(outcome.set_id, outcome.control_number, True, len(mapped)))
    if duplicate:
        status = UploadStatus.DUPLICATE
        events = []
        problems.insert(
            0,
            Problem(
                message=f"interchange control number {result.control_number} was already received from "
                f"{partner.id}; nothing is emitted",
                code="duplicate",
                level="interchange",
                line=1,
            ),
        )
    elif result.status is InterchangeStatus.REJECTED or not any(s.accepted for s in summaries):
        status = UploadStatus.REJECTED
        events = []
    elif all(s.accepted for s in summaries):
        status = UploadStatus.ACCEPTED
    else:
        status = UploadStatus.PARTIAL
    send_ack = partner.ack.send != "none" and result.ack is not None
    ack = result.ack.encode(partner.encoding, "replace") if send_ack and result.ack else None
    upload = UploadResult(
        partner=partner.id,
        standard=standard,
        control_number=result.control_number,
        status=status,
        events=tuple(events),
        ack=ack,
        ack_kind=result.ack_kind if ack else "",
        problems=tuple(problems),
        sets=tuple(summaries),
        digest=digest,
        file_name=file_name,
        acks=acks_of(partner.id, result.document) if status is not UploadStatus.DUPLICATE else (),
        test=result.test,
    )
    if ledger is not None and record:
        remember(ledger, upload)
    return upload


def failed_upload(partner: PartnerSettings, data: bytes, file_name: str, exc: Exception) -> UploadResult:
    """The result to record when processing itself failed with an unexpected exception (a fault in our code,
    not in the file): nothing emitted, no ack, the exception named in the problems so the file can be moved
    aside with a report instead of blocking the inbox."""
    problem = Problem(
        message=f"internal error while processing the file: {type(exc).__name__}: {exc}",
        code="internal_error",
        level="interchange",
    )
    digest = hashlib.sha256(data).hexdigest()
    return UploadResult(
        partner.id,
        detect_standard(data),
        "",
        UploadStatus.REJECTED,
        (),
        None,
        "",
        (problem,),
        (),
        digest,
        file_name,
    )


def remember(ledger: InterchangeLedger, result: UploadResult) -> bool:
    """Record ``result`` in ``ledger`` when it was (partly) accepted; returns whether it was recorded.

    Rejected interchanges are not recorded, so the partner can resend them, fixed, under the same number.
    """
    if result.status not in (UploadStatus.ACCEPTED, UploadStatus.PARTIAL):
        return False
    ledger.record(
        result.partner,
        result.control_number,
        status=result.status.value,
        digest=result.digest,
        events=len(result.events),
    )
    return True


# --------------------------------------------------------------------------------------------------------
# outbound
# --------------------------------------------------------------------------------------------------------


def renderable_types(partner: PartnerSettings) -> tuple[str, ...]:
    """The document types :func:`render_events` can write for ``partner``'s standard."""
    writers = x12_mapping.WRITERS if partner.standard == "x12" else edifact_mapping.WRITERS
    return tuple(sorted(writers))


def _payloads(
    events: Sequence[CloudEvent], doc_type: str, partner: PartnerSettings
) -> tuple[list[EventPayload], Any]:
    writers: dict[str, Any] = x12_mapping.WRITERS if partner.standard == "x12" else edifact_mapping.WRITERS
    entry = writers.get(doc_type)
    if entry is None:
        known = ", ".join(sorted(writers))
        raise EdiRenderError(
            f"cannot write {doc_type!r} for {partner.standard.upper()} partners (known: {known})"
        )
    models, writer = entry
    payloads: list[EventPayload] = []
    for event in events:
        event_type = registry.get(event.type)
        if event_type is None or event_type.model not in models:
            wanted = ", ".join(m.__name__ for m in models)
            raise EdiRenderError(f"a {doc_type} is written from {wanted} events, not from {event.type!r}")
        payloads.append(payload_of(event, event_type.model))  # type: ignore[arg-type]
    return payloads, writer


def _stamp(events: Sequence[CloudEvent]) -> datetime:
    times = [e.time for e in events if e.time is not None]
    if not times:
        raise EdiRenderError("events need a 'time' to date the interchange")
    return max(times)


def render_events(
    events: Sequence[CloudEvent], partner: PartnerSettings, doc_type: str, *, control_number: int
) -> str:
    """Write ``events`` as one interchange of ``doc_type`` sets / messages (one per event) to ``partner``.

    The interchange is dated with the latest event ``time`` in the partner's zone; control numbers derive
    from ``control_number`` (the channel's counter). The result is parsed back with our own codec and
    refused unless every set is accepted.

    :raises EdiRenderError: for an unknown type, events of the wrong type, values that do not fit, or an
        interchange our own parser refuses
    :raises MappingError: when an event's data does not validate
    """
    if not events:
        raise EdiRenderError("nothing to render")
    payloads, writer = _payloads(events, doc_type, partner)
    when = _stamp(events).astimezone(partner.zone)
    if partner.standard == "x12":
        text = _render_x12(payloads, writer, partner, doc_type, control_number, when)
        check: InterchangeResult[Any, Any] = parse_x12(text)
    else:
        text = _render_edifact(payloads, writer, partner, doc_type, control_number, when)
        check = parse_edifact(text)
    if check.status is not InterchangeStatus.ACCEPTED:
        first: list[EdiIssue] = [*check.issues, *(i for s in check.sets for i in s.issues)]
        detail = "; ".join(f"{i.segment_tag or i.level} {i.code}: {i.message}" for i in first[:5])
        raise EdiRenderError(f"the rendered {doc_type} does not pass our own validation: {detail}")
    return text


def _render_x12(
    payloads: list[EventPayload],
    writer: Any,
    partner: PartnerSettings,
    doc_type: str,
    control_number: int,
    when: datetime,
) -> str:
    sets = tuple(
        TransactionSet(doc_type, f"{n:04d}", writer(p, partner)) for n, p in enumerate(payloads, start=1)
    )
    clock = when.strftime("%H%M%S") if when.second else when.strftime("%H%M")
    group = FunctionalGroup(
        TRANSACTIONS[doc_type].functional_id,
        partner.us.app_code,
        partner.interchange.app_code,
        when.strftime("%Y%m%d"),
        clock,
        str(control_number),
        partner.x12.gs_version,
        sets,
    )
    interchange = Interchange(
        sender_qualifier=partner.us.qualifier,
        sender_id=partner.us.id,
        receiver_qualifier=partner.interchange.qualifier,
        receiver_id=partner.interchange.id,
        date=when.strftime("%y%m%d"),
        time=when.strftime("%H%M"),
        control_number=str(control_number).zfill(ISA_CONTROL_DIGITS),
        version=partner.x12.version,
        usage=partner.x12.usage,
        ack_requested="1" if partner.ack.request_ta1 else "0",
        groups=(group,),
    )
    d = partner.x12.delimiters
    return render_interchange(
        interchange, Delimiters(d.element, d.component, d.segment, d.repetition, d.suffix)
    )


def _render_edifact(
    payloads: list[EventPayload],
    writer: Any,
    partner: PartnerSettings,
    doc_type: str,
    control_number: int,
    when: datetime,
) -> str:
    opts = partner.edifact
    messages = tuple(
        Message(doc_type, f"M{n:04d}", opts.directory, opts.release, "UN", "", writer(p, partner))
        for n, p in enumerate(payloads, start=1)
    )
    date_format = "%Y%m%d" if opts.syntax_version == EDIFACT_CENTURY_SYNTAX else "%y%m%d"
    interchange = EdifactInterchange(
        sender=partner.us.id,
        sender_qualifier=partner.us.qualifier,
        recipient=partner.interchange.id,
        recipient_qualifier=partner.interchange.qualifier,
        date=when.strftime(date_format),
        time=when.strftime("%H%M"),
        control_reference=str(control_number),
        syntax_id=opts.syntax_id,
        syntax_version=opts.syntax_version,
        ack_requested=partner.ack.expect,
        test=opts.test,
        messages=messages,
    )
    return render_edifact(interchange, ServiceChars.from_una(opts.una), una=True, suffix=opts.suffix)
