"""The outbound flow end to end in a running hub: a sale order confirmed in the Odoo emulator is found by change
capture, released to the WMS simulator, picked, packed and shipped by its signed callbacks (native hooks),
validated in Odoo with quantities, lots and packages, tendered to the TMS simulator, booked (carrier PRO number
on the delivery order), tracked (TMS milestones and carrier scans in the chatter), delivered with a POD (attached)
and invoiced — and the same with a partial pick: a backorder (or not, per policy) and an exception mirrored to
Odoo as an activity on the delivery order."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx2
import pytest

from tradelane.connectors.odoo import OdooClient, OdooSettings
from tradelane.security.keyring import create_api_key
from tradelane.settings import load_settings
from tradelane.store.xref import SqlXrefStore
from tradelane.testing.flows import RIG_CUSTOMER, FlowRig, eventually


@pytest.fixture
async def start_rig(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Callable[..., Any]]:
    """``await start_rig(**FlowRig options)``: the partners, started; stopped when the test ends."""
    rigs: list[FlowRig] = []

    async def start(**options: Any) -> FlowRig:
        rig = await FlowRig(**options).start()
        rigs.append(rig)
        for k, v in rig.env().items():
            monkeypatch.setenv(k, v)
        return rig

    yield start
    for rig in rigs:
        await rig.stop()


@pytest.fixture
async def odoo_of() -> AsyncIterator[Callable[[FlowRig], Any]]:
    clients: list[OdooClient] = []

    async def connect(rig: FlowRig) -> OdooClient:
        c = rig.odoo_connection()  # the emulator, or the real Odoo of TRADELANE_ODOO_URL
        client = await OdooClient(OdooSettings(url=c["url"], db=c["db"], user=c["user"],
                                               password=c["password"])).connect()
        clients.append(client)
        return client

    yield connect
    for c in clients:
        await c.close()


def _serve(hub_server: Any, rig: FlowRig, tmp_path: Path, db_url: str | None = None) -> Any:
    extra = {"database": {"url": db_url}} if db_url else {}
    settings = load_settings(None, data_dir=tmp_path / "data", **rig.settings_doc(), **extra)
    running = hub_server(settings)
    rig.connect(running.base_url)
    running.call(FlowRig.seed_references(SqlXrefStore(running.hub.store.engine)))
    return running


async def _confirm_order(odoo: OdooClient, lines: list[tuple[str, float]]) -> tuple[str, int]:
    # the rig's own customer on a real Odoo (never a demo id); the emulator's first customer otherwise
    [customer] = (await odoo.search("res.partner", [("ref", "=", RIG_CUSTOMER)], limit=1)
                  or await odoo.search("res.partner", [("customer_rank", ">", 0)], limit=1))
    products = {r["default_code"]: r["id"] for r in await odoo.search_read(
        "product.product", [("default_code", "in", [sku for sku, _ in lines])], ["default_code"])}
    [order_id] = await odoo.create("sale.order", [{
        "partner_id": customer,
        "order_line": [(0, 0, {"product_id": products[sku], "product_uom_qty": qty}) for sku, qty in lines],
    }])
    await odoo.call("sale.order", "action_confirm", [order_id])
    [row] = await odoo.read("sale.order", [order_id], ["name", "state"])
    assert row["state"] == "sale"
    return str(row["name"]), order_id


async def _pickings(odoo: OdooClient, order: str) -> list[dict[str, Any]]:
    return list(await odoo.search_read(
        "stock.picking", [("origin", "=", order), ("picking_type_code", "=", "outgoing")],
        ["name", "state", "carrier_tracking_ref", "backorder_id"], order="id"))


async def _moves(odoo: OdooClient, picking_id: int) -> dict[str, tuple[float, float]]:
    """sku → (demand, done quantity) of a picking."""
    moves = await odoo.search_read("stock.move", [("picking_id", "=", picking_id)],
                                   ["product_id", "product_uom_qty", "quantity", "state"])
    codes = {r["id"]: r["default_code"] for r in await odoo.read(
        "product.product", sorted({m["product_id"][0] for m in moves}), ["default_code"])}
    out: dict[str, tuple[float, float]] = {}
    for m in moves:
        sku = codes[m["product_id"][0]]
        demand, done = out.get(sku, (0.0, 0.0))
        out[sku] = (demand + m["product_uom_qty"], done + (m["quantity"] if m["state"] == "done" else 0.0))
    return out


def _admin_key(running: Any) -> str:
    key, _ = running.call(create_api_key(running.hub.store, running.hub.settings.resolved_secret_key(),
                                         name="t", tenant=None, scopes=("admin",)))
    return str(key)


async def _drained(running: Any) -> None:
    """Wait until the hub has no delivery pending (every routed event has had its flow step)."""
    headers = {"Authorization": f"Bearer {_admin_key(running)}"}
    async with httpx2.AsyncClient(base_url=running.base_url, headers=headers) as http:
        async def idle() -> bool:
            res = await http.get("/v1/deliveries", params={"status": "pending"})
            return res.status_code == 200 and res.json()["deliveries"] == []

        await eventually(idle, "the hub's pending deliveries to drain")


async def _drive_to_invoice(rig: FlowRig, odoo: OdooClient, order: str, running: Any) -> list[dict[str, Any]]:
    """Let the carrier follow every booking until the order has nothing left to deliver and every delivered
    unit is on a posted invoice; then wait for every partner callback and every delivery. Returns the posted
    customer invoices."""
    assert rig.tms is not None

    async def invoiced() -> list[dict[str, Any]]:
        rig.follow_bookings([t.pro_number for t in rig.tms.tenders.values() if t.pro_number])
        if any(p["state"] not in ("done", "cancel") for p in await _pickings(odoo, order)):
            return []
        lines = await odoo.search_read("sale.order.line", [("order_id.name", "=", order)], ["qty_delivered"])
        moves = list(await odoo.search_read(
            "account.move", [("invoice_origin", "=", order), ("move_type", "=", "out_invoice"),
                             ("state", "=", "posted")], ["name", "amount_untaxed"]))
        billed = await odoo.search_read("account.move.line", [("move_id", "in", [m["id"] for m in moves]),
                                                              ("display_type", "=", "product")], ["quantity"])
        delivered = sum(line["qty_delivered"] for line in lines)
        return moves if delivered and sum(b["quantity"] for b in billed) == delivered else []

    invoices = await eventually(invoiced, f"{order} delivered and invoiced")
    await rig.settle()
    await _drained(running)
    return list(invoices)


async def test_outbound_order_to_invoice(
    start_rig: Any, odoo_of: Any, hub_server: Any, tmp_path: Path, db_url: str
) -> None:
    rig = await start_rig()
    running = _serve(hub_server, rig, tmp_path, db_url)
    odoo = await odoo_of(rig)
    order, _ = await _confirm_order(odoo, [("TL-1001", 10.0), ("TL-1002", 5.0)])

    [invoice] = await _drive_to_invoice(rig, odoo, order, running)

    # the WMS got exactly one release for the one delivery order, with the Odoo demand
    assert rig.wms is not None and rig.tms is not None
    [release] = [r for r in rig.wms.received if r.path == "/api/v1/orders" and r.status == 202]
    assert release.body["orderNo"] == order and release.body["siteCode"] == "RTM1"
    assert sorted((line["sku"], line["qty"]) for line in release.body["lines"]) == [("TL-1001", 10), ("TL-1002", 5)]
    # Odoo: the delivery order is done with every unit shipped, lots and packages as the WMS packed them
    [picking] = await _pickings(odoo, order)
    assert picking["state"] == "done"
    assert await _moves(odoo, picking["id"]) == {"TL-1001": (10.0, 10.0), "TL-1002": (5.0, 5.0)}
    shipped = next(cb.document for cb in rig.wms.callbacks if cb.document["messageType"] == "SHIP_CONFIRM")
    lines = await odoo.search_read("stock.move.line", [("picking_id", "=", picking["id"])],
                                   ["lot_id", "result_package_id", "quantity"])
    # the WMS reports a batch on every line, but neither product is lot-tracked in Odoo: no lot is written
    # (Odoo would ship out of an empty lot quant and drive it negative)
    assert all(line["lots"] for line in shipped["lines"])
    assert [ml["lot_id"] for ml in lines if ml["lot_id"]] == []
    assert {ml["result_package_id"][1] for ml in lines} == {p["sscc"] for p in shipped["packages"]}
    # the carrier's PRO number from the booking is the tracking ref; the booking, TMS milestones and carrier
    # scans are in the chatter
    [tender] = rig.tms.tenders.values()
    assert tender.doc["shipperRef"] == picking["name"] and tender.doc["carrierScac"] == "RHNS"
    assert picking["carrier_tracking_ref"] == tender.pro_number
    notes = await odoo.search_read("mail.message", [("model", "=", "stock.picking"), ("res_id", "=", picking["id"])],
                                   ["body"])
    bodies = " ".join(n["body"] for n in notes)
    assert f"PRO {tender.pro_number}" in bodies
    for milestone in ("arrived_at_pickup", "picked_up", "in_transit", "out_for_delivery", "delivered"):
        assert f"<b>{milestone}</b>" in bodies, milestone
    # the POD's signature is attached to the delivery order; the invoice covers what was delivered, once
    atts = await odoo.search_read("ir.attachment", [("res_model", "=", "stock.picking"),
                                                    ("res_id", "=", picking["id"])], ["name", "mimetype"])
    assert any(a["mimetype"] == "image/svg+xml" for a in atts)
    inv_lines = await odoo.search_read("account.move.line", [("move_id", "=", invoice["id"]),
                                                             ("display_type", "=", "product")],
                                       ["quantity", "product_id"])
    assert sorted(line["quantity"] for line in inv_lines) == [5.0, 10.0]
    assert len(await odoo.search("account.move", [("invoice_origin", "=", order),
                                                  ("move_type", "=", "out_invoice")])) == 1
    # the hub: no delivery of the flow's route is dead, and no exception is open for this order
    key = _admin_key(running)
    with httpx2.Client(base_url=running.base_url, headers={"Authorization": f"Bearer {key}"}) as http:
        dead = http.get("/v1/deliveries", params={"status": "dead"}).json()
        assert dead["deliveries"] == [], dead
        opened = http.get("/v1/exceptions", params={"status": "open"}).json()
        assert [e for e in opened["exceptions"] if e["flow"] == "outbound"] == []
        flows = {f["name"]: f for f in http.get("/v1/flows").json()["flows"]}
        assert sorted(flows) == ["inbound", "outbound", "returns"]

    # the flow's SLA timers (the examples, scoped to the flow's own events): released → WMS pick within
    # 15 min, shipped → first milestone within 4 h, "delivered" milestone → POD within 24 h were met; POD →
    # carrier invoice waits (no invoice in this test); no ETA change, so no past-ETA timer; none breached
    async with httpx2.AsyncClient(base_url=running.base_url, headers={"Authorization": f"Bearer {key}"}) as ahttp:
        async def met() -> list[dict[str, Any]]:
            timers = (await ahttp.get("/v1/sla/timers", params={"status": "met"})).json()["timers"]
            started = [t for t in timers if t["started_at"]]  # past-eta only saw its stop (the POD): no start
            return started if len(started) == 3 else []

        timers = await eventually(met, "three SLA timers met")
        assert sorted(t["sla"] for t in timers) == ["first-milestone", "pod", "wms-ack"]
        assert {t["key"] for t in timers} == {f"shp_{picking['name'].lower().replace('/', '_')}"}
        armed = (await ahttp.get("/v1/sla/timers", params={"status": "armed"})).json()["timers"]
        assert [t["sla"] for t in armed] == ["invoice"]
        breached = (await ahttp.get("/v1/sla/timers", params={"status": "breached"})).json()["timers"]
        assert breached == []


@pytest.mark.parametrize("backorder", [True, False], ids=["backorder", "no-backorder"])
async def test_partial_pick_backorders_and_opens_an_exception(
    start_rig: Any, odoo_of: Any, hub_server: Any, tmp_path: Path, backorder: bool
) -> None:
    rig = await start_rig(short_pick_ratio=1.0, backorder=backorder)  # every line of 2+ units is picked short
    running = _serve(hub_server, rig, tmp_path)
    odoo = await odoo_of(rig)
    order, _ = await _confirm_order(odoo, [("TL-1001", 8.0)])

    invoices = await _drive_to_invoice(rig, odoo, order, running)

    pickings = await _pickings(odoo, order)
    done = [(await _moves(odoo, p["id"]))["TL-1001"][1] for p in pickings if p["state"] == "done"]
    assert rig.wms is not None
    releases = [(r.body["orderNo"], r.status) for r in rig.wms.received if r.path == "/api/v1/orders"]
    if backorder:
        # 8 released, 6 picked; the backorder of 2 released under its own number, 1 picked; then the last 1
        assert done == [6.0, 1.0, 1.0]
        assert [p["backorder_id"][0] if p["backorder_id"] else None for p in pickings] == [
            None, pickings[0]["id"], pickings[1]["id"]]
        assert releases == [(order, 202), (f"{order}/{pickings[1]['name'][-5:]}", 202),
                            (f"{order}/{pickings[2]['name'][-5:]}", 202)]
    else:  # 6 shipped, the rest cancelled: nothing of the order is left to deliver
        assert done == [6.0] and len(pickings) == 1 and releases == [(order, 202)]
        assert await odoo.search("stock.move", [("picking_id.origin", "=", order),
                                                ("state", "not in", ["done", "cancel"])]) == []
    [sale] = await odoo.search_read("sale.order.line", [("order_id.name", "=", order)], ["qty_delivered"])
    assert sale["qty_delivered"] == sum(done)
    # each proof of delivery invoices what was delivered by then (two PODs close together share one invoice);
    # _drive_to_invoice waited until every delivered unit was on a posted invoice
    assert 1 <= len(invoices) <= len(done)

    # one short-shipment exception per short delivery order, naming the difference, mirrored to Odoo
    items = await _exceptions(running, type="short_shipped")
    first = pickings[0]
    by_entity = {e["entity"]: e for e in items}
    exc = by_entity[f"shipment/{first['name']}"]
    assert exc["owner_team"] == "logistics"
    assert "TL-1001: ordered 8, shipped 6, short 2" in exc["detail"]
    assert ("backorder stock.picking:" in exc["detail"]) is backorder
    assert len(items) == (2 if backorder else 1)  # the last unit was not short

    async def activity() -> list[dict[str, Any]]:
        return list(await odoo.search_read("mail.activity", [("res_model", "=", "stock.picking"),
                                                             ("res_id", "=", first["id"])], ["summary"]))

    [act] = await eventually(activity, "the exception's activity on the delivery order")
    assert "shipped short" in act["summary"]


async def test_wms_ack_breach_keyed_by_shipment_is_an_activity_on_the_delivery_order(
    start_rig: Any, odoo_of: Any, hub_server: Any, tmp_path: Path
) -> None:
    rig = await start_rig(step_delay_s=3.0)  # the warehouse starts picking 3 s after the release …
    doc = rig.settings_doc()
    for sla in doc["flows"]["outbound"]["slas"]:
        if sla["name"] == "wms-ack":
            sla["within"] = "1s"  # … and the WMS acknowledgement is due within 1 s
    running = hub_server(load_settings(None, data_dir=tmp_path / "data", **doc))
    rig.connect(running.base_url)
    running.call(FlowRig.seed_references(SqlXrefStore(running.hub.store.engine)))
    odoo = await odoo_of(rig)
    order, _ = await _confirm_order(odoo, [("TL-1009", 1.0)])

    await _drive_to_invoice(rig, odoo, order, running)  # late, but the order goes all the way

    [picking] = await _pickings(odoo, order)
    sid = f"shp_{picking['name'].lower().replace('/', '_')}"
    [breach] = [e for e in await _exceptions(running, type="sla_breach") if e["entity"] == f"shipment/{sid}"]
    assert breach["severity"] == "high" and "SLA wms-ack of flow outbound breached" in breach["summary"]

    # the timer names the shipment by its canonical id: the mirror finds the delivery order it was made from
    async def activity() -> list[dict[str, Any]]:
        return list(await odoo.search_read("mail.activity", [("res_model", "=", "stock.picking"),
                                                             ("res_id", "=", picking["id"])], ["summary"]))

    [act] = await eventually(activity, "the breach's activity on the delivery order")
    assert f"[high] SLA wms-ack of flow outbound breached for shipment {sid}" in act["summary"]


async def _exceptions(running: Any, **params: str) -> list[dict[str, Any]]:
    headers = {"Authorization": f"Bearer {_admin_key(running)}"}
    async with httpx2.AsyncClient(base_url=running.base_url, headers=headers) as http:
        return list((await http.get("/v1/exceptions", params=params)).json()["exceptions"])


async def test_cancelled_before_picking_cancels_the_wms_release(
    start_rig: Any, odoo_of: Any, hub_server: Any, tmp_path: Path
) -> None:
    rig = await start_rig(step_delay_s=3.0)  # the warehouse takes its time before it starts picking
    running = _serve(hub_server, rig, tmp_path)
    odoo = await odoo_of(rig)
    order, order_id = await _confirm_order(odoo, [("TL-1002", 12.0)])
    assert rig.wms is not None

    async def released() -> bool:
        return any(r.path == "/api/v1/orders" and r.status == 202 for r in rig.wms.received)

    await eventually(released, "the release at the WMS")
    await odoo.call("sale.order", "action_cancel", [order_id], context={"disable_cancel_warning": True})

    async def cancelled_at_wms() -> bool:
        return any(r.path.endswith("/cancel") and r.status == 200 for r in rig.wms.received)

    await eventually(cancelled_at_wms, "the cancellation at the WMS")
    await rig.settle()
    await _drained(running)
    assert [cb.document["messageType"] for cb in rig.wms.callbacks] == []  # nothing was picked or shipped
    assert rig.wms.snapshot()["items"][1]["allocated"] == 0  # TL-1002 no longer held for the order
    [picking] = await _pickings(odoo, order)
    assert picking["state"] == "cancel"
    assert [e for e in await _exceptions(running) if e["flow"] == "outbound"] == []


async def test_cancelled_after_shipping_opens_an_exception_on_the_order(
    start_rig: Any, odoo_of: Any, hub_server: Any, tmp_path: Path
) -> None:
    rig = await start_rig()
    running = _serve(hub_server, rig, tmp_path)
    odoo = await odoo_of(rig)
    order, order_id = await _confirm_order(odoo, [("TL-1006", 3.0)])

    async def shipped() -> list[dict[str, Any]]:
        return [p for p in await _pickings(odoo, order) if p["state"] == "done"]

    [picking] = await eventually(shipped, "the delivery order validated")
    await odoo.call("sale.order", "action_cancel", [order_id], context={"disable_cancel_warning": True})

    async def too_late() -> list[dict[str, Any]]:
        return await _exceptions(running, type="cancel_too_late")

    [exc] = await eventually(too_late, "the cancel_too_late exception")
    assert exc["entity"] == f"order/{order}" and exc["severity"] == "high"
    assert f"{picking['name']}: already shipped (done in Odoo)" in exc["detail"]
    assert rig.wms is not None and not any(r.path.endswith("/cancel") for r in rig.wms.received)

    async def activity() -> list[dict[str, Any]]:
        return list(await odoo.search_read("mail.activity", [("res_model", "=", "sale.order"),
                                                             ("res_id", "=", order_id)], ["summary"]))

    [act] = await eventually(activity, "the exception's activity on the sale order")
    assert "cancelled in Odoo after it shipped" in act["summary"]
