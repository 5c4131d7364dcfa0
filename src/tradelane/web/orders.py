"""Order submission from the customer portal: what a customer may order and the checks an order passes
before it becomes a ``tradelane.order.created.v1`` event.

The hub knows products and customers from the master data Odoo publishes (``product.upserted``,
``party.upserted``). An order is accepted only when the customer's account is known (a party with the
``customer`` role), every SKU is a known product, every unit is the product's unit or one of its packaging
units, and every quantity is positive. The ship-to address is the account's, never typed in. The event is
then validated against the catalog's payload model like any API event and submitted through ingest (routes
deliver it to Odoo); a refused order writes nothing and names every bad field.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from tradelane.core.envelope import CloudEvent
from tradelane.core.errors import FieldProblem, ValidationFailed
from tradelane.core.units import UnknownUnitError, normalize_unit
from tradelane.ingest.validate import validate_event
from tradelane.web.business import scan_type

__all__ = ["MAX_LINES", "Catalog", "OrderForm", "build_order", "catalog"]

#: most lines one portal order may have
MAX_LINES = 10
#: largest quantity of one line
MAX_QUANTITY = Decimal(1_000_000)
#: longest customer reference (their PO number)
MAX_REF = 60
ORDER_CREATED = "tradelane.order.created.v1"


@dataclass(frozen=True)
class Product:
    sku: str
    name: str
    #: canonical unit codes the product may be ordered in
    units: tuple[str, ...]


@dataclass
class Catalog:
    """The products and the customer's account, as the hub knows them."""

    products: dict[str, Product] = field(default_factory=dict)
    #: the customer's party (latest ``party.upserted``), ``None`` when unknown
    account: dict[str, Any] | None = None
    truncated: bool = False


def _units(product: dict[str, Any]) -> tuple[str, ...]:
    out: list[str] = []
    candidates = [product.get("uom")]
    for p in product.get("packaging") or ():
        if isinstance(p, dict):
            candidates += [p.get("contains_unit"), p.get("unit")]
    for c in candidates:
        if isinstance(c, str):
            try:
                code = normalize_unit(c)
            except UnknownUnitError:
                continue
            if code not in out:
                out.append(code)
    return tuple(out)


async def catalog(hub: Any, party: str) -> Catalog:
    """The products (latest ``product.upserted`` per SKU) and the account of ``party``."""
    cut: list[str] = []
    cat = Catalog()
    for ev in await scan_type(hub, "tradelane.product.upserted.v1", cut):
        data = ev.event.data if isinstance(ev.event.data, dict) else {}
        prod = data.get("product")
        if isinstance(prod, dict) and isinstance(prod.get("sku"), str):
            cat.products[prod["sku"]] = Product(prod["sku"], str(prod.get("name") or prod["sku"]), _units(prod))
    for ev in await scan_type(hub, "tradelane.party.upserted.v1", cut):
        data = ev.event.data if isinstance(ev.event.data, dict) else {}
        p = data.get("party")
        if data.get("party_id") == party and isinstance(p, dict):
            cat.account = p
    cat.truncated = bool(cut)
    return cat


@dataclass
class OrderForm:
    """What the customer typed, kept to show the form again."""

    customer_ref: str = ""
    requested_by: str = ""
    lines: list[dict[str, str]] = field(default_factory=list)


def build_order(hub: Any, cat: Catalog, party: str, form: OrderForm, now: datetime | None = None) -> CloudEvent:
    """The validated ``order.created`` event of ``form``.

    :raises ValidationFailed: naming every bad field (``customer``, ``lines[1].sku``, ``lines[0].quantity`` …)
    """
    now = now or datetime.now(UTC)
    problems: list[FieldProblem] = []
    account = cat.account
    if account is None or "customer" not in (account.get("roles") or ()):
        problems.append(FieldProblem("customer", f"your customer account ({party}) is not known to the hub yet",
                                     "unknown_customer"))
    if len(form.customer_ref) > MAX_REF:
        problems.append(FieldProblem("customer_ref", f"at most {MAX_REF} characters", "too_long"))
    requested: datetime | None = None
    if form.requested_by:
        try:
            requested = datetime.fromisoformat(form.requested_by)
        except ValueError:
            problems.append(FieldProblem("requested_by", "not a date-time", "invalid"))
        else:
            requested = requested.replace(tzinfo=UTC) if requested.tzinfo is None else requested.astimezone(UTC)
            if requested <= now:
                problems.append(FieldProblem("requested_by", "must be in the future", "invalid"))
    lines: list[dict[str, Any]] = []
    filled = [ln for ln in form.lines if any(v.strip() for v in ln.values())]
    if not filled:
        problems.append(FieldProblem("lines", "order at least one product", "missing"))
    if len(filled) > MAX_LINES:
        problems.append(FieldProblem("lines", f"at most {MAX_LINES} lines", "too_many"))
    for i, ln in enumerate(filled[:MAX_LINES]):
        sku, qty_text, unit_text = ln.get("sku", "").strip(), ln.get("quantity", "").strip(), ln.get("unit", "").strip()
        product = cat.products.get(sku)
        if product is None:
            problems.append(FieldProblem(f"lines[{i}].sku", f"unknown product {sku!r}" if sku else "required",
                                         "unknown_product"))
        try:
            qty = Decimal(qty_text)
            if not qty.is_finite() or qty <= 0 or qty > MAX_QUANTITY:
                raise InvalidOperation
        except InvalidOperation:
            problems.append(FieldProblem(f"lines[{i}].quantity", f"a number above 0 and at most {MAX_QUANTITY}",
                                         "invalid"))
            qty = Decimal(0)
        unit = ""
        try:
            unit = normalize_unit(unit_text) if unit_text else (product.units[0] if product and product.units else "")
        except UnknownUnitError:
            problems.append(FieldProblem(f"lines[{i}].unit", f"unknown unit {unit_text!r}", "unknown_unit"))
        if product is not None and unit and unit not in product.units:
            problems.append(FieldProblem(f"lines[{i}].unit", f"{product.sku} is sold in {', '.join(product.units)}",
                                         "unit_not_sold"))
        if product is not None and unit and qty > 0:
            line: dict[str, Any] = {"line_id": str(i + 1), "product": {"sku": product.sku, "name": product.name},
                                    "quantity": {"value": str(qty), "unit": unit}}
            if requested is not None:
                line["requested_at"] = requested.isoformat()
            lines.append(line)
    if problems:
        raise ValidationFailed(problems, "The order cannot be accepted")
    assert account is not None
    token = secrets.token_hex(4).upper()
    order_id = f"ord_web_{now:%Y%m%d}_{token.lower()}"
    order: dict[str, Any] = {
        "order_id": order_id, "number": f"WEB-{now:%Y%m%d}-{token}", "kind": "sales", "status": "draft",
        "party_id": party, "ordered_at": now.isoformat(), "lines": lines,
    }
    if form.customer_ref:
        order["customer_ref"] = form.customer_ref
    if isinstance(account.get("address"), dict):
        order["ship_to"] = account["address"]
    doc = {
        "specversion": "1.0", "id": order_id, "source": f"urn:tradelane:{hub.settings.instance_name}:portal",
        "type": ORDER_CREATED, "time": now.isoformat(), "datacontenttype": "application/json",
        "data": {"order_id": order_id, "order": order},
    }
    return validate_event(doc, hub.registry)
