"""Behaviours where the emulator was corrected after a differential run against a real Odoo 17.0
(``server_version`` 17.0-20240709, demo data). Each test states what the real server answered."""

from __future__ import annotations

from typing import Any

from .conftest import JsonRpc, Missing, XmlRpc, new_product, set_stock


def _error(jj: JsonRpc, model: str, method: str, *args: Any, **kwargs: Any) -> tuple[str, str]:
    data = jj.raw(model, method, *args, **kwargs)["error"]["data"]
    return str(data["name"]), str(data["message"])


def _order(x: XmlRpc, product: int, qty: float) -> int:
    customer = x("res.partner", "create", {"name": "Parity Customer"})
    so = x("sale.order", "create", {"partner_id": customer,
                                    "order_line": [(0, 0, {"product_id": product, "product_uom_qty": qty})]})  # fmt: skip
    x("sale.order", "action_confirm", [so])
    return int(x("sale.order", "read", [so], ["picking_ids"])[0]["picking_ids"][0])


def test_external_ids_are_unique_per_module(x: XmlRpc, jj: JsonRpc) -> None:
    partner = x("res.partner", "create", {"name": "Xmlid Partner"})
    vals = {"module": "tradelane", "name": "parity_x", "model": "res.partner", "res_id": partner}
    x("ir.model.data", "create", [vals])
    assert _error(jj, "ir.model.data", "create", [vals]) == (
        "odoo.exceptions.ValidationError",
        'The operation cannot be completed: duplicate key value violates unique constraint "ir_model_data_'
        'module_name_uniq_index"\nDETAIL:  Key (module, name)=(tradelane, parity_x) already exists.\n',
    )


def test_validating_a_done_picking_alone_is_refused_but_passes_in_a_batch(x: XmlRpc, jj: JsonRpc) -> None:
    sku = new_product(x, "PAR-DONE")
    set_stock(x, jj, sku, 20)
    done, other = _order(x, sku, 2), _order(x, sku, 3)
    assert x("stock.picking", "button_validate", [done]) is True
    assert _error(jj, "stock.picking", "button_validate", [done]) == (
        "odoo.exceptions.UserError",
        "You cannot validate a transfer if no quantities are reserved. To force the transfer, encode quantities.",
    )
    assert x("stock.picking", "button_validate", [done, other]) is True
    assert [r["state"] for r in x("stock.picking", "read", [done, other], ["state"])] == ["done", "done"]


def test_missing_lot_messages(x: XmlRpc, jj: JsonRpc) -> None:
    sku = new_product(x, "PAR-LOT", tracking="lot")
    lot = x("stock.lot", "create", {"name": "PAR-LOT-1", "product_id": sku})
    set_stock(x, jj, sku, 10, lot)
    picking = _order(x, sku, 3)
    lines = x("stock.move.line", "search", [("picking_id", "=", picking)])
    x("stock.move.line", "write", lines, {"lot_id": False})
    # nothing picked: the sanity check lets it through, the move lines refuse
    assert _error(jj, "stock.picking", "button_validate", [picking])[1] == (
        "You need to supply a Lot/Serial Number for product: \n - [PAR-LOT] Test PAR-LOT"
    )
    x("stock.move.line", "write", lines, {"picked": True})
    assert _error(jj, "stock.picking", "button_validate", [picking])[1] == (
        "You need to supply a Lot/Serial number for products [PAR-LOT] Test PAR-LOT."
    )


def test_backorder_wizard_lines_decide_per_picking(x: XmlRpc, jj: JsonRpc) -> None:
    sku = new_product(x, "PAR-BO")
    set_stock(x, jj, sku, 20)
    picking = _order(x, sku, 6)
    x("stock.move.line", "write", x("stock.move.line", "search", [("picking_id", "=", picking)]),
      {"quantity": 2, "picked": True})  # fmt: skip
    action = x("stock.picking", "button_validate", [picking])
    wizard = x("stock.backorder.confirmation", "create", {}, context=action["context"])
    (line,) = x("stock.backorder.confirmation", "read", [wizard], ["backorder_confirmation_line_ids"])[0][
        "backorder_confirmation_line_ids"
    ]
    assert x("stock.backorder.confirmation.line", "read", [line], ["picking_id", "to_backorder"])[0][
        "to_backorder"
    ]
    x("stock.backorder.confirmation.line", "write", [line], {"to_backorder": False})
    assert x("stock.backorder.confirmation", "process", [wizard], context=action["context"]) is True
    assert x("stock.picking", "read", [picking], ["state", "backorder_ids"])[0]["backorder_ids"] == []


def test_taxes_notes_and_quants_like_the_demo(x: XmlRpc, jj: JsonRpc) -> None:
    sku = new_product(x, "PAR-TAX", list_price=50.0, weight=2.5)
    set_stock(x, jj, sku, 10)
    picking = _order(x, sku, 10)
    sale_line = x("sale.order.line", "search_read", [("product_id", "=", sku)], ["price_tax", "price_total"])[
        0
    ]
    assert (sale_line["price_tax"], sale_line["price_total"]) == (75.0, 575.0)  # the demo's 15% sale tax
    pkg = x("stock.quant.package", "create", {"name": "PAR-SSCC"})
    x("stock.move.line", "write", x("stock.move.line", "search", [("picking_id", "=", picking)]),
      {"quantity": 6, "picked": True, "result_package_id": pkg})  # fmt: skip
    assert x("stock.quant.package", "read", [pkg], ["weight"])[0]["weight"] == 0.0  # no quants yet
    x("stock.picking", "button_validate", [picking], context={"skip_backorder": True})
    assert x("stock.quant.package", "read", [pkg], ["weight"])[0]["weight"] == 15.0
    quants = x(
        "stock.quant", "search_read", [("product_id", "=", sku)], ["location_id", "quantity"], order="id"
    )
    assert {q["location_id"][1]: q["quantity"] for q in quants} == {
        "WH/Stock": 4.0,
        "Virtual Locations/Inventory adjustment": -10.0,
        "Partners/Customers": 6.0,
    }
    bodies = [m["body"] for m in x("mail.message", "search_read", [("model", "=", "stock.picking"),
                                                                   ("res_id", "=", picking)], ["body"], order="id")]  # fmt: skip
    assert bodies[0] == "<p>Transfer created</p>" and "This transfer has been created from:" in bodies[1]
    assert "<strong>The initial demand has been updated.</strong>" in bodies[2]
    assert "Quantity: 10.0 -&gt; 6.0" in bodies[2]
    assert bodies[3].startswith('<p>The backorder <a href="#" data-oe-model="stock.picking"')


def test_html_fields_and_activity_active(x: XmlRpc, jj: JsonRpc) -> None:
    partner = x("res.partner", "create", {"name": "Html Partner"})
    cases = {("line1\nline2", False): "<p>line1\nline2</p>", ("<b>x</b> tail", True): "<span><b>x</b> tail</span>",
             ("<p>a</p>b", True): "<p>a</p>b", ("  spaced  ", False): "<p>spaced  </p>"}  # fmt: skip
    for (body, is_html), stored in cases.items():
        message = x("res.partner", "message_post", [partner], body=body, body_is_html=is_html,
                    message_type="comment", subtype_xmlid="mail.mt_note")  # fmt: skip
        assert x("mail.message", "read", [message], ["body"])[0]["body"] == stored
    assert "active" in x("mail.activity", "fields_get", ["active"], ["type"])


def test_required_many2one_restricts_deletion(x: XmlRpc, jj: JsonRpc) -> None:
    # sale deletes the partner's draft and cancelled orders first (sale/models/res_partner.py)
    partner = x("res.partner", "create", {"name": "Quoted Partner"})
    draft = x("sale.order", "create", {"partner_id": partner})
    assert x("res.partner", "unlink", [partner]) is True
    assert x("sale.order", "search", [("id", "=", draft)]) == []
    # a confirmed order keeps the foreign key
    partner = x("res.partner", "create", {"name": "Used Partner"})
    so = x("sale.order", "create", {"partner_id": partner})
    x("sale.order", "action_confirm", [so])
    assert _error(jj, "res.partner", "unlink", [partner]) == (
        "odoo.exceptions.ValidationError",
        "The operation cannot be completed: another model requires the record being deleted. If possible, "
        "archive it instead.\n\nModel: Sales Order (sale.order)\nConstraint: sale_order_partner_id_fkey\n",
    )


def test_posting_twice_and_invoice_action_shapes(x: XmlRpc, jj: JsonRpc) -> None:
    sku = new_product(x, "PAR-INV")
    set_stock(x, jj, sku, 5)
    picking = _order(x, sku, 1)
    x("stock.picking", "button_validate", [picking])
    so = x("stock.picking", "read", [picking], ["sale_id"])[0]["sale_id"][0]
    wizard = x("sale.advance.payment.inv", "create", {"advance_payment_method": "delivered",
                                                      "sale_order_ids": [(6, 0, [so])]})  # fmt: skip
    action = jj("sale.advance.payment.inv", "create_invoices", [wizard])
    assert action["xml_id"] == "account.action_move_out_invoice_type"
    view_id, view_type = action["views"][0]
    assert isinstance(view_id, int) and view_type == "form"
    assert action["context"]["default_invoice_payment_term_id"] is None
    invoice = action["res_id"]
    assert x("account.move", "action_post", [invoice]) is False
    name = x("account.move", "read", [invoice], ["name"])[0]["name"]
    assert (
        _error(jj, "account.move", "action_post", [invoice])[1]
        == f"The entry {name} (id {invoice}) must be in draft."
    )
    assert jj("account.move", "button_draft", [invoice]) is Missing
