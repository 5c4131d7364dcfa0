"""Invoicing: the customer invoice after delivery (``sale.advance.payment.inv`` wizard) and carrier vendor bills.

Customer invoice, keyed by the hub event: the invoice gets the external id ``tradelane.invoice_<event>``.
A replay finds it and only posts it if still draft. If the wizard's reply was lost, the order no longer
reads ``to invoice`` and its draft invoice is picked up instead of running the wizard again.

Carrier bill, keyed by (vendor, ``ref``): Odoo 17 posts a second bill with the same reference without a word
(reference §5.2), so the hub searches first and never creates a second one.
"""

from __future__ import annotations

from typing import Any

from tradelane.core.errors import BusinessError

from .client import OdooClient
from .common import (
    idempotent,
    lookup_xmlids,
    m2o_id,
    product_ids_by_ref,
    record_xmlids,
    text,
    xmlid_name,
)
from .masterdata import carrier_ids_by_key
from .models import CarrierBill, InvoiceResult

__all__ = ["invoice_delivered_order", "post_carrier_bill"]

INVOICE_WIZARD = "sale.advance.payment.inv"
MOVE_FIELDS = ["name", "state", "move_type", "amount_total", "ref", "partner_id"]


def _result(row: dict[str, Any], created: bool) -> InvoiceResult:
    return InvoiceResult(
        invoice_id=int(row["id"]),
        name=text(row.get("name")),
        state=str(row["state"]),
        created=created,
        amount_total=float(row["amount_total"]) if row.get("amount_total") is not None else None,
    )


async def _post_if_draft(client: OdooClient, invoice_id: int, created: bool) -> InvoiceResult:
    rows = await client.read("account.move", [invoice_id], MOVE_FIELDS)
    if not rows:
        raise BusinessError(f"account.move {invoice_id} no longer exists", kind="MissingError")
    if rows[0]["state"] == "draft":
        try:
            await client.call("account.move", "action_post", [invoice_id])
        except BusinessError:
            # another event of the same order posted it meanwhile (a multi-threaded Odoo): posted is what we want
            rows = await client.read("account.move", [invoice_id], MOVE_FIELDS)
            if not rows or rows[0]["state"] != "posted":
                raise
        rows = await client.read("account.move", [invoice_id], MOVE_FIELDS)
    return _result(rows[0], created)


@idempotent
async def invoice_delivered_order(client: OdooClient, order_ref: str, hub_event_id: str) -> InvoiceResult:
    """Create (wizard, ``advance_payment_method='delivered'``) and post the invoice of a delivered order."""
    xmlid = xmlid_name("invoice", hub_event_id)
    known = await lookup_xmlids(client, [xmlid])
    if xmlid in known:
        return await _post_if_draft(client, known[xmlid][1], created=False)
    orders = await client.search_read(
        "sale.order", [("name", "=", order_ref)], ["invoice_status", "invoice_ids"]
    )
    if not orders:
        raise BusinessError(f"sale order {order_ref!r} not found", kind="MissingError")
    order = orders[0]
    created = False
    if order["invoice_status"] == "to invoice":
        ctx = {"active_model": "sale.order", "active_ids": [order["id"]], "active_id": order["id"]}
        wizard = await client.create(
            INVOICE_WIZARD,
            [{"advance_payment_method": "delivered", "sale_order_ids": [(6, 0, [order["id"]])]}],
            context=ctx,
        )
        try:
            await client.call(INVOICE_WIZARD, "create_invoices", wizard, context=ctx)
            created = True
        except BusinessError:
            # another event of the order (its backorder's delivery, handled at the same time by a multi-threaded
            # Odoo) invoiced what was delivered between the read above and the wizard: that invoice is this one
            order = (await client.read("sale.order", [order["id"]], ["invoice_status", "invoice_ids"]))[0]
            if order["invoice_status"] == "to invoice":
                raise
        order = (await client.read("sale.order", [order["id"]], ["invoice_status", "invoice_ids"]))[0]
    invoices = await client.read("account.move", order.get("invoice_ids") or [], MOVE_FIELDS)
    candidates = sorted(
        (r for r in invoices if r["move_type"] == "out_invoice" and r["state"] != "cancel"),
        key=lambda r: (r["state"] != "draft", -int(r["id"])),
    )
    if not candidates:
        raise BusinessError(f"sale order {order_ref!r} has nothing to invoice", kind="UserError")
    invoice_id = int(candidates[0]["id"])
    await record_xmlids(client, "account.move", {xmlid: invoice_id}, known)
    return await _post_if_draft(client, invoice_id, created=created)


@idempotent
async def post_carrier_bill(client: OdooClient, bill: CarrierBill) -> InvoiceResult:
    """Create and post a carrier's vendor bill unless one with the same vendor and ``ref`` exists."""
    partners = await client.search_read("res.partner", [("ref", "=", bill.vendor_ref)], ["id"], limit=1)
    if not partners:
        raise BusinessError(f"vendor {bill.vendor_ref!r} not found", kind="MissingError")
    partner_id = int(partners[0]["id"])
    existing = await client.search_read(
        "account.move",
        [
            ("move_type", "=", "in_invoice"),
            ("partner_id", "=", partner_id),
            ("ref", "=", bill.ref),
            ("state", "!=", "cancel"),
        ],
        MOVE_FIELDS,
        order="id",
        limit=1,
    )
    if existing:
        return await _post_if_draft(client, int(existing[0]["id"]), created=False)
    products = await product_ids_by_ref(client, {line.product_ref for line in bill.lines if line.product_ref})
    default_product: int | None = None
    if bill.carrier_ref:
        carrier = (await carrier_ids_by_key(client, [bill.carrier_ref])).get(bill.carrier_ref)
        if carrier is not None:
            rows = await client.read("delivery.carrier", [carrier], ["product_id"])
            default_product = m2o_id(rows[0]["product_id"]) if rows else None
    lines = []
    for line in bill.lines:
        product = products.get(line.product_ref) if line.product_ref else default_product
        if product is None:
            raise BusinessError(
                f"bill line {line.description!r} has no product to take an account from", kind="UserError"
            )
        lines.append(
            (
                0,
                0,
                {
                    "product_id": product,
                    "name": line.description,
                    "quantity": line.quantity,
                    "price_unit": line.price_unit,
                },
            )
        )
    [bill_id] = await client.create(
        "account.move",
        [
            {
                "move_type": "in_invoice",
                "partner_id": partner_id,
                "ref": bill.ref,
                "invoice_date": bill.invoice_date.isoformat(),
                "invoice_line_ids": lines,
            }
        ],
    )
    await record_xmlids(client, "account.move", {xmlid_name("bill", bill.hub_event_id): bill_id})
    return await _post_if_draft(client, bill_id, created=True)
