"""Accounting: ``account.account``, ``account.journal``, ``account.move`` (customer invoices and vendor bills,
posting with 17.0 numbering ``INV/2026/00001`` and monthly ``BILL/2026/11/0001``, draft/cancel returning
None) and ``account.move.line`` (product lines only; taxes and balancing lines are not modelled).

A second bill with the same ``ref`` for the same vendor posts without error (reference §5.2); the computed
``duplicated_ref_ids`` shows the duplicates, as the banner of the web client does.
"""

from __future__ import annotations

import re
from typing import Any

from ..exceptions import UserError
from ..orm import (
    Boolean,
    Char,
    Date,
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
    model_method,
)
from .mail import MailThread

MOVE_TYPES = [
    ("entry", "Journal Entry"),
    ("out_invoice", "Customer Invoice"),
    ("out_refund", "Customer Credit Note"),
    ("in_invoice", "Vendor Bill"),
    ("in_refund", "Vendor Credit Note"),
    ("out_receipt", "Sales Receipt"),
    ("in_receipt", "Purchase Receipt"),
]
SALE_TYPES = frozenset({"out_invoice", "out_refund", "out_receipt"})
PURCHASE_TYPES = frozenset({"in_invoice", "in_refund", "in_receipt"})
REFUND_TYPES = frozenset({"out_refund", "in_refund"})
PAYMENT_STATES = [
    ("not_paid", "Not Paid"),
    ("in_payment", "In Payment"),
    ("paid", "Paid"),
    ("partial", "Partially Paid"),
    ("reversed", "Reversed"),
    ("invoicing_legacy", "Invoicing App Legacy"),
]
#: Digits of the sequence number: yearly journals (sale) use 5, monthly ones (purchase, misc) use 4.
YEARLY_SEQUENCE_DIGITS = 5
MONTHLY_SEQUENCE_DIGITS = 4
DRAFT_NAME = "/"


class AccountAccount(Model):
    _name = "account.account"
    _description = "Account"
    _order = "code, id"

    name = Char("Account Name", required=True)
    code = Char("Code", required=True, index=True)
    account_type = Selection(
        [("asset_receivable", "Receivable"), ("liability_payable", "Payable"), ("income", "Income"),
         ("expense", "Expenses"), ("asset_current", "Current Assets"), ("asset_cash", "Bank and Cash")],
        "Type",
        required=True,
    )  # fmt: skip
    deprecated = Boolean("Deprecated")
    company_id = Many2one("res.company", "Company", default=1)

    def _compute_display_name(self) -> str:
        return f"{self.code} {self.name}"


class AccountJournal(Model):
    _name = "account.journal"
    _description = "Journal"
    _order = "sequence, type, code"

    name = Char("Journal Name", required=True)
    code = Char("Short Code", required=True)
    type = Selection(
        [
            ("sale", "Sales"),
            ("purchase", "Purchase"),
            ("cash", "Cash"),
            ("bank", "Bank"),
            ("general", "Miscellaneous"),
        ],
        "Type",
        required=True,
    )
    sequence = Selection([("10", "10")], default="10")
    default_account_id = Many2one("account.account", "Default Account")
    active = Boolean("Active", default=True)
    company_id = Many2one("res.company", "Company", default=1)


class AccountMove(MailThread):
    _name = "account.move"
    _description = "Journal Entry"
    _order = "date desc, name desc, id desc"

    name = Char("Number", default=DRAFT_NAME, index=True)
    move_type = Selection(MOVE_TYPES, "Type", required=True, default="entry")
    state = Selection([("draft", "Draft"), ("posted", "Posted"), ("cancel", "Cancelled")], "Status",
                      default="draft", required=True, readonly=True)  # fmt: skip
    journal_id = Many2one("account.journal", "Journal", required=True)
    company_id = Many2one("res.company", "Company", default=1)
    currency_id = Many2one("res.currency", "Currency", default=lambda self: self.env.company.currency_id.id)
    partner_id = Many2one("res.partner", "Partner")
    commercial_partner_id = Many2one(
        "res.partner", "Commercial Entity", related="partner_id.commercial_partner_id"
    )
    date = Date("Date", required=True, default=lambda self: self.env.today)
    invoice_date = Date("Invoice/Bill Date")
    invoice_date_due = Date("Due Date")
    ref = Char("Reference", index=True)
    payment_reference = Char("Payment Reference")
    invoice_origin = Char("Origin")
    #: 17.0 ``_compute_invoice_default_sale_person``: the current user on sale documents, empty on bills
    invoice_user_id = Many2one("res.users", "Salesperson")
    narration = Html("Terms and Conditions")
    payment_state = Selection(PAYMENT_STATES, "Payment Status", default="not_paid", readonly=True)
    auto_post = Selection([("no", "No"), ("at_date", "At Date")], default="no")
    posted_before = Boolean("Posted Before", readonly=True)
    #: the invoice a credit note reverses (``account.move.reversal``), and its reverse side
    reversed_entry_id = Many2one("account.move", "Reversal of", readonly=True)
    reversal_move_id = One2many("account.move", "reversed_entry_id", "Reversal Move")
    invoice_line_ids = One2many("account.move.line", "move_id", "Invoice lines")
    line_ids = One2many("account.move.line", "move_id", "Journal Items")
    amount_untaxed = Monetary("Untaxed Amount", compute="_compute_amount_untaxed")
    amount_tax = Monetary("Tax", compute="_compute_amount_tax")
    amount_total = Monetary("Total", compute="_compute_amount_total")
    amount_residual = Monetary("Amount Due", compute="_compute_amount_residual")
    duplicated_ref_ids = Many2many("account.move", "Duplicated Ref", compute="_compute_duplicated_ref_ids")

    def _compute_display_name(self) -> str:
        if self.name and self.name != DRAFT_NAME:
            return str(self.name)
        label = dict(MOVE_TYPES).get(self.move_type or "entry", "Entry")
        label = {"Customer Invoice": "Invoice", "Vendor Bill": "Bill"}.get(label, label)
        return f"Draft {label} (* {self.id})"

    def _compute_amount_untaxed(self) -> float:
        return round(sum(line.price_subtotal for line in self.invoice_line_ids), 2)

    def _compute_amount_tax(self) -> float:
        return round(sum(line._compute_price_tax() for line in self.invoice_line_ids), 2)

    def _compute_amount_total(self) -> float:
        return round(self._compute_amount_untaxed() + self._compute_amount_tax(), 2)

    def _compute_amount_residual(self) -> float:
        if self.state != "posted" or self.payment_state in ("paid", "reversed"):
            return 0.0
        credited = sum(cn._compute_amount_total() for cn in self.reversal_move_id if cn.state == "posted")
        return round(max(self._compute_amount_total() - credited, 0.0), 2)

    def _compute_duplicated_ref_ids(self) -> list[int]:
        if self.move_type not in PURCHASE_TYPES or not self.ref:
            return []
        candidates = self.env.db.lookup(self._name, "ref", self.ref) or set()
        table = self._table
        return sorted(
            rid
            for rid in candidates
            if rid != self.id
            and table[rid]["move_type"] == self.move_type
            and table[rid]["partner_id"] == self._row()["partner_id"]
            and table[rid]["state"] != "cancel"
        )

    def create(self, vals_list: Any) -> Any:
        vals_list = [vals_list] if isinstance(vals_list, dict) else list(vals_list)
        prepared = []
        for vals in vals_list:
            vals = dict(vals)
            move_type = vals.get("move_type") or self.env.context.get("default_move_type") or "entry"
            vals["move_type"] = move_type
            if not vals.get("journal_id"):
                journal_type = (
                    "sale"
                    if move_type in SALE_TYPES
                    else "purchase"
                    if move_type in PURCHASE_TYPES
                    else "general"
                )
                journal = self.env["account.journal"].search([("type", "=", journal_type)], limit=1)
                vals["journal_id"] = journal.id
            if "line_ids" in vals and "invoice_line_ids" not in vals:
                vals["invoice_line_ids"] = vals.pop("line_ids")
            if move_type != "entry":
                # without payment terms 17.0's ``_compute_invoice_date_due`` falls back to the creation day,
                # whatever the invoice date
                vals.setdefault("invoice_date_due", self.env.today)
            if move_type in SALE_TYPES:
                vals.setdefault("invoice_user_id", self.env.uid)
            prepared.append(vals)
        return super().create(prepared)

    def write(self, vals: dict[str, Any]) -> bool:
        protected = {"invoice_line_ids", "line_ids", "partner_id", "journal_id", "move_type", "currency_id"}
        if protected & set(vals):
            for move in self:
                if move.state == "posted":
                    raise UserError(
                        "You cannot edit the following fields due to restrict mode on journal "
                        f"{move.journal_id.name}: {', '.join(sorted(protected & set(vals)))}."
                    )
        return super().write(vals)

    def unlink(self) -> bool:
        for move in self.exists():
            if move.posted_before:
                raise UserError("You cannot delete an entry which has been posted once.")
        return super().unlink()

    def _next_name(self) -> str:
        journal = self.journal_id
        date = self.date
        refund = self.move_type in REFUND_TYPES
        code = f"R{journal.code}" if refund and journal.type == "sale" else journal.code
        if journal.type == "sale":
            prefix, digits = f"{code}/{date.year:04d}/", YEARLY_SEQUENCE_DIGITS
        else:
            prefix, digits = f"{code}/{date.year:04d}/{date.month:02d}/", MONTHLY_SEQUENCE_DIGITS
        pattern = re.compile(re.escape(prefix) + r"(\d+)$")
        highest = 0
        for row in self._table.values():
            if row["journal_id"] == journal.id and row["name"] and (match := pattern.match(row["name"])):
                highest = max(highest, int(match.group(1)))
        return f"{prefix}{highest + 1:0{digits}d}"

    @exposed
    def action_post(self) -> bool:
        """Post the entries; returns False over RPC like Odoo 17."""
        # the order of 17.0 ``_post``: every invoice's date first, then each move's state and lines
        for move in self:
            if move.move_type in PURCHASE_TYPES and not move.invoice_date:
                raise UserError("The Bill/Refund date is required to validate this document.")
        for move in self:
            if move.state in ("posted", "cancel"):
                raise UserError(f"The entry {move.name} (id {move.id}) must be in draft.")
            if not move.invoice_line_ids:
                raise UserError("You need to add a line before posting.")
            tracked_before = (move.name, move.payment_reference, move._selection_label("state", move.state))
            vals: dict[str, Any] = {"state": "posted", "posted_before": True}
            if move.move_type in SALE_TYPES and not move.invoice_date:
                vals["invoice_date"] = self.env.today
            invoice_date = vals.get("invoice_date") or move.invoice_date
            if invoice_date and move.move_type != "entry":
                vals["date"] = invoice_date
                if not move.invoice_date_due:
                    vals["invoice_date_due"] = invoice_date
            move.write(vals)
            if move.name in (DRAFT_NAME, False):
                move.write({"name": move._next_name()})
            if move.move_type in SALE_TYPES and not move.payment_reference:
                move.write({"payment_reference": move.name})  # the "invoice" reference type
            tracked = [
                (fname, old, new)
                for fname, old, new in zip(
                    ("name", "payment_reference", "state"),
                    tracked_before,
                    (move.name, move.payment_reference, move._selection_label("state", move.state)),
                    strict=True,
                )
                if (old or "") != (new or "")
            ]
            move._message_track(
                tracked, "account.mt_invoice_validated" if move.move_type in SALE_TYPES else "mail.mt_note"
            )
            move._refresh_origin_documents()
            move._reconcile_reversed()
        return False

    def _reconcile_reversed(self) -> None:
        """A posted credit note of an open invoice is reconciled with it, as 17.0's ``_reverse_moves`` does:
        the credit note is paid, the invoice partly paid, or reversed when nothing remains due."""
        origin = self.reversed_entry_id
        if not origin or origin.state != "posted" or origin.payment_state in ("paid", "reversed"):
            return
        self.env.db.write_value(self._name, self.id, "payment_state", "paid")
        remaining = origin._compute_amount_residual()
        state = "reversed" if remaining <= 0.005 else "partial"
        self.env.db.write_value(self._name, origin.id, "payment_state", state)

    @exposed
    def button_draft(self) -> None:
        for move in self:
            if move.state not in ("posted", "cancel"):
                raise UserError("Only posted/cancelled journal entries can be reset to draft.")
        self.write({"state": "draft"})
        self._refresh_origin_documents()

    @exposed
    def button_cancel(self) -> None:
        """Cancel (posted entries go through draft first, as in 17.0); returns None."""
        posted = self.filtered(lambda m: m.state == "posted")
        if posted:
            posted.button_draft()
        for move in self:
            if move.state != "draft":
                raise UserError("Only draft journal entries can be cancelled.")
        self.write({"auto_post": "no", "state": "cancel"})
        self._refresh_origin_documents()

    def _refresh_origin_documents(self) -> None:
        orders = self.env["sale.order"]
        purchases = self.env["purchase.order"]
        for move in self:
            for line in move.invoice_line_ids:
                for sol in line.sale_line_ids:
                    orders = orders | sol.order_id
                if line.purchase_line_id:
                    purchases = purchases | line.purchase_line_id.order_id
        orders._update_status()
        purchases._update_status()


class AccountTax(Model):
    """A percentage tax, excluded from the price (the demo's default "15%" sale and purchase taxes)."""

    _name = "account.tax"
    _description = "Tax"
    _order = "sequence, id"

    name = Char("Tax Name", required=True)
    sequence = Integer("Sequence", default=1)
    amount_type = Selection(
        [("group", "Group of Taxes"), ("fixed", "Fixed"), ("percent", "Percentage of Price"),
         ("division", "Percentage of Price Tax Included")],
        "Tax Computation", default="percent", required=True,
    )  # fmt: skip
    amount = Float("Amount")
    type_tax_use = Selection(
        [("sale", "Sales"), ("purchase", "Purchases"), ("none", "None")], "Tax Type", default="sale"
    )
    price_include = Boolean("Included in Price")
    description = Char("Label on Invoices")
    active = Boolean("Active", default=True)
    company_id = Many2one("res.company", "Company", default=1)

    def _tax_amount(self, base: float, quantity: float = 1.0) -> float:
        """Tax on ``base`` (price excluded), rounded per line like 17.0's default ``round_per_line``."""
        total = 0.0
        for tax in self:
            if tax.amount_type == "fixed":
                total += float(tax.amount) * quantity
            else:
                total += base * float(tax.amount) / 100.0
        return round(total, 2)


def line_taxes(env: Any, product: Any, purchase: bool) -> list[int]:
    """The taxes a new order or invoice line takes from its product (``taxes_id``/``supplier_taxes_id``)."""
    if not product:
        return []
    taxes = product.supplier_taxes_id if purchase else product.taxes_id
    return list(taxes.ids)


class AccountMoveLine(Model):
    _name = "account.move.line"
    _description = "Journal Item"
    _order = "move_id, sequence, id"

    move_id = Many2one("account.move", "Journal Entry", required=True, ondelete="cascade")
    sequence = Selection([("10", "10")], default="10")
    display_type = Selection(
        [("product", "Product"), ("line_section", "Section"), ("line_note", "Note"), ("tax", "Tax"),
         ("payment_term", "Payment Term")],
        default="product",
    )  # fmt: skip
    product_id = Many2one("product.product", "Product")
    name = Char("Label")
    quantity = Float("Quantity", default=1.0)
    price_unit = Float("Unit Price")
    discount = Float("Discount (%)")
    price_subtotal = Monetary("Subtotal", compute="_compute_price_subtotal")
    price_total = Monetary("Total", compute="_compute_price_total")
    account_id = Many2one("account.account", "Account")
    product_uom_id = Many2one("uom.uom", "Unit of Measure")
    partner_id = Many2one("res.partner", "Partner", related="move_id.partner_id")
    parent_state = Char("Parent State", related="move_id.state")
    move_type = Char("Move Type", related="move_id.move_type")
    date = Date("Date", related="move_id.date")
    sale_line_ids = Many2many("sale.order.line", "Sales Order Lines")
    purchase_line_id = Many2one("purchase.order.line", "Purchase Order Line")
    company_id = Many2one("res.company", "Company", default=1)
    tax_ids = Many2many("account.tax", "Taxes")

    def _compute_display_name(self) -> str:
        return f"{self.move_id.display_name} {self.name or ''}".strip()

    def _compute_price_subtotal(self) -> float:
        return round(
            float(self.quantity) * float(self.price_unit) * (1 - float(self.discount or 0.0) / 100), 2
        )

    def _compute_price_tax(self) -> float:
        return self.tax_ids._tax_amount(self._compute_price_subtotal(), float(self.quantity))

    def _compute_price_total(self) -> float:
        return round(self._compute_price_subtotal() + self._compute_price_tax(), 2)

    def create(self, vals_list: Any) -> Any:
        vals_list = [vals_list] if isinstance(vals_list, dict) else list(vals_list)
        prepared = []
        for vals in vals_list:
            vals = dict(vals)
            move = self.env["account.move"].browse(int(vals["move_id"])) if vals.get("move_id") else None
            purchase = move is not None and move.move_type in PURCHASE_TYPES
            if vals.get("product_id"):
                product = self.env["product.product"].browse(int(vals["product_id"]))
                vals.setdefault("name", product.display_name)
                vals.setdefault("product_uom_id", product.uom_id.id)
                vals.setdefault("price_unit", product.standard_price if purchase else product.list_price)
                if "tax_ids" not in vals:  # 17.0 ``_get_computed_taxes``: the product's sale/purchase taxes
                    vals["tax_ids"] = [(6, 0, line_taxes(self.env, product, purchase))]
                if not vals.get("account_id"):
                    code = "600000" if purchase else "400000"
                    account = self.env["account.account"].search([("code", "=", code)], limit=1)
                    vals["account_id"] = account.id
            prepared.append(vals)
        return super().create(prepared)


class AccountMoveReversal(Model):
    """The 17.0 "Credit Note" wizard (``account/wizard/account_move_reversal.py``): created with the posted
    moves in the context (``active_model='account.move'``, ``active_ids``) and a ``journal_id``;
    ``refund_moves`` creates one draft reversal per move (an invoice's is an ``out_refund`` with the same lines,
    ``ref`` "Reversal of: <name>, <reason>", ``reversed_entry_id``) and answers the act_window of what it created. ``modify_moves`` (reverse, then a new
    draft copy) is not emulated: it raises."""

    _name = "account.move.reversal"
    _description = "Account Move Reversal"
    _transient = True

    move_ids = Many2many("account.move", "Moves")
    new_move_ids = Many2many("account.move", "New Moves")
    date = Date("Reversal date", default=lambda self: self.env.today)
    reason = Char("Reason displayed on Credit Note")
    journal_id = Many2one("account.journal", "Journal", required=True)
    company_id = Many2one("res.company", "Company", required=True, default=1)
    move_type = Char("Move Type")
    residual = Monetary("Residual")

    @model_method
    def create(self, vals_list: Any) -> Any:
        vals_list = [vals_list] if isinstance(vals_list, dict) else list(vals_list)
        ctx = self.env.context
        ids = list(ctx.get("active_ids") or []) if ctx.get("active_model") == "account.move" else []
        moves = self.env["account.move"].browse(ids)
        if any(move.state != "posted" for move in moves):
            raise UserError("You can only reverse posted moves.")
        prepared = []
        for vals in vals_list:
            vals = dict(vals)
            vals.setdefault("move_ids", [(6, 0, ids)])
            if len(moves) == 1:
                vals.setdefault("move_type", moves.move_type)
                vals.setdefault("residual", moves._compute_amount_residual())
            prepared.append(vals)
        records = super().create(prepared)
        for wizard in records:
            if wizard.journal_id.type not in {m.journal_id.type for m in wizard.move_ids}:
                raise UserError("Journal should be the same type as the reversed entry.")
        return records

    @exposed
    def refund_moves(self) -> Any:
        return self._reverse_moves()

    @exposed
    def modify_moves(self) -> Any:
        raise UserError("The emulator does not implement the 'modify' reversal; use refund_moves.")

    def _reverse_moves(self) -> Any:
        reverse_type = {"out_invoice": "out_refund", "in_invoice": "in_refund", "out_refund": "out_invoice",
                        "in_refund": "in_invoice"}
        created = self.env["account.move"]
        for move in self.move_ids:
            ref = f"Reversal of: {move.name}, {self.reason}" if self.reason else f"Reversal of: {move.name}"
            lines = [(0, 0, {"product_id": line.product_id.id, "name": line.name, "quantity": line.quantity,
                             "price_unit": line.price_unit, "discount": line.discount,
                             "account_id": line.account_id.id, "product_uom_id": line.product_uom_id.id,
                             "tax_ids": [(6, 0, line.tax_ids.ids)], "sale_line_ids": [(6, 0, line.sale_line_ids.ids)],
                             "purchase_line_id": line.purchase_line_id.id, "display_type": line.display_type})
                     for line in move.invoice_line_ids]
            new = self.env["account.move"].create({
                "move_type": reverse_type.get(move.move_type, "entry"), "partner_id": move.partner_id.id,
                "journal_id": self.journal_id.id, "date": self.date, "invoice_date": self.date,
                "invoice_date_due": self.date, "ref": ref, "reversed_entry_id": move.id,
                "invoice_origin": move.invoice_origin, "invoice_user_id": move.invoice_user_id.id,
                "currency_id": move.currency_id.id, "invoice_line_ids": lines,
            })
            move._message_log(
                f'<p>This entry has been <a href="#" data-oe-model="account.move" data-oe-id="{new.id}">'
                f"reversed</a></p>"
            )
            new._refresh_origin_documents()
            created = created | new
        self.write({"new_move_ids": [(6, 0, created.ids)]})
        action: dict[str, Any] = {"name": "Reverse Moves", "type": "ir.actions.act_window", "res_model": "account.move"}
        if len(created) == 1:
            action.update({"view_mode": "form", "res_id": created.id,
                           "context": {"default_move_type": created.move_type}})
        else:
            action.update({"view_mode": "tree,form", "domain": [("id", "in", created.ids)]})
        return action
