"""The portal connector and the portal simulator over real loopback HTTP: orders and amendments posted by the
portal become canonical order events; shipment status published by the hub reaches the portal."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tradelane.connectors.portal_api import PortalApiConnector, PortalApiSettings
from tradelane.core.envelope import CloudEvent
from tradelane.core.errors import MappingError, TransientError
from tradelane.core.registry import registry
from tradelane.delivery.signing import generate_secret
from tradelane.mapping.loader import template_dir
from tradelane.ports.xref import XrefEntry
from tradelane.testing.simulators import CallbackReceiver, receiving, template_xrefs
from tradelane.testing.simulators.portal import PortalSimulator


def data(event: CloudEvent) -> dict[str, Any]:
    wire: dict[str, Any] = event.to_wire()["data"]
    return wire


def sample_event(name: str) -> CloudEvent:
    return CloudEvent.model_validate(json.loads(template_dir("portal").joinpath("samples", name).read_text()))


class Rig:
    def __init__(self, **sim_options: Any) -> None:
        self.secret = generate_secret()
        self.events: list[CloudEvent] = []
        self.problems: list[Exception] = []
        self.portal = PortalSimulator(secret=self.secret, api_key="portal-key", seed=4, **sim_options)

    async def __aenter__(self) -> Rig:
        await self.portal.start()
        settings = PortalApiSettings(base_url=self.portal.url, api_key="portal-key", webhook_secrets=self.secret)
        self.xrefs = template_xrefs("portal")
        self.connector = PortalApiConnector(settings, self.xrefs)
        self.hub = await CallbackReceiver(receiving(self.connector.receive, self.events, self.problems)).start()
        self.portal.callback_url = self.hub.url
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.portal.stop()
        await self.hub.stop()
        await self.connector.aclose()


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    async with Rig() as r:
        yield r


async def test_orders_and_amendments_from_the_portal_become_order_events(rig: Rig) -> None:
    sent = await rig.portal.submit_order([("NZ-ESP-1KG", 24), ("NZ-FIL-250", 2)], order_no="WEB-88213")
    assert sent.statuses == [200]
    assert data(rig.events[0])["order_id"] == "WEB-88213"  # no canonical id yet: the portal's number is kept
    # the hub creates the order (in Odoo) and records its canonical id against the portal's number
    await rig.xrefs.put(XrefEntry("hub", "cafe-central-portal", "order", "WEB-88213", "ord_web88213", 4211))
    amended = await rig.portal.amend_order("WEB-88213", {"NZ-ESP-1KG": 36}, reason="Christmas market")
    assert amended.statuses == [200] and not rig.problems
    created, changed = rig.events
    for event in rig.events:
        typed = registry.typed_envelope(event.type)
        assert typed is not None
        typed.model_validate(event.to_wire())
    assert created.type == "tradelane.order.created.v1" and changed.type == "tradelane.order.amended.v1"
    order = data(created)["order"]
    assert order["party_id"] == "party_cafe_central" and order["ship_to"]["country"] == "DE"
    assert [(ln["product"]["sku"], ln["quantity"]) for ln in order["lines"]] == [
        ("NZ-ESP-1KG", {"value": "24", "unit": "EA"}), ("NZ-FIL-250", {"value": "2", "unit": "CS"})]
    assert data(changed)["order_id"] == "ord_web88213"
    assert data(changed)["changed_fields"] == ["lines[0].quantity"]
    assert data(changed)["order"]["lines"][0]["quantity"]["value"] == "36"


async def test_an_order_from_an_unknown_account_is_refused_naming_the_field(rig: Rig) -> None:
    rig.portal.account = "C-99999"
    sent = await rig.portal.submit_order()
    assert sent.statuses == [422] and rig.events == []
    (error,) = rig.problems
    assert isinstance(error, MappingError)
    assert [(p.path, p.code, p.value) for p in error.problems] == [("data.order.party_id", "xref", "C-99999")]


async def test_status_is_published_to_the_portal(rig: Rig) -> None:
    for name in ("shipment_milestone.json", "shipment_delivered.json"):
        parsed = await rig.connector.publish_status(sample_event(name))
        assert [m.code for m in parsed.messages] == ["204"]
    milestone, delivered = rig.portal.statuses
    assert milestone["shipment"] == "SO0042/1" and milestone["status"] == "LEFT_DEPOT"
    assert milestone["place"] == "Duisburg (DE)" and milestone["at"] == "2026-11-17T21:48:00+01:00"
    assert delivered["status"] == "DELIVERED" and delivered["signedBy"] == "M. Schneider"
    requests = [r for r in rig.portal.received if r.path == "/api/status"]
    assert [r.headers["idempotency-key"] for r in requests] == ["evt-hub-000314", "evt-hub-000315"]


async def test_an_event_the_portal_does_not_take_is_a_mapping_error(rig: Rig) -> None:
    released = json.loads(template_dir("wms-rest").joinpath("samples", "order_released.json").read_text())
    with pytest.raises(MappingError) as info:
        await rig.connector.publish_status(CloudEvent.model_validate(released))
    assert info.value.problems[0].path == "operation"
    assert rig.portal.statuses == []


async def test_a_portal_outage_is_transient() -> None:
    async with Rig(fail_ratio=1.0) as r:
        with pytest.raises(TransientError):
            await r.connector.publish_status(sample_event("shipment_milestone.json"))
