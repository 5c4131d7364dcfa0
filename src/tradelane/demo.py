"""`make demo`: the hub on embedded defaults, fed by a scripted partner over real HTTP, then a summary.

What it does (this grows into a day-in-the-life as flows land):

1. starts the hub (SQLite under ``.tradelane/demo``, no broker) on loopback;
2. creates API keys for three demo partners (a WMS, a TMS and a carrier);
3. sends realistic events for a set of orders: order confirmed → released → picked → shipped → tendered →
   booked → milestones → delivered, as single POSTs and batches, with injected faults: a duplicate
   delivery of the same event, an Idempotency-Key retry, a key reused with another body, and bad events
   (unknown type, unknown unit, naive datetime, missing field);
4. prints what was accepted, deduplicated and rejected (with the field each rejection names), and one
   shipment's timeline;
5. then a day in the life through the business flows (``tradelane.flows``) against the Odoo emulator (or the
   real Odoo 17 of ``TRADELANE_ODOO_URL`` + ``_DB``/``_USER``/``_PASSWORD``, see :class:`DayPlan`) and the
   WMS, TMS and carrier simulators: 50 sale orders confirmed in Odoo are found by change capture, released to
   the WMS, shipped, tendered, booked, tracked, delivered with a POD and invoiced, 10 purchase orders go
   through the yard into Odoo (most trailers leave within the free time, two are charged detention), and 3
   customer returns come back (portal request → expected return receipt → inspected → Odoo return picking and
   posted credit note) — with injected faults (partial picks, a WMS answering 500 to some calls, every
   partner webhook sent twice, a late carrier pickup whose first milestone breaches its SLA, damaged goods at
   receiving, a crushed returned item, a carrier invoice over tolerance, one for an unknown shipment, a reused
   invoice number, a stock count difference) and the issue's example SLAs on (scoped to the flows' events);
   then the settlement batch runs through the batch scheduler (recorded like a nightly run) and the inventory
   batch runs, and the per-flow outcomes, SLA timers, the control tower's unposted freight, any partner webhook
   the hub refused for good and the open exceptions are printed.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx2
import orjson
import uvicorn
from rich.console import Console
from rich.table import Table

from tradelane.api.app import create_app
from tradelane.bootstrap import Hub, build_hub
from tradelane.core.examples import EXAMPLES
from tradelane.delivery.signing import generate_secret
from tradelane.security.keyring import create_api_key
from tradelane.settings import (
    EndpointSettings,
    FlowRuntimeSettings,
    FlowSettings,
    HookSettings,
    RouteSettings,
    Settings,
)
from tradelane.testing.flows import WMS_STOCK, FlowRig
from tradelane.testing.net import free_port
from tradelane.testing.simulators.yard import VISIT_MINUTES
from tradelane.testing.sink import WebhookSink

__all__ = ["run_demo"]

#: demo orders (each becomes one shipment with its whole event chain)
DEMO_ORDERS = 12
#: sale orders confirmed in the Odoo emulator for the day in the life
DAY_ORDERS = 50
#: sale orders of the day on a real Odoo (``TRADELANE_ODOO_URL``): one that runs with ``workers 0`` on a small
#: machine takes seconds per order; ``TRADELANE_DEMO_DAY_ORDERS`` sets either count
DAY_ORDERS_REAL_ODOO = 20
#: longest the day in the life may take before the demo reports what it has, seconds
DAY_TIMEOUT_S = 240.0
#: the same on a real Odoo
DAY_TIMEOUT_REAL_ODOO_S = 900.0
#: purchase orders received during the day (through the yard)
DAY_PURCHASES = 10
#: the late-milestone fault: the TMS's carrier reaches the pickup of this accepted tender (1 = the first) 5 h
#: late, so its first milestone breaches the "shipped → first milestone within 4 h" SLA (simulated partner time:
#: the TMS stamps its milestones with the times of its simulated journey)
DAY_LATE_TENDERS = frozenset({3})
#: the carrier and its terms in the settlement run (vendor in Odoo, tolerance)
DAY_CARRIER = {"vendor_ref": "V-RHENUS", "tolerance_pct": 2, "tolerance_abs": 5, "service_product": "FRT-ROAD"}
#: the customer returns of the day, each against one of the day's delivered and invoiced orders: (line index of
#: the order, quantity returned, the customer's reason, condition graded at receiving) per returned line; the
#: last return has a crushed item, which is not restocked and becomes an exception
DAY_RETURNS: tuple[tuple[tuple[int, int, str, str], ...], ...] = (
    ((0, 2, "no_longer_needed", "resellable"),),
    ((0, 1, "wrong_item", "new"), (1, 2, "wrong_item", "new")),
    ((0, 1, "no_longer_needed", "resellable"), (1, 1, "damaged", "damaged")),
)
#: the yard's trailers: each visit keeps its own timeline (50-100 min on site, within the 2 h free time); the
#: 4th and 9th trailers played wait 3 h for a door, so exactly these two are charged detention
DAY_YARD_LONG_VISITS = frozenset({4, 9})
#: the WMS wrote off one label printer the Odoo books still hold (the inventory run's difference)
DAY_WMS_STOCK = {**WMS_STOCK, "TL-1009": WMS_STOCK["TL-1009"] - 1}
console = Console()


@dataclass(frozen=True)
class DayPlan:
    """What the day in the life creates in Odoo, and how long it may take.

    On the emulator (a fresh database each run) ``tag`` is empty and the day is exactly the demo's fixed one. On
    a real Odoo every record the day creates is its own: customers, the vendor of the purchase orders and the
    carrier's vendor record are keyed (``res.partner.ref``) under ``tag``, a per-run prefix, and so are the
    references and event ids the hub keys its Odoo writes on (RMA numbers, carrier invoice events), so the demo
    runs again and again on the same database and reads back only its own records."""

    tag: str = ""
    orders: int = DAY_ORDERS
    timeout_s: float = DAY_TIMEOUT_S
    carrier: dict[str, Any] = field(default_factory=lambda: dict(DAY_CARRIER))

    @property
    def real(self) -> bool:
        return bool(self.tag)

    def key(self, text: str) -> str:
        """``text`` under the run's prefix (unchanged on the emulator)."""
        return f"{self.tag}-{text}" if self.tag else text

    @classmethod
    def make(cls, *, real: bool) -> DayPlan:
        """The day on the emulator, or (``real``) on a real Odoo, sized by ``TRADELANE_DEMO_DAY_ORDERS``."""
        raw = os.environ.get("TRADELANE_DEMO_DAY_ORDERS", "").strip()
        try:
            orders = int(raw) if raw else (DAY_ORDERS_REAL_ODOO if real else DAY_ORDERS)
        except ValueError:
            raise SystemExit(f"TRADELANE_DEMO_DAY_ORDERS must be a whole number of orders, got {raw!r}") from None
        if orders < 4:
            raise SystemExit(f"TRADELANE_DEMO_DAY_ORDERS must be at least 4 (the day's faults need them), got {orders}")
        if not real:
            return cls(orders=orders)
        tag = f"DEMO{uuid.uuid4().hex[:8].upper()}"
        return cls(tag=tag, orders=orders, timeout_s=DAY_TIMEOUT_REAL_ODOO_S,
                   carrier={**DAY_CARRIER, "vendor_ref": f"{tag}-{DAY_CARRIER['vendor_ref']}"})


def _odoo_label(rig: FlowRig) -> str:
    """Which Odoo the day in the life uses, for the console."""
    c = rig.odoo_connection()
    if rig.real_odoo is None:
        return f"the Odoo emulator {c['url']} (db {c['db']}, admin/admin)"
    return f"the real Odoo {c['url']} (db {c['db']}, user {c['user']})"

_CHAIN = [
    ("odoo", "tradelane.order.confirmed.v1"),
    ("odoo", "tradelane.order.released.v1"),
    ("wms", "tradelane.shipment.picked.v1"),
    ("wms", "tradelane.shipment.packed.v1"),
    ("wms", "tradelane.shipment.shipped.v1"),
    ("tms", "tradelane.shipment.tendered.v1"),
    ("tms", "tradelane.shipment.booked.v1"),
    ("carrier", "tradelane.shipment.milestone.v1"),
    ("carrier", "tradelane.shipment.delivered.v1"),
]


def _retarget(data: dict[str, Any], order_no: int) -> dict[str, Any]:
    """A copy of an example payload whose order and shipment ids point at demo order ``order_no``."""
    text = orjson.dumps(data).decode()
    for example_id, demo_id in (
        (EXAMPLES["tradelane.shipment.shipped.v1"]["shipment_id"], f"SHP-{order_no:05d}"),
        (EXAMPLES["tradelane.order.confirmed.v1"]["order_id"], f"SO{order_no:05d}"),
    ):
        text = text.replace(f'"{example_id}"', f'"{demo_id}"')
    return dict(orjson.loads(text))


def _event(source: str, etype: str, order_no: int, step: int) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": f"{source}-{order_no}-{step}",
        "source": f"/partners/demo-{source}",
        "type": etype,
        "time": f"2026-11-22T{8 + step % 12:02d}:{order_no % 60:02d}:00Z",
        "correlationid": f"order-SO{order_no:05d}",
        "data": _retarget(EXAMPLES[etype], order_no),
    }


async def _scenario(client: httpx2.AsyncClient, keys: dict[str, str]) -> dict[str, Any]:
    stats: Counter[str] = Counter()
    rejections: list[tuple[str, str, str]] = []

    async def post(partner: str, body: Any, path: str = "/v1/events", **headers: str) -> httpx2.Response:
        r = await client.post(path, json=body, headers={"Authorization": f"Bearer {keys[partner]}", **headers})
        if r.headers.get("idempotent-replayed"):
            stats["replayed"] += 1
        elif r.status_code == 201:
            stats["accepted"] += len(body) if isinstance(body, list) else 1
        elif r.status_code == 200:
            stats["duplicate"] += 1
        else:
            prob = r.json()
            field = (prob.get("errors") or [{}])[0].get("path", "")
            rejections.append((str(r.status_code), prob.get("title", ""), field))
            stats["rejected"] += 1
        return r

    for n in range(1, DEMO_ORDERS + 1):
        chain = [_event(src, et, n, i) for i, (src, et) in enumerate(_CHAIN)]
        if n % 3 == 0:  # the WMS sends its three confirmations as one batch
            await post("odoo", chain[0])
            await post("odoo", chain[1])
            await post("wms", chain[2:5], "/v1/events/batch")
            rest = chain[5:]
        else:
            rest = chain
        for ev in rest:
            partner = ev["source"].rsplit("-", 1)[1]
            await post(partner, ev, **({"Idempotency-Key": f"k-{ev['id']}"} if n % 4 == 0 else {}))

    # faults: a carrier re-sends a milestone; a TMS retries with the same Idempotency-Key; a key reused
    dup = _event("carrier", "tradelane.shipment.milestone.v1", 1, 7)
    await post("carrier", dup)
    retry = _event("tms", "tradelane.shipment.booked.v1", 4, 6)
    await post("tms", retry, **{"Idempotency-Key": f"k-{retry['id']}"})
    other = _event("tms", "tradelane.shipment.booked.v1", 5, 6)
    await post("tms", other, **{"Idempotency-Key": f"k-{retry['id']}"})
    bad_type = _event("wms", "tradelane.shipment.picked.v1", 2, 99)
    bad_type["type"] = "tradelane.shipment.teleported.v1"
    await post("wms", bad_type)
    bad_unit = _event("wms", "tradelane.shipment.picked.v1", 2, 98)
    _poison_unit(bad_unit["data"])
    await post("wms", bad_unit)
    naive = _event("carrier", "tradelane.shipment.milestone.v1", 2, 97)
    naive["time"] = "2026-11-22T10:00:00"
    await post("carrier", naive)
    missing = _event("tms", "tradelane.shipment.booked.v1", 2, 96)
    missing["data"].pop("shipment_id", None)
    await post("tms", missing)
    return {"stats": stats, "rejections": rejections}


def _poison_unit(node: Any) -> bool:
    """Replace the first unit code found in ``node`` with one nobody knows."""
    if isinstance(node, dict):
        if "unit" in node and isinstance(node["unit"], str):
            node["unit"] = "FURLONG"
            return True
        return any(_poison_unit(v) for v in node.values())
    if isinstance(node, list):
        return any(_poison_unit(v) for v in node)
    return False


async def _main(hub: Hub, port: int, exit_after: bool, sinks: dict[str, WebhookSink] | None = None,
                rig: FlowRig | None = None, plan: DayPlan | None = None) -> int:
    for sink in (sinks or {}).values():
        await sink.start()
    app = create_app(hub)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            return 1
        await asyncio.sleep(0.05)
    secret = hub.settings.resolved_secret_key()
    keys = {}
    for partner in ("odoo", "wms", "tms", "carrier"):
        keys[partner], _ = await create_api_key(hub.store, secret, name=f"demo {partner}", tenant=f"demo-{partner}")
    admin_key, _ = await create_api_key(hub.store, secret, name="demo operator", tenant=None, scopes=("admin",))
    # the portal shows a tenant's own shipments; in the demo the carrier's milestones are that tenant's
    portal_key, _ = await create_api_key(
        hub.store, secret, name="demo customer", tenant="demo-carrier", scopes=("portal",)
    )
    base = f"http://127.0.0.1:{port}"
    async with httpx2.AsyncClient(base_url=base, timeout=30) as client:
        outcome = await _scenario(client, keys)
        timeline = (
            await client.get(
                "/v1/events", params={"partitionkey": "SHP-00003", "limit": 50},
                headers={"Authorization": f"Bearer {admin_key}"},
            )
        ).json()
        ready = (await client.get("/v1/health/ready")).status_code
    _print_summary(outcome, timeline, await hub.store.count_events(), ready)
    if sinks:
        await _delivery_summary(hub, sinks)
    flow_portal_key = None
    if rig is not None:
        assert plan is not None
        await _day_in_the_life(hub, base, rig, plan)
        flow_portal_key, _ = await create_api_key(hub.store, secret, name="demo customer (flows)", tenant="hub",
                                                  scopes=("portal",))
    if exit_after:
        server.should_exit = True
        await task
        return 0
    console.print(f"\nTradelane is serving: API {base}/v1  ·  OpenAPI {base}/docs  ·  readiness {base}/v1/health/ready")
    console.print(f"Control tower {base}/ui  ·  customer portal {base}/portal")
    console.print(f"Operator key (admin, signs in to /ui): {admin_key}")
    console.print(f"Customer key (portal, signs in to /portal): {portal_key}")
    if flow_portal_key:
        console.print(f"Customer key for the day in the life's shipments (portal): {flow_portal_key}")
        assert rig is not None
        console.print(f"Odoo: {_odoo_label(rig)}", highlight=False)
    console.print("Press Ctrl-C to stop.")
    await task
    return 0


def _print_summary(outcome: dict[str, Any], timeline: dict[str, Any], stored: int, ready: int) -> None:
    stats = outcome["stats"]
    t = Table(title="Tradelane demo — ingest summary")
    t.add_column("outcome")
    t.add_column("count", justify="right")
    for k in ("accepted", "duplicate", "replayed", "rejected"):
        t.add_row(k, str(stats.get(k, 0)))
    t.add_row("events stored", str(stored))
    console.print(t)
    r = Table(title="Rejected (nothing stored for these)")
    for col in ("status", "problem", "field"):
        r.add_column(col)
    for row in outcome["rejections"]:
        r.add_row(*row)
    console.print(r)
    tl = Table(title="Timeline of shipment SHP-00003")
    for col in ("time", "type", "source"):
        tl.add_column(col)
    for ev in timeline.get("items", []):
        tl.add_row(ev.get("time", ""), ev["type"], ev["source"])
    console.print(tl)
    console.print(f"readiness: {ready}")
    console.print("DEMO SUMMARY: " + ", ".join(f"{k}={stats.get(k, 0)}" for k in ("accepted", "duplicate", "replayed", "rejected")) + f", stored={stored}")


async def _delivery_summary(hub: Hub, sinks: dict[str, WebhookSink], timeout_s: float = 60.0) -> None:
    """Wait until every delivery is terminal, then show what each partner received."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while True:
        stats = await hub.store.delivery_stats()
        if not stats["by_status"].get("pending") or loop.time() > deadline:
            break
        await asyncio.sleep(0.1)
    t = Table(title="Deliveries (transactional outbox → signed webhooks, retried on failure)")
    for col in ("destination", "delivered", "dead-lettered", "filtered", "pending", "requests", "injected 500s"):
        t.add_column(col, justify="right" if col != "destination" else "left")
    for name, sink in sinks.items():
        c = stats["by_destination"].get(name, {})
        t.add_row(name, str(c.get("done", 0)), str(c.get("dead", 0)), str(c.get("filtered", 0)),
                  str(c.get("pending", 0)), str(sink.requests), str(sink.failures_injected))
    console.print(t)
    by = stats["by_status"]
    dup = sum(s.effect_duplicates for s in sinks.values())
    bad_sig = sum(s.bad_signatures for s in sinks.values())
    console.print(
        f"DELIVERY SUMMARY: deliveries={sum(by.values())}, delivered={by.get('done', 0)}, "
        f"dead={by.get('dead', 0)}, filtered={by.get('filtered', 0)}, pending={by.get('pending', 0)}, "
        f"duplicate_effects={dup}, bad_signatures={bad_sig}",
        soft_wrap=True,
    )


def _demo_routes(settings: Settings) -> tuple[Settings, dict[str, WebhookSink]]:
    """Embedded demo partners: a WMS and a customer portal as real HTTP sinks on loopback (10 % of the WMS's
    answers are 500s, so retries show), signed per Standard Webhooks."""
    secret = generate_secret()
    os.environ["TRADELANE_DEMO_WEBHOOK_SECRET"] = secret
    sinks = {
        "demo-wms": WebhookSink(port=free_port(), fail_ratio=0.1, seed=42, secrets=(secret,)),
        "demo-portal": WebhookSink(port=free_port(), secrets=(secret,)),
    }
    endpoints = {
        name: EndpointSettings(url=sink.url, allow=["127.0.0.1"], secrets_env="TRADELANE_DEMO_WEBHOOK_SECRET")
        for name, sink in sinks.items()
    }
    update = {
        "endpoints": endpoints,
        "routes": [
            RouteSettings(name="orders-to-wms", events=["tradelane.order.*"], destination="demo-wms", ordered=True),
            RouteSettings(
                name="shipments-to-portal",
                events=["tradelane.shipment.*"],
                destination="demo-portal",
                filter="type != 'tradelane.shipment.picked.v1'",  # the portal does not show picking steps
                ordered=True,
            ),
        ],
        "delivery": settings.delivery.model_copy(update={"retry_compress": 1 / 1000, "poll_interval_s": 0.1}),
    }
    return settings.model_copy(update=update), sinks


#: (SKU, quantity) lines of the day's orders, used round-robin
_DAY_LINES = (
    (("TL-1001", 6.0), ("TL-1002", 20.0)),
    (("TL-1006", 12.0),),
    (("TL-1008", 4.0), ("TL-1001", 2.0)),
    (("TL-1002", 8.0), ("TL-1006", 5.0)),
)


async def _day_customers(odoo: Any, plan: DayPlan) -> list[int]:
    """The day's five customers: the emulator's first ones; on a real Odoo the run's own (found or created)."""
    if not plan.real:
        return list(await odoo.search("res.partner", [("customer_rank", ">", 0)], order="id", limit=5))
    from tradelane.connectors.odoo import PartnerData, upsert_partners

    rows = await upsert_partners(odoo, [PartnerData(plan.key(f"CUST-{k}"), f"{plan.tag} Customer {k}",
                                                    city="Rotterdam") for k in range(1, 6)])
    return [int(r.id) for r in rows]


async def _day_orders(odoo: Any, plan: DayPlan) -> list[str]:
    """Confirm the day's sale orders in Odoo (what a sales team does); returns their names."""
    customers = await _day_customers(odoo, plan)
    codes = sorted({sku for lines in _DAY_LINES for sku, _ in lines})
    products = {r["default_code"]: r["id"] for r in await odoo.search_read(
        "product.product", [("default_code", "in", codes)], ["default_code"])}
    names = []
    for i in range(plan.orders):
        lines = _DAY_LINES[i % len(_DAY_LINES)]
        [oid] = await odoo.create("sale.order", [{
            "partner_id": customers[i % len(customers)], "client_order_ref": plan.key(f"PO-CAFE-{4100 + i}"),
            "order_line": [(0, 0, {"product_id": products[sku], "product_uom_qty": qty}) for sku, qty in lines],
        }])
        await odoo.call("sale.order", "action_confirm", [oid])
        names.append(str((await odoo.read("sale.order", [oid], ["name"]))[0]["name"]))
    return names


async def _until_invoiced(hub: Hub, odoo: Any, rig: FlowRig, orders: list[str], timeout_s: float) -> int:
    """Let the carrier follow every booking and wait until each order has a posted invoice and every delivery
    order has shipped (or time is up)."""
    assert rig.tms is not None and rig.carrier is not None
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    invoiced = 0
    while loop.time() < deadline:
        # the carrier starts scanning once the booking is confirmed to the shipper: the PRO number is on the
        # tender's own delivery order in Odoo (and the hub knows it, so the carrier's webhooks resolve at once);
        # before the booking that field holds the WMS's tracking number, which says nothing about the TMS's
        booked = {r["name"]: r["carrier_tracking_ref"] for r in await odoo.search_read(
            "stock.picking", [("origin", "in", orders), ("carrier_tracking_ref", "!=", False)],
            ["name", "carrier_tracking_ref"])}
        rig.follow_bookings([t.pro_number for t in rig.tms.tenders.values()
                             if t.pro_number and booked.get(str(t.doc.get("shipperRef"))) == t.pro_number])
        rows = await odoo.search_read("account.move", [("move_type", "=", "out_invoice"), ("state", "=", "posted"),
                                                       ("invoice_origin", "in", orders)], ["invoice_origin"])
        invoiced = len({r["invoice_origin"] for r in rows})
        open_pickings = await odoo.search("stock.picking", [("origin", "in", orders), ("picking_type_code", "=", "outgoing"),
                                                            ("state", "not in", ["done", "cancel"])])
        unfollowed = [t for t in rig.tms.tenders.values() if t.pro_number and t.pro_number not in rig.carrier.scans]
        if invoiced == len(orders) and not open_pickings and not unfollowed:
            break  # every order invoiced, every delivery order (backorders too) shipped and followed
        await asyncio.sleep(0.3)
    await rig.settle(timeout_s=max(1.0, deadline - loop.time()))
    while loop.time() < deadline:
        if not (await hub.store.delivery_stats())["by_status"].get("pending"):
            break
        await asyncio.sleep(0.1)
    return invoiced


async def _day_vendor(odoo: Any, plan: DayPlan) -> int:
    """The vendor of the day's purchase orders: the emulator's first; on a real Odoo the run's own."""
    if not plan.real:
        [vendor] = await odoo.search("res.partner", [("supplier_rank", ">", 0)], order="id", limit=1)
        return int(vendor)
    from tradelane.connectors.odoo import PartnerData, upsert_partners

    [row] = await upsert_partners(odoo, [PartnerData(plan.key("VENDOR"), f"{plan.tag} Packaging Supplies")])
    return int(row.id)


async def _day_receipts(hub: Hub, odoo: Any, rig: FlowRig, base: str, key: str, plan: DayPlan) -> dict[str, int]:
    """Purchase orders confirmed in Odoo; the yard books and plays each trailer's visit; the WMS confirms each
    receipt (over the API), the last one with damaged goods. Returns counts for the summary."""
    assert rig.yard is not None
    vendor = await _day_vendor(odoo, plan)
    products = {r["default_code"]: r["id"] for r in await odoo.search_read(
        "product.product", [("default_code", "in", ["TL-1002", "TL-1006"])], ["default_code"])}
    receipts = []
    for i in range(DAY_PURCHASES):
        [po] = await odoo.create("purchase.order", [{"partner_id": vendor, "partner_ref": plan.key(f"ASN-{7700 + i}"),
                                                     "order_line": [(0, 0, {
                                                         "product_id": products[sku], "product_qty": qty,
                                                         "price_unit": 3.0, "date_planned": f"2026-12-{1 + i % 28:02d} 08:00:00"})
                                                         for sku, qty in (("TL-1002", 40.0), ("TL-1006", 24.0))]}])
        await odoo.call("purchase.order", "button_confirm", [po])
        name = (await odoo.read("purchase.order", [po], ["name"]))[0]["name"]
        [pick] = await odoo.search_read("stock.picking", [("origin", "=", name), ("picking_type_code", "=", "incoming")],
                                        ["name"])
        receipts.append((str(name), str(pick["name"])))
    loop = asyncio.get_running_loop()
    deadline = loop.time() + plan.timeout_s / 2
    while loop.time() < deadline:
        if sum(cb.document["event"] == "GATE_OUT" for cb in rig.yard.callbacks) >= len(receipts):
            break
        await asyncio.sleep(0.2)

    def qty(v: float) -> dict[str, str]:
        return {"value": str(v), "unit": "EA"}

    async with httpx2.AsyncClient(base_url=base, timeout=30, headers={"Authorization": f"Bearer {key}"}) as client:
        for n, (po, ref) in enumerate(receipts):
            damaged = n == len(receipts) - 1
            lines: list[dict[str, Any]] = [{"line_id": "1", "product": {"sku": "TL-1002"}, "expected_quantity": qty(40),
                      "received_quantity": qty(40)},
                     {"line_id": "2", "product": {"sku": "TL-1006"}, "expected_quantity": qty(24),
                      "received_quantity": qty(21 if damaged else 24)}]
            if damaged:
                lines[1]["discrepancies"] = [{"reason": "damaged", "quantity": qty(3),
                                              "note": "3 rolls crushed, photos in the WMS"}]
            assert rig.wms is not None  # the WMS put what it received into its own stock
            rig.wms.stock["TL-1002"] += 40
            rig.wms.stock["TL-1006"] += 21 if damaged else 24
            await client.post("/v1/events", json={
                "specversion": "1.0", "id": plan.key(f"wms-receipt-{ref}"), "source": "/partners/acme-wms",
                "type": "tradelane.receipt.completed.v1", "data": {
                    "receipt_id": f"rcpt_{n}", "completed_at": "2026-12-01T10:00:00Z", "receipt": {
                        "receipt_id": f"rcpt_{n}", "reference": ref, "order_ref": po, "location_id": "loc_dc_rtm",
                        "lines": lines}}})
    done = 0
    while loop.time() < deadline + plan.timeout_s / 2:
        rows = await odoo.search_read("stock.picking", [("name", "in", [r for _, r in receipts])], ["state"])
        done = sum(1 for r in rows if r["state"] == "done")
        if done == len(receipts):
            break
        await asyncio.sleep(0.2)
    # a backorder receipt gets its own appointment: wait for every trailer to leave (its detention is charged)
    assert hub.business is not None and hub.business.inbound is not None
    while loop.time() < deadline + plan.timeout_s / 2:
        pickings = await odoo.search("stock.picking", [("origin", "in", [po for po, _ in receipts]),
                                                       ("picking_type_code", "=", "incoming")])
        requested = hub.business.inbound.outcomes.get("appointment:requested", 0)
        gone = sum(cb.document["event"] == "GATE_OUT" for cb in rig.yard.callbacks)
        if requested >= len(pickings) and gone >= requested:
            break
        await asyncio.sleep(0.2)
    await rig.settle(timeout_s=30)
    while loop.time() < deadline + plan.timeout_s / 2:
        if not (await hub.store.delivery_stats())["by_status"].get("pending"):
            break
        await asyncio.sleep(0.1)
    visits = sum(cb.document["event"] == "GATE_OUT" for cb in rig.yard.callbacks)
    return {"purchases": len(receipts), "yard_visits": visits, "receipts_done": done}


#: a canonical condition as the WMS's inspector grades it (the WMS restocks only RESTOCK lines)
_WMS_GRADES: dict[str, dict[str, str]] = {
    "new": {"condition": "NEW"}, "resellable": {"condition": "GOOD"},
    "damaged": {"condition": "DAMAGED", "disposition": "QUARANTINE", "remark": "carton arrived crushed"},
    "scrap": {"condition": "DAMAGED", "disposition": "SCRAP", "remark": "beyond repair"},
}
#: canonical return reasons → the WMS's inspection reason codes
_WMS_REASONS = {"damaged": "DMG", "defective": "DEF", "wrong_item": "WRG", "not_as_described": "NAD",
                "no_longer_needed": "NLN", "undeliverable": "UND"}


def _qty(v: float) -> dict[str, str]:
    return {"value": f"{v:g}", "unit": "EA"}


async def _day_returns(hub: Hub, odoo: Any, rig: FlowRig, base: str, orders: list[str], secret: bytes,
                       plan: DayPlan) -> dict[str, int]:
    """Customers return goods of three delivered and invoiced orders (:data:`DAY_RETURNS`): the portal sends each
    return request over the API, the returns flow announces the expected return receipt, the WMS receives and
    grades the goods and reports them (the last, with the crushed carton, by the WMS simulator's own inspected
    ``RECEIPT_CONFIRM`` callback; the others over the API); the flow books the return picking in Odoo and posts
    the credit note.
    Returns counts for the summary."""
    assert hub.business is not None and hub.business.returns is not None and rig.wms is not None
    flow = hub.business.returns
    # orders shipped in one delivery order (no backorder) and invoiced once: what the customers send back
    pickings = await odoo.search_read("stock.picking", [("origin", "in", orders), ("picking_type_code", "=", "outgoing")],
                                      ["origin", "state"])
    per_order = Counter(p["origin"] for p in pickings)
    done = {p["origin"] for p in pickings if p["state"] == "done"}
    invoices = {r["invoice_origin"]: r["id"] for r in await odoo.search_read(
        "account.move", [("move_type", "=", "out_invoice"), ("state", "=", "posted"), ("invoice_origin", "in", orders)],
        ["invoice_origin"])}
    chosen: list[tuple[str, tuple[tuple[str, float], ...]]] = []
    for i, name in enumerate(orders):
        lines = _DAY_LINES[i % len(_DAY_LINES)]
        if len(chosen) < len(DAY_RETURNS) and per_order[name] == 1 and name in done and name in invoices \
                and len(lines) > max(idx for idx, *_ in DAY_RETURNS[len(chosen)]):
            chosen.append((name, lines))
    requests: list[dict[str, Any]] = []
    receipts: list[dict[str, Any]] = []
    for n, ((order, ordered), spec) in enumerate(zip(chosen, DAY_RETURNS, strict=False), start=1):
        rma_lines: list[dict[str, Any]] = [
            {"line_id": str(k), "product": {"sku": ordered[idx][0]}, "quantity": _qty(qty), "reason": reason}
            for k, (idx, qty, reason, _c) in enumerate(spec, start=1)]
        rma = {"return_id": plan.key(f"ret_day_{n}").lower(), "rma_number": plan.key(f"RMA-DAY-{n:03d}"),
               "order_ref": order,
               "customer_id": "party_cafe_central", "location_id": "loc_dc_rtm",
               "reason_text": ("Ordered too many", "Wrong items sent", "One carton arrived crushed")[(n - 1) % 3],
               "requested_at": "2026-12-02T09:00:00Z", "lines": rma_lines}
        requests.append({"specversion": "1.0", "id": plan.key(f"portal-rma-{n}"), "source": "/portal/returns",
                         "type": "tradelane.return.requested.v1", "subject": rma["rma_number"],
                         "data": {"return_id": rma["return_id"], "rma": rma}})
        at = "2026-12-04T10:00:00Z"
        graded = [line | {"received_quantity": line["quantity"], "condition": cond}
                  for line, (_i, _q, _r, cond) in zip(rma_lines, spec, strict=True)]
        receipts.append({"specversion": "1.0", "id": plan.key(f"wms-return-{n}"), "source": "/partners/acme-wms",
                         "type": "tradelane.return.received.v1", "subject": rma["rma_number"],
                         "data": {"return_id": rma["return_id"], "received_at": at,
                                  "rma": {**rma, "received_at": at, "lines": graded}}})
    portal_key, _ = await create_api_key(hub.store, secret, name="demo customer portal (returns)", tenant="hub")
    wms_key, _ = await create_api_key(hub.store, secret, name="demo WMS (returns)", tenant="hub")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + plan.timeout_s / 4
    async with httpx2.AsyncClient(base_url=base, timeout=30) as client:
        for doc in requests:
            await client.post("/v1/events", json=doc, headers={"Authorization": f"Bearer {portal_key}"})
        while loop.time() < deadline:
            if flow.outcomes.get("return:expected", 0) >= len(requests):
                break
            await asyncio.sleep(0.1)
        expected = flow.outcomes.get("return:expected", 0)
        for n, doc in enumerate(receipts, start=1):  # the WMS received the goods announced and graded them
            rma = doc["data"]["rma"]
            if n == len(DAY_RETURNS):  # the crushed carton: the WMS's own inspected RECEIPT_CONFIRM callback
                held = False
                while loop.time() < deadline:
                    if held := any(r.asn_no == rma["rma_number"] for r in rig.wms.receipts.values()):
                        break
                    await asyncio.sleep(0.1)
                if held:
                    await rig.wms.receive(rma["rma_number"], inspected={
                        int(line["line_id"]): {**_WMS_GRADES[line["condition"]],
                                               "reasonCode": _WMS_REASONS.get(line["reason"], "OTH")}
                        for line in rma["lines"]})
                    continue
            for line in rma["lines"]:  # (over the API) the WMS stocked the sellable ones
                if line["condition"] in ("new", "resellable"):
                    rig.wms.stock[line["product"]["sku"]] += int(float(line["received_quantity"]["value"]))
            await client.post("/v1/events", json=doc, headers={"Authorization": f"Bearer {wms_key}"})
    delivery_ids = [p["id"] for p in await odoo.search_read(
        "stock.picking", [("origin", "in", [o for o, _ in chosen]), ("picking_type_code", "=", "outgoing")], ["id"])]
    want_exceptions = sum(any(c not in ("new", "resellable") for *_x, c in spec) for spec in DAY_RETURNS[:len(chosen)])
    returned = credit_notes = 0
    while loop.time() < deadline:
        returned = await odoo.execute_kw("stock.picking", "search_count", [[("return_id", "in", delivery_ids),
                                                                             ("state", "=", "done")]])
        credit_notes = await odoo.execute_kw("account.move", "search_count", [[
            ("move_type", "=", "out_refund"), ("state", "=", "posted"),
            ("reversed_entry_id", "in", [invoices[o] for o, _ in chosen])]])
        if returned >= len(chosen) and credit_notes >= len(chosen) \
                and flow.outcomes.get("exception:return_inspection", 0) >= want_exceptions:
            break
        await asyncio.sleep(0.2)
    while loop.time() < deadline:
        if not (await hub.store.delivery_stats())["by_status"].get("pending"):
            break
        await asyncio.sleep(0.1)
    return {"requested": len(requests), "expected": expected, "received": len(receipts), "returned": returned,
            "credit_notes": credit_notes, "exceptions": flow.outcomes.get("exception:return_inspection", 0)}


async def _until_sla_settled(hub: Hub, timeout_s: float = 15.0) -> None:
    """Wait until the SLA projector has read every stored event (its cursor is at the newest one)."""
    assert hub.flows is not None
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while loop.time() < deadline:
        if (await hub.flows.sla.project_once())[0] == 0:
            return
        await asyncio.sleep(0.1)


async def _sla_counts(hub: Hub) -> list[tuple[str, dict[str, int]]]:
    """Timer counts for every SLA of the catalogue: armed, met, breached (timers whose start was seen) and
    ``stop_only`` (a stop event with no start in scope, e.g. a carrier invoice for a shipment never delivered)."""
    from tradelane.ports.flows import SlaTimerFilter

    assert hub.flows is not None
    out = []
    for spec in hub.flows.sla.specs:
        counts: Counter[str] = Counter()
        after = None
        while True:
            rows, after = await hub.flows.store.list_sla_timers(SlaTimerFilter(flow=spec.flow, sla=spec.name), 500,
                                                                 after)
            counts.update(r.status if r.started_at is not None else "stop_only" for r in rows)
            if not after:
                break
        out.append((f"{spec.flow}/{spec.name}", dict(counts)))
    return out


def _invoice_event(n: int, number: str, shipments: list[str], charges: list[dict[str, Any]], total: str,
                   plan: DayPlan) -> dict[str, Any]:
    return {"specversion": "1.0", "id": plan.key(f"rhenus-invoice-{n}"), "source": "/partners/rhenus-billing",
            "type": "tradelane.carrier_invoice.received.v1",
            "data": {"invoice_id": f"inv_rhenus_{n}", "received_at": "2026-11-23T06:00:00Z", "invoice": {
                "invoice_number": number, "carrier_id": "party_rhenus", "invoiced_at": "2026-11-23T00:00:00Z",
                "shipment_refs": shipments, "currency": "EUR", "charges": charges,
                "total": {"amount": total, "currency": "EUR"}}}}


async def _carrier_invoices(hub: Hub, plan: DayPlan) -> list[dict[str, Any]]:
    """The carrier's invoices for the day: most as charged, one with the fuel surcharge tripled, one for a
    shipment we never gave them, one reusing an invoice number."""
    from decimal import Decimal

    assert hub.business is not None
    charged = await hub.business.outbound.sink.find("hub", "tradelane.freight.charged.v1")
    out = []
    for n, ev in enumerate(charged, start=1):
        data = ev["data"]
        charges = [dict(c) for c in data["charges"]]
        if n == 2:  # fuel billed at three times the agreed surcharge
            for c in charges:
                if c.get("accessorial") == "fuel":
                    c["amount"] = {**c["amount"], "amount": str(Decimal(c["amount"]["amount"]) * 3)}
        total = str(sum(Decimal(c["amount"]["amount"]) for c in charges))
        out.append(_invoice_event(n, f"RH-2026-{5000 + n}", [data["shipment_id"]], charges, total, plan))
    base = {"charge_id": "x-1", "kind": "base", "amount": {"amount": "140.00", "currency": "EUR"}}
    out.append(_invoice_event(900, "RH-2026-5900", ["shp_never_seen"], [base], "140.00", plan))
    if out:
        reused = out[0]["data"]["invoice"]["invoice_number"]
        out.append(_invoice_event(901, reused, ["shp_never_seen_2"], [base], "140.00", plan))
    return out


async def _day_in_the_life(hub: Hub, base: str, rig: FlowRig, plan: DayPlan) -> dict[str, Any]:
    """Orders through the outbound flow, then the settlement and inventory batches; prints the outcomes."""
    from tradelane.connectors.odoo import (
        OdooClient,
        OdooSettings,
        PartnerData,
        ProductData,
        upsert_partners,
        upsert_products,
    )
    from tradelane.core.errors import TransientError
    from tradelane.ports.flows import ExceptionFilter
    from tradelane.web.business import business_board

    assert rig.wms is not None and rig.tms is not None and hub.business is not None
    assert hub.flows is not None
    c = rig.odoo_connection()  # the emulator, or the real Odoo of TRADELANE_ODOO_URL
    console.print(f"\nDay in the life on {_odoo_label(rig)}: {plan.orders} sale orders, {DAY_PURCHASES} purchase "
                  f"orders, {len(DAY_RETURNS)} returns"
                  + (f"; this run's Odoo records under the prefix {plan.tag}" if plan.real else ""),
                  highlight=False, soft_wrap=True)
    odoo = await OdooClient(OdooSettings(url=c["url"], db=c["db"], user=c["user"], password=c["password"])).connect()
    vendor_ref = str(plan.carrier["vendor_ref"])
    try:
        if plan.real:  # the run's own carrier vendor; the freight service product found or created
            await upsert_partners(odoo, [PartnerData(vendor_ref, "Rhenus Road Freight")])
            await upsert_products(odoo, [ProductData(str(plan.carrier["service_product"]), "Road freight",
                                                     kind="service")])
        else:
            await odoo.create("res.partner", [{"name": "Rhenus Road Freight", "ref": vendor_ref,
                                               "is_company": True, "supplier_rank": 1}])
            await odoo.create("product.product", [{"name": "Road freight",
                                                   "default_code": plan.carrier["service_product"],
                                                   "detailed_type": "service"}])
        loop = asyncio.get_running_loop()
        began = loop.time()
        orders = await _day_orders(odoo, plan)
        invoiced = await _until_invoiced(hub, odoo, rig, orders, plan.timeout_s)
        took = {"outbound": loop.time() - began}
        secret = hub.settings.resolved_secret_key()
        wms_key, _ = await create_api_key(hub.store, secret, name="demo WMS (receipts)", tenant="hub")
        began = loop.time()
        inbound = await _day_receipts(hub, odoo, rig, base, wms_key, plan)
        took["inbound"] = loop.time() - began
        began = loop.time()
        returns = await _day_returns(hub, odoo, rig, base, orders, secret, plan)
        took["returns"] = loop.time() - began
        began = loop.time()
        pickings = await odoo.search_read("stock.picking", [("origin", "in", orders),
                                                            ("picking_type_code", "=", "outgoing")],
                                          ["state", "backorder_id", "carrier_tracking_ref"])
        shipped = sum(1 for p in pickings if p["state"] == "done")
        backorders = sum(1 for p in pickings if p["backorder_id"])
        # the PODs on this run's delivery orders (backorders included)
        pods = len(await odoo.search("ir.attachment", [("res_model", "=", "stock.picking"),
                                                        ("res_id", "in", [int(p["id"]) for p in pickings]),
                                                        ("mimetype", "=", "image/svg+xml")]))
        billing_key, _ = await create_api_key(hub.store, secret, name="demo carrier billing", tenant="hub")
        invoices = await _carrier_invoices(hub, plan)
        async with httpx2.AsyncClient(base_url=base, timeout=30,
                                      headers={"Authorization": f"Bearer {billing_key}"}) as client:
            for inv in invoices:
                await client.post("/v1/events", json=inv)
        assert hub.business.settlement is not None and hub.business.inventory is not None
        # the settlement batch is started through the batch scheduler ("run now"), so its run is recorded in
        # job_runs like a nightly one, and the control tower knows which carrier invoices it settled
        status, detail = await hub.flows.scheduler.run_now("settlement")
        settled: dict[str, Any] = dict(detail or {}) if status == "done" else {}
        status_again, detail = await hub.flows.scheduler.run_now("settlement")  # nothing is ever posted twice
        settled_again: dict[str, Any] = dict(detail or {}) if status_again == "done" else {}
        await _until_sla_settled(hub)
        sla_rows = await _sla_counts(hub)
        inventory: Any = {}
        for _ in range(5):  # the WMS's injected 500s may hit the snapshot too
            try:
                inventory = await hub.business.inventory.run("inventory")
                break
            except TransientError:
                await asyncio.sleep(0.2)
        took["settlement and inventory"] = loop.time() - began
        # the vendor bills of this run's carrier (its vendor record is the run's own on a real Odoo)
        bills = await odoo.search_read("account.move", [("move_type", "=", "in_invoice"),
                                                        ("partner_id.ref", "=", vendor_ref)], ["ref", "state"])
        opened, _ = await hub.flows.exceptions.list(ExceptionFilter(status="open"), 500)
        board = await business_board(hub)  # what the control tower shows on this data
        stats = await hub.store.delivery_stats()
    finally:
        await odoo.close()

    outbound = hub.business.outbound.outcomes if hub.business.outbound else {}
    released = sum(1 for r in rig.wms.received if r.path == "/api/v1/orders" and r.status == 202)
    t = Table(title="Day in the life — outbound (Odoo → WMS → TMS → carrier → Odoo)")
    t.add_column("step")
    t.add_column("count", justify="right")
    for label, value in (
        ("sale orders confirmed in Odoo", len(orders)),
        ("delivery orders released to the WMS (change capture; backorders too)", released),
        ("WMS calls answered 500 (retried by the delivery engine)", rig.wms.failures_injected),
        ("partner webhooks (each sent twice; the copies deduplicated)",
         len(rig.wms.callbacks) + len(rig.tms.callbacks) + len(rig.carrier.callbacks if rig.carrier else [])),
        ("delivery orders validated in Odoo", shipped),
        ("partial picks (backorders in Odoo)", backorders),
        ("tenders booked (PRO number on the delivery order)", outbound.get("booked", 0)),
        ("milestones noted in the chatter", outbound.get("milestone:applied", 0)),
        ("PODs attached", pods),
        ("customer invoices posted", invoiced),
    ):
        t.add_row(label, str(value))
    console.print(t)
    ib = Table(title="Day in the life — inbound and yard (Odoo PO → yard → gate → dock → receipt → gate-out)")
    ib.add_column("step")
    ib.add_column("count", justify="right")
    inbound_outcomes = hub.business.inbound.outcomes if hub.business.inbound else {}
    for label, value in (
        ("purchase orders confirmed in Odoo", inbound["purchases"]),
        ("dock appointments booked at the yard (a backorder gets its own)",
         inbound_outcomes.get("appointment:requested", 0)),
        ("trailer visits (gate-in, door, unloading, gate-out)", inbound["yard_visits"]),
        ("receipts validated in Odoo", inbound["receipts_done"]),
        ("receipts with discrepancies (exception)", inbound_outcomes.get("exception:receipt_discrepancy", 0)),
        ("detention charges (dwell beyond the free time)", inbound_outcomes.get("exception:detention", 0)),
    ):
        ib.add_row(label, str(value))
    console.print(ib)
    rt = Table(title="Day in the life — returns (portal request → expected receipt → inspection → Odoo return "
                     "and credit note)")
    rt.add_column("step")
    rt.add_column("count", justify="right")
    for label, value in (
        ("return requests from the portal", returns["requested"]),
        ("expected return receipts announced", returns["expected"]),
        ("returns received and inspected by the WMS", returns["received"]),
        ("return pickings validated in Odoo (restocked goods)", returns["returned"]),
        ("credit notes posted (policy: posted, for what was restocked)", returns["credit_notes"]),
        ("inspection exceptions (damaged goods not restocked)", returns["exceptions"]),
    ):
        rt.add_row(label, str(value))
    console.print(rt)
    st = Table(title="Settlement batch (carrier invoices ↔ expected charges) and inventory batch (WMS ↔ Odoo)")
    st.add_column("result")
    st.add_column("count", justify="right")
    for k in ("invoices", "matched", "mismatch", "unknown_shipment", "duplicate", "bills_posted"):
        st.add_row(f"settlement: {k.replace('_', ' ')}", str(settled.get(k, 0)))
    st.add_row("settlement runs recorded (job_runs, via the batch scheduler)",
               f"{status}, {status_again}")
    st.add_row("settlement, second run: bills posted", str(settled_again.get("bills_posted", 0)))
    st.add_row("vendor bills in Odoo", str(len(bills)))
    st.add_row("inventory: products compared", str(inventory.get("products", 0)))
    st.add_row("inventory: differences (adjusted in Odoo, the WMS owns quantities)",
               f"{inventory.get('differences', 0)} ({inventory.get('adjusted', 0)})")
    console.print(st)
    if inventory.get("lines"):
        console.print("Inventory differences: " + "; ".join(inventory["lines"]), highlight=False, soft_wrap=True)
    sl = Table(title="SLA timers (the issue's example SLAs, scoped to the flows' own events; event times are the "
                     "partners' simulated ones)")
    for col in ("SLA", "armed (waiting)", "met", "breached", "stop without start"):
        sl.add_column(col, justify="left" if col == "SLA" else "right")
    for name, counts in sla_rows:
        sl.add_row(name, *(str(counts.get(k, 0)) for k in ("armed", "met", "breached", "stop_only")))
    console.print(sl)
    unposted = board.metrics["freight_not_posted"].records
    console.print(f"Control tower, \"freight charges not posted\": {len(unposted)} "
                  + "".join(f"\n  {r.key}: {r.reason}" for r in unposted), highlight=False, soft_wrap=True)
    breaches = sum(c.get("breached", 0) for _, c in sla_rows)
    # a partner webhook the hub refused for good (a 4xx, or still failing after the sender's tries) is an event
    # the day lost: the partner would dead-letter it, and the flow never hears of it
    lost = [(sim.kind, cb) for sim in (rig.wms, rig.tms, rig.carrier, rig.yard) if sim is not None
            for cb in sim.callbacks if not cb.delivered]
    if lost:
        console.print(f"Partner webhooks lost ({len(lost)}):" + "".join(
            f"\n  {kind} {cb.msg_id}: answered {cb.statuses}, "
            f"{cb.document.get('messageType') or cb.document.get('type') or cb.document.get('topic') or cb.document.get('event')}"
            for kind, cb in lost), highlight=False, soft_wrap=True)
    console.print(f"Open exceptions ({len(opened)}; mirrored to Odoo as activities on their records):")
    for e in opened:
        console.print(f"  {e.type:<26} {e.severity:<7} {e.owner_team:<10} {e.entity_kind}/{e.entity_id}: {e.summary}",
                      soft_wrap=True, highlight=False)
    by = stats["by_status"]
    summary = {
        "purchases": inbound["purchases"], "receipts": inbound["receipts_done"],
        "discrepancies": inbound_outcomes.get("exception:receipt_discrepancy", 0),
        "detention": inbound_outcomes.get("exception:detention", 0),
        "orders": len(orders), "released": released, "shipped": shipped, "partial": backorders,
        "invoiced": invoiced, "returns": returns["returned"], "credit_notes": returns["credit_notes"],
        "return_exceptions": returns["exceptions"], "bills_posted": settled.get("bills_posted", 0),
        "bills_reposted": settled_again.get("bills_posted", 0),
        "settlement_exceptions": sum(settled.get(k, 0) for k in ("mismatch", "unknown_shipment", "duplicate")),
        "inventory_adjusted": inventory.get("adjusted", 0), "freight_not_posted": len(unposted),
        "sla_breaches": breaches,
        "open_exceptions": len(opened),
        "dead": by.get("dead", 0), "pending": by.get("pending", 0), "webhooks_lost": len(lost),
    }
    console.print("Wall-clock time of the day in the life on this machine: "
                  + ", ".join(f"{k} {v:.1f} s" for k, v in took.items()), highlight=False)
    console.print("FLOWS SUMMARY: " + ", ".join(f"{k}={v}" for k, v in summary.items()), soft_wrap=True)
    return summary


def _with_flows(settings: Settings, rig: FlowRig, plan: DayPlan) -> Settings:
    """``settings`` plus the business flows of the day in the life: the outbound flow's endpoint, route and
    partner hooks (from the rig), and the settlement and inventory batches."""
    doc = rig.settings_doc()  # the SLAs are scoped to tenant "hub": the first part's scripted events are not timed
    flows = {name: FlowSettings(**f) for name, f in doc["flows"].items()}
    flows["settlement"] = FlowSettings(
        description="carrier invoices ↔ expected charges → vendor bills in Odoo", mode="batch", cron="0 2 * * *",
        owner_team="finance", options={"carriers": {"party_rhenus": dict(plan.carrier)}})
    flows["inventory"] = FlowSettings(
        description="WMS stock snapshot vs Odoo quants (the WMS owns quantities)", mode="batch",
        cron="30 3 * * *", owner_team="inventory", options={"site": "RTM1"})
    routes = [RouteSettings(**r) for r in doc["routes"]]
    # the scripted partners of the first part are not Odoo's: their events stay out of the flow
    own = "!starts_with(source, '/partners/demo-')"
    routes = [r.model_copy(update={"filter": f"({r.filter}) && {own}" if r.filter else own}) for r in routes]
    return settings.model_copy(update={
        "endpoints": {**settings.endpoints, **{n: EndpointSettings(**e) for n, e in doc["endpoints"].items()}},
        "routes": [*settings.routes, *routes],
        "hooks": {**settings.hooks, **{n: HookSettings(**h) for n, h in doc["hooks"].items()}},
        "flows": {**settings.flows, **flows},
        "flow_runtime": FlowRuntimeSettings(**doc["flow_runtime"]),
        "ownership": {"entities": {"inventory": {"fields": {"on_hand": "wms"}}}},
    })


async def _run(settings: Settings, port: int, exit_after: bool, sinks: dict[str, WebhookSink]) -> int:
    rig = plan = None
    if sinks:  # the demo's own partners (no routes configured): add the day in the life
        # the rig uses the real Odoo of TRADELANE_ODOO_URL when it is set (FlowRig.start), the emulator otherwise
        plan = DayPlan.make(real=bool(os.environ.get("TRADELANE_ODOO_URL")))
        rig = await FlowRig(short_pick_ratio=0.1, wms_fail_ratio=0.1, duplicate_callbacks=True,
                            wms_stock=DAY_WMS_STOCK, step_delay_s=0.1, yard_minutes_per_step=45,
                            late_tenders=DAY_LATE_TENDERS, eta_change_ratio=0.2).start()
        assert rig.yard is not None  # trailers on their own timelines: most leave within the free time
        rig.yard.visit_minutes, rig.yard.long_visits = VISIT_MINUTES, DAY_YARD_LONG_VISITS
        os.environ.update(rig.env())
        assert plan.real == (rig.real_odoo is not None)
        settings = _with_flows(settings, rig, plan)
        rig.connect(f"http://127.0.0.1:{port}")
    try:
        hub = build_hub(settings)
        if rig is not None:
            from tradelane.store.xref import SqlXrefStore

            await FlowRig.seed_references(SqlXrefStore(hub.store.engine))
        return await _main(hub, port, exit_after, sinks, rig, plan)
    finally:
        if rig is not None:
            await rig.stop()


def run_demo(settings: Settings, *, port: int = 8080, exit_after: bool = False) -> int:
    """Run the demo; returns the process exit code."""
    data_dir = settings.data_dir / "demo"
    shutil.rmtree(data_dir, ignore_errors=True)
    demo_settings = settings.model_copy(update={"data_dir": data_dir})
    if not settings.database.url:
        demo_settings = demo_settings.model_copy(update={"database": settings.database.model_copy(update={"url": ""})})
    sinks: dict[str, WebhookSink] = {}
    if not demo_settings.routes:
        demo_settings, sinks = _demo_routes(demo_settings)
    try:
        return asyncio.run(_run(demo_settings, free_port(port), exit_after, sinks))
    except KeyboardInterrupt:
        return 0
