"""Inventory reconciliation as a batch in a running hub: the WMS simulator's stock snapshot against the Odoo
emulator's quants. Where the system-of-record matrix gives the WMS the quantity, Odoo is adjusted to the WMS
(once, however often the run repeats); otherwise each difference is an exception and Odoo is left alone.

Runs on the Odoo emulator, or on a real Odoo 17 when ``TRADELANE_ODOO_URL`` (+ ``_DB``, ``_USER``,
``_PASSWORD``) is set: the rig counts the demo products in WH/Stock to the emulator's demo stock first
(:meth:`FlowRig.prepare_real_odoo`), so every run starts from the same quantities."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx2
import pytest

from tradelane.connectors.odoo import OdooClient, OdooSettings, read_quants
from tradelane.security.keyring import create_api_key
from tradelane.settings import load_settings
from tradelane.store.xref import SqlXrefStore
from tradelane.testing.flows import WMS_STOCK, FlowRig

#: the WMS counted 3 fewer Pallet Widgets and 5 more Euro Pallets than Odoo holds
COUNTED = {**WMS_STOCK, "TL-1001": WMS_STOCK["TL-1001"] - 3, "TL-1008": WMS_STOCK["TL-1008"] + 5}


@pytest.fixture
async def rig(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FlowRig]:
    r = await FlowRig(wms_stock=COUNTED).start()
    for k, v in r.env().items():
        monkeypatch.setenv(k, v)
    yield r
    await r.stop()


async def _on_hand(rig: FlowRig) -> dict[str, float]:
    c = rig.odoo_connection()  # the emulator, or the real Odoo of TRADELANE_ODOO_URL
    client = await OdooClient(OdooSettings(url=c["url"], db=c["db"], user=c["user"], password=c["password"])).connect()
    try:
        [wh] = await client.search_read("stock.warehouse", [], ["lot_stock_id"], limit=1)
        rows = await read_quants(client, location_ids=[wh["lot_stock_id"][0]], product_refs=sorted(WMS_STOCK),
                                 include_children=False)
    finally:
        await client.close()
    out: dict[str, float] = {}
    for q in rows:
        out[str(q.product_ref)] = out.get(str(q.product_ref), 0.0) + q.quantity
    return out


async def _run(running: Any, fire_time: datetime | None = None) -> Any:
    """One reconciliation run on the hub's loop, while this loop keeps serving the WMS simulator (a manual run,
    or the scheduler's firing at ``fire_time``)."""
    return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(
        running.hub.business.inventory.run("inventory", fire_time), running.loop))


def _hub(hub_server: Any, tmp_path: Path, ownership: dict[str, Any]) -> Any:
    settings = load_settings(None, data_dir=tmp_path / "data", ownership=ownership, flows={"inventory": {
        "description": "WMS snapshot vs Odoo quants", "mode": "batch", "cron": "30 3 * * *",
        "owner_team": "inventory", "options": {"site": "RTM1"}}})
    running = hub_server(settings)
    running.call(FlowRig.seed_references(SqlXrefStore(running.hub.store.engine)))
    return running


async def test_wms_owned_quantities_adjust_odoo_once(rig: FlowRig, hub_server: Any, tmp_path: Path) -> None:
    before = await _on_hand(rig)
    assert before == {sku: float(q) for sku, q in WMS_STOCK.items()}
    running = _hub(hub_server, tmp_path, {"entities": {"inventory": {"fields": {"on_hand": "wms"}}}})

    first = await _run(running)
    assert first["differences"] == 2 and first["adjusted"] == 2 and first["reported"] == 0
    assert sorted(first["lines"]) == ["TL-1001: WMS 117, Odoo 120", "TL-1008: WMS 65, Odoo 60"]
    assert await _on_hand(rig) == {sku: float(q) for sku, q in COUNTED.items()}
    again = await _run(running)
    assert again["differences"] == 0 and again["adjusted"] == 0
    assert await _on_hand(rig) == {sku: float(q) for sku, q in COUNTED.items()}
    # the warehouse counts again and finds one more widget: a run within the same minute is a run of its own
    # (its adjustment is not taken for the first one's) and puts Odoo to the new count
    assert rig.wms is not None
    rig.wms.stock["TL-1001"] += 1
    third = await _run(running)
    assert third["differences"] == 1 and third["adjusted"] == 1
    assert await _on_hand(rig) == {sku: float(q) for sku, q in {**COUNTED, "TL-1001": COUNTED["TL-1001"] + 1}.items()}
    # a scheduled firing (to the second: this test's own on a shared real Odoo) run again is the same run: its
    # adjustment is taken as applied, even though the count moved again in between
    fire = datetime.now(UTC).replace(microsecond=0)
    rig.wms.stock["TL-1001"] += 1
    fired = await _run(running, fire)
    rig.wms.stock["TL-1001"] += 1
    retried = await _run(running, fire)
    assert (fired["adjusted"], retried["differences"], retried["adjusted"]) == (1, 1, 0)
    assert (await _run(running))["adjusted"] == 1  # a run of its own puts Odoo to the count
    assert (await _on_hand(rig))["TL-1001"] == COUNTED["TL-1001"] + 3


async def test_differences_are_reported_where_odoo_owns_the_quantity(
    rig: FlowRig, hub_server: Any, tmp_path: Path
) -> None:
    running = _hub(hub_server, tmp_path, {"entities": {"inventory": {"fields": {"on_hand": "odoo"}}}})

    for _ in range(2):  # the nightly run finding the same differences opens nothing new
        result = await _run(running)
        assert result["differences"] == 2 and result["adjusted"] == 0 and result["reported"] == 2
    assert await _on_hand(rig) == {sku: float(q) for sku, q in WMS_STOCK.items()}  # Odoo untouched
    key, _ = running.call(create_api_key(running.hub.store, running.hub.settings.resolved_secret_key(), name="a",
                                         tenant=None, scopes=("admin",)))
    with httpx2.Client(base_url=running.base_url, headers={"Authorization": f"Bearer {key}"}) as http:
        items = http.get("/v1/exceptions", params={"flow": "inventory"}).json()["exceptions"]
    assert sorted((e["entity"], e["summary"]) for e in items) == [
        ("product/TL-1001", "TL-1001 at RTM1: WMS 117, Odoo 120 (-3)"),
        ("product/TL-1008", "TL-1008 at RTM1: WMS 65, Odoo 60 (+5)"),
    ]
