"""The returns flow end to end in a running hub: a customer's return request arrives over the events API (as the
portal sends it); the hub finds the original delivery in Odoo, announces the expected return receipt and notes
the RMA on the delivery. The inspected return (one line resellable, one damaged) comes back over the API: the
resellable goods go back into stock through Odoo's own return wizard (a return receipt from the delivery,
validated with the received quantity) and a credit note for them is posted against the customer invoice
(``account.move.reversal``); the damaged item is not restocked and becomes an exception mirrored to Odoo.

A return started in Odoo (a person runs the return wizard on the delivery) is found by change capture: the
expected return receipt is announced under the return picking's name, and the inspected goods validate that
same return picking (the damaged item's move cancelled) rather than a second one.

The inspected return can also come from the WMS itself: its signed ``RECEIPT_CONFIRM`` of the expected return
receipt (per-line condition, disposition, reason and remark) arrives on the native WMS hook, maps to a
``return.received`` naming the return through the cross reference kept from the WMS's 201, and runs the same
steps (return picking with the received mugs, the damaged vase an inspection exception).

Runs on the Odoo emulator, or on a real Odoo 17 when ``TRADELANE_ODOO_URL`` (+ ``_DB``, ``_USER``,
``_PASSWORD``) is set: the test creates its own products, customer, order and invoice under a per-run prefix.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx2
import pytest

from tradelane.connectors.odoo import (
    OdooClient,
    OdooSettings,
    PartnerData,
    PickLine,
    ProductData,
    ShipConfirmation,
    StockCount,
    apply_inventory_counts,
    invoice_delivered_order,
    read_warehouses,
    ship_confirm_many,
    upsert_partners,
    upsert_products,
)
from tradelane.security.keyring import create_api_key
from tradelane.settings import load_settings
from tradelane.store.xref import SqlXrefStore
from tradelane.testing.flows import FlowRig, eventually


@pytest.fixture
async def rig(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FlowRig]:
    r = await FlowRig(credit_note="posted").start()
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


async def _delivered_order(odoo: OdooClient, prefix: str) -> dict[str, Any]:
    """Two products in stock (10 each), a customer, an order of 3 + 2 shipped in full and invoiced."""
    good, fragile = f"{prefix}-MUG", f"{prefix}-VASE"
    await upsert_products(odoo, [ProductData(sku, f"{sku} item", list_price=12.0, invoice_policy="delivery")
                                 for sku in (good, fragile)])
    stock = (await read_warehouses(odoo))[0].stock_location_id
    await apply_inventory_counts(odoo, f"{prefix} start", [StockCount(good, stock, 10), StockCount(fragile, stock, 10)])
    [customer] = await upsert_partners(odoo, [PartnerData(f"{prefix}-CUST", f"{prefix} Café")])
    ids = {r["default_code"]: r["id"] for r in await odoo.search_read(
        "product.product", [("default_code", "in", [good, fragile])], ["default_code"])}
    [so] = await odoo.create("sale.order", [{"partner_id": customer.id, "order_line": [
        (0, 0, {"product_id": ids[good], "product_uom_qty": 3}),
        (0, 0, {"product_id": ids[fragile], "product_uom_qty": 2})]}])
    await odoo.call("sale.order", "action_confirm", [so])
    [order] = await odoo.read("sale.order", [so], ["name"])
    [delivery] = await odoo.search_read("stock.picking", [("origin", "=", order["name"]),
                                                          ("picking_type_code", "=", "outgoing")], ["name"])
    await ship_confirm_many(odoo, [ShipConfirmation(delivery["name"], (PickLine(good, 3), PickLine(fragile, 2)),
                                                    f"{prefix}-ship")])
    invoice = await invoice_delivered_order(odoo, order["name"], f"{prefix}-invoice")
    assert invoice.state == "posted"
    return {"order": order["name"], "delivery": delivery, "invoice_id": invoice.invoice_id, "good": good,
            "fragile": fragile, "ids": ids, "stock": stock}


def _rma(prefix: str, order: str, good: str, fragile: str, received: bool) -> dict[str, Any]:
    def qty(v: str) -> dict[str, str]:
        return {"value": v, "unit": "EA"}

    lines: list[dict[str, Any]] = [
        {"line_id": "1", "product": {"sku": good}, "quantity": qty("2"), "reason": "no_longer_needed"},
        {"line_id": "2", "product": {"sku": fragile}, "quantity": qty("1"), "reason": "damaged"},
    ]
    rma: dict[str, Any] = {"return_id": f"ret_{prefix.lower()}", "rma_number": f"RMA-{prefix}", "order_ref": order,
                           "customer_id": "party_cafe_central", "location_id": "loc_dc_rtm",
                           "reason_text": "Changed their mind; one vase broken", "requested_at": "2026-12-01T09:00:00Z",
                           "lines": lines}
    if not received:
        return {"specversion": "1.0", "id": f"rma-{prefix}-req", "source": "/portal/returns",
                "type": "tradelane.return.requested.v1", "data": {"return_id": rma["return_id"], "rma": rma}}
    lines[0] |= {"received_quantity": qty("2"), "condition": "resellable"}
    lines[1] |= {"received_quantity": qty("1"), "condition": "damaged"}
    at = "2026-12-03T10:00:00Z"
    return {"specversion": "1.0", "id": f"rma-{prefix}-rcv", "source": "/partners/acme-wms",
            "type": "tradelane.return.received.v1",
            "data": {"return_id": rma["return_id"], "received_at": at, "rma": {**rma, "received_at": at}}}


def _at_wms(rig: FlowRig, reference: str) -> Callable[[], Awaitable[list[Any]]]:
    """The expected receipts the WMS created for ``reference`` (its 201s)."""
    async def check() -> list[Any]:
        assert rig.wms is not None
        return [r for r in rig.wms.received if r.path == "/api/v1/receipts" and r.status == 201
                and r.body.get("asnNo") == reference]

    return check


async def _on_hand(odoo: OdooClient, product_id: int, location: int) -> float:
    rows = await odoo.search_read("stock.quant", [("product_id", "=", product_id), ("location_id", "=", location)],
                                  ["quantity"])
    return sum(float(r["quantity"]) for r in rows)


async def _returns_hub(
    rig: FlowRig, odoo: OdooClient, hub_server: Any, tmp_path: Path, prefix: str, key_name: str
) -> tuple[Any, dict[str, Any], str, str]:
    """A delivered order of the run's own products (known to the WMS's item master), and a hub running only the
    returns flow (the order is shipped and invoiced directly in Odoo); returns the running hub, the sale, a
    partner key named ``key_name`` and an admin key."""
    sale = await _delivered_order(odoo, prefix)
    assert rig.wms is not None
    rig.wms.items |= {sale["good"], sale["fragile"]}
    doc = rig.settings_doc()
    doc["endpoints"] = {k: v for k, v in doc["endpoints"].items() if k == "returns-flow"}
    doc["routes"] = [r for r in doc["routes"] if r["name"] == "returns"]
    settings = load_settings(None, data_dir=tmp_path / "data", **doc)
    running = hub_server(settings)
    rig.connect(running.base_url)
    running.call(FlowRig.seed_references(SqlXrefStore(running.hub.store.engine)))  # the WMS's site code
    key, _ = running.call(create_api_key(running.hub.store, settings.resolved_secret_key(), name=key_name,
                                         tenant="hub"))
    admin, _ = running.call(create_api_key(running.hub.store, settings.resolved_secret_key(), name="a",
                                           tenant=None, scopes=("admin",)))
    return running, sale, key, admin


async def test_return_restocks_resellable_credits_it_and_flags_the_damaged_item(
    rig: FlowRig, odoo: OdooClient, hub_server: Any, tmp_path: Path
) -> None:
    prefix = f"RT{uuid.uuid4().hex[:8].upper()}"
    running, sale, key, admin = await _returns_hub(rig, odoo, hub_server, tmp_path, prefix, "portal")
    assert rig.wms is not None
    delivery = sale["delivery"]
    mug, vase = sale["ids"][sale["good"]], sale["ids"][sale["fragile"]]
    before = (await _on_hand(odoo, mug, sale["stock"]), await _on_hand(odoo, vase, sale["stock"]))
    auth = {"Authorization": f"Bearer {key}"}
    async with httpx2.AsyncClient(base_url=running.base_url) as http:
        res = await http.post("/v1/events", json=_rma(prefix, sale["order"], sale["good"], sale["fragile"], False),
                              headers=auth)
        assert res.status_code == 201, res.text

        async def expected() -> list[dict[str, Any]]:
            got = (await http.get("/v1/events", params={"type": "tradelane.receipt.expected.v1"},
                                  headers={"Authorization": f"Bearer {admin}"})).json()["items"]
            return [e for e in got if e["data"]["receipt"]["reference"] == f"RMA-{prefix}"]

        [announced] = await eventually(expected, "the expected return receipt")
        [asn] = await eventually(_at_wms(rig, f"RMA-{prefix}"), "the expected return receipt at the WMS")
        received = _rma(prefix, sale["order"], sale["good"], sale["fragile"], True)
        res = await http.post("/v1/events", json=received, headers=auth)
        assert res.status_code == 201, res.text

        async def returned() -> list[dict[str, Any]]:
            return [p for p in await odoo.search_read("stock.picking", [("return_id", "=", delivery["id"])],
                                                      ["name", "state", "origin", "picking_type_code", "move_ids"])
                    if p["state"] == "done"]

        [ret] = await eventually(returned, "the return picking validated in Odoo")

        async def exceptions() -> list[dict[str, Any]]:
            return list((await http.get("/v1/exceptions", params={"flow": "returns"},
                                        headers={"Authorization": f"Bearer {admin}"})).json()["exceptions"])

        [exc] = await eventually(exceptions, "the inspection exception")
        # the same inspected return delivered again changes nothing
        again = await http.post("/v1/events", json=received, headers=auth)
        assert again.status_code in (200, 201), again.text
        # the return picking the hub made itself is not captured as a return made in Odoo
        requests = (await http.get("/v1/events", params={"type": "tradelane.return.requested.v1"},
                                   headers={"Authorization": f"Bearer {admin}"})).json()["items"]
        assert [e["data"]["return_id"] for e in requests] == [f"ret_{prefix.lower()}"]

    assert [line["product"]["sku"] for line in announced["data"]["receipt"]["lines"]] == [sale["good"], sale["fragile"]]
    # the WMS was told to expect the return (and the hub keeps its receipt number)
    assert (asn.body["receiptType"], asn.body["orderNo"]) == ("RETURN", sale["order"])
    assert [(ln["sku"], ln["qty"]) for ln in asn.body["lines"]] == [(sale["good"], 2), (sale["fragile"], 1)]
    # Odoo: one return receipt from the delivery, 2 mugs back in stock, the damaged vase not restocked
    assert ret["origin"] == f"Return of {delivery['name']}" and ret["picking_type_code"] == "incoming"
    moves = await odoo.read("stock.move", ret["move_ids"], ["product_id", "quantity", "state"])
    assert [(m["product_id"][0], m["quantity"], m["state"]) for m in moves] == [(mug, 2.0, "done")]
    assert await odoo.execute_kw("stock.picking", "search_count", [[("return_id", "=", delivery["id"])]]) == 1
    assert (await _on_hand(odoo, mug, sale["stock"]), await _on_hand(odoo, vase, sale["stock"])) == (
        before[0] + 2, before[1])
    lines = await odoo.search_read("sale.order.line", [("order_id.name", "=", sale["order"])],
                                   ["product_id", "qty_delivered", "qty_invoiced"], order="id")
    assert [(line["qty_delivered"], line["qty_invoiced"]) for line in lines] == [(1.0, 1.0), (2.0, 2.0)]
    # the credit note: posted, reversing the invoice, for the 2 restocked mugs only
    [note] = await odoo.search_read("account.move", [("reversed_entry_id", "=", sale["invoice_id"])],
                                    ["move_type", "state", "invoice_line_ids", "payment_state"])
    assert note["move_type"] == "out_refund" and note["state"] == "posted" and note["payment_state"] == "paid"
    credited = await odoo.read("account.move.line", note["invoice_line_ids"], ["product_id", "quantity"])
    assert [(c["product_id"][0], c["quantity"]) for c in credited] == [(mug, 2.0)]
    [inv] = await odoo.read("account.move", [sale["invoice_id"]], ["payment_state"])
    assert inv["payment_state"] == "partial"
    # the damaged vase is an exception on the return, for customer service, mirrored as an activity
    assert exc["type"] == "return_inspection" and exc["owner_team"] == "customer-service"
    assert exc["detail"] == f"{sale['fragile']}: 1 received damaged, not restocked"
    notes = " ".join(n["body"] for n in await odoo.search_read(
        "mail.message", [("model", "=", "stock.picking"), ("res_id", "=", delivery["id"])], ["body"]))
    assert f"Return RMA-{prefix} authorised: 2 × {sale['good']}, 1 × {sale['fragile']}" in notes

    async def activity() -> list[dict[str, Any]]:
        return list(await odoo.search_read("mail.activity", [("res_model", "=", "stock.picking"),
                                                             ("res_id", "=", ret["id"])], ["summary"]))

    [act] = await eventually(activity, "the exception's activity on the return picking")
    assert f"return RMA-{prefix} inspected with 1 finding(s)" in act["summary"]


async def test_return_made_in_odoo_is_captured_announced_and_received_into_it(
    rig: FlowRig, odoo: OdooClient, hub_server: Any, tmp_path: Path
) -> None:
    prefix = f"RO{uuid.uuid4().hex[:8].upper()}"
    running, sale, key, admin = await _returns_hub(rig, odoo, hub_server, tmp_path, prefix, "wms")
    delivery = sale["delivery"]
    mug, vase = sale["ids"][sale["good"]], sale["ids"][sale["fragile"]]
    before = (await _on_hand(odoo, mug, sale["stock"]), await _on_hand(odoo, vase, sale["stock"]))
    # a person returns 2 mugs and 1 vase in Odoo, with the return wizard on the delivery
    ctx = {"active_model": "stock.picking", "active_id": delivery["id"], "active_ids": [delivery["id"]]}
    wizard = await odoo.create("stock.return.picking", [{"picking_id": delivery["id"]}], context=ctx)
    [wiz] = await odoo.read("stock.return.picking", wizard, ["product_return_moves"])
    for line in await odoo.read("stock.return.picking.line", wiz["product_return_moves"], ["product_id"]):
        await odoo.write("stock.return.picking.line", [line["id"]],
                         {"quantity": 2 if line["product_id"][0] == mug else 1, "to_refund": True})
    action = await odoo.call("stock.return.picking", "create_returns", wizard, context=ctx)
    [made] = await odoo.read("stock.picking", [int(action["res_id"])], ["name", "state"])
    assert made["state"] not in ("done", "cancel")
    headers = {"Authorization": f"Bearer {admin}"}
    async with httpx2.AsyncClient(base_url=running.base_url) as http:
        async def expected() -> list[dict[str, Any]]:
            got = (await http.get("/v1/events", params={"type": "tradelane.receipt.expected.v1"},
                                  headers=headers)).json()["items"]
            return [e for e in got if e["data"]["receipt"]["reference"] == made["name"]]

        [announced] = await eventually(expected, "the expected return receipt of the Odoo return")
        [asn] = await eventually(_at_wms(rig, made["name"]), "the expected return receipt at the WMS")
        [requested] = [e for e in (await http.get("/v1/events", params={"type": "tradelane.return.requested.v1"},
                                                  headers=headers)).json()["items"]
                       if e["data"]["rma"]["rma_number"] == made["name"]]
        rma = requested["data"]["rma"]
        at = "2026-12-03T10:00:00Z"
        graded = {sale["good"]: "resellable", sale["fragile"]: "damaged"}
        received = {"specversion": "1.0", "id": f"rma-{prefix}-rcv", "source": "/partners/acme-wms",
                    "type": "tradelane.return.received.v1",
                    "data": {"return_id": rma["return_id"], "received_at": at, "rma": {**rma, "received_at": at, "lines": [
                        {**line, "received_quantity": line["quantity"], "condition": graded[line["product"]["sku"]]}
                        for line in rma["lines"]]}}}
        res = await http.post("/v1/events", json=received, headers={"Authorization": f"Bearer {key}"})
        assert res.status_code == 201, res.text

        async def validated() -> list[dict[str, Any]]:
            return [p for p in await odoo.read("stock.picking", [made["id"]], ["state", "move_ids"])
                    if p["state"] == "done"]

        [ret] = await eventually(validated, "the Odoo return picking validated")

        async def exceptions() -> list[dict[str, Any]]:
            return list((await http.get("/v1/exceptions", params={"flow": "returns"},
                                        headers=headers)).json()["exceptions"])

        [exc] = await eventually(exceptions, "the inspection exception")

    assert rma["return_id"].startswith("ret_odoo_") and rma["order_ref"] == sale["order"]
    assert sorted((line["product"]["sku"], line["quantity"]["value"]) for line in rma["lines"]) == [
        (sale["good"], "2"), (sale["fragile"], "1")]
    assert sorted(line["product"]["sku"] for line in announced["data"]["receipt"]["lines"]) == sorted(
        [sale["good"], sale["fragile"]])
    assert (asn.body["receiptType"], asn.body["orderNo"]) == ("RETURN", sale["order"])
    assert sorted((ln["sku"], ln["qty"]) for ln in asn.body["lines"]) == sorted([(sale["good"], 2),
                                                                                 (sale["fragile"], 1)])
    # Odoo: still the one return picking, the mugs received into it, the damaged vase's move cancelled
    assert await odoo.execute_kw("stock.picking", "search_count", [[("return_id", "=", delivery["id"])]]) == 1
    moves = await odoo.read("stock.move", ret["move_ids"], ["product_id", "quantity", "state"])
    assert sorted((m["product_id"][0], m["state"]) for m in moves) == sorted([(mug, "done"), (vase, "cancel")])
    assert [m["quantity"] for m in moves if m["state"] == "done"] == [2.0]
    assert (await _on_hand(odoo, mug, sale["stock"]), await _on_hand(odoo, vase, sale["stock"])) == (
        before[0] + 2, before[1])
    [note] = await odoo.search_read("account.move", [("reversed_entry_id", "=", sale["invoice_id"])],
                                    ["state", "invoice_line_ids"])
    credited = await odoo.read("account.move.line", note["invoice_line_ids"], ["product_id", "quantity"])
    assert note["state"] == "posted" and [(c["product_id"][0], c["quantity"]) for c in credited] == [(mug, 2.0)]
    assert exc["type"] == "return_inspection" and exc["detail"] == f"{sale['fragile']}: 1 received damaged, not restocked"
    notes = " ".join(n["body"] for n in await odoo.search_read(
        "mail.message", [("model", "=", "stock.picking"), ("res_id", "=", delivery["id"])], ["body"]))
    assert f"Return {made['name']} authorised: 2 × {sale['good']}, 1 × {sale['fragile']}" in notes


async def test_the_wms_inspected_return_confirmation_restocks_and_flags_the_damaged_item(
    rig: FlowRig, odoo: OdooClient, hub_server: Any, tmp_path: Path
) -> None:
    prefix = f"RW{uuid.uuid4().hex[:8].upper()}"
    running, sale, key, admin = await _returns_hub(rig, odoo, hub_server, tmp_path, prefix, "portal")
    assert rig.wms is not None
    delivery = sale["delivery"]
    mug, vase = sale["ids"][sale["good"]], sale["ids"][sale["fragile"]]
    before = (await _on_hand(odoo, mug, sale["stock"]), await _on_hand(odoo, vase, sale["stock"]))
    headers = {"Authorization": f"Bearer {admin}"}
    async with httpx2.AsyncClient(base_url=running.base_url) as http:
        res = await http.post("/v1/events", json=_rma(prefix, sale["order"], sale["good"], sale["fragile"], False),
                              headers={"Authorization": f"Bearer {key}"})
        assert res.status_code == 201, res.text
        [asn] = await eventually(_at_wms(rig, f"RMA-{prefix}"), "the expected return receipt at the WMS")
        [held] = [r for r in rig.wms.receipts.values() if r.asn_no == f"RMA-{prefix}"]
        line_no = {line["sku"]: line["lineNo"] for line in held.lines}
        # the warehouse counts both lines in; its inspector finds the vase broken and quarantines it
        sent = await rig.wms.receive(f"RMA-{prefix}", inspected={
            line_no[sale["good"]]: {"condition": "GOOD", "reasonCode": "NLN"},
            line_no[sale["fragile"]]: {"condition": "DAMAGED", "disposition": "QUARANTINE", "reasonCode": "DMG",
                                       "remark": "vase broken in transit"}})
        assert sent.delivered, sent.statuses
        assert sent.document["receiptType"] == "RETURN" and sent.document["receiptNo"] == held.receipt_no

        async def returned() -> list[dict[str, Any]]:
            return [p for p in await odoo.search_read("stock.picking", [("return_id", "=", delivery["id"])],
                                                      ["name", "state", "origin", "move_ids"])
                    if p["state"] == "done"]

        [ret] = await eventually(returned, "the return picking validated in Odoo from the WMS's confirmation")

        async def exceptions() -> list[dict[str, Any]]:
            return list((await http.get("/v1/exceptions", params={"flow": "returns"},
                                        headers=headers)).json()["exceptions"])

        [exc] = await eventually(exceptions, "the inspection exception")
        [received] = (await http.get("/v1/events", params={"type": "tradelane.return.received.v1"},
                                     headers=headers)).json()["items"]

    # the expected receipt named the customer; the confirmation came from the WMS's hook and named the return
    # through the cross reference kept from the WMS's 201
    assert asn.body["receiptType"] == "RETURN" and asn.body["shipperCode"] == "party_cafe_central"
    assert received["source"] == "/partners/acme-wms" and received["subject"] == f"RMA-{prefix}"
    rma = received["data"]["rma"]
    assert received["data"]["return_id"] == rma["return_id"] == f"ret_{prefix.lower()}"
    assert (rma["rma_number"], rma["order_ref"], rma["customer_id"]) == (f"RMA-{prefix}", sale["order"],
                                                                          "party_cafe_central")
    assert rma["reason_text"] == "vase broken in transit"
    assert sorted((ln["product"]["sku"], ln["received_quantity"]["value"], ln["condition"], ln["reason"])
                  for ln in rma["lines"]) == sorted([(sale["good"], "2", "resellable", "no_longer_needed"),
                                                     (sale["fragile"], "1", "damaged", "damaged")])
    # Odoo: one return picking with the 2 resellable mugs, the damaged vase not restocked
    assert ret["origin"] == f"Return of {delivery['name']}"
    moves = await odoo.read("stock.move", ret["move_ids"], ["product_id", "quantity", "state"])
    assert [(m["product_id"][0], m["quantity"], m["state"]) for m in moves] == [(mug, 2.0, "done")]
    assert await odoo.execute_kw("stock.picking", "search_count", [[("return_id", "=", delivery["id"])]]) == 1
    assert (await _on_hand(odoo, mug, sale["stock"]), await _on_hand(odoo, vase, sale["stock"])) == (
        before[0] + 2, before[1])
    [note] = await odoo.search_read("account.move", [("reversed_entry_id", "=", sale["invoice_id"])],
                                    ["state", "invoice_line_ids"])
    credited = await odoo.read("account.move.line", note["invoice_line_ids"], ["product_id", "quantity"])
    assert note["state"] == "posted" and [(c["product_id"][0], c["quantity"]) for c in credited] == [(mug, 2.0)]
    assert exc["type"] == "return_inspection"
    assert exc["detail"] == f"{sale['fragile']}: 1 received damaged, not restocked"
    # the WMS put only the restocked mugs into its own stock
    assert rig.wms.stock.get(sale["fragile"], 0) == 0 and rig.wms.stock[sale["good"]] == 2
