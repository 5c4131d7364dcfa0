"""An ``odoo`` endpoint as a route destination: events posted to the hub are applied to Odoo (the emulator on
loopback) by the delivery engine — shipped → delivery order validated, a refused event → dead-lettered with
Odoo's reason, and the same confirmation sent again changes nothing in Odoo."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tradelane.bootstrap import build_hub
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
from tradelane.core.envelope import CloudEvent
from tradelane.core.errors import ConfigError
from tradelane.ports.delivery import DeliveryFilter
from tradelane.testing.delivery import delivery_settings
from tradelane.testing.odoo import OdooEmulator


async def _order_with_picking(odoo: OdooClient, sku: str) -> tuple[str, str]:
    await upsert_products(odoo, [ProductData(sku, f"{sku} widget", list_price=50.0, invoice_policy="delivery")])
    loc = (await read_warehouses(odoo))[0].stock_location_id
    await apply_inventory_counts(odoo, f"INIT-{sku}", [StockCount(sku, loc, 50.0)])
    [partner] = await upsert_partners(odoo, [PartnerData(f"C-{sku}", "Cafe Central", city="Koeln")])
    product_id = int((await odoo.search("product.product", [("default_code", "=", sku)]))[0])
    [so] = await odoo.create(
        "sale.order",
        [{"partner_id": partner.id, "order_line": [(0, 0, {"product_id": product_id, "product_uom_qty": 5.0})]}],
    )
    await odoo.call("sale.order", "action_confirm", [so])
    order = (await odoo.read("sale.order", [so], ["name"]))[0]["name"]
    picking = (await odoo.search_read("stock.picking", [("origin", "=", order)], ["name"]))[0]["name"]
    return str(order), str(picking)


def _shipped(n: int, picking: str, sku: str, qty: str, order: str = "SO-NONE") -> CloudEvent:
    return CloudEvent(
        id=f"wms-ship-{n}",
        source="urn:test:wms",
        type="tradelane.shipment.shipped.v1",
        partitionkey=picking,
        data={
            "shipment_id": f"shp_{n}",
            "shipped_at": "2026-11-16T15:32:00Z",
            "shipment": {
                "shipment_id": f"shp_{n}",
                "reference": picking,
                "order_refs": [order],
                "tracking_number": f"TRK-{n}",
                "lines": [{"line_id": "1", "product": {"sku": sku}, "quantity": {"value": qty, "unit": "EA"}}],
            },
        },
    )


async def _terminal(hub, n: int) -> dict[str, int]:  # type: ignore[no-untyped-def]
    for _ in range(600):
        stats = (await hub.store.delivery_stats())["by_status"]
        if sum(stats.values()) >= n and not stats.get("pending"):
            return dict(stats)
        await asyncio.sleep(0.05)
    raise AssertionError(f"deliveries not terminal: {stats}")


async def test_shipped_events_are_applied_to_odoo_through_the_delivery_engine(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    emu = OdooEmulator(host="127.0.0.1", port=0, version="17.0", db="tradelane", fault_drop_ratio=0.0, seed=1)
    emu.start()
    try:
        for k, v in {"URL": emu.url, "DB": emu.db, "USER": emu.login, "PASSWORD": emu.password}.items():
            monkeypatch.setenv(f"TRADELANE_ODOO_{k}", v)
        odoo = await OdooClient(OdooSettings()).connect()
        try:
            order, picking = await _order_with_picking(odoo, "SKU-ODOO-DEST")
            settings = delivery_settings(
                tmp_path, db_url,
                {"odoo": {"kind": "odoo", "odoo": {"backorder": False, "invoice_on": "shipment"}}},
                [{"name": "shipped-to-odoo", "events": ["tradelane.shipment.shipped.v1"], "destination": "odoo",
                  "ordered": True, "retry": {"schedule": [1.0], "jitter": 0}}],
            )
            hub = build_hub(settings)
            await hub.start()
            try:
                events = [_shipped(1, picking, "SKU-ODOO-DEST", "3", order), _shipped(2, "WH/OUT/NOPE", "X", "1")]
                await hub.ingest.submit("acme", events, batch=True)
                assert await _terminal(hub, 2) == {"done": 1, "dead": 1}
                row = (await odoo.search_read("stock.picking", [("name", "=", picking)],
                                              ["state", "carrier_tracking_ref"]))[0]
                assert row["state"] == "done" and row["carrier_tracking_ref"] == "TRK-1"
                invoices = await odoo.search_read("account.move", [("invoice_origin", "=", order)], ["state"])
                assert [i["state"] for i in invoices] == ["posted"]
                [dead], _ = await hub.store.list_deliveries(DeliveryFilter(status="dead"), 5)
                assert "WH/OUT/NOPE" in (dead.last_error or "")
                # the WMS sends the same confirmation again under a new message id: applied as a no-op
                await hub.ingest.submit("acme", [_shipped(3, picking, "SKU-ODOO-DEST", "3", order)], batch=True)
                assert await _terminal(hub, 3) == {"done": 2, "dead": 1}
                again = await odoo.search_read("account.move", [("invoice_origin", "=", order)], ["state"])
                assert len(again) == 1
                assert await odoo.search("stock.picking", [("backorder_id", "!=", False)]) == []
            finally:
                await hub.stop()
        finally:
            await odoo.close()
    finally:
        emu.stop()


def test_an_odoo_endpoint_without_a_connection_is_a_config_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for k in ("URL", "DB", "USER", "PASSWORD"):
        monkeypatch.delenv(f"TRADELANE_ODOO_{k}", raising=False)
    settings = delivery_settings(
        tmp_path, f"sqlite:///{tmp_path / 'x.db'}", {"odoo": {"kind": "odoo"}},
        [{"name": "to-odoo", "events": ["*"], "destination": "odoo"}],
    )
    with pytest.raises(ConfigError) as exc:
        build_hub(settings)
    assert exc.value.key is not None and exc.value.key.startswith("TRADELANE_ODOO_")
