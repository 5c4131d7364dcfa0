"""The Odoo contract: every connector operation against a real Odoo 17 or the emulator.

Each state-changing operation runs twice (the replay must create nothing and validate nothing again), and
the fault tests run with drop-after-commit faults (the emulator's, or the response-dropping proxy in front
of a real Odoo) to prove ambiguous outcomes are applied once.
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from pydantic import SecretStr

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
    parse_automation_webhook,
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
from tradelane.connectors.odoo.common import m2o_id, record_xmlids, xmlid_name
from tradelane.connectors.odoo.returns import (
    ReturnLineQty,
    ReturnRequest,
    is_open_odoo_return,
    poll_odoo_returns,
    return_delivery,
)
from tradelane.connectors.odoo.transfers import run_backorder_wizard
from tradelane.core.errors import AuthError, BusinessError, PermanentError, TransientError


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


async def test_a_count_covers_the_stock_in_packages_too(world: Any) -> None:
    """Returned goods come back to stock in the package they left in. The warehouse counts pieces, not Odoo's
    packages: the count is the total at the location, packaged stock is kept while the count covers it, and a
    count below it empties the package."""
    [sku] = await world.products(1, stock=10.0)
    loc = await world.stock_location()
    box_name = world.target.key("RETURNED")
    [box] = await world.odoo.create("stock.quant.package", [{"name": box_name}])
    [packed] = await world.odoo.create(
        "stock.quant",
        [{"product_id": await world.product_id(sku), "location_id": loc, "package_id": box, "inventory_quantity": 3.0}],
        context={"inventory_mode": True},
    )
    await world.odoo.call("stock.quant", "action_apply_inventory", [packed], context={"inventory_mode": True})

    async def on_hand() -> dict[str | None, float]:
        out: dict[str | None, float] = {}
        for q in await read_quants(world.odoo, location_ids=[loc], product_refs=[sku], include_children=False):
            out[q.package] = out.get(q.package, 0.0) + q.quantity
        return {k: v for k, v in out.items() if v}

    assert await on_hand() == {None: 10.0, box_name: 3.0}
    await apply_inventory_counts(world.odoo, world.target.key("COUNT"), [StockCount(sku, loc, 8.0)])
    assert await on_hand() == {None: 5.0, box_name: 3.0}
    await apply_inventory_counts(world.odoo, world.target.key("COUNT"), [StockCount(sku, loc, 2.0)])
    assert await on_hand() == {None: 2.0}


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


# -- change capture of confirmed sale orders ---------------------------------------------------------------
async def test_poll_confirmed_sale_orders_and_their_delivery(world: Any) -> None:
    [sku] = await world.products(1, stock=20.0)
    names = await world.sale_orders(2, [(sku, 2.0)])
    fields = ["name", "state", "delivery_status"]
    domain = [("state", "=", "sale"), ("name", "in", names)]
    first = await poll_changes(world.odoo, ChangeCursor("sale.order"), fields, domain=domain)
    assert sorted(r["name"] for r in first.records) == sorted(names)
    assert {r["delivery_status"] for r in first.records} == {"pending"}
    assert (await poll_changes(world.odoo, first.cursor, fields, domain=domain)).records == ()
    # validating the delivery recomputes the stored delivery_status: the order changes again (reference §7.1)
    picking = await world.outgoing_picking(names[0])
    await ship_confirm_many(
        world.odoo, [ShipConfirmation(picking, (PickLine(sku, 2.0),), world.target.key("EVT"))]
    )
    third = await poll_changes(world.odoo, first.cursor, fields, domain=domain)
    assert [(r["name"], r["delivery_status"]) for r in third.records] == [(names[0], "full")]


# -- outbound lots and the backorder wizard ----------------------------------------------------------------
async def test_ship_existing_lots_into_packages(world: Any) -> None:
    [sku] = await world.products(1, tracking="lot")
    loc = await world.stock_location()
    lot_a, lot_b = world.target.key("LOT"), world.target.key("LOT")
    counts = [StockCount(sku, loc, 5.0, lot=lot_a), StockCount(sku, loc, 5.0, lot=lot_b)]
    adj = await apply_inventory_counts(world.odoo, world.target.key("LOTCOUNT"), counts)
    assert len(adj.applied) == 2
    [order] = await world.sale_orders(1, [(sku, 6.0)])
    picking = await world.outgoing_picking(order)
    box = world.target.key("BOX")
    conf = ShipConfirmation(
        picking,
        (
            PickLine(sku, 4.0, lot=lot_b, package=box, package_weight=9.5),
            PickLine(sku, 2.0, lot=lot_a, package=box),
        ),
        world.target.key("EVT"),
    )
    [first] = await ship_confirm_many(world.odoo, [conf])
    assert first.error is None and first.state == "done" and first.backorder_ids == ()
    [again] = await ship_confirm_many(world.odoo, [conf])
    assert again.already_done
    lines = await world.odoo.search_read(
        "stock.move.line",
        [("picking_id", "=", first.picking_id)],
        ["lot_id", "quantity", "result_package_id"],
    )
    assert sorted((line["lot_id"][1], line["quantity"]) for line in lines) == sorted(
        [(lot_b, 4.0), (lot_a, 2.0)]
    )
    assert {line["result_package_id"][1] for line in lines} == {box}
    quants = await read_quants(world.odoo, location_ids=[loc], product_refs=[sku])
    assert {q.lot: q.quantity for q in quants if q.quantity} == {lot_a: 3.0, lot_b: 1.0}


async def test_a_batch_on_an_untracked_product_is_not_written_as_a_lot(world: Any) -> None:
    """Warehouses report a batch on every line. On a product Odoo does not track, Odoo 17 would take the lot as
    it is and ship out of a lot quant that never held stock (it goes negative); the batch is left off."""
    [plain] = await world.products(1, stock=10.0)
    [lotted] = await world.products(1, tracking="lot")
    loc = await world.stock_location()
    lot = world.target.key("LOT")
    adj = await apply_inventory_counts(world.odoo, world.target.key("LOTCOUNT"), [StockCount(lotted, loc, 5.0, lot=lot)])
    assert len(adj.applied) == 1
    [order] = await world.sale_orders(1, [(plain, 4.0), (lotted, 2.0)])
    picking = await world.outgoing_picking(order)
    batch = world.target.key("BATCH")
    conf = ShipConfirmation(
        picking, (PickLine(plain, 4.0, lot=batch), PickLine(lotted, 2.0, lot=lot)), world.target.key("EVT")
    )
    [done] = await ship_confirm_many(world.odoo, [conf])
    assert done.error is None and done.state == "done"
    lines = await world.odoo.search_read(
        "stock.move.line", [("picking_id", "=", done.picking_id)], ["product_id", "lot_id", "quantity"]
    )
    by_lot = sorted((line["lot_id"][1] if line["lot_id"] else "", line["quantity"]) for line in lines)
    assert by_lot == sorted([("", 4.0), (lot, 2.0)])
    assert await world.odoo.search_read(world.odoo.dialect.lot_model, [("name", "=", batch)], ["name"]) == []
    quants = await read_quants(world.odoo, product_refs=[plain])
    assert all(q.lot is None for q in quants) and min(q.quantity for q in quants) >= 0
    assert sum(q.quantity for q in quants) == 6.0
    assert {q.lot: q.quantity for q in await read_quants(world.odoo, location_ids=[loc], product_refs=[lotted])
            if q.quantity} == {lot: 3.0}


def _lots_created_first_by_another_writer(monkeypatch: pytest.MonkeyPatch, odoo: OdooClient) -> list[int]:
    """Make another writer win the lot-creation race: just before the hub's first ``stock.lot`` create, the
    same lots are created and committed by "someone else" (another hub process, a person in Odoo), so the
    hub's create meets Odoo's uniqueness check. Returns the ids the other writer created."""
    original = odoo.create
    theirs: list[int] = []

    async def create(model: str, vals_list: Any, **kwargs: Any) -> Any:
        if model == odoo.dialect.lot_model and not theirs:
            theirs.extend(await original(model, vals_list, **kwargs))
        return await original(model, vals_list, **kwargs)

    monkeypatch.setattr(odoo, "create", create)
    return theirs


async def test_lot_created_concurrently_is_read_again_not_duplicated(
    world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    [sku] = await world.products(1, tracking="lot")
    pid = await world.product_id(sku)
    loc = await world.stock_location()
    counted, shipped = world.target.key("LOT"), world.target.key("LOT")
    theirs = _lots_created_first_by_another_writer(monkeypatch, world.odoo)
    # an inventory count naming a lot Odoo does not have yet
    adj = await apply_inventory_counts(world.odoo, world.target.key("LOTRACE"), [StockCount(sku, loc, 6.0, counted)])
    assert len(adj.applied) == 1 and len(theirs) == 1
    # a ship confirmation naming another new lot (transfers.resolve_lots)
    theirs.clear()
    [order] = await world.sale_orders(1, [(sku, 2.0)])
    picking = await world.outgoing_picking(order)
    [done] = await ship_confirm_many(world.odoo, [ShipConfirmation(
        picking, (PickLine(sku, 2.0, lot=shipped),), world.target.key("EVT"))])
    assert done.error is None and done.state == "done" and len(theirs) == 1
    lots = await world.odoo.search_read("stock.lot", [("product_id", "=", pid)], ["name"], order="id")
    assert sorted(lot["name"] for lot in lots) == sorted([counted, shipped])  # one of each, none duplicated
    ids = {lot["name"]: lot["id"] for lot in lots}
    assert ids[shipped] == theirs[0]  # the hub used the lot the other writer created
    [line] = await world.odoo.search_read("stock.move.line", [("picking_id", "=", done.picking_id)], ["lot_id"])
    assert m2o_id(line["lot_id"]) == ids[shipped]
    quants = await read_quants(world.odoo, location_ids=[loc], product_refs=[sku])
    assert {q.lot: q.quantity for q in quants if q.quantity} == {counted: 6.0, shipped: -2.0}


async def test_backorder_wizard_answers(world: Any) -> None:
    """Without the ``skip_backorder`` shortcut Odoo asks through ``stock.backorder.confirmation``; the
    connector's answer (``process`` keeps a backorder, ``process_cancel_backorder`` drops the rest) must work."""
    [sku] = await world.products(1, stock=50.0)
    orders = await world.sale_orders(2, [(sku, 5.0)])
    pickings = [await world.picking(await world.outgoing_picking(o), ["id", "move_ids"]) for o in orders]
    for p in pickings:
        await world.odoo.write("stock.move", p["move_ids"], {"quantity": 2.0, "picked": True})
    ids = [int(p["id"]) for p in pickings]
    action = await world.odoo.call("stock.picking", "button_validate", ids)
    assert isinstance(action, dict) and action["res_model"] == "stock.backorder.confirmation"
    assert sorted(action["context"]["button_validate_picking_ids"]) == sorted(ids)
    await run_backorder_wizard(world.odoo, action, ids, no_backorder={ids[1]})
    rows = await world.odoo.read("stock.picking", ids, ["state", "backorder_ids"])
    assert [r["state"] for r in rows] == ["done", "done"]
    assert len(rows[0]["backorder_ids"]) == 1 and rows[1]["backorder_ids"] == []
    back = (await world.odoo.read("stock.picking", rows[0]["backorder_ids"], ["state", "move_ids"]))[0]
    assert back["state"] == "assigned"
    moves = await world.odoo.read("stock.move", back["move_ids"], ["product_uom_qty"])
    assert [m["product_uom_qty"] for m in moves] == [3.0]


# -- the error taxonomy ------------------------------------------------------------------------------------
@pytest.mark.parametrize("protocol", ["jsonrpc", "xmlrpc"])
async def test_odoo_errors_map_to_the_tradelane_tree(world: Any, target: Any, protocol: str) -> None:
    client = OdooClient(target.settings.model_copy(update={"protocol": protocol}))
    await client.connect()
    try:
        with pytest.raises(BusinessError, match="Record does not exist or has been deleted") as missing:
            await client.write("res.partner", [2_000_000_000], {"name": "x"})
        assert missing.value.kind == ("MissingError" if protocol == "jsonrpc" else "UserError")
        [sku] = await world.products(1)
        [order] = await world.sale_orders(1, [(sku, 1.0)])  # nothing in stock: nothing reserved
        pid = (await world.picking(await world.outgoing_picking(order), ["id"]))["id"]
        with pytest.raises(BusinessError, match="no quantities are reserved"):
            await client.call("stock.picking", "button_validate", [pid])
        with pytest.raises(AuthError, match="Private methods"):
            await client.call("sale.order", "_create_invoices", [1])
        with pytest.raises(PermanentError, match="Invalid field") as invalid:
            await client.search("res.partner", [("no_such_field", "=", 1)])
        assert not isinstance(invalid.value, BusinessError)
    finally:
        await client.close()
    wrong = OdooClient(
        target.settings.model_copy(update={"protocol": protocol, "password": SecretStr("wrong")})
    )
    try:
        with pytest.raises(AuthError, match="refused the credentials"):
            await wrong.connect()
    finally:
        await wrong.close()


async def test_carrier_fixed_price_survives_replays_and_is_billed_on_validation(world: Any) -> None:
    """``delivery.carrier.fixed_price`` is computed from the carrier's product price (17.0): replays and price
    changes must keep both in step, and validation (tracking number written after it) bills that price."""
    key = world.target.key("CARRIER")
    [first] = await upsert_carriers(world.odoo, [CarrierData(key, f"{key} Parcel", fixed_price=15.0)])
    await upsert_carriers(world.odoo, [CarrierData(key, f"{key} Parcel", fixed_price=15.0)])
    [changed] = await upsert_carriers(world.odoo, [CarrierData(key, f"{key} Parcel", fixed_price=20.0)])
    assert changed.updated and changed.id == first.id
    row = (await world.odoo.read("delivery.carrier", [first.id], ["fixed_price", "product_id"]))[0]
    assert row["fixed_price"] == pytest.approx(20.0)
    [sku] = await world.products(1, stock=10.0)
    [order] = await world.sale_orders(1, [(sku, 1.0)], carrier_id=first.id)
    picking = await world.outgoing_picking(order)
    conf = ShipConfirmation(
        picking, (PickLine(sku, 1.0),), world.target.key("EVT"), tracking_ref=f"{key}-TRK"
    )
    [res] = await ship_confirm_many(world.odoo, [conf])
    assert res.state == "done" and res.tracking_ref == f"{key}-TRK"
    assert res.carrier_price == pytest.approx(20.0)  # Odoo's send_to_shipper billed the carrier's price
    free = world.target.key("CARRIER")
    [zero] = await upsert_carriers(world.odoo, [CarrierData(free, f"{free} Free")])
    [order] = await world.sale_orders(1, [(sku, 1.0)], carrier_id=zero.id)
    picking = await world.outgoing_picking(order)
    [res] = await ship_confirm_many(
        world.odoo, [ShipConfirmation(picking, (PickLine(sku, 1.0),), world.target.key("EVT"))]
    )
    assert res.carrier_price == 0.0  # a free carrier's price is 0.0, not "unknown"


# -- the automation-rule webhook (a hint for an early poll) -------------------------------------------------
class _HookSink:
    """A loopback receiver for Odoo's "Send Webhook Notification" POSTs (Odoo sends them mid-transaction)."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                sink.bodies.append(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/odoo/so-confirmed"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


async def test_automation_webhook_hints_an_early_poll(world: Any, target: Any) -> None:
    if target.emulator is not None:
        pytest.skip(
            "the emulator has no base.automation; parse_automation_webhook is unit-tested on real payloads"
        )
    odoo = world.odoo
    if not await odoo.search(
        "ir.module.module", [("name", "=", "base_automation"), ("state", "=", "installed")]
    ):
        pytest.skip("base_automation is not installed on this Odoo")
    sink = _HookSink()
    model_id = (await odoo.search("ir.model", [("model", "=", "sale.order")]))[0]
    state = (await odoo.search("ir.model.fields", [("model", "=", "sale.order"), ("name", "=", "state")]))[0]
    sale = (
        await odoo.search("ir.model.fields.selection", [("field_id", "=", state), ("value", "=", "sale")])
    )[0]
    fields = await odoo.search(
        "ir.model.fields", [("model", "=", "sale.order"), ("name", "in", ["name", "state", "write_date"])]
    )
    [rule] = await odoo.create(
        "base.automation",
        [
            {
                "name": world.target.key("HOOK"),
                "model_id": model_id,
                "trigger": "on_state_set",
                "trigger_field_ids": [(6, 0, [state])],
                "trg_selection_field_id": sale,
                "action_server_ids": [
                    (0, 0, {"name": "notify hub", "model_id": model_id, "state": "webhook",
                            "webhook_url": sink.url, "webhook_field_ids": [(6, 0, fields)]})
                ],
            }
        ],
    )  # fmt: skip
    try:
        [sku] = await world.products(1, stock=5.0)
        [order] = await world.sale_orders(1, [(sku, 1.0)])
    finally:
        await odoo.write("base.automation", [rule], {"active": False})  # leave the database as it was
        sink.stop()
    hints = [parse_automation_webhook(body) for body in sink.bodies]
    [hint] = [h for h in hints if h.values.get("name") == order]
    assert hint.model == "sale.order" and hint.values["state"] == "sale" and hint.action
    # the hint only says "poll now": the poll finds the order by its own reading of Odoo
    batch = await poll_changes(
        odoo, ChangeCursor("sale.order"), ["name", "state"], domain=[("id", "=", hint.record_id)]
    )
    assert [(r["name"], r["state"]) for r in batch.records] == [(order, "sale")]


# -- returns (stock.return.picking → receipt; account.move.reversal → credit note) --------------------------
async def _delivered_and_invoiced(world: Any, lines: list[tuple[str, float]]) -> tuple[str, str, int]:
    """A confirmed order with ``lines`` shipped in full and invoiced: (order, delivery name, invoice id)."""
    [order] = await world.sale_orders(1, lines)
    picking = await world.outgoing_picking(order)
    await ship_confirm_many(
        world.odoo,
        [ShipConfirmation(picking, tuple(PickLine(sku, qty) for sku, qty in lines), world.target.key("EVT"))],
    )
    invoice = await invoice_delivered_order(world.odoo, order, world.target.key("EVT"))
    assert invoice.state == "posted"
    return order, picking, invoice.invoice_id


async def test_return_with_posted_credit_note_once(world: Any) -> None:
    skus = await world.products(2, stock=10.0)
    order, delivery, invoice_id = await _delivered_and_invoiced(world, [(skus[0], 4.0), (skus[1], 3.0)])
    req = ReturnRequest(delivery, (ReturnLineQty(skus[0], 2.0),), world.target.key("EVT"), credit="posted",
                        reason="RMA")
    first = await return_delivery(world.odoo, req)
    second = await return_delivery(world.odoo, req)
    assert first.created and not second.created and second.picking_id == first.picking_id
    assert first.state == "done" and first.quantities == {skus[0]: 2.0}
    assert first.credit_note_state == "posted" and second.credit_note_id == first.credit_note_id
    picking = await world.picking(first.picking_ref, ["picking_type_code", "origin", "return_id", "sale_id"])
    assert picking["picking_type_code"] == "incoming" and picking["origin"] == f"Return of {delivery}"
    assert m2o_id(picking["return_id"]) is not None and m2o_id(picking["sale_id"]) is not None
    assert await world.count("stock.picking", [("return_id", "=", m2o_id(picking["return_id"]))]) == 1
    note = (await world.odoo.read("account.move", [first.credit_note_id],
                                  ["move_type", "reversed_entry_id", "invoice_line_ids", "payment_state"]))[0]
    assert note["move_type"] == "out_refund" and m2o_id(note["reversed_entry_id"]) == invoice_id
    assert note["payment_state"] == "paid"
    lines = await world.odoo.read("account.move.line", note["invoice_line_ids"], ["product_id", "quantity"])
    assert [(m2o_id(line["product_id"]), line["quantity"]) for line in lines] == [
        (await world.product_id(skus[0]), 2.0)
    ]
    inv = (await world.odoo.read("account.move", [invoice_id], ["payment_state"]))[0]
    assert inv["payment_state"] == "partial"
    sol = await world.odoo.search_read("sale.order.line", [("order_id.name", "=", order)],
                                       ["product_id", "qty_delivered", "qty_invoiced"], order="id")
    assert [(line["qty_delivered"], line["qty_invoiced"]) for line in sol] == [(2.0, 2.0), (3.0, 3.0)]
    assert await world.count("account.move", [("reversed_entry_id", "=", invoice_id)]) == 1


async def _return_in_odoo(world: Any, delivery: str, qty_by_sku: dict[str, float]) -> tuple[int, str]:
    """What a person does in Odoo: the return wizard on the delivery, with these quantities; (id, name)."""
    [row] = await world.odoo.search_read("stock.picking", [("name", "=", delivery)], ["id"])
    ctx = {"active_model": "stock.picking", "active_id": row["id"], "active_ids": [row["id"]]}
    wizard = await world.odoo.create("stock.return.picking", [{"picking_id": row["id"]}], context=ctx)
    [wiz] = await world.odoo.read("stock.return.picking", wizard, ["product_return_moves"])
    skus = {await world.product_id(sku): sku for sku in qty_by_sku}
    for line in await world.odoo.read("stock.return.picking.line", wiz["product_return_moves"], ["product_id"]):
        qty = qty_by_sku.get(skus.get(m2o_id(line["product_id"]) or 0, ""), 0.0)
        await world.odoo.write("stock.return.picking.line", [line["id"]], {"quantity": qty, "to_refund": True})
    action = await world.odoo.call("stock.return.picking", "create_returns", wizard, context=ctx)
    [made] = await world.odoo.read("stock.picking", [int(action["res_id"])], ["name"])
    return int(action["res_id"]), str(made["name"])


async def test_return_made_in_odoo_is_captured_and_received_into_it(world: Any) -> None:
    skus = await world.products(2, stock=10.0)
    order, delivery, _invoice = await _delivered_and_invoiced(world, [(skus[0], 4.0), (skus[1], 3.0)])
    cursor = ChangeCursor("stock.picking", watermark=_odoo_now_minus(minutes=5))
    made_id, made = await _return_in_odoo(world, delivery, {skus[0]: 3.0, skus[1]: 1.0})
    found, cursor = await poll_odoo_returns(world.odoo, cursor)
    [ret] = [r for r in found if r.picking_id == made_id]
    assert (ret.picking_ref, ret.delivery_ref, ret.order_ref) == (made, delivery, order)
    assert sorted(ret.lines) == sorted([(skus[0], 3.0), (skus[1], 1.0)]) and ret.created_at is not None
    assert await is_open_odoo_return(world.odoo, made)
    # the goods arrive: 2 of the 3 first items are put back (the rest and the second item are not restocked)
    req = ReturnRequest(delivery, (ReturnLineQty(skus[0], 2.0),), world.target.key("EVT"), credit="none",
                        return_ref=made)
    first = await return_delivery(world.odoo, req)
    again = await return_delivery(world.odoo, req)
    assert first.created and not again.created and first.picking_id == again.picking_id == made_id
    assert first.state == "done" and first.quantities == {skus[0]: 2.0}
    moves = await world.odoo.search_read("stock.move", [("picking_id", "=", made_id)],
                                         ["product_id", "quantity", "state"])
    by_sku = {sku: await world.product_id(sku) for sku in skus}
    assert sorted((m2o_id(m["product_id"]), m["state"]) for m in moves) == sorted(
        [(by_sku[skus[0]], "done"), (by_sku[skus[1]], "cancel")])
    assert await world.count("stock.picking", [("backorder_id", "=", made_id)]) == 0
    assert await world.count("stock.picking", [("origin", "=", f"Return of {delivery}")]) == 1
    assert not await is_open_odoo_return(world.odoo, made)  # received now (and the hub's)
    # a return picking the hub is making (open, with its external id already: the hub's return_delivery between
    # create_returns and validation) is neither captured nor taken for a person's
    ours_id, ours = await _return_in_odoo(world, delivery, {skus[1]: 1.0})
    await record_xmlids(world.odoo, "stock.picking", {xmlid_name("return", world.target.key("EVT")): ours_id})
    found, _ = await poll_odoo_returns(world.odoo, cursor)
    assert ours_id not in {r.picking_id for r in found} and made_id not in {r.picking_id for r in found}
    assert not await is_open_odoo_return(world.odoo, ours)
    await world.odoo.call("stock.picking", "action_cancel", [ours_id])  # leave no open receipt behind
    assert not await is_open_odoo_return(world.odoo, delivery)  # a delivery is no return
    with pytest.raises(BusinessError, match="not a return picking"):
        await return_delivery(world.odoo, ReturnRequest(delivery, (ReturnLineQty(skus[0], 1.0),),
                                                        world.target.key("EVT"), return_ref=delivery))


def _odoo_now_minus(**delta: float) -> str:
    return (datetime.now(UTC) - timedelta(**delta)).strftime("%Y-%m-%d %H:%M:%S")


def _return_xmlid_write_lost_once(monkeypatch: pytest.MonkeyPatch, odoo: OdooClient,
                                  meanwhile: Any) -> list[Any]:
    """The hub's return run dies after Odoo's ``create_returns`` committed the return picking and before the
    hub wrote its ``return_…`` external id: that write fails once as a lost connection (``TransientError``, so
    the operation runs again). ``meanwhile()`` runs in that window (change capture, say); its result is kept."""
    original = odoo.create
    seen: list[Any] = []

    async def create(model: str, vals_list: Any, **kwargs: Any) -> Any:
        rows = vals_list if isinstance(vals_list, list) else [vals_list]
        if model == "ir.model.data" and not seen and any(str(v.get("name")).startswith("return_") for v in rows):
            seen.append(await meanwhile())
            raise TransientError("connection lost before the external id was written")
        return await original(model, vals_list, **kwargs)

    monkeypatch.setattr(odoo, "create", create)
    return seen


async def test_return_run_again_after_create_returns_finds_the_picking_it_made(
    world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    [sku] = await world.products(1, stock=10.0)
    _order, delivery, _invoice = await _delivered_and_invoiced(world, [(sku, 4.0)])
    [row] = await world.odoo.search_read("stock.picking", [("name", "=", delivery)], ["id"])
    cursor = ChangeCursor("stock.picking", watermark=_odoo_now_minus(minutes=5))

    async def capture() -> list[int]:
        found, _ = await poll_odoo_returns(world.odoo, cursor)
        return [r.picking_id for r in found]

    seen = _return_xmlid_write_lost_once(monkeypatch, world.odoo, capture)
    req = ReturnRequest(delivery, (ReturnLineQty(sku, 2.0),), world.target.key("EVT"), credit="none")
    done = await return_delivery(world.odoo, req)  # the write is lost once: the whole operation runs again
    assert len(seen) == 1
    made = await world.odoo.search_read("stock.picking", [("return_id", "=", row["id"])], ["id", "state"])
    # one return picking, the one the first run's create_returns made, validated by the second run
    assert [r["id"] for r in made] == [done.picking_id] and done.state == "done" and done.quantities == {sku: 2.0}
    # change capture in the window did not take the hub's picking (no external id yet) for a person's return
    assert done.picking_id not in seen[0]
    found, _ = await poll_odoo_returns(world.odoo, cursor)
    assert done.picking_id not in {r.picking_id for r in found}
    again = await return_delivery(world.odoo, req)
    assert not again.created and again.picking_id == done.picking_id
    # a person's return on the same delivery later is still captured
    theirs, _name = await _return_in_odoo(world, delivery, {sku: 1.0})
    found, _ = await poll_odoo_returns(world.odoo, cursor)
    assert theirs in {r.picking_id for r in found}
    await world.odoo.call("stock.picking", "action_cancel", [theirs])  # leave no open receipt behind


async def test_return_run_again_when_create_returns_never_ran_makes_one_and_adopts_no_other(
    world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    [sku] = await world.products(1, stock=10.0)
    _order, delivery, _invoice = await _delivered_and_invoiced(world, [(sku, 4.0)])
    [row] = await world.odoo.search_read("stock.picking", [("name", "=", delivery)], ["id"])
    # a person's return of the same quantity, made before the hub's run: never taken for the hub's
    theirs, _name = await _return_in_odoo(world, delivery, {sku: 2.0})
    original = world.odoo.call
    lost: list[str] = []

    async def call(model: str, method: str, ids: Any, **kwargs: Any) -> Any:
        if method == "create_returns" and not lost:  # the request never reaches Odoo
            lost.append(method)
            raise TransientError("connection refused")
        return await original(model, method, ids, **kwargs)

    monkeypatch.setattr(world.odoo, "call", call)
    req = ReturnRequest(delivery, (ReturnLineQty(sku, 2.0),), world.target.key("EVT"), credit="none")
    done = await return_delivery(world.odoo, req)
    assert lost and done.created and done.picking_id != theirs and done.quantities == {sku: 2.0}
    made = await world.odoo.search_read("stock.picking", [("return_id", "=", row["id"])], ["id"], order="id")
    assert [r["id"] for r in made] == [theirs, done.picking_id]
    assert await is_open_odoo_return(world.odoo, _name)  # the person's return is still theirs to receive
    await original("stock.picking", "action_cancel", [theirs])  # leave no open receipt behind


async def test_return_draft_credit_and_no_credit_and_over_return(world: Any) -> None:
    [sku] = await world.products(1, stock=10.0)
    _order, delivery, invoice_id = await _delivered_and_invoiced(world, [(sku, 5.0)])
    draft = await return_delivery(
        world.odoo, ReturnRequest(delivery, (ReturnLineQty(sku, 1.0),), world.target.key("EVT"), credit="draft")
    )
    assert draft.state == "done" and draft.credit_note_state == "draft" and draft.credit_note_name in ("/", None)
    plain = await return_delivery(
        world.odoo, ReturnRequest(delivery, (ReturnLineQty(sku, 3.0),), world.target.key("EVT"))
    )
    assert plain.quantities == {sku: 3.0} and plain.credit_note_id is None
    # 5 delivered, 4 returned: a fifth and sixth cannot come back
    with pytest.raises(BusinessError, match="more returned than delivered"):
        await return_delivery(
            world.odoo, ReturnRequest(delivery, (ReturnLineQty(sku, 2.0),), world.target.key("EVT"))
        )
    assert await world.count("account.move", [("reversed_entry_id", "=", invoice_id)]) == 1


async def test_return_wizard_and_reversal_refusals(world: Any) -> None:
    """Odoo's own refusals, the same on the emulator: only done pickings return, a return needs a non-zero
    line, and only posted entries reverse."""
    [sku] = await world.products(1, stock=5.0)
    [order] = await world.sale_orders(1, [(sku, 1.0)])
    picking = await world.picking(await world.outgoing_picking(order), ["state"])
    ctx = {"active_model": "stock.picking", "active_id": picking["id"], "active_ids": [picking["id"]]}
    with pytest.raises(BusinessError, match="You may only return Done pickings"):
        await world.odoo.create("stock.return.picking", [{"picking_id": picking["id"]}], context=ctx)
    with pytest.raises(BusinessError, match="nothing to put back into stock"):
        await return_delivery(world.odoo, ReturnRequest("WH/OUT/none", (ReturnLineQty(sku, 0.0),), "x"))
    _order, delivery, invoice_id = await _delivered_and_invoiced(world, [(sku, 2.0)])
    done = await world.picking(delivery, ["state"])
    dctx = {"active_model": "stock.picking", "active_id": done["id"], "active_ids": [done["id"]]}
    wizard = await world.odoo.create("stock.return.picking", [{"picking_id": done["id"]}], context=dctx)
    [line_id] = (await world.odoo.read("stock.return.picking", wizard, ["product_return_moves"]))[0][
        "product_return_moves"]
    await world.odoo.write("stock.return.picking.line", [line_id], {"quantity": 0})
    with pytest.raises(BusinessError, match="Please specify at least one non-zero quantity"):
        await world.odoo.call("stock.return.picking", "create_returns", wizard, context=dctx)
    assert await world.count("stock.picking", [("return_id", "=", done["id"])]) == 0
    # a credit note is created in draft: reversing a draft is refused
    journal = (await world.odoo.read("account.move", [invoice_id], ["journal_id"]))[0]["journal_id"][0]
    actx = {"active_model": "account.move", "active_ids": [invoice_id]}
    wiz = await world.odoo.create("account.move.reversal", [{"journal_id": journal}], context=actx)
    action = await world.odoo.call("account.move.reversal", "refund_moves", wiz, context=actx)
    note = int(action["res_id"])
    with pytest.raises(BusinessError, match="You can only reverse posted moves"):
        await world.odoo.create("account.move.reversal", [{"journal_id": journal}],
                                context={"active_model": "account.move", "active_ids": [note]})
