"""Exceptions mirrored to Odoo (the emulator) as activities: opened once, closed on resolve, retried after a
failure, skipped when the entity has no Odoo record; wired only when an Odoo connection is configured."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tradelane.bootstrap import OdooExceptionMirror, build_exception_mirror, build_flows
from tradelane.connectors.odoo import OdooClient, OdooSettings
from tradelane.core.errors import ConfigError
from tradelane.ports.flows import NewException
from tradelane.settings import load_settings
from tradelane.store.engine import make_engine, upgrade
from tradelane.store.sql import SqlStore
from tradelane.testing.odoo import OdooEmulator


@pytest.fixture
async def odoo() -> AsyncIterator[tuple[OdooEmulator, OdooClient]]:
    with OdooEmulator() as emu:
        settings = OdooSettings(url=emu.url, db=emu.db, user=emu.login, password=emu.password)
        async with OdooClient(settings) as client:
            yield emu, client


async def activities(client: OdooClient, model: str, res_id: int) -> list[dict[str, Any]]:
    return await client.search_read(
        "mail.activity", [("res_model", "=", model), ("res_id", "=", res_id)], ["id", "summary", "note"],
        context={"active_test": False},
    )


async def test_open_ack_resolve_mirror_to_an_activity(
    odoo: tuple[OdooEmulator, OdooClient], tmp_path: Path
) -> None:
    emu, client = odoo
    partner = (await client.search("res.partner", [], limit=1))[0]
    [so] = await client.create("sale.order", [{"partner_id": partner}])
    [name] = [r["name"] for r in await client.read("sale.order", [so], ["name"])]
    engine = make_engine(f"sqlite:///{tmp_path / 'tl.db'}")
    upgrade(engine)
    store = SqlStore(engine)
    settings = load_settings(None, data_dir=tmp_path / "data")
    runtime = build_flows(settings, store, mirror=OdooExceptionMirror(None, client=client))
    svc = runtime.exceptions
    try:
        x, _ = await svc.open(NewException(
            tenant="acme", type="sla_breach", severity="high", entity_kind="order", entity_id=name,
            owner_team="warehouse", summary=f"WMS did not acknowledge {name}", dedupe_key=f"sla:{name}",
        ))
        orphan, _ = await svc.open(NewException(
            tenant="acme", type="damaged", severity="low", entity_kind="order", entity_id="S99999",
            owner_team="warehouse", summary="no such order in Odoo",
        ))
        assert await svc.mirror_pending() == 2
        [act] = await activities(client, "sale.order", so)
        assert f"WMS did not acknowledge {name}" in act["summary"] and x.id in act["note"]
        mirrored = await svc.get(x.id, None)
        assert mirrored is not None and mirrored.mirror_state == "open" and "mail.activity" in (mirrored.mirror_ref or "")
        skipped = await svc.get(orphan.id, None)
        assert skipped is not None and (skipped.mirror_ref or "").startswith("skipped")
        assert await svc.mirror_pending() == 0  # nothing changed: nothing to do
        before = emu.rpc_count
        await svc.acknowledge(x.id, None, "ops")
        assert await svc.mirror_pending() == 1
        assert len(await activities(client, "sale.order", so)) == 1  # still one activity (idempotent open)
        await svc.resolve(x.id, None, "ops", "WMS resent the acknowledgement")
        assert await svc.mirror_pending() == 1
        assert await activities(client, "sale.order", so) == []  # done: Odoo 17 deletes finished activities
        notes = await client.search_read(
            "mail.message", [("model", "=", "sale.order"), ("res_id", "=", so)], ["body"]
        )
        assert any("WMS resent the acknowledgement" in (m["body"] or "") for m in notes)
        assert emu.rpc_count > before
        final = await svc.get(x.id, None)
        assert final is not None and final.mirror_state == "resolved"
        assert [h["action"] for h in final.history].count("mirrored") == 3
    finally:
        await store.close()


async def test_sla_breach_keyed_by_shipment_id_is_mirrored_on_its_picking(
    odoo: tuple[OdooEmulator, OdooClient], tmp_path: Path
) -> None:
    """An SLA timer names the shipment by its canonical id (``shp_wh_out_00007``, the slug of the delivery
    order's name), not by the picking's name: the mirror still finds the delivery order (and a receipt by its
    ``rcpt_`` id)."""
    from tradelane.flows.outbound import shipment_id_for

    _emu, client = odoo
    partner = (await client.search("res.partner", [], limit=1))[0]
    product = (await client.search("product.product", [("default_code", "=", "TL-1002")]))[0]
    [so] = await client.create("sale.order", [{"partner_id": partner, "order_line": [
        (0, 0, {"product_id": product, "product_uom_qty": 2})]}])
    await client.call("sale.order", "action_confirm", [so])
    [delivery] = await client.search_read("stock.picking", [("sale_id", "=", so)], ["name"])
    [po] = await client.create("purchase.order", [{"partner_id": partner, "order_line": [
        (0, 0, {"product_id": product, "product_qty": 5, "price_unit": 3.0})]}])
    await client.call("purchase.order", "button_confirm", [po])
    [receipt] = await client.search_read("stock.picking", [("purchase_id", "=", po)], ["name"])
    engine = make_engine(f"sqlite:///{tmp_path / 'tl.db'}")
    upgrade(engine)
    store = SqlStore(engine)
    runtime = build_flows(load_settings(None, data_dir=tmp_path / "data"), store,
                          mirror=OdooExceptionMirror(None, client=client))
    svc = runtime.exceptions
    try:
        sid = shipment_id_for(delivery["name"])
        assert sid.startswith("shp_") and "/" in delivery["name"]
        late, _ = await svc.open(NewException(
            tenant="hub", type="sla_breach", severity="high", entity_kind="shipment", entity_id=sid,
            owner_team="logistics", summary=f"SLA wms-ack breached for {sid}", dedupe_key=f"sla:wms-ack:{sid}",
        ))
        rid = "rcpt_" + receipt["name"].lower().replace("/", "_")
        slow, _ = await svc.open(NewException(
            tenant="hub", type="sla_breach", severity="medium", entity_kind="receipt", entity_id=rid,
            owner_team="receiving", summary=f"SLA unloading breached for {rid}",
        ))
        unknown, _ = await svc.open(NewException(
            tenant="hub", type="sla_breach", severity="low", entity_kind="shipment", entity_id="shp_wh_out_99999",
            owner_team="logistics", summary="no such delivery order",
        ))
        assert await svc.mirror_pending() == 3
        [act] = await activities(client, "stock.picking", delivery["id"])
        assert f"SLA wms-ack breached for {sid}" in act["summary"] and late.id in act["note"]
        [act] = await activities(client, "stock.picking", receipt["id"])
        assert f"SLA unloading breached for {rid}" in act["summary"] and slow.id in act["note"]
        for exc, ref in ((late, f"stock.picking:{delivery['id']}:"), (slow, f"stock.picking:{receipt['id']}:")):
            view = await svc.get(exc.id, None)
            assert view is not None and (view.mirror_ref or "").startswith(ref)
        missing = await svc.get(unknown.id, None)
        assert missing is not None and (missing.mirror_ref or "").startswith("skipped")
    finally:
        await store.close()


async def test_a_failing_mirror_is_retried_later(tmp_path: Path) -> None:
    class Down:
        calls = 0

        async def mirror(self, exception: Any) -> Any:
            Down.calls += 1
            raise ConnectionError("odoo unreachable")

    engine = make_engine(f"sqlite:///{tmp_path / 'tl.db'}")
    upgrade(engine)
    store = SqlStore(engine)
    runtime = build_flows(load_settings(None, data_dir=tmp_path / "data"), store, mirror=Down())
    try:
        x, _ = await runtime.exceptions.open(NewException(
            tenant="acme", type="damaged", severity="low", entity_kind="order", entity_id="S1",
            owner_team="warehouse", summary="broken pallet",
        ))
        assert await runtime.exceptions.mirror_pending() == 0
        assert await runtime.exceptions.mirror_pending() == 0  # not due again before the retry delay
        assert Down.calls == 1
        view = await runtime.exceptions.get(x.id, None)
        assert view is not None and "odoo unreachable" in (view.mirror_error or "") and view.mirror_state is None
    finally:
        await store.close()


def test_mirror_is_wired_only_with_an_odoo_connection(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load_settings(None, data_dir=tmp_path / "data")
    monkeypatch.delenv("TRADELANE_ODOO_URL", raising=False)
    assert build_exception_mirror(settings) is None
    monkeypatch.setenv("TRADELANE_ODOO_URL", "http://127.0.0.1:8069")
    monkeypatch.delenv("TRADELANE_ODOO_DB", raising=False)
    with pytest.raises(ConfigError) as err:
        build_exception_mirror(settings)
    assert err.value.key == "TRADELANE_ODOO_DB"
    monkeypatch.setenv("TRADELANE_ODOO_DB", "tradelane")
    assert isinstance(build_exception_mirror(settings), OdooExceptionMirror)
    off = load_settings(None, data_dir=tmp_path / "data", flow_runtime={"mirror_to_odoo": False})
    assert build_exception_mirror(off) is None
