"""Expected receipts through the WMS end to end in a running hub: a purchase order confirmed in Odoo is found by
change capture and the inbound flow announces its receipt to the WMS simulator (an advance ship notice, whose
receipt number the hub keeps as a cross reference); the warehouse counts the goods in and its signed
``RECEIPT_CONFIRM`` — naming that receipt — arrives on the native WMS hook, becomes a ``receipt.completed``
and validates the receipt in Odoo (lots, backorder, the shortage as an exception). A receipt the WMS refuses
(a product not in its item master) opens a ``wms_refused`` exception mirrored to Odoo as an activity.

Runs on the Odoo emulator, or on a real Odoo 17 when ``TRADELANE_ODOO_URL`` (+ ``_DB``, ``_USER``,
``_PASSWORD``) is set: each test creates its own vendor (and product) under a per-run prefix.
"""

from __future__ import annotations

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
from tradelane.store.xref import SqlXrefStore
from tradelane.testing.flows import FlowRig, eventually


@pytest.fixture
async def rig(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FlowRig]:
    r = await FlowRig().start()
    for k, v in r.env().items():
        monkeypatch.setenv(k, v)
    yield r
    await r.stop()


@pytest.fixture
async def odoo(rig: FlowRig) -> AsyncIterator[OdooClient]:
    c = rig.odoo_connection()
    client = await OdooClient(OdooSettings(url=c["url"], db=c["db"], user=c["user"], password=c["password"])).connect()
    yield client
    await client.close()


async def _purchase(odoo: OdooClient, prefix: str, lines: list[tuple[str, float]]) -> tuple[str, dict[str, Any]]:
    [vendor] = await upsert_partners(odoo, [PartnerData(f"{prefix}-VENDOR", f"{prefix} Supplies")])
    products = {r["default_code"]: r["id"] for r in await odoo.search_read(
        "product.product", [("default_code", "in", [sku for sku, _ in lines])], ["default_code"])}
    [po] = await odoo.create("purchase.order", [{"partner_id": vendor.id, "partner_ref": f"ASN-{prefix}", "order_line": [
        (0, 0, {"product_id": products[sku], "product_qty": qty, "price_unit": 7.0,
                "date_planned": "2026-12-01 08:00:00"}) for sku, qty in lines]}])
    await odoo.call("purchase.order", "button_confirm", [po])
    [row] = await odoo.read("purchase.order", [po], ["name"])
    [receipt] = await odoo.search_read("stock.picking", [("origin", "=", row["name"]),
                                                         ("picking_type_code", "=", "incoming")], ["name"])
    return str(row["name"]), receipt


def _hub(rig: FlowRig, hub_server: Any, tmp_path: Path) -> tuple[Any, Any]:
    settings = load_settings(None, data_dir=tmp_path / "data", **rig.settings_doc())
    running = hub_server(settings)
    rig.connect(running.base_url)
    running.call(FlowRig.seed_references(SqlXrefStore(running.hub.store.engine)))
    admin, _ = running.call(create_api_key(running.hub.store, settings.resolved_secret_key(), name="a",
                                           tenant=None, scopes=("admin",)))
    return running, admin


async def _exceptions(http: httpx2.AsyncClient, admin: str) -> list[dict[str, Any]]:
    return list((await http.get("/v1/exceptions", params={"flow": "inbound"},
                                headers={"Authorization": f"Bearer {admin}"})).json()["exceptions"])


async def test_the_wms_expects_the_receipt_and_its_receiving_confirmation_validates_it_in_odoo(
    rig: FlowRig, odoo: OdooClient, hub_server: Any, tmp_path: Path
) -> None:
    prefix = f"WR{uuid.uuid4().hex[:8].upper()}"
    lot = f"LOT-{prefix}"
    running, admin = _hub(rig, hub_server, tmp_path)
    po, receipt = await _purchase(odoo, prefix, [("TL-1002", 20.0), ("TL-1003", 10.0)])
    assert rig.wms is not None

    async def expected() -> list[Any]:
        return [r for r in rig.wms.receipts.values() if r.asn_no == receipt["name"]]

    [held] = await eventually(expected, "the expected receipt at the WMS")
    assert (held.receipt_type, held.order_no) == ("PO", po)
    line_no = {line["sku"]: line["lineNo"] for line in held.lines}
    # the warehouse counts 18 of 20 brackets and the 10 cable drums of one lot, and reports it by callback
    sent = await rig.wms.receive(receipt["name"], counted={line_no["TL-1002"]: 18}, batches={line_no["TL-1003"]: lot})
    assert sent.delivered, sent.statuses
    assert sent.document["receiptNo"] == held.receipt_no

    async def received() -> list[dict[str, Any]]:
        return [p for p in await odoo.search_read("stock.picking", [("id", "=", receipt["id"])], ["state"])
                if p["state"] == "done"]

    await eventually(received, "the receipt validated in Odoo from the WMS's confirmation")
    async with httpx2.AsyncClient(base_url=running.base_url) as http:
        [short] = await eventually(lambda: _exceptions(http, admin), "the discrepancy exception")
        [completed] = (await http.get("/v1/events", params={"type": "tradelane.receipt.completed.v1"},
                                      headers={"Authorization": f"Bearer {admin}"})).json()["items"]

    # the confirmation came from the WMS's hook and named the canonical receipt through the cross reference
    assert completed["source"] == "/partners/acme-wms"
    assert completed["data"]["receipt_id"] == "rcpt_" + receipt["name"].lower().replace("/", "_")
    moves = await odoo.search_read("stock.move", [("picking_id", "=", receipt["id"])], ["product_id", "quantity"])
    assert sorted((m["product_id"][1].split("]")[0].strip("["), m["quantity"]) for m in moves) == [
        ("TL-1002", 18.0), ("TL-1003", 10.0)]
    lots = await odoo.search_read("stock.move.line", [("picking_id", "=", receipt["id"]), ("lot_id", "!=", False)],
                                  ["lot_id", "quantity"])
    assert [(ml["lot_id"][1], ml["quantity"]) for ml in lots] == [(lot, 10.0)]
    [backorder] = await odoo.search_read("stock.picking", [("backorder_id", "=", receipt["id"])], ["state"])
    assert backorder["state"] not in ("done", "cancel")
    assert short["type"] == "receipt_discrepancy" and short["entity"] == f"receipt/{receipt['name']}"
    assert short["detail"] == "TL-1002: short 2"


async def test_a_receipt_the_wms_refuses_opens_wms_refused_on_the_receipt(
    rig: FlowRig, odoo: OdooClient, hub_server: Any, tmp_path: Path
) -> None:
    prefix = f"WX{uuid.uuid4().hex[:8].upper()}"
    novel = f"{prefix}-NEW"  # a product Odoo has and the WMS's item master does not
    await upsert_products(odoo, [ProductData(novel, f"{novel} item", list_price=5.0)])
    running, admin = _hub(rig, hub_server, tmp_path)
    _po, receipt = await _purchase(odoo, prefix, [(novel, 4.0)])
    async with httpx2.AsyncClient(base_url=running.base_url) as http:
        [refused] = await eventually(lambda: _exceptions(http, admin), "the WMS's refusal as an exception")
    assert refused["type"] == "wms_refused" and refused["severity"] == "high"
    assert refused["entity"] == f"receipt/{receipt['name']}" and refused["owner_team"] == "receiving"
    assert refused["detail"] == f"UNKNOWN_SKU: lines[0].sku: '{novel}' not in the item master"
    assert rig.wms is not None and not [r for r in rig.wms.receipts.values() if r.asn_no == receipt["name"]]

    async def activity() -> list[dict[str, Any]]:
        return list(await odoo.search_read("mail.activity", [("res_model", "=", "stock.picking"),
                                                             ("res_id", "=", receipt["id"])], ["summary"]))

    [act] = await eventually(activity, "the exception's activity on the receipt")
    assert f"WMS refused the expected receipt {receipt['name']}" in act["summary"]
