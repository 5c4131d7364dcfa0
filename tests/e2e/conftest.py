"""The web scenario shared by the browser and HTTP tests: a real hub on SQLite behind uvicorn on loopback,
two loopback webhook sinks (``wms`` answers 200; ``tms`` answers 422 until the test fixes it, so its
deliveries are dead-lettered), and events of two customers (``acme``, ``globex``).

The business board sees: one order confirmed and never released (``ord_acme_9``); two shipments in transit
past their ETA and silent for weeks (``shp_acme_1``, ``shp_globex_1``); one shipment delivered with a POD
and no carrier invoice (``shp_acme_2``); one freight charge no route posts. The flow catalogue has an SLA
"ETA change → delivered within 1s", so both ETA changes breach it and open an exception owned by
``transport`` (found by the flow runtime's real SLA loop)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import pytest

from tradelane.core.envelope import CloudEvent
from tradelane.core.examples import example
from tradelane.testing.browser import wait_until
from tradelane.testing.delivery import delivery_settings
from tradelane.testing.net import free_port
from tradelane.testing.sink import WebhookSink


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "e2e: web control tower and portal tests (make e2e)")


#: the SLA of the scenario's flow catalogue
FLOWS = {
    "carrier-tracking": {
        "description": "carrier updates until delivery",
        "owner_team": "transport",
        "slas": [{
            "name": "eta-to-delivery", "start": "tradelane.shipment.eta_changed.v1",
            "stop": "tradelane.shipment.delivered.v1", "within": "1s", "key": "partitionkey",
            "entity": "shipment",
        }],
    },
    # a batch flow whose runs the tests record by hand (no job is registered for it, so it never fires)
    "freight-audit": {"owner_team": "finance", "mode": "batch", "cron": "0 3 1 1 *"},
}


def _event(kind: str, key: str, n: int, **data: Any) -> dict[str, Any]:
    etype = {"freight": "tradelane.freight.charged.v1", "order": "tradelane.order.confirmed.v1"}.get(
        kind, f"tradelane.shipment.{kind}.v1"
    )
    body = example(etype)
    if kind == "order":
        body["order_id"] = body["order"]["order_id"] = key
        return CloudEvent(id=f"{kind}-{key}-{n}", source="urn:test:odoo", type=etype, partitionkey=key,
                          data=body).to_wire()
    body["shipment_id"] = key
    body.update(data)
    return CloudEvent(id=f"{kind}-{key}-{n}", source="urn:test:carrier", type=etype, partitionkey=key,
                      correlationid=f"order-{key.removeprefix('shp_')}", data=body).to_wire()


@dataclass
class WebScenario:
    running: Any
    good: WebhookSink
    bad: WebhookSink
    #: what the ``tms`` sink answers: an HTTP status, or ``None`` for "accept"
    tms_answer: dict[str, int | None]
    admin_key: str
    acme_portal: str
    globex_portal: str
    acme_partner: str
    #: an operator key with the ``viewer`` scope only (read-only)
    viewer_key: str

    @property
    def base_url(self) -> str:
        return str(self.running.base_url)

    def dead(self) -> list[Any]:
        from tradelane.ports.delivery import DeliveryFilter

        rows, _ = self.running.call(self.running.hub.store.list_deliveries(DeliveryFilter(status="dead"), 100))
        return list(rows)

    def open_exceptions(self) -> list[Any]:
        from tradelane.ports.flows import ExceptionFilter

        rows, _ = self.running.call(self.running.hub.flows.exceptions.list(ExceptionFilter(status="open"), 100))
        return list(rows)


def viewer_key(running: Any) -> str:
    """A read-only control-tower key (scope ``viewer``), stored directly: the key ring does not issue role
    scopes yet."""
    from datetime import UTC, datetime

    from tradelane.ports.store import ApiKeyRecord
    from tradelane.security.apikeys import generate_key, hash_key

    parsed = generate_key("op")
    rec = ApiKeyRecord(key_id=parsed.key_id, name="viewer", tenant=None,
                       key_hash=hash_key(running.hub.settings.resolved_secret_key(), parsed.full),
                       scopes=("viewer",), created_at=datetime.now(UTC))
    running.call(running.hub.store.add_api_key(rec))
    return str(parsed.full)


@pytest.fixture
def web(sqlite_url: str, tmp_path: Path, hub_server: Any) -> Iterator[WebScenario]:
    answer: dict[str, int | None] = {"status": 422}
    good = WebhookSink(port=free_port())
    bad = WebhookSink(port=free_port(), status_for=lambda doc: answer["status"])
    running = hub_server(
        delivery_settings(
            tmp_path,
            sqlite_url,
            {"wms": {"url": good.url}, "tms": {"url": bad.url}},
            [
                {"name": "to-wms", "events": ["tradelane.shipment.*"], "destination": "wms"},
                {"name": "to-tms", "events": ["tradelane.shipment.eta_changed.v1"], "destination": "tms"},
                {
                    "name": "pod-archive",
                    "events": ["tradelane.shipment.milestone.v1"],
                    "filter": "data.event.milestone == 'delivered'",
                    "destination": "wms",
                },
            ],
            instance_name="e2e-hub",
            flows=FLOWS,
            flow_runtime={"settle_s": 0, "sla_interval_s": 0.2},
            # the tests change data behind the pages' back and look at once: no cached board or charts
            # (tests/e2e/test_web_cache.py covers the cache)
            web={"board": {"cache_ttl_s": 0}},
        )
    )
    running.call(good.start())
    running.call(bad.start())
    scenario = WebScenario(
        running=running,
        good=good,
        bad=bad,
        tms_answer=answer,
        admin_key=running.key(None, ("admin",)),
        acme_portal=running.key("acme", ("portal",)),
        globex_portal=running.key("globex", ("portal",)),
        acme_partner=running.key("acme"),
        viewer_key=viewer_key(running),
    )
    globex_partner = running.key("globex")
    acme = [
        _event("milestone", "shp_acme_1", 1,
               event={"milestone": "departed_terminal", "occurred_at": "2026-11-17T21:48:00+01:00",
                      "address": {"city": "Duisburg", "country": "DE"},
                      "estimated_delivery_at": "2026-11-18T09:00:00+01:00"}),
        _event("eta_changed", "shp_acme_1", 2),
        _event("freight", "shp_acme_1", 3),
        _event("delivered", "shp_acme_2", 1),
        _event("order", "ord_acme_9", 1),
    ]
    globex = [
        _event("milestone", "shp_globex_1", 1,
               event={"milestone": "picked_up", "occurred_at": "2026-11-16T10:00:00+01:00",
                      "address": {"city": "Lyon", "country": "FR"}}),
        _event("eta_changed", "shp_globex_1", 2),
    ]
    with httpx2.Client(base_url=running.base_url, timeout=30) as c:
        for key, batch in ((scenario.acme_partner, acme), (globex_partner, globex)):
            r = c.post("/v1/events/batch", json=batch, headers={"Authorization": f"Bearer {key}"})
            assert r.status_code == 201, r.text
    # both eta_changed events are dead at tms; every other routed delivery reaches wms
    wait_until(lambda: len(scenario.dead()) == 2, "two dead deliveries")
    wait_until(lambda: len(good.effects) == 5, "five deliveries at the wms sink")
    # the SLA loop breaches both "ETA change → delivered" timers and opens their exceptions
    wait_until(lambda: len(scenario.open_exceptions()) == 2, "two SLA exceptions")
    try:
        yield scenario
    finally:
        running.call(good.stop())
        running.call(bad.stop())
