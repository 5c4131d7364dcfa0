"""Pure request builders and response parsers of the yard connector: no HTTP client, no database, no clock.

The partner document is produced beforehand by the mapping engine (cross references need the xref store);
a builder adds method, path, headers and the idempotency key, a parser reads the answer. Faults raise;
business refusals (a slot already taken) are returned as :class:`~tradelane.ports.connector.Message` data.

Yard API: ``POST /api/appointments`` books (201 with the yard's own ``ref``), ``PUT /api/appointments/{ref}``
reschedules (200); 409 with ``errors`` is a refusal. Confirmations and the visit come later by callback.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tradelane.connectors.rest_common import error_message, excerpt, json_body, raise_for_fault
from tradelane.core.envelope import CloudEvent
from tradelane.core.errors import PermanentError
from tradelane.ports.connector import Message, Parsed, PartnerRequest, PartnerResponse

from .settings import YardSettings

__all__ = [
    "APPOINTMENTS_PATH",
    "appointment_ref",
    "parse_request_appointment_response",
    "raise_for_fault",
    "request_appointment_request",
]

#: where appointments are booked
APPOINTMENTS_PATH = "/api/appointments"


def request_appointment_request(
    event: CloudEvent, document: Mapping[str, Any], settings: YardSettings
) -> PartnerRequest:
    """Book a slot (``POST``), or move a booked one (``PUT .../{ref}``) when the canonical appointment's status
    is ``rescheduled``; keyed by the hub event id."""
    appointment = event.to_wire().get("data", {}).get("appointment") or {}
    body = dict(document)
    if appointment.get("status") == "rescheduled" and body.get("ref"):
        return PartnerRequest("request_appointment", "PUT", f"{APPOINTMENTS_PATH}/{body['ref']}", body=body,
                              headers={"content-type": "application/json"}, idempotency_key=event.id)
    return PartnerRequest("request_appointment", "POST", APPOINTMENTS_PATH, body=body,
                          headers={"content-type": "application/json"}, idempotency_key=event.id)


def appointment_ref(response: PartnerResponse) -> str | None:
    """The yard's own reference of a booked appointment (kept as a cross reference), when it sent one."""
    body = json_body(response)
    ref = body.get("ref") if isinstance(body, dict) and 200 <= response.status < 300 else None
    return ref if isinstance(ref, str) and ref else None


def parse_request_appointment_response(response: PartnerResponse, settings: Any) -> Parsed:
    """2xx is an acknowledgement; 409/422 with ``errors`` (slot taken, door closed) is a refusal (data)."""
    if 200 <= response.status < 300:
        ref = appointment_ref(response)
        return Parsed(messages=(Message(str(response.status), f"appointment {ref or ''} booked".replace("  ", " "),
                                        "info"),))
    if response.status in (409, 422):
        body = json_body(response)
        errors = body.get("errors") if isinstance(body, dict) else None
        if isinstance(errors, list) and errors:
            return Parsed(messages=tuple(error_message(e) for e in errors))
    raise_for_fault(response)
    raise PermanentError(f"answered HTTP {response.status} to an appointment request: {excerpt(response)}")

