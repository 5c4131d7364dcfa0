"""Business flows from the reference, over real HTTP: outbound with backorder, inbound with lots,
invoicing, inventory adjustment, carriers."""

from __future__ import annotations

import xmlrpc.client

import pytest

from .conftest import JsonRpc, Missing, XmlRpc, new_product, ref, set_stock


def _quant_qty(x: XmlRpc, product: int) -> float:
    rows = x("stock.quant", "search_read", [("product_id", "=", product), ("location_id.usage", "=", "internal")],
             ["quantity"])  # fmt: skip
    return sum(r["quantity"] for r in rows)


def test_sale_partial_pick_backorder_and_invoice(x: XmlRpc, jj: JsonRpc) -> None:
    sku1 = new_product(x, "FLOW-SKU1", weight=2.5)
    sku2 = new_product(x, "FLOW-SKU2", weight=1.0, list_price=9.5)
    set_stock(x, jj, sku1, 100)
    set_stock(x, jj, sku2, 50)
    customer = x("res.partner", "create", {"name": "Flow Customer", "is_company": True})
    carrier = ref(x, "delivery.free_delivery_carrier")
    so = x("sale.order", "create", {
        "partner_id": customer, "client_order_ref": "PO-4711", "carrier_id": carrier,
        "order_line": [(0, 0, {"product_id": sku1, "product_uom_qty": 10}),
                       (0, 0, {"product_id": sku2, "product_uom_qty": 4, "price_unit": 9.5})]})  # fmt: skip
    order = x("sale.order", "read", [so], ["name", "state", "amount_total"])[0]
    assert order["name"].startswith("S") and len(order["name"]) == 6 and order["state"] == "draft"
    assert order["amount_total"] == round((10 * 10.0 + 4 * 9.5) * 1.15, 2)  # the demo's 15% sale tax

    assert x("sale.order", "action_confirm", [so]) is True
    order = x("sale.order", "read", [so], ["state", "picking_ids", "delivery_status", "invoice_status"])[0]
    assert (order["state"], order["delivery_status"], order["invoice_status"]) == ("sale", "pending", "no")
    (picking,) = order["picking_ids"]
    pick = x("stock.picking", "read", [picking], ["name", "state", "origin", "carrier_id", "picking_type_code",
                                                 "location_id", "location_dest_id", "weight", "move_ids"])[0]  # fmt: skip
    assert pick["name"].startswith("WH/OUT/") and pick["state"] == "assigned"
    assert pick["origin"] == x("sale.order", "read", [so], ["name"])[0]["name"]
    assert pick["carrier_id"][0] == carrier and pick["picking_type_code"] == "outgoing"
    assert pick["location_id"][1] == "WH/Stock" and pick["location_dest_id"][1] == "Partners/Customers"
    assert pick["weight"] == 10 * 2.5 + 4 * 1.0
    moves = {m["product_id"][0]: m for m in x("stock.move", "read", pick["move_ids"],
                                              ["product_id", "product_uom_qty", "quantity", "picked", "state", "move_line_ids"])}  # fmt: skip
    assert (
        moves[sku1]["quantity"] == 10.0
        and moves[sku1]["picked"] is False
        and moves[sku1]["state"] == "assigned"
    )
    assert (
        x("stock.quant", "search_read", [("product_id", "=", sku1)], ["reserved_quantity"])[0][
            "reserved_quantity"
        ]
        == 10
    )

    # partial pick: 6 of 10 on the move line, full pick of SKU2 on the move
    (ml,) = moves[sku1]["move_line_ids"]
    x("stock.move.line", "write", [ml], {"quantity": 6, "picked": True})
    x("stock.move", "write", [moves[sku2]["id"]], {"quantity": 4, "picked": True})
    action = x("stock.picking", "button_validate", [picking])
    assert action["res_model"] == "stock.backorder.confirmation" and action["type"] == "ir.actions.act_window"
    ctx = action["context"]
    assert ctx["button_validate_picking_ids"] == [picking]
    assert ctx["default_show_transfers"] is False and ctx["default_pick_ids"] == [[4, picking]]
    wizard = x("stock.backorder.confirmation", "create", {}, context=ctx)
    assert x("stock.backorder.confirmation", "process", [wizard], context=ctx) is True

    pick = x("stock.picking", "read", [picking], ["state", "backorder_ids", "date_done"])[0]
    assert pick["state"] == "done" and pick["date_done"]
    (backorder,) = pick["backorder_ids"]
    bo = x("stock.picking", "read", [backorder], ["name", "state", "backorder_id", "carrier_id", "move_ids"])[
        0
    ]
    assert bo["name"].startswith("WH/OUT/") and bo["state"] == "assigned"
    assert bo["backorder_id"][0] == picking and bo["carrier_id"][0] == carrier
    bo_moves = x("stock.move", "read", bo["move_ids"], ["product_uom_qty", "picked", "product_id"])
    assert [(m["product_id"][0], m["product_uom_qty"], m["picked"]) for m in bo_moves] == [(sku1, 4.0, False)]
    assert (
        x("stock.move", "read", [moves[sku1]["id"]], ["product_uom_qty", "state"])[0]["product_uom_qty"]
        == 6.0
    )
    assert _quant_qty(x, sku1) == 94.0 and _quant_qty(x, sku2) == 46.0
    lines = {line["product_id"][0]: line for line in x("sale.order.line", "search_read", [("order_id", "=", so)],
                                                       ["product_id", "qty_delivered", "qty_to_invoice"])}  # fmt: skip
    assert lines[sku1]["qty_delivered"] == 6.0 and lines[sku2]["qty_delivered"] == 4.0
    assert x("sale.order", "read", [so], ["delivery_status"])[0]["delivery_status"] == "partial"
    notes = x(
        "mail.message", "search_read", [("model", "=", "stock.picking"), ("res_id", "=", picking)], ["body"]
    )
    assert any("The initial demand has been updated" in n["body"] for n in notes)

    # the backorder is validated directly: nothing picked but reserved → auto-pick, no wizard
    assert x("stock.picking", "button_validate", [backorder]) is True
    assert x("stock.picking", "read", [backorder], ["state"])[0]["state"] == "done"
    order = x("sale.order", "read", [so], ["delivery_status", "invoice_status", "effective_date"])[0]
    assert (
        order["delivery_status"] == "full"
        and order["invoice_status"] == "to invoice"
        and order["effective_date"]
    )
    # tracking number can be written after done
    assert x("stock.picking", "write", [picking], {"carrier_tracking_ref": "TRK-0001"}) is True

    # invoice through the wizard: XML-RPC faults on the None in the action, yet the invoice is created
    wizard = x("sale.advance.payment.inv", "create", {"advance_payment_method": "delivered"},
               context={"active_model": "sale.order", "active_ids": [so]})  # fmt: skip
    with pytest.raises(xmlrpc.client.Fault) as fault:
        x("sale.advance.payment.inv", "create_invoices", [wizard], context={"active_ids": [so]})
    assert "cannot marshal None" in fault.value.faultString
    (invoice,) = x("sale.order", "read", [so], ["invoice_ids"])[0]["invoice_ids"]
    draft = x("account.move", "read", [invoice], ["name", "state", "move_type", "invoice_origin", "amount_total",
                                                  "ref", "invoice_line_ids"])[0]  # fmt: skip
    assert (draft["state"], draft["move_type"], draft["name"]) == ("draft", "out_invoice", "/")
    assert draft["ref"] == "PO-4711" and draft["amount_total"] == round((10 * 10.0 + 4 * 9.5) * 1.15, 2)
    assert x("account.move", "action_post", [invoice]) is False
    posted = x("account.move", "read", [invoice], ["name", "state", "invoice_date", "payment_state"])[0]
    assert posted["state"] == "posted" and posted["payment_state"] == "not_paid" and posted["invoice_date"]
    assert (
        posted["name"].startswith(f"INV/{posted['invoice_date'][:4]}/")
        and len(posted["name"].split("/")[2]) == 5
    )
    assert x("sale.order", "read", [so], ["invoice_status"])[0]["invoice_status"] == "invoiced"
    # nothing left: the wizard refuses with a UserError (fault 2)
    wizard = x("sale.advance.payment.inv", "create", {"sale_order_ids": [(6, 0, [so])]})
    with pytest.raises(xmlrpc.client.Fault) as fault:
        x("sale.advance.payment.inv", "create_invoices", [wizard])
    assert fault.value.faultCode == 2


def test_validate_without_backorder_and_forced_quantities(x: XmlRpc, jj: JsonRpc) -> None:
    sku = new_product(x, "FLOW-NOBO")
    set_stock(x, jj, sku, 3)
    customer = x("res.partner", "create", {"name": "No Backorder Customer"})
    so = x(
        "sale.order",
        "create",
        {"partner_id": customer, "order_line": [(0, 0, {"product_id": sku, "product_uom_qty": 5})]},
    )
    x("sale.order", "action_confirm", [so])
    (picking,) = x("sale.order", "read", [so], ["picking_ids"])[0]["picking_ids"]
    (move,) = x("stock.picking", "read", [picking], ["move_ids"])[0]["move_ids"]
    assert x("stock.move", "read", [move], ["quantity", "state"])[0] == {"id": move, "quantity": 3.0,
                                                                        "state": "partially_available"}  # fmt: skip
    x("stock.move", "write", [move], {"quantity": 2, "picked": True})
    assert x("stock.picking", "button_validate", [picking],
             context={"skip_backorder": True, "picking_ids_not_to_backorder": [picking]}) is True  # fmt: skip
    assert x("stock.move", "read", [move], ["product_uom_qty", "quantity", "state"])[0] == {
        "id": move, "product_uom_qty": 5.0, "quantity": 2.0, "state": "done"}  # fmt: skip
    order = x("sale.order", "read", [so], ["delivery_status", "picking_ids"])[0]
    assert order["delivery_status"] == "full" and order["picking_ids"] == [picking]
    assert _quant_qty(x, sku) == 1.0

    # nothing reserved and nothing entered → UserError; forcing goes negative
    empty = new_product(x, "FLOW-EMPTY")
    so2 = x(
        "sale.order",
        "create",
        {"partner_id": customer, "order_line": [(0, 0, {"product_id": empty, "product_uom_qty": 2})]},
    )
    x("sale.order", "action_confirm", [so2])
    (picking2,) = x("sale.order", "read", [so2], ["picking_ids"])[0]["picking_ids"]
    assert x("stock.picking", "read", [picking2], ["state"])[0]["state"] == "confirmed"
    with pytest.raises(xmlrpc.client.Fault) as fault:
        x("stock.picking", "button_validate", [picking2])
    assert fault.value.faultString == (
        "You cannot validate a transfer if no quantities are reserved. To force the transfer, encode quantities."
    )
    (move2,) = x("stock.picking", "read", [picking2], ["move_ids"])[0]["move_ids"]
    x("stock.move", "write", [move2], {"quantity": 2, "picked": True})
    assert x("stock.picking", "button_validate", [picking2]) is True
    assert _quant_qty(x, empty) == -2.0


def test_purchase_receipt_with_lots_and_backorder(x: XmlRpc, jj: JsonRpc) -> None:
    sku = new_product(x, "FLOW-IN1")
    lot_sku = new_product(x, "FLOW-LOT", tracking="lot")
    vendor = x("res.partner", "create", {"name": "Flow Vendor", "is_company": True, "supplier_rank": 1})
    po = x("purchase.order", "create", {"partner_id": vendor, "partner_ref": "ASN-1", "order_line": [
        (0, 0, {"product_id": sku, "product_qty": 20, "price_unit": 19.0, "date_planned": "2026-12-01 08:00:00"}),
        (0, 0, {"product_id": lot_sku, "product_qty": 10, "price_unit": 7.0, "date_planned": "2026-12-01 08:00:00"})]})  # fmt: skip
    assert x("purchase.order", "read", [po], ["name"])[0]["name"].startswith("P")
    assert x("purchase.order", "button_confirm", [po]) is True
    order = x("purchase.order", "read", [po], ["state", "date_approve", "picking_ids", "receipt_status"])[0]
    assert order["state"] == "purchase" and order["date_approve"] and order["receipt_status"] == "pending"
    (receipt,) = order["picking_ids"]
    pick = x("stock.picking", "read", [receipt], ["name", "state", "scheduled_date", "date_deadline", "move_ids",
                                                 "location_id", "picking_type_code"])[0]  # fmt: skip
    assert pick["name"].startswith("WH/IN/") and pick["state"] == "assigned"
    assert pick["scheduled_date"] == pick["date_deadline"] == "2026-12-01 08:00:00"
    assert pick["location_id"][1] == "Partners/Vendors" and pick["picking_type_code"] == "incoming"
    moves = {
        m["product_id"][0]: m
        for m in x("stock.move", "read", pick["move_ids"], ["product_id", "move_line_ids", "quantity"])
    }
    assert moves[sku]["quantity"] == 20.0

    # appointment: write the PO line date → move deadline follows
    line_ids = x("purchase.order", "read", [po], ["order_line"])[0]["order_line"]
    x("purchase.order.line", "write", line_ids, {"date_planned": "2026-12-04 10:00:00"})
    assert (
        x("stock.picking", "read", [receipt], ["date_deadline"])[0]["date_deadline"] == "2026-12-04 10:00:00"
    )

    x("stock.move", "write", [moves[sku]["id"]], {"quantity": 12, "picked": True})
    (ml,) = moves[lot_sku]["move_line_ids"]
    x("stock.move.line", "write", [ml], {"quantity": 6, "lot_name": "FLOW-LOT-A", "picked": True})
    x("stock.move.line", "create", {"move_id": moves[lot_sku]["id"], "picking_id": receipt, "product_id": lot_sku,
                                    "quantity": 4, "lot_name": "FLOW-LOT-B", "picked": True})  # fmt: skip
    action = x("stock.picking", "button_validate", [receipt])
    ctx = action["context"]
    wizard = x("stock.backorder.confirmation", "create", {}, context=ctx)
    assert x("stock.backorder.confirmation", "process", [wizard], context=ctx) is True
    lots = {
        r["name"]: r["product_qty"]
        for r in x("stock.lot", "search_read", [("product_id", "=", lot_sku)], ["name", "product_qty"])
    }
    assert lots == {"FLOW-LOT-A": 6.0, "FLOW-LOT-B": 4.0}
    assert _quant_qty(x, sku) == 12.0
    backorder = x(
        "stock.picking",
        "search_read",
        [("backorder_id", "=", receipt)],
        ["name", "move_ids", "date_deadline"],
    )
    assert len(backorder) == 1 and backorder[0]["name"].startswith("WH/IN/")
    lines = {
        r["product_id"][0]: r
        for r in x("purchase.order.line", "read", line_ids, ["product_id", "qty_received"])
    }
    assert lines[sku]["qty_received"] == 12.0 and lines[lot_sku]["qty_received"] == 10.0
    order = x("purchase.order", "read", [po], ["receipt_status", "invoice_status"])[0]
    assert order == {"id": po, "receipt_status": "partial", "invoice_status": "to invoice"}

    action = jj("purchase.order", "action_create_invoice", [po])
    bill = action["res_id"]
    assert x("account.move", "read", [bill], ["move_type", "state", "ref"])[0] == {
        "id": bill, "move_type": "in_invoice", "state": "draft", "ref": "ASN-1"}  # fmt: skip
    with pytest.raises(xmlrpc.client.Fault) as fault:
        x("account.move", "action_post", [bill])
    assert fault.value.faultString == "The Bill/Refund date is required to validate this document."
    x("account.move", "write", [bill], {"invoice_date": "2026-11-20"})
    x("account.move", "action_post", [bill])
    assert x("account.move", "read", [bill], ["name"])[0]["name"].startswith("BILL/2026/11/")


def test_carrier_bill_duplicate_ref_posts_and_numbers_increase(x: XmlRpc, jj: JsonRpc) -> None:
    carrier_partner = x("res.partner", "create", {"name": "Bill Carrier", "is_company": True})
    ship = x("product.product", "search", [("default_code", "=", "Delivery_007")])[0]
    vals = {"move_type": "in_invoice", "partner_id": carrier_partner, "invoice_date": "2026-10-20",
            "ref": "CARRIER-INV-889", "invoice_line_ids": [(0, 0, {"product_id": ship, "quantity": 1, "price_unit": 42.0}),
                                                           (0, 0, {"name": "Fuel", "quantity": 1, "price_unit": 3.5})]}  # fmt: skip
    first, second = x("account.move", "create", [vals, vals])
    x("account.move", "action_post", [first])
    x("account.move", "action_post", [second])
    names = [r["name"] for r in x("account.move", "read", [first, second], ["name"])]
    assert names[0].startswith("BILL/2026/10/")
    assert int(names[1].rsplit("/", 1)[1]) == int(names[0].rsplit("/", 1)[1]) + 1
    assert x("account.move", "read", [second], ["duplicated_ref_ids", "amount_total"])[0] == {
        "id": second, "duplicated_ref_ids": [first], "amount_total": 51.8}  # 42 + 15% purchase tax + 3.5 (no product, no tax)  # fmt: skip
    assert set(jj.raw("account.move", "button_cancel", [second])) == {"jsonrpc", "id"}
    assert x("account.move", "read", [second], ["state"])[0]["state"] == "cancel"


def test_inventory_adjustment_upsert_and_apply(x: XmlRpc, jj: JsonRpc) -> None:
    sku = new_product(x, "FLOW-INV")
    stock = ref(x, "stock.stock_location_stock")
    ctx = {"inventory_mode": True}
    quant = x(
        "stock.quant",
        "create",
        {"product_id": sku, "location_id": stock, "inventory_quantity": 100},
        context=ctx,
    )
    again = x(
        "stock.quant",
        "create",
        {"product_id": sku, "location_id": stock, "inventory_quantity": 100},
        context=ctx,
    )
    assert again == quant
    # an inventory-mode create assigns the count to the caller (17.0 stock.quant.create)
    assert x("stock.quant", "read", [quant], ["user_id"])[0]["user_id"][1] == "Mitchell Admin"
    assert (
        x("stock.quant", "read", [quant], ["inventory_diff_quantity"])[0]["inventory_diff_quantity"] == 100.0
    )
    assert (
        jj("stock.quant", "action_apply_inventory", [quant], context={"inventory_name": "WMS#5531"})
        is Missing
    )
    x("stock.quant", "write", [quant], {"inventory_quantity": 118}, context=ctx)
    assert (
        jj("stock.quant", "action_apply_inventory", [quant], context={"inventory_name": "WMS#5532"})
        is Missing
    )
    row = x("stock.quant", "read", [quant], ["quantity", "inventory_quantity", "inventory_quantity_set"])[0]
    assert row == {"id": quant, "quantity": 118.0, "inventory_quantity": 0.0, "inventory_quantity_set": False}
    moves = x("stock.move", "search_read", [("product_id", "=", sku), ("is_inventory", "=", True)],
              ["name", "product_uom_qty", "state", "location_id"], order="id")  # fmt: skip
    # the assigned user is appended to the move name; the apply clears user_id, so the next count has none
    assert [(m["name"], m["product_uom_qty"], m["state"]) for m in moves] == [
        ("WMS#5531 (Mitchell Admin)", 100.0, "done"),
        ("WMS#5532", 18.0, "done"),
    ]
    assert moves[0]["location_id"][1] == "Virtual Locations/Inventory adjustment"
    product = x("product.product", "read", [sku], ["qty_available", "free_qty", "virtual_available"],
                context={"location": stock})[0]  # fmt: skip
    assert (product["qty_available"], product["free_qty"], product["virtual_available"]) == (
        118.0,
        118.0,
        118.0,
    )
    internal = [("product_id", "=", sku), ("location_id.usage", "=", "internal")]
    groups = x("stock.quant", "read_group", internal, ["quantity:sum"], ["product_id"], lazy=False)
    assert groups[0]["quantity"] == 118.0 and groups[0]["__count"] == 1 and groups[0]["product_id"][0] == sku
    # like 17.0, the inventory-loss location keeps the opposite quant: all locations together sum to zero
    everywhere = x(
        "stock.quant", "read_group", [("product_id", "=", sku)], ["quantity:sum"], ["product_id"], lazy=False
    )
    assert everywhere[0]["quantity"] == 0.0 and everywhere[0]["__count"] == 2


def test_choose_delivery_carrier_wizard(x: XmlRpc, jj: JsonRpc) -> None:
    sku = new_product(x, "FLOW-SHIP")
    customer = x("res.partner", "create", {"name": "Ship Customer"})
    carrier = ref(x, "delivery.delivery_local_delivery")  # the demo's "Local Delivery": 5.0, free over 50
    so = x("sale.order", "create", {"partner_id": customer, "order_line": [(0, 0, {"product_id": sku})]})
    with pytest.raises(xmlrpc.client.Fault) as fault:
        x("sale.order", "set_delivery_line", [so], carrier, 10.0)
    assert "AttributeError: 'int' object has no attribute 'id'" in fault.value.faultString
    wizard = x("choose.delivery.carrier", "create", {"order_id": so, "carrier_id": carrier})
    assert x("choose.delivery.carrier", "read", [wizard], ["delivery_price"])[0]["delivery_price"] == 0.0
    assert jj("choose.delivery.carrier", "update_price", [wizard])["res_model"] == "choose.delivery.carrier"
    assert jj("choose.delivery.carrier", "button_confirm", [wizard]) is Missing
    lines = x(
        "sale.order.line", "search_read", [("order_id", "=", so), ("is_delivery", "=", True)], ["price_unit"]
    )
    assert [line["price_unit"] for line in lines] == [5.0]
    assert x("sale.order", "read", [so], ["carrier_id"])[0]["carrier_id"][0] == carrier
