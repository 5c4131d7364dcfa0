"""Pure parts of the business flows: invoice matching with per-carrier tolerance, stock reconciliation, and the
release event the outbound flow derives from an Odoo delivery order."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from tradelane.core import catalog as _catalog  # noqa: F401  (registers the event types)
from tradelane.core.registry import registry
from tradelane.flows.inventory import InventoryConfig, InventoryFlow, reconcile
from tradelane.flows.outbound import OutboundFlow, shipment_id_for
from tradelane.flows.settlement import CarrierTerms, SettlementConfig, match_invoice
from tradelane.ingest.validate import validate_event
from tradelane.ports.flows import QuantRow, ReleaseCandidate, ReleaseLine
from tradelane.routing.ownership import OwnershipMatrix, SystemRef

TERMS = CarrierTerms("V-RH", tolerance_pct=Decimal("2"), tolerance_abs=Decimal("5"))


def _money(v: str) -> dict[str, str]:
    return {"amount": v, "currency": "EUR"}


EXPECTED = {"shp_a": [{"kind": "base", "amount": _money("200.00")},
                      {"kind": "accessorial", "accessorial": "fuel", "amount": _money("26.00")}]}


def _invoice(total: str, refs: tuple[str, ...] = ("shp_a",), fuel: str = "26.00") -> dict[str, Any]:
    return {"invoice_number": "R-1", "carrier_id": "party_rhenus", "shipment_refs": list(refs),
            "total": _money(total), "charges": [{"kind": "base", "amount": _money("200.00")},
                                                {"kind": "accessorial", "accessorial": "fuel", "amount": _money(fuel)}]}


@pytest.mark.parametrize(("total", "status"), [
    ("226.00", "matched"),  # exact
    ("231.00", "matched"),  # +5.00: the absolute tolerance (2 % of 226 is 4.52)
    ("231.01", "mismatch"),
    ("220.99", "mismatch"),
])
def test_tolerance_is_the_larger_of_percent_and_amount(total: str, status: str) -> None:
    assert match_invoice(_invoice(total), EXPECTED, TERMS).status == status


def test_percent_tolerance_wins_on_large_invoices() -> None:
    big = {"shp_a": [{"kind": "base", "amount": _money("1000.00")}]}
    inv = {**_invoice("1019.00"), "charges": [{"kind": "base", "amount": _money("1019.00")}]}
    assert match_invoice(inv, big, TERMS).status == "matched"  # 2 % of 1000 = 20 > 5


def test_mismatch_lists_differences_per_charge_kind() -> None:
    v = match_invoice(_invoice("256.00", fuel="56.00"), EXPECTED, TERMS)
    assert v.status == "mismatch"
    assert v.differences == ("fuel: expected 26.00, invoiced 56.00",
                             "total: expected 226.00, invoiced 256.00, difference +30.00 (tolerance 5.00)")


def test_unknown_shipment_duplicate_and_missing_terms() -> None:
    assert match_invoice(_invoice("226.00", refs=("shp_a", "shp_x")), EXPECTED, TERMS).differences == (
        "shipment shp_x: no expected charges",)
    assert match_invoice(_invoice("226.00"), EXPECTED, TERMS, duplicate_of="inv_1").status == "duplicate"
    assert match_invoice(_invoice("226.00"), EXPECTED, None).status == "no_terms"


def test_settlement_options_are_read_with_defaults() -> None:
    cfg = SettlementConfig.from_options({"carriers": {"party_rhenus": {"vendor_ref": "V-RH"}}}, owner_team="fin")
    terms = cfg.carriers["party_rhenus"]
    assert (terms.vendor_ref, terms.tolerance_pct, terms.tolerance_abs) == ("V-RH", Decimal("1"), Decimal("1.00"))


def test_reconcile_sums_lots_and_reports_only_differences() -> None:
    wms = [QuantRow("A", 5, "L1"), QuantRow("A", 5, "L2"), QuantRow("B", 3), QuantRow("C", 1)]
    odoo = [QuantRow("A", 10), QuantRow("B", 4), QuantRow("D", 2)]
    assert [(d.sku, d.wms, d.odoo, d.delta) for d in reconcile(wms, odoo)] == [
        ("B", 3, 4, -1), ("C", 1, 0, 1), ("D", 0, 2, -2)]


@pytest.mark.parametrize(("fields", "owns"), [
    ({"on_hand": "wms"}, True), ({"on_hand": "acme-wms"}, True), ({"on_hand": "odoo"}, False), ({}, False),
])
def test_only_an_explicit_wms_owner_may_adjust_odoo(fields: dict[str, str], owns: bool) -> None:
    matrix = OwnershipMatrix.from_config({"entities": {"inventory": {"fields": fields}}} if fields else {})
    flow = InventoryFlow(None, None, None, matrix, InventoryConfig(wms=SystemRef("acme-wms", "wms")))  # type: ignore[arg-type]
    assert flow.wms_owns_quantity() is owns


def test_release_event_is_a_valid_canonical_event_named_after_the_odoo_record() -> None:
    flow = OutboundFlow(None, None, None, None, None, None,  # type: ignore[arg-type]
                        clock=lambda: datetime(2026, 11, 22, 8, 0, tzinfo=UTC))
    cand = ReleaseCandidate("S00042", 42, "WH/OUT/00007", 118,
                            (ReleaseLine("1", "TL-1001", 10.0), ReleaseLine("2", "TL-1002", 2.5)),
                            scheduled=datetime(2026, 11, 23, 12, 0, tzinfo=UTC))
    doc = flow.release_event(cand)
    assert doc["id"] == "odoo-release-118" and doc["subject"] == "WH/OUT/00007"
    ev = validate_event(doc, registry)
    assert ev.partitionkey == "ord_s00042"
    assert [(line["product"]["sku"], line["quantity"]["value"]) for line in ev.data["lines"]] == [
        ("TL-1001", "10.0"), ("TL-1002", "2.5")]
    assert shipment_id_for("WH/OUT/00007") == "shp_wh_out_00007"


@pytest.mark.parametrize(("dwell_min", "charge"), [(120, "0"), (119, "0"), (121, "45.00"), (180, "45.00"),
                                                   (181, "90.00")])
def test_detention_is_charged_per_started_hour_beyond_the_free_time(dwell_min: int, charge: str) -> None:
    from datetime import timedelta

    from tradelane.flows.inbound import detention_charge

    got = detention_charge(timedelta(minutes=dwell_min), timedelta(hours=2), Decimal("45.00"))
    assert got == Decimal(charge)


def test_a_flow_endpoint_must_name_a_flow_of_the_catalogue(tmp_path: Any) -> None:
    from tradelane.core.errors import ConfigError
    from tradelane.settings import load_settings

    cfg = tmp_path / "hub.yaml"
    cfg.write_text("flows:\n  outbound: {owner_team: logistics}\nendpoints:\n  x: {kind: flow, flow: inbound}\n")
    with pytest.raises(ConfigError) as info:
        load_settings(cfg)
    assert info.value.key == "endpoints.x.flow" and info.value.line == 4
    cfg.write_text("endpoints:\n  x: {kind: flow}\n")
    with pytest.raises(ConfigError, match="a flow endpoint needs flow"):
        load_settings(cfg)


@pytest.mark.parametrize("name", ["WH/OUT/00007", "CHIC1/IN/00012", "WH/OUT/00007-B", "My Co: Ret/1"])
def test_the_connector_finds_pickings_by_the_flows_canonical_shipment_id(name: str) -> None:
    """The Odoo mirror resolves an SLA timer's shipment id to its picking with the connector's slug rule, which
    must be the one the outbound flow builds the id with."""
    from tradelane.connectors.odoo.traceability import picking_slug

    assert shipment_id_for(name) == f"shp_{picking_slug(name)}"


def test_a_return_made_in_odoo_becomes_a_valid_return_request() -> None:
    """The capture's ``return.requested`` for an Odoo return picking is a valid canonical event, with an id
    derived from the picking (capturing it again is a duplicate), whatever Odoo leaves empty."""
    from dataclasses import dataclass

    from tradelane.flows.returns import ODOO_RETURN_PREFIX, ReturnsFlow

    @dataclass(frozen=True)
    class Made:
        picking_id: int = 41
        picking_ref: str = "WH/IN/00012"
        delivery_ref: str = "WH/OUT/00007"
        order_ref: str | None = "S00042"
        partner_id: int | None = 9
        partner_ref: str | None = None
        created_at: datetime | None = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
        lines: tuple[tuple[str, float], ...] = (("TL-1001", 2.0), ("TL-1002", 1500000.0))

    flow = ReturnsFlow(desk=None, sink=None, exceptions=None, notes=None,  # type: ignore[arg-type]
                       clock=lambda: datetime(2026, 12, 2, tzinfo=UTC))
    doc = flow.request_for(Made())
    assert doc["id"] == "odoo-return-41" and doc == flow.request_for(Made())
    rma = doc["data"]["rma"]
    assert rma["return_id"] == f"{ODOO_RETURN_PREFIX}wh_in_00012" and rma["rma_number"] == "WH/IN/00012"
    assert rma["customer_id"] == "odoo_res_partner_9" and rma["requested_at"] == "2026-12-01T09:30:00Z"
    assert [(line["product"]["sku"], line["quantity"]["value"]) for line in rma["lines"]] == [
        ("TL-1001", "2"), ("TL-1002", "1500000")]
    validate_event(doc, registry)
    bare = flow.request_for(Made(order_ref=None, partner_id=None, created_at=None))
    assert "order_ref" not in bare["data"]["rma"] and "correlationid" not in bare
    validate_event(bare, registry)
