"""The EDI service: duplicate interchanges, partner checks, ack policy, outbound guards, and fuzzing."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tradelane.connectors.x12 import EdiRenderError, parse_x12
from tradelane.core.envelope import CloudEvent
from tradelane.core.errors import MappingError
from tradelane.core.examples import example
from tradelane.edi.partners import AckPolicy, PartnerBook, PartnerSettings, builtin_partners
from tradelane.edi.service import UploadStatus, detect_standard, handle_upload, render_events
from tradelane.testing.edi import InMemoryInterchangeLedger

#: bounded run for the unit suite
FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "200")),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
#: the partner and the well-formed file the fuzz tests start from
_FUZZ_PARTNER = builtin_partners()["abf"]
_FUZZ_SAMPLE = (
    Path(__file__).parents[3] / "src/tradelane/connectors/x12/samples/214_4010_crlf.x12"
).read_bytes()


def test_second_upload_of_a_control_number_is_a_duplicate(partners: PartnerBook, samples: Any) -> None:
    ledger = InMemoryInterchangeLedger()
    data = (samples.x12 / "214_4010_crlf.x12").read_bytes()
    first = handle_upload(partners["abf"], data, ledger=ledger)
    assert first.status is UploadStatus.ACCEPTED and len(first.events) == 3
    assert [(e.partner, e.control_number, e.events) for e in ledger.entries] == [("abf", "000004711", 3)]
    again = handle_upload(partners["abf"], data, ledger=ledger)
    assert again.status is UploadStatus.DUPLICATE and again.events == ()
    assert again.ack_kind == "TA1" and again.ack is not None
    ta1 = parse_x12(again.ack).document
    assert ta1 is not None and (ta1.ta1s[0].get(4), ta1.ta1s[0].get(5)) == ("R", "025")
    assert again.problems[0].code == "duplicate"
    assert len(ledger.entries) == 1
    # the same control number from another partner is not a duplicate
    assert not ledger.seen("swift", "000004711")


def test_edifact_duplicate_is_contrl_26(partners: PartnerBook, samples: Any) -> None:
    ledger = InMemoryInterchangeLedger()
    data = (samples.edifact / "iftsta_d01b_release_chars.edi").read_bytes()
    assert handle_upload(partners["dhl-freight"], data, ledger=ledger).status is UploadStatus.ACCEPTED
    again = handle_upload(partners["dhl-freight"], data, ledger=ledger)
    assert again.status is UploadStatus.DUPLICATE and again.ack is not None
    assert b"UCI+EDI0004711+DHLFREIGHT:ZZ+TRADELANEHUB:ZZ+4+26" in again.ack


def test_rejected_interchange_is_not_recorded_so_a_fixed_resend_goes_through(
    partners: PartnerBook, samples: Any
) -> None:
    ledger = InMemoryInterchangeLedger()
    bad = (samples.x12_malformed / "214_iea_control_mismatch.x12").read_bytes()
    assert handle_upload(partners["abf"], bad, ledger=ledger).status is UploadStatus.REJECTED
    assert ledger.entries == []
    fixed = (samples.x12 / "214_4010_crlf.x12").read_bytes()
    assert handle_upload(partners["abf"], fixed, ledger=ledger).status is UploadStatus.ACCEPTED


def test_file_from_another_partner_is_refused(partners: PartnerBook, samples: Any) -> None:
    result = handle_upload(partners["swift"], (samples.x12 / "214_4010_crlf.x12").read_bytes())
    assert result.status is UploadStatus.REJECTED and result.events == () and result.ack is None
    assert result.problems[0].code == "wrong_partner" and "ZZ:ABFCARRIER" in result.problems[0].message


def test_wrong_standard_is_refused(partners: PartnerBook, samples: Any) -> None:
    result = handle_upload(partners["abf"], (samples.edifact / "iftsta_d01b_release_chars.edi").read_bytes())
    assert result.status is UploadStatus.REJECTED and result.problems[0].code == "wrong_standard"
    assert detect_standard(b"\xef\xbb\xbfISA*00") == "X12" and detect_standard(b"UNB+UNOA") == "EDIFACT"
    assert detect_standard(b"%PDF-1.7") == ""


def test_ack_policy_decides_kind_and_whether_to_send(partners: PartnerBook, samples: Any) -> None:
    data = (samples.x12 / "214_4010_crlf.x12").read_bytes()
    abf = partners["abf"]
    quiet = abf.model_copy(update={"ack": AckPolicy(send="none")})
    assert handle_upload(quiet, data).ack is None
    strict = abf.model_copy(
        update={"ack": AckPolicy(send="999"), "x12": abf.x12.model_copy(update={"version": "00501"})}
    )
    result = handle_upload(strict, data, ack_control_number="000000077")
    assert result.ack_kind == "999" and result.ack is not None
    ack = parse_x12(result.ack)
    assert ack.control_number == "000000077" and ack.sets[0].set_id == "999"
    assert result.ack.count(b"\n") >= 5  # the partner's suffix: one segment per line


def test_partner_ack_kind_must_match_its_standard() -> None:
    with pytest.raises(ValueError, match="CONTRL"):
        PartnerSettings.model_validate(
            {
                "id": "x",
                "standard": "x12",
                "party_id": "p",
                "interchange": {"qualifier": "ZZ", "id": "X"},
                "us": {"qualifier": "ZZ", "id": "US"},
                "ack": {"send": "CONTRL"},
            }
        )


def _tender(**changes: Any) -> CloudEvent:
    data = example("tradelane.shipment.tendered.v1")
    data.update(changes)
    return CloudEvent(
        id="t", source="/t", type="tradelane.shipment.tendered.v1", time="2026-11-15T07:10:00Z", data=data
    )


def test_render_refuses_what_it_cannot_write(
    partners: PartnerBook, story: Callable[[PartnerSettings], PartnerSettings]
) -> None:
    swift = story(partners["swift"])
    with pytest.raises(EdiRenderError, match="cannot write '999'"):
        render_events([_tender()], swift, "999", control_number=1)
    with pytest.raises(EdiRenderError, match="written from ShipmentTendered events"):
        milestone = CloudEvent(
            id="m",
            source="/t",
            type="tradelane.shipment.milestone.v1",
            time="2026-11-15T07:10:00Z",
            data=example("tradelane.shipment.milestone.v1"),
        )
        render_events([milestone], swift, "204", control_number=1)
    with pytest.raises(EdiRenderError, match="longer than the 50"):
        render_events([_tender(tender_id="T" * 60)], swift, "204", control_number=1)
    with pytest.raises(EdiRenderError, match="bills in USD"):
        render_events([_tender()], partners["swift"], "204", control_number=1)
    with pytest.raises(EdiRenderError, match="SCAC"):
        render_events([_tender()], swift.model_copy(update={"scac": None}), "204", control_number=1)
    with pytest.raises(EdiRenderError, match="nothing to render"):
        render_events([], swift, "204", control_number=1)
    with pytest.raises(EdiRenderError, match="'time'"):
        render_events([_tender().model_copy(update={"time": None})], swift, "204", control_number=1)
    with pytest.raises(MappingError) as bad:
        render_events([_tender(shipment_id="")], swift, "204", control_number=1)
    assert any("shipment_id" in p.path for p in bad.value.problems)


def test_render_uses_the_partner_envelope(
    partners: PartnerBook, story: Callable[[PartnerSettings], PartnerSettings]
) -> None:
    swift = story(partners["swift"])
    text = render_events([_tender()], swift, "204", control_number=120)
    assert text.startswith(
        "ISA*00*          *00*          *ZZ*TRADELANEHUB   *02*SWIFTTRANS     *261115*0810*U*00401*000000120*1*P*>~\n"
    )
    assert "GS*SM*TRADELANEHUB*SWFT*20261115*0810*120*X*004010~" in text
    result = parse_x12(text)
    assert result.status.value == "accepted" and result.ack is not None  # a TA1 was requested (ISA14=1)


@FUZZ
@given(st.binary(max_size=600))
def test_fuzz_upload_never_raises(data: bytes) -> None:
    result = handle_upload(_FUZZ_PARTNER, b"ISA" + data)
    assert result.status in UploadStatus
    assert all(p.describe() for p in result.problems)


@FUZZ
@given(st.data())
def test_fuzz_mutated_samples_only_emit_from_accepted_sets(data: st.DataObject) -> None:
    raw = bytearray(_FUZZ_SAMPLE)
    for _ in range(data.draw(st.integers(1, 6))):
        pos = data.draw(st.integers(0, len(raw) - 1))
        raw[pos] = data.draw(st.sampled_from(b"*~>0123456789ABZ\n "))
    result = handle_upload(_FUZZ_PARTNER, bytes(raw))
    accepted = {s.control_number for s in result.sets if s.accepted}
    assert len(result.events) <= 3
    if result.status in (UploadStatus.REJECTED, UploadStatus.DUPLICATE):
        assert result.events == ()
    elif result.events:
        assert accepted
