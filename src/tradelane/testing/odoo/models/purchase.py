"""Purchases: ``purchase.order`` (P00001 numbering, ``button_confirm`` creating the WH/IN receipt, receipt and
invoice status, vendor bill creation) and ``purchase.order.line`` (``qty_received`` from done moves;
writing ``date_planned`` moves the deadline of open moves)."""

from __future__ import annotations

from typing import Any

from ..exceptions import UserError
from ..orm import (
    Char,
    Datetime,
    Float,
    Html,
    Integer,
    Many2many,
    Many2one,
    Model,
    Monetary,
    One2many,
    Selection,
    exposed,
)
from .account import line_taxes
from .mail import MailThread
from .sale import INVOICE_STATUS, STOCKABLE_TYPES, invoice_action
from .stock import CLOSED_STATES, QTY_EPSILON, transfer_progress

PURCHASE_STATES = [
    ("draft", "RFQ"),
    ("sent", "RFQ Sent"),
    ("to approve", "To Approve"),
    ("purchase", "Purchase Order"),
    ("done", "Locked"),
    ("cancel", "Cancelled"),
]
NOTHING_TO_BILL = (
    "There are no invoiceable line. If a product has a control policy based on received quantity, please make "
    "sure that a quantity has been received."
)


class PurchaseOrder(MailThread):
    _name = "purchase.order"
    _description = "Purchase Order"
    _order = "priority desc, id desc"

    name = Char("Order Reference", required=True, default="New", index=True)
    priority = Selection([("0", "Normal"), ("1", "Urgent")], default="0")
    origin = Char("Source Document")
    partner_ref = Char("Vendor Reference")
    state = Selection(PURCHASE_STATES, "Status", default="draft", readonly=True)
    date_order = Datetime("Order Deadline", required=True, default=lambda self: self.env.now)
    date_approve = Datetime("Confirmation Date", readonly=True)
    date_planned = Datetime("Expected Arrival", compute="_compute_date_planned")
    effective_date = Datetime("Arrival", readonly=True)
    partner_id = Many2one("res.partner", "Vendor", required=True)
    user_id = Many2one("res.users", "Buyer", default=lambda self: self.env.uid)
    company_id = Many2one("res.company", "Company", default=1)
    currency_id = Many2one("res.currency", "Currency", default=lambda self: self.env.company.currency_id.id)
    picking_type_id = Many2one(
        "stock.picking.type", "Deliver To", default=lambda self: self.env.ref("stock.picking_type_in").id
    )
    order_line = One2many("purchase.order.line", "order_id", "Order Lines")
    notes = Html("Terms and Conditions")
    picking_ids = One2many("stock.picking", "purchase_id", "Receptions")
    incoming_picking_count = Integer("Incoming Shipment count", compute="_compute_incoming_picking_count")
    invoice_ids = Many2many("account.move", "Bills", compute="_compute_invoice_ids")
    invoice_count = Integer("Bill Count", compute="_compute_invoice_count")
    invoice_status = Selection(
        [s for s in INVOICE_STATUS if s[0] != "upselling"], "Billing Status", default="no", readonly=True
    )
    receipt_status = Selection(
        [("pending", "Not Received"), ("partial", "Partially Received"), ("full", "Fully Received")],
        "Receipt Status",
        readonly=True,
    )
    amount_untaxed = Monetary("Untaxed Amount", compute="_compute_amount_untaxed")
    amount_tax = Monetary("Taxes", compute="_compute_amount_tax")
    amount_total = Monetary("Total", compute="_compute_amount_total")

    def _compute_date_planned(self) -> Any:
        dates = [line.date_planned for line in self.order_line if line.date_planned]
        return min(dates) if dates else False

    def _compute_incoming_picking_count(self) -> int:
        return len(self.picking_ids)

    def _compute_invoice_ids(self) -> list[int]:
        return sorted({aml.move_id.id for line in self.order_line for aml in line.invoice_lines})

    def _compute_invoice_count(self) -> int:
        return len(self.invoice_ids)

    def _compute_amount_untaxed(self) -> float:
        return round(sum(line.price_subtotal for line in self.order_line), 2)

    def _compute_amount_tax(self) -> float:
        return round(sum(line.price_tax for line in self.order_line), 2)

    def _compute_amount_total(self) -> float:
        return round(self._compute_amount_untaxed() + self._compute_amount_tax(), 2)

    def create(self, vals_list: Any) -> Any:
        vals_list = [vals_list] if isinstance(vals_list, dict) else list(vals_list)
        prepared = []
        for vals in vals_list:
            vals = dict(vals)
            if vals.get("name", "New") in ("New", "/", False, None):
                vals["name"] = self.env["ir.sequence"].next_by_code("purchase.order") or "New"
            prepared.append(vals)
        return super().create(prepared)

    def unlink(self) -> bool:
        for order in self.exists():
            if order.state not in ("draft", "cancel"):
                raise UserError("In order to delete a purchase order, you must cancel it first.")
        return super().unlink()

    @exposed
    def button_confirm(self) -> bool:
        """Confirm the RFQ and create the receipt (reserved at once: lines carry the demand)."""
        for order in self:
            if order.state not in ("draft", "sent"):
                continue
            before = order._selection_label("state", order.state)
            order.write({"state": "purchase", "date_approve": self.env.now})
            order._create_picking(order.order_line)
            order._update_status()
            order._message_track([("state", before, "Purchase Order")], "purchase.mt_rfq_confirmed")
        return True

    def _create_picking(self, lines: Any) -> None:
        lines = lines.filtered(lambda pol: not pol.display_type and pol.product_id.type in STOCKABLE_TYPES)
        if not lines:
            return
        ptype = self.picking_type_id or self.env.ref("stock.picking_type_in")
        dates = [line.date_planned for line in lines if line.date_planned]
        date = min(dates) if dates else self.env.now
        picking = self.env["stock.picking"].create(
            {
                "picking_type_id": ptype.id,
                "partner_id": self.partner_id.id,
                "origin": self.name,
                "purchase_id": self.id,
                "user_id": False,
                "scheduled_date": date,
                "date_deadline": date,
                "location_id": self.env.ref("stock.stock_location_suppliers").id,
                "location_dest_id": ptype.default_location_dest_id.id,
                "move_ids": [
                    (0, 0, {
                        "product_id": pol.product_id.id,
                        "name": pol.name,
                        "product_uom_qty": pol.product_qty,
                        "product_uom": pol.product_uom.id,
                        "purchase_line_id": pol.id,
                        "partner_id": False,  # ``_prepare_stock_moves``: the order's dropship address, if any
                        "date": pol.date_planned or date,
                        "date_deadline": pol.date_planned or date,
                        "warehouse_id": ptype.warehouse_id.id,
                    })
                    for pol in lines
                ],
            }
        )  # fmt: skip
        picking.action_confirm()

    @exposed
    def button_cancel(self) -> None:
        """Cancel the order and its open receipts; returns None like Odoo 17."""
        for order in self:
            for picking in order.picking_ids:
                if picking.state == "done":
                    raise UserError(
                        f"Unable to cancel purchase order {order.name} as some receptions have already been done."
                    )
            for picking in order.picking_ids:
                if picking.state not in CLOSED_STATES:
                    picking.action_cancel()
            order.write({"state": "cancel"})
            order._update_status()

    @exposed
    def button_draft(self) -> dict[str, Any]:
        self.write({"state": "draft"})
        return {}

    @exposed
    def button_done(self) -> None:
        self.write({"state": "done"})

    @exposed
    def action_create_invoice(self) -> Any:
        """Create a draft vendor bill of what is to invoice; returns the action (with a None inside)."""
        invoices = self.env["account.move"]
        for order in self:
            lines = [line for line in order.order_line if abs(line.qty_to_invoice) > QTY_EPSILON]
            if not lines:
                continue
            invoice = self.env["account.move"].create(
                {
                    "move_type": "in_invoice",
                    "partner_id": order.partner_id.id,
                    "invoice_origin": order.name,
                    "ref": order.partner_ref or False,
                    "currency_id": order.currency_id.id,
                    "invoice_line_ids": [
                        (0, 0, {
                            "product_id": line.product_id.id,
                            "name": f"{order.name}: {line.name}",
                            "quantity": line.qty_to_invoice,
                            "price_unit": line.price_unit,
                            "tax_ids": [(6, 0, line.taxes_id.ids)],
                            "purchase_line_id": line.id,
                        })
                        for line in lines
                    ],
                }
            )  # fmt: skip
            invoices = invoices | invoice
            order._update_status()
        if not invoices:
            raise UserError(NOTHING_TO_BILL)
        return invoice_action(invoices, "in_invoice")

    def _update_status(self) -> None:
        for order in self:
            for line in order.order_line:
                line._update_quantities()
            lines = [line for line in order.order_line if not line.display_type]
            if order.state not in ("purchase", "done") or not lines:
                status = "no"
            elif any(abs(line.qty_to_invoice) > QTY_EPSILON for line in lines):
                status = "to invoice"
            elif all(line.qty_invoiced >= line.product_qty - QTY_EPSILON for line in lines):
                status = "invoiced"
            else:
                status = "no"
            receipt, effective_date = transfer_progress(order.picking_ids)
            order._write_if_changed(
                {"invoice_status": status, "receipt_status": receipt, "effective_date": effective_date}
            )


class PurchaseOrderLine(Model):
    _name = "purchase.order.line"
    _description = "Purchase Order Line"
    _order = "order_id, sequence, id"

    order_id = Many2one("purchase.order", "Order Reference", required=True, ondelete="cascade")
    sequence = Integer("Sequence", default=10)
    display_type = Selection([("line_section", "Section"), ("line_note", "Note")], "Display Type")
    product_id = Many2one("product.product", "Product")
    name = Char("Description")
    product_qty = Float("Quantity", default=1.0)
    product_uom_qty = Float("Total Quantity", compute="_compute_product_uom_qty")
    product_uom = Many2one("uom.uom", "Unit of Measure")
    price_unit = Float("Unit Price")
    price_subtotal = Monetary("Subtotal", compute="_compute_price_subtotal")
    price_tax = Float("Tax", compute="_compute_price_tax")
    price_total = Monetary("Total", compute="_compute_price_total")
    taxes_id = Many2many("account.tax", "Taxes")
    date_planned = Datetime("Expected Arrival", default=lambda self: self.env.now)
    qty_received_method = Selection(
        [("manual", "Manual"), ("stock_moves", "Stock Moves")], compute="_compute_qty_received_method"
    )
    qty_received = Float("Received Qty")
    qty_invoiced = Float("Billed Qty", readonly=True)
    qty_to_invoice = Float("To Invoice Quantity", readonly=True)
    invoice_lines = One2many("account.move.line", "purchase_line_id", "Bill Lines")
    move_ids = One2many("stock.move", "purchase_line_id", "Reservation")
    partner_id = Many2one("res.partner", "Partner", related="order_id.partner_id")
    state = Selection(PURCHASE_STATES, related="order_id.state")

    def _compute_product_uom_qty(self) -> float:
        return float(self.product_qty)

    def _compute_price_subtotal(self) -> float:
        return round(float(self.product_qty) * float(self.price_unit), 2)

    def _compute_price_tax(self) -> float:
        return self.taxes_id._tax_amount(self._compute_price_subtotal(), float(self.product_qty))

    def _compute_price_total(self) -> float:
        return round(self._compute_price_subtotal() + self._compute_price_tax(), 2)

    def _compute_qty_received_method(self) -> str:
        return "stock_moves" if self.product_id.type in STOCKABLE_TYPES else "manual"

    def create(self, vals_list: Any) -> Any:
        vals_list = [vals_list] if isinstance(vals_list, dict) else list(vals_list)
        prepared = []
        for vals in vals_list:
            vals = dict(vals)
            if vals.get("product_id") and not vals.get("display_type"):
                product = self.env["product.product"].browse(int(vals["product_id"]))
                vals.setdefault("name", product.display_name)
                vals.setdefault("product_uom", product.uom_po_id.id or product.uom_id.id)
                vals.setdefault("price_unit", product.standard_price)
                if "taxes_id" not in vals:
                    vals["taxes_id"] = [(6, 0, line_taxes(self.env, product, purchase=True))]
            prepared.append(vals)
        lines = super().create(prepared)
        for order in lines.mapped("order_id"):
            if order.state == "purchase":
                order._create_picking(lines.filtered(lambda pol, o=order: pol.order_id.id == o.id))
        return lines

    def write(self, vals: dict[str, Any]) -> bool:
        result = super().write(vals)
        if "date_planned" in vals:
            for line in self:
                open_moves = line.move_ids.filtered(lambda m: m.state not in CLOSED_STATES)
                if open_moves:
                    open_moves.write({"date_deadline": vals["date_planned"]})
        return result

    def _update_quantities(self) -> None:
        if self.qty_received_method == "stock_moves":
            received = 0.0
            for move in self.move_ids:
                if move.state != "done":
                    continue
                if move.location_id.usage == "supplier":
                    received += move.quantity
                elif move.location_dest_id.usage == "supplier":
                    received -= move.quantity
        else:
            received = float(self.qty_received)
        invoiced = 0.0
        for aml in self.invoice_lines:
            if aml.move_id.state == "cancel":
                continue
            invoiced += aml.quantity if aml.move_id.move_type == "in_invoice" else -aml.quantity
        if self.order_id.state not in ("purchase", "done"):
            to_invoice = 0.0
        elif (self.product_id.purchase_method or "receive") == "purchase":
            to_invoice = float(self.product_qty) - invoiced
        else:
            to_invoice = received - invoiced
        self._write_if_changed(
            {"qty_received": received, "qty_invoiced": invoiced, "qty_to_invoice": to_invoice}
        )
