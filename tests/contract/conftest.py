"""Contract suite fixtures: a real Odoo when ``TRADELANE_ODOO_URL`` (+ ``_DB``, ``_USER``, ``_PASSWORD``) is set,
otherwise the shipped :class:`~tradelane.testing.odoo.OdooEmulator` on loopback.

Every test creates its own records under a per-run prefix, finds warehouses, locations and products by
search (never by demo ids) and leaves the database usable.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from tradelane.connectors.odoo import (
    OdooClient,
    OdooSettings,
    PartnerData,
    ProductData,
    StockCount,
    apply_inventory_counts,
    read_warehouses,
    upsert_partners,
    upsert_products,
)
from tradelane.connectors.odoo.common import m2o_id
from tradelane.connectors.odoo.models import Tracking

#: env var that switches the suite to a real Odoo
REAL_ODOO_ENV = "TRADELANE_ODOO_URL"
#: share of state-changing calls the emulator commits and then drops, in the ambiguous-outcome tests
FAULT_DROP_RATIO = 0.3


@dataclass
class Target:
    """Where the suite runs: settings for clients, and the emulator when there is one."""

    settings: OdooSettings
    emulator: Any | None
    prefix: str
    counter: list[int] = field(default_factory=lambda: [0])

    def key(self, kind: str) -> str:
        self.counter[0] += 1
        return f"{self.prefix}-{kind}-{self.counter[0]}"


@pytest.fixture(scope="session")
def target() -> Iterator[Target]:
    prefix = f"TLC{uuid.uuid4().hex[:6].upper()}"
    if os.environ.get(REAL_ODOO_ENV):
        yield Target(OdooSettings(), None, prefix)  # fields come from TRADELANE_ODOO_* env vars
        return
    from tradelane.testing.odoo import OdooEmulator

    emu = OdooEmulator(host="127.0.0.1", port=0, version="17.0", db="tradelane", fault_drop_ratio=0.0, seed=0)
    emu.start()
    try:
        settings = OdooSettings(
            url=emu.url,
            db=emu.db,
            user=emu.login,
            password=emu.password,
            retry_wait_initial_s=0.0,
            retry_wait_max_s=0.0,
        )
        yield Target(settings, emu, prefix)
    finally:
        emu.stop()


@pytest.fixture
async def odoo(target: Target) -> AsyncIterator[OdooClient]:
    """A connected client (protocol chosen by probing)."""
    client = OdooClient(target.settings)
    await client.connect()
    try:
        yield client
    finally:
        if target.emulator is not None:
            target.emulator.set_fault_drop_ratio(0.0)
        await client.close()


@pytest.fixture
def faults(target: Target) -> Any:
    """Turn the emulator's drop-after-commit faults on (skips on a real Odoo, where we cannot inject them)."""
    if target.emulator is None:
        pytest.skip("fault injection needs the emulator")

    emulator: Any = target.emulator

    class _Faults:
        def on(self, ratio: float = FAULT_DROP_RATIO) -> None:
            emulator.set_fault_drop_ratio(ratio)

        def off(self) -> None:
            emulator.set_fault_drop_ratio(0.0)

    return _Faults()


@dataclass
class World:
    """Builds the records a contract test needs, through the connector where it can."""

    odoo: OdooClient
    target: Target

    async def stock_location(self) -> int:
        warehouses = await read_warehouses(self.odoo)
        assert warehouses, "the database has no warehouse"
        return warehouses[0].stock_location_id

    async def products(self, count: int, *, tracking: Tracking = "none", stock: float = 0.0) -> list[str]:
        skus = [self.target.key("SKU") for _ in range(count)]
        await upsert_products(
            self.odoo,
            [
                ProductData(
                    sku,
                    f"{sku} widget",
                    list_price=50.0,
                    standard_price=20.0,
                    weight=2.5,
                    tracking=tracking,
                    invoice_policy="delivery",
                )
                for sku in skus
            ],
        )
        if stock:
            loc = await self.stock_location()
            await apply_inventory_counts(
                self.odoo, self.target.key("INIT"), [StockCount(sku, loc, stock) for sku in skus]
            )
        return skus

    async def partner(self) -> tuple[str, int]:
        key = self.target.key("CUST")
        [res] = await upsert_partners(self.odoo, [PartnerData(key, f"{key} Customer", city="Antwerp")])
        return key, res.id

    async def product_id(self, sku: str) -> int:
        return int((await self.odoo.search("product.product", [("default_code", "=", sku)]))[0])

    async def sale_orders(
        self, count: int, lines: list[tuple[str, float]], carrier_id: int | None = None
    ) -> list[str]:
        """Create and confirm ``count`` sale orders with ``lines``; returns their names."""
        _key, partner_id = await self.partner()
        product_ids = {sku: await self.product_id(sku) for sku, _ in lines}
        vals = {
            "partner_id": partner_id,
            "order_line": [
                (0, 0, {"product_id": product_ids[sku], "product_uom_qty": qty}) for sku, qty in lines
            ],
        }
        if carrier_id:
            vals["carrier_id"] = carrier_id
        ids = await self.odoo.create(
            "sale.order", [{**vals, "client_order_ref": self.target.key("PO")} for _ in range(count)]
        )
        await self.odoo.call("sale.order", "action_confirm", ids)
        rows = await self.odoo.read("sale.order", ids, ["name", "state", "picking_ids"])
        assert all(r["state"] == "sale" for r in rows)
        return [str(r["name"]) for r in rows]

    async def outgoing_picking(self, order_ref: str) -> str:
        rows = await self.odoo.search_read(
            "stock.picking",
            [("origin", "=", order_ref), ("picking_type_code", "=", "outgoing")],
            ["name"],
            order="id",
        )
        return str(rows[0]["name"])

    async def purchase_order(self, lines: list[tuple[str, float]]) -> tuple[str, str]:
        """A confirmed purchase order and its receipt: (PO name, receipt picking name)."""
        _key, vendor = await self.partner()
        product_ids = {sku: await self.product_id(sku) for sku, _ in lines}
        [po] = await self.odoo.create(
            "purchase.order",
            [
                {
                    "partner_id": vendor,
                    "partner_ref": self.target.key("ASN"),
                    "order_line": [
                        (
                            0,
                            0,
                            {
                                "product_id": product_ids[sku],
                                "product_qty": qty,
                                "price_unit": 7.0,
                                "date_planned": "2026-12-01 08:00:00",
                            },
                        )
                        for sku, qty in lines
                    ],
                }
            ],
        )
        await self.odoo.call("purchase.order", "button_confirm", [po])
        row = (await self.odoo.read("purchase.order", [po], ["name", "picking_ids"]))[0]
        picks = await self.odoo.read("stock.picking", row["picking_ids"], ["name", "picking_type_code"])
        receipt = next(p["name"] for p in picks if p["picking_type_code"] == "incoming")
        return str(row["name"]), str(receipt)

    async def count(self, model: str, domain: list[Any]) -> int:
        return int(await self.odoo.execute_kw(model, "search_count", [domain]))

    async def picking(self, name: str, fields: list[str]) -> dict[str, Any]:
        rows = await self.odoo.search_read("stock.picking", [("name", "=", name)], fields)
        assert rows, f"picking {name} not found"
        return rows[0]


@pytest.fixture
def world(odoo: OdooClient, target: Target) -> World:
    return World(odoo, target)


__all__ = ["FAULT_DROP_RATIO", "Target", "World", "m2o_id"]
