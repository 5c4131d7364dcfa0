"""The mapping engine: expressions, code tables, conversions, defaults, cross references, both directions,
and errors that name every problem (path, rule, value)."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from tradelane.core.errors import MappingError
from tradelane.core.examples import example
from tradelane.mapping.engine import format_problems, select_inbound, to_canonical, to_partner
from tradelane.mapping.functions import register_function, registered_functions
from tradelane.mapping.spec import PartnerMapping, parse_mapping
from tradelane.ports.xref import XrefEntry
from tradelane.testing.xref import InMemoryXrefStore

MAPPING = textwrap.dedent(
    """
    partner: acme
    version: 7
    kind: tms
    timezone: Europe/Amsterdam
    tables:
      reasons: {CAP: no capacity, CAPX: no capacity}
      accessorials: {FSC: fuel, DET: detention}
    inbound:
      rejected:
        event: tradelane.shipment.tender_rejected.v1
        match: "kind == 'REJ'"
        id: msgId
        time: {expr: at}
        sequence: {expr: seq, as: integer}
        data:
          shipment_id: {expr: ref, xref: shipment, required: true}
          tender_id: {expr: tender, default: tnd-default}
          carrier_id: {expr: scac, xref: carrier}
          rejected_at: {expr: at, as: datetime}
          reason: {expr: code, table: reasons}
          reason_code: code
      charges:
        event: tradelane.freight.charged.v1
        match: "kind == 'CHG'"
        id: msgId
        data:
          shipment_id: {expr: ref, xref: {kind: shipment, on_missing: keep}}
          charged_at: {expr: at, as: datetime, format: epoch}
          charges:
            each: lines
            fields:
              charge_id: {expr: "concat(root().msgId, '-', n)"}
              kind: {expr: "code == 'LH' && 'base' || 'accessorial'"}
              accessorial: {expr: "code != 'LH' && code || null", table: accessorials}
              amount:
                amount: {expr: amt, as: decimal}
                currency: {expr: parent().currency, default: EUR}
      scans:
        event: tradelane.shipment.milestone.v1
        match: "kind == 'SCAN'"
        foreach: scans
        id: "concat(root().msgId, '/', n)"
        data:
          shipment_id: {expr: root().ref, xref: shipment}
          event:
            milestone: {expr: status, table: "@carrier_status"}
            occurred_at: {expr: at, as: datetime, format: "%d.%m.%Y %H:%M"}
    outbound:
      tender:
        event: tradelane.shipment.tendered.v1
        document:
          ref: {expr: shipment_id, xref: shipment}
          odoo: {expr: shipment_id, xref: {kind: shipment, to: odoo}}
          carrier: {expr: carrier_id, xref: {kind: carrier, on_missing: "null"}}
          respondBy: {expr: respond_by, as: datetime, format: "%Y%m%d%H%M", timezone: America/Chicago}
          respondEpochMs: {expr: respond_by, as: datetime, format: epoch_ms}
          rate: {expr: offered_rate.amount, as: number}
          weightLb: {expr: shipment.total_weight.value, convert: {from: KG, to: LB, round: 1}}
          mode: {const: ROAD}
          units:
            each: shipment.handling_units
            fields:
              id: sscc
              grams: {expr: weight.value, convert: {from_expr: weight.unit, to: G}, as: integer}
    """
)

XREFS = [
    XrefEntry("hub", "acme", "shipment", "SO42-1", "shp_so0042_1", 118),
    XrefEntry("hub", "acme", "carrier", "RHNS", "party_rhenus", 31),
]


@pytest.fixture
def mapping() -> PartnerMapping:
    return parse_mapping(MAPPING)


@pytest.fixture
def xrefs() -> InMemoryXrefStore:
    return InMemoryXrefStore(XREFS)


def _rejected(**changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "kind": "REJ",
        "msgId": "m-1",
        "seq": "4",
        "ref": "SO42-1",
        "tender": "tnd-1",
        "scac": "RHNS",
        "at": "2026-11-15T08:40:00+01:00",
        "code": "cap",
    }
    doc.update(changes)
    return doc


async def test_inbound_maps_validates_and_returns_the_mapping_version(
    mapping: PartnerMapping, xrefs: InMemoryXrefStore
) -> None:
    result = await to_canonical(mapping, _rejected(), xrefs=xrefs, tenant="hub")
    assert result.operation == "rejected"
    assert str(result.mapping) == "acme@7" and len(result.mapping.digest) == 16
    (event,) = result.events
    assert event.type == "tradelane.shipment.tender_rejected.v1"
    assert event.source == "/partners/acme" and event.id == "m-1" and event.sequence == 4
    assert event.time == datetime(2026, 11, 15, 7, 40, tzinfo=UTC)
    assert event.partitionkey == "shp_so0042_1"
    assert event.data.shipment_id == "shp_so0042_1"  # type: ignore[attr-defined]
    assert event.data.carrier_id == "party_rhenus"  # type: ignore[attr-defined]
    assert event.data.reason == "no capacity"  # case-insensitive code table fallback  # type: ignore[attr-defined]
    assert event.data.reason_code == "cap"  # type: ignore[attr-defined]


async def test_default_applies_to_missing_and_blank_values(
    mapping: PartnerMapping, xrefs: InMemoryXrefStore
) -> None:
    result = await to_canonical(mapping, _rejected(tender="  "), xrefs=xrefs, tenant="hub")
    assert result.events[0].data.tender_id == "tnd-default"  # type: ignore[attr-defined]


async def test_every_problem_is_listed_with_path_rule_and_value(
    mapping: PartnerMapping, xrefs: InMemoryXrefStore
) -> None:
    doc = _rejected(ref="UNKNOWN-9", scac="ZZZZ", code="NOPE", at="yesterday", seq="four")
    with pytest.raises(MappingError) as info:
        await to_canonical(mapping, doc, xrefs=xrefs, tenant="hub")
    problems = {(p.path, p.code, p.value) for p in info.value.problems}
    assert problems == {
        ("data.shipment_id", "xref", "UNKNOWN-9"),
        ("data.carrier_id", "xref", "ZZZZ"),
        ("data.reason", "code_table", "NOPE"),
        ("data.rejected_at", "datetime", "yesterday"),
        ("time", "datetime", "yesterday"),
        ("sequence", "type", "four"),
    }
    assert str(info.value).startswith("6 problems mapping rejected with acme@7")
    lines = format_problems(info.value)
    assert any(
        line.startswith("data.reason  [code_table]  value='NOPE'") and "inbound.rejected.data.reason" in line
        for line in lines
    )


async def test_required_and_model_validation_problems_name_their_rule(
    mapping: PartnerMapping, xrefs: InMemoryXrefStore
) -> None:
    doc = _rejected(ref=None)
    doc.pop("tender")
    doc["msgId"] = ""
    with pytest.raises(MappingError) as info:
        await to_canonical(mapping, doc, xrefs=xrefs, tenant="hub")
    by_path = {p.path: p for p in info.value.problems}
    assert by_path["data.shipment_id"].code == "required"
    assert by_path["id"].code == "required"
    # the payload model's own check, traced back to the mapping rule that fed it
    doc = _rejected(code="X" * 200)
    with pytest.raises(MappingError) as info:
        await to_canonical(mapping, doc, xrefs=xrefs, tenant="hub")
    (too_long,) = [p for p in info.value.problems if p.path == "data.reason_code"]
    assert (
        too_long.code == "string_too_long" and "inbound.rejected.data.reason_code `code`" in too_long.message
    )


async def test_each_root_parent_epoch_and_on_missing_keep(
    mapping: PartnerMapping, xrefs: InMemoryXrefStore
) -> None:
    doc = {
        "kind": "CHG",
        "msgId": "c-9",
        "ref": "NOT-MAPPED",
        "at": 1794740400,
        "currency": "USD",
        "lines": [{"n": 1, "code": "LH", "amt": 212.5}, {"n": 2, "code": "FSC", "amt": "27.56"}],
    }
    (event,) = (await to_canonical(mapping, doc, xrefs=xrefs, tenant="hub")).events
    data = event.data
    assert data.shipment_id == "NOT-MAPPED"  # type: ignore[attr-defined]
    assert data.charged_at == datetime(2026, 11, 15, 11, 0, tzinfo=UTC)  # type: ignore[attr-defined]
    first, second = data.charges  # type: ignore[attr-defined]
    assert (first.charge_id, first.kind, first.accessorial) == ("c-9-1", "base", None)
    assert (second.charge_id, second.kind, second.accessorial) == ("c-9-2", "accessorial", "fuel")
    assert second.amount.amount == Decimal("27.56") and second.amount.currency == "USD"


async def test_each_requires_a_list(mapping: PartnerMapping, xrefs: InMemoryXrefStore) -> None:
    doc = {"kind": "CHG", "msgId": "c-9", "ref": "X", "at": 1794740400, "lines": {"n": 1}}
    with pytest.raises(MappingError) as info:
        await to_canonical(mapping, doc, xrefs=xrefs, tenant="hub")
    assert [(p.path, p.code) for p in info.value.problems] == [("data.charges", "each")]


async def test_foreach_yields_one_event_per_element_with_indexed_problem_paths(
    mapping: PartnerMapping, xrefs: InMemoryXrefStore
) -> None:
    doc = {
        "kind": "SCAN",
        "msgId": "s-1",
        "ref": "SO42-1",
        "scans": [
            {"n": 1, "status": "Picked up", "at": "16.11.2026 15:41"},
            {"n": 2, "status": "out-for-delivery", "at": "18.11.2026 07:02"},
        ],
    }
    events = (await to_canonical(mapping, doc, xrefs=xrefs, tenant="hub")).events
    assert [e.id for e in events] == ["s-1/1", "s-1/2"]
    assert [e.data.event.milestone for e in events] == ["picked_up", "out_for_delivery"]  # type: ignore[attr-defined]
    assert events[0].data.event.occurred_at == datetime(2026, 11, 16, 14, 41, tzinfo=UTC)  # type: ignore[attr-defined]
    doc["scans"][1]["status"] = "teleported"  # type: ignore[index]
    with pytest.raises(MappingError) as info:
        await to_canonical(mapping, doc, xrefs=xrefs, tenant="hub")
    assert [(p.path, p.code, p.value) for p in info.value.problems] == [
        ("events[1].data.event.milestone", "code_table", "teleported")
    ]


async def test_naive_datetime_without_timezone_is_a_problem(xrefs: InMemoryXrefStore) -> None:
    text = MAPPING.replace("timezone: Europe/Amsterdam\n", "")
    with pytest.raises(MappingError) as info:
        await to_canonical(
            parse_mapping(text), _rejected(at="2026-11-15T08:40:00"), xrefs=xrefs, tenant="hub"
        )
    assert {(p.path, p.code) for p in info.value.problems} == {
        ("time", "datetime"),
        ("data.rejected_at", "datetime"),
    }
    ok = await to_canonical(
        parse_mapping(MAPPING), _rejected(at="2026-11-15T08:40:00"), xrefs=xrefs, tenant="hub"
    )
    assert ok.events[0].time == datetime(2026, 11, 15, 7, 40, tzinfo=UTC)


def test_operation_selection(mapping: PartnerMapping) -> None:
    assert select_inbound(mapping, {"kind": "CHG"}).name == "charges"
    assert select_inbound(mapping, {"kind": "anything"}, "scans").name == "scans"
    with pytest.raises(MappingError) as none:
        select_inbound(mapping, {"kind": "???"})
    assert (
        none.value.problems[0].code == "operation"
        and "0 inbound operations match" in none.value.problems[0].message
    )
    with pytest.raises(MappingError) as unknown:
        select_inbound(mapping, {}, "nope")
    assert unknown.value.problems[0].value == "nope"


async def test_outbound_reverses_xrefs_formats_and_converts(
    mapping: PartnerMapping, xrefs: InMemoryXrefStore
) -> None:
    data = example("tradelane.shipment.tendered.v1")
    result = await to_partner(
        mapping, data, event_type="tradelane.shipment.tendered.v1", xrefs=xrefs, tenant="hub"
    )
    assert result.operation == "tender" and str(result.mapping) == "acme@7"
    doc = result.document
    assert doc["ref"] == "SO42-1" and doc["odoo"] == 118 and doc["carrier"] == "RHNS"
    assert doc["respondBy"] == "202611150500"  # 11:00 UTC in Chicago
    assert doc["respondEpochMs"] == 1794740400000
    assert doc["rate"] == 212 and doc["mode"] == "ROAD"
    assert doc["weightLb"] == "105.6"  # 47.9 kg
    assert doc["units"] == [
        {"id": "008712345000000013", "grams": 41500},
        {"id": "008712345000000020", "grams": 6400},
    ]


async def test_outbound_validates_the_canonical_payload_first(
    mapping: PartnerMapping, xrefs: InMemoryXrefStore
) -> None:
    data = example("tradelane.shipment.tendered.v1")
    data["tendered_at"] = "2026-11-15T07:10:00"  # naive
    with pytest.raises(MappingError) as info:
        await to_partner(
            mapping, data, event_type="tradelane.shipment.tendered.v1", xrefs=xrefs, tenant="hub"
        )
    assert [(p.path, p.code) for p in info.value.problems] == [("data.tendered_at", "naive_datetime")]
    with pytest.raises(MappingError) as wrong:
        await to_partner(mapping, {}, event_type="tradelane.order.released.v1", xrefs=xrefs, tenant="hub")
    assert wrong.value.problems[0].code == "operation"


async def test_outbound_missing_xref_is_reported(mapping: PartnerMapping) -> None:
    data = example("tradelane.shipment.tendered.v1")
    with pytest.raises(MappingError) as info:
        await to_partner(
            mapping,
            data,
            event_type="tradelane.shipment.tendered.v1",
            xrefs=InMemoryXrefStore(),
            tenant="hub",
        )
    assert {(p.path, p.code, p.value) for p in info.value.problems} == {
        ("document.ref", "xref", "shp_so0042_1"),
        ("document.odoo", "xref", "shp_so0042_1"),
    }  # carrier: on_missing null leaves it out silently


async def test_code_tables_reverse_with_the_first_partner_code(xrefs: InMemoryXrefStore) -> None:
    text = textwrap.dedent(
        """
        partner: p
        version: 1
        tables:
          reasons: {CAP: "no capacity", CAPX: "no capacity", LANE: "lane not served"}
        outbound:
          reject:
            event: tradelane.shipment.tender_rejected.v1
            document: {code: {expr: reason, table: reasons}}
        """
    )
    data = {
        "shipment_id": "s",
        "tender_id": "t",
        "carrier_id": "c",
        "rejected_at": "2026-11-15T08:00:00Z",
        "reason": "no capacity",
    }
    out = await to_partner(
        parse_mapping(text),
        data,
        event_type="tradelane.shipment.tender_rejected.v1",
        xrefs=xrefs,
        tenant="hub",
    )
    assert out.document == {"code": "CAP"}


async def test_custom_functions_can_be_registered(xrefs: InMemoryXrefStore) -> None:
    name = "tl_test_reverse"
    if name not in registered_functions():
        register_function(name, ("string",))(lambda s: s[::-1])
    with pytest.raises(ValueError, match="already exists"):
        register_function("length", ("string",))(len)
    text = textwrap.dedent(
        f"""
        partner: p
        version: 1
        outbound:
          reject:
            event: tradelane.shipment.tender_rejected.v1
            document: {{r: "{name}(tender_id)", u: "upper(carrier_id)", z: "zfill(shipment_id, `6`)"}}
        """
    )
    data = {
        "shipment_id": "42",
        "tender_id": "abc",
        "carrier_id": "rhns",
        "rejected_at": "2026-11-15T08:00:00Z",
    }
    out = await to_partner(
        parse_mapping(text),
        data,
        event_type="tradelane.shipment.tender_rejected.v1",
        xrefs=xrefs,
        tenant="hub",
    )
    assert out.document == {"r": "cba", "u": "RHNS", "z": "000042"}


async def test_expression_runtime_errors_are_problems(xrefs: InMemoryXrefStore) -> None:
    text = textwrap.dedent(
        """
        partner: p
        version: 1
        outbound:
          reject:
            event: tradelane.shipment.tender_rejected.v1
            document: {n: "abs(tender_id)"}
        """
    )
    data = {"shipment_id": "42", "tender_id": "abc", "carrier_id": "c", "rejected_at": "2026-11-15T08:00:00Z"}
    with pytest.raises(MappingError) as info:
        await to_partner(
            parse_mapping(text),
            data,
            event_type="tradelane.shipment.tender_rejected.v1",
            xrefs=xrefs,
            tenant="hub",
        )
    (problem,) = info.value.problems
    assert problem.path == "document.n" and problem.code == "expression" and "abs" in problem.message
