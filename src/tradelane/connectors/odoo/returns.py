"""Customer returns: the return picking through Odoo 17's return wizard, and the credit note.

Both steps were run by hand against a real Odoo 17 (JSON-RPC) before this was written:

* ``stock.return.picking`` created with the done delivery in the context (``active_model='stock.picking'``,
  ``active_id``) gets one ``stock.return.picking.line`` per returnable move (quantity = not yet returned,
  ``to_refund=True``); the lines' quantities are written, then ``create_returns`` answers an act_window whose
  ``res_id`` is the new receipt (``WH/IN/…``, ``origin`` "Return of WH/OUT/…", ``return_id``, ``sale_id``),
  already reserved. Validating it lowers the order lines' ``qty_delivered``.
* ``account.move.reversal`` created with the posted invoice in the context (``active_model='account.move'``,
  ``active_ids``), a ``reason`` and the invoice's ``journal_id``; ``refund_moves`` answers an act_window whose
  ``res_id`` is a draft ``out_refund`` with the invoice's lines (``reversed_entry_id`` set). The hub sets the
  lines to the returned quantities (drops the others) and, under the ``posted`` policy, posts it
  (``RINV/…``; Odoo reconciles it with the invoice: credit note ``paid``, invoice ``partial``/``reversed``).

Idempotency, keyed by the hub event: the return picking gets the external id ``tradelane.return_<event>``
and the credit note ``tradelane.credit_<event>``; a replay finds them and only finishes what is left
(validation, posting).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tradelane.core.errors import BusinessError

from .client import OdooClient
from .common import idempotent, lookup_xmlids, m2o_id, product_ids_by_ref, record_xmlids, text, xmlid_name

__all__ = ["CREDIT_POLICIES", "ReturnLineQty", "ReturnRequest", "ReturnResult", "return_delivery"]

RETURN_WIZARD = "stock.return.picking"
REVERSAL_WIZARD = "account.move.reversal"
BACKORDER_WIZARD = "stock.backorder.confirmation"
#: ``none``: no credit note · ``draft``: a draft credit note for a person to check · ``posted``: posted
CREDIT_POLICIES = frozenset({"none", "draft", "posted"})
TOLERANCE = 1e-6


@dataclass(frozen=True)
class ReturnLineQty:
    """A product coming back into stock, by its ``default_code``."""

    product_ref: str
    quantity: float


@dataclass(frozen=True)
class ReturnRequest:
    """Return ``lines`` of the done delivery ``delivery_ref`` (``WH/OUT/…``) into stock and apply ``credit``."""

    delivery_ref: str
    lines: tuple[ReturnLineQty, ...]
    hub_event_id: str
    credit: str = "none"
    reason: str | None = None


@dataclass(frozen=True)
class ReturnResult:
    picking_id: int
    picking_ref: str
    state: str
    #: product ref → quantity done on the return picking
    quantities: dict[str, float]
    credit_note_id: int | None = None
    credit_note_name: str | None = None
    credit_note_state: str | None = None
    credit_note_total: float | None = None
    created: bool = False


@idempotent
async def return_delivery(client: OdooClient, req: ReturnRequest) -> ReturnResult:
    """Create (once), fill and validate the return picking of ``req``, then the credit note per its policy."""
    if req.credit not in CREDIT_POLICIES:
        raise BusinessError(f"credit policy {req.credit!r} is not one of {sorted(CREDIT_POLICIES)}",
                            kind="ValueError")
    wanted = {line.product_ref: line.quantity for line in req.lines if line.quantity > TOLERANCE}
    if not wanted:
        raise BusinessError(f"return {req.hub_event_id}: nothing to put back into stock", kind="UserError")
    ret_xmlid, credit_xmlid = xmlid_name("return", req.hub_event_id), xmlid_name("credit", req.hub_event_id)
    known = await lookup_xmlids(client, [ret_xmlid, credit_xmlid])
    products = await product_ids_by_ref(client, wanted)
    missing = sorted(set(wanted) - set(products))
    if missing:
        raise BusinessError(f"unknown products {missing}", kind="MissingError")
    created = False
    if ret_xmlid in known:
        return_id = known[ret_xmlid][1]
    else:
        return_id = await _create_return(client, req, {products[r]: q for r, q in wanted.items()})
        await record_xmlids(client, "stock.picking", {ret_xmlid: return_id}, known)
        created = True
    picking = await _validate_return(client, return_id)
    moves = await client.read("stock.move", picking["move_ids"], ["product_id", "quantity", "state"])
    by_id = {pid: ref for ref, pid in products.items()}
    quantities: dict[str, float] = {}
    for move in moves:
        if move["state"] == "done":
            ref = by_id.get(m2o_id(move["product_id"]) or 0, str(m2o_id(move["product_id"])))
            quantities[ref] = quantities.get(ref, 0.0) + float(move["quantity"])
    result = ReturnResult(int(picking["id"]), str(picking["name"]), str(picking["state"]), quantities,
                          created=created)
    if req.credit == "none":
        return result
    if credit_xmlid in known:
        credit_id = known[credit_xmlid][1]
    else:
        credit_id = await _create_credit_note(client, req, picking, {products[r]: q for r, q in quantities.items()
                                                                     if r in products})
        await record_xmlids(client, "account.move", {credit_xmlid: credit_id}, known)
    fields = ["name", "state", "amount_total"]
    note = (await client.read("account.move", [credit_id], fields))[0]
    if req.credit == "posted" and note["state"] == "draft":
        await client.call("account.move", "action_post", [credit_id])
        note = (await client.read("account.move", [credit_id], fields))[0]
    return ReturnResult(result.picking_id, result.picking_ref, result.state, quantities, credit_id,
                        text(note["name"]), str(note["state"]), float(note["amount_total"]), created)


async def _create_return(client: OdooClient, req: ReturnRequest, qty_by_product: dict[int, float]) -> int:
    rows = await client.search_read("stock.picking", [("name", "=", req.delivery_ref)], ["state"])
    if not rows:
        raise BusinessError(f"delivery {req.delivery_ref!r} not found", kind="MissingError")
    delivery = int(rows[0]["id"])
    if rows[0]["state"] != "done":
        raise BusinessError(f"delivery {req.delivery_ref!r} is {rows[0]['state']}, not done", kind="UserError")
    ctx = {"active_model": "stock.picking", "active_id": delivery, "active_ids": [delivery]}
    wizard = await client.create(RETURN_WIZARD, [{"picking_id": delivery}], context=ctx)
    wiz = (await client.read(RETURN_WIZARD, wizard, ["product_return_moves"]))[0]
    lines = await client.read("stock.return.picking.line", wiz["product_return_moves"], ["product_id", "quantity"])
    remaining = dict(qty_by_product)
    for line in lines:
        product = m2o_id(line["product_id"]) or 0
        take = min(remaining.get(product, 0.0), float(line["quantity"]))
        remaining[product] = remaining.get(product, 0.0) - take
        await client.write("stock.return.picking.line", [int(line["id"])], {"quantity": take, "to_refund": True})
    over = {p: q for p, q in remaining.items() if q > TOLERANCE}
    if over:
        raise BusinessError(f"delivery {req.delivery_ref!r}: more returned than delivered and not yet returned "
                            f"(product ids {sorted(over)})", kind="UserError")
    action = await client.call(RETURN_WIZARD, "create_returns", wizard, context=ctx)
    return int(action["res_id"])


async def _validate_return(client: OdooClient, picking_id: int) -> dict[str, Any]:
    fields = ["name", "state", "move_ids"]
    picking = (await client.read("stock.picking", [picking_id], fields))[0]
    if picking["state"] in ("done", "cancel"):
        return picking
    moves = await client.read("stock.move", picking["move_ids"], ["product_uom_qty", "state"])
    for move in moves:
        if move["state"] not in ("done", "cancel"):
            await client.write("stock.move", [int(move["id"])],
                               {"quantity": float(move["product_uom_qty"]), "picked": True})
    ctx = {**client.dialect.validate_context, "skip_backorder": True, "picking_ids_not_to_backorder": [picking_id]}
    action = await client.call("stock.picking", "button_validate", [picking_id], context=ctx)
    if isinstance(action, dict) and action.get("res_model") == BACKORDER_WIZARD:
        wctx = {**ctx, **(action.get("context") or {}), "button_validate_picking_ids": [picking_id]}
        wizard = await client.create(BACKORDER_WIZARD, [{}], context=wctx)
        await client.call(BACKORDER_WIZARD, "process_cancel_backorder", wizard, context=wctx)
    return (await client.read("stock.picking", [picking_id], fields))[0]


async def _create_credit_note(
    client: OdooClient, req: ReturnRequest, picking: dict[str, Any], qty_by_product: dict[int, float]
) -> int:
    rows = await client.read("stock.picking", [int(picking["id"])], ["sale_id"])
    order = m2o_id(rows[0]["sale_id"]) if rows else None
    if not order:
        raise BusinessError(f"return {picking['name']} has no sale order to credit", kind="UserError")
    invoice_ids = (await client.read("sale.order", [order], ["invoice_ids"]))[0]["invoice_ids"]
    moves = await client.read("account.move", invoice_ids, ["move_type", "state", "journal_id"])
    invoices = sorted((m for m in moves if m["move_type"] == "out_invoice" and m["state"] == "posted"),
                      key=lambda m: -int(m["id"]))
    if not invoices:
        raise BusinessError(f"sale order {order} has no posted invoice to credit", kind="UserError")
    invoice = invoices[0]
    ctx = {"active_model": "account.move", "active_ids": [int(invoice["id"])]}
    reason = f"{req.reason or 'Return'} {picking['name']}"
    wizard = await client.create(
        REVERSAL_WIZARD, [{"reason": reason, "journal_id": m2o_id(invoice["journal_id"])}], context=ctx
    )
    action = await client.call(REVERSAL_WIZARD, "refund_moves", wizard, context=ctx)
    note_id = int(action["res_id"])
    note = (await client.read("account.move", [note_id], ["invoice_line_ids"]))[0]
    lines = await client.read("account.move.line", note["invoice_line_ids"], ["product_id", "display_type"])
    commands: list[Any] = []
    remaining = dict(qty_by_product)
    for line in lines:
        if line.get("display_type") not in (None, False, "product"):
            continue
        product = m2o_id(line["product_id"]) or 0
        qty = remaining.pop(product, 0.0)
        commands.append((1, int(line["id"]), {"quantity": qty}) if qty > TOLERANCE else (2, int(line["id"])))
    await client.write("account.move", [note_id], {"invoice_line_ids": commands})
    return note_id

