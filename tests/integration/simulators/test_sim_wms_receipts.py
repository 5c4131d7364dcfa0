"""Expected receipts against the WMS simulator over real loopback HTTP: the connector announces a
``receipt.expected`` (an advance ship notice) and keeps the WMS's receipt number as a cross reference; the
WMS's signed ``RECEIPT_CONFIRM`` names that receipt and maps back to a valid ``receipt.completed`` of the
canonical receipt, with its differences; repeats, refusals and bad input answered like the other endpoints."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx2
import pytest

from tradelane.connectors.wms_rest import WmsRestConnector, WmsRestSettings
from tradelane.core.envelope import CloudEvent
from tradelane.core.errors import BusinessError, MappingError
from tradelane.core.registry import registry
from tradelane.delivery.signing import generate_secret
from tradelane.mapping.engine import only_missing_xrefs
from tradelane.mapping.loader import template_dir
from tradelane.ports.delivery import ClaimedDelivery
from tradelane.testing.simulators import CallbackReceiver, receiving, template_xrefs
from tradelane.testing.simulators.wms import WmsSimulator

API_KEY = "wms-test-key"
PARTNER = "acme-wms"


def expected_event(**changes: Any) -> CloudEvent:
    """The template's ``receipt.expected`` sample (WH/IN/00017 of P00031), with ``changes`` to its receipt."""
    doc = json.loads(template_dir("wms-rest").joinpath("samples", "receipt_expected.json").read_text())
    doc["data"]["receipt"].update(changes)
    if "receipt_id" in changes:
        doc["data"]["receipt_id"] = changes["receipt_id"]
    return CloudEvent.model_validate(doc)


def data(event: CloudEvent) -> dict[str, Any]:
    wire: dict[str, Any] = event.to_wire()["data"]
    return wire


@dataclass
class Rig:
    sim: WmsSimulator
    connector: WmsRestConnector
    receiver: CallbackReceiver
    events: list[CloudEvent]
    problems: list[Exception]

    def posted(self) -> list[Any]:
        return [r for r in self.sim.received if r.method == "POST" and r.path == "/api/v1/receipts"]


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    secret = generate_secret()
    events: list[CloudEvent] = []
    problems: list[Exception] = []
    sim = await WmsSimulator(secret=secret, api_key=API_KEY, seed=5).start()
    connector = WmsRestConnector(WmsRestSettings(base_url=sim.url, api_key=API_KEY, webhook_secrets=secret),
                                 template_xrefs("wms-rest"))
    receiver = await CallbackReceiver(receiving(connector.receive, events, problems)).start()
    sim.callback_url = receiver.url
    yield Rig(sim, connector, receiver, events, problems)
    await sim.stop()
    await receiver.stop()
    await connector.aclose()


async def test_the_expected_receipt_is_created_and_its_number_kept_as_a_cross_reference(rig: Rig) -> None:
    parsed = await rig.connector.expect_receipt(expected_event())
    assert [(m.code, m.severity) for m in parsed.messages] == [("201", "info")]
    assert parsed.messages[0].text == "expected receipt RCV-000101 accepted"
    assert parsed.mapping_version == "acme-wms@1"
    (req,) = rig.posted()
    assert req.status == 201 and req.headers["idempotency-key"] == "odoo-receipt-140"
    assert {k: v for k, v in req.body.items() if k != "lines"} == {
        "messageType": "EXPECTED_RECEIPT", "asnNo": "WH/IN/00017", "receiptType": "PO", "orderNo": "P00031",
        "siteCode": "RTM1", "expectedDate": "2026-12-01 09:00:00"}  # the site's local time (Amsterdam)
    assert [(ln["lineNo"], ln["sku"], ln["qty"], ln["uom"]) for ln in req.body["lines"]] == [
        (311, "NZ-ESP-1KG", 48, "PCS"), (312, "NZ-FIL-250", 4, "CTN")]
    entry = await rig.connector.xrefs.get("hub", PARTNER, "receipt", "RCV-000101")
    assert entry is not None and entry.canonical_id == "rcpt_wh_in_00017"
    async with httpx2.AsyncClient(base_url=rig.sim.url, headers={"X-Api-Key": API_KEY}) as http:
        held = (await http.get("/api/v1/receipts/RCV-000101")).json()
        assert held["status"] == "EXPECTED" and held["asnNo"] == "WH/IN/00017" and len(held["lines"]) == 2
        assert (await http.get("/api/v1/receipts/RCV-999999")).status_code == 404


async def test_a_repeated_expected_receipt_is_known_and_not_a_second_receipt(rig: Rig) -> None:
    await rig.connector.expect_receipt(expected_event())
    again = await rig.connector.expect_receipt(expected_event())
    assert [(m.code, m.severity) for m in again.messages] == [("409", "info")]
    assert "RCV-000101 already known" in again.messages[0].text
    assert [r.status for r in rig.posted()] == [201, 409] and list(rig.sim.receipts) == ["RCV-000101"]
    # the same reference under another hub event id is still the same receipt (the WMS keys on asnNo)
    other = expected_event().model_copy(update={"id": "odoo-receipt-140-again"})
    assert [m.code for m in (await rig.connector.expect_receipt(other)).messages] == ["409"]
    assert len(rig.sim.receipts) == 1


async def test_a_409_naming_another_receipt_is_a_refusal_not_a_relink(rig: Rig) -> None:
    await rig.connector.expect_receipt(expected_event())
    clash = await rig.connector.expect_receipt(expected_event(receipt_id="rcpt_other"))
    assert [(m.code, m.severity) for m in clash.messages] == [("409", "info"), ("RECEIPT_CONFLICT", "error")]
    entry = await rig.connector.xrefs.get("hub", PARTNER, "receipt", "RCV-000101")
    assert entry is not None and entry.canonical_id == "rcpt_wh_in_00017"


async def test_a_return_is_expected_as_a_return_receipt(rig: Rig) -> None:
    event = expected_event(receipt_id="rtn_ret_2026_0007", reference="RMA-2026-0007", order_ref="SO0042",
                           expected_at=None)
    await rig.connector.expect_receipt(event)
    (req,) = rig.posted()
    assert req.body["receiptType"] == "RETURN" and req.body["asnNo"] == "RMA-2026-0007"
    assert req.body["orderNo"] == "SO0042" and "expectedDate" not in req.body
    entry = await rig.connector.xrefs.get("hub", PARTNER, "receipt", "RCV-000101")
    assert entry is not None and entry.canonical_id == "rtn_ret_2026_0007"


async def test_a_refusal_is_data_and_deliver_turns_it_into_a_business_error(rig: Rig) -> None:
    bad = expected_event(lines=[{"line_id": "1", "product": {"sku": "NZ-UNKNOWN"},
                                 "expected_quantity": {"value": "3", "unit": "EA"}}])
    parsed = await rig.connector.expect_receipt(bad)
    assert [(m.code, m.severity) for m in parsed.messages] == [("UNKNOWN_SKU", "error")]
    assert parsed.messages[0].text == "lines[0].sku: 'NZ-UNKNOWN' not in the item master"
    assert await rig.connector.xrefs.get("hub", PARTNER, "receipt", "RCV-000101") is None
    delivery = ClaimedDelivery("dlv_1", "hub", "hub_1", "wms", "wms", "critical", None, 0, 1,
                               datetime.now(UTC), bad.to_wire())
    with pytest.raises(BusinessError, match="UNKNOWN_SKU"):
        await rig.connector.deliver(delivery)
    # deliver picks the operation by event type: a receipt.expected is announced, not released
    ok = ClaimedDelivery("dlv_2", "hub", "hub_1", "wms", "wms", "critical", None, 0, 1, datetime.now(UTC),
                         expected_event().to_wire())
    await rig.connector.deliver(ok)
    assert [r.status for r in rig.posted()] == [422, 422, 201]
    assert not [r for r in rig.sim.received if r.path == "/api/v1/orders"]


@pytest.mark.parametrize(("body", "field", "code"), [
    ({"asnNo": "WH/IN/1"}, "messageType", "INVALID"),
    ({"messageType": "EXPECTED_RECEIPT", "receiptType": "PO", "siteCode": "RTM1",
      "lines": [{"lineNo": 1, "sku": "NZ-ESP-1KG", "qty": 1}]}, "asnNo", "REQUIRED"),
    ({"messageType": "EXPECTED_RECEIPT", "asnNo": "A", "receiptType": "ASN", "siteCode": "RTM1",
      "lines": [{"lineNo": 1, "sku": "NZ-ESP-1KG", "qty": 1}]}, "receiptType", "INVALID"),
    ({"messageType": "EXPECTED_RECEIPT", "asnNo": "A", "receiptType": "PO", "siteCode": "AMS9",
      "lines": [{"lineNo": 1, "sku": "NZ-ESP-1KG", "qty": 1}]}, "siteCode", "UNKNOWN_SITE"),
    ({"messageType": "EXPECTED_RECEIPT", "asnNo": "A", "receiptType": "PO", "siteCode": "RTM1", "lines": []},
     "lines", "REQUIRED"),
    ({"messageType": "EXPECTED_RECEIPT", "asnNo": "A", "receiptType": "PO", "siteCode": "RTM1",
      "lines": [{"lineNo": 1, "sku": "NZ-ESP-1KG", "qty": 0}]}, "lines[0].qty", "INVALID"),
    ({"messageType": "EXPECTED_RECEIPT", "asnNo": "A", "receiptType": "PO", "siteCode": "RTM1",
      "lines": [{"lineNo": 1, "sku": "NZ-ESP-1KG", "qty": 1}, {"lineNo": 1, "sku": "NZ-FIL-250", "qty": 1}]},
     "lines[1].lineNo", "DUPLICATE"),
    ({"messageType": "EXPECTED_RECEIPT", "asnNo": "A", "receiptType": "PO", "siteCode": "RTM1",
      "lines": [{"sku": "NZ-ESP-1KG", "qty": 1}]}, "lines[0].lineNo", "REQUIRED"),
])
async def test_bad_expected_receipts_are_422_naming_the_field(rig: Rig, body: dict[str, Any], field: str,
                                                              code: str) -> None:
    async with httpx2.AsyncClient(base_url=rig.sim.url, headers={"X-Api-Key": API_KEY}) as http:
        res = await http.post("/api/v1/receipts", json=body)
    assert res.status_code == 422
    assert {"code": code, "field": field} in [{k: e[k] for k in ("code", "field")} for e in res.json()["errors"]]
    assert rig.sim.receipts == {}


async def test_not_json_is_400_and_a_wrong_key_401(rig: Rig) -> None:
    async with httpx2.AsyncClient(base_url=rig.sim.url) as http:
        assert (await http.post("/api/v1/receipts", content=b"{nope",
                                headers={"X-Api-Key": API_KEY})).status_code == 400
        assert (await http.post("/api/v1/receipts", json={}, headers={"X-Api-Key": "wrong"})).status_code == 401


async def test_the_receiving_confirmation_names_the_expected_receipt_and_maps_to_receipt_completed(
    rig: Rig,
) -> None:
    await rig.connector.expect_receipt(expected_event())
    before = {i["sku"]: i["onHand"] for i in rig.sim.snapshot()["items"]}
    sent = await rig.sim.receive("WH/IN/00017", counted={311: 46}, damaged={311: 1}, batches={311: "L2026-340"})
    assert sent.delivered and sent.document["receiptNo"] == "RCV-000101"
    assert sent.document["asnNo"] == "WH/IN/00017" and sent.document["messageType"] == "RECEIPT_CONFIRM"
    assert not rig.problems
    (event,) = rig.events
    typed = registry.typed_envelope(event.type)
    assert typed is not None
    typed.model_validate(event.to_wire())
    assert event.type == "tradelane.receipt.completed.v1" and event.source == "/partners/acme-wms"
    receipt = data(event)["receipt"]
    # the WMS's receipt number back to the canonical receipt, through the cross reference written at the 201
    assert data(event)["receipt_id"] == receipt["receipt_id"] == "rcpt_wh_in_00017"
    assert receipt["reference"] == "WH/IN/00017" and receipt["order_ref"] == "P00031"
    assert receipt["location_id"] == "loc_dc_rtm"
    first, second = receipt["lines"]
    assert (first["expected_quantity"], first["received_quantity"]) == (
        {"value": "48", "unit": "EA"}, {"value": "46", "unit": "EA"})
    assert [(d["reason"], d["quantity"]["value"], d.get("note")) for d in first["discrepancies"]] == [
        ("short", "2", None), ("damaged", "1", "damaged at receiving")]
    assert [(lot["lot"], lot["quantity"]["value"]) for lot in first["lots"]] == [("L2026-340", "46")]
    assert second["received_quantity"] == {"value": "4", "unit": "CS"} and second["discrepancies"] == []
    assert second["lots"] == []
    after = {i["sku"]: i["onHand"] for i in rig.sim.snapshot()["items"]}
    assert after["NZ-ESP-1KG"] - before["NZ-ESP-1KG"] == 45 and after["NZ-FIL-250"] - before["NZ-FIL-250"] == 4
    async with httpx2.AsyncClient(base_url=rig.sim.url, headers={"X-Api-Key": API_KEY}) as http:
        assert (await http.get("/api/v1/receipts/RCV-000101")).json()["status"] == "RECEIVED"
    with pytest.raises(ValueError, match="received already"):
        await rig.sim.receive("WH/IN/00017")


async def test_receiving_refuses_what_the_receipt_does_not_hold(rig: Rig) -> None:
    await rig.connector.expect_receipt(expected_event())
    with pytest.raises(KeyError):
        await rig.sim.receive("WH/IN/99999")
    with pytest.raises(ValueError, match=r"no line\(s\) \[7\]"):
        await rig.sim.receive("WH/IN/00017", counted={7: 1})
    with pytest.raises(ValueError, match="3 damaged of 2 counted"):
        await rig.sim.receive("WH/IN/00017", counted={312: 2}, damaged={312: 3})
    assert rig.sim.callbacks == []  # nothing was received: it can still be


async def test_a_confirmation_before_the_cross_reference_is_retried_later(rig: Rig) -> None:
    """A receipt number the hub has not linked yet is a "wait" mapping problem (the hub answers 503, the WMS
    retries), never a receipt.completed of an unknown receipt."""
    doc = json.loads(template_dir("wms-rest").joinpath("samples", "receipt_confirm.json").read_text())
    doc["receiptNo"] = "RCV-000555"
    with pytest.raises(MappingError) as info:
        await rig.connector.hooks.parse_receipt_confirm({}, json.dumps(doc).encode())
    assert [p.path for p in info.value.problems] == ["data.receipt_id", "data.receipt.receipt_id"]
    assert [m.kind for m in only_missing_xrefs(info.value.problems)] == ["receipt", "receipt"]


async def test_a_return_receipts_confirmation_is_a_return_received_not_a_purchase_receipt(rig: Rig) -> None:
    """A customer return is graded at inspection: the WMS's confirmation of a RETURN receipt (with each line's
    inspection) maps to a ``return.received`` naming the return through the ``return`` cross reference kept
    from the WMS's 201, never to a ``receipt.completed`` that could validate an Odoo receipt."""
    await rig.connector.expect_receipt(expected_event(receipt_id="rtn_ret_2026_0007", reference="RMA-2026-0007",
                                                      order_ref="SO0042", supplier_id="party_cafe_central"))
    sent = await rig.sim.receive("RMA-2026-0007", inspected={311: {"condition": "DAMAGED", "remark": "crushed"}})
    assert sent.document["receiptType"] == "RETURN" and sent.delivered
    assert sent.document["lines"][0]["inspection"] == {"condition": "DAMAGED", "disposition": "QUARANTINE",
                                                      "remark": "crushed"}
    assert not rig.problems
    (event,) = rig.events
    assert event.type == "tradelane.return.received.v1"
    rma = data(event)["rma"]
    assert (rma["return_id"], rma["rma_number"], rma["order_ref"], rma["customer_id"]) == (
        "ret_2026_0007", "RMA-2026-0007", "SO0042", "party_cafe_central")
    assert [(ln["line_id"], ln["condition"]) for ln in rma["lines"]] == [("311", "damaged"), ("312", "resellable")]
