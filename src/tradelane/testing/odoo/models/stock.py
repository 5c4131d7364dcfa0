"""Inventory: warehouses, locations, operation types, transfers (``stock.picking``), moves and move lines
with the 17.0 quantity model (``quantity`` + ``picked``), lots, quants, packages, the backorder wizard and
inventory adjustments.

Invariant kept by the move-line hooks: a quant's ``reserved_quantity`` is the sum of the ``quantity`` of the
open move lines (move not done/cancelled) of a storable product that take from that exact quant key
(product, location, lot, package). Validation releases the reservation and moves the quantity.
"""

from __future__ import annotations

from typing import Any

from markupsafe import escape

from ..exceptions import UserError, ValidationError
from ..orm import (
    SUPERUSER_ID,
    Boolean,
    Char,
    Datetime,
    Float,
    Html,
    Integer,
    Many2many,
    Many2one,
    Model,
    One2many,
    Selection,
    exposed,
    model_method,
)
from .mail import MailThread

#: Float tolerance when comparing quantities (Odoo rounds to the UoM precision, 0.01 for Units).
QTY_EPSILON = 1e-6
PICKING_STATES = [
    ("draft", "Draft"),
    ("waiting", "Waiting Another Operation"),
    ("confirmed", "Waiting"),
    ("assigned", "Ready"),
    ("done", "Done"),
    ("cancel", "Cancelled"),
]
MOVE_STATES = [
    ("draft", "New"),
    ("waiting", "Waiting Another Move"),
    ("confirmed", "Waiting Availability"),
    ("partially_available", "Partially Available"),
    ("assigned", "Available"),
    ("done", "Done"),
    ("cancel", "Cancelled"),
]
OPEN_STATES = frozenset({"waiting", "confirmed", "partially_available", "assigned"})
CLOSED_STATES = frozenset({"done", "cancel"})


def transfer_progress(pickings: Any) -> tuple[Any, Any]:
    """``(status, effective_date)`` of an order's transfers, as sale and purchase orders compute them.

    status: ``False`` (none, or all cancelled), ``full`` (all closed), ``partial`` (some done) or ``pending``;
    effective_date: the first ``date_done`` of a done transfer, or ``False``.
    """
    if not pickings or all(p.state == "cancel" for p in pickings):
        status: Any = False
    elif all(p.state in CLOSED_STATES for p in pickings):
        status = "full"
    elif any(p.state == "done" for p in pickings):
        status = "partial"
    else:
        status = "pending"
    done_dates = [p.date_done for p in pickings if p.state == "done" and p.date_done]
    return status, (min(done_dates) if done_dates else False)


#: Locations whose stock is counted in quants (Odoo: internal and transit).
QUANT_USAGES = frozenset({"internal", "transit"})
#: Default reference of an inventory adjustment move (context key ``inventory_name`` overrides it).
DEFAULT_INVENTORY_NAME = "Product Quantity Updated"
#: Reference of an inventory move for a count equal to the stock on hand (no ``inventory_name``).
CONFIRMED_INVENTORY_NAME = "Product Quantity Confirmed"
EMPTY_TRANSFER_MESSAGE = (
    "You can\u2019t validate an empty transfer. Please add some products to move before proceeding."
)
NO_QUANTITY_MESSAGE = (
    "You cannot validate a transfer if no quantities are reserved. To force the transfer, encode quantities."
)


def _is_zero(value: float) -> bool:
    return abs(value) < QTY_EPSILON


class StockLocation(Model):
    _name = "stock.location"
    _description = "Inventory Locations"
    _order = "complete_name, id"
    _rec_name = "complete_name"
    _parent_name = "location_id"

    name = Char("Location Name", required=True)
    complete_name = Char("Full Location Name", compute="_compute_complete_name")
    usage = Selection(
        [("supplier", "Vendor Location"), ("view", "View"), ("internal", "Internal Location"),
         ("customer", "Customer Location"), ("inventory", "Inventory Loss"), ("production", "Production"),
         ("transit", "Transit Location")],
        "Location Type",
        default="internal",
        required=True,
    )  # fmt: skip
    location_id = Many2one("stock.location", "Parent Location", ondelete="cascade")
    child_ids = One2many("stock.location", "location_id", "Contains")
    warehouse_id = Many2one("stock.warehouse", "Warehouse", compute="_compute_warehouse")
    barcode = Char("Barcode")
    active = Boolean("Active", default=True)
    scrap_location = Boolean("Is a Scrap Location?")
    replenish_location = Boolean("Replenish Location")
    company_id = Many2one("res.company", "Company")

    def _compute_complete_name(self) -> str:
        if self.location_id and self.usage != "view":
            return f"{self.location_id.complete_name}/{self.name}"
        return str(self.name)

    def _compute_warehouse(self) -> Any:
        views = {w.view_location_id.id: w.id for w in self.env["stock.warehouse"].search([])}
        node = self
        while node:
            if node.id in views:
                return views[node.id]
            node = node.location_id
        return False

    def _should_bypass_reservation(self) -> bool:
        return self.usage not in QUANT_USAGES


class StockWarehouse(Model):
    _name = "stock.warehouse"
    _description = "Warehouse"

    name = Char("Warehouse", required=True)
    code = Char("Short Name", required=True)
    active = Boolean("Active", default=True)
    company_id = Many2one("res.company", "Company", default=1)
    partner_id = Many2one("res.partner", "Address")
    view_location_id = Many2one("stock.location", "View Location")
    lot_stock_id = Many2one("stock.location", "Location Stock")
    wh_input_stock_loc_id = Many2one("stock.location", "Input Location")
    wh_output_stock_loc_id = Many2one("stock.location", "Output Location")
    wh_pack_stock_loc_id = Many2one("stock.location", "Packing Location")
    wh_qc_stock_loc_id = Many2one("stock.location", "Quality Control Location")
    in_type_id = Many2one("stock.picking.type", "In Type")
    out_type_id = Many2one("stock.picking.type", "Out Type")
    int_type_id = Many2one("stock.picking.type", "Internal Type")
    pick_type_id = Many2one("stock.picking.type", "Pick Type")
    pack_type_id = Many2one("stock.picking.type", "Pack Type")
    delivery_steps = Selection(
        [("ship_only", "Deliver goods directly (1 step)"), ("pick_ship", "Send goods in output and then deliver (2 steps)"),
         ("pick_pack_ship", "Pack goods, send goods in output and then deliver (3 steps)")],
        "Outgoing Shipments",
        default="ship_only",
    )  # fmt: skip
    reception_steps = Selection(
        [("one_step", "Receive goods directly (1 step)"), ("two_steps", "Receive goods in input and then stock (2 steps)"),
         ("three_steps", "Receive goods in input, then quality and then stock (3 steps)")],
        "Incoming Shipments",
        default="one_step",
    )  # fmt: skip


class StockPickingType(Model):
    _name = "stock.picking.type"
    _description = "Picking Type"
    _order = "sequence, id"

    name = Char("Operation Type", required=True)
    sequence = Integer("Sequence", default=10)
    code = Selection(
        [("incoming", "Receipt"), ("outgoing", "Delivery"), ("internal", "Internal Transfer")],
        "Type of Operation",
        required=True,
    )
    sequence_code = Char("Sequence Prefix", required=True)
    sequence_id = Many2one("ir.sequence", "Reference Sequence")
    warehouse_id = Many2one("stock.warehouse", "Warehouse", ondelete="cascade")
    default_location_src_id = Many2one("stock.location", "Default Source Location")
    default_location_dest_id = Many2one("stock.location", "Default Destination Location")
    create_backorder = Selection(
        [("ask", "Ask"), ("always", "Always"), ("never", "Never")],
        "Create Backorder",
        default="ask",
        required=True,
    )
    reservation_method = Selection(
        [("at_confirm", "At Confirmation"), ("manual", "Manually"), ("by_date", "Before scheduled date")],
        "Reservation Method",
        default="at_confirm",
        required=True,
    )
    use_create_lots = Boolean("Create New Lots/Serial Numbers", default=True)
    use_existing_lots = Boolean("Use Existing Lots/Serial Numbers", default=True)
    print_label = Boolean("Print Label")
    active = Boolean("Active", default=True)
    company_id = Many2one("res.company", "Company", default=1)

    def _compute_display_name(self) -> str:
        if self.warehouse_id:
            return f"{self.warehouse_id.name}: {self.name}"
        return str(self.name)


class StockLot(Model):
    _name = "stock.lot"
    _description = "Lot/Serial"
    _order = "name, id"

    name = Char("Lot/Serial Number", required=True, index=True)
    ref = Char("Internal Reference")
    product_id = Many2one("product.product", "Product", required=True)
    company_id = Many2one("res.company", "Company", default=1)
    quant_ids = One2many("stock.quant", "lot_id", "Quants")
    product_qty = Float("On Hand Quantity", compute="_compute_product_qty")
    note = Html("Description")

    def _compute_product_qty(self) -> float:
        return sum(q.quantity for q in self.quant_ids if q.location_id.usage in QUANT_USAGES)

    def _check(self, fnames: set[str]) -> None:
        if not fnames & {"name", "product_id", "company_id"}:
            return
        table = self._table
        for rec in self:
            row = table[rec.id]
            same = [
                i
                for i in self.env.db.lookup(self._name, "name", row["name"]) or ()
                if i != rec.id
                and table[i]["product_id"] == row["product_id"]
                and table[i]["company_id"] == row["company_id"]
            ]
            if same:
                raise ValidationError(
                    "The combination of serial number and product must be unique across a company.\n"
                    "Following combination contains duplicates:\n"
                    f" - Product: {rec.product_id.display_name}, Serial Number: {row['name']}"
                )


class StockQuantPackage(Model):
    _name = "stock.quant.package"
    _description = "Packages"
    _order = "name"

    name = Char(
        "Package Reference",
        required=True,
        index=True,
        default=lambda self: self.env["ir.sequence"].next_by_code("stock.quant.package") or "Unknown Pack",
    )
    location_id = Many2one("stock.location", "Location")
    quant_ids = One2many("stock.quant", "package_id", "Bulk Content")
    shipping_weight = Float("Shipping Weight")
    weight = Float("Weight", compute="_compute_weight")
    pack_date = Datetime("Pack Date", default=lambda self: self.env.now)
    company_id = Many2one("res.company", "Company")

    def _compute_weight(self) -> float:
        """stock_delivery 17.0: the lines of the context's ``picking_id`` put in this package, else the quants."""
        picking_id = self.env.context.get("picking_id")
        if picking_id:
            lines = self.env["stock.move.line"].search(
                [("result_package_id", "=", self.id), ("picking_id", "=", int(picking_id))]
            )
            return sum(ml.quantity * (ml.product_id.weight or 0.0) for ml in lines if ml.product_id)
        return sum(q.quantity * (q.product_id.weight or 0.0) for q in self.quant_ids)


class StockQuant(Model):
    _name = "stock.quant"
    _description = "Quants"
    _rec_name = "product_id"

    product_id = Many2one("product.product", "Product", required=True, ondelete="restrict")
    location_id = Many2one("stock.location", "Location", required=True, ondelete="restrict")
    lot_id = Many2one("stock.lot", "Lot/Serial Number", ondelete="restrict")
    package_id = Many2one("stock.quant.package", "Package", ondelete="restrict")
    owner_id = Many2one("res.partner", "Owner")
    company_id = Many2one("res.company", "Company", default=1)
    quantity = Float("Quantity", readonly=True)
    reserved_quantity = Float("Reserved Quantity", readonly=True)
    available_quantity = Float("Available Quantity", compute="_compute_available_quantity")
    inventory_quantity = Float("Counted Quantity")
    inventory_diff_quantity = Float("Difference", compute="_compute_inventory_diff_quantity")
    inventory_quantity_set = Boolean("Inventory Quantity Set")
    inventory_date = Datetime("Scheduled Date")
    in_date = Datetime("Incoming Date", default=lambda self: self.env.now)
    product_uom_id = Many2one("uom.uom", "Unit of Measure", related="product_id.uom_id")
    warehouse_id = Many2one("stock.warehouse", "Warehouse", related="location_id.warehouse_id")
    user_id = Many2one("res.users", "Assigned To")

    def _compute_display_name(self) -> str:
        name = self.location_id.complete_name or ""
        if self.lot_id:
            name += f" - {self.lot_id.name}"
        if self.package_id:
            name += f" - {self.package_id.name}"
        return name

    def _compute_available_quantity(self) -> float:
        return float(self.quantity) - float(self.reserved_quantity)

    def _compute_inventory_diff_quantity(self) -> float:
        if not self.inventory_quantity_set:
            return 0.0
        return float(self.inventory_quantity) - float(self.quantity)

    def _is_inventory_mode(self) -> bool:
        return bool(self.env.context.get("inventory_mode"))

    def create(self, vals_list: Any) -> Any:
        """In inventory mode with ``inventory_quantity``, return the matching quant instead (upsert)."""
        vals_list = [vals_list] if isinstance(vals_list, dict) else list(vals_list)
        result = self.browse(())
        for vals in vals_list:
            if self._is_inventory_mode() and "inventory_quantity" in vals:
                vals = dict(vals)
                counted = vals.pop("inventory_quantity")
                quant = self._find(
                    int(vals["product_id"]),
                    int(vals["location_id"]),
                    int(vals.get("lot_id") or 0),
                    int(vals.get("package_id") or 0),
                    int(vals.get("owner_id") or 0),
                )
                if not quant:
                    quant = super().create(vals)
                # real 17.0 assigns the count to the caller (or vals' user_id) and dates it today
                quant.write(
                    {
                        "inventory_quantity": counted,
                        "user_id": vals.get("user_id", self.env.uid),
                        "inventory_date": self.env.now,
                    }
                )
                result = result | quant
            else:
                result = result | super().create(vals)
        return result

    def write(self, vals: dict[str, Any]) -> bool:
        vals = dict(vals)
        if "inventory_quantity" in vals and "inventory_quantity_set" not in vals:
            vals["inventory_quantity_set"] = True
        return super().write(vals)

    def _find(self, product: int, location: int, lot: int = 0, package: int = 0, owner: int = 0) -> Any:
        table = self._table
        for qid in sorted(self.env.db.lookup(self._name, "product_id", product) or ()):
            row = table[qid]
            if (
                row["location_id"] == location
                and (row["lot_id"] or 0) == lot
                and (row["package_id"] or 0) == package
                and (row["owner_id"] or 0) == owner
            ):
                return self.browse(qid)
        return self.browse(())

    def _update_quantity(
        self,
        product: Any,
        location: Any,
        delta: float,
        lot: int = 0,
        package: int = 0,
        reserved: bool = False,
    ) -> None:
        """Add ``delta`` to the quantity (or reserved quantity) of the exact quant key, creating the quant."""
        # 17.0 keeps quants in every non-view location (customers, vendors, inventory loss go negative or
        # positive); only reservations are limited to internal/transit locations
        if product.type != "product" or location.usage == "view" or _is_zero(delta):
            return
        if reserved and location.usage not in QUANT_USAGES:
            return
        quant = self._find(product.id, location.id, lot, package)
        fname = "reserved_quantity" if reserved else "quantity"
        if not quant:
            quant = super().create(
                {"product_id": product.id, "location_id": location.id, "lot_id": lot or False,
                 "package_id": package or False}
            )  # fmt: skip
        row = quant._row()
        quant.write({fname: row[fname] + delta})
        if not reserved and delta > 0:
            quant.write({"in_date": self.env.now})

    def _gather_available(self, product: Any, location: Any, lot: int = 0) -> list[tuple[Any, float]]:
        """Quants in the location subtree with free quantity, FIFO by in_date."""
        subtree = set(self.env["stock.location"]._search_ids([("id", "child_of", location.id)]))
        table = self._table
        found = []
        for qid in self.env.db.lookup(self._name, "product_id", product.id) or ():
            row = table[qid]
            if row["location_id"] not in subtree or (lot and row["lot_id"] != lot):
                continue
            free = row["quantity"] - row["reserved_quantity"]
            if free > QTY_EPSILON:
                found.append((row["in_date"] or self.env.now, qid, free))
        found.sort(key=lambda item: (item[0], item[1]))
        return [(self.browse(qid), free) for _, qid, free in found]

    @exposed
    def action_apply_inventory(self) -> Any:
        """Apply counted quantities through inventory moves; returns None (the XML-RPC marshal quirk)."""
        quants = self.exists().filtered(lambda q: q.inventory_quantity_set)
        untracked = quants.filtered(
            lambda q: (
                q.product_id.tracking in ("lot", "serial")
                and not q.lot_id
                and not _is_zero(float(q.inventory_quantity) - float(q.quantity))
                and _is_zero(float(q.quantity))
            )
        )
        if untracked and not self.env.context.get("skip_track_check"):
            return {
                "name": "Tracked Products in Inventory Adjustment",
                "type": "ir.actions.act_window",
                "view_mode": "form",
                "res_model": "stock.track.confirmation",
                "views": [[False, "form"]],
                "target": "new",
                "context": {
                    **self.env.context,
                    "default_quant_ids": self.ids,
                    "default_product_ids": untracked.product_id.ids,
                },
            }
        inventory_location = self.env.ref("stock.stock_location_inventory")
        for quant in quants:
            diff = float(quant.inventory_quantity) - float(quant.quantity)
            # like 17.0 ``_get_inventory_move_values``: a counted quantity equal to the stock still makes a
            # (zero) move, and a quant assigned to a user other than the superuser gets " (<user>)" appended
            name = self.env.context.get("inventory_name") or (
                CONFIRMED_INVENTORY_NAME if _is_zero(diff) else DEFAULT_INVENTORY_NAME
            )
            if quant.user_id and quant.user_id.id != SUPERUSER_ID:
                name += f" ({quant.user_id.display_name})"
            incoming = diff > 0
            source, dest = (
                (inventory_location, quant.location_id)
                if incoming
                else (quant.location_id, inventory_location)
            )
            move = self.env["stock.move"].create(
                {
                    "name": name,
                    "product_id": quant.product_id.id,
                    "product_uom_qty": abs(diff),
                    "location_id": source.id,
                    "location_dest_id": dest.id,
                    "is_inventory": True,
                    "picked": True,
                    "state": "confirmed",
                    "move_line_ids": [
                        (0, 0, {
                            "product_id": quant.product_id.id,
                            "location_id": source.id,
                            "location_dest_id": dest.id,
                            "quantity": abs(diff),
                            "lot_id": quant.lot_id.id,
                            "package_id": False if incoming else quant.package_id.id,
                            "result_package_id": quant.package_id.id if incoming else False,
                            "picked": True,
                        })
                    ],
                }
            )  # fmt: skip
            move._action_done()
            quant.write({"inventory_quantity": 0.0, "inventory_quantity_set": False, "user_id": False})
        return None

    @exposed
    def action_set_inventory_quantity_to_zero(self) -> Any:
        self.write({"inventory_quantity": 0.0, "inventory_quantity_set": False})
        return None


class StockPicking(MailThread):
    _name = "stock.picking"
    _description = "Transfer"
    _order = "priority desc, scheduled_date asc, id desc"

    name = Char("Reference", default="/", index=True)
    origin = Char("Source Document", index=True)
    note = Html("Notes")
    backorder_id = Many2one("stock.picking", "Back Order of")
    backorder_ids = One2many("stock.picking", "backorder_id", "Back Orders")
    move_type = Selection([("direct", "As soon as possible"), ("one", "When all products are ready")],
                          "Shipping Policy", default="direct", required=True)  # fmt: skip
    state = Selection(PICKING_STATES, "Status", default="draft", readonly=True)
    priority = Selection([("0", "Normal"), ("1", "Urgent")], "Priority", default="0")
    scheduled_date = Datetime("Scheduled Date", default=lambda self: self.env.now)
    date_deadline = Datetime("Deadline")
    date_done = Datetime("Date of Transfer", readonly=True)
    location_id = Many2one("stock.location", "Source Location", required=True)
    location_dest_id = Many2one("stock.location", "Destination Location", required=True)
    move_ids = One2many("stock.move", "picking_id", "Stock Moves")
    move_ids_without_package = One2many("stock.move", "picking_id", "Stock moves not in package")
    move_line_ids = One2many("stock.move.line", "picking_id", "Operations")
    picking_type_id = Many2one("stock.picking.type", "Operation Type", required=True)
    picking_type_code = Selection(
        [("incoming", "Receipt"), ("outgoing", "Delivery"), ("internal", "Internal Transfer")],
        related="picking_type_id.code",
    )
    partner_id = Many2one("res.partner", "Contact")
    company_id = Many2one("res.company", "Company", default=1)
    user_id = Many2one("res.users", "Responsible", default=lambda self: self.env.uid)
    owner_id = Many2one("res.partner", "Assign Owner")
    is_locked = Boolean("Is Locked", default=True)
    has_deadline_issue = Boolean("Is late", compute="_compute_has_deadline_issue")
    package_ids = Many2many("stock.quant.package", "Packages", compute="_compute_package_ids")
    # stock_delivery
    carrier_id = Many2one("delivery.carrier", "Carrier")
    carrier_price = Float("Shipping Cost")
    carrier_tracking_ref = Char("Tracking Reference")
    carrier_tracking_url = Char("Tracking URL", compute="_compute_carrier_tracking_url")
    delivery_type = Char("Delivery Type", related="carrier_id.delivery_type")
    weight = Float("Weight")
    shipping_weight = Float("Weight for Shipping", compute="_compute_shipping_weight")
    weight_bulk = Float("Bulk Weight", compute="_compute_weight_bulk")
    # sale_stock / purchase_stock
    sale_id = Many2one("sale.order", "Sales Order")
    purchase_id = Many2one("purchase.order", "Purchase Orders")
    #: the picking this one returns (set by ``stock.return.picking``)
    return_id = Many2one("stock.picking", "Return of")
    return_ids = One2many("stock.picking", "return_id", "Returns")

    def _compute_has_deadline_issue(self) -> bool:
        return bool(self.date_deadline and self.scheduled_date and self.date_deadline < self.scheduled_date)

    def _compute_package_ids(self) -> list[int]:
        return sorted({ml.result_package_id.id for ml in self.move_line_ids if ml.result_package_id})

    def _compute_carrier_tracking_url(self) -> Any:
        return False

    def _compute_weight_bulk(self) -> float:
        return sum(
            ml.quantity * (ml.product_id.weight or 0.0)
            for ml in self.move_line_ids
            if not ml.result_package_id
        )

    def _compute_shipping_weight(self) -> float:
        packages = self.package_ids
        return (
            sum(p.shipping_weight or p.with_context(picking_id=self.id).weight for p in packages)
            + self._compute_weight_bulk()
        )

    def create(self, vals_list: Any) -> Any:
        vals_list = [vals_list] if isinstance(vals_list, dict) else list(vals_list)
        prepared = []
        for vals in vals_list:
            vals = dict(vals)
            ptype_id = vals.get("picking_type_id") or self.env.context.get("default_picking_type_id")
            if ptype_id:
                ptype = self.env["stock.picking.type"].browse(int(ptype_id))
                vals.setdefault("location_id", ptype.default_location_src_id.id)
                vals.setdefault("location_dest_id", ptype.default_location_dest_id.id)
                if vals.get("name", "/") in ("/", False, None) and ptype.sequence_id:
                    vals["name"] = ptype.sequence_id._next()
            prepared.append(vals)
        pickings = super().create(prepared)
        pickings._update_weight()
        return pickings

    def write(self, vals: dict[str, Any]) -> bool:
        if "scheduled_date" in vals:
            for picking in self:
                if picking.state in CLOSED_STATES:
                    raise UserError("You cannot change the Scheduled Date on a done or cancelled transfer.")
        result = super().write(vals)
        if "scheduled_date" in vals:
            self.move_ids.filtered(lambda m: m.state not in CLOSED_STATES).write(
                {"date": vals["scheduled_date"]}
            )
        if "move_ids" in vals or "move_ids_without_package" in vals:
            self._update_weight()
            self._autoconfirm()
        return result

    def unlink(self) -> bool:
        for picking in self.exists():
            picking.move_ids._action_cancel()
            picking.move_ids.unlink()
        return super().unlink()

    def _update_weight(self) -> None:
        for picking in self:
            weight = sum(m.product_uom_qty * (m.product_id.weight or 0.0) for m in picking.move_ids)
            picking._write_if_changed({"weight": weight})

    def _autoconfirm(self) -> None:
        for picking in self:
            if picking.state not in ("draft", "done", "cancel"):
                drafts = picking.move_ids.filtered(lambda m: m.state == "draft")
                if drafts:
                    drafts._action_confirm()
                    drafts._action_assign()
                    picking._recompute_state()

    def _recompute_state(self) -> None:
        for picking in self:
            states = [m.state for m in picking.move_ids]
            if not states or "draft" in states:
                state = "draft"
            elif all(s == "cancel" for s in states):
                state = "cancel"
            elif all(s in CLOSED_STATES for s in states):
                state = "done"
            else:
                open_states = [s for s in states if s not in CLOSED_STATES]
                if picking.move_type == "one":
                    state = "assigned" if all(s == "assigned" for s in open_states) else "confirmed"
                elif any(s in ("assigned", "partially_available") for s in open_states):
                    state = "assigned"
                elif all(s == "waiting" for s in open_states):
                    state = "waiting"
                else:
                    state = "confirmed"
            picking._write_if_changed({"state": state})

    # actions -----------------------------------------------------------------------------------
    @exposed
    def action_confirm(self) -> bool:
        for picking in self:
            moves = picking.move_ids.filtered(lambda m: m.state == "draft")
            moves._action_confirm()
            if picking.picking_type_id.reservation_method == "at_confirm":
                moves._action_assign()
            picking._recompute_state()
        return True

    @exposed
    def action_assign(self) -> bool:
        for picking in self:
            if picking.state == "draft":
                picking.action_confirm()
            picking.move_ids.filtered(lambda m: m.state in OPEN_STATES)._action_assign()
            picking._recompute_state()
        return True

    @exposed
    def do_unreserve(self) -> bool:
        for picking in self:
            picking.move_ids.filtered(lambda m: m.state in OPEN_STATES)._do_unreserve()
            picking._recompute_state()
        return True

    @exposed
    def action_cancel(self) -> bool:
        for picking in self:
            picking.move_ids._action_cancel()
            picking._recompute_state()
        return True

    @exposed
    def button_validate(self) -> Any:
        """True when validated, or the ``stock.backorder.confirmation`` action when a backorder must be asked."""
        ctx = self.env.context
        pickings = self.exists()
        # like 17.0: a draft picking is confirmed and its unreserved moves get their demand as quantity
        for picking in pickings.filtered(lambda p: p.state == "draft"):
            picking.action_confirm()
            for move in picking.move_ids:
                if _is_zero(move.quantity) and not _is_zero(move.product_uom_qty):
                    move.write({"quantity": move.product_uom_qty})
        if not ctx.get("skip_sanity_check"):
            pickings._sanity_check()
        # _pre_action_done_hook: nothing picked but quantities reserved → everything is picked
        for picking in pickings:
            has_quantity = any(not _is_zero(m.quantity) for m in picking.move_ids)
            has_pick = any(m.picked for m in picking.move_ids)
            if has_quantity and not has_pick:
                picking.move_ids.write({"picked": True})
        if not ctx.get("skip_backorder"):
            to_ask = pickings.filtered(
                lambda p: p.picking_type_id.create_backorder == "ask" and p._needs_backorder()
            )
            if to_ask:
                return {
                    "name": "Create Backorder?",
                    "type": "ir.actions.act_window",
                    "view_mode": "form",
                    "res_model": "stock.backorder.confirmation",
                    "views": [[False, "form"]],
                    "view_id": False,
                    "target": "new",
                    "context": {
                        **ctx,
                        "button_validate_picking_ids": ctx.get("button_validate_picking_ids") or pickings.ids,
                        "default_show_transfers": len(pickings) > 1,
                        "default_pick_ids": [[4, pid] for pid in to_ask.ids],
                    },
                }
        not_to_backorder = {p.id for p in pickings if p.picking_type_id.create_backorder == "never"}
        not_to_backorder |= {
            p.id
            for p in pickings.browse(ctx.get("picking_ids_not_to_backorder") or []).exists()
            if p.picking_type_id.create_backorder != "always"
        }
        for picking in pickings:
            picking._action_done(cancel_backorder=picking.id in not_to_backorder)
        return True

    def _sanity_check(self) -> None:
        """17.0 ``stock.picking._sanity_check``: one picking raises the precise error; several pickings are
        only checked for missing moves and lots (so a batch holding a done picking goes through)."""
        without_moves = self.filtered(lambda p: not p.move_ids and not p.move_line_ids)
        without_quantities = self.filtered(
            lambda p: all(
                _is_zero(m.quantity) for m in p.move_ids.filtered(lambda m: m.state not in CLOSED_STATES)
            )
        )
        without_lots = self.browse(())
        products: list[str] = []
        for picking in self:
            if not (picking.picking_type_id.use_create_lots or picking.picking_type_id.use_existing_lots):
                continue
            if all(move.product_id.tracking == "none" for move in picking.move_ids):
                continue
            for line in picking.move_line_ids:
                if (
                    line.product_id.tracking != "none"
                    and line.picked
                    and not _is_zero(line.quantity)
                    and not line.lot_name
                    and not line.lot_id
                ):
                    without_lots = without_lots | picking
                    if line.product_id.display_name not in products:
                        products.append(line.product_id.display_name)
        if len(self) <= 1:
            if without_moves:
                raise UserError(EMPTY_TRANSFER_MESSAGE)
            if without_quantities:
                raise UserError(NO_QUANTITY_MESSAGE)
            if without_lots:
                raise UserError(f"You need to supply a Lot/Serial number for products {', '.join(products)}.")
            return
        message = ""
        if without_moves:
            message += f"Transfers {', '.join(without_moves.mapped('name'))}: Please add some items to move."
        if without_lots:
            message += (
                f"\n\nTransfers {', '.join(without_lots.mapped('name'))}: "
                f"You need to supply a Lot/Serial number for products {', '.join(products)}."
            )
        if message:
            raise UserError(message.lstrip())

    def _needs_backorder(self) -> bool:
        for move in self.move_ids.filtered(lambda m: m.state not in CLOSED_STATES):
            done = move.quantity if move.picked else 0.0
            if done < move.product_uom_qty - QTY_EPSILON:
                return True
        return False

    def _action_done(self, cancel_backorder: bool = False) -> None:
        self.ensure_one()
        state_before = self.state
        moves = self.move_ids.filtered(lambda m: m.state not in CLOSED_STATES)
        picked = moves.filtered(lambda m: m.picked)
        leftovers = moves - picked
        updated: list[tuple[str, float, float]] = []
        for move in picked:
            remaining = move.product_uom_qty - move.quantity
            if remaining > QTY_EPSILON and not cancel_backorder:
                previous = move.product_uom_qty
                new_move = move._split(remaining)
                leftovers = leftovers | new_move
                updated.append((move.product_id.display_name, previous, move.product_uom_qty))
        if updated:  # one note per picking, in the shape of stock.exception_on_picking's rendering
            items = "".join(
                f"\n            <li>\n                {escape(name)}:\n            </li>"
                f"\n                    <li>\n                        Quantity: {old} -&gt; {new}\n"
                "                    </li>"
                for name, old, new in updated
            )
            self._message_log(
                "\n            <strong>The initial demand has been updated.</strong>\n        <ul>"
                f"{items}\n        </ul>\n        "
            )
        picked._action_done()
        if leftovers:
            if cancel_backorder:
                leftovers._action_cancel()
            else:
                self._create_backorder(leftovers)
        self.write({"date_done": self.env.now})
        self._recompute_state()
        self._send_to_shipper()
        if self.sale_id:
            self.sale_id._update_status()
        if self.purchase_id:
            self.purchase_id._update_status()
        if self.state != state_before:  # ``state`` is tracked: "Ready → Done" closes the chatter of the transfer
            self._message_track(
                [("state", self._selection_label("state", state_before), self._selection_label("state", self.state))]
            )

    def _create_backorder(self, moves: Any) -> Any:
        backorder = self.create(
            {
                "picking_type_id": self.picking_type_id.id,
                "location_id": self.location_id.id,
                "location_dest_id": self.location_dest_id.id,
                "partner_id": self.partner_id.id,
                "origin": self.origin,
                "backorder_id": self.id,
                "scheduled_date": self.scheduled_date,
                "date_deadline": self.date_deadline,
                "carrier_id": self.carrier_id.id,
                "sale_id": self.sale_id.id,
                "purchase_id": self.purchase_id.id,
                "move_type": self.move_type,
                "user_id": self.user_id.id,
            }
        )
        for move in moves:
            move.write({"picking_id": backorder.id, "picked": False})
            move.move_line_ids.write({"picking_id": backorder.id, "picked": False})
        backorder_moves = backorder.move_ids
        backorder_moves.filtered(lambda m: m.state == "draft")._action_confirm()
        backorder_moves._action_assign()
        backorder._recompute_state()
        backorder._update_weight()
        self._update_weight()
        self._message_log(
            f'<p>The backorder <a href="#" data-oe-model="stock.picking" data-oe-id="{backorder.id}">'
            f"{escape(backorder.name)}</a> has been created.</p>"
        )
        return backorder

    def _send_to_shipper(self) -> None:
        """stock_delivery side effect on validation (reference §2.6)."""
        carrier = self.carrier_id
        if (
            carrier
            and carrier.integration_level == "rate_and_ship"
            and self.picking_type_id.print_label
            and self.picking_type_code != "incoming"
            and not self.carrier_tracking_ref
        ):
            if carrier.delivery_type == "fixed":
                self.write({"carrier_price": carrier.fixed_price})
                currency = self.company_id.currency_id.name or self.env.company.currency_id.name
                self._message_log(
                    f"<p>Shipment sent to carrier {escape(carrier.name)} for shipping with tracking number "
                    f"{self.carrier_tracking_ref or False}<br>Cost: {carrier.fixed_price:.2f} {currency}</p>"
                )


class StockMove(Model):
    _name = "stock.move"
    _description = "Stock Move"
    _order = "sequence, id"

    name = Char("Description", required=True)
    sequence = Integer("Sequence", default=10)
    reference = Char("Reference", compute="_compute_reference")
    product_id = Many2one("product.product", "Product", required=True)
    description_picking = Char("Description of Picking")
    product_uom_qty = Float("Demand", default=0.0, required=True)
    product_qty = Float("Real Quantity", compute="_compute_product_qty")
    product_uom = Many2one("uom.uom", "UoM")
    quantity = Float("Quantity", inverse="_set_quantity")
    picked = Boolean("Picked", inverse="_set_picked")
    state = Selection(MOVE_STATES, "Status", default="draft", readonly=True)
    location_id = Many2one("stock.location", "Source Location", required=True)
    location_dest_id = Many2one("stock.location", "Destination Location", required=True)
    location_usage = Char(related="location_id.usage")
    location_dest_usage = Char(related="location_dest_id.usage")
    picking_id = Many2one("stock.picking", "Transfer")
    picking_type_id = Many2one("stock.picking.type", "Operation Type")
    picking_code = Char("Type of Operation", related="picking_type_id.code")
    partner_id = Many2one("res.partner", "Destination Address")
    origin = Char("Source Document")
    date = Datetime("Date Scheduled", default=lambda self: self.env.now)
    date_deadline = Datetime("Deadline")
    move_line_ids = One2many("stock.move.line", "move_id", "Move Lines")
    lot_ids = Many2many("stock.lot", "Serial Numbers", compute="_compute_lot_ids")
    is_inventory = Boolean("Inventory")
    has_tracking = Char("Product with Tracking", related="product_id.tracking")
    weight = Float("Weight", compute="_compute_weight")
    company_id = Many2one("res.company", "Company", default=1)
    warehouse_id = Many2one("stock.warehouse", "Warehouse")
    origin_returned_move_id = Many2one("stock.move", "Origin return move")
    returned_move_ids = One2many("stock.move", "origin_returned_move_id", "All returned moves")
    to_refund = Boolean("Update quantities on SO/PO")
    sale_line_id = Many2one("sale.order.line", "Sale Line")
    purchase_line_id = Many2one("purchase.order.line", "Purchase Order Line")

    def _compute_reference(self) -> Any:
        return self.picking_id.name if self.picking_id else self.name

    def _compute_display_name(self) -> str:
        """17.0: ``<origin>/<product code>: <source>><destination>`` (location names, not full paths)."""
        origin = self.picking_id.origin if self.picking_id else False
        code = self.product_id.default_code
        return "{}{}{}>{}".format(
            f"{origin}/" if origin else "",
            f"{code}: " if code else "",
            self.location_id.name or "",
            self.location_dest_id.name or "",
        )

    def _compute_product_qty(self) -> float:
        return float(self.product_uom_qty)

    def _compute_lot_ids(self) -> list[int]:
        return sorted({ml.lot_id.id for ml in self.move_line_ids if ml.lot_id})

    def _compute_weight(self) -> float:
        return float(self.product_uom_qty) * (self.product_id.weight or 0.0)

    def create(self, vals_list: Any) -> Any:
        vals_list = [vals_list] if isinstance(vals_list, dict) else list(vals_list)
        prepared = []
        for vals in vals_list:
            vals = dict(vals)
            if vals.get("product_id"):
                product = self.env["product.product"].browse(int(vals["product_id"]))
                vals.setdefault("name", product.display_name)
                vals.setdefault("product_uom", product.uom_id.id)
            if vals.get("picking_id"):
                picking = self.env["stock.picking"].browse(int(vals["picking_id"]))
                vals.setdefault("location_id", picking.location_id.id)
                vals.setdefault("location_dest_id", picking.location_dest_id.id)
                vals.setdefault("picking_type_id", picking.picking_type_id.id)
                vals.setdefault("partner_id", picking.partner_id.id)
                vals.setdefault("origin", picking.origin)
                vals.setdefault("date", picking.scheduled_date)
            if vals.get("move_line_ids"):
                vals.pop("quantity", None)
            prepared.append(vals)
        moves = super().create(prepared)
        moves._sync_quantity()
        pickings = moves.mapped("picking_id")
        pickings._update_weight()
        pickings._autoconfirm()
        return moves

    def write(self, vals: dict[str, Any]) -> bool:
        result = super().write(vals)
        if "product_uom_qty" in vals or "picking_id" in vals:
            self.mapped("picking_id")._update_weight()
            open_moves = self.filtered(lambda m: m.state in OPEN_STATES)
            open_moves._recompute_state()
        if "date_deadline" in vals:
            for picking in self.mapped("picking_id"):
                deadlines = [m.date_deadline for m in picking.move_ids if m.date_deadline]
                picking._write_if_changed({"date_deadline": min(deadlines) if deadlines else False})
        return result

    def unlink(self) -> bool:
        # 17.0 only refuses moves chained to other operations (which the emulator does not model); the
        # move lines go first, and a done line refuses (stock.move.line._unlink_except_done_or_cancel)
        moves = self.exists()
        pickings = moves.mapped("picking_id")
        moves.mapped("move_line_ids").unlink()
        result = super().unlink()
        pickings.exists()._recompute_state()
        return result

    # quantity model ----------------------------------------------------------------------------
    def _sync_quantity(self) -> None:
        """``quantity`` is a stored compute: the sum of the move lines' quantity."""
        for move in self.exists():
            total = sum(ml.quantity for ml in move.move_line_ids)
            if abs(total - (move._row().get("quantity") or 0.0)) > QTY_EPSILON:
                self.env.db.write_value(self._name, move.id, "quantity", total)
                move._touch()

    def _set_quantity(self, value: Any) -> None:
        if self.state in CLOSED_STATES:
            raise UserError("You cannot change the quantity of a done or cancelled move.")
        target = float(value or 0.0)
        current = sum(ml.quantity for ml in self.move_line_ids)
        diff = target - current
        if diff > QTY_EPSILON:
            lines = self.move_line_ids
            if lines:
                line = self.env["stock.move.line"].browse(lines.ids[0])
                line.write({"quantity": line.quantity + diff})
            else:
                self.env["stock.move.line"].create(self._prepare_move_line_vals(diff))
        elif diff < -QTY_EPSILON:
            excess = -diff
            for line in reversed(list(self.move_line_ids)):
                if excess <= QTY_EPSILON:
                    break
                take = min(line.quantity, excess)
                excess -= take
                if line.quantity - take <= QTY_EPSILON:
                    line.unlink()
                else:
                    line.write({"quantity": line.quantity - take})
        self._sync_quantity()
        self._recompute_state()

    def _set_picked(self, value: Any) -> None:
        self.env.db.write_value(self._name, self.id, "picked", bool(value))
        if self.move_line_ids:
            self.move_line_ids.with_context(skip_picked_sync=True).write({"picked": bool(value)})

    def _prepare_move_line_vals(self, quantity: float, **extra: Any) -> dict[str, Any]:
        return {
            "move_id": self.id,
            "picking_id": self.picking_id.id,
            "product_id": self.product_id.id,
            "product_uom_id": self.product_uom.id,
            "location_id": self.location_id.id,
            "location_dest_id": self.location_dest_id.id,
            "quantity": quantity,
            **extra,
        }

    def _sync_picked(self) -> None:
        """A move is picked when any of its lines is picked (17.0 ``_compute_picked``)."""
        for move in self.exists():
            if move.move_line_ids:
                picked = any(ml.picked for ml in move.move_line_ids)
                if picked != bool(move._row().get("picked")):
                    self.env.db.write_value(move._name, move.id, "picked", picked)
                    move._touch()

    def _action_confirm(self) -> Any:
        for move in self:
            if move.state == "draft":
                move.write({"state": "confirmed"})
        return self

    def _bypass_reservation(self) -> bool:
        return self.location_id._should_bypass_reservation() or self.product_id.type != "product"

    def _action_assign(self) -> None:
        quants = self.env["stock.quant"]
        for move in self:
            if move.state not in ("confirmed", "waiting", "partially_available"):
                continue
            missing = move.product_uom_qty - sum(ml.quantity for ml in move.move_line_ids)
            if missing > QTY_EPSILON:
                if move._bypass_reservation():
                    uses_lots = move.picking_type_id.use_create_lots or move.picking_type_id.use_existing_lots
                    if move.product_id.tracking == "serial" and uses_lots:
                        for _ in range(int(missing)):
                            self.env["stock.move.line"].create(move._prepare_move_line_vals(1.0))
                    else:
                        self.env["stock.move.line"].create(move._prepare_move_line_vals(missing))
                else:
                    for quant, free in quants._gather_available(move.product_id, move.location_id):
                        if missing <= QTY_EPSILON:
                            break
                        take = min(free, missing)
                        missing -= take
                        move._reserve_from_quant(quant, take)
            move._sync_quantity()
            move._recompute_state()

    def _reserve_from_quant(self, quant: Any, quantity: float) -> None:
        for line in self.move_line_ids:
            if (
                not line.picked
                and line.location_id.id == quant.location_id.id
                and line.lot_id.id == quant.lot_id.id
                and line.package_id.id == quant.package_id.id
            ):
                line.write({"quantity": line.quantity + quantity})
                return
        self.env["stock.move.line"].create(
            self._prepare_move_line_vals(
                quantity,
                location_id=quant.location_id.id,
                lot_id=quant.lot_id.id,
                package_id=quant.package_id.id,
            )
        )

    def _recompute_state(self) -> None:
        for move in self:
            if move.state in CLOSED_STATES or move.state == "draft":
                continue
            quantity = sum(ml.quantity for ml in move.move_line_ids)
            if quantity >= move.product_uom_qty - QTY_EPSILON and not _is_zero(move.product_uom_qty):
                state = "assigned"
            elif quantity > QTY_EPSILON:
                state = "partially_available"
            else:
                state = "confirmed"
            move._write_if_changed({"state": state})
        self.mapped("picking_id")._recompute_state()

    def _do_unreserve(self) -> None:
        for move in self:
            move.move_line_ids.filtered(lambda ml: not ml.picked).unlink()
            move._sync_quantity()
        self._recompute_state()

    def _action_cancel(self) -> None:
        for move in self:
            if move.state == "done":
                continue
            move.move_line_ids.unlink()
            move.write({"state": "cancel", "picked": False})
            self.env.db.write_value(self._name, move.id, "quantity", 0.0)
        self.mapped("picking_id")._recompute_state()

    def _check_lots_before_done(self) -> None:
        """17.0 ``stock.move.line._action_done``: a picked, tracked line with a quantity and neither a lot
        nor a lot name is refused (a lot name is fine when the operation type creates lots)."""
        missing: list[str] = []
        for move in self.filtered(lambda m: m.state not in CLOSED_STATES):
            if move.product_id.tracking == "none":
                continue
            ptype = move.picking_type_id
            for line in move.move_line_ids:
                if move.picked and not line.picked:
                    continue  # unpicked lines of a picked move are dropped, not validated
                if _is_zero(line.quantity) or line.product_id.tracking == "none" or line.lot_id:
                    continue
                if ptype and not (ptype.use_create_lots or ptype.use_existing_lots):
                    continue
                if ptype and ptype.use_create_lots and line.lot_name:
                    continue
                missing.append(line.product_id.display_name)
        if missing:
            raise UserError(
                "You need to supply a Lot/Serial Number for product: \n - " + "\n - ".join(missing)
            )

    def _split(self, quantity: float) -> Any:
        """Reduce the demand by ``quantity`` and return a new confirmed move for it (same picking)."""
        new_move = self.create(
            {
                "name": self.name,
                "product_id": self.product_id.id,
                "product_uom": self.product_uom.id,
                "product_uom_qty": quantity,
                "location_id": self.location_id.id,
                "location_dest_id": self.location_dest_id.id,
                "picking_type_id": self.picking_type_id.id,
                "partner_id": self.partner_id.id,
                "origin": self.origin,
                "date": self.date,
                "date_deadline": self.date_deadline,
                "sale_line_id": self.sale_line_id.id,
                "purchase_line_id": self.purchase_line_id.id,
                "warehouse_id": self.warehouse_id.id,
            }
        )
        new_move._action_confirm()
        self.write({"product_uom_qty": self.product_uom_qty - quantity})
        return new_move

    def _action_done(self) -> Any:
        quants = self.env["stock.quant"]
        lots = self.env["stock.lot"]
        self._check_lots_before_done()
        for move in self:
            if move.state in CLOSED_STATES:
                continue
            if move.picked:
                move.move_line_ids.filtered(lambda ml: not ml.picked).unlink()
            for line in move.move_line_ids:
                if _is_zero(line.quantity):
                    line.unlink()
                    continue
                if not line.lot_id and line.lot_name and line.product_id.tracking != "none":
                    existing = lots.search(
                        [("name", "=", line.lot_name), ("product_id", "=", line.product_id.id)]
                    )
                    lot_id = (
                        existing.ids[0]
                        if existing
                        else lots.create({"name": line.lot_name, "product_id": line.product_id.id}).id
                    )
                    line.write({"lot_id": lot_id})
                line._release_reservation()
                lot_id = line.lot_id.id or 0
                quants._update_quantity(
                    line.product_id, line.location_id, -line.quantity, lot_id, line.package_id.id or 0
                )
                quants._update_quantity(
                    line.product_id,
                    line.location_dest_id,
                    line.quantity,
                    lot_id,
                    line.result_package_id.id or 0,
                )
                if line.result_package_id:
                    line.result_package_id.write({"location_id": line.location_dest_id.id})
                line.write({"date": self.env.now})
            move._sync_quantity()
            move.write({"state": "done", "date": self.env.now, "picked": True})
        return self


class StockMoveLine(Model):
    _name = "stock.move.line"
    _description = "Product Moves (Stock Move Line)"
    _order = "result_package_id desc, id"
    _rec_name = "reference"

    move_id = Many2one("stock.move", "Stock Operation", ondelete="cascade")
    picking_id = Many2one("stock.picking", "Transfer")
    product_id = Many2one("product.product", "Product", ondelete="cascade")
    product_uom_id = Many2one("uom.uom", "Unit of Measure")
    location_id = Many2one("stock.location", "From", required=True)
    location_dest_id = Many2one("stock.location", "To", required=True)
    quantity = Float("Quantity")
    quantity_product_uom = Float("Quantity in Product UoM", compute="_compute_quantity_product_uom")
    picked = Boolean("Picked")
    lot_id = Many2one("stock.lot", "Lot/Serial Number")
    lot_name = Char("Lot/Serial Number Name")
    package_id = Many2one("stock.quant.package", "Source Package", ondelete="restrict")
    result_package_id = Many2one("stock.quant.package", "Destination Package", ondelete="restrict")
    owner_id = Many2one("res.partner", "From Owner")
    date = Datetime("Date", default=lambda self: self.env.now)
    state = Selection(MOVE_STATES, "Status", related="move_id.state")
    reference = Char("Reference", compute="_compute_reference")
    tracking = Char("Tracking", related="product_id.tracking")
    carrier_id = Many2one("delivery.carrier", "Carrier", related="picking_id.carrier_id")
    picking_code = Char("Type of Operation", related="picking_id.picking_type_id.code")
    company_id = Many2one("res.company", "Company", default=1)

    def _compute_quantity_product_uom(self) -> float:
        return float(self.quantity)

    def _compute_reference(self) -> Any:
        return self.move_id.reference or self.picking_id.name or False

    def _is_reserving(self) -> bool:
        move = self.move_id
        if move and move.state in CLOSED_STATES:
            return False
        return self.product_id.type == "product" and self.location_id.usage in QUANT_USAGES

    def _reserve(self, sign: float) -> None:
        for line in self:
            if line._is_reserving() and not _is_zero(line.quantity):
                self.env["stock.quant"]._update_quantity(
                    line.product_id,
                    line.location_id,
                    sign * line.quantity,
                    line.lot_id.id or 0,
                    line.package_id.id or 0,
                    reserved=True,
                )

    def _release_reservation(self) -> None:
        self._reserve(-1.0)

    def create(self, vals_list: Any) -> Any:
        vals_list = [vals_list] if isinstance(vals_list, dict) else list(vals_list)
        prepared = []
        for vals in vals_list:
            vals = dict(vals)
            if vals.get("move_id"):
                move = self.env["stock.move"].browse(int(vals["move_id"]))
                vals.setdefault("picking_id", move.picking_id.id)
                vals.setdefault("product_id", move.product_id.id)
                vals.setdefault("product_uom_id", move.product_uom.id)
                vals.setdefault("location_id", move.location_id.id)
                vals.setdefault("location_dest_id", move.location_dest_id.id)
            elif vals.get("picking_id"):
                picking = self.env["stock.picking"].browse(int(vals["picking_id"]))
                vals.setdefault("location_id", picking.location_id.id)
                vals.setdefault("location_dest_id", picking.location_dest_id.id)
            prepared.append(vals)
        lines = super().create(prepared)
        for line in lines:
            if not line.move_id and line.picking_id and line.product_id:
                picking = line.picking_id
                move = self.env["stock.move"].create(
                    {
                        "picking_id": picking.id,
                        "product_id": line.product_id.id,
                        "product_uom_qty": line.quantity,
                        "location_id": line.location_id.id,
                        "location_dest_id": line.location_dest_id.id,
                        "state": "draft" if picking.state == "draft" else "confirmed",
                    }
                )
                self.env.db.write_value(self._name, line.id, "move_id", move.id)
        lines._reserve(1.0)
        moves = lines.mapped("move_id")
        moves._sync_quantity()
        moves._sync_picked()
        moves._recompute_state()
        return lines

    def write(self, vals: dict[str, Any]) -> bool:
        reservation_keys = {"quantity", "location_id", "lot_id", "package_id", "product_id"}
        touches = bool(reservation_keys & set(vals))
        if touches:
            self._release_reservation()
        result = super().write(vals)
        if touches:
            self._reserve(1.0)
        moves = self.mapped("move_id")
        if "quantity" in vals:
            moves._sync_quantity()
            moves.filtered(lambda m: m.state in OPEN_STATES)._recompute_state()
        if "picked" in vals and not self.env.context.get("skip_picked_sync"):
            moves._sync_picked()
        return result

    def unlink(self) -> bool:
        lines = self.exists()
        if any(line.state in CLOSED_STATES for line in lines):
            raise UserError(
                "You can not delete product moves if the picking is done. You can only correct the done quantities."
            )
        moves = lines.mapped("move_id")
        lines._release_reservation()
        result = super().unlink()
        moves = moves.exists()
        moves._sync_quantity()
        moves.filtered(lambda m: m.state in OPEN_STATES)._recompute_state()
        return result


class StockBackorderConfirmation(Model):
    _name = "stock.backorder.confirmation"
    _description = "Backorder Confirmation"
    _transient = True

    pick_ids = Many2many("stock.picking", "Pickings")
    show_transfers = Boolean("Show Transfers")
    backorder_confirmation_line_ids = One2many(
        "stock.backorder.confirmation.line", "backorder_confirmation_id", "Backorder Confirmation Lines"
    )

    @model_method
    def create(self, vals_list: Any) -> Any:
        """Like 17.0 ``default_get``: one ``to_backorder`` line per picking of ``pick_ids``."""
        records = super().create(vals_list)
        for wizard in records:
            if not wizard.backorder_confirmation_line_ids and wizard.pick_ids:
                wizard.write(
                    {
                        "backorder_confirmation_line_ids": [
                            (0, 0, {"to_backorder": True, "picking_id": pid}) for pid in wizard.pick_ids.ids
                        ]
                    }
                )
        return records

    @exposed
    def process(self) -> Any:
        """Validate ``button_validate_picking_ids`` from the context; backorders for the lines marked
        ``to_backorder``, none for the others."""
        not_to_do = [
            line.picking_id.id for line in self.backorder_confirmation_line_ids if not line.to_backorder
        ]
        pickings = self.env["stock.picking"].browse(self.env.context.get("button_validate_picking_ids") or [])
        if pickings:
            ctx: dict[str, Any] = {"skip_backorder": True}
            if not_to_do:
                ctx["picking_ids_not_to_backorder"] = not_to_do
            return pickings.with_context(**ctx).button_validate()
        return True

    @exposed
    def process_cancel_backorder(self) -> Any:
        """Validate without backorders: the remaining quantities are cancelled."""
        pickings = self.env["stock.picking"].browse(self.env.context.get("button_validate_picking_ids") or [])
        if pickings:
            return pickings.with_context(
                skip_backorder=True, picking_ids_not_to_backorder=self.pick_ids.ids
            ).button_validate()
        return True


class StockBackorderConfirmationLine(Model):
    _name = "stock.backorder.confirmation.line"
    _description = "Backorder Confirmation Line"
    _transient = True

    backorder_confirmation_id = Many2one("stock.backorder.confirmation", "Immediate Transfer")
    picking_id = Many2one("stock.picking", "Transfer")
    to_backorder = Boolean("To Backorder")


class StockTrackConfirmation(Model):
    _name = "stock.track.confirmation"
    _description = "Stock Track Confirmation"
    _transient = True

    quant_ids = Many2many("stock.quant", "Quants")
    product_ids = Many2many("product.product", "Products")

    @exposed
    def action_confirm(self) -> Any:
        """Apply the adjustment although the product is tracked and the quant has no lot."""
        return self.quant_ids.with_context(skip_track_check=True).action_apply_inventory()


class StockReturnPicking(Model):
    """The 17.0 return wizard (``stock/wizard/stock_picking_return.py``): created with the done picking
    (``picking_id``, or ``active_id``/``active_model`` in the context), it gets one line per returnable move with
    the quantity not yet returned; ``create_returns`` copies the picking as a return (the type's return type or
    the same, ``origin`` "Return of …", ``return_id``), one move per non-zero line, then confirms and reserves it
    and answers the act_window of the new picking."""

    _name = "stock.return.picking"
    _description = "Return Picking"
    _transient = True

    picking_id = Many2one("stock.picking", "Picking")
    product_return_moves = One2many("stock.return.picking.line", "wizard_id", "Moves")
    move_dest_exists = Boolean("Chained Move Exists")
    original_location_id = Many2one("stock.location", "Original Location")
    parent_location_id = Many2one("stock.location", "Parent Location")
    location_id = Many2one("stock.location", "Return Location")

    @model_method
    def create(self, vals_list: Any) -> Any:
        vals_list = [vals_list] if isinstance(vals_list, dict) else list(vals_list)
        ctx = self.env.context
        prepared = []
        for vals in vals_list:
            vals = dict(vals)
            if not vals.get("picking_id") and ctx.get("active_model") == "stock.picking" and ctx.get("active_id"):
                if len(ctx.get("active_ids") or []) > 1:
                    raise UserError("You may only return one picking at a time.")
                vals["picking_id"] = ctx["active_id"]
            prepared.append(vals)
        records = super().create(prepared)
        for wizard in records:
            wizard._compute_moves_locations(keep_lines="product_return_moves" in prepared[0])
        return records

    def _compute_moves_locations(self, keep_lines: bool = False) -> None:
        picking = self.picking_id
        if not picking:
            return
        if picking.state != "done":
            raise UserError("You may only return Done pickings.")
        lines = []
        for move in picking.move_ids:
            if move.state == "cancel":
                continue
            quantity = float(move.quantity)
            for returned in move.returned_move_ids:
                if returned.state != "cancel":
                    quantity -= float(returned.quantity)
            lines.append((0, 0, {"product_id": move.product_id.id, "quantity": round(max(quantity, 0.0), 2),
                                 "move_id": move.id, "uom_id": move.product_id.uom_id.id, "to_refund": True}))
        if not lines:
            raise UserError(
                "No products to return (only lines in Done state and not fully returned yet can be returned)."
            )
        vals: dict[str, Any] = {
            "original_location_id": picking.location_id.id,
            "parent_location_id": picking.picking_type_id.warehouse_id.view_location_id.id
            or picking.location_id.location_id.id,
            "location_id": self.location_id.id or picking.location_id.id,
        }
        if not keep_lines:
            vals["product_return_moves"] = [(5, 0, 0), *lines]
        self.write(vals)

    def _return_type(self) -> Any:
        """The picking type of the return: a delivery's return is the warehouse's receipt type (17.0's
        ``return_picking_type_id``, set to the receipt type for deliveries by the warehouse setup)."""
        ptype = self.picking_id.picking_type_id
        if ptype.code == "outgoing" and ptype.warehouse_id.in_type_id:
            return ptype.warehouse_id.in_type_id
        if ptype.code == "incoming" and ptype.warehouse_id.out_type_id:
            return ptype.warehouse_id.out_type_id
        return ptype

    @exposed
    def create_returns(self) -> Any:
        new_id = 0
        ptype_id = 0
        for wizard in self:
            new_id, ptype_id = wizard._create_returns()
        ctx = dict(self.env.context)
        ctx.update({"default_partner_id": self.picking_id.partner_id.id, "search_default_picking_type_id": ptype_id,
                    "search_default_draft": False, "search_default_assigned": False,
                    "search_default_confirmed": False, "search_default_ready": False,
                    "search_default_planning_issues": False, "search_default_available": False})
        return {"name": "Returned Picking", "view_mode": "form,tree,calendar", "res_model": "stock.picking",
                "res_id": new_id, "type": "ir.actions.act_window", "context": ctx}

    def _create_returns(self) -> tuple[int, int]:
        picking = self.picking_id
        for line in self.product_return_moves:
            if not line.move_id:
                raise UserError("You have manually created product lines, please delete them to proceed.")
        ptype = self._return_type()
        new = self.env["stock.picking"].create({
            "picking_type_id": ptype.id, "location_id": picking.location_dest_id.id,
            "location_dest_id": self.location_id.id or picking.location_id.id, "partner_id": picking.partner_id.id,
            "origin": f"Return of {picking.name}", "return_id": picking.id, "sale_id": picking.sale_id.id,
            "purchase_id": picking.purchase_id.id, "carrier_id": picking.carrier_id.id,
            "move_type": picking.move_type, "company_id": picking.company_id.id,
        })
        new._message_log(
            f'<p>This transfer has been created from <a href="#" data-oe-model="stock.picking" '
            f'data-oe-id="{picking.id}">{escape(picking.name)}</a>.</p>'
        )
        moves = self.env["stock.move"]
        returned = 0
        for line in self.product_return_moves:
            if _is_zero(float(line.quantity)):
                continue
            returned += 1
            original = line.move_id
            moves = moves | moves.create({
                "name": original.name, "product_id": line.product_id.id, "product_uom_qty": float(line.quantity),
                "product_uom": line.product_id.uom_id.id, "picking_id": new.id, "date": self.env.now,
                "location_id": original.location_dest_id.id,
                "location_dest_id": self.location_id.id or original.location_id.id,
                "picking_type_id": ptype.id, "warehouse_id": picking.picking_type_id.warehouse_id.id,
                "origin_returned_move_id": original.id, "to_refund": bool(line.to_refund),
                "sale_line_id": original.sale_line_id.id, "purchase_line_id": original.purchase_line_id.id,
                "partner_id": new.partner_id.id if ptype.code == "outgoing" else False,
                "origin": original.origin, "company_id": original.company_id.id,
            })
        if not returned:
            new.unlink()
            raise UserError("Please specify at least one non-zero quantity.")
        new.action_confirm()
        new.action_assign()
        return new.id, ptype.id


class StockReturnPickingLine(Model):
    _name = "stock.return.picking.line"
    _description = "Product Return Moves"
    _transient = True

    product_id = Many2one("product.product", "Product", required=True)
    quantity = Float("Quantity", required=True)
    uom_id = Many2one("uom.uom", "Unit of Measure")
    wizard_id = Many2one("stock.return.picking", "Wizard")
    move_id = Many2one("stock.move", "Move")
    to_refund = Boolean("Update quantities on SO/PO", default=True)
