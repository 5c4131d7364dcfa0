""""What is wrong with this shipment, and why" from the trace page alone, in a real browser (Playwright driving
Debian's Chromium) against a real hub on loopback with the Odoo emulator behind an ``odoo`` endpoint.

One shipment (``shp_tr_1``) collects three problems through the real ingest path: the WMS's ship confirmation
names a picking Odoo does not know, so the Odoo write is dead-lettered with Odoo's message; the WMS proposes a
tracking number the TMS owns (system-of-record matrix), so a conflict is recorded and the TMS's value kept; and
a milestone arrives after the proof of delivery, so the stale-event rules keep it as ``late:terminal`` and
filter its deliveries. The trace shows each, with its reason, next to the mapping result of every event."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from playwright.sync_api import expect

from tradelane.core.envelope import CloudEvent
from tradelane.core.examples import example
from tradelane.ports.delivery import DeliveryFilter
from tradelane.testing.browser import Screenshots, chromium_page, wait_until
from tradelane.testing.delivery import delivery_settings
from tradelane.testing.net import free_port
from tradelane.testing.odoo import OdooEmulator
from tradelane.testing.sink import WebhookSink

pytestmark = pytest.mark.e2e

SHIPMENT = "shp_tr_1"
#: a delivery order the emulated Odoo does not have
UNKNOWN_PICKING = "WH/OUT/NOPE"
OWNERSHIP = {"default": "allow", "entities": {"shipment": {"fields": {"tracking_number": "acme-tms"}}}}


def _milestone(n: int, source: str, milestone: str, minute: int, **data: Any) -> dict[str, Any]:
    body = example("tradelane.shipment.milestone.v1")
    body.update(shipment_id=SHIPMENT, **data)
    body["event"] = {**body["event"], "milestone": milestone, "occurred_at": f"2026-11-17T10:{minute:02d}:00Z"}
    return CloudEvent(id=f"ms-{source}-{n}", source=f"urn:test:{source}", type="tradelane.shipment.milestone.v1",
                      partitionkey=SHIPMENT, time=f"2026-11-17T10:{minute:02d}:00Z", data=body).to_wire()


def _shipped() -> dict[str, Any]:
    body = example("tradelane.shipment.shipped.v1")
    body.update(shipment_id=SHIPMENT, shipped_at="2026-11-17T09:00:00Z")
    body["shipment"] = {**body["shipment"], "shipment_id": SHIPMENT, "reference": UNKNOWN_PICKING}
    return CloudEvent(id="wms-ship-1", source="urn:test:wms", type="tradelane.shipment.shipped.v1",
                      partitionkey=SHIPMENT, time="2026-11-17T09:00:00Z", data=body).to_wire()


def _delivered() -> dict[str, Any]:
    body = example("tradelane.shipment.delivered.v1")
    body.update(shipment_id=SHIPMENT, tracking_number="TMS-1")
    body["pod"] = {**body["pod"], "delivered_at": "2026-11-17T12:00:00Z"}
    return CloudEvent(id="pod-1", source="urn:test:tms", type="tradelane.shipment.delivered.v1",
                      partitionkey=SHIPMENT, time="2026-11-17T12:00:00Z", data=body).to_wire()


@pytest.fixture
def traced(sqlite_url: str, tmp_path: Path, hub_server: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    emu = OdooEmulator(host="127.0.0.1", port=0, version="17.0", db="tradelane", fault_drop_ratio=0.0, seed=1)
    emu.start()
    sink = WebhookSink(port=free_port())
    try:
        for k, v in {"URL": emu.url, "DB": emu.db, "USER": emu.login, "PASSWORD": emu.password}.items():
            monkeypatch.setenv(f"TRADELANE_ODOO_{k}", v)
        running = hub_server(delivery_settings(
            tmp_path, sqlite_url,
            {"odoo": {"kind": "odoo"}, "archive": {"url": sink.url}},
            [
                {"name": "shipped-to-odoo", "events": ["tradelane.shipment.shipped.v1"], "destination": "odoo"},
                {"name": "to-archive", "events": ["tradelane.shipment.milestone.v1"], "destination": "archive"},
            ],
            ownership=OWNERSHIP, staleness={"enabled": True}, instance_name="trace-hub",
        ))
        running.call(sink.start())
        with httpx2.Client(base_url=running.base_url, timeout=30) as c:
            for tenant, ev in (
                ("acme-wms", _shipped()),
                ("acme-tms", _milestone(1, "tms", "departed_terminal", 10, tracking_number="TMS-1")),
                ("acme-wms", _milestone(2, "wms", "in_transit", 20, tracking_number="WMS-GUESS")),
                ("acme-tms", _delivered()),
                ("acme-tms", _milestone(3, "tms", "out_for_delivery", 30)),  # after the POD: late
            ):
                r = c.post("/v1/events", json=ev, headers={"Authorization": f"Bearer {running.key(tenant)}"})
                assert r.status_code == 201, r.text

        def dead() -> list[Any]:
            rows, _ = running.call(running.hub.store.list_deliveries(DeliveryFilter(status="dead"), 10))
            return list(rows)

        wait_until(lambda: len(dead()) == 1, "the Odoo write dead-lettered")
        wait_until(lambda: len(sink.effects) == 2, "two milestones at the archive")
        yield running
        running.call(sink.stop())
    finally:
        emu.stop()


def test_trace_shows_mapping_late_event_conflict_and_dead_odoo_write_with_reasons(traced: Any) -> None:
    admin = traced.key(None, ("admin",))
    with chromium_page(traced.base_url) as page:
        shot = Screenshots(page, "trace-why")
        page.goto(f"/ui/trace?q={SHIPMENT}")
        expect(page).to_have_url(re.compile(r"/ui/login\?next="))
        page.fill("#api_key", admin)
        page.click("button[type=submit]")
        expect(page).to_have_url(re.compile(r"/ui/trace\?q=" + SHIPMENT))
        expect(page.locator("#trace-summary")).to_contain_text("Matched as shipment: 5 events")
        timeline = page.locator("#timeline")
        # the mapping result of every event (these came as canonical events: no partner mapping file)
        expect(timeline.locator("[data-kind=mapping]")).to_have_count(5)
        expect(timeline.locator("[data-kind=mapping]").first).to_contain_text("no partner mapping")

        # the dead Odoo write: what was requested, Odoo's refusal, and the dead attempt
        odoo = timeline.locator("[data-kind=odoo]")
        expect(odoo).to_have_count(1)
        expect(odoo).to_contain_text("Odoo write via odoo (odoo): validate the delivery order")
        expect(odoo).to_contain_text("now dead")
        expect(odoo).to_contain_text(UNKNOWN_PICKING)
        expect(odoo.locator("details.request pre")).to_contain_text(UNKNOWN_PICKING, use_inner_text=False)
        expect(timeline.locator("[data-kind=attempt]", has_text="to Odoo (odoo): dead")).to_have_count(1)

        # the ownership decision: the WMS may not change the TMS's tracking number
        conflict = timeline.locator("[data-kind=conflict]")
        expect(conflict).to_have_count(1)
        expect(conflict).to_contain_text("acme-wms may not change shipment.tracking_number (owned by acme-tms)")
        expect(conflict).to_contain_text('kept "TMS-1", acme-wms proposed "WMS-GUESS"')

        # the late milestone: kept, not applied, its delivery filtered with the reason
        late = timeline.locator("[data-kind=late]")
        expect(late).to_have_count(1)
        expect(late).to_contain_text("late:terminal")
        expect(late).to_contain_text("already reached a final status")
        expect(timeline.locator("[data-kind=filtered]")).to_contain_text("late:terminal")

        # the summary at the top says all three in plain words, each linked to where to act
        panel = page.locator("#problems")
        expect(panel.locator("[data-finding=dead]")).to_contain_text("never reached odoo (Odoo)")
        expect(panel.locator("[data-finding=dead]")).to_contain_text(UNKNOWN_PICKING)
        expect(panel.locator("[data-finding=late]")).to_contain_text("arrived late and was not applied")
        expect(panel.locator("[data-finding=conflict]")).to_contain_text("belongs to acme-tms")
        shot("trace-what-is-wrong")

        # the conflict link opens the decision page
        panel.locator("[data-finding=conflict] a").click()
        expect(page).to_have_url(re.compile(r"/ui/conflicts/"))
        expect(page.locator("#conflict-status")).to_have_text("open")
        shot("conflict-from-trace")
