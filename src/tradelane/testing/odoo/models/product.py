"""Products: ``product.category``, ``product.template`` and ``product.product`` (``_inherits`` the template),
with the 17.0 ``detailed_type`` (``consu``/``service``/``product``) and the non-stored stock quantities
(``qty_available``, ``free_qty``, ``virtual_available``, ``incoming_qty``, ``outgoing_qty``) computed from
quants and moves, honouring the ``location``/``warehouse`` context keys."""

from __future__ import annotations

from typing import Any

from ..exceptions import ValidationError
from ..orm import Boolean, Char, Float, Many2many, Many2one, Model, One2many, Selection, Text
from .mail import MailThread

PRODUCT_TYPES = [("consu", "Consumable"), ("service", "Service"), ("product", "Storable Product")]
TRACKING = [("serial", "By Unique Serial Number"), ("lot", "By Lots"), ("none", "No Tracking")]
#: Move states that still count as incoming/outgoing in the forecast.
OPEN_MOVE_STATES = frozenset({"waiting", "confirmed", "partially_available", "assigned"})
#: Fields that live on product.product and are mirrored on single-variant templates.
VARIANT_FIELDS = ("default_code", "barcode")


class ProductCategory(Model):
    _name = "product.category"
    _description = "Product Category"
    _order = "complete_name"
    _rec_name = "complete_name"

    name = Char("Name", required=True)
    complete_name = Char("Complete Name", compute="_compute_complete_name")
    parent_id = Many2one("product.category", "Parent Category", ondelete="cascade")

    def _compute_complete_name(self) -> str:
        if self.parent_id:
            return f"{self.parent_id.complete_name} / {self.name}"
        return str(self.name)


class ProductTemplate(MailThread):
    _name = "product.template"
    _description = "Product"
    _order = "priority desc, name"

    name = Char("Name", required=True, index=True)
    priority = Selection([("0", "Normal"), ("1", "Favorite")], default="0")
    detailed_type = Selection(PRODUCT_TYPES, "Product Type", required=True, default="consu")
    type = Selection(PRODUCT_TYPES, "Type", default="consu")
    categ_id = Many2one("product.category", "Product Category", default=lambda self: self._default_categ())
    list_price = Float("Sales Price", default=1.0)
    standard_price = Float("Cost", default=0.0)
    uom_id = Many2one(
        "uom.uom", "Unit of Measure", default=lambda self: self.env.ref("uom.product_uom_unit").id
    )
    uom_po_id = Many2one(
        "uom.uom", "Purchase Unit of Measure", default=lambda self: self.env.ref("uom.product_uom_unit").id
    )
    weight = Float("Weight")
    volume = Float("Volume")
    tracking = Selection(TRACKING, "Tracking", default="none", required=True)
    sale_ok = Boolean("Can be Sold", default=True)
    purchase_ok = Boolean("Can be Purchased", default=True)
    invoice_policy = Selection(
        [("order", "Ordered quantities"), ("delivery", "Delivered quantities")],
        "Invoicing Policy",
        default="order",
    )
    purchase_method = Selection(
        [("purchase", "On ordered quantities"), ("receive", "On received quantities")],
        "Control Policy",
        default="receive",
    )
    description = Text("Description")
    description_sale = Text("Sales Description")
    description_purchase = Text("Purchase Description")
    active = Boolean("Active", default=True)
    company_id = Many2one("res.company", "Company")
    product_variant_ids = One2many("product.product", "product_tmpl_id", "Products")
    product_variant_id = Many2one("product.product", "Product", compute="_compute_variant")
    default_code = Char("Internal Reference", compute="_compute_default_code", inverse="_set_default_code")
    taxes_id = Many2many(
        "account.tax", "Customer Taxes", default=lambda self: self.env.company.account_sale_tax_id.ids
    )
    supplier_taxes_id = Many2many(
        "account.tax", "Vendor Taxes", default=lambda self: self.env.company.account_purchase_tax_id.ids
    )
    barcode = Char("Barcode", compute="_compute_barcode", inverse="_set_barcode")

    def _default_categ(self) -> int:
        return self.env.ref("product.product_category_all").id

    def _compute_variant(self) -> Any:
        return self.product_variant_ids.ids[:1]

    def _compute_default_code(self) -> Any:
        variants = self.product_variant_ids
        return variants.default_code if len(variants) == 1 else False

    def _compute_display_name(self) -> str:
        code = self._compute_default_code()
        return f"[{code}] {self.name}" if code else str(self.name or "")

    def _set_default_code(self, value: Any) -> None:
        if len(self.product_variant_ids) == 1:
            self.product_variant_ids.write({"default_code": value})

    def _compute_barcode(self) -> Any:
        variants = self.product_variant_ids
        return variants.barcode if len(variants) == 1 else False

    def _set_barcode(self, value: Any) -> None:
        if len(self.product_variant_ids) == 1:
            self.product_variant_ids.write({"barcode": value})

    def create(self, vals_list: Any) -> Any:
        vals_list = [vals_list] if isinstance(vals_list, dict) else list(vals_list)
        cleaned = []
        variant_vals = []
        for vals in vals_list:
            vals = _sync_type(dict(vals))
            variant_vals.append({k: vals.pop(k) for k in VARIANT_FIELDS if k in vals})
            cleaned.append(vals)
        templates = super().create(cleaned)
        if self.env.context.get("create_product_product", True):
            for template, extra in zip(templates, variant_vals, strict=True):
                self.env["product.product"].create({"product_tmpl_id": template.id, **extra})
        return templates

    def write(self, vals: dict[str, Any]) -> bool:
        return super().write(_sync_type(dict(vals)))


def _sync_type(vals: dict[str, Any]) -> dict[str, Any]:
    """In 17.0 ``type`` mirrors ``detailed_type``; accept either being written."""
    if "detailed_type" in vals and "type" not in vals:
        vals["type"] = vals["detailed_type"]
    elif "type" in vals and "detailed_type" not in vals:
        vals["detailed_type"] = vals["type"]
    return vals


class ProductProduct(MailThread):
    _name = "product.product"
    _description = "Product Variant"
    _inherits = {"product.template": "product_tmpl_id"}
    _order = "default_code, name, id"

    product_tmpl_id = Many2one("product.template", "Product Template", required=True, ondelete="cascade")
    default_code = Char("Internal Reference", index=True)
    barcode = Char("Barcode", index=True)
    active = Boolean("Active", default=True)
    lst_price = Float("Sales Price", related="product_tmpl_id.list_price")
    qty_available = Float("Quantity On Hand", compute="_compute_qty_available")
    free_qty = Float("Free To Use Quantity", compute="_compute_free_qty")
    virtual_available = Float("Forecasted Quantity", compute="_compute_virtual_available")
    incoming_qty = Float("Incoming", compute="_compute_incoming_qty")
    outgoing_qty = Float("Outgoing", compute="_compute_outgoing_qty")

    def _compute_display_name(self) -> str:
        name = self.product_tmpl_id.name or ""
        return f"[{self.default_code}] {name}" if self.default_code else str(name)

    def create(self, vals_list: Any) -> Any:
        vals_list = [vals_list] if isinstance(vals_list, dict) else list(vals_list)
        return super().create([_sync_type(dict(v)) for v in vals_list])

    def write(self, vals: dict[str, Any]) -> bool:
        return super().write(_sync_type(dict(vals)))

    def _check(self, fnames: set[str]) -> None:
        if "barcode" not in fnames:
            return
        for rec in self:
            if not rec.barcode:
                continue
            others = (self.env.db.lookup(self._name, "barcode", rec.barcode) or set()) - {rec.id}
            if others:
                names = ", ".join(self.browse(sorted(others)).mapped("display_name"))
                raise ValidationError(
                    f'Barcode(s) already assigned:\n\n- Barcode "{rec.barcode}" already assigned to product(s): '
                    f"{names}"
                )

    # stock quantities --------------------------------------------------------------------------
    def _scope_location_ids(self) -> set[int]:
        ctx = self.env.context
        locations = self.env["stock.location"]
        if ctx.get("location"):
            roots = ctx["location"] if isinstance(ctx["location"], list) else [ctx["location"]]
            return set(locations._search_ids([("id", "child_of", [int(r) for r in roots])]))
        if ctx.get("warehouse"):
            views = self.env["stock.warehouse"].browse(int(ctx["warehouse"])).view_location_id.ids
            return set(locations._search_ids([("id", "child_of", views), ("usage", "=", "internal")]))
        return set(locations._search_ids([("usage", "=", "internal")]))

    def _quant_totals(self) -> tuple[float, float]:
        scope = self._scope_location_ids()
        quants = self.env.db.tables["stock.quant"]
        quantity = reserved = 0.0
        for qid in self.env.db.lookup("stock.quant", "product_id", self.id) or ():
            row = quants[qid]
            if row["location_id"] in scope:
                quantity += row["quantity"]
                reserved += row["reserved_quantity"]
        return quantity, reserved

    def _move_totals(self) -> tuple[float, float]:
        scope = self._scope_location_ids()
        moves = self.env.db.tables["stock.move"]
        incoming = outgoing = 0.0
        for mid in self.env.db.lookup("stock.move", "product_id", self.id) or ():
            row = moves[mid]
            if row["state"] not in OPEN_MOVE_STATES:
                continue
            src_in, dst_in = row["location_id"] in scope, row["location_dest_id"] in scope
            if dst_in and not src_in:
                incoming += row["product_uom_qty"]
            elif src_in and not dst_in:
                outgoing += row["product_uom_qty"]
        return incoming, outgoing

    def _compute_qty_available(self) -> float:
        return self._quant_totals()[0]

    def _compute_free_qty(self) -> float:
        quantity, reserved = self._quant_totals()
        return quantity - reserved

    def _compute_incoming_qty(self) -> float:
        return self._move_totals()[0]

    def _compute_outgoing_qty(self) -> float:
        return self._move_totals()[1]

    def _compute_virtual_available(self) -> float:
        incoming, outgoing = self._move_totals()
        return self._quant_totals()[0] + incoming - outgoing
