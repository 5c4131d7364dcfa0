"""The Odoo contract: every connector operation against a real Odoo 17 or the emulator.

Each state-changing operation runs twice (the replay must create nothing and validate nothing again), and
the fault tests run with drop-after-commit faults (the emulator's, or the response-dropping proxy in front
of a real Odoo) to prove ambiguous outcomes are applied once.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from tradelane.connectors.odoo import (
    ActivityRequest,
    AttachmentRequest,
    BillLine,
    CarrierBill,
    CarrierData,
    ChangeCursor,
    NoteRequest,
    OdooClient,
    PartnerData,
    PickLine,
    ProductData,
    ReceiptConfirmation,
    RecordRef,
    ScheduleChange,
    ShipConfirmation,
    StockCount,
    apply_inventory_counts,
    attach_document,
    close_activity,
    invoice_delivered_order,
    open_activity,
    poll_changes,
    post_carrier_bill,
    post_note,
    read_locations,
    read_order_releases,
    read_quants,
    read_warehouses,
    receive_many,
    reschedule_many,
    ship_confirm_many,
    upsert_carriers,
    upsert_partners,
    upsert_products,
)


# -- master data -------------------------------------------------------------------------------------------
async def test_upsert_partners_twice_creates_once_and_updates(world: Any) -> None:
    keys = [world.target.key("P") for _ in range(3)]
    first = await upsert_partners(world.odoo, [PartnerData(k, f"{k} Ltd", country_code="BE") for k in keys])
    assert all(r.created for r in first)
    second = await upsert_partners(world.odoo, [PartnerData(k, f"{k} Ltd", country_code="BE") for k in keys])
    assert [r.id for r in second] == [r.id for r in first] and not any(r.created or r.updated for r in second)
    third = await upsert_partners(world.odoo, [PartnerData(keys[0], "Renamed", country_code="BE")])
    assert third[0].updated and third[0].id == first[0].id
    assert await world.count("res.partner", [("ref", "in", keys)]) == 3
    row = (await world.odoo.read("res.partner", [first[0].id], ["name", "country_id"]))[0]
    assert row["name"] == "Renamed" and row["country_id"]
    assert (
        await world.count(
            "ir.model.data",
            [
                ("module", "=", "tradelane"),
                ("res_id", "in", [r.id for r in first]),
                ("model", "=", "res.partner"),
            ],
        )
        == 3
    )


async def test_upsert_products_and_carriers(world: Any) -> None:
    skus = await world.products(2)
    assert await world.count("product.product", [("default_code", "in", skus)]) == 2
    again = await upsert_products(world.odoo, [ProductData(s, f"{s} widget", list_price=50.0) for s in skus])
    assert not any(r.created for r in again)
    assert await world.count("product.product", [("default_code", "in", skus)]) == 2
    key = world.target.key("CARRIER")
    first = await upsert_carriers(world.odoo, [CarrierData(key, f"{key} Express", fixed_price=15.0)])
    second = await upsert_carriers(world.odoo, [CarrierData(key, f"{key} Express", fixed_price=15.0)])
    assert first[0].created and not second[0].created and first[0].id == second[0].id
    assert await world.count("delivery.carrier", [("name", "=", f"{key} Express")]) == 1


async def test_upsert_under_dropped_replies_creates_exactly_once(world: Any, faults: Any) -> None:
    keys = [world.target.key("FP") for _ in range(10)]
    dropped = faults.dropped
    faults.on()
    results = await upsert_partners(world.odoo, [PartnerData(k, k) for k in keys])
    faults.off()
    assert faults.dropped > dropped  # at least one reply was lost after Odoo committed
    assert len({r.id for r in results}) == 10
    assert await world.count("res.partner", [("ref", "in", keys)]) == 10


async def test_read_warehouses_and_locations(odoo: OdooClient) -> None:
    warehouses = await read_warehouses(odoo)
    assert warehouses and warehouses[0].stock_location_id
    locations = await read_locations(odoo, warehouse_id=warehouses[0].id)
    assert warehouses[0].stock_location_id in {loc.id for loc in locations}
    assert all(loc.usage == "internal" for loc in locations)


# -- inventory ---------------------------------------------------------------------------------------------
async def test_inventory_adjustment_applies_once_per_reference(world: Any) -> None:
    [sku] = await world.products(1)
    loc = await world.stock_location()
    ref = world.target.key("COUNT")
    first = await apply_inventory_counts(world.odoo, ref, [StockCount(sku, loc, 40.0)])
    assert len(first.applied) == 1
    second = await apply_inventory_counts(world.odoo, ref, [StockCount(sku, loc, 40.0)])
    assert second.applied == () and len(second.skipped) == 1
    quants = await read_quants(world.odoo, location_ids=[loc], product_refs=[sku])
    assert sum(q.quantity for q in quants) == pytest.approx(40.0)
    assert await world.count("stock.move", [("is_inventory", "=", True), ("name", "=", ref)]) == 1


# -- outbound ----------------------------------------------------------------------------------------------
async def test_order_release_read(world: Any) -> None:
    skus = await world.products(2, stock=100.0)
    names = await world.sale_orders(2, [(skus[0], 10.0), (skus[1], 4.0)])
    releases = await read_order_releases(world.odoo, order_refs=names)
    assert sorted(r.order_ref for r in releases) == sorted(names)
    rel = releases[0]
    assert [(line.product_ref, line.quantity) for line in rel.lines] == [(skus[0], 10.0), (skus[1], 4.0)]
    assert rel.pickings and rel.pickings[0].picking_type_code == "outgoing"
    assert {m.product_ref for m in rel.pickings[0].moves} == set(skus)


async def test_partial_ship_with_backorder_is_applied_once(world: Any) -> None:
    skus = await world.products(2, stock=100.0)
    key = world.target.key("CARRIER")
    [carrier] = await upsert_carriers(world.odoo, [CarrierData(key, f"{key} Road", fixed_price=15.0)])
    [order] = await world.sale_orders(1, [(skus[0], 10.0), (skus[1], 4.0)], carrier_id=carrier.id)
    picking = await world.outgoing_picking(order)
    conf = ShipConfirmation(
        picking,
        (PickLine(skus[0], 6.0, package=f"{key}-SSCC-1", package_weight=4.2), PickLine(skus[1], 4.0)),
        hub_event_id=world.target.key("EVT"),
        tracking_ref=f"{key}-TRK",
        carrier_ref=key,
        shipping_cost=42.0,
    )
    [first] = await ship_confirm_many(world.odoo, [conf])
    assert first.error is None and first.state == "done" and len(first.backorder_ids) == 1
    assert first.tracking_ref == f"{key}-TRK" and first.carrier_price == pytest.approx(42.0)
    [again] = await ship_confirm_many(world.odoo, [conf])
    assert again.already_done and again.backorder_ids == first.backorder_ids
    assert await world.count("stock.picking", [("backorder_id", "=", first.picking_id)]) == 1
    back = (await world.odoo.read("stock.picking", list(first.backorder_ids), ["state", "move_ids"]))[0]
    assert back["state"] != "done"
    pkg = await world.odoo.search_read(
        "stock.quant.package", [("name", "=", f"{key}-SSCC-1")], ["shipping_weight"]
    )
    assert len(pkg) == 1 and pkg[0]["shipping_weight"] == pytest.approx(4.2)


async def test_partial_ship_without_backorder(world: Any) -> None:
    [sku] = await world.products(1, stock=50.0)
    [order] = await world.sale_orders(1, [(sku, 5.0)])
    picking = await world.outgoing_picking(order)
    conf = ShipConfirmation(picking, (PickLine(sku, 2.0),), world.target.key("EVT"), backorder=False)
    [res] = await ship_confirm_many(world.odoo, [conf])
    assert res.state == "done" and res.backorder_ids == ()
    assert await world.count("stock.picking", [("backorder_id", "=", res.picking_id)]) == 0


async def test_ship_confirm_batch_under_dropped_replies(world: Any, faults: Any) -> None:
    [sku] = await world.products(1, stock=200.0)
    orders = await world.sale_orders(5, [(sku, 3.0)])
    pickings = [await world.outgoing_picking(o) for o in orders]
    confs = [
        ShipConfirmation(p, (PickLine(sku, 3.0),), world.target.key("EVT"), tracking_ref=f"{p}-T")
        for p in pickings
    ]
    dropped = faults.dropped
    faults.on()
    results = await ship_confirm_many(world.odoo, confs)
    faults.off()
    assert faults.dropped > dropped
    assert all(r.state == "done" and r.error is None for r in results)
    ids = [r.picking_id for r in results]
    assert await world.count("stock.picking", [("backorder_id", "in", ids)]) == 0
    done_moves = await world.odoo.search_read(
        "stock.move", [("picking_id", "in", ids)], ["quantity", "state"]
    )
    assert sum(m["quantity"] for m in done_moves) == pytest.approx(15.0)
    quants = await read_quants(world.odoo, product_refs=[sku])
    assert sum(q.quantity for q in quants) == pytest.approx(200.0 - 15.0)


# -- inbound -----------------------------------------------------------------------------------------------
async def test_partial_receipt_with_lots_and_backorder(world: Any) -> None:
    [plain] = await world.products(1)
    [lotted] = await world.products(1, tracking="lot")
    _po, receipt = await world.purchase_order([(plain, 20.0), (lotted, 10.0)])
    lot_a, lot_b = world.target.key("LOT"), world.target.key("LOT")
    conf = ReceiptConfirmation(
        receipt,
        (PickLine(plain, 12.0), PickLine(lotted, 6.0, lot=lot_a), PickLine(lotted, 4.0, lot=lot_b)),
        world.target.key("EVT"),
    )
    [first] = await receive_many(world.odoo, [conf])
    assert first.state == "done" and len(first.backorder_ids) == 1
    [again] = await receive_many(world.odoo, [conf])
    assert again.already_done
    lots = await world.odoo.search_read(
        world.odoo.dialect.lot_model, [("name", "in", [lot_a, lot_b])], ["name"]
    )
    assert sorted(r["name"] for r in lots) == sorted([lot_a, lot_b])
    quants = await read_quants(world.odoo, product_refs=[lotted])
    assert {q.lot: q.quantity for q in quants} == {lot_a: 6.0, lot_b: 4.0}


async def test_reschedule_receipt(world: Any) -> None:
    [sku] = await world.products(1)
    _po, receipt = await world.purchase_order([(sku, 5.0)])
    when = datetime(2026, 12, 2, 7, 30, tzinfo=UTC) + timedelta(hours=0)
    change = ScheduleChange(receipt, when, world.target.key("EVT"), deadline=when + timedelta(hours=2))
    [res] = await reschedule_many(world.odoo, [change])
    assert res.error is None
    calls_before = world.odoo.rpc_count
    await reschedule_many(world.odoo, [change])
    row = await world.picking(receipt, ["scheduled_date", "move_ids"])
    assert row["scheduled_date"] == "2026-12-02 07:30:00"
    assert world.odoo.rpc_count - calls_before <= 4  # reads + the deadline write, no picking write


# -- invoicing ---------------------------------------------------------------------------------------------
async def test_customer_invoice_after_delivery_once(world: Any) -> None:
    [sku] = await world.products(1, stock=20.0)
    [order] = await world.sale_orders(1, [(sku, 2.0)])
    picking = await world.outgoing_picking(order)
    await ship_confirm_many(
        world.odoo, [ShipConfirmation(picking, (PickLine(sku, 2.0),), world.target.key("EVT"))]
    )
    event = world.target.key("EVT")
    first = await invoice_delivered_order(world.odoo, order, event)
    second = await invoice_delivered_order(world.odoo, order, event)
    assert (
        first.state == "posted"
        and first.created
        and second.invoice_id == first.invoice_id
        and not second.created
    )
    row = (
        await world.odoo.search_read("sale.order", [("name", "=", order)], ["invoice_ids", "invoice_status"])
    )[0]
    assert row["invoice_ids"] == [first.invoice_id]


async def test_carrier_bill_duplicate_reference_protection(world: Any) -> None:
    key = world.target.key("CARRIER")
    await upsert_carriers(world.odoo, [CarrierData(key, f"{key} Freight")])
    vendor = world.target.key("VENDOR")
    await upsert_partners(world.odoo, [PartnerData(vendor, f"{vendor} Carrier Ltd")])
    bill = CarrierBill(
        vendor,
        f"{key}-INV-889",
        date(2026, 11, 20),
        (BillLine("Freight", 42.0), BillLine("Fuel", 3.5)),
        world.target.key("EVT"),
        carrier_ref=key,
    )
    first = await post_carrier_bill(world.odoo, bill)
    second = await post_carrier_bill(world.odoo, bill)
    assert first.created and first.state == "posted" and first.amount_total
    assert second.invoice_id == first.invoice_id and not second.created
    assert await world.count("account.move", [("ref", "=", bill.ref), ("move_type", "=", "in_invoice")]) == 1


# -- traceability ------------------------------------------------------------------------------------------
async def test_note_activity_attachment_once(world: Any) -> None:
    [sku] = await world.products(1, stock=5.0)
    [order] = await world.sale_orders(1, [(sku, 1.0)])
    pid = (await world.picking(await world.outgoing_picking(order), ["id"]))["id"]
    rec = RecordRef("stock.picking", pid)
    note = NoteRequest(rec, "Carrier exception: address not found", world.target.key("EVT"))
    assert await post_note(world.odoo, note) == await post_note(world.odoo, note)
    marker_count = await world.count(
        "mail.message",
        [("model", "=", "stock.picking"), ("res_id", "=", pid), ("body", "ilike", note.hub_event_id)],
    )
    assert marker_count == 1

    act = ActivityRequest(
        rec, "Late trailer", world.target.key("EVT"), note="Trailer missed slot", deadline=date(2026, 12, 2)
    )
    opened = await open_activity(world.odoo, act)
    assert opened.changed and (await open_activity(world.odoo, act)).activity_id == opened.activity_id
    closed = await close_activity(world.odoo, rec, act.hub_event_id, "Trailer arrived 08:10")
    assert closed.done and closed.changed
    replay = await close_activity(world.odoo, rec, act.hub_event_id, "Trailer arrived 08:10")
    assert replay.done and not replay.changed
    assert not (
        await open_activity(world.odoo, act)
    ).changed  # a closed exception is not reopened by a replay

    doc = AttachmentRequest(rec, "pod.pdf", b"%PDF-1.4 pod", world.target.key("EVT"))
    att = await attach_document(world.odoo, doc)
    assert await attach_document(world.odoo, doc) == att
    assert (
        await world.count("ir.attachment", [("res_model", "=", "stock.picking"), ("res_id", "=", pid)]) == 1
    )


# -- change capture ----------------------------------------------------------------------------------------
async def test_poll_partners_by_write_date(world: Any) -> None:
    keys = [world.target.key("CHG") for _ in range(3)]
    await upsert_partners(world.odoo, [PartnerData(k, k) for k in keys])
    domain = [("ref", "in", keys)]
    first = await poll_changes(
        world.odoo, ChangeCursor("res.partner"), ["ref", "name"], domain=domain, page_size=2
    )
    assert sorted(r["ref"] for r in first.records) == sorted(keys)
    second = await poll_changes(world.odoo, first.cursor, ["ref", "name"], domain=domain)
    assert second.records == ()
    await upsert_partners(world.odoo, [PartnerData(keys[0], "changed")])
    third = await poll_changes(world.odoo, second.cursor, ["ref", "name"], domain=domain)
    assert [r["ref"] for r in third.records] == [keys[0]]


# -- protocols ---------------------------------------------------------------------------------------------
async def test_jsonrpc_and_xmlrpc_give_the_same_results(world: Any, target: Any) -> None:
    keys = [world.target.key("PROTO") for _ in range(2)]
    await upsert_partners(world.odoo, [PartnerData(k, k, city="Ghent") for k in keys])
    fields = ["ref", "name", "city", "country_id", "write_date"]
    results = {}
    for proto in ("jsonrpc", "xmlrpc"):
        client = OdooClient(target.settings.model_copy(update={"protocol": proto}))
        await client.connect()
        try:
            assert client.protocol == proto
            results[proto] = await client.search_read(
                "res.partner", [("ref", "in", keys)], fields, order="id"
            )
            [sku] = await world.products(1)
            loc = await world.stock_location()
            # action_apply_inventory returns None: no result over JSON-RPC, a marshal fault over XML-RPC
            adj = await apply_inventory_counts(
                client, world.target.key("PCOUNT"), [StockCount(sku, loc, 3.0)]
            )
            assert len(adj.applied) == 1
        finally:
            await client.close()
    assert results["jsonrpc"] == results["xmlrpc"] and len(results["jsonrpc"]) == 2
