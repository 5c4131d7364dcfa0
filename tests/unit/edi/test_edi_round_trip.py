"""Every transaction set round-trips: canonical event → EDI → canonical event (→ the same EDI again).

The second rendering being byte-identical to the first is the strong check (nothing the document carries
is lost or changed by reading it); the field assertions say what the canonical side keeps. Fields a
document has no place for (positions, GLNs, prices on a 940 …) are named where they are dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest

from tradelane.core.envelope import CloudEvent
from tradelane.core.examples import example
from tradelane.core.registry import registry
from tradelane.edi.partners import PartnerBook, PartnerSettings
from tradelane.edi.service import UploadStatus, handle_upload, render_events

Story = Callable[[PartnerSettings], PartnerSettings]


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _same(got: dict[str, Any], src: dict[str, Any], *keys: str) -> None:
    """The fields agree; timestamps are compared as instants (the wire form is UTC, examples use offsets)."""
    for key in keys:
        a, b = got.get(key), src.get(key)
        if isinstance(a, str) and isinstance(b, str) and a[:2] == "20" and b[:2] == "20":
            assert _at(a) == _at(b), key
        else:
            assert a == b, key


def _round_trip(
    events: list[CloudEvent], partner: PartnerSettings, doc_type: str
) -> tuple[str, list[CloudEvent]]:
    text = render_events(events, partner, doc_type, control_number=42)
    result = handle_upload(partner, text.encode(partner.encoding), allow_outbound=True)
    assert result.status is UploadStatus.ACCEPTED, [p.describe() for p in result.problems]
    again = render_events(list(result.events), partner, doc_type, control_number=42)
    assert again == text, "reading the document back and writing it again must give the same document"
    for event in result.events:
        typed = registry.typed_envelope(event.type)
        assert typed is not None
        typed.model_validate(event.to_wire())
    return text, list(result.events)


def test_204_tender(partners: PartnerBook, story: Story, make_event: Callable[..., CloudEvent]) -> None:
    partner = story(partners["swift"])
    original = make_event("tradelane.shipment.tendered.v1", "2026-11-15T07:10:00Z")
    text, (back,) = _round_trip([original], partner, "204")
    assert "ST*204*0001" in text and "B2**SWFT**shp_so0042_1**PP" in text
    src, got = original.data, back.data
    assert back.type == original.type
    _same(got, src, "shipment_id", "tender_id", "tendered_at", "respond_by")
    assert got["offered_rate"] == {"amount": "212.00", "currency": "EUR"}
    assert got["carrier_id"] == partner.party_id
    s, g = src["shipment"], got["shipment"]
    assert (g["reference"], g["order_refs"], g["total_weight"]) == (
        s["reference"],
        s["order_refs"],
        s["total_weight"],
    )
    assert (
        g["ship_from"]["location_id"] == "loc_dc_rtm"
        and g["ship_to"]["location_id"] == "loc_cust_cafe_central"
    )
    assert g["ship_to"]["address"]["line1"] == "Hohe Strasse 118"  # folded to ASCII for X12
    assert [stop["kind"] for stop in g["stops"]] == ["pickup", "delivery"]
    assert g["pickup_window"] == {"start": "2026-11-16T12:00:00Z", "end": "2026-11-16T15:00:00Z"}
    assert g["delivery_window"] == {"start": "2026-11-18T06:00:00Z", "end": "2026-11-18T11:00:00Z"}


def test_940_release(partners: PartnerBook, story: Story, make_event: Callable[..., CloudEvent]) -> None:
    partner = story(partners["reno3pl"])
    original = make_event("tradelane.order.released.v1", "2026-11-15T06:00:00Z")
    text, (back,) = _round_trip([original], partner, "940")
    assert "W05*N*SO0042" in text and "N1*WH*Rotterdam DC*93*RTM" in text
    src, got = original.data, back.data
    _same(got, src, "order_id", "number", "warehouse_id", "released_at", "ship_by")
    assert [line["line_id"] for line in got["lines"]] == ["1", "2"]
    assert got["lines"][0]["product"] == src["lines"][0]["product"]
    assert got["lines"][1]["quantity"] == {"value": "2", "unit": "CS"}
    assert got["lines"][0]["requested_at"] == "2026-11-18T08:00:00Z"
    assert "unit_price" not in got["lines"][0]  # prices do not travel to the warehouse


@pytest.mark.parametrize(
    "type_name", ["tradelane.shipment.booked.v1", "tradelane.shipment.tender_rejected.v1"]
)
def test_990_response(
    type_name: str, partners: PartnerBook, story: Story, make_event: Callable[..., CloudEvent]
) -> None:
    partner = story(partners["swift"])
    data = example(type_name)
    stamp = data.get("booked_at") or data["rejected_at"]
    text, (back,) = _round_trip([make_event(type_name, stamp)], partner, "990")
    assert back.type == type_name
    assert back.data["carrier_id"] == partner.party_id
    kept = [k for k in data if k not in ("carrier_id", "pickup_window", "rate", "reason")]
    _same(back.data, data, *kept)  # the 990 answers for the partner; window and rate have no place in it
    if "reason" in data:
        assert back.data["reason"] == "No capacity on the Rotterdam-Koln lane on 16 November"  # X12 is ASCII
    assert ("*A~" in text) is (type_name.endswith("booked.v1"))


def test_214_status(partners: PartnerBook, story: Story, make_event: Callable[..., CloudEvent]) -> None:
    partner = story(partners["abf"])
    original = make_event("tradelane.shipment.milestone.v1", "2026-11-17T21:48:00+01:00")
    text, (back,) = _round_trip([original], partner, "214")
    assert "AT7*P1*NS***20261117*2148*LT" in text
    event, src = back.data["event"], original.data["event"]
    assert back.data["shipment_id"] == original.data["shipment_id"]
    assert back.data["tracking_number"] == original.data["tracking_number"]
    assert (event["milestone"], event["source_status_code"]) == ("departed_terminal", "P1")
    assert (
        event["occurred_at"]
        == "2026-11-17T20:48:00Z"
        == src["occurred_at"].replace("21:48:00+01:00", "20:48:00Z")
    )


def test_214_eta_and_reason(
    partners: PartnerBook, story: Story, make_event: Callable[..., CloudEvent]
) -> None:
    partner = story(partners["abf"])
    data = example("tradelane.shipment.milestone.v1")
    data["event"] = {
        "milestone": "eta_changed",
        "occurred_at": "2026-11-18T07:12:00+01:00",
        "estimated_delivery_at": "2026-11-18T10:45:00+01:00",
        "reason": "Congestion on the A3 near Leverkusen, expect 105 minutes",
        "reason_code": "AF",
    }
    _, (back,) = _round_trip(
        [make_event("tradelane.shipment.milestone.v1", data["event"]["occurred_at"], data)], partner, "214"
    )
    event = back.data["event"]
    assert event["estimated_delivery_at"] == "2026-11-18T09:45:00Z"
    assert event["occurred_at"] == "2026-11-18T06:12:00Z"
    assert (event["reason_code"], event["reason"]) == (
        "AF",
        "Congestion on the A3 near Leverkusen, expect 105 minutes",
    )


def test_210_invoice(partners: PartnerBook, story: Story, make_event: Callable[..., CloudEvent]) -> None:
    partner = story(partners["swift"])
    data = example("tradelane.carrier_invoice.received.v1")
    text, (back,) = _round_trip(
        [make_event("tradelane.carrier_invoice.received.v1", data["received_at"])], partner, "210"
    )
    assert "L1*2***3180****FUE" in text and "C3*EUR" in text
    got, src = back.data["invoice"], data["invoice"]
    assert (
        back.data["invoice_id"] == f"swift:{src['invoice_number']}"
    )  # carriers' numbers are unique per carrier
    assert back.data["received_at"] == data["received_at"]
    assert got["invoiced_at"] == "2026-11-19T23:00:00Z"  # B3-06 is a date: midnight in the partner's zone
    assert (got["currency"], got["total"], got["shipment_refs"]) == (
        src["currency"],
        src["total"],
        src["shipment_refs"],
    )
    kinds = [(c["charge_id"], c["kind"], c.get("accessorial"), c["amount"]["amount"]) for c in got["charges"]]
    assert kinds == [
        ("1", "base", None, "212.00"),
        ("2", "accessorial", "fuel", "31.80"),
        ("3", "accessorial", "detention", "45.00"),
    ]
    assert sum(Decimal(c["amount"]["amount"]) for c in got["charges"]) == Decimal(got["total"]["amount"])


def test_945_ship_confirmation(
    partners: PartnerBook, story: Story, make_event: Callable[..., CloudEvent]
) -> None:
    partner = story(partners["reno3pl"])
    original = make_event("tradelane.shipment.shipped.v1", "2026-11-16T15:32:00+01:00")
    text, (back,) = _round_trip([original], partner, "945")
    assert "W06*F*SO0042*20261116*shp_so0042_1" in text and "MAN*GM*008712345000000013" in text
    s, g = original.data["shipment"], back.data["shipment"]
    assert back.data["shipped_at"] == "2026-11-16T14:32:00Z"
    _same(
        g,
        s,
        "shipment_id",
        "reference",
        "order_refs",
        "mode",
        "carrier_id",
        "tracking_number",
        "total_weight",
    )
    assert g["ship_from"]["location_id"] == "loc_dc_rtm"
    line = g["lines"][0]
    assert (line["line_id"], line["sscc"], line["quantity"]) == (
        "1",
        "008712345000000013",
        {"value": "24", "unit": "EA"},
    )
    assert [(lot["lot"], lot["quantity"]["value"]) for lot in line["lots"]] == [
        ("L2026-311", "18"),
        ("L2026-305", "6"),
    ]
    assert [hu["sscc"] for hu in g["handling_units"]] == [hu["sscc"] for hu in s["handling_units"]]


@pytest.mark.parametrize(("partner_id", "doc_type"), [("reno3pl", "856"), ("nw-supplier", "DESADV")])
def test_asn_expected_receipt(
    partner_id: str, doc_type: str, partners: PartnerBook, story: Story, make_event: Callable[..., CloudEvent]
) -> None:
    partner = story(partners[partner_id])
    original = make_event("tradelane.receipt.expected.v1", "2026-11-16T10:00:00Z")
    _, (back,) = _round_trip([original], partner, doc_type)
    r, g = original.data["receipt"], back.data["receipt"]
    _same(g, r, "receipt_id", "reference", "order_ref", "location_id", "supplier_id", "expected_at")
    assert [(line["line_id"], line["product"], line["expected_quantity"]) for line in g["lines"]] == [
        (line["line_id"], line["product"], line["expected_quantity"]) for line in r["lines"]
    ]


def test_iftsta_status(partners: PartnerBook, make_event: Callable[..., CloudEvent]) -> None:
    partner = partners["dhl-freight"]
    data: dict[str, Any] = example("tradelane.shipment.milestone.v1")
    data["event"]["reason"] = "Trailer swapped: 'A+B' ?"  # EDIFACT release characters on the way out
    data["event"]["reason_code"] = "AS1"
    text, (back,) = _round_trip(
        [make_event("tradelane.shipment.milestone.v1", "2026-11-17T21:48:00+01:00", data)], partner, "IFTSTA"
    )
    assert "STS+1+Z05+AS1:::Trailer swapped?: ?'A?+B?' ??'" in text
    event = back.data["event"]
    assert (event["milestone"], event["source_status_code"], event["occurred_at"]) == (
        "departed_terminal",
        "Z05",
        "2026-11-17T20:48:00Z",
    )
    assert event["reason"] == "Trailer swapped: 'A+B' ?"
    assert back.data["carrier_id"] == partner.party_id


def test_several_events_become_several_sets(
    partners: PartnerBook, story: Story, make_event: Callable[..., CloudEvent]
) -> None:
    partner = story(partners["abf"])
    first = make_event("tradelane.shipment.milestone.v1", "2026-11-17T21:48:00+01:00")
    data = example("tradelane.shipment.milestone.v1")
    data["event"] = {"milestone": "delivered", "occurred_at": "2026-11-18T10:52:00+01:00"}
    second = make_event("tradelane.shipment.milestone.v1", "2026-11-18T10:52:00+01:00", data)
    text, back = _round_trip([first, second], partner, "214")
    assert text.count("ST*214*") == 2 and "GE*2*42" in text
    assert [e.data["event"]["milestone"] for e in back] == ["departed_terminal", "delivered"]
    assert back[1].data["event"]["source_status_code"] == "D1"


def test_iftmin_tender_for_an_edifact_carrier(
    partners: PartnerBook, story: Story, make_event: Callable[..., CloudEvent]
) -> None:
    partner = story(partners["maersk"])  # UNOA: names and addresses are folded to ASCII
    original = make_event("tradelane.shipment.tendered.v1", "2026-11-15T07:10:00Z")
    text, (back,) = _round_trip([original], partner, "IFTMIN")
    assert (
        "UNH+M0001+IFTMIN:D:99B:UN'" in text
        and "NAD+CN+CAFE-KLN::92++Cafe Central Koln+Hohe Strasse 118" in text
    )
    src, got = original.data, back.data
    _same(got, src, "shipment_id", "tender_id", "tendered_at")
    assert got["offered_rate"] == {"amount": "212.00", "currency": "EUR"}
    s, g = src["shipment"], got["shipment"]
    _same(g, s, "reference", "order_refs", "total_weight")
    assert g["mode"] == "ltl"  # road (Rec 19 code 3) for an ocean carrier: LTL
    assert g["ship_from"]["location_id"] == "loc_dc_rtm" and g["ship_to"]["address"]["postal_code"] == "50667"
    _same(g["pickup_window"], s["pickup_window"], "start", "end")
    _same(g["delivery_window"], s["delivery_window"], "start", "end")
