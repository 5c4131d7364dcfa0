"""EDI 210 as a settlement source: a carrier's X12 210 freight invoice uploaded over
``POST /v1/edi/{partner}/interchanges`` becomes ``tradelane.carrier_invoice.received.v1`` and the settlement batch
matches it to the shipment's confirmed charges like an API invoice: a vendor bill posted in the Odoo emulator,
once; a 210 over tolerance opens an ``invoice_mismatch`` exception listing the differences.

Runs on the Odoo emulator, or on a real Odoo 17 when ``TRADELANE_ODOO_URL`` (+ ``_DB``, ``_USER``,
``_PASSWORD``) is set: the carrier's vendor record is the run's own (``ref`` under a per-run prefix)."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
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
from tradelane.security.keyring import create_api_key
from tradelane.settings import load_settings
from tradelane.testing.odoo import OdooEmulator


def _carriers(prefix: str) -> dict[str, dict[str, Any]]:
    """The built-in sample EDI partner "swift" (Swift Transportation, 210 in over X12 4010) and its terms."""
    return {"party_swift": {"vendor_ref": f"{prefix}-V-SWIFT", "tolerance_pct": 1, "tolerance_abs": 2,
                            "service_product": "FRT-ROAD"}}


def x12_210(control: int, invoice_number: str, shipment_id: str, lines: list[tuple[str, str, str | None]],
            total_cents: int) -> bytes:
    """A 210 from Swift to the hub: B3-03 carries our shipment id (the 204 we sent put it there), one LX/L5/L1
    per charge ``(description, amount in cents, element 150 code or None for the line haul)``."""
    isa = (f"ISA*00*{'':10}*00*{'':10}*02*{'SWIFTTRANS':<15}*ZZ*{'TRADELANEHUB':<15}*261120*0600*U*00401*"
           f"{control:09d}*0*P*>~")
    body = [f"B3**{invoice_number}*{shipment_id}*PP**20261120*{total_cents}**20261119*035*SWFT", "C3*EUR"]
    for n, (text, cents, code) in enumerate(lines, start=1):
        body += [f"LX*{n}", f"L5*{n}*{text}",
                 f"L1*{n}*{cents}*FR*{cents}" if code is None else f"L1*{n}***{cents}****{code}"]
    body.append(f"L3*1200*G***{total_cents}")
    segments = ["ST*210*0001", *body, f"SE*{len(body) + 2}*0001"]
    return "\n".join([isa, f"GS*IM*SWFT*TRADELANEHUB*20261120*0600*{control}*X*004010~",
                      *(s + "~" for s in segments), f"GE*1*{control}~", f"IEA*1*{control:09d}~"]).encode()


def _charged(shipment: str, charges: list[tuple[str, str, str | None]]) -> dict[str, Any]:
    return {"specversion": "1.0", "id": f"charges-{shipment}", "source": "urn:test:tms",
            "type": "tradelane.freight.charged.v1",
            "data": {"shipment_id": shipment, "charged_at": "2026-11-19T10:00:00Z", "charges": [
                {"charge_id": f"{shipment}-{i}", "kind": "accessorial" if acc else "base",
                 **({"accessorial": acc} if acc else {}), "amount": {"amount": amount, "currency": "EUR"}}
                for i, (_, amount, acc) in enumerate(charges, start=1)]}}


@pytest.fixture
async def odoo(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[tuple[OdooClient, str]]:
    """The Odoo (the emulator, or the real one of ``TRADELANE_ODOO_URL``) with the run's Swift vendor and the
    freight service product; yields the client and the run's prefix."""
    prefix = f"EDI{uuid.uuid4().hex[:8].upper()}"
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
        await upsert_partners(client, [PartnerData(f"{prefix}-V-SWIFT", "Swift Transportation")])
        await upsert_products(client, [ProductData("FRT-ROAD", "Road freight", kind="service")])
        yield client, prefix
        await client.close()
    finally:
        if emu is not None:
            emu.__exit__(None, None, None)


async def test_edi_210_is_settled_into_a_vendor_bill(
    odoo: tuple[OdooClient, str], hub_server: Any, tmp_path: Path, db_url: str
) -> None:
    client, prefix = odoo
    settings = load_settings(None, data_dir=tmp_path / "data", database={"url": db_url}, flows={"settlement": {
        "description": "carrier invoices ↔ expected charges → vendor bills", "mode": "batch", "cron": "0 2 * * *",
        "owner_team": "finance", "options": {"carriers": _carriers(prefix)}}})
    running = hub_server(settings)
    secret = settings.resolved_secret_key()
    key, _ = running.call(create_api_key(running.hub.store, secret, name="swift", tenant="hub",
                                         scopes=("events:write", "events:read")))
    admin, _ = running.call(create_api_key(running.hub.store, secret, name="a", tenant=None, scopes=("admin",)))
    with httpx2.Client(base_url=running.base_url, headers={"Authorization": f"Bearer {key}"}, timeout=30) as http:
        res = http.post("/v1/events/batch", json=[
            _charged("shp_tl_1", [("linehaul", "1850.00", None), ("fuel", "245.00", "fuel")]),
            _charged("shp_tl_2", [("linehaul", "900.00", None)]),
        ])
        assert res.status_code == 201, res.text
        uploads = [
            # as charged: 1850.00 + 245.00
            x12_210(9101, "SW-7001", "shp_tl_1", [("LINEHAUL", "185000", None), ("FUEL SURCHARGE", "24500", "FUE")],
                    209500),
            # a detention charge nobody confirmed: 900.00 + 150.00, over the 2 EUR / 1 % tolerance
            x12_210(9102, "SW-7002", "shp_tl_2", [("LINEHAUL", "90000", None), ("DETENTION", "15000", "DET")],
                    105000),
        ]
        hub_ids = []
        for data in uploads:
            r = http.post("/v1/edi/swift/interchanges", content=data, headers={"Content-Type": "application/edi-x12"})
            assert r.status_code == 200, r.text
            assert r.json()["status"] == "accepted" and r.json()["events"] == 1
            hub_ids += r.json()["hubids"]
        stored = [http.get(f"/v1/events/{h}").json() for h in hub_ids]
    assert [e["type"] for e in stored] == ["tradelane.carrier_invoice.received.v1"] * 2
    assert stored[0]["source"] == "/partners/swift/edi"
    assert stored[0]["data"]["invoice"]["shipment_refs"] == ["shp_tl_1"]

    scheduler = running.hub.flows.scheduler
    status, first = running.call(scheduler.run_now("settlement"))
    assert status == "done" and first is not None
    assert (first["invoices"], first["matched"], first["mismatch"], first["bills_posted"]) == (2, 1, 1, 1)
    status, again = running.call(scheduler.run_now("settlement"))
    assert status == "done" and again is not None and again["bills_posted"] == 0  # never posted twice

    bills = await client.search_read("account.move", [("move_type", "=", "in_invoice"),
                                                      ("partner_id.ref", "=like", f"{prefix}-%")],
                                     ["ref", "state", "amount_untaxed", "partner_id"])
    assert [(b["ref"], b["partner_id"][1], b["state"], b["amount_untaxed"]) for b in bills] == [
        ("SW-7001", "Swift Transportation", "posted", 2095.0)]
    lines = await client.search_read("account.move.line", [("move_id", "=", bills[0]["id"]),
                                                         ("display_type", "=", "product")], ["price_unit", "name"])
    assert sorted(line["price_unit"] for line in lines) == [245.0, 1850.0]

    with httpx2.Client(base_url=running.base_url, headers={"Authorization": f"Bearer {admin}"}) as http:
        opened = http.get("/v1/exceptions", params={"flow": "settlement", "status": "open"}).json()["exceptions"]
        runs = {f["name"]: f for f in http.get("/v1/flows").json()["flows"]}
    [mismatch] = opened
    assert mismatch["type"] == "invoice_mismatch" and mismatch["entity"] == "carrier_invoice/SW-7002"
    assert "detention: expected 0.00, invoiced 150.00" in mismatch["detail"]
    assert "total: expected 900.00, invoiced 1050.00, difference +150.00" in mismatch["detail"]
    # the run was recorded like a scheduled one (what the control tower's "freight not posted" card reads)
    assert runs["settlement"]["last_run"]["status"] == "done"
    assert runs["settlement"]["last_run"]["detail"]["bills_posted"] == 0
