"""The TMS connector's parts without a network: tender builder and parser, and each callback kind mapped by
the hook of its operation (and refused by the others)."""

from __future__ import annotations

import json

import pytest

from tradelane.connectors.tms_rest import TmsRestHooks, TmsRestSettings, mapper
from tradelane.core.envelope import CloudEvent
from tradelane.core.errors import MappingError, TransientError
from tradelane.mapping.loader import template_dir
from tradelane.ports.connector import PartnerResponse
from tradelane.testing.simulators import template_xrefs

SETTINGS = TmsRestSettings(base_url="https://tms.example.com")


def sample(name: str) -> bytes:
    return template_dir("tms-rest").joinpath("samples", name).read_bytes()


def test_tender_request_and_answers() -> None:
    event = CloudEvent(id="evt-9", source="odoo://prod", type="tradelane.shipment.tendered.v1")
    req = mapper.tender_request(event, {"tenderId": "t1"}, SETTINGS)
    assert (req.method, req.path, req.idempotency_key, req.body) == ("POST", "/api/tenders", "evt-9", {"tenderId": "t1"})
    ok = mapper.parse_tender_response(PartnerResponse(202, b'{"tenderId": "t1"}'), SETTINGS)
    assert ok.messages[0].text == "a tender t1 accepted"
    refused = mapper.parse_tender_response(
        PartnerResponse(422, json.dumps({"errors": [{"code": "REQUIRED", "field": "pickup"}]}).encode()), SETTINGS)
    assert [(m.code, m.text, m.severity) for m in refused.messages] == [("REQUIRED", "pickup: ", "error")]
    with pytest.raises(TransientError):
        mapper.parse_tender_response(PartnerResponse(502, b"bad gateway"), SETTINGS)


@pytest.mark.parametrize(("operation", "name", "event_type"), [
    ("tender_response", "tender_accepted.json", "tradelane.shipment.booked.v1"),
    ("tender_response", "tender_rejected.json", "tradelane.shipment.tender_rejected.v1"),
    ("tracking", "milestone.json", "tradelane.shipment.milestone.v1"),
    ("tracking", "eta_changed.json", "tradelane.shipment.eta_changed.v1"),
    ("freight_charges", "freight_charges.json", "tradelane.freight.charged.v1"),
])
async def test_each_callback_maps_through_its_operation(operation: str, name: str, event_type: str) -> None:
    hooks = TmsRestHooks(SETTINGS, template_xrefs("tms-rest"))
    parsed = await getattr(hooks, f"parse_{operation}")({}, sample(name))
    assert [e.type for e in parsed.events] == [event_type] and parsed.mapping_version == "globex-tms@1"
    other = "freight_charges" if operation != "freight_charges" else "tracking"
    with pytest.raises(MappingError) as info:
        await getattr(hooks, f"parse_{other}")({}, sample(name))
    assert info.value.problems[0].path == "operation"
