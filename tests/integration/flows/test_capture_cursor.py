"""The outbound and inbound change capture keeps its Odoo watermark in ``flow_cursors``: a restarted hub resumes
from it (re-reading only the poll's overlap window) instead of re-reading every confirmed order; on SQLite and
PostgreSQL, against the Odoo emulator over real HTTP."""

from __future__ import annotations

import datetime as dt

from tradelane.bootstrap_flows import CAPTURE_CURSORS, OdooDesk
from tradelane.connectors.odoo import OdooClient, OdooSettings
from tradelane.connectors.odoo.applier import ApplyPolicy
from tradelane.store.engine import make_engine, upgrade
from tradelane.store.flows import SqlCursorPositions
from tradelane.testing.odoo import OdooEmulator


async def _confirm_order(odoo: OdooClient, emu: OdooEmulator, age: dt.timedelta) -> str:
    """A confirmed sale order whose last change was ``age`` ago; returns its name."""
    [customer] = await odoo.search("res.partner", [("customer_rank", ">", 0)], order="id", limit=1)
    [product] = await odoo.search("product.product", [("default_code", "=", "TL-1001")], limit=1)
    [oid] = await odoo.create("sale.order", [{"partner_id": customer, "order_line": [
        (0, 0, {"product_id": product, "product_uom_qty": 2.0})]}])
    await odoo.call("sale.order", "action_confirm", [oid])
    # the emulator's clock is the wall clock: age the order as if it was confirmed earlier
    with emu.service.lock:
        emu.database.tables["sale.order"][oid]["write_date"] = (
            dt.datetime.now(dt.UTC).replace(tzinfo=None) - age)
    return str((await odoo.read("sale.order", [oid], ["name"]))[0]["name"])


async def test_capture_resumes_from_the_persisted_watermark(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    positions = SqlCursorPositions(engine)
    with OdooEmulator() as emu:
        settings = OdooSettings(url=emu.url, db=emu.db, user="admin", password="admin")
        odoo = await OdooClient(settings).connect()
        try:
            old = await _confirm_order(odoo, emu, dt.timedelta(minutes=30))
            recent = await _confirm_order(odoo, emu, dt.timedelta(minutes=5))
        finally:
            await odoo.close()

        first = OdooDesk(settings, ApplyPolicy(), positions)
        try:
            assert {c.order_ref for c in await first.poll_releases()} == {old, recent}
            assert await first.poll_releases() == []  # nothing new; this poll stored the first one's watermark
        finally:
            await first.close()
        stored = await positions.get(CAPTURE_CURSORS["release"][0])
        assert stored is not None
        newest = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
        assert abs(stored - newest.timestamp()) < 30

        # a restarted hub: the order inside the overlap window is read again (the ingest deduplicates its
        # release by event id), the older one is not
        restarted = OdooDesk(settings, ApplyPolicy(), positions)
        try:
            assert {c.order_ref for c in await restarted.poll_releases()} == {recent}
        finally:
            await restarted.close()
        # without persisted positions every confirmed order is read again
        forgetful = OdooDesk(settings, ApplyPolicy())
        try:
            assert {c.order_ref for c in await forgetful.poll_releases()} == {old, recent}
        finally:
            await forgetful.close()
        # the other captures have rows of their own (nothing captured yet: none written)
        assert await positions.get(CAPTURE_CURSORS["receipt"][0]) is None
    engine.dispose()
