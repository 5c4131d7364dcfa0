"""Carriers (``delivery.carrier``) and the ``choose.delivery.carrier`` wizard of stock_delivery:
``update_price`` returns an action dict, ``button_confirm`` adds the shipping line and returns None."""

from __future__ import annotations

from typing import Any

from ..exceptions import UserError
from ..orm import Boolean, Char, Float, Many2many, Many2one, Model, Selection, Text, exposed


class DeliveryCarrier(Model):
    _name = "delivery.carrier"
    _description = "Shipping Methods"
    _order = "sequence, id"

    name = Char("Delivery Method", required=True)
    sequence = Selection([("10", "10")], default="10")
    active = Boolean("Active", default=True)
    delivery_type = Selection([("fixed", "Fixed Price"), ("base_on_rule", "Based on Rules")], "Provider",
                              default="fixed", required=True)  # fmt: skip
    integration_level = Selection(
        [("rate", "Get Rate"), ("rate_and_ship", "Get Rate and Create Shipment")],
        "Integration Level",
        default="rate_and_ship",
    )
    product_id = Many2one("product.product", "Delivery Product", required=True, ondelete="restrict")
    #: 17.0 (``delivery``): the delivery product's sales price, written through to it (compute + inverse)
    fixed_price = Float("Fixed Price", compute="_compute_fixed_price", inverse="_set_product_fixed_price")
    invoice_policy = Selection([("estimated", "Estimated cost"), ("real", "Real cost")], default="estimated")
    margin = Float("Margin")
    fixed_margin = Float("Fixed Margin")
    free_over = Boolean("Free if order amount is above")
    amount = Float("Amount")
    country_ids = Many2many("res.country", "Countries")
    carrier_description = Text("Carrier Description")
    return_label_on_delivery = Boolean("Generate Return Label")
    shipping_insurance = Float("Insurance Percentage")
    company_id = Many2one("res.company", "Company")

    def _compute_fixed_price(self) -> float:
        return float(self.product_id.list_price or 0.0)

    def _set_product_fixed_price(self, value: Any) -> None:
        self.product_id.write({"list_price": float(value or 0.0)})

    def _rate(self, order: Any) -> float:
        if self.delivery_type != "fixed":
            return 0.0
        price = float(self.fixed_price)
        if self.free_over and order.amount_untaxed >= float(self.amount):
            return 0.0
        return price * (1 + float(self.margin or 0.0) / 100) + float(self.fixed_margin or 0.0)


class ChooseDeliveryCarrier(Model):
    _name = "choose.delivery.carrier"
    _description = "Delivery Method Selection Wizard"
    _transient = True

    order_id = Many2one("sale.order", "Order", required=True, ondelete="cascade")
    partner_id = Many2one("res.partner", "Customer", related="order_id.partner_id")
    carrier_id = Many2one("delivery.carrier", "Shipping Method", required=True)
    delivery_type = Char(related="carrier_id.delivery_type")
    delivery_price = Float("Cost")
    display_price = Float("Price")
    delivery_message = Text("Information")
    total_weight = Float("Total Order Weight", compute="_compute_total_weight")

    def _compute_total_weight(self) -> float:
        return sum(
            line.product_uom_qty * (line.product_id.weight or 0.0) for line in self.order_id.order_line
        )

    @exposed
    def update_price(self) -> dict[str, Any]:
        price = self.carrier_id._rate(self.order_id)
        self.write({"delivery_price": price, "display_price": price})
        return {
            "name": "Add a shipping method",
            "type": "ir.actions.act_window",
            "view_mode": "form",
            "res_model": "choose.delivery.carrier",
            "res_id": self.id,
            "target": "new",
        }

    @exposed
    def button_confirm(self) -> None:
        """Put the carrier and its shipping line on the order; returns None (XML-RPC marshal fault)."""
        for wizard in self:
            if wizard.order_id.state == "cancel":
                raise UserError("You cannot add a shipping method to a cancelled order.")
            wizard.order_id._add_delivery_line(wizard.carrier_id, wizard.delivery_price)
