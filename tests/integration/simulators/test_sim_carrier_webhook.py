"""The carrier connector against the carrier simulator over real loopback HTTP: signed tracking webhooks
(milestones, a delay with its reason, proof of delivery with a signature image) mapped to canonical events."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

import httpx2
import pytest

from tradelane.connectors.carrier_webhook import CarrierWebhookConnector, CarrierWebhookSettings
from tradelane.core.envelope import CloudEvent
from tradelane.core.errors import MappingError
from tradelane.core.registry import registry
from tradelane.delivery.signing import SignatureError, generate_secret
from tradelane.testing.simulators import CallbackReceiver, receiving, template_xrefs
from tradelane.testing.simulators.carrier import CarrierSimulator

TRACKING = "RHN7781934420"  # known to the template's cross references


def data(event: CloudEvent) -> dict[str, Any]:
    wire: dict[str, Any] = event.to_wire()["data"]
    return wire


async def run_journey(**sim_options: Any) -> tuple[CarrierSimulator, list[CloudEvent], list[Exception],
                                                   CallbackReceiver]:
    secret = generate_secret()
    connector = CarrierWebhookConnector(CarrierWebhookSettings(webhook_secrets=secret),
                                        template_xrefs("carrier-webhook"))
    events: list[CloudEvent] = []
    problems: list[Exception] = []
    receiver = await CallbackReceiver(receiving(connector.receive, events, problems)).start()
    sim = CarrierSimulator(secret=sim_options.pop("secret", secret), callback_url=receiver.url, seed=3,
                           api_key="carrier-key", **sim_options)
    await sim.start()
    return sim, events, problems, receiver


async def test_a_journey_becomes_milestones_a_delay_and_a_delivery_with_its_proof() -> None:
    sim, events, problems, receiver = await run_journey()
    try:
        async with httpx2.AsyncClient(base_url=sim.url, headers={"X-Api-Key": "carrier-key"}) as client:
            res = await client.post("/api/v1/shipments", json={"trackingNumber": TRACKING})
            assert res.status_code == 201
            await sim.settle()
            scans = (await client.get(f"/api/v1/tracking/{TRACKING}")).json()["scans"]
        assert not problems
        milestones = [e for e in events if e.type == "tradelane.shipment.milestone.v1"]
        assert len(milestones) == len(scans) == 6
        assert [data(e)["event"]["milestone"] for e in milestones] == [
            "picked_up", "departed", "arrived_at_terminal", "delayed", "departed_terminal", "out_for_delivery"]
        delay = data(milestones[3])["event"]
        assert delay["reason"] == "weather delay" and delay["reason_code"] == "WX"
        assert delay["estimated_delivery_at"].endswith("Z")
        assert [e.sequence for e in milestones] == [1, 2, 3, 4, 5, 6]
        delivered = events[-1]
        assert delivered.type == "tradelane.shipment.delivered.v1"
        pod = data(delivered)["pod"]
        (image,) = pod["documents"]
        content = base64.b64decode(image["content"])
        assert content.startswith(b"<svg") and hashlib.sha256(content).hexdigest() == image["sha256"]
        assert pod["signee"] == "M. Schneider"
        for event in events:
            typed = registry.typed_envelope(event.type)
            assert typed is not None
            typed.model_validate(event.to_wire())
            assert data(event)["shipment_id"] == "shp_so0042_1"
        assert len(receiver.requests) == 6  # two scans travelled in the first webhook
    finally:
        await sim.stop()
        await receiver.stop()


async def test_the_journey_is_the_same_for_the_same_seed() -> None:
    runs = []
    for _ in range(2):
        sim, events, _, receiver = await run_journey()
        try:
            await sim.journey(TRACKING)
            runs.append([json.loads(body) for _, body, _ in receiver.requests])
        finally:
            await sim.stop()
            await receiver.stop()
    for a, b in zip(runs[0], runs[1], strict=True):
        for doc in (a, b):
            for scan in doc.get("scans", []):
                scan.pop("scannedAt"), scan.pop("eta", None)
            doc.get("pod", {}).pop("signedAt", None)
        assert a == b


async def test_webhooks_signed_with_another_secret_are_refused_and_not_mapped() -> None:
    sim, events, problems, receiver = await run_journey(secret=generate_secret(), exception_ratio=0.0)
    try:
        await sim.journey(TRACKING)
        assert events == [] and problems and all(isinstance(p, SignatureError) for p in problems)
        assert all(cb.statuses == [401] for cb in sim.callbacks)
    finally:
        await sim.stop()
        await receiver.stop()


async def test_an_unknown_tracking_number_is_a_mapping_error_naming_the_field() -> None:
    sim, events, problems, receiver = await run_journey(exception_ratio=0.0)
    try:
        await sim.journey("RHN0000000000")
        assert events == [] and len(problems) == len(sim.callbacks)
        first = problems[0]
        assert isinstance(first, MappingError)
        assert {p.path for p in first.problems} == {"events[0].data.shipment_id", "events[1].data.shipment_id"}
        assert {cb.statuses[-1] for cb in sim.callbacks} == {422}
    finally:
        await sim.stop()
        await receiver.stop()


@pytest.mark.parametrize("status", ["TELEPORTED"])
async def test_an_unknown_status_names_the_scan(status: str) -> None:
    connector = CarrierWebhookConnector(CarrierWebhookSettings(), template_xrefs("carrier-webhook"))
    doc = {"topic": "tracking.updated", "deliveryId": "whk_1", "trackingNumber": TRACKING,
           "scans": [{"scanId": "s1", "seq": 1, "status": "PICKED_UP", "scannedAt": "2026-11-16T15:41:00+01:00"},
                     {"scanId": "s2", "seq": 2, "status": status, "scannedAt": "2026-11-16T17:00:00+01:00"}]}
    with pytest.raises(MappingError) as info:
        await connector.hooks.parse_tracking({}, json.dumps(doc).encode())
    assert [(p.path, p.code, p.value) for p in info.value.problems] == [
        ("events[1].data.event.milestone", "code_table", status)]
