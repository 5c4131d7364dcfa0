"""The TMS connector against the TMS simulator over real loopback HTTP: a tender out; the decision (with the
carrier assigned), milestones, an ETA change and freight charges in, mapped to valid canonical events."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tradelane.connectors.tms_rest import TmsRestConnector, TmsRestSettings
from tradelane.core.envelope import CloudEvent
from tradelane.core.errors import MappingError, TransientError
from tradelane.core.registry import registry
from tradelane.delivery.signing import generate_secret
from tradelane.mapping.loader import template_dir
from tradelane.testing.simulators import CallbackReceiver, receiving, template_xrefs
from tradelane.testing.simulators.tms import TmsSimulator

API_KEY = "tms-test-key"


def tender_event() -> CloudEvent:
    doc = json.loads(template_dir("tms-rest").joinpath("samples", "shipment_tendered.json").read_text())
    return CloudEvent.model_validate(doc)


def data(event: CloudEvent) -> dict[str, Any]:
    wire: dict[str, Any] = event.to_wire()["data"]
    return wire


class Rig:
    def __init__(self, **sim_options: Any) -> None:
        self.secret = generate_secret()
        self.events: list[CloudEvent] = []
        self.problems: list[Exception] = []
        self.sim = TmsSimulator(secret=self.secret, api_key=API_KEY, seed=5, **sim_options)

    async def __aenter__(self) -> Rig:
        await self.sim.start()
        settings = TmsRestSettings(base_url=self.sim.url, api_key=API_KEY, webhook_secrets=self.secret)
        self.connector = TmsRestConnector(settings, template_xrefs("tms-rest"))
        self.receiver = await CallbackReceiver(receiving(self.connector.receive, self.events, self.problems)).start()
        self.sim.callback_url = self.receiver.url
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.sim.stop()
        await self.receiver.stop()
        await self.connector.aclose()


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    async with Rig() as r:
        yield r


async def test_an_accepted_tender_is_reported_from_booking_to_charges(rig: Rig) -> None:
    parsed = await rig.connector.tender(tender_event())
    assert [m.severity for m in parsed.messages] == ["info"]
    (req,) = rig.sim.received
    assert req.body["shipperRef"] == "SO0042-1" and req.body["carrierScac"] == "RHNS"  # via cross references
    assert req.body["mode"] == "LTL" and req.body["respondBy"] == 1794740400  # epoch seconds
    await rig.sim.settle()
    assert not rig.problems
    types = [e.type for e in rig.events]
    assert types[0] == "tradelane.shipment.booked.v1" and types[-1] == "tradelane.freight.charged.v1"
    assert types.count("tradelane.shipment.milestone.v1") == 6
    assert types.count("tradelane.shipment.eta_changed.v1") == 1
    for event in rig.events:
        typed = registry.typed_envelope(event.type)
        assert typed is not None
        typed.model_validate(event.to_wire())
        assert data(event)["shipment_id"] == "shp_so0042_1"
    booked = data(rig.events[0])
    assert booked["carrier_id"] == "party_rhenus" and booked["tender_id"] == "tnd_so0042_1_a"
    milestones = [data(e)["event"]["milestone"] for e in rig.events if e.type.endswith("milestone.v1")]
    assert milestones == ["arrived_at_pickup", "picked_up", "departed", "in_transit", "arrived", "delivered"]
    sequences = [e.sequence for e in rig.events if e.type.endswith("milestone.v1")]
    assert sequences == [1, 2, 3, 4, 5, 6]
    eta = data(next(e for e in rig.events if e.type.endswith("eta_changed.v1")))
    assert eta["new_eta"] > eta["previous_eta"]
    charges = data(rig.events[-1])["charges"]
    assert [c["kind"] for c in charges] == ["base", "accessorial", "accessorial"]
    assert [c.get("accessorial") for c in charges] == [None, "fuel", "liftgate"]
    assert charges[1]["amount"] == {"amount": "27.56", "currency": "EUR"}  # 13 % of the 212.00 offered


async def test_a_rejected_tender_names_the_reason_and_nothing_follows() -> None:
    async with Rig(reject_ratio=1.0) as r:
        await r.connector.tender(tender_event())
        await r.sim.settle()
        (event,) = r.events
        assert event.type == "tradelane.shipment.tender_rejected.v1"
        assert data(event)["reason"] == "no capacity on the requested date" and data(event)["reason_code"] == "CAP"


async def test_a_repeated_tender_is_acknowledged_once(rig: Rig) -> None:
    await rig.connector.tender(tender_event())
    again = await rig.connector.tender(tender_event())
    assert [m.code for m in again.messages] == ["409"]
    await rig.sim.settle()
    assert sum(e.type.endswith("booked.v1") for e in rig.events) == 1


async def test_outages_are_transient() -> None:
    async with Rig(fail_ratio=1.0) as r:
        with pytest.raises(TransientError, match="HTTP 500"):
            await r.connector.tender(tender_event())
        assert r.sim.failures_injected == 1 and r.sim.tenders == {}


async def test_a_tender_that_cannot_be_mapped_names_the_field(rig: Rig) -> None:
    doc = tender_event().to_wire()
    doc["data"]["carrier_id"] = "party_unknown"
    with pytest.raises(MappingError) as info:
        await rig.connector.tender(CloudEvent.model_validate(doc))
    assert [(p.path, p.code) for p in info.value.problems] == [("document.carrierScac", "xref")]
    assert rig.sim.received == []  # nothing half-sent


async def test_a_bad_callback_names_the_field(rig: Rig) -> None:
    doc = json.loads(template_dir("tms-rest").joinpath("samples", "milestone.json").read_text())
    doc["code"] = "ZZ"
    with pytest.raises(MappingError) as info:
        await rig.connector.hooks.parse_tracking({}, json.dumps(doc).encode())
    assert [(p.path, p.code, p.value) for p in info.value.problems] == [("data.event.milestone", "code_table", "ZZ")]
