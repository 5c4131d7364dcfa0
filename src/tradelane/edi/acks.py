"""Acknowledgment monitoring: which of our interchanges the partner acknowledged, and which are overdue.

Outbound, every interchange we send is a :class:`SentInterchange`. Inbound, :func:`acks_of` reads the
TA1, 997, 999 and CONTRL a partner returns into :class:`AckReceived` records. :func:`overdue` compares the
two against each partner's :attr:`~tradelane.edi.partners.AckPolicy.within_minutes` and
:func:`missing_ack_event` turns an overdue interchange into a ``tradelane.exception.opened.v1`` event
(type ``integration_failure``) for the transport team. All pure: the caller passes ``now``.

Matching: a TA1 and a CONTRL name the interchange (TA101, UCI01); a 997/999 names the functional group
(AK102), and our group control number is the interchange control number without leading zeros (see
:func:`tradelane.edi.service.render_events`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from tradelane.connectors.edifact import Message
from tradelane.connectors.x12 import Interchange, TransactionSet
from tradelane.core.catalog import EventName
from tradelane.core.envelope import CloudEvent
from tradelane.core.model.events import ExceptionOpened
from tradelane.core.model.exceptions import EntityKind, ExceptionCase, ExceptionType, Severity
from tradelane.core.registry import registry
from tradelane.edi.partners import PartnerBook, PartnerSettings
from tradelane.ports.flows import NewException

__all__ = [
    "AckReceived",
    "SentInterchange",
    "acks_of",
    "is_acknowledged",
    "missing_ack_event",
    "missing_ack_exception",
    "overdue",
]

AckKindName = Literal["TA1", "997", "999", "CONTRL"]
#: codes that mean "accepted" (possibly with errors): TA104 / AK901 / IK501 and CONTRL action 7
_ACCEPTED = frozenset({"A", "E", "P", "7"})
#: the team that owns missing-acknowledgment exceptions
OWNER_TEAM = "integration"


@dataclass(frozen=True)
class SentInterchange:
    """One interchange we sent to a partner."""

    #: partner id
    partner: str
    #: ISA13 / UNB05 as written
    control_number: str
    #: what it carried, e.g. ``204``
    doc_type: str
    #: when it was handed to the channel
    sent_at: datetime
    #: the business references it carried (shipment ids …), for the exception text
    references: tuple[str, ...] = ()

    @property
    def group_control(self) -> str:
        """GS06 / UNG05 we wrote: the control number without leading zeros."""
        return self.control_number.lstrip("0") or "0"


@dataclass(frozen=True)
class AckReceived:
    """One acknowledgment a partner sent us, for one interchange or functional group."""

    #: partner id
    partner: str
    #: which kind
    kind: AckKindName
    #: interchange acknowledged (TA101, UCI01); ``""`` for 997/999
    interchange_control: str
    #: functional group acknowledged (AK102, UCF01); ``""`` when the ack is for the whole interchange
    group_control: str
    #: accepted (possibly with errors, or partly) rather than rejected
    accepted: bool


def _x12_acks(partner: str, doc: Interchange) -> list[AckReceived]:
    out = [AckReceived(partner, "TA1", ta1.get(1), "", ta1.get(4) in _ACCEPTED) for ta1 in doc.ta1s]
    for group in doc.groups:
        for ts in group.sets:
            out += _functional(partner, ts)
    return out


def _functional(partner: str, ts: TransactionSet) -> list[AckReceived]:
    if ts.set_id not in ("997", "999"):
        return []
    ak1 = next((s for s in ts.segments if s.tag == "AK1"), None)
    ak9 = next((s for s in ts.segments if s.tag == "AK9"), None)
    if ak1 is None or ak9 is None:
        return []
    kind: AckKindName = "997" if ts.set_id == "997" else "999"
    return [AckReceived(partner, kind, "", ak1.get(2), ak9.get(1) in _ACCEPTED)]


def _contrl(partner: str, message: Message) -> list[AckReceived]:
    if message.message_type != "CONTRL":
        return []
    out: list[AckReceived] = []
    for seg in message.segments:
        if seg.tag == "UCI":
            out.append(AckReceived(partner, "CONTRL", seg.get(1), "", seg.get(4) in _ACCEPTED))
        elif seg.tag == "UCF":
            out.append(AckReceived(partner, "CONTRL", "", seg.get(1), seg.get(4) in _ACCEPTED))
    return out


def acks_of(partner: str, document: Any) -> tuple[AckReceived, ...]:
    """The acknowledgments in a parsed inbound interchange (``InterchangeResult.document``)."""
    if isinstance(document, Interchange):
        return tuple(_x12_acks(partner, document))
    messages = [
        *getattr(document, "messages", ()),
        *(m for g in getattr(document, "groups", ()) for m in g.messages),
    ]
    return tuple(ack for m in messages for ack in _contrl(partner, m))


def is_acknowledged(sent: SentInterchange, acks: Iterable[AckReceived]) -> bool:
    """Whether any acknowledgment (positive or negative) answers ``sent``: a rejection is an answer too,
    and it is reported through the parse result, not as a missing acknowledgment."""
    for ack in acks:
        if ack.partner != sent.partner:
            continue
        if ack.interchange_control and ack.interchange_control.lstrip("0") == sent.group_control:
            return True
        if ack.group_control and ack.group_control.lstrip("0") == sent.group_control:
            return True
    return False


def overdue(
    sent: Iterable[SentInterchange], acks: Iterable[AckReceived], partners: PartnerBook, now: datetime
) -> list[SentInterchange]:
    """Interchanges whose partner expects to acknowledge and has not within its SLA, oldest first."""
    received = list(acks)
    late: list[SentInterchange] = []
    for item in sent:
        if item.partner not in partners:
            continue
        policy = partners[item.partner].ack
        if not policy.expect or now - item.sent_at < timedelta(minutes=policy.within_minutes):
            continue
        if not is_acknowledged(item, received):
            late.append(item)
    return sorted(late, key=lambda s: s.sent_at)


def _missing_ack_text(sent: SentInterchange, partner: PartnerSettings) -> tuple[str, str]:
    refs = ", ".join(sent.references) or "no business reference"
    kinds = "TA1/997/999" if partner.standard == "x12" else "CONTRL"
    summary = f"{partner.id} has not acknowledged {sent.doc_type} interchange {sent.control_number}"
    detail = (
        f"Interchange {sent.control_number} ({sent.doc_type}: {refs}) was sent to {partner.id} at "
        f"{sent.sent_at.isoformat()}; no acknowledgment ({kinds}) came back within the agreed "
        f"{partner.ack.within_minutes} minutes. Check the partner's mailbox or resend."
    )
    return summary, detail


def missing_ack_exception(
    sent: SentInterchange, partner: PartnerSettings, tenant: str, links: Mapping[str, Any] | None = None
) -> NewException:
    """The exception the hub opens (through the flow runtime's exception service) for an interchange the
    partner has not acknowledged in time. Its dedupe key is the partner and the control number, so the
    same overdue interchange is never open twice."""
    summary, detail = _missing_ack_text(sent, partner)
    return NewException(
        tenant=tenant,
        type=ExceptionType.INTEGRATION_FAILURE.value,
        severity=Severity.HIGH.value,
        entity_kind=EntityKind.PARTY.value,
        entity_id=partner.party_id,
        owner_team=OWNER_TEAM,
        summary=summary,
        detail=detail,
        dedupe_key=f"edi-ack:{partner.id}:{sent.control_number}",
        links=dict(links or {}),
    )


def missing_ack_event(sent: SentInterchange, partner: PartnerSettings, now: datetime) -> CloudEvent:
    """A ``tradelane.exception.opened.v1`` event for an interchange the partner has not acknowledged.

    Its id is derived from the partner and the control number, so raising it again is a no-op downstream.
    """
    digest = hashlib.sha256(f"{partner.id}\x1f{sent.control_number}".encode()).hexdigest()[:24]
    exception_id = f"exc_edi_ack_{digest}"
    summary, detail = _missing_ack_text(sent, partner)
    payload = ExceptionOpened(
        exception_id=exception_id,
        exception=ExceptionCase(
            exception_id=exception_id,
            type=ExceptionType.INTEGRATION_FAILURE,
            severity=Severity.HIGH,
            entity={"kind": EntityKind.PARTY, "id": partner.party_id, "reference": partner.id},
            owner_team=OWNER_TEAM,
            summary=summary,
            detail=detail,
            opened_at=now,
        ),
    )
    typed = registry.typed_envelope(str(EventName.EXCEPTION_OPENED))
    assert typed is not None
    envelope = typed.model_validate(
        {
            "id": f"edi_ack_{digest}",
            "source": partner.source,
            "type": str(EventName.EXCEPTION_OPENED),
            "subject": sent.control_number,
            "time": now,
            "data": payload.model_dump(mode="json", exclude_none=True),
            "partitionkey": exception_id,
            "idempotencykey": f"edi_ack_{digest}",
        }
    )
    wire = envelope.model_dump(mode="json", exclude={"data"})
    return CloudEvent.model_validate({**wire, "data": payload.model_dump(mode="json", exclude_none=True)})
