"""Sales: ``sale.order`` (S00001 numbering, confirmation creating the delivery, cancellation, delivery and
invoice status), ``sale.order.line`` (``qty_delivered`` from done moves, ``qty_invoiced``, ``qty_to_invoice``)
and the ``sale.advance.payment.inv`` wizard (regular invoices from delivered/ordered quantities)."""

from __future__ import annotations

from typing import Any

from markupsafe import escape

from ..exceptions import UserError
from ..orm import (
    Boolean,
    Char,
    Date,
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
    Text,
    exposed,
)
from .account import line_taxes
from .mail import MailThread
from .stock import CLOSED_STATES, QTY_EPSILON, transfer_progress

SALE_STATES = [
    ("draft", "Quotation"),
    ("sent", "Quotation Sent"),
    ("sale", "Sales Order"),
    ("cancel", "Cancelled"),
]
INVOICE_STATUS = [
    ("upselling", "Upselling Opportunity"),
    ("invoiced", "Fully Invoiced"),
    ("to invoice", "To Invoice"),
    ("no", "Nothing to Invoice"),
]
DELIVERY_STATUS = [
    ("pending", "Not Delivered"),
    ("partial", "Partially Delivered"),
    ("full", "Fully Delivered"),
]
#: ``sale.sale_order_cancel_view_form`` and ``sale.mail_template_sale_cancellation`` in a fresh 17.0 database
CANCEL_WIZARD_VIEW_ID = 1150
CANCEL_MAIL_TEMPLATE_ID = 17
#: Product types that go through a delivery order.
STOCKABLE_TYPES = frozenset({"product", "consu"})
NOTHING_TO_INVOICE = (
    "Cannot create an invoice. No items are available to invoice.\n\n"
    "To resolve this issue, please ensure that:\n"
    "   • The products have been delivered before attempting to invoice them.\n"
    "   • The invoicing policy of the product is configured correctly.\n\n"
    "If you want to invoice based on ordered quantities instead:\n"
    "   • For consumable or storable products, open the product, go to the 'General Information' tab and "
    "change the 'Invoicing Policy' from 'Delivered Quantities' to 'Ordered Quantities'.\n"
    "   • For services (and other products), change the 'Invoicing Policy' to 'Prepaid/Fixed Price'.\n"
)


#: the parts of ``account.action_move_{out,in}_invoice_type`` (``_for_xml_id``) the hub can see. The emulator
#: has no views or actions; their ids are those of a fresh 17.0 database with the five modules and demo data
#: (the real action carries ints there, never ``False``)
_INVOICE_ACTIONS: dict[str, dict[str, Any]] = {
    "out_invoice": {
        "id": 256,
        "name": "Invoices",
        "xml_id": "account.action_move_out_invoice_type",
        "domain": "[('move_type', '=', 'out_invoice')]",
        "context": "{'default_move_type': 'out_invoice'}",
        "view_id": [679, "account.out.invoice.tree"],
        "help": '<p class="o_view_nocontent_smiling_face">\n                Create a customer invoice\n'
        "              </p><p>\n                Create invoices, register payments and keep track of the "
        "discussions with your customers.\n              </p>\n            ",
    },
    "in_invoice": {
        "id": 258,
        "name": "Bills",
        "xml_id": "account.action_move_in_invoice_type",
        "domain": "[('move_type', '=', 'in_invoice')]",
        "context": "{'default_move_type': 'in_invoice', 'display_account_trust': True}",
        "view_id": [682, "account.out.invoice.tree"],
        "help": '<p class="o_view_nocontent_smiling_face">\n                Create a vendor bill\n'
        "              </p><p>\n                Create invoices, register payments and keep track of the "
        "discussions with your vendors.\n              </p>\n            ",
    },
}
#: ``account.view_move_form`` and ``account.invoice.select`` in that database
_MOVE_FORM_VIEW_ID = 686
_INVOICE_SEARCH_VIEW = [689, "account.invoice.select"]


def invoice_action(invoices: Any, move_type: str, orders: Any = None) -> dict[str, Any]:
    """``sale.order``/``purchase.order`` ``action_view_invoice`` as 17.0 returns it: the whole act_window
    read, ``res_id`` for one invoice, an id domain for several, ``act_window_close`` for none.

    From a sale order (``orders`` given) the context carries ``default_invoice_payment_term_id: None`` when
    no payment term applies — the ``None`` that makes XML-RPC fault after the invoice was committed
    (reference §0, §2.9). The purchase action has no ``None`` and marshals fine (verified)."""
    if not invoices:
        return {"type": "ir.actions.act_window_close"}
    base = _INVOICE_ACTIONS[move_type]
    tree_view = base["view_id"][0]
    action: dict[str, Any] = {
        "id": base["id"],
        "name": base["name"],
        "display_name": base["name"],
        "type": "ir.actions.act_window",
        "xml_id": base["xml_id"],
        "binding_model_id": False,
        "binding_type": "action",
        "binding_view_types": "list,form",
        "view_id": list(base["view_id"]),
        "domain": base["domain"],
        "context": base["context"],
        "res_model": "account.move",
        "target": "current",
        "view_mode": "tree,kanban,form,activity",
        "mobile_view_mode": "kanban",
        "views": [[tree_view, "tree"], [False, "kanban"], [_MOVE_FORM_VIEW_ID, "form"], [False, "activity"]],
        "limit": 80,
        "groups_id": [],
        "search_view_id": list(_INVOICE_SEARCH_VIEW),
        "filter": False,
        "help": base["help"],
    }
    if len(invoices) > 1:
        action["domain"] = [("id", "in", invoices.ids)]
    else:
        action["views"] = [
            [_MOVE_FORM_VIEW_ID, "form"],
            [tree_view, "tree"],
            [False, "kanban"],
            [False, "activity"],
        ]
        action["res_id"] = invoices.id
    if orders is not None:
        context: dict[str, Any] = {"default_move_type": move_type}
        if len(orders) == 1:
            context.update(
                {
                    "default_partner_id": orders.partner_id.id,
                    "default_partner_shipping_id": orders.partner_shipping_id.id,
                    "default_invoice_payment_term_id": None,
                    "default_invoice_origin": orders.name,
                }
            )
        action["context"] = context
    return action


class SaleOrder(MailThread):
    _name = "sale.order"
    _description = "Sales Order"
    _order = "date_order desc, id desc"

    name = Char("Order Reference", required=True, default="New", index=True)
    origin = Char("Source Document")
    client_order_ref = Char("Customer Reference")
    reference = Char("Payment Ref.")
    state = Selection(SALE_STATES, "Status", default="draft", readonly=True)
    date_order = Datetime("Order Date", required=True, default=lambda self: self.env.now)
    validity_date = Date("Expiration")
    commitment_date = Datetime("Delivery Date")
    expected_date = Datetime("Expected Date", compute="_compute_expected_date")
    effective_date = Datetime("Effective Date", readonly=True)
    partner_id = Many2one("res.partner", "Customer", required=True)
    partner_invoice_id = Many2one("res.partner", "Invoice Address")
    partner_shipping_id = Many2one("res.partner", "Delivery Address")
    user_id = Many2one("res.users", "Salesperson", default=lambda self: self.env.uid)
    company_id = Many2one("res.company", "Company", default=1)
    currency_id = Many2one("res.currency", "Currency", default=lambda self: self.env.company.currency_id.id)
    warehouse_id = Many2one(
        "stock.warehouse", "Warehouse", default=lambda self: self.env.ref("stock.warehouse0").id
    )
    order_line = One2many("sale.order.line", "order_id", "Order Lines")
    note = Html("Terms and conditions")
    picking_ids = One2many("stock.picking", "sale_id", "Transfers")
    delivery_count = Integer("Delivery Orders", compute="_compute_delivery_count")
    delivery_status = Selection(DELIVERY_STATUS, "Delivery Status", readonly=True)
    invoice_ids = Many2many("account.move", "Invoices", compute="_compute_invoice_ids")
    invoice_count = Integer("Invoice Count", compute="_compute_invoice_count")
    invoice_status = Selection(INVOICE_STATUS, "Invoice Status", default="no", readonly=True)
    amount_untaxed = Monetary("Untaxed Amount", compute="_compute_amount_untaxed")
    amount_tax = Monetary("Taxes", compute="_compute_amount_tax")
    amount_total = Monetary("Total", compute="_compute_amount_total")
    locked = Boolean("Locked")
    # stock_delivery
    carrier_id = Many2one("delivery.carrier", "Delivery Method")
    delivery_set = Boolean("Delivery Set", compute="_compute_delivery_set")
    #: a stored compute (``_get_estimated_weight``) that can be written; recomputed when the lines change
    shipping_weight = Float("Shipping Weight")

    def _estimated_weight(self) -> float:
        return sum(
            float(line.product_uom_qty) * float(line.product_id.weight or 0.0)
            for line in self.order_line
            if line.product_id.type in STOCKABLE_TYPES
            and not line.is_delivery
            and not line.display_type
            and line.product_uom_qty > 0
        )

    def _recompute_shipping_weight(self) -> None:
        for order in self:
            order._write_if_changed({"shipping_weight": order._estimated_weight()})

    def write(self, vals: dict[str, Any]) -> bool:
        result = super().write(vals)
        if "order_line" in vals and "shipping_weight" not in vals:
            self._recompute_shipping_weight()
        return result

    def _compute_expected_date(self) -> Any:
        return self.commitment_date or self.date_order

    def _compute_delivery_count(self) -> int:
        return len(self.picking_ids)

    def _compute_invoice_ids(self) -> list[int]:
        moves = {line.move_id.id for sol in self.order_line for line in sol.invoice_lines}
        return sorted(moves)

    def _compute_invoice_count(self) -> int:
        return len(self.invoice_ids)

    def _compute_amount_untaxed(self) -> float:
        return round(sum(line.price_subtotal for line in self.order_line), 2)

    def _compute_amount_tax(self) -> float:
        return round(sum(line.price_tax for line in self.order_line), 2)

    def _compute_amount_total(self) -> float:
        return round(self._compute_amount_untaxed() + self._compute_amount_tax(), 2)

    def _compute_delivery_set(self) -> bool:
        return any(line.is_delivery for line in self.order_line)

    def create(self, vals_list: Any) -> Any:
        vals_list = [vals_list] if isinstance(vals_list, dict) else list(vals_list)
        prepared = []
        for vals in vals_list:
            vals = dict(vals)
            if vals.get("name", "New") in ("New", "/", False, None):
                vals["name"] = self.env["ir.sequence"].next_by_code("sale.order") or "New"
            if vals.get("partner_id"):
                vals.setdefault("partner_invoice_id", vals["partner_id"])
                vals.setdefault("partner_shipping_id", vals["partner_id"])
            prepared.append(vals)
        orders = super().create(prepared)
        for order, vals in zip(orders, prepared, strict=True):
            if "shipping_weight" not in vals:
                order._recompute_shipping_weight()
            order._message_log("<p>Sales Order created</p>")
        return orders

    def unlink(self) -> bool:
        for order in self.exists():
            if order.state not in ("draft", "cancel"):
                raise UserError(
                    "You can not delete a sent quotation or a confirmed sales order. You must first cancel it."
                )
        return super().unlink()

    @exposed
    def action_quotation_sent(self) -> bool:
        for order in self:
            if order.state != "draft":
                raise UserError("Only draft orders can be marked as sent directly.")
        self.write({"state": "sent"})
        return True

    @exposed
    def action_confirm(self) -> bool:
        """Confirm the order and launch the delivery (one picking for the stockable lines)."""
        for order in self:
            if order.state not in ("draft", "sent"):
                raise UserError(
                    f"The following orders are not in a state requiring confirmation: {order.name}"
                )
        for order in self:
            before = order._selection_label("state", order.state)
            order.write({"state": "sale", "date_order": self.env.now})
            order._launch_delivery(order.order_line)
            order._update_status()
            order._message_track([("state", before, "Sales Order")], "sale.mt_order_confirmed")
        return True

    def _launch_delivery(self, lines: Any) -> None:
        lines = lines.filtered(
            lambda sol: (
                not sol.display_type and sol.product_id.type in STOCKABLE_TYPES and not sol.is_delivery
            )
        )
        if not lines:
            return
        warehouse = self.warehouse_id or self.env.ref("stock.warehouse0")
        ptype = warehouse.out_type_id
        date = self.commitment_date or self.date_order
        picking = self.env["stock.picking"].create(
            {
                "picking_type_id": ptype.id,
                "partner_id": self.partner_shipping_id.id or self.partner_id.id,
                "origin": self.name,
                "sale_id": self.id,
                "user_id": False,  # 17.0 ``_get_new_picking_values``: nobody is responsible yet
                "carrier_id": self.carrier_id.id,
                "scheduled_date": date,
                "date_deadline": date,
                "move_ids": [
                    (0, 0, {
                        "product_id": sol.product_id.id,
                        "name": sol.name,
                        "product_uom_qty": sol.product_uom_qty,
                        "product_uom": sol.product_uom.id,
                        "sale_line_id": sol.id,
                        "date": date,
                        "date_deadline": date,
                        "warehouse_id": warehouse.id,
                    })
                    for sol in lines
                ],
            }
        )  # fmt: skip
        picking._message_log("<p>Transfer created</p>")
        picking._message_log(
            "<p>\n                This transfer has been created from:\n                    "
            f'<a href="#" data-oe-model="sale.order" data-oe-id="{self.id}"> {escape(self.name)}</a>'
            "\n            </p>"
        )
        picking.action_confirm()

    @exposed
    def action_cancel(self) -> Any:
        """17.0: a non-draft order opens the ``sale.order.cancel`` wizard (one order at a time) unless the
        context has ``disable_cancel_warning``; drafts (or that context) are cancelled at once → True."""
        if any(order.locked for order in self):
            raise UserError("You cannot cancel a locked order. Please unlock it first.")
        if not self.env.context.get("disable_cancel_warning") and any(o.state != "draft" for o in self):
            self.ensure_one()
            return {
                "name": "Cancel Sales Order",
                "view_mode": "form",
                "res_model": "sale.order.cancel",
                "view_id": CANCEL_WIZARD_VIEW_ID,
                "type": "ir.actions.act_window",
                "context": {
                    "default_template_id": CANCEL_MAIL_TEMPLATE_ID,
                    "default_order_id": self.id,
                    "mark_so_as_canceled": True,
                    "default_email_layout_xmlid": "mail.mail_notification_layout_with_responsible_signature",
                    "model_description": "Sales Order",
                },
                "target": "new",
            }
        return self._action_cancel()

    def _action_cancel(self) -> bool:
        for order in self:
            for picking in order.picking_ids:
                if picking.state not in CLOSED_STATES:
                    picking.action_cancel()
            drafts = order.invoice_ids.filtered(lambda m: m.state == "draft")
            if drafts:
                drafts.button_cancel()
            order.write({"state": "cancel"})
            order._update_status()
        return True

    @exposed
    def action_draft(self) -> bool:
        for order in self:
            if order.state not in ("cancel", "sent"):
                raise UserError("Only cancelled or sent orders can be set back to quotation.")
        self.write({"state": "draft"})
        return True

    @exposed
    def set_delivery_line(self, carrier: Any, amount: float) -> bool:
        """Expects a recordset, as in Odoo: over RPC the int argument fails with AttributeError."""
        carrier_id = carrier.id
        for order in self:
            order._add_delivery_line(self.env["delivery.carrier"].browse(carrier_id), amount)
        return True

    def _add_delivery_line(self, carrier: Any, amount: float) -> None:
        self.order_line.filtered(lambda sol: sol.is_delivery).unlink()
        self.write({"carrier_id": carrier.id})
        self.env["sale.order.line"].create(
            {
                "order_id": self.id,
                "product_id": carrier.product_id.id,
                "name": carrier.name,
                "product_uom_qty": 1.0,
                "price_unit": amount,
                "is_delivery": True,
            }
        )
        if self.state == "sale":
            pending = self.picking_ids.filtered(lambda p: p.state not in CLOSED_STATES)
            pending.write({"carrier_id": carrier.id})

    def _update_status(self) -> None:
        """Recompute the stored computes that depend on moves and invoices (they bump write_date)."""
        for order in self:
            for line in order.order_line:
                line._update_quantities()
            states = [line.invoice_status for line in order.order_line if not line.display_type]
            if order.state != "sale" or not states:
                status = "no"
            elif "to invoice" in states:
                status = "to invoice"
            elif all(s == "invoiced" for s in states):
                status = "invoiced"
            elif all(s in ("invoiced", "upselling") for s in states):
                status = "upselling"
            else:
                status = "no"
            delivery, effective_date = transfer_progress(order.picking_ids)
            order._write_if_changed(
                {"invoice_status": status, "delivery_status": delivery, "effective_date": effective_date}
            )

    def _create_invoice(self) -> Any:
        lines = [line for line in self.order_line if abs(line.qty_to_invoice) > QTY_EPSILON]
        if not lines:
            return self.env["account.move"]
        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": self.partner_invoice_id.id or self.partner_id.id,
                "invoice_origin": self.name,
                "ref": self.client_order_ref or False,
                "currency_id": self.currency_id.id,
                "invoice_user_id": self.user_id.id,
                "invoice_line_ids": [
                    (0, 0, {
                        "product_id": line.product_id.id,
                        "name": line.name,
                        "quantity": line.qty_to_invoice,
                        "price_unit": line.price_unit,
                        "discount": line.discount,
                        "tax_ids": [(6, 0, line.tax_id.ids)],
                        "sale_line_ids": [(6, 0, [line.id])],
                    })
                    for line in lines
                ],
            }
        )  # fmt: skip
        self._update_status()
        return invoice


class SaleOrderLine(Model):
    _name = "sale.order.line"
    _description = "Sales Order Line"
    _order = "order_id, sequence, id"

    order_id = Many2one("sale.order", "Order Reference", required=True, ondelete="cascade")
    sequence = Integer("Sequence", default=10)
    display_type = Selection([("line_section", "Section"), ("line_note", "Note")], "Display Type")
    product_id = Many2one("product.product", "Product")
    name = Text("Description")
    product_uom_qty = Float("Quantity", default=1.0)
    product_uom = Many2one("uom.uom", "Unit of Measure")
    price_unit = Float("Unit Price")
    discount = Float("Discount (%)")
    price_subtotal = Monetary("Subtotal", compute="_compute_price_subtotal")
    price_tax = Float("Total Tax", compute="_compute_price_tax")
    price_total = Monetary("Total", compute="_compute_price_total")
    tax_id = Many2many("account.tax", "Taxes")
    qty_delivered_method = Selection(
        [("manual", "Manual"), ("analytic", "Analytic From Expenses"), ("stock_move", "Stock Moves")],
        compute="_compute_qty_delivered_method",
    )
    qty_delivered = Float("Delivery Quantity")
    qty_invoiced = Float("Invoiced Quantity", readonly=True)
    qty_to_invoice = Float("Quantity To Invoice", readonly=True)
    invoice_status = Selection(INVOICE_STATUS, "Invoice Status", default="no", readonly=True)
    invoice_lines = Many2many("account.move.line", "Invoice Lines", compute="_compute_invoice_lines")
    move_ids = One2many("stock.move", "sale_line_id", "Stock Moves")
    is_delivery = Boolean("Is a Delivery")
    customer_lead = Float("Lead Time")
    state = Selection(SALE_STATES, related="order_id.state")
    order_partner_id = Many2one("res.partner", "Customer", related="order_id.partner_id")
    currency_id = Many2one("res.currency", "Currency", related="order_id.currency_id")
    company_id = Many2one("res.company", "Company", related="order_id.company_id")

    def _compute_display_name(self) -> str:
        """17.0: ``<order> - <first line of the description> (<customer ref or name>)``."""
        label = (self.name or "").split("\n")[0] or self.product_id.name or ""
        customer = self.order_id.partner_id.commercial_partner_id
        return f"{self.order_id.name} - {label} ({customer.ref or customer.name})"

    def _compute_price_subtotal(self) -> float:
        return round(
            float(self.product_uom_qty) * float(self.price_unit) * (1 - float(self.discount or 0.0) / 100), 2
        )

    def _compute_price_tax(self) -> float:
        return self.tax_id._tax_amount(self._compute_price_subtotal(), float(self.product_uom_qty))

    def _compute_price_total(self) -> float:
        return round(self._compute_price_subtotal() + self._compute_price_tax(), 2)

    def _compute_invoice_lines(self) -> list[int]:
        """The other side of ``account.move.line.sale_line_ids`` (one relation table in Odoo)."""
        return self.env["account.move.line"]._search_ids([("sale_line_ids", "=", self.id)])

    def _compute_qty_delivered_method(self) -> str:
        if self.is_delivery or self.product_id.type not in STOCKABLE_TYPES:
            return "manual"
        return "stock_move"

    def create(self, vals_list: Any) -> Any:
        vals_list = [vals_list] if isinstance(vals_list, dict) else list(vals_list)
        prepared = []
        for vals in vals_list:
            vals = dict(vals)
            if vals.get("product_id") and not vals.get("display_type"):
                product = self.env["product.product"].browse(int(vals["product_id"]))
                vals.setdefault("name", product.display_name)
                vals.setdefault("product_uom", product.uom_id.id)
                vals.setdefault("price_unit", product.list_price)
                if "tax_id" not in vals:
                    vals["tax_id"] = [(6, 0, line_taxes(self.env, product, purchase=False))]
            prepared.append(vals)
        lines = super().create(prepared)
        for order in lines.mapped("order_id"):
            if order.state == "sale":
                order._launch_delivery(lines.filtered(lambda sol, o=order: sol.order_id.id == o.id))
            order._update_status()
        return lines

    def _update_quantities(self) -> None:
        if self.qty_delivered_method == "stock_move":
            delivered = 0.0
            for move in self.move_ids:
                if move.state != "done":
                    continue
                if move.location_dest_id.usage == "customer":
                    delivered += move.quantity
                elif move.location_id.usage == "customer" and (move.to_refund or not move.origin_returned_move_id):
                    delivered -= move.quantity  # a return counts only with "update quantities" (to_refund)
        else:
            delivered = float(self.qty_delivered)
        invoiced = 0.0
        for aml in self.invoice_lines:
            move = aml.move_id
            if move.state == "cancel":
                continue
            invoiced += aml.quantity if move.move_type == "out_invoice" else -aml.quantity
        state = self.order_id.state
        policy = self.product_id.invoice_policy or "order"
        if state != "sale" or self.display_type:
            to_invoice = 0.0
        elif policy == "order":
            to_invoice = float(self.product_uom_qty) - invoiced
        else:
            to_invoice = delivered - invoiced
        if state != "sale" or self.display_type:
            status = "no"
        elif abs(to_invoice) > QTY_EPSILON:
            status = "to invoice"
        elif policy == "order" and delivered > float(self.product_uom_qty) + QTY_EPSILON:
            status = "upselling"
        elif invoiced >= float(self.product_uom_qty) - QTY_EPSILON:
            status = "invoiced"
        else:
            status = "no"
        self._write_if_changed(
            {
                "qty_delivered": delivered,
                "qty_invoiced": invoiced,
                "qty_to_invoice": to_invoice,
                "invoice_status": status,
            }
        )


class SaleOrderCancel(Model):
    """The cancellation wizard ``action_cancel`` opens for a confirmed order: ``action_cancel`` cancels without
    a mail (→ True), ``action_send_mail_and_cancel`` posts the message first."""

    _name = "sale.order.cancel"
    _description = "Sales Order Cancel"
    _transient = True

    order_id = Many2one("sale.order", "Sale Order", required=True, ondelete="cascade")
    template_id = Integer("Mail Template")
    subject = Char("Subject")
    body = Html("Contents")

    @exposed
    def action_cancel(self) -> Any:
        return self.order_id.with_context(disable_cancel_warning=True).action_cancel()

    @exposed
    def action_send_mail_and_cancel(self) -> Any:
        self.ensure_one()
        self.order_id.message_post(body=self.body or "", message_type="comment", subject=self.subject or "")
        return self.action_cancel()


class SaleAdvancePaymentInv(Model):
    _name = "sale.advance.payment.inv"
    _description = "Sales Advance Payment Invoice"
    _transient = True

    advance_payment_method = Selection(
        [("delivered", "Regular invoice"), ("percentage", "Down payment (percentage)"),
         ("fixed", "Down payment (fixed amount)")],
        "Create Invoice",
        default="delivered",
        required=True,
    )  # fmt: skip
    sale_order_ids = Many2many("sale.order", "Sales Orders", default=lambda self: self._default_orders())
    amount = Float("Down Payment Amount")
    fixed_amount = Monetary("Down Payment Amount (Fixed)")
    consolidated_billing = Boolean("Consolidated Billing", default=True)
    deduct_down_payments = Boolean("Deduct down payments", default=True)

    def _default_orders(self) -> list[Any]:
        ctx = self.env.context
        if ctx.get("active_model", "sale.order") == "sale.order" and ctx.get("active_ids"):
            return [(6, 0, list(ctx["active_ids"]))]
        return []

    @exposed
    def create_invoices(self) -> Any:
        """Create regular invoices; returns the account.move action (with a None inside)."""
        self.ensure_one()
        if self.advance_payment_method != "delivered":
            raise UserError("Down payment invoices are not supported by the Odoo emulator.")
        orders = self.sale_order_ids
        invoices = self.env["account.move"]
        for order in orders:
            invoices = invoices | order._create_invoice()
        if not invoices:
            raise UserError(NOTHING_TO_INVOICE)
        return invoice_action(invoices, "out_invoice", orders)
