"""Partner sample files → canonical events: what each set maps to, time zones, and idempotent event ids."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from cloudevents.core.formats.json import JSONFormat

from tradelane.core.envelope import CloudEvent
from tradelane.core.registry import registry
from tradelane.edi.partners import PartnerBook
from tradelane.edi.service import UploadResult, UploadStatus, handle_upload


def _upload(partners: PartnerBook, partner: str, path: Path) -> UploadResult:
    result = handle_upload(partners[partner], path.read_bytes(), file_name=path.name)
    assert result.status is UploadStatus.ACCEPTED, [p.describe() for p in result.problems]
    return result


def _data(result: UploadResult) -> list[dict[str, Any]]:
    return [e.data for e in result.events]


def test_214_maps_each_at7_to_a_milestone_in_the_right_zone(partners: PartnerBook, samples: Any) -> None:
    result = _upload(partners, "abf", samples.x12 / "214_4010_crlf.x12")
    data = _data(result)
    assert [d["event"]["milestone"] for d in data] == ["arrived_at_pickup", "departed", "delivered"]
    assert [d["shipment_id"] for d in data] == ["SHP20231105A", "SHP20231105A", "SHP20231105B"]
    assert data[0]["tracking_number"] == "PRO884422" and data[0]["carrier_id"] == "party_abf"
    # AT7-07 "ET" in November is EST (UTC-5), "CT" is CST (UTC-6)
    assert data[0]["event"]["occurred_at"] == "2023-11-06T13:15:00Z"
    assert data[2]["event"]["occurred_at"] == "2023-11-07T21:30:00Z"
    assert data[2]["event"]["reason"] == "DELIVERED TO DOCK 4"
    assert {e.type for e in result.events} == {"tradelane.shipment.milestone.v1"}
    assert result.events[0].time == datetime(2023, 11, 6, 13, 15, tzinfo=UTC)


def test_990_accept_and_decline(partners: PartnerBook, samples: Any) -> None:
    result = _upload(partners, "swift", samples.x12 / "990_4010.x12")
    booked, rejected = result.events
    assert booked.type == "tradelane.shipment.booked.v1"
    assert booked.data["shipment_id"] == "LD-2023-11-0042" and booked.data["tracking_number"] == "884500122"
    assert rejected.type == "tradelane.shipment.tender_rejected.v1"
    assert rejected.data["reason"] == "NO CAPACITY ON LANE"
    # B1-03 carries only the date; the time is the group's GS05 in the partner's zone (Los Angeles)
    assert booked.data["booked_at"] == "2023-11-07T17:44:00Z"


def test_210_becomes_a_carrier_invoice_with_base_and_fuel(partners: PartnerBook, samples: Any) -> None:
    (event,) = _upload(partners, "swift", samples.x12 / "210_4010.x12").events
    invoice = event.data["invoice"]
    assert event.type == "tradelane.carrier_invoice.received.v1"
    assert event.data["invoice_id"] == "swift:INV-556102"
    assert invoice["shipment_refs"] == ["LD-2023-11-0042", "BOL778812"]
    assert [(c["kind"], c.get("accessorial"), c["amount"]["amount"]) for c in invoice["charges"]] == [
        ("base", None, "1850.00"),
        ("accessorial", "fuel", "24.50"),
    ]
    assert invoice["total"] == {"amount": "1874.50", "currency": "USD"}


def test_945_becomes_a_ship_confirmation(partners: PartnerBook, samples: Any) -> None:
    (event,) = _upload(partners, "reno3pl", samples.x12 / "945_5010.x12").events
    shipment = event.data["shipment"]
    assert event.type == "tradelane.shipment.shipped.v1"
    assert event.data["shipped_at"] == "2023-11-09T23:45:00Z"  # G62*11 15:45 Los Angeles
    assert shipment["order_refs"] == ["SO-88120"] and shipment["tracking_number"] == "BOL778812"
    assert shipment["carrier_id"] == "party_abf"  # W27-02 SCAC through the partner's parties table
    assert shipment["ship_from"]["location_id"] == "loc_dc_reno"  # no N1*SF: the partner's own site
    lines = shipment["lines"]
    assert [(ln["product"]["sku"], ln["quantity"]) for ln in lines] == [
        ("SKU-1001", {"value": "12", "unit": "CS"}),
        ("SKU-2040", {"value": "3", "unit": "CS"}),  # W12-03 shipped, not W12-02 ordered
    ]
    assert lines[0]["lots"][0]["lot"] == "LOT2023-41"
    assert shipment["total_weight"] == {"value": "166", "unit": "LB"}


def test_856_becomes_an_expected_receipt(partners: PartnerBook, samples: Any) -> None:
    (event,) = _upload(partners, "reno3pl", samples.x12 / "856_4010.x12").events
    receipt = event.data["receipt"]
    assert event.type == "tradelane.receipt.expected.v1"
    assert receipt["order_ref"] == "PO-4410" and receipt["reference"] == "ASN-20231109-01"
    assert receipt["location_id"] == "loc_northwind_42"
    first, second = receipt["lines"]
    assert first["product"] == {
        "sku": "SKU-1001",
        "name": "ORGANIC COFFEE BEANS 12X1KG",
        "gtin": "012345678905",
    }
    assert second["expected_quantity"] == {"value": "3", "unit": "CS"}


def test_iftsta_with_release_characters(partners: PartnerBook, samples: Any) -> None:
    result = _upload(partners, "dhl-freight", samples.edifact / "iftsta_d01b_release_chars.edi")
    first, second = _data(result)
    assert (
        first["event"]["milestone"] == "arrived_at_terminal" and second["event"]["milestone"] == "delivered"
    )
    assert first["event"]["reason"] == "ARRIVED: UNLOADED + CHECKED"  # ?: and ?+ released
    assert first["event"]["occurred_at"] == "2023-11-06T09:42:00Z"  # DTM 203 in Berlin time
    assert (first["shipment_id"], first["tracking_number"]) == ("SHP-884422", "884422")
    assert result.ack_kind == "CONTRL"


def test_desadv_group_gives_one_receipt_per_message(partners: PartnerBook, samples: Any) -> None:
    result = _upload(partners, "nw-supplier", samples.edifact / "desadv_d96a_groups.edi")
    first, second = _data(result)
    assert [d["receipt"]["reference"] for d in (first, second)] == ["ASN-20231109-01", "ASN-20231109-02"]
    assert first["receipt"]["supplier_id"] == "party_nw_supplier"
    assert first["receipt"]["location_id"] == "loc_dc_reno"  # NAD+DP GLN through the partner's table
    assert first["receipt"]["lines"][0]["product"] == {"sku": "SKU-1001", "gtin": "5412345000105"}
    assert second["receipt"]["lines"][0]["expected_quantity"] == {"value": "6", "unit": "EA"}


def test_acks_and_acknowledgments_emit_nothing(partners: PartnerBook, samples: Any) -> None:
    result = _upload(partners, "swift", samples.x12 / "997_4010.x12")
    assert result.events == () and result.ack is None  # an acknowledgment is never acknowledged
    assert [s.set_id for s in result.sets] == ["997"]


def test_event_ids_are_derived_from_the_interchange(partners: PartnerBook, samples: Any) -> None:
    path = samples.x12 / "214_4010_crlf.x12"
    first = handle_upload(partners["abf"], path.read_bytes())
    again = handle_upload(partners["abf"], path.read_bytes())
    assert [e.id for e in first.events] == [e.id for e in again.events]
    assert len({e.id for e in first.events}) == 3
    other = handle_upload(partners["abf"], path.read_bytes().replace(b"000004711", b"000004712"))
    assert not {e.id for e in first.events} & {e.id for e in other.events}
    assert {e.correlationid for e in first.events} == {"edi:abf:000004711"}
    assert all(e.idempotencykey == e.id and e.source == "/partners/abf/edi" for e in first.events)
    assert [e.partitionkey for e in first.events] == ["SHP20231105A", "SHP20231105A", "SHP20231105B"]


@pytest.mark.parametrize(
    ("partner", "name"),
    [
        ("abf", "x12/214_4010_crlf.x12"),
        ("swift", "x12/990_4010.x12"),
        ("swift", "x12/210_4010.x12"),
        ("reno3pl", "x12/945_5010.x12"),
        ("reno3pl", "x12/856_4010.x12"),
        ("dhl-freight", "edifact/iftsta_d01b_release_chars.edi"),
        ("nw-supplier", "edifact/desadv_d96a_groups.edi"),
    ],
)
def test_every_event_validates_and_conforms(
    partners: PartnerBook, samples: Any, partner: str, name: str
) -> None:
    folder, file = name.split("/")
    result = _upload(partners, partner, getattr(samples, folder) / file)
    assert result.events
    for event in result.events:
        typed = registry.typed_envelope(event.type)
        assert typed is not None
        typed.model_validate(event.to_wire())  # data validates against the registered payload model
        sdk = JSONFormat().read(None, orjson.dumps(event.to_wire()))
        assert (sdk.get_id(), sdk.get_type(), sdk.get_source()) == (event.id, event.type, event.source)
        assert CloudEvent.model_validate(event.to_wire()) == event


def test_214_5010_quirks_gps_eta_local_time_and_delay_reason(partners: PartnerBook, samples: Any) -> None:
    result = _upload(partners, "abf", samples.x12 / "214_5010_gps_eta_test.x12")
    moving, eta, delay = (e.data["event"] for e in result.events)
    # HHMMSS time with code LT: the partner's zone (New York, EST in November)
    assert moving["occurred_at"] == "2023-11-08T14:30:00Z"
    # MS1-04/05 DDDMMSS with W/N directions
    assert moving["position"] == {"lat": 33.958333, "lon": -84.255556}
    # AG carries the estimate in AT7; the report itself is dated by the group (GS04/05)
    assert (eta["milestone"], eta["estimated_delivery_at"], eta["occurred_at"]) == (
        "eta_changed",
        "2023-11-09T19:00:00Z",
        "2023-11-09T03:31:00Z",
    )
    assert (delay["milestone"], delay["reason_code"]) == ("delayed", "AJ")
    assert delay["reason"] == "ROAD CLOSURE I-75 NB DETOUR VIA US-27"  # both K1 elements


def test_test_interchanges_are_flagged(partners: PartnerBook, samples: Any) -> None:
    result = _upload(partners, "abf", samples.x12 / "214_5010_gps_eta_test.x12")
    assert result.test and "(TEST interchange)" in result.report()
    assert not _upload(partners, "abf", samples.x12 / "214_4010_crlf.x12").test
