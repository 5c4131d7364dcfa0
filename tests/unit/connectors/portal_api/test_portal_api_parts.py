"""The portal connector's parts without a network: the status request, its answers, and orders mapped by the
order intake hook."""

from __future__ import annotations

import pytest

from tradelane.connectors.portal_api import PortalApiHooks, PortalApiSettings, mapper
from tradelane.core.envelope import CloudEvent
from tradelane.core.errors import MappingError, PermanentError
from tradelane.mapping.loader import template_dir
from tradelane.ports.connector import PartnerResponse
from tradelane.testing.simulators import template_xrefs

SETTINGS = PortalApiSettings(base_url="https://portal.example.com")


def test_status_request_and_answers() -> None:
    event = CloudEvent(id="evt-3", source="hub", type="tradelane.shipment.milestone.v1")
    req = mapper.publish_status_request(event, {"shipment": "SO1/1"}, SETTINGS)
    assert (req.method, req.path, req.idempotency_key) == ("POST", "/api/status", "evt-3")
    assert mapper.parse_publish_status_response(PartnerResponse(204), SETTINGS).messages[0].code == "204"
    with pytest.raises(PermanentError, match="HTTP 404"):
        mapper.parse_publish_status_response(PartnerResponse(404, b"not here"), SETTINGS)


async def test_orders_map_and_a_missing_country_is_named() -> None:
    hooks = PortalApiHooks(SETTINGS, template_xrefs("portal"))
    body = template_dir("portal").joinpath("samples", "order_submitted.json").read_bytes()
    (event,) = (await hooks.parse_order_intake({}, body)).events
    assert event.type == "tradelane.order.created.v1"
    broken = body.replace(b'"country": "DE"', b'"country": ""')
    with pytest.raises(MappingError) as info:
        await hooks.parse_order_intake({}, broken)
    assert [(p.path, p.code) for p in info.value.problems] == [("data.order.ship_to.country", "required")]
