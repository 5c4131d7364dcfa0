"""Benchmark: RPC calls per business event and wall-time speed-up of the batched Odoo operations.

For each round it takes 2 × ``--orders`` fresh confirmed sale orders and does the same work on both halves:

* batched: read the order releases (orders + lines + pickings + moves, with SKUs and the customer's ref) and
  apply one ship confirmation per delivery (picking name + SKU quantities → register quantities, validate,
  write the tracking number, read the result back) with ``read_order_releases`` / ``ship_confirm_many``;
* naive: the same inputs and the same outputs with one call per record and step, as an integration without
  batching does it: per order a search and one read per line, picking and move (and per product for its SKU),
  per delivery a search by name, a product look-up per SKU, one write per move line, one validation, one
  tracking-number write and one read-back.

Rounds alternate which side runs first, so a change of machine load during a round weighs on both; the
speed-up printed is the median of the rounds' (naive seconds / batched seconds). Prints JSON lines
(``odoo.rpc_per_event``, ``odoo.naive_rpc_per_event``, ``odoo.speedup_vs_naive``). Targets:
``rpc_per_event`` ≤ 1.2 and ``speedup`` ≥ 10.

Runs against the shipped emulator by default; with ``--url`` (database, user and password from
``--db``/``--user``/``--password`` or the ``TRADELANE_ODOO_*`` variables) against a real Odoo 17, where it creates its own products, customer and orders
under a fresh ``BENCH-<run>`` prefix (use a smaller ``--orders`` there: a real call costs 15–80 ms).
Run: ``.venv/bin/python bench/odoo_bench.py [--orders 500] [--rounds 3] [--url …]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
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
from tradelane.connectors.odoo.outbound import LINE_FIELDS, MOVE_FIELDS, ORDER_FIELDS, RELEASE_PICKING_FIELDS
from tradelane.connectors.odoo.transfers import PICKING_FIELDS
from tradelane.testing.odoo import OdooEmulator

#: orders per side of the comparison and round (the brief's batch size)
ORDERS = 500
#: rounds; the reported speed-up is their median
ROUNDS = 3
#: distinct products the orders draw from
PRODUCTS = 20
#: stock per product, enough for every order of every round
STOCK_PER_PRODUCT = 1_000_000.0
#: targets from the brief
TARGET_RPC_PER_EVENT = 1.2
TARGET_SPEEDUP = 10.0


class _Seeder:
    def __init__(self, odoo: OdooClient, prefix: str) -> None:
        self.odoo = odoo
        self.prefix = prefix
        self.partner_id = 0
        self.product_ids: list[int] = []

    async def master_data(self) -> None:
        skus = [f"{self.prefix}-SKU-{i:03d}" for i in range(PRODUCTS)]
        await upsert_products(
            self.odoo, [ProductData(s, f"Bench {s}", list_price=10.0, weight=1.0) for s in skus]
        )
        loc = (await read_warehouses(self.odoo))[0].stock_location_id
        await apply_inventory_counts(
            self.odoo, f"{self.prefix}-INIT", [StockCount(s, loc, STOCK_PER_PRODUCT) for s in skus]
        )
        [partner] = await upsert_partners(self.odoo, [PartnerData(f"{self.prefix}-CUST", "Bench Customer")])
        self.partner_id = partner.id
        rows = await self.odoo.search_read(
            "product.product", [("default_code", "in", skus)], ["default_code"]
        )
        pid = {r["default_code"]: int(r["id"]) for r in rows}
        self.product_ids = [pid[s] for s in skus]

    async def orders(self, count: int) -> list[str]:
        """``count`` confirmed two-line orders; returns their names."""
        p = self.product_ids
        vals = [
            {
                "partner_id": self.partner_id,
                "client_order_ref": f"{self.prefix}-PO-{uuid.uuid4().hex[:8]}",
                "order_line": [
                    (0, 0, {"product_id": p[i % PRODUCTS], "product_uom_qty": 2.0}),
                    (0, 0, {"product_id": p[(i + 7) % PRODUCTS], "product_uom_qty": 1.0}),
                ],
            }
            for i in range(count)
        ]
        ids = await self.odoo.create("sale.order", vals)
        await self.odoo.call("sale.order", "action_confirm", ids)
        return [str(r["name"]) for r in await self.odoo.read("sale.order", ids, ["name"])]


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
    if bad or len(releases) != len(names):
        raise SystemExit(f"batched run failed: {bad[:3]}")
    return len(releases) + len(confirmations)


async def _naive(odoo: OdooClient, names: list[str]) -> int:
    """The same inputs and outputs as :func:`_batched`, one call per record and step."""
    qty_field = odoo.dialect.move_qty_field
    confirmations: list[tuple[str, list[tuple[str, float]]]] = []
    releases = 0
    for name in names:  # order release: the order, its customer's ref, each line, picking and move
        [order] = await odoo.search_read("sale.order", [("name", "=", name)], [*ORDER_FIELDS, "order_line"])
        await odoo.read("res.partner", [order["partner_id"][0]], ["ref"])
        for line_id in order["order_line"]:
            [line] = await odoo.read("sale.order.line", [line_id], LINE_FIELDS)
            await odoo.read("product.product", [line["product_id"][0]], ["default_code"])
        for pick_id in order["picking_ids"]:
            [pick] = await odoo.read("stock.picking", [pick_id], [*RELEASE_PICKING_FIELDS, "move_ids"])
            if pick["picking_type_code"] != "outgoing":
                continue
            lines = []
            for move_id in pick["move_ids"]:
                [move] = await odoo.read("stock.move", [move_id], [*MOVE_FIELDS, qty_field])
                [product] = await odoo.read("product.product", [move["product_id"][0]], ["default_code"])
                lines.append((str(product["default_code"]), float(move["product_uom_qty"])))
            confirmations.append((str(pick["name"]), lines))
        releases += 1
    for picking_name, lines in confirmations:  # ship confirmation: picking name + SKU quantities in
        [pick] = await odoo.search_read("stock.picking", [("name", "=", picking_name)], PICKING_FIELDS)
        products = {}
        for sku, _qty in lines:
            [products[sku]] = await odoo.search("product.product", [("default_code", "=", sku)])
        move_lines = await odoo.search_read(
            "stock.move.line", [("picking_id", "=", pick["id"])], ["product_id", "quantity", "picked"]
        )
        wanted = {products[sku]: qty for sku, qty in lines}
        for ml in move_lines:
            await odoo.write(
                "stock.move.line", [ml["id"]], {"quantity": wanted[ml["product_id"][0]], "picked": True}
            )
        await odoo.call("stock.picking", "button_validate", [pick["id"]], context={"skip_backorder": True})
        await odoo.write("stock.picking", [pick["id"]], {"carrier_tracking_ref": f"TRK-{pick['id']}"})
        [done] = await odoo.read("stock.picking", [pick["id"]], PICKING_FIELDS)
        if done["state"] != "done":
            raise SystemExit(f"naive run failed: {done}")
    return releases + len(confirmations)


async def _timed(
    run: Callable[[OdooClient, list[str]], Awaitable[int]],
    odoo: OdooClient,
    names: list[str],
    counter: Callable[[], int],
) -> tuple[float, int, int]:
    before = counter()
    start = time.perf_counter()
    events = await run(odoo, names)
    return time.perf_counter() - start, counter() - before, events


async def _measure(
    settings: OdooSettings, orders: int, rounds: int, counter: Callable[[], int] | None
) -> dict[str, Any]:
    async with OdooClient(settings) as odoo:
        count = counter or (lambda: odoo.rpc_count)
        seeder = _Seeder(odoo, f"BENCH-{uuid.uuid4().hex[:6].upper()}")
        await seeder.master_data()
        batched_s: list[float] = []
        naive_s: list[float] = []
        batched_rpc = naive_rpc = batched_events = naive_events = 0
        for index in range(rounds):
            names = await seeder.orders(2 * orders)
            sides = [(_batched, names[:orders], batched_s), (_naive, names[orders:], naive_s)]
            for run, part, times in sides if index % 2 == 0 else sides[::-1]:
                seconds, rpc, events = await _timed(run, odoo, part, count)
                times.append(seconds)
                if run is _batched:
                    batched_rpc, batched_events = batched_rpc + rpc, batched_events + events
                else:
                    naive_rpc, naive_events = naive_rpc + rpc, naive_events + events
        version = odoo.version_info.get("server_version") or str(odoo.dialect.major)
    return {
        "batched_s": batched_s,
        "naive_s": naive_s,
        "batched_rpc": batched_rpc,
        "naive_rpc": naive_rpc,
        "batched_events": batched_events,
        "naive_events": naive_events,
        "version": version,
    }


def _report(m: dict[str, Any], orders: int, rounds: int, server: str) -> None:
    common = {"orders": orders, "rounds": rounds, "server": server, "version": m["version"]}
    rpc_per_event = m["batched_rpc"] / m["batched_events"]
    print(
        json.dumps(
            {
                "bench": "odoo.rpc_per_event",
                "value": round(rpc_per_event, 4),
                "unit": "rpc/event",
                "target": TARGET_RPC_PER_EVENT,
                "rpc": m["batched_rpc"],
                "events": m["batched_events"],
                "ok": rpc_per_event <= TARGET_RPC_PER_EVENT,
                **common,
            }
        )
    )
    print(
        json.dumps(
            {
                "bench": "odoo.naive_rpc_per_event",
                "value": round(m["naive_rpc"] / m["naive_events"], 4),
                "unit": "rpc/event",
                "rpc": m["naive_rpc"],
                "events": m["naive_events"],
                **common,
            }
        )
    )
    ratios = [n / b for n, b in zip(m["naive_s"], m["batched_s"], strict=True) if b]
    speedup = statistics.median(ratios) if ratios else float("inf")
    print(
        json.dumps(
            {
                "bench": "odoo.speedup_vs_naive",
                "value": round(speedup, 2),
                "unit": "x",
                "target": TARGET_SPEEDUP,
                "rounds_x": [round(r, 2) for r in ratios],
                "batched_s": [round(s, 3) for s in m["batched_s"]],
                "naive_s": [round(s, 3) for s in m["naive_s"]],
                "ok": speedup >= TARGET_SPEEDUP,
                **common,
            }
        )
    )


async def main(args: argparse.Namespace) -> None:
    if args.url:
        settings = OdooSettings(
            url=args.url, db=args.db, user=args.user, password=args.password, timeout_s=600.0
        )
        measured = await _measure(settings, args.orders, args.rounds, None)
        _report(measured, args.orders, args.rounds, "odoo")
        return
    emu = OdooEmulator(host="127.0.0.1", port=0, version="17.0", db="tradelane", fault_drop_ratio=0.0, seed=0)
    emu.start()
    try:
        settings = OdooSettings(url=emu.url, db=emu.db, user=emu.login, password=emu.password)
        measured = await _measure(settings, args.orders, args.rounds, lambda: emu.rpc_count)
    finally:
        emu.stop()
    _report(measured, args.orders, args.rounds, "emulator")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--orders", type=int, default=ORDERS, help="orders per side and round (default %(default)s)"
    )
    parser.add_argument(
        "--rounds", type=int, default=ROUNDS, help="rounds, median reported (default %(default)s)"
    )
    parser.add_argument(
        "--url", help="a real Odoo instead of the emulator (db/user/password default to TRADELANE_ODOO_*)"
    )
    parser.add_argument("--db", default=os.environ.get("TRADELANE_ODOO_DB", ""))
    parser.add_argument("--user", default=os.environ.get("TRADELANE_ODOO_USER", "admin"))
    parser.add_argument("--password", default=os.environ.get("TRADELANE_ODOO_PASSWORD", ""))
    asyncio.run(main(parser.parse_args()))
