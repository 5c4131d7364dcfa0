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
(validation, posting). Odoo's ``create_returns`` commits the return picking in its own call and stores nothing
of the caller's on it (the picking is a copy of the delivery with ``origin`` "Return of …" and ``return_id``
set by the wizard; the context only feeds defaults, which would leak into every record the call creates), so
the external id can only follow in a second call. To close that window the hub first writes a *claim*, the
external id ``tradelane.returning_return_<event>_after_<highest picking id>`` on the delivery: a re-run that
finds the claim but no ``return_<event>`` adopts the return picking of that delivery made after the claim
(a higher id, within :data:`CLAIM_WINDOW`) with exactly the quantities asked for and no hub external id,
instead of making a second one; and change capture skips return pickings made after an unresolved claim on
their delivery (they are the hub's, about to get their external id), so no ``return.requested`` is stored
for them.

Returns that start in Odoo (a person runs the return wizard on a delivery): :func:`poll_odoo_returns` is their
change capture (open incoming pickings with a ``return_id``, except the hub's own). When the goods arrive,
:func:`return_delivery` with ``ReturnRequest.return_ref`` validates that existing return picking with the
received quantities (what is not restocked is cancelled, no backorder) instead of creating another one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tradelane.core.errors import BusinessError

from .changes import ChangeCursor, poll_changes
from .client import OdooClient
from .common import (
    XMLID_MODULE,
    from_odoo_datetime,
    idempotent,
    lookup_xmlids,
    m2o_id,
    m2o_name,
    product_ids_by_ref,
    product_refs_by_id,
    record_xmlids,
    text,
    to_odoo_datetime,
    xmlid_name,
)

__all__ = ["CREDIT_POLICIES", "OdooReturn", "ReturnLineQty", "ReturnRequest", "ReturnResult", "is_open_odoo_return",
           "poll_odoo_returns", "return_delivery"]

RETURN_WIZARD = "stock.return.picking"
REVERSAL_WIZARD = "account.move.reversal"
BACKORDER_WIZARD = "stock.backorder.confirmation"
#: ``none``: no credit note · ``draft``: a draft credit note for a person to check · ``posted``: posted
CREDIT_POLICIES = frozenset({"none", "draft", "posted"})
TOLERANCE = 1e-6
#: prefix of the claim external id the hub writes on a delivery just before Odoo's ``create_returns``
CLAIM_PREFIX = "returning_"
#: what separates the claimed return's external id from the floor (the highest picking id at claim time)
CLAIM_FLOOR = "_after_"
#: how long after its claim the return picking of a ``create_returns`` can be made (one RPC call later)
CLAIM_WINDOW = timedelta(minutes=10)


def claim_name(return_xmlid: str, floor: int) -> str:
    """The claim external id (on the delivery) of the return picking whose external id will be
    ``return_xmlid``; ``floor`` is the highest ``stock.picking`` id when it was written, so only a picking made
    after it (a higher id: PostgreSQL's sequence) can be the claimed one. Datetimes cannot tell: Odoo answers
    ``create_date`` to the second."""
    return f"{CLAIM_PREFIX}{return_xmlid}{CLAIM_FLOOR}{floor}"


def _claim_of(name: str) -> tuple[str, int] | None:
    """``(return external id, floor)`` of a claim's external id name, else ``None``."""
    if not name.startswith(CLAIM_PREFIX):
        return None
    ret, sep, floor = name.removeprefix(CLAIM_PREFIX).rpartition(CLAIM_FLOOR)
    return (ret, int(floor)) if sep and floor.isdigit() else None


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
    #: the return picking already made in Odoo (``WH/IN/…``, a return of ``delivery_ref``) to validate with
    #: ``lines`` instead of creating one through the wizard
    return_ref: str | None = None


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
    qty_by_product = {products[r]: q for r, q in wanted.items()}
    if ret_xmlid in known:
        return_id = known[ret_xmlid][1]
    elif req.return_ref:
        return_id = await _existing_return(client, req)
        await record_xmlids(client, "stock.picking", {ret_xmlid: return_id}, known)
        created = True
    else:
        return_id = await _create_return(client, req, qty_by_product, ret_xmlid)
        await record_xmlids(client, "stock.picking", {ret_xmlid: return_id}, known)
        created = True
    picking = await _validate_return(client, return_id, qty_by_product if req.return_ref else None)
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


async def _create_return(
    client: OdooClient, req: ReturnRequest, qty_by_product: dict[int, float], ret_xmlid: str
) -> int:
    rows = await client.search_read("stock.picking", [("name", "=", req.delivery_ref)], ["state"])
    if not rows:
        raise BusinessError(f"delivery {req.delivery_ref!r} not found", kind="MissingError")
    delivery = int(rows[0]["id"])
    prefix = f"{CLAIM_PREFIX}{ret_xmlid}{CLAIM_FLOOR}"
    claims = [c for c in await client.search_read(
        "ir.model.data", [("module", "=", XMLID_MODULE), ("name", "=like", f"{prefix}%")], ["name", "create_date"])
        if _claim_of(str(c["name"])) and str(c["name"]).startswith(prefix)]
    for claimed in claims:  # a run of this event got as far as create_returns: did Odoo make the picking?
        _ret, floor = _claim_of(str(claimed["name"])) or ("", 0)
        made = await _made_since(client, delivery, floor, from_odoo_datetime(claimed["create_date"]),
                                 qty_by_product)
        if made is not None:
            return made
    if claims:  # it did not: claim afresh below
        await client.call("ir.model.data", "unlink", [int(c["id"]) for c in claims])
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
    newest = await client.search("stock.picking", [], limit=1, order="id desc")
    claim = claim_name(ret_xmlid, int(newest[0]) if newest else 0)
    await record_xmlids(client, "stock.picking", {claim: delivery}, {})
    try:
        action = await client.call(RETURN_WIZARD, "create_returns", wizard, context=ctx)
    except BusinessError:  # Odoo refused: it made nothing, so nothing is claimed
        gone = await client.search("ir.model.data", [("module", "=", XMLID_MODULE), ("name", "=", claim)])
        if gone:
            await client.call("ir.model.data", "unlink", gone)
        raise
    return int(action["res_id"])


async def _made_since(
    client: OdooClient, delivery: int, floor: int, claimed_at: datetime, qty_by_product: dict[int, float]
) -> int | None:
    """The return picking of ``delivery`` made after the claim (an id above ``floor``, within
    :data:`CLAIM_WINDOW` of ``claimed_at``) with exactly ``qty_by_product`` (not cancelled, no hub external
    id): the one a previous run's ``create_returns`` made."""
    rows = await client.search_read("stock.picking", [
        ("return_id", "=", delivery), ("state", "!=", "cancel"), ("id", ">", floor),
        ("create_date", "<=", to_odoo_datetime(claimed_at + CLAIM_WINDOW))], ["id"], order="id")
    if not rows:
        return None
    ids = [int(r["id"]) for r in rows]
    ours = {int(r["res_id"]) for r in await client.search_read(
        "ir.model.data", [("module", "=", XMLID_MODULE), ("model", "=", "stock.picking"), ("res_id", "in", ids)],
        ["res_id", "name"]) if _claim_of(str(r["name"])) is None}
    moves = await client.search_read("stock.move", [("picking_id", "in", ids), ("state", "!=", "cancel")],
                                     ["picking_id", "product_id", "product_uom_qty"])
    for pid in (i for i in ids if i not in ours):
        got: dict[int, float] = {}
        for m in moves:
            if m2o_id(m["picking_id"]) == pid:
                product = m2o_id(m["product_id"]) or 0
                got[product] = got.get(product, 0.0) + float(m["product_uom_qty"])
        if got.keys() == qty_by_product.keys() and all(abs(got[p] - q) <= TOLERANCE
                                                        for p, q in qty_by_product.items()):
            return pid
    return None


async def _existing_return(client: OdooClient, req: ReturnRequest) -> int:
    """The return picking ``req.return_ref`` (made in Odoo from one of the order's deliveries)."""
    rows = await client.search_read("stock.picking", [("name", "=", req.return_ref)],
                                    ["state", "return_id", "picking_type_code"])
    if not rows:
        raise BusinessError(f"return picking {req.return_ref!r} not found", kind="MissingError")
    row = rows[0]
    if row["picking_type_code"] != "incoming" or not row.get("return_id"):
        raise BusinessError(f"{req.return_ref!r} is not a return picking", kind="UserError")
    if row["state"] == "cancel":
        raise BusinessError(f"return picking {req.return_ref!r} was cancelled in Odoo", kind="UserError")
    return int(row["id"])


async def _validate_return(
    client: OdooClient, picking_id: int, qty_by_product: dict[int, float] | None = None
) -> dict[str, Any]:
    """Validate the return picking: every move in full, or (``qty_by_product``) those quantities, spread over
    the product's moves; a move left unpicked is cancelled (no backorder)."""
    fields = ["name", "state", "move_ids"]
    picking = (await client.read("stock.picking", [picking_id], fields))[0]
    if picking["state"] in ("done", "cancel"):
        return picking
    moves = await client.read("stock.move", picking["move_ids"], ["product_id", "product_uom_qty", "state"])
    remaining = dict(qty_by_product or {})
    open_moves = [m for m in moves if m["state"] not in ("done", "cancel")]
    for i, move in enumerate(open_moves):
        product = m2o_id(move["product_id"]) or 0
        if qty_by_product is None:
            qty = float(move["product_uom_qty"])
        else:
            last = not any(m2o_id(m["product_id"]) == product for m in open_moves[i + 1:])
            left = remaining.get(product, 0.0)
            qty = left if last else min(left, float(move["product_uom_qty"]))
            remaining[product] = left - qty
        if qty > TOLERANCE:
            await client.write("stock.move", [int(move["id"])], {"quantity": qty, "picked": True})
    if qty_by_product is not None:
        absent = sorted(p for p in qty_by_product if p not in {m2o_id(m["product_id"]) for m in open_moves})
        if absent:
            raise BusinessError(f"return {picking['name']} has no open move for product ids {absent}",
                                kind="UserError")
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



@dataclass(frozen=True)
class OdooReturn:
    """A return picking made in Odoo (not by the hub), still to be received."""

    picking_id: int
    picking_ref: str
    #: the delivery order it returns (``WH/OUT/…``)
    delivery_ref: str
    order_ref: str | None
    partner_id: int | None
    partner_ref: str | None
    created_at: datetime | None
    #: (product ref, quantity) per move, in move order
    lines: tuple[tuple[str, float], ...]


#: states of a return picking still to be received
_OPEN_RETURN_STATES = ("confirmed", "waiting", "assigned")


async def poll_odoo_returns(
    client: OdooClient, cursor: ChangeCursor, *, exclude: Sequence[int] = ()
) -> tuple[list[OdooReturn], ChangeCursor]:
    """Change capture of returns started in Odoo: open incoming pickings with a ``return_id`` changed since
    ``cursor``, without the return pickings the hub made itself (its ``tradelane.return_…`` external ids, or,
    before that is written, made within :data:`CLAIM_WINDOW` after an unresolved claim on their delivery)."""
    batch = await poll_changes(
        client, cursor, ["name", "state", "return_id", "sale_id", "partner_id", "create_date"],
        domain=[("return_id", "!=", False), ("picking_type_code", "=", "incoming"),
                ("state", "in", list(_OPEN_RETURN_STATES))],
    )
    rows = [r for r in batch.records if int(r["id"]) not in set(exclude)]
    if not rows:
        return [], batch.cursor
    ours = await client.search_read(
        "ir.model.data", [("module", "=", XMLID_MODULE), ("model", "=", "stock.picking"),
                          ("res_id", "in", [int(r["id"]) for r in rows])], ["res_id", "name"])
    hub_made = {int(r["res_id"]) for r in ours if _claim_of(str(r["name"])) is None}
    rows = [r for r in rows if int(r["id"]) not in hub_made]
    claimed = await _claimed(client, rows)
    rows = [r for r in rows if int(r["id"]) not in claimed]
    if not rows:
        return [], batch.cursor
    moves = await client.search_read(
        "stock.move", [("picking_id", "in", [int(r["id"]) for r in rows]), ("state", "!=", "cancel")],
        ["picking_id", "product_id", "product_uom_qty"], order="id")
    refs = await product_refs_by_id(client, {m2o_id(m["product_id"]) or 0 for m in moves})
    partners = {m2o_id(r.get("partner_id")) for r in rows} - {None}
    partner_refs = {int(p["id"]): text(p.get("ref")) for p in await client.read(
        "res.partner", sorted(p for p in partners if p), ["ref"])} if partners else {}
    out = []
    for r in rows:
        pid = int(r["id"])
        lines = tuple((ref, float(m["product_uom_qty"])) for m in moves
                      if m2o_id(m["picking_id"]) == pid and (ref := refs.get(m2o_id(m["product_id"]) or 0)))
        partner = m2o_id(r.get("partner_id"))
        created = r.get("create_date")
        out.append(OdooReturn(
            pid, str(r["name"]), str(m2o_name(r.get("return_id")) or ""), m2o_name(r.get("sale_id")), partner,
            partner_refs.get(partner) if partner else None,
            from_odoo_datetime(created).replace(tzinfo=UTC) if created else None, lines))
    return out, batch.cursor


async def _claimed(client: OdooClient, rows: Sequence[dict[str, Any]]) -> set[int]:
    """The ids of ``rows`` made within :data:`CLAIM_WINDOW` after an unresolved hub claim on their delivery:
    the hub's own return pickings, between ``create_returns`` and their external id."""
    deliveries = sorted({d for r in rows if (d := m2o_id(r.get("return_id")))})
    if not deliveries:
        return set()
    claims = [(c, claim) for c in await client.search_read("ir.model.data", [
        ("module", "=", XMLID_MODULE), ("model", "=", "stock.picking"), ("res_id", "in", deliveries)],
        ["name", "res_id", "create_date"]) if (claim := _claim_of(str(c["name"])))]
    if not claims:
        return set()
    resolved = await lookup_xmlids(client, [ret for _c, (ret, _floor) in claims])
    pending = [(int(c["res_id"]), floor, from_odoo_datetime(c["create_date"])) for c, (ret, floor) in claims
               if ret not in resolved]
    out = set()
    for r in rows:
        pid, delivery = int(r["id"]), m2o_id(r.get("return_id"))
        made = from_odoo_datetime(r["create_date"]) if r.get("create_date") else None
        if any(d == delivery and pid > floor and (made is None or made <= at + CLAIM_WINDOW)
               for d, floor, at in pending):
            out.add(pid)
    return out


async def is_open_odoo_return(client: OdooClient, picking_ref: str) -> bool:
    """Whether ``picking_ref`` is a return picking made in Odoo, still to be received: incoming, with a
    ``return_id``, not done or cancelled, without the hub's ``tradelane.return_…`` external id and not made
    within :data:`CLAIM_WINDOW` after an unresolved hub claim on its delivery (the capture filters the same)."""
    rows = await client.search_read("stock.picking", [("name", "=", picking_ref)],
                                    ["state", "return_id", "picking_type_code", "create_date"], limit=1)
    if not rows:
        return False
    row = rows[0]
    if row["picking_type_code"] != "incoming" or not row.get("return_id") or row["state"] in ("done", "cancel"):
        return False
    ours = await client.search_read("ir.model.data", [("module", "=", XMLID_MODULE), ("model", "=", "stock.picking"),
                                                      ("res_id", "=", int(row["id"]))], ["name"])
    if any(_claim_of(str(x["name"])) is None for x in ours):
        return False
    return not await _claimed(client, [row])
