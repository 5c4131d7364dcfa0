"""The acknowledgment sets round-trip too: what we send (canonical SentInterchange → 204/940/IFTMIN) is
acknowledged by a partner whose acknowledgment is written by the same codec (997, 999, TA1, CONTRL), and
reading that acknowledgment back yields the AckReceived that answers our SentInterchange."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Literal

import pytest

from tradelane.connectors.edifact import parse_edifact
from tradelane.connectors.x12 import AckOptions, parse_x12
from tradelane.core.envelope import CloudEvent
from tradelane.edi import (
    AckReceived,
    PartnerBook,
    PartnerSettings,
    SentInterchange,
    UploadStatus,
    handle_upload,
    render_events,
)
from tradelane.edi.acks import is_acknowledged
from tradelane.edi.partners import X12Options

SENT_AT = datetime(2026, 11, 15, 7, 10, tzinfo=UTC)
Story = Callable[[PartnerSettings], PartnerSettings]


def _read_back(partner: PartnerSettings, ack: str) -> tuple[AckReceived, ...]:
    result = handle_upload(partner, ack.encode(partner.encoding))
    assert result.status is UploadStatus.ACCEPTED and result.events == () and result.ack is None
    return result.acks


@pytest.mark.parametrize("kind", ["997", "999"])
def test_functional_ack_for_our_204(
    kind: Literal["997", "999"], partners: PartnerBook, story: Story, make_event: Callable[..., CloudEvent]
) -> None:
    swift = story(partners["swift"])
    if kind == "999":  # the 999 belongs to 5010
        swift = swift.model_copy(update={"x12": X12Options(version="00501")})
    tender = make_event("tradelane.shipment.tendered.v1", "2026-11-15T07:10:00Z")
    sent_text = render_events([tender], swift, "204", control_number=120)
    partner_side = parse_x12(sent_text, ack=AckOptions(kind=kind, control_number="000000555"))
    assert partner_side.ack_kind == kind and partner_side.ack is not None
    acks = _read_back(swift, partner_side.ack)
    functional = [a for a in acks if a.kind == kind]
    assert functional == [AckReceived("swift", kind, "", "120", True)]  # AK102 / our GS06
    assert is_acknowledged(SentInterchange("swift", "000000120", "204", SENT_AT), acks)
    assert not is_acknowledged(SentInterchange("swift", "000000121", "204", SENT_AT), acks)


def test_ta1_for_our_940_names_the_interchange(
    partners: PartnerBook, story: Story, make_event: Callable[..., CloudEvent]
) -> None:
    reno = story(partners["reno3pl"]).model_copy(
        update={"ack": partners["reno3pl"].ack.model_copy(update={"request_ta1": True})}
    )
    release = make_event("tradelane.order.released.v1", "2026-11-15T06:00:00Z")
    sent_text = render_events([release], reno, "940", control_number=301)
    assert "*1*P*>~" in sent_text  # ISA14 = 1: TA1 requested
    partner_side = parse_x12(sent_text, ack=AckOptions(control_number="000000777"))
    assert partner_side.ack is not None
    acks = _read_back(reno, partner_side.ack)
    assert AckReceived("reno3pl", "TA1", "000000301", "", True) in acks
    assert is_acknowledged(SentInterchange("reno3pl", "000000301", "940", SENT_AT), [acks[0]])


def test_rejecting_997_still_answers(
    partners: PartnerBook, story: Story, make_event: Callable[..., CloudEvent]
) -> None:
    swift = story(partners["swift"])
    sent_text = render_events(
        [make_event("tradelane.shipment.tendered.v1", "2026-11-15T07:10:00Z")],
        swift,
        "204",
        control_number=130,
    )
    broken = sent_text.replace("B2**SWFT**", "B2**SWFT9**")  # B2-02 longer than a SCAC: the set is refused
    partner_side = parse_x12(broken)
    assert partner_side.ack is not None
    (functional,) = [a for a in _read_back(swift, partner_side.ack) if a.kind == "997"]
    assert (functional.group_control, functional.accepted) == ("130", False)
    assert is_acknowledged(SentInterchange("swift", "000000130", "204", SENT_AT), [functional])


def test_contrl_for_our_iftmin(
    partners: PartnerBook, story: Story, make_event: Callable[..., CloudEvent]
) -> None:
    maersk = story(partners["maersk"])
    tender = make_event("tradelane.shipment.tendered.v1", "2026-11-15T07:10:00Z")
    sent_text = render_events([tender], maersk, "IFTMIN", control_number=77)
    partner_side = parse_edifact(sent_text)
    assert partner_side.ack_kind == "CONTRL" and partner_side.ack is not None
    acks = _read_back(maersk, partner_side.ack)
    assert acks == (AckReceived("maersk", "CONTRL", "77", "", True),)
    assert is_acknowledged(SentInterchange("maersk", "77", "IFTMIN", SENT_AT), acks)
