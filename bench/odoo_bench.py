"""Benchmark: RPC calls per business event and wall-time speed-up of the batched Odoo operations.

Starts an Odoo emulator, creates 1,000 confirmed sale orders, then

* batched: reads 500 order releases (orders + lines + pickings + moves) and applies 500 ship confirmations
  (register quantities + validate + tracking number) with ``read_order_releases`` / ``ship_confirm_many``;
* naive: the same work for the other 500 orders with one call per record and step.

Prints JSON lines (``odoo.rpc_per_event``, ``odoo.speedup_vs_naive``, and the raw counts). Targets:
``rpc_per_event`` ≤ 1.2 and ``speedup`` ≥ 10. Run: ``.venv/bin/python bench/odoo_bench.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from typing import Any

from tradelane.connectors.odoo import (
    OdooClient,
    OdooSettings,
    PartnerData,
    PickLine,
    ProductData,
    ShipConfirmation,
    StockCount,
    apply_inventory_counts,
    read_order_releases,
    read_warehouses,
    ship_confirm_many,
    upsert_partners,
    upsert_products,
)
from tradelane.testing.odoo import OdooEmulator

#: orders per side of the comparison (the brief's batch size)
ORDERS = 500
#: distinct products the orders draw from
PRODUCTS = 20
#: stock per product, enough for every order of both runs
STOCK_PER_PRODUCT = 100_000.0
#: targets from the brief
TARGET_RPC_PER_EVENT = 1.2
TARGET_SPEEDUP = 10.0


async def _seed(odoo: OdooClient, orders: int) -> list[str]:
    skus = [f"BENCH-SKU-{i:03d}" for i in range(PRODUCTS)]
    await upsert_products(odoo, [ProductData(s, f"Bench {s}", list_price=10.0, weight=1.0) for s in skus])
    loc = (await read_warehouses(odoo))[0].stock_location_id
    await apply_inventory_counts(odoo, "BENCH-INIT", [StockCount(s, loc, STOCK_PER_PRODUCT) for s in skus])
    [partner] = await upsert_partners(odoo, [PartnerData("BENCH-CUST", "Bench Customer")])
    rows = await odoo.search_read("product.product", [("default_code", "in", skus)], ["default_code"])
    pid = {r["default_code"]: r["id"] for r in rows}
    vals = [
        {
            "partner_id": partner.id,
            "client_order_ref": f"BENCH-PO-{i}",
            "order_line": [
                (0, 0, {"product_id": pid[skus[i % PRODUCTS]], "product_uom_qty": 2.0}),
                (0, 0, {"product_id": pid[skus[(i + 7) % PRODUCTS]], "product_uom_qty": 1.0}),
            ],
        }
        for i in range(orders)
    ]
    ids = await odoo.create("sale.order", vals)
    await odoo.call("sale.order", "action_confirm", ids)
    return [str(r["name"]) for r in await odoo.read("sale.order", ids, ["name"])]


async def _batched(odoo: OdooClient, names: list[str]) -> int:
    releases = await read_order_releases(odoo, order_refs=names, limit=len(names))
    confirmations = []
    for rel in releases:
        for picking in rel.pickings:
            lines = tuple(PickLine(m.product_ref or "", m.demand) for m in picking.moves)
            confirmations.append(
                ShipConfirmation(
                    picking.name, lines, f"evt-{picking.name}", tracking_ref=f"TRK-{picking.picking_id}"
                )
            )
    results = await ship_confirm_many(odoo, confirmations)
    bad = [r for r in results if r.error or r.state != "done"]
    if bad:
        raise SystemExit(f"batched run failed: {bad[:3]}")
    return len(releases) + len(confirmations)


async def _naive(odoo: OdooClient, names: list[str]) -> int:
    """One call per record and step: what an integration without batching does."""
    events = 0
    pickings: list[dict[str, Any]] = []
    for name in names:  # order release: order, lines, pickings, moves — one record at a time
        [order] = await odoo.search_read("sale.order", [("name", "=", name)], ["order_line", "picking_ids"])
        for line_id in order["order_line"]:
            await odoo.read("sale.order.line", [line_id], ["product_id", "product_uom_qty"])
        for pick_id in order["picking_ids"]:
            [pick] = await odoo.read("stock.picking", [pick_id], ["name", "move_ids"])
            for move_id in pick["move_ids"]:
                await odoo.read("stock.move", [move_id], ["product_id", "product_uom_qty"])
            pickings.append(pick)
        events += 1
    for pick in pickings:  # ship confirmation: lines one by one, validate, tracking number
        lines = await odoo.search_read("stock.move.line", [("picking_id", "=", pick["id"])], ["quantity"])
        for line in lines:
            await odoo.write("stock.move.line", [line["id"]], {"quantity": line["quantity"], "picked": True})
        await odoo.call("stock.picking", "button_validate", [pick["id"]])
        await odoo.write("stock.picking", [pick["id"]], {"carrier_tracking_ref": f"TRK-{pick['id']}"})
        events += 1
    return events


async def main(orders: int) -> None:
    emu = OdooEmulator(host="127.0.0.1", port=0, version="17.0", db="tradelane", fault_drop_ratio=0.0, seed=0)
    emu.start()
    try:
        settings = OdooSettings(url=emu.url, db=emu.db, user=emu.login, password=emu.password)
        async with OdooClient(settings) as odoo:
            names = await _seed(odoo, 2 * orders)
            emu.reset_counters()
            start = time.perf_counter()
            events = await _batched(odoo, names[:orders])
            batched_s = time.perf_counter() - start
            batched_rpc = emu.rpc_count

            emu.reset_counters()
            start = time.perf_counter()
            naive_events = await _naive(odoo, names[orders:])
            naive_s = time.perf_counter() - start
            naive_rpc = emu.rpc_count
    finally:
        emu.stop()
    rpc_per_event = batched_rpc / events
    common = {"events": events, "orders": orders, "emulator_version": "17.0"}
    print(
        json.dumps(
            {
                "bench": "odoo.rpc_per_event",
                "value": round(rpc_per_event, 4),
                "unit": "rpc/event",
                "target": TARGET_RPC_PER_EVENT,
                "rpc": batched_rpc,
                "ok": rpc_per_event <= TARGET_RPC_PER_EVENT,
                **common,
            }
        )
    )
    print(
        json.dumps(
            {
                "bench": "odoo.naive_rpc_per_event",
                "value": round(naive_rpc / naive_events, 4),
                "unit": "rpc/event",
                "rpc": naive_rpc,
                **common,
            }
        )
    )
    speedup = naive_s / batched_s if batched_s else float("inf")
    print(
        json.dumps(
            {
                "bench": "odoo.speedup_vs_naive",
                "value": round(speedup, 2),
                "unit": "x",
                "target": TARGET_SPEEDUP,
                "batched_s": round(batched_s, 3),
                "naive_s": round(naive_s, 3),
                "ok": speedup >= TARGET_SPEEDUP,
                **common,
            }
        )
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=ORDERS, help="orders per side (default %(default)s)")
    asyncio.run(main(parser.parse_args().orders))
