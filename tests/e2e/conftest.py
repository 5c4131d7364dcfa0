"""The web scenario shared by the browser and HTTP tests: a real hub on SQLite behind uvicorn on loopback,
two loopback webhook sinks (``wms`` answers 200; ``tms`` answers 422 until the test fixes it, so its
deliveries are dead-lettered), and events of two customers (``acme``, ``globex``)."""

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


def _event(kind: str, key: str, n: int, **data: Any) -> dict[str, Any]:
    etype = f"tradelane.shipment.{kind}.v1" if kind != "freight" else "tradelane.freight.charged.v1"
    body = example(etype)
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

    @property
    def base_url(self) -> str:
        return str(self.running.base_url)

    def dead(self) -> list[Any]:
        from tradelane.ports.delivery import DeliveryFilter

        rows, _ = self.running.call(self.running.hub.store.list_deliveries(DeliveryFilter(status="dead"), 100))
        return list(rows)


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
    )
    globex_partner = running.key("globex")
    acme = [
        _event("milestone", "shp_acme_1", 1,
               event={"milestone": "departed_terminal", "occurred_at": "2026-11-17T21:48:00+01:00",
                      "address": {"city": "Duisburg", "country": "DE"},
                      "estimated_delivery_at": "2026-11-18T09:00:00+01:00"}),
        _event("eta_changed", "shp_acme_1", 2),
        _event("freight", "shp_acme_1", 3),
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
    wait_until(lambda: len(good.effects) == 4, "four deliveries at the wms sink")
    try:
        yield scenario
    finally:
        running.call(good.stop())
        running.call(bad.stop())
