"""The return wizard and the credit-note wizard over real HTTP, in the semantics of Odoo 17 (run by hand against
a real 17.0 first; the contract suite checks the common path on both): what is left to return, "update
quantities" (``to_refund``), and a reversal of the whole invoice reconciling it."""

from __future__ import annotations

from typing import Any

from .conftest import JsonRpc, XmlRpc, new_product, set_stock


def _delivered(x: XmlRpc, jj: JsonRpc, qty: float) -> tuple[int, int, int]:
    """(order, done delivery, product) of one line of ``qty`` units shipped in full."""
    product = new_product(x, "RET-SKU")
    set_stock(x, jj, product, 20)
    customer = x("res.partner", "create", {"name": "Return Customer", "is_company": True})
    so = x("sale.order", "create", {"partner_id": customer,
                                    "order_line": [(0, 0, {"product_id": product, "product_uom_qty": qty})]})
    x("sale.order", "action_confirm", [so])
    [picking] = x("sale.order", "read", [so], ["picking_ids"])[0]["picking_ids"]
    moves = x("stock.picking", "read", [picking], ["move_ids"])[0]["move_ids"]
    x("stock.move", "write", moves, {"quantity": qty, "picked": True})
    assert x("stock.picking", "button_validate", [picking]) is True
    return so, picking, product


def _return(x: XmlRpc, picking: int, qty: float, to_refund: bool = True) -> tuple[int, dict[str, Any]]:
    ctx = {"active_model": "stock.picking", "active_id": picking, "active_ids": [picking]}
    wizard = x("stock.return.picking", "create", {}, context=ctx)  # the picking comes from the context
    [line] = x("stock.return.picking.line", "read",
               x("stock.return.picking", "read", [wizard], ["product_return_moves"])[0]["product_return_moves"],
               ["quantity", "to_refund"])
    offered = dict(line)
    x("stock.return.picking.line", "write", [line["id"]], {"quantity": qty, "to_refund": to_refund})
    action = x("stock.return.picking", "create_returns", [wizard], context=ctx)
    ret = action["res_id"]
    moves = x("stock.picking", "read", [ret], ["move_ids"])[0]["move_ids"]
    x("stock.move", "write", moves, {"quantity": qty, "picked": True})
    assert x("stock.picking", "button_validate", [ret]) is True
    return ret, offered


def test_returns_offer_what_is_left_and_update_quantities_only_when_asked(x: XmlRpc, jj: JsonRpc) -> None:
    so, picking, _product = _delivered(x, jj, 5)
    first, offered = _return(x, picking, 2)
    assert offered["quantity"] == 5 and offered["to_refund"] is True
    ret = x("stock.picking", "read", [first], ["name", "origin", "return_id", "picking_type_code", "state"])[0]
    assert ret["name"].startswith("WH/IN/") and ret["origin"].startswith("Return of WH/OUT/")
    assert ret["return_id"][0] == picking and ret["picking_type_code"] == "incoming" and ret["state"] == "done"
    [line] = x("sale.order.line", "search_read", [("order_id", "=", so)], ["qty_delivered"])
    assert line["qty_delivered"] == 3
    # the next wizard offers what is left; a return without "update quantities" leaves the order alone
    _second, offered = _return(x, picking, 1, to_refund=False)
    assert offered["quantity"] == 3
    [line] = x("sale.order.line", "search_read", [("order_id", "=", so)], ["qty_delivered"])
    assert line["qty_delivered"] == 3


def test_full_reversal_reverses_the_invoice(x: XmlRpc, jj: JsonRpc) -> None:
    so, _picking, _product = _delivered(x, jj, 2)
    ctx = {"active_model": "sale.order", "active_ids": [so], "active_id": so}
    wizard = x("sale.advance.payment.inv", "create", {"advance_payment_method": "delivered"}, context=ctx)
    jj("sale.advance.payment.inv", "create_invoices", [wizard], context=ctx)
    [invoice] = x("sale.order", "read", [so], ["invoice_ids"])[0]["invoice_ids"]
    x("account.move", "action_post", [invoice])
    rev_ctx = {"active_model": "account.move", "active_ids": [invoice]}
    journal = x("account.move", "read", [invoice], ["journal_id"])[0]["journal_id"][0]
    rev = x("account.move.reversal", "create", {"journal_id": journal}, context=rev_ctx)
    note = x("account.move.reversal", "refund_moves", [rev], context=rev_ctx)["res_id"]
    row = x("account.move", "read", [note], ["name", "state", "ref", "move_type", "amount_total"])[0]
    inv = x("account.move", "read", [invoice], ["name", "amount_total"])[0]
    assert (row["name"], row["state"], row["move_type"]) == ("/", "draft", "out_refund")
    assert row["ref"] == f"Reversal of: {inv['name']}" and row["amount_total"] == inv["amount_total"]
    x("account.move", "action_post", [note])
    assert x("account.move", "read", [invoice], ["payment_state"])[0]["payment_state"] == "reversed"
    assert x("account.move", "read", [note], ["payment_state", "name"])[0]["name"].startswith("RINV/")
