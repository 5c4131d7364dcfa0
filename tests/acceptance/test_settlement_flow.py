"""Freight settlement as a scheduled batch in a running hub: carrier invoices arriving over the API are matched
to the charges the TMS confirmed, with per-carrier tolerance; a matched one becomes a posted vendor bill in the
Odoo emulator, once however often the batch runs; a mismatch, an unknown shipment and a reused invoice number
each open one exception listing the differences.

Runs on the Odoo emulator, or on a real Odoo 17 when ``TRADELANE_ODOO_URL`` (+ ``_DB``, ``_USER``,
``_PASSWORD``) is set: the test creates its own carrier vendors under a per-run prefix (their ``ref``), so
invoice numbers repeat from run to run without meeting an earlier run's bills."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx2
import pytest

from tradelane.connectors.odoo import (
    OdooClient,
    OdooSettings,
    PartnerData,
    ProductData,
    upsert_partners,
    upsert_products,
)
from tradelane.flows import BatchScheduler
from tradelane.security.keyring import create_api_key
from tradelane.settings import load_settings
from tradelane.testing.odoo import OdooEmulator


def _carriers(prefix: str) -> dict[str, dict[str, Any]]:
    """Rhenus: 2 % or 5 EUR, whichever is more; DHL: to the cent (vendors ``<prefix>-V-RHENUS``, ``-V-DHL``)."""
    return {
        "party_rhenus": {"vendor_ref": f"{prefix}-V-RHENUS", "tolerance_pct": 2, "tolerance_abs": 5,
                         "service_product": "FRT-ROAD"},
        "party_dhl": {"vendor_ref": f"{prefix}-V-DHL", "tolerance_pct": 0, "tolerance_abs": 0.01,
                      "service_product": "FRT-ROAD"},
    }


def _charge(cid: str, kind: str, amount: str, accessorial: str | None = None, shipment: str | None = None
            ) -> dict[str, Any]:
    out: dict[str, Any] = {"charge_id": cid, "kind": kind, "amount": {"amount": amount, "currency": "EUR"}}
    if accessorial:
        out["accessorial"] = accessorial
    if shipment:
        out["shipment_id"] = shipment
    return out


def _charged(shipment: str, charges: list[dict[str, Any]]) -> dict[str, Any]:
    return {"specversion": "1.0", "id": f"charges-{shipment}", "source": "urn:test:tms",
            "type": "tradelane.freight.charged.v1",
            "data": {"shipment_id": shipment, "charged_at": "2026-11-20T10:00:00Z", "charges": charges}}


def _invoice(event_id: str, number: str, carrier: str, shipments: list[str], charges: list[dict[str, Any]],
             total: str) -> dict[str, Any]:
    return {"specversion": "1.0", "id": event_id, "source": "urn:test:carrier-billing",
            "type": "tradelane.carrier_invoice.received.v1",
            "data": {"invoice_id": f"inv_{event_id}", "received_at": "2026-11-21T06:00:00Z", "invoice": {
                "invoice_number": number, "carrier_id": carrier, "invoiced_at": "2026-11-21T00:00:00Z",
                "shipment_refs": shipments, "currency": "EUR", "charges": charges,
                "total": {"amount": total, "currency": "EUR"}}}}


@pytest.fixture
async def odoo(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[tuple[OdooClient, str]]:
    """The Odoo (the emulator, or the real one of ``TRADELANE_ODOO_URL``) with the run's carrier vendors and
    the freight service product; yields the client and the run's prefix."""
    prefix = f"ST{uuid.uuid4().hex[:8].upper()}"
    emu = None
    if not os.environ.get("TRADELANE_ODOO_URL"):
        emu = OdooEmulator().__enter__()
        for k, v in {"TRADELANE_ODOO_URL": emu.url, "TRADELANE_ODOO_DB": emu.db, "TRADELANE_ODOO_USER": "admin",
                     "TRADELANE_ODOO_PASSWORD": "admin"}.items():
            monkeypatch.setenv(k, v)
    try:
        client = await OdooClient(OdooSettings(
            url=os.environ["TRADELANE_ODOO_URL"], db=os.environ.get("TRADELANE_ODOO_DB", ""),
            user=os.environ.get("TRADELANE_ODOO_USER", "admin"),
            password=os.environ.get("TRADELANE_ODOO_PASSWORD", ""))).connect()
        await upsert_partners(client, [PartnerData(f"{prefix}-V-RHENUS", "Rhenus Road Freight"),
                                       PartnerData(f"{prefix}-V-DHL", "DHL Freight")])
        await upsert_products(client, [ProductData("FRT-ROAD", "Road freight", kind="service")])
        yield client, prefix
        await client.close()
    finally:
        if emu is not None:
            emu.__exit__(None, None, None)


async def test_settlement_posts_matched_bills_once_and_reports_the_rest(
    odoo: tuple[OdooClient, str], hub_server: Any, tmp_path: Path, db_url: str
) -> None:
    client, prefix = odoo
    settings = load_settings(None, data_dir=tmp_path / "data", database={"url": db_url}, flows={"settlement": {
        "description": "carrier invoices ↔ expected charges → vendor bills", "mode": "batch", "cron": "0 2 * * *",
        "owner_team": "finance", "options": {"carriers": _carriers(prefix)}}})
    running = hub_server(settings)
    key, _ = running.call(create_api_key(running.hub.store, settings.resolved_secret_key(), name="t", tenant="hub",
                                         scopes=("events:write", "events:read")))
    admin, _ = running.call(create_api_key(running.hub.store, settings.resolved_secret_key(), name="a", tenant=None,
                                           scopes=("admin",)))
    events = [
        _charged("shp_a", [_charge("a-1", "base", "200.00"), _charge("a-2", "accessorial", "26.00", "fuel"),
                           _charge("a-3", "accessorial", "35.00", "liftgate")]),
        _charged("shp_b", [_charge("b-1", "base", "150.00"), _charge("b-2", "accessorial", "19.50", "fuel")]),
        _charged("shp_c", [_charge("c-1", "base", "80.00")]),
        # within Rhenus' tolerance (262.40 vs 261.00 expected)
        _invoice("i1", "R-1001", "party_rhenus", ["shp_a"],
                 [_charge("1", "base", "200.00"), _charge("2", "accessorial", "27.40", "fuel"),
                  _charge("3", "accessorial", "35.00", "liftgate")], "262.40"),
        # the same invoice sent again under another id: settled with the first, nothing new
        _invoice("i1-again", "R-1001", "party_rhenus", ["shp_a"],
                 [_charge("1", "base", "200.00"), _charge("2", "accessorial", "27.40", "fuel"),
                  _charge("3", "accessorial", "35.00", "liftgate")], "262.40"),
        # fuel billed at 49.50 instead of 19.50: over tolerance
        _invoice("i2", "R-1002", "party_rhenus", ["shp_b"],
                 [_charge("1", "base", "150.00"), _charge("2", "accessorial", "49.50", "fuel")], "199.50"),
        # a shipment we never had charges for
        _invoice("i3", "R-1003", "party_rhenus", ["shp_zz"], [_charge("1", "base", "99.00")], "99.00"),
        # DHL reuses R-1001's number? no — DHL numbers are its own: a different carrier, matched to the cent
        _invoice("i4", "R-1001", "party_dhl", ["shp_c"], [_charge("1", "base", "80.00")], "80.00"),
        # Rhenus reuses invoice number R-1001 for a different invoice
        _invoice("i5", "R-1001", "party_rhenus", ["shp_c"], [_charge("1", "base", "80.00")], "80.00"),
    ]
    with httpx2.Client(base_url=running.base_url, headers={"Authorization": f"Bearer {key}"}) as http:
        res = http.post("/v1/events/batch", json=events)
        assert res.status_code == 201, res.text

    # the scheduler runs the batch once per fire time, whichever hub gets there first
    flows = running.hub.flows
    fire = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)
    now = [fire - timedelta(minutes=1)]
    job = {"settlement": running.hub.business.settlement.run}
    first = BatchScheduler(flows.store, flows.flows, job, owner="hub-a", clock=lambda: now[0])
    second = BatchScheduler(flows.store, flows.flows, job, owner="hub-b", clock=lambda: now[0])
    assert running.call(first.run_due()) == [] and running.call(second.run_due()) == []  # not yet 02:00
    now[0] = fire + timedelta(seconds=1)
    assert running.call(first.run_due()) == [("settlement", fire, "done")]
    assert running.call(second.run_due()) == [("settlement", fire, "taken")]
    # and a later run (a replay, the next night) finds everything settled or already reported
    again = running.call(running.hub.business.settlement.run("settlement", fire + timedelta(days=1)))
    assert again["bills_posted"] == 0 and again["matched"] == 2

    bills = await client.search_read("account.move", [("move_type", "=", "in_invoice"),
                                                      ("partner_id.ref", "=like", f"{prefix}-%")],
                                     ["ref", "state", "amount_untaxed", "partner_id"], order="id")
    assert sorted((b["ref"], b["partner_id"][1], b["state"], b["amount_untaxed"]) for b in bills) == [
        ("R-1001", "DHL Freight", "posted", 80.0), ("R-1001", "Rhenus Road Freight", "posted", 262.4)]

    with httpx2.Client(base_url=running.base_url, headers={"Authorization": f"Bearer {admin}"}) as http:
        opened = http.get("/v1/exceptions", params={"flow": "settlement", "status": "open"}).json()["exceptions"]
        runs = {f["name"]: f for f in http.get("/v1/flows").json()["flows"]}
    by_type = {e["type"]: e for e in opened}
    assert sorted(by_type) == ["invoice_duplicate", "invoice_mismatch", "invoice_unknown_shipment"]
    assert len(opened) == 3  # the second run opened nothing new
    mismatch = by_type["invoice_mismatch"]
    assert mismatch["entity"] == "carrier_invoice/R-1002" and mismatch["owner_team"] == "finance"
    assert "fuel: expected 19.50, invoiced 49.50" in mismatch["detail"]
    assert "total: expected 169.50, invoiced 199.50, difference +30.00" in mismatch["detail"]
    assert "shipment shp_zz: no expected charges" in by_type["invoice_unknown_shipment"]["detail"]
    assert "invoice number R-1001 was already received as inv_i1" in by_type["invoice_duplicate"]["detail"]
    last = runs["settlement"]["last_run"]
    assert last["status"] == "done" and last["detail"]["bills_posted"] == 2 and last["detail"]["matched"] == 2
