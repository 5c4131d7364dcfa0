"""The inbound and yard flow end to end in a running hub: a purchase order confirmed in the Odoo emulator is found
by change capture; its receipt is expected and a dock appointment booked at the yard simulator, whose signed
callbacks (confirmation, gate-in, door, unloading, gate-out) arrive on the native hook and are noted on the
receipt in Odoo; the WMS's receiving confirmation (a canonical event over the API) validates the receipt with
its lots and a backorder for what is missing, and the shortage becomes an exception mirrored to Odoo as an
activity — never a silent overwrite; the trailer's dwell beyond the free time becomes a detention charge.

Runs on the Odoo emulator, or on a real Odoo 17 when ``TRADELANE_ODOO_URL`` (+ ``_DB``, ``_USER``,
``_PASSWORD``) is set: the test creates its own vendor, ASN reference and lot under a per-run prefix.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx2
import pytest

from tradelane.connectors.odoo import OdooClient, OdooSettings, PartnerData, upsert_partners
from tradelane.security.keyring import create_api_key
from tradelane.settings import load_settings
from tradelane.store.xref import SqlXrefStore
from tradelane.testing.flows import FlowRig, eventually


@pytest.fixture
async def rig(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FlowRig]:
    r = await FlowRig(yard_minutes_per_step=50).start()  # gate-in to gate-out: 3 steps = 150 min on site
    for k, v in r.env().items():
        monkeypatch.setenv(k, v)
    yield r
    await r.stop()


@pytest.fixture
async def odoo(rig: FlowRig) -> AsyncIterator[OdooClient]:
    c = rig.odoo_connection()  # the emulator, or the real Odoo of TRADELANE_ODOO_URL
    client = await OdooClient(OdooSettings(url=c["url"], db=c["db"], user=c["user"], password=c["password"])).connect()
    yield client
    await client.close()


async def _purchase(odoo: OdooClient, prefix: str, lines: list[tuple[str, float]]) -> tuple[str, dict[str, Any]]:
    # the run's own vendor (never a demo id)
    [vendor_row] = await upsert_partners(odoo, [PartnerData(f"{prefix}-VENDOR", f"{prefix} Cable Supplies")])
    vendor = vendor_row.id
    products = {r["default_code"]: r["id"] for r in await odoo.search_read(
        "product.product", [("default_code", "in", [sku for sku, _ in lines])], ["default_code"])}
    [po] = await odoo.create("purchase.order", [{"partner_id": vendor, "partner_ref": f"ASN-{prefix}", "order_line": [
        (0, 0, {"product_id": products[sku], "product_qty": qty, "price_unit": 7.0,
                "date_planned": "2026-12-01 08:00:00"}) for sku, qty in lines]}])
    await odoo.call("purchase.order", "button_confirm", [po])
    [row] = await odoo.read("purchase.order", [po], ["name"])
    [receipt] = await odoo.search_read("stock.picking", [("origin", "=", row["name"]),
                                                         ("picking_type_code", "=", "incoming")], ["name"])
    return str(row["name"]), receipt


def _completed(receipt: str, po: str, lot: str) -> dict[str, Any]:
    def qty(v: str) -> dict[str, str]:
        return {"value": v, "unit": "EA"}

    return {"specversion": "1.0", "id": "wms-rcv-7781", "source": "/partners/acme-wms",
            "type": "tradelane.receipt.completed.v1",
            "data": {"receipt_id": "rcpt_x", "completed_at": "2026-12-01T10:12:00Z", "receipt": {
                "receipt_id": "rcpt_x", "reference": receipt, "order_ref": po, "location_id": "loc_dc_rtm",
                "lines": [
                    {"line_id": "1", "product": {"sku": "TL-1002"}, "expected_quantity": qty("20"),
                     "received_quantity": qty("18"),
                     "discrepancies": [{"reason": "short", "quantity": qty("2"), "note": "2 cartons missing"}]},
                    {"line_id": "2", "product": {"sku": "TL-1003"}, "expected_quantity": qty("10"),
                     "received_quantity": qty("10"), "lots": [{"lot": lot, "quantity": qty("10")}]},
                ]}}}


async def test_purchase_order_to_receipt_with_yard_visit_discrepancy_and_detention(
    rig: FlowRig, odoo: OdooClient, hub_server: Any, tmp_path: Path
) -> None:
    prefix = f"IN{uuid.uuid4().hex[:8].upper()}"
    lot = f"LOT-{prefix}"
    settings = load_settings(None, data_dir=tmp_path / "data", **rig.settings_doc())
    running = hub_server(settings)
    rig.connect(running.base_url)
    running.call(FlowRig.seed_references(SqlXrefStore(running.hub.store.engine)))
    po, receipt = await _purchase(odoo, prefix, [("TL-1002", 20.0), ("TL-1003", 10.0)])
    assert rig.yard is not None

    async def visited() -> bool:
        return any(cb.document["event"] == "GATE_OUT" for cb in rig.yard.callbacks)

    await eventually(visited, "the trailer's visit at the yard")
    [appt] = rig.yard.appointments.values()
    assert appt.direction == "INB" and appt.door == "D07" and appt.scac == "RHNS"
    assert appt.loads == [receipt["id"]]  # the yard names the load by its Odoo id
    # the WMS was told what to expect (an advance ship notice), and its receipt number links back to the receipt
    assert rig.wms is not None

    async def announced() -> list[Any]:
        return [r for r in rig.wms.received if r.path == "/api/v1/receipts" and r.status == 201]

    [asn] = await eventually(announced, "the expected receipt at the WMS")
    assert (asn.body["asnNo"], asn.body["orderNo"], asn.body["receiptType"]) == (receipt["name"], po, "PO")
    assert sorted((ln["sku"], ln["qty"]) for ln in asn.body["lines"]) == [("TL-1002", 20), ("TL-1003", 10)]
    [held] = [r for r in rig.wms.receipts.values() if r.asn_no == receipt["name"]]
    xref = running.call(SqlXrefStore(running.hub.store.engine).get("hub", "acme-wms", "receipt", held.receipt_no))
    assert xref is not None and xref.canonical_id == "rcpt_" + receipt["name"].lower().replace("/", "_")
    key, _ = running.call(create_api_key(running.hub.store, settings.resolved_secret_key(), name="wms",
                                         tenant="hub"))
    admin, _ = running.call(create_api_key(running.hub.store, settings.resolved_secret_key(), name="a",
                                           tenant=None, scopes=("admin",)))
    async with httpx2.AsyncClient(base_url=running.base_url) as http:
        res = await http.post("/v1/events", json=_completed(receipt["name"], po, lot),
                              headers={"Authorization": f"Bearer {key}"})
        assert res.status_code == 201, res.text

        async def received() -> list[dict[str, Any]]:
            return [p for p in await odoo.search_read("stock.picking", [("id", "=", receipt["id"])], ["state"])
                    if p["state"] == "done"]

        await eventually(received, "the receipt validated in Odoo")
        await rig.settle()

        async def exceptions() -> list[dict[str, Any]]:
            got = [e for e in (await http.get("/v1/exceptions", params={"flow": "inbound"},
                                              headers={"Authorization": f"Bearer {admin}"})).json()["exceptions"]
                   if e["entity"] == f"receipt/{receipt['name']}"]
            return got if len(got) == 2 else []

        by_type = {e["type"]: e for e in await eventually(exceptions, "the discrepancy and detention exceptions")}
        charges = (await http.get("/v1/events", params={"type": "tradelane.freight.charged.v1"},
                                  headers={"Authorization": f"Bearer {admin}"})).json()

    # Odoo: what arrived is in stock (with its lot), the missing two wait in a backorder
    moves = await odoo.search_read("stock.move", [("picking_id", "=", receipt["id"])],
                                   ["product_id", "quantity", "state"])
    assert sorted((m["product_id"][1].split("]")[0].strip("["), m["quantity"]) for m in moves) == [
        ("TL-1002", 18.0), ("TL-1003", 10.0)]
    lots = await odoo.search_read("stock.move.line", [("picking_id", "=", receipt["id"]), ("lot_id", "!=", False)],
                                  ["lot_id", "quantity"])
    assert [(ml["lot_id"][1], ml["quantity"]) for ml in lots] == [(lot, 10.0)]
    [backorder] = await odoo.search_read("stock.picking", [("backorder_id", "=", receipt["id"])], ["state"])
    assert backorder["state"] not in ("done", "cancel")
    # the yard visit is on the receipt's chatter
    notes = " ".join(n["body"] for n in await odoo.search_read(
        "mail.message", [("model", "=", "stock.picking"), ("res_id", "=", receipt["id"])], ["body"]))
    assert "Dock appointment confirmed" in notes and "checked in at gate G1" in notes
    assert "at door loc_dc_rtm_door_07" in notes  # the yard's door D07, by its canonical id
    # the shortage is an exception on the receipt, mirrored as an activity; the dwell became detention
    short = by_type["receipt_discrepancy"]
    assert short["entity"] == f"receipt/{receipt['name']}" and short["owner_team"] == "receiving"
    assert short["detail"] == "TL-1002: short 2 — 2 cartons missing"
    detention = by_type["detention"]
    assert "stayed 150 min (120 free): detention 45.00 EUR" in detention["summary"]
    # (the backorder is a receipt of its own: expected, booked and visited again, so it may have a charge too)
    mine = [e for e in charges["items"] if e["data"]["shipment_id"] == xref.canonical_id]
    assert len(mine) == 1, charges["items"]
    [charge] = [e["data"]["charges"][0] for e in mine]
    assert charge["accessorial"] == "detention" and charge["amount"] == {"amount": "45.00", "currency": "EUR"}

    async def activities() -> list[dict[str, Any]]:
        rows = await odoo.search_read("mail.activity", [("res_model", "=", "stock.picking"),
                                                        ("res_id", "=", receipt["id"])], ["summary"])
        return list(rows) if len(rows) == 2 else []

    summaries = sorted(a["summary"] for a in await eventually(activities, "the exceptions' activities"))
    assert [s.split("] ")[0] for s in summaries] == ["[low", "[medium"]  # detention, discrepancy
    assert f"{receipt['name']} received with 1 discrepancy(ies)" in summaries[1]

