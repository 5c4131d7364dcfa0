"""The WMS connector against the WMS simulator over real loopback HTTP: order release out, signed pick, pack
and ship callbacks in and mapped to valid canonical events; stock read back; faults injected."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from tradelane.connectors.wms_rest import WmsRestConnector, WmsRestSettings
from tradelane.core.envelope import CloudEvent
from tradelane.core.errors import BusinessError, MappingError, TransientError
from tradelane.core.registry import registry
from tradelane.delivery.signing import SignatureError, generate_secret
from tradelane.mapping.loader import template_dir
from tradelane.testing.simulators import CallbackReceiver, receiving, template_xrefs
from tradelane.testing.simulators.wms import WmsSimulator

API_KEY = "wms-test-key"


def release_event(**changes: Any) -> CloudEvent:
    doc = json.loads(template_dir("wms-rest").joinpath("samples", "order_released.json").read_text())
    doc["data"].update(changes)
    return CloudEvent.model_validate(doc)


def data(event: CloudEvent) -> dict[str, Any]:
    wire: dict[str, Any] = event.to_wire()["data"]
    return wire


def assert_canonical(event: CloudEvent) -> None:
    typed = registry.typed_envelope(event.type)
    assert typed is not None
    typed.model_validate(event.to_wire())


@dataclass
class Rig:
    sim: WmsSimulator
    connector: WmsRestConnector
    receiver: CallbackReceiver
    events: list[CloudEvent]
    problems: list[Exception]


async def make_rig(secret: str | None = None, **sim_options: Any) -> Rig:
    secret = secret or generate_secret()
    events: list[CloudEvent] = []
    problems: list[Exception] = []
    sim = WmsSimulator(secret=secret, api_key=API_KEY, seed=11, **sim_options)
    await sim.start()
    settings = WmsRestSettings(base_url=sim.url, api_key=API_KEY, webhook_secrets=secret)
    connector = WmsRestConnector(settings, template_xrefs("wms-rest"))
    receiver = await CallbackReceiver(receiving(connector.receive, events, problems)).start()
    sim.callback_url = receiver.url
    return Rig(sim, connector, receiver, events, problems)


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    r = await make_rig()
    yield r
    await r.sim.stop()
    await r.receiver.stop()
    await r.connector.aclose()


async def test_release_is_acknowledged_then_confirmed_by_signed_callbacks(rig: Rig) -> None:
    parsed = await rig.connector.release_order(release_event())
    assert [m.severity for m in parsed.messages] == ["info"] and parsed.mapping_version == "acme-wms@1"
    (req,) = [r for r in rig.sim.received if r.path == "/api/v1/orders"]
    assert req.status == 202 and req.headers["idempotency-key"] == "evt-odoo-000311"
    assert req.body["orderNo"] == "SO0042" and req.body["siteCode"] == "RTM1"  # canonical id → WMS site code
    assert [(ln["sku"], ln["qty"], ln["uom"]) for ln in req.body["lines"]] == [
        ("NZ-ESP-1KG", 24, "PCS"), ("NZ-FIL-250", 2, "CTN")]  # canonical units → WMS units
    await rig.sim.settle()
    assert not rig.problems
    assert [e.type for e in rig.events] == [
        "tradelane.shipment.picked.v1", "tradelane.shipment.packed.v1", "tradelane.shipment.shipped.v1"]
    for event in rig.events:
        assert_canonical(event)
        assert data(event)["shipment_id"] == "shp_so0042_1"  # WH/OUT/00042 through the xref table
        assert event.source == "/partners/acme-wms"
    picked, packed, shipped = rig.events
    assert sum(float(lot["quantity"]["value"]) for lot in data(picked)["lines"][0]["lots"]) == 24
    ssccs = [hu["sscc"] for hu in data(packed)["handling_units"]]
    assert len(ssccs) == 2 and all(len(s) == 18 for s in ssccs)
    shipment = data(shipped)["shipment"]
    assert shipment["carrier_id"] == "party_rhenus" and shipment["ship_from"]["location_id"] == "loc_dc_rtm"
    assert [hu["sscc"] for hu in shipment["handling_units"]] == ssccs
    assert {line["sscc"] for line in shipment["lines"]} == set(ssccs)


async def test_a_repeated_release_is_known_and_sends_no_second_set_of_callbacks(rig: Rig) -> None:
    await rig.connector.release_order(release_event())
    again = await rig.connector.release_order(release_event())
    assert [m.code for m in again.messages] == ["409"] and again.messages[0].severity == "info"
    await rig.sim.settle()
    assert len(rig.events) == 3


async def test_refusal_is_data_and_deliver_turns_it_into_a_business_error(rig: Rig) -> None:
    event = release_event(lines=[{"line_id": "1", "product": {"sku": "NZ-UNKNOWN"},
                                  "quantity": {"value": "1", "unit": "EA"}}])
    parsed = await rig.connector.release_order(event)
    assert [(m.code, m.severity) for m in parsed.messages] == [("UNKNOWN_SKU", "error")]
    assert "lines[0].sku" in parsed.messages[0].text
    from datetime import UTC, datetime

    from tradelane.ports.delivery import ClaimedDelivery

    delivery = ClaimedDelivery("dlv_1", "hub", "hub_1", "wms", "wms", "critical", None, 0, 1,
                               datetime.now(UTC), event.to_wire())
    with pytest.raises(BusinessError, match="UNKNOWN_SKU"):
        await rig.connector.deliver(delivery)


async def test_the_delivery_attempt_records_the_mapping_version_used(rig: Rig) -> None:
    """Through the delivery engine's ``CallableSender``: the attempt's response excerpt names the mapping
    (``partner@version``) the outbound document was built with — on success and on a partner's refusal."""
    import orjson

    from tradelane.delivery.senders import CallableSender
    from tradelane.ports.delivery import ClaimedDelivery

    sender = CallableSender(rig.connector.deliver)

    def delivery(event: CloudEvent) -> ClaimedDelivery:
        return ClaimedDelivery("dlv_1", "hub", "hub_1", "wms", "wms", "critical", None, 0, 1,
                               datetime.now(UTC), event.to_wire())

    done = await sender.send(delivery(release_event()))
    assert done.outcome == 200 and done.excerpt is not None
    assert orjson.loads(done.excerpt) == {"mapping": "acme-wms@1"}
    refused = await sender.send(delivery(release_event(lines=[
        {"line_id": "1", "product": {"sku": "NZ-UNKNOWN"}, "quantity": {"value": "1", "unit": "EA"}}])))
    assert refused.outcome == 422 and "UNKNOWN_SKU" in (refused.detail or "")
    assert refused.excerpt is not None and orjson.loads(refused.excerpt) == {"mapping": "acme-wms@1"}


async def test_inventory_snapshot_is_read_and_mapped(rig: Rig) -> None:
    parsed = await rig.connector.fetch_inventory("RTM1")
    (event,) = parsed.events
    assert_canonical(event)
    assert event.type == "tradelane.inventory.snapshot.v1" and data(event)["location_id"] == "loc_dc_rtm"
    assert data(event)["complete"] is True
    levels = {lv["product"]["sku"]: lv["on_hand"]["value"] for lv in data(event)["levels"]}
    assert levels["NZ-ESP-1KG"] == "412"


async def test_shipped_goods_leave_the_stock_snapshot(rig: Rig) -> None:
    await rig.connector.release_order(release_event())
    await rig.sim.settle()
    event = (await rig.connector.fetch_inventory("RTM1")).events[0]
    levels = {lv["product"]["sku"]: lv["on_hand"]["value"] for lv in data(event)["levels"]}
    assert levels["NZ-ESP-1KG"] == "388" and levels["NZ-FIL-250"] == "36"


async def test_partial_picks_are_shipped_short() -> None:
    r = await make_rig(short_pick_ratio=1.0)
    try:
        await r.connector.release_order(release_event())
        await r.sim.settle()
        picked = r.events[0]
        qty = {ln["product"]["sku"]: float(ln["quantity"]["value"]) for ln in data(picked)["lines"]}
        assert qty == {"NZ-ESP-1KG": 18.0, "NZ-FIL-250": 1.0}
        shipped = data(r.events[2])["shipment"]["lines"]
        assert [float(ln["quantity"]["value"]) for ln in shipped] == [18.0, 1.0]
    finally:
        await r.sim.stop()
        await r.receiver.stop()
        await r.connector.aclose()


async def test_duplicate_callbacks_map_to_the_same_event_ids() -> None:
    r = await make_rig(duplicate_callbacks=True)
    try:
        await r.connector.release_order(release_event())
        await r.sim.settle()
        assert len(r.receiver.requests) == 6 and len(r.events) == 6
        ids = [e.id for e in r.events]
        assert len(set(ids)) == 3  # the hub's (source, id) dedupe drops the repeats
        webhook_ids = [h["webhook-id"] for h, _, _ in r.receiver.requests]
        assert len(set(webhook_ids)) == 3
    finally:
        await r.sim.stop()
        await r.receiver.stop()
        await r.connector.aclose()


async def test_injected_500s_are_transient_errors_and_a_retry_gets_through() -> None:
    r = await make_rig(fail_ratio=0.5)
    try:
        failures = 0
        for _ in range(40):
            try:
                await r.connector.release_order(release_event())
                break
            except TransientError:
                failures += 1
        else:
            pytest.fail("no attempt got through")
        assert r.sim.failures_injected == failures
        await r.sim.settle()
        assert len(r.events) == 3
    finally:
        await r.sim.stop()
        await r.receiver.stop()
        await r.connector.aclose()


async def test_callbacks_signed_with_another_secret_are_refused() -> None:
    r = await make_rig()
    r.sim.secret = generate_secret()
    try:
        await r.connector.release_order(release_event())
        await r.sim.settle()
        assert r.events == [] and len(r.problems) == 3
        assert all(isinstance(p, SignatureError) for p in r.problems)
        assert {s for _, _, s in r.receiver.requests} == {401}
    finally:
        await r.sim.stop()
        await r.receiver.stop()
        await r.connector.aclose()


async def test_a_bad_callback_is_a_mapping_error_naming_the_field(rig: Rig) -> None:
    doc = json.loads(template_dir("wms-rest").joinpath("samples", "pick_confirm.json").read_text())
    doc["lines"][0]["qtyPicked"] = "two dozen"
    with pytest.raises(MappingError) as info:
        await rig.connector.hooks.parse_pick_confirm({}, json.dumps(doc).encode())
    assert [(p.path, p.code) for p in info.value.problems] == [("data.lines[0].quantity.value", "type")]
    with pytest.raises(MappingError) as info:
        await rig.connector.hooks.parse_pack_confirm({}, json.dumps(doc).encode())
    assert info.value.problems[0].path == "operation"
    with pytest.raises(MappingError) as info:
        await rig.connector.hooks.parse({}, b"{not json")
    assert info.value.problems[0].path == "body"


async def test_wrong_api_key_is_an_auth_error(rig: Rig) -> None:
    from tradelane.core.errors import AuthError

    settings = WmsRestSettings(base_url=rig.sim.url, api_key="wrong")
    other = WmsRestConnector(settings, template_xrefs("wms-rest"))
    try:
        with pytest.raises(AuthError):
            await other.release_order(release_event())
    finally:
        await other.aclose()


async def test_the_wms_receives_only_what_the_ownership_matrix_lets_it() -> None:
    from tradelane.routing.ownership import OwnershipMatrix

    matrix = OwnershipMatrix.from_config({"receive": {"wms": {"order": {"deny": ["ship_by", "lines[*].product.name"]}}}})
    sim = await WmsSimulator(api_key=API_KEY, seed=3).start()
    settings = WmsRestSettings(base_url=sim.url, api_key=API_KEY)
    limited = WmsRestConnector(settings, template_xrefs("wms-rest"), ownership=matrix)
    plain = WmsRestConnector(settings, template_xrefs("wms-rest"))
    try:
        await plain.release_order(release_event())
        await limited.release_order(release_event(number="SO0043"))
        full, cut = [r.body for r in sim.received if r.path == "/api/v1/orders"]
        assert full["shipBy"] == "2026-11-16" and "shipBy" not in cut  # denied for the WMS (kind wms)
        assert cut["orderNo"] == "SO0043" and [ln["sku"] for ln in cut["lines"]] == ["NZ-ESP-1KG", "NZ-FIL-250"]
        # a field the partner's mapping needs but may not receive: a mapping error naming it, nothing sent
        strict = OwnershipMatrix.from_config({"receive": {"acme-wms": {"order": {"allow": ["order_id", "number"]}}}})
        blocked = WmsRestConnector(settings, template_xrefs("wms-rest"), ownership=strict)
        with pytest.raises(MappingError) as info:
            await blocked.release_order(release_event(number="SO0044"))
        assert any(p.path.startswith("data.") for p in info.value.problems)
        assert len([r for r in sim.received if r.path == "/api/v1/orders"]) == 2
        await blocked.aclose()
    finally:
        await limited.aclose()
        await plain.aclose()
        await sim.stop()
