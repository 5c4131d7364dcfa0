"""The yard connector's parts without a network: booking versus rescheduling, the yard's own reference, and
a taken slot as a refusal (data)."""

from __future__ import annotations

import json

import pytest

from tradelane.connectors.yard import YardSettings, mapper
from tradelane.core.envelope import CloudEvent
from tradelane.core.errors import AuthError
from tradelane.mapping.loader import template_dir
from tradelane.ports.connector import PartnerResponse

SETTINGS = YardSettings(base_url="https://yard.example.com")


def requested(status: str) -> CloudEvent:
    doc = json.loads(template_dir("yard").joinpath("samples", "appointment_requested.json").read_text())
    doc["data"]["appointment"]["status"] = status
    return CloudEvent.model_validate(doc)


def test_a_new_appointment_is_posted_and_a_rescheduled_one_put_to_its_ref() -> None:
    document = {"ref": "A-551902", "site": "RTM"}
    post = mapper.request_appointment_request(requested("requested"), document, SETTINGS)
    put = mapper.request_appointment_request(requested("rescheduled"), document, SETTINGS)
    assert (post.method, post.path) == ("POST", "/api/appointments")
    assert (put.method, put.path) == ("PUT", "/api/appointments/A-551902")
    assert post.idempotency_key == put.idempotency_key == "evt-odoo-000313" and put.body == document


def test_the_yards_reference_and_refusals() -> None:
    booked = PartnerResponse(201, b'{"ref": "A-9", "status": "REQUESTED"}')
    assert mapper.appointment_ref(booked) == "A-9"
    assert mapper.parse_request_appointment_response(booked, SETTINGS).messages[0].text == "appointment A-9 booked"
    taken = PartnerResponse(409, b'{"errors": [{"code": "SLOT_TAKEN", "field": "slotStart", "message": "door busy"}]}')
    assert mapper.appointment_ref(taken) is None
    (msg,) = mapper.parse_request_appointment_response(taken, SETTINGS).messages
    assert (msg.code, msg.text, msg.severity) == ("SLOT_TAKEN", "slotStart: door busy", "error")
    with pytest.raises(AuthError):
        mapper.parse_request_appointment_response(PartnerResponse(403), SETTINGS)
