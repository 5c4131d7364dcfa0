"""`make demo`: the hub on embedded defaults, fed by a scripted partner over real HTTP, then a summary.

What it does (this grows into a day-in-the-life as flows land):

1. starts the hub (SQLite under ``.tradelane/demo``, no broker) on loopback;
2. creates API keys for three demo partners (a WMS, a TMS and a carrier);
3. sends realistic events for a set of orders: order confirmed → released → picked → shipped → tendered →
   booked → milestones → delivered, as single POSTs and batches, with injected faults: a duplicate
   delivery of the same event, an Idempotency-Key retry, a key reused with another body, and bad events
   (unknown type, unknown unit, naive datetime, missing field);
4. prints what was accepted, deduplicated and rejected (with the field each rejection names), and one
   shipment's timeline.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections import Counter
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
from tradelane.settings import EndpointSettings, RouteSettings, Settings
from tradelane.testing.net import free_port
from tradelane.testing.sink import WebhookSink

__all__ = ["run_demo"]

#: demo orders (each becomes one shipment with its whole event chain)
DEMO_ORDERS = 12
console = Console()

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


async def _main(hub: Hub, port: int, exit_after: bool, sinks: dict[str, WebhookSink] | None = None) -> int:
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
    if exit_after:
        server.should_exit = True
        await task
        return 0
    console.print(f"\nTradelane is serving: API {base}/v1  ·  OpenAPI {base}/docs  ·  readiness {base}/v1/health/ready")
    console.print(f"Control tower {base}/ui  ·  customer portal {base}/portal")
    console.print(f"Operator key (admin, signs in to /ui): {admin_key}")
    console.print(f"Customer key (portal, signs in to /portal): {portal_key}\nPress Ctrl-C to stop.")
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
    hub = build_hub(demo_settings)
    try:
        return asyncio.run(_main(hub, free_port(port), exit_after, sinks))
    except KeyboardInterrupt:
        return 0
