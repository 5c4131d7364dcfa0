"""Acknowledgment monitoring: reading TA1/997/999/CONTRL, matching them to what we sent, overdue → exception."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tradelane.core.registry import registry
from tradelane.edi import (
    AckReceived,
    PartnerBook,
    SentInterchange,
    handle_upload,
    missing_ack_event,
    overdue,
)

T0 = datetime(2023, 11, 7, 9, 30, tzinfo=UTC)


def test_acks_are_read_from_every_kind(partners: PartnerBook, samples: Any) -> None:
    def acks(partner: str, path: Any) -> tuple[AckReceived, ...]:
        return handle_upload(partners[partner], path.read_bytes()).acks

    assert acks("swift", samples.x12 / "997_4010.x12") == (AckReceived("swift", "997", "", "120", True),)
    assert acks("swift", samples.x12 / "ta1_4010.x12") == (
        AckReceived("swift", "TA1", "000000120", "", True),
    )
    assert acks("reno3pl", samples.x12 / "999_5010.x12") == (AckReceived("reno3pl", "999", "", "301", False),)
    assert acks("maersk", samples.edifact / "contrl_inbound.edi") == (
        AckReceived("maersk", "CONTRL", "BK0000120", "", True),
    )
    assert acks("abf", samples.x12 / "214_4010_crlf.x12") == ()  # business documents carry no acks


def test_overdue_respects_each_partners_sla(partners: PartnerBook) -> None:
    tender = SentInterchange("swift", "000000120", "204", T0, ("LD-2023-11-0042",))  # swift: 30 minutes
    release = SentInterchange("reno3pl", "000000301", "940", T0, ("SO-88120",))  # reno3pl: 60 minutes
    status = SentInterchange("dhl-freight", "77", "IFTSTA", T0)  # dhl-freight does not acknowledge
    sent = [release, tender, status]
    assert overdue(sent, [], partners, T0 + timedelta(minutes=29)) == []
    assert overdue(sent, [], partners, T0 + timedelta(minutes=31)) == [tender]
    assert overdue(sent, [], partners, T0 + timedelta(hours=2)) == [release, tender]
    # a 997 for group 120 answers the tender; a rejection is an answer as well
    answered = [AckReceived("swift", "997", "", "120", False)]
    assert overdue(sent, answered, partners, T0 + timedelta(hours=2)) == [release]
    # an ack from another partner with the same number does not count
    assert overdue([tender], [AckReceived("abf", "997", "", "120", True)], partners, T0 + timedelta(hours=1))


def test_missing_ack_becomes_an_exception_event(partners: PartnerBook) -> None:
    tender = SentInterchange("swift", "000000120", "204", T0, ("LD-2023-11-0042",))
    now = T0 + timedelta(minutes=45)
    event = missing_ack_event(tender, partners["swift"], now)
    again = missing_ack_event(tender, partners["swift"], now + timedelta(minutes=5))
    assert event.id == again.id  # raising it twice is idempotent downstream
    assert event.type == "tradelane.exception.opened.v1" and event.time == now
    typed = registry.typed_envelope(event.type)
    assert typed is not None
    typed.model_validate(event.to_wire())
    case = event.data["exception"]
    assert (case["type"], case["entity"], case["status"]) == (
        "integration_failure",
        {"kind": "party", "id": "party_swift", "reference": "swift"},
        "open",
    )
    assert "LD-2023-11-0042" in case["detail"] and "30 minutes" in case["detail"]
