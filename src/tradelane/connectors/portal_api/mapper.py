"""Pure request builders and response parsers of the portal connector: no HTTP client, no database, no clock.

The partner document is produced beforehand by the mapping engine (cross references need the xref store);
a builder adds method, path, headers and the idempotency key, a parser reads the answer.

Portal API: ``POST /api/status`` takes a shipment status update (200/202/204; 422 refused with ``errors``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tradelane.connectors.rest_common import acknowledgement, raise_for_fault
from tradelane.core.envelope import CloudEvent
from tradelane.ports.connector import Parsed, PartnerRequest, PartnerResponse

from .settings import PortalApiSettings

__all__ = ["STATUS_PATH", "parse_publish_status_response", "publish_status_request", "raise_for_fault"]

#: where status updates are posted
STATUS_PATH = "/api/status"


def publish_status_request(
    event: CloudEvent, document: Mapping[str, Any], settings: PortalApiSettings
) -> PartnerRequest:
    """A status update: the mapped document, keyed by the hub event id."""
    return PartnerRequest("publish_status", "POST", STATUS_PATH, body=dict(document),
                          headers={"content-type": "application/json"}, idempotency_key=event.id)


def parse_publish_status_response(response: PartnerResponse, settings: Any) -> Parsed:
    """2xx and 409 already-known are acknowledgements; 422 with ``errors`` is a refusal (data)."""
    return acknowledgement(response, "a status update", "shipment")
