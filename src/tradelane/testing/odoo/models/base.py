"""Base models: companies, partners, users, currencies, countries, units of measure, sequences,
``ir.model``, ``ir.model.data`` (external ids) and ``ir.attachment``."""

from __future__ import annotations

import base64
import hashlib
import mimetypes
from typing import Any

from ..exceptions import ValidationError
from ..orm import (
    Binary,
    Boolean,
    Char,
    Float,
    Integer,
    Many2one,
    Model,
    One2many,
    Selection,
    Text,
    exposed,
    model_method,
)
from .mail import MailThread

#: Default MIME type of an attachment whose name says nothing.
DEFAULT_MIMETYPE = "application/octet-stream"


class ResCurrency(Model):
    _name = "res.currency"
    _description = "Currency"

    name = Char("Currency", required=True)
    symbol = Char("Symbol", required=True)
    rounding = Float("Rounding Factor", default=0.01)
    active = Boolean("Active", default=True)


class ResCountry(Model):
    _name = "res.country"
    _description = "Country"

    name = Char("Country Name", required=True)
    code = Char("Country Code")


class ResCompany(Model):
    _name = "res.company"
    _description = "Companies"

    name = Char("Company Name", required=True)
    partner_id = Many2one("res.partner", "Partner")
    currency_id = Many2one("res.currency", "Currency")
    country_id = Many2one("res.country", "Country")
    email = Char("Email")
    account_sale_tax_id = Many2one("account.tax", "Default Sale Tax")
    account_purchase_tax_id = Many2one("account.tax", "Default Purchase Tax")


class ResPartner(MailThread):
    _name = "res.partner"
    _description = "Contact"
    _order = "complete_name ASC, id DESC"

    name = Char("Name", index=True)
    complete_name = Char("Complete Name", compute="_compute_display_name")
    is_company = Boolean("Is a Company", default=False)
    company_type = Selection(
        [("person", "Individual"), ("company", "Company")], compute="_compute_company_type"
    )
    parent_id = Many2one("res.partner", "Related Company")
    company_name = Char("Company Name")
    child_ids = One2many("res.partner", "parent_id", "Contact")
    commercial_partner_id = Many2one("res.partner", "Commercial Entity", compute="_compute_commercial")
    type = Selection(
        [("contact", "Contact"), ("invoice", "Invoice Address"), ("delivery", "Delivery Address"),
         ("other", "Other Address")],
        "Address Type",
        default="contact",
    )  # fmt: skip
    ref = Char("Reference", index=True)
    vat = Char("Tax ID")
    street = Char("Street")
    street2 = Char("Street2")
    zip = Char("Zip")
    city = Char("City")
    country_id = Many2one("res.country", "Country")
    email = Char("Email")
    phone = Char("Phone")
    mobile = Char("Mobile")
    website = Char("Website Link")
    comment = Text("Notes")
    lang = Char("Language", default="en_US")
    tz = Char("Timezone")
    active = Boolean("Active", default=True)
    company_id = Many2one("res.company", "Company")
    customer_rank = Integer("Customer Rank", default=0)
    supplier_rank = Integer("Supplier Rank", default=0)

    def _compute_display_name(self) -> str:
        name = self.name or ""
        if (self.parent_id or self.company_name) and not self.is_company:
            parent = self.parent_id.name or self.company_name or ""
            return f"{parent}, {name}" if name else parent
        return name

    def _compute_company_type(self) -> str:
        return "company" if self.is_company else "person"

    @exposed
    def unlink(self) -> bool:
        """sale's override: draft and cancelled orders of the partner go first, so only confirmed ones keep
        the foreign key from deleting it (``sale/models/res_partner.py``)."""
        if "sale.order" in self.env.db.registry.models and self._ids:
            orders = self.env["sale.order"].search(
                [("state", "in", ["draft", "cancel"]), "|", "|", ("partner_id", "in", self.ids),
                 ("partner_invoice_id", "in", self.ids), ("partner_shipping_id", "in", self.ids)]
            )  # fmt: skip
            orders.unlink()
        return super().unlink()

    def _compute_commercial(self) -> int:
        partner = self
        while not partner.is_company and partner.parent_id:
            partner = partner.parent_id
        return partner.id

    def _check(self, fnames: set[str]) -> None:
        table = self._table
        for rid in self._ids:
            row = table[rid]
            if row.get("type") == "contact" and not row.get("name"):
                # SQL constraint check_name, reported like every SQL constraint over RPC
                raise ValidationError("The operation cannot be completed: Contacts require a name")
        if "parent_id" not in fnames:
            return
        for rid in self._ids:
            seen = {rid}
            node = table[rid].get("parent_id")
            while node:
                if node in seen:
                    raise ValidationError("You cannot create recursive Partner hierarchies.")
                seen.add(node)
                node = table.get(node, {}).get("parent_id")


class ResUsers(Model):
    _name = "res.users"
    _description = "User"
    _inherits = {"res.partner": "partner_id"}
    _rec_name = "name"

    partner_id = Many2one("res.partner", "Related Partner", required=True, ondelete="restrict")
    login = Char("Login", required=True)
    active = Boolean("Active", default=True)
    company_id = Many2one("res.company", "Company", default=1)
    share = Boolean("Share User")

    def _compute_display_name(self) -> str:
        return str(self.partner_id.name or "")


class IrModel(Model):
    _name = "ir.model"
    _description = "Models"
    _order = "model"

    name = Char("Model Description", required=True)
    model = Char("Model", required=True, index=True)
    transient = Boolean("Transient Model")
    info = Text("Information")

    def _get_id(self, model: str) -> int:
        ids = self.env.db.lookup(self._name, "model", model) or set()
        if not ids:
            raise ValueError(f"No ir.model record for {model!r}")
        return min(ids)


class IrModelData(Model):
    _name = "ir.model.data"
    _description = "Model Data"
    _order = "module, model, name"

    name = Char("External Identifier", required=True, index=True)
    module = Char("Module", required=True, default="")
    model = Char("Model Name", required=True)
    res_id = Integer("Record ID", index=True)
    complete_name = Char("Complete ID", compute="_compute_complete_name")
    noupdate = Boolean("Non Updatable", default=False)

    def _compute_complete_name(self) -> str:
        return f"{self.module}.{self.name}" if self.module else str(self.name)

    def _compute_display_name(self) -> str:
        return self._compute_complete_name()

    def _check(self, fnames: set[str]) -> None:
        """The unique index on (module, name): PostgreSQL's message, raised as ValidationError (17.0)."""
        if not fnames & {"module", "name"}:
            return
        for rec in self:
            same = self.env.db.lookup(self._name, "name", rec.name) or set()
            table = self._table
            if any(table[rid]["module"] == rec.module for rid in same - {rec.id}):
                raise ValidationError(
                    "The operation cannot be completed: duplicate key value violates unique constraint "
                    '"ir_model_data_module_name_uniq_index"\n'
                    f"DETAIL:  Key (module, name)=({rec.module}, {rec.name}) already exists.\n"
                )

    @model_method
    def check_object_reference(
        self, module: str, xml_id: str, raise_on_access_error: bool = False
    ) -> list[Any]:
        """``[model, res_id]`` of the external id ``module.xml_id``; ValueError when unknown."""
        record = self.env.ref(f"{module}.{xml_id}")
        return [record._name, record.id]


class IrSequence(Model):
    _name = "ir.sequence"
    _description = "Sequence"
    _order = "name"

    name = Char("Name", required=True)
    code = Char("Sequence Code", index=True)
    implementation = Selection([("standard", "Standard"), ("no_gap", "No gap")], default="standard")
    prefix = Char("Prefix")
    suffix = Char("Suffix")
    padding = Integer("Sequence Size", default=0)
    number_next = Integer("Next Number", default=1)
    number_increment = Integer("Step", default=1)
    active = Boolean("Active", default=True)
    company_id = Many2one("res.company", "Company")

    def _next(self) -> str:
        """Standard sequences are PostgreSQL sequences: consumed numbers are not given back on rollback."""
        row = self._row()
        number = int(row["number_next"])
        row["number_next"] = number + int(row.get("number_increment") or 1)
        now = self.env.now
        variables = {"year": now.strftime("%Y"), "month": now.strftime("%m"), "day": now.strftime("%d"),
                     "y": now.strftime("%y")}  # fmt: skip
        prefix = (row.get("prefix") or "") % variables
        suffix = (row.get("suffix") or "") % variables
        return f"{prefix}{number:0{int(row.get('padding') or 0)}d}{suffix}"

    @model_method
    def next_by_code(self, sequence_code: str, sequence_date: Any = None) -> Any:
        ids = sorted(self.env.db.lookup(self._name, "code", sequence_code) or ())
        if not ids:
            return False
        return self.browse(ids[0])._next()


class IrAttachment(Model):
    _name = "ir.attachment"
    _description = "Attachment"
    _order = "id desc"

    name = Char("Name", required=True)
    description = Text("Description")
    res_model = Char("Resource Model", index=True)
    res_id = Integer("Resource ID", index=True)
    res_field = Char("Resource Field")
    type = Selection([("url", "URL"), ("binary", "File")], "Type", default="binary", required=True)
    url = Char("Url")
    public = Boolean("Is public document")
    datas = Binary("File Content (base64)")
    file_size = Integer("File Size", readonly=True)
    mimetype = Char("Mime Type")
    checksum = Char("Checksum/SHA1", readonly=True)
    company_id = Many2one("res.company", "Company", default=1)

    def create(self, vals_list: Any) -> Any:
        records = super().create(vals_list)
        records._refresh_file_fields()
        return records

    def write(self, vals: dict[str, Any]) -> bool:
        result = super().write(vals)
        if "datas" in vals or "name" in vals:
            self._refresh_file_fields()
        return result

    def _refresh_file_fields(self) -> None:
        db = self.env.db
        for rec in self:
            row = rec._row()
            raw = base64.b64decode(row.get("datas") or "") if row.get("datas") else b""
            db.write_value(self._name, rec.id, "file_size", len(raw))
            db.write_value(self._name, rec.id, "checksum", hashlib.sha1(raw).hexdigest() if raw else False)
            if not row.get("mimetype"):
                guessed = mimetypes.guess_type(row.get("name") or "")[0]
                db.write_value(self._name, rec.id, "mimetype", guessed or DEFAULT_MIMETYPE)


class UomCategory(Model):
    _name = "uom.category"
    _description = "Product UoM Categories"

    name = Char("Unit of Measure Category", required=True)


class UomUom(Model):
    _name = "uom.uom"
    _description = "Product Unit of Measure"
    _order = "factor DESC, id"

    name = Char("Unit of Measure", required=True)
    category_id = Many2one("uom.category", "Category", required=True, ondelete="restrict")
    factor = Float("Ratio", default=1.0)
    rounding = Float("Rounding Precision", default=0.01)
    uom_type = Selection(
        [("bigger", "Bigger than the reference Unit of Measure"), ("reference", "Reference Unit of Measure"),
         ("smaller", "Smaller than the reference Unit of Measure")],
        "Type",
        default="reference",
    )  # fmt: skip
    active = Boolean("Active", default=True)
