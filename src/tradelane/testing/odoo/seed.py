"""Demo-like master data of a fresh Odoo 17 database with sale_management, stock, stock_delivery, purchase
and account: company, OdooBot (uid 1) and admin (uid 2), warehouse ``WH`` with its locations, operation types
and sequences, UoMs, customers, vendors, carriers, storable products (some lot- or serial-tracked) with
stock applied through inventory adjustments, accounts and journals, chatter subtypes and activity types.

Tests must not rely on the ids; they look records up by external id, name or code.
"""

from __future__ import annotations

from typing import Any

from .models import MODEL_CLASSES
from .orm import SUPERUSER_ID, Database, Env, Registry

#: Login and password of the administrator.
ADMIN_LOGIN = "admin"
ADMIN_PASSWORD = "admin"

_registry: Registry | None = None


def registry() -> Registry:
    """The model registry, built once per process (it finalises the model classes)."""
    global _registry
    if _registry is None:
        _registry = Registry(MODEL_CLASSES)
    return _registry


def _xmlid(env: Env, xmlid: str, record: Any) -> Any:
    module, _, name = xmlid.partition(".")
    env["ir.model.data"].create({"module": module, "name": name, "model": record._name, "res_id": record.id})
    return record


def build_database(name: str) -> Database:
    db = Database(registry(), name)
    env = Env(db, SUPERUSER_ID, {"tracking_disable": True})
    _seed_base(env)
    _seed_products_and_stock(env)
    _seed_accounting(env)
    _seed_partners(env)
    _seed_stock_levels(env)
    return db


def _seed_base(env: Env) -> None:
    for model, cls in env.db.registry.models.items():
        env["ir.model"].create(
            {"model": model, "name": cls._description or model, "transient": cls._transient}
        )
    _xmlid(env, "base.EUR", env["res.currency"].create({"name": "EUR", "symbol": "€"}))
    usd = _xmlid(env, "base.USD", env["res.currency"].create({"name": "USD", "symbol": "$"}))
    countries = {}
    for code, label in (("BE", "Belgium"), ("NL", "Netherlands"), ("DE", "Germany"), ("FR", "France"),
                        ("GB", "United Kingdom"), ("US", "United States")):  # fmt: skip
        countries[code] = _xmlid(
            env, f"base.{code.lower()}", env["res.country"].create({"name": label, "code": code})
        )
    company_partner = env["res.partner"].create(
        {"name": "My Company (San Francisco)", "is_company": True, "street": "250 Executive Park Blvd", "city": "Antwerp",
         "zip": "2000", "country_id": countries["BE"].id, "email": "info@yourcompany.example.com"}
    )  # fmt: skip
    _xmlid(env, "base.main_partner", company_partner)
    bot_partner = _xmlid(
        env, "base.partner_root", env["res.partner"].create({"name": "OdooBot", "active": False})
    )
    admin_partner = _xmlid(
        env,
        "base.partner_admin",
        env["res.partner"].create(
            {
                "name": "Mitchell Admin",
                "email": "admin@yourcompany.example.com",
                "company_name": "YourCompany",  # no parent in the demo: the name alone reads "YourCompany, …"
                "tz": "Europe/Brussels",
            }
        ),  # fmt: skip
    )
    company = env["res.company"].create(
        {
            "name": "My Company (San Francisco)",
            "partner_id": company_partner.id,
            "currency_id": usd.id,  # the 17.0 demo company works in USD
            "country_id": countries["BE"].id,
        }
    )
    _xmlid(env, "base.main_company", company)
    # the demo's default taxes (generic chart): "15%" on sales and purchases, price excluded
    sale_tax = _xmlid(env, "account.1_sale_tax_template", env["account.tax"].create(
        {"name": "15%", "amount": 15.0, "amount_type": "percent", "type_tax_use": "sale", "description": "15%"}
    ))  # fmt: skip
    purchase_tax = _xmlid(env, "account.1_purchase_tax_template", env["account.tax"].create(
        {"name": "15%", "amount": 15.0, "amount_type": "percent", "type_tax_use": "purchase", "description": "15%"}
    ))  # fmt: skip
    company.write({"account_sale_tax_id": sale_tax.id, "account_purchase_tax_id": purchase_tax.id})
    company_partner.write({"company_id": company.id})
    _xmlid(env, "base.user_root", env["res.users"].create(
        {"login": "__system__", "partner_id": bot_partner.id, "active": False, "company_id": company.id}
    ))  # fmt: skip
    _xmlid(env, "base.user_admin", env["res.users"].create(
        {"login": ADMIN_LOGIN, "partner_id": admin_partner.id, "company_id": company.id}
    ))  # fmt: skip
    for xmlid, label, internal in (("mail.mt_comment", "Discussions", False), ("mail.mt_note", "Note", True),
                                   ("mail.mt_activities", "Activities", True),
                                   ("sale.mt_order_confirmed", "Sales Order Confirmed", False),
                                   ("purchase.mt_rfq_confirmed", "RFQ Confirmed", False),
                                   ("account.mt_invoice_validated", "Validated", False)):  # fmt: skip
        _xmlid(env, xmlid, env["mail.message.subtype"].create({"name": label, "internal": internal}))
    for xmlid, label, active in (
        ("mail.mail_activity_data_email", "Email", True),
        ("mail.mail_activity_data_call", "Call", True),
        ("mail.mail_activity_data_meeting", "Meeting", True),
        ("mail.mail_activity_data_todo", "To-Do", True),
        ("mail.mail_activity_data_upload_document", "Upload Document", True),
        ("mail.mail_activity_data_warning", "Exception", False),
        ("sale.mail_act_sale_upsell", "Order Upsell", True),
    ):
        _xmlid(env, xmlid, env["mail.activity.type"].create({"name": label, "active": active}))
    sequences = (
        ("sale.order", "Sales Order", "S", 5),
        ("purchase.order", "Purchase Order", "P", 5),
        ("stock.quant.package", "Packages", "PACK", 7),
        ("stock.lot.serial", "Serial Numbers", "", 7),
    )
    for code, label, prefix, padding in sequences:
        env["ir.sequence"].create({"name": label, "code": code, "prefix": prefix, "padding": padding})


def _seed_products_and_stock(env: Env) -> None:
    units_cat = _xmlid(env, "uom.product_uom_categ_unit", env["uom.category"].create({"name": "Unit"}))
    weight_cat = _xmlid(env, "uom.product_uom_categ_kgm", env["uom.category"].create({"name": "Weight"}))
    volume_cat = _xmlid(env, "uom.product_uom_categ_vol", env["uom.category"].create({"name": "Volume"}))
    length_cat = _xmlid(
        env, "uom.uom_categ_length", env["uom.category"].create({"name": "Length / Distance"})
    )
    uoms = (
        ("uom.product_uom_unit", "Units", units_cat, 1.0, "reference"),
        ("uom.product_uom_dozen", "Dozens", units_cat, 1 / 12, "bigger"),
        ("uom.product_uom_kgm", "kg", weight_cat, 1.0, "reference"),
        ("uom.product_uom_gram", "g", weight_cat, 1000.0, "smaller"),
        ("uom.product_uom_lb", "lb", weight_cat, 2.20462, "smaller"),
        ("uom.product_uom_litre", "L", volume_cat, 1.0, "reference"),
        ("uom.product_uom_meter", "m", length_cat, 1.0, "reference"),
    )
    for xmlid, label, category, factor, uom_type in uoms:
        _xmlid(env, xmlid, env["uom.uom"].create(
            {"name": label, "category_id": category.id, "factor": factor, "uom_type": uom_type}
        ))  # fmt: skip
    all_categ = _xmlid(env, "product.product_category_all", env["product.category"].create({"name": "All"}))
    _xmlid(
        env,
        "product.product_category_1",
        env["product.category"].create({"name": "Saleable", "parent_id": all_categ.id}),
    )
    _xmlid(env, "delivery.product_category_deliveries", env["product.category"].create(
        {"name": "Deliveries", "parent_id": all_categ.id}
    ))  # fmt: skip

    loc = env["stock.location"]
    physical = _xmlid(
        env, "stock.stock_location_locations", loc.create({"name": "Physical Locations", "usage": "view"})
    )
    partners = _xmlid(
        env, "stock.stock_location_locations_partner", loc.create({"name": "Partners", "usage": "view"})
    )
    virtual = _xmlid(
        env,
        "stock.stock_location_locations_virtual",
        loc.create({"name": "Virtual Locations", "usage": "view"}),
    )
    suppliers = _xmlid(env, "stock.stock_location_suppliers", loc.create(
        {"name": "Vendors", "usage": "supplier", "location_id": partners.id}
    ))  # fmt: skip
    customers = _xmlid(env, "stock.stock_location_customers", loc.create(
        {"name": "Customers", "usage": "customer", "location_id": partners.id}
    ))  # fmt: skip
    _xmlid(env, "stock.stock_location_inventory", loc.create(
        {"name": "Inventory adjustment", "usage": "inventory", "location_id": virtual.id}
    ))  # fmt: skip
    _xmlid(env, "stock.location_production", loc.create(
        {"name": "Production", "usage": "production", "location_id": virtual.id}
    ))  # fmt: skip
    _xmlid(env, "stock.stock_location_scrapped", loc.create(
        {"name": "Scrap", "usage": "inventory", "location_id": virtual.id, "scrap_location": True}
    ))  # fmt: skip
    view = loc.create({"name": "WH", "usage": "view", "location_id": physical.id})
    stock = _xmlid(env, "stock.stock_location_stock", loc.create({"name": "Stock", "location_id": view.id}))
    _xmlid(env, "stock.stock_location_components", loc.create({"name": "Shelf 1", "location_id": stock.id}))
    _xmlid(env, "stock.stock_location_14", loc.create({"name": "Shelf 2", "location_id": stock.id}))
    wh_input = loc.create({"name": "Input", "location_id": view.id, "active": False})
    wh_output = loc.create({"name": "Output", "location_id": view.id, "active": False})
    wh_pack = loc.create({"name": "Packing Zone", "location_id": view.id, "active": False})
    warehouse = _xmlid(env, "stock.warehouse0", env["stock.warehouse"].create(
        {"name": "YourCompany", "code": "WH", "view_location_id": view.id, "lot_stock_id": stock.id,
         "wh_input_stock_loc_id": wh_input.id, "wh_output_stock_loc_id": wh_output.id,
         "wh_pack_stock_loc_id": wh_pack.id, "partner_id": env.ref("base.main_partner").id}
    ))  # fmt: skip
    types = {}
    for xmlid, label, code, prefix, src, dest, extra in (
        ("stock.picking_type_in", "Receipts", "incoming", "IN", suppliers, stock,
         {"sequence": 1, "use_existing_lots": False}),
        ("stock.picking_type_out", "Delivery Orders", "outgoing", "OUT", stock, customers,
         {"sequence": 5, "print_label": True, "use_create_lots": False}),
        ("stock.picking_type_internal", "Internal Transfers", "internal", "INT", stock, stock,
         {"sequence": 2, "use_create_lots": False}),
    ):  # fmt: skip
        sequence = env["ir.sequence"].create(
            {"name": f"WH {label} Sequence", "code": f"stock.{code}", "prefix": f"WH/{prefix}/", "padding": 5}
        )
        types[code] = _xmlid(env, xmlid, env["stock.picking.type"].create(
            {"name": label, "code": code, "sequence_code": prefix, "sequence_id": sequence.id,
             "warehouse_id": warehouse.id, "default_location_src_id": src.id,
             "default_location_dest_id": dest.id, **extra}
        ))  # fmt: skip
    warehouse.write(
        {
            "in_type_id": types["incoming"].id,
            "out_type_id": types["outgoing"].id,
            "int_type_id": types["internal"].id,
        }
    )


def _seed_accounting(env: Env) -> None:
    accounts = {}
    for code, label, account_type in (
        ("121000", "Account Receivable", "asset_receivable"),
        ("211000", "Account Payable", "liability_payable"),
        ("400000", "Product Sales", "income"),
        ("600000", "Expenses", "expense"),
        ("443000", "Cash Discount Loss", "expense"),
        ("101401", "Bank", "asset_cash"),
    ):
        accounts[code] = env["account.account"].create(
            {"name": label, "code": code, "account_type": account_type}
        )
    for label, code, journal_type, account in (
        ("Customer Invoices", "INV", "sale", "400000"),
        ("Vendor Bills", "BILL", "purchase", "600000"),
        ("Miscellaneous Operations", "MISC", "general", None),
        ("Bank", "BNK1", "bank", "101401"),
    ):
        env["account.journal"].create(
            {"name": label, "code": code, "type": journal_type,
             "default_account_id": accounts[account].id if account else False}
        )  # fmt: skip


def _seed_partners(env: Env) -> None:
    partner = env["res.partner"]
    be, nl, de, us = (env.ref(f"base.{c}").id for c in ("be", "nl", "de", "us"))
    customers = (
        ("Azure Interior", "4557 De Silva St", "Fremont", "94538", us, "azure.Interior24@example.com"),
        ("Deco Addict", "77 Santa Barbara Rd", "Pleasant Hill", "94523", us, "deco_addict@example.com"),
        ("Gemini Furniture", "317 Fairchild Dr", "Fairfield", "94535", us, "gemini_furniture@example.com"),
        ("Ready Mat", "7500 W Linne Road", "Tracy", "95304", us, "ready.mat28@example.com"),
        ("Lumber Inc", "Keizersgracht 12", "Amsterdam", "1015", nl, "lumber-inv92@example.com"),
    )
    for name, street, city, zip_code, country, email in customers:
        company = partner.create({"name": name, "is_company": True, "street": street, "city": city, "zip": zip_code,
                                  "country_id": country, "email": email, "customer_rank": 1})  # fmt: skip
        partner.create(
            {"name": f"{name.split()[0]} Buyer", "parent_id": company.id, "email": f"buyer.{email}"}
        )
    vendors = (
        ("Wood Corner", "1839 Arbor Way", "Turlock", "95380", us, "wood.corner26@example.com"),
        ("Ready Supplies NV", "Havenlaan 86", "Antwerp", "2000", be, "supplies@example.com"),
        ("Rhein Components GmbH", "Rheinallee 4", "Duisburg", "47051", de, "components@example.com"),
    )
    for name, street, city, zip_code, country, email in vendors:
        partner.create({"name": name, "is_company": True, "street": street, "city": city, "zip": zip_code,
                        "country_id": country, "email": email, "supplier_rank": 1})  # fmt: skip
    for name, xmlid, price, free_over, code, carrier_partner in DEMO_CARRIERS:
        partner.create({"name": carrier_partner, "is_company": True, "supplier_rank": 1, "country_id": be})
        product = env["product.product"].create(
            {"name": name, "detailed_type": "service", "list_price": 0.0, "invoice_policy": "order",
             "categ_id": env.ref("delivery.product_category_deliveries").id, "default_code": code}
        )  # fmt: skip
        _xmlid(env, xmlid, env["delivery.carrier"].create(
            {"name": name, "delivery_type": "fixed", "fixed_price": price, "product_id": product.id,
             "integration_level": "rate_and_ship", "free_over": free_over is not None,
             "amount": free_over or 1000.0}
        ))  # fmt: skip


#: The carriers of Odoo 17's stock_delivery demo data, as a real database has them: (name, xmlid, fixed price,
#: free over this order amount, product default_code, carrier partner). "The Poste" is ``base_on_rule`` (weight
#: rules) in Odoo; the emulator rates it at its fixed price.
DEMO_CARRIERS = (
    ("Standard delivery", "delivery.free_delivery_carrier", 0.0, None, "Delivery_007", "DHL Parcel BE"),
    ("The Poste", "delivery.delivery_carrier", 20.0, None, "Delivery_009", "Post Logistics Express"),
    ("Local Delivery", "delivery.delivery_local_delivery", 5.0, 50.0, "Delivery_010", "Local Courier BV"),
)


#: (code, name, tracking, weight kg, list price, cost, on hand in WH/Stock, invoice policy)
DEMO_PRODUCTS = (
    ("TL-1001", "Pallet Widget", "none", 2.5, 50.0, 20.0, 120.0, "delivery"),
    ("TL-1002", "Steel Bracket", "none", 0.4, 9.5, 3.0, 400.0, "delivery"),
    ("TL-1003", "Cable Drum", "lot", 35.0, 210.0, 120.0, 0.0, "delivery"),
    ("TL-1004", "Cold Chain Kit", "lot", 4.2, 75.0, 30.0, 0.0, "delivery"),
    ("TL-1005", "Handheld Scanner", "serial", 0.6, 399.0, 180.0, 0.0, "order"),
    ("TL-1006", "Stretch Film Roll", "none", 2.0, 14.0, 6.0, 250.0, "order"),
    ("TL-1007", "Corner Protector", "none", 0.1, 0.8, 0.2, 5000.0, "order"),
    ("TL-1008", "Euro Pallet", "none", 25.0, 18.0, 9.0, 60.0, "delivery"),
    ("TL-1009", "Label Printer", "none", 3.1, 289.0, 140.0, 8.0, "delivery"),
    ("TL-1010", "Dock Leveller Plate", "none", 80.0, 1450.0, 900.0, 2.0, "delivery"),
)
#: Lots created with stock for the tracked demo products: (code, lot name, quantity).
DEMO_LOTS = (
    ("TL-1003", "LOT-CD-0001", 6.0),
    ("TL-1003", "LOT-CD-0002", 4.0),
    ("TL-1004", "LOT-CC-2026-11", 40.0),
    ("TL-1005", "SN-HS-000001", 1.0),
    ("TL-1005", "SN-HS-000002", 1.0),
    ("TL-1005", "SN-HS-000003", 1.0),
)


def _seed_stock_levels(env: Env) -> None:
    stock = env.ref("stock.stock_location_stock")
    products = {}
    for code, name, tracking, weight, price, cost, on_hand, policy in DEMO_PRODUCTS:
        product = env["product.product"].create(
            {"name": name, "default_code": code, "barcode": f"5400000{code[-4:]}0", "detailed_type": "product",
             "tracking": tracking, "weight": weight, "list_price": price, "standard_price": cost,
             "invoice_policy": policy, "categ_id": env.ref("product.product_category_1").id}
        )  # fmt: skip
        products[code] = product
        if on_hand:
            env["stock.quant"].with_context(inventory_mode=True).create(
                {"product_id": product.id, "location_id": stock.id, "inventory_quantity": on_hand}
            )
    for code, lot_name, quantity in DEMO_LOTS:
        lot = env["stock.lot"].create({"name": lot_name, "product_id": products[code].id})
        env["stock.quant"].with_context(inventory_mode=True).create(
            {
                "product_id": products[code].id,
                "location_id": stock.id,
                "lot_id": lot.id,
                "inventory_quantity": quantity,
            }
        )
    quants = env["stock.quant"].search([("inventory_quantity_set", "=", True)])
    quants.with_context(inventory_name="Demo stock").action_apply_inventory()
