"""Pure request builders and response parsers of the TMS connector: no HTTP client, no database, no clock.

The partner document is produced beforehand by the mapping engine (cross references need the xref store);
a builder adds method, path, headers and the idempotency key, a parser reads the answer. Faults raise;
business refusals are returned as :class:`~tradelane.ports.connector.Message` data.

TMS API: ``POST /api/tenders`` (202 received, 409 already known, 422 refused with ``errors``); the decision,
milestones, ETA changes and charges come later by callback.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tradelane.connectors.rest_common import acknowledgement, raise_for_fault
from tradelane.core.envelope import CloudEvent
from tradelane.ports.connector import Parsed, PartnerRequest, PartnerResponse

from .settings import TmsRestSettings

__all__ = ["TENDERS_PATH", "parse_tender_response", "raise_for_fault", "tender_request"]

#: where tenders are posted
TENDERS_PATH = "/api/tenders"


def tender_request(event: CloudEvent, document: Mapping[str, Any], settings: TmsRestSettings) -> PartnerRequest:
    """A tender: the mapped document, keyed by the hub event id so a retry is not a second tender."""
    return PartnerRequest("tender", "POST", TENDERS_PATH, body=dict(document),
                          headers={"content-type": "application/json"}, idempotency_key=event.id)


def parse_tender_response(response: PartnerResponse, settings: Any) -> Parsed:
    """2xx and 409 already-known are acknowledgements; 422 with ``errors`` is a refusal (data)."""
    return acknowledgement(response, "a tender", "tenderId")
