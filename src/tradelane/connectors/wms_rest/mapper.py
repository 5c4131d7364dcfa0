"""Pure request builders and response parsers of the WMS connector: no HTTP client, no database, no clock.

The partner document is produced beforehand by the mapping engine (cross references need the xref store);
a builder adds method, path, headers and the idempotency key, a parser reads the answer. Faults raise (from
the :mod:`tradelane.core.errors` tree, retryability in the type); business refusals are returned as
:class:`~tradelane.ports.connector.Message` data.

WMS API: ``POST /api/v1/orders`` (202 accepted, 409 already known, 422 refused with ``errors``),
``POST /api/v1/receipts`` (an expected receipt: 201 with the WMS's ``receiptNo``, 409 already known, 422
refused) and ``GET /api/v1/inventory?site=CODE`` (a ``STOCK_SNAPSHOT`` document).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tradelane.connectors import rest_common
from tradelane.connectors.rest_common import acknowledgement
from tradelane.core.envelope import CloudEvent
from tradelane.ports.connector import Parsed, PartnerRequest, PartnerResponse

from .settings import WmsRestSettings

__all__ = [
    "ORDERS_PATH",
    "RECEIPTS_PATH",
    "expect_receipt_request",
    "inventory_snapshot_request",
    "parse_expect_receipt_response",
    "parse_release_order_response",
    "receipt_number",
    "raise_for_fault",
    "release_order_request",
]

#: where order releases are posted
ORDERS_PATH = "/api/v1/orders"
#: where expected receipts (advance ship notices) are posted
RECEIPTS_PATH = "/api/v1/receipts"
#: where stock snapshots are read
INVENTORY_PATH = "/api/v1/inventory"


def release_order_request(event: CloudEvent, document: Mapping[str, Any], settings: WmsRestSettings) -> PartnerRequest:
    """An order release: the mapped document, keyed by the hub event id so a retry is not a second order."""
    return _post_document("release_order", ORDERS_PATH, event, document)


def _post_document(operation: str, path: str, event: CloudEvent, document: Mapping[str, Any]) -> PartnerRequest:
    """``POST path`` with the mapped document as JSON, keyed by the hub event id."""
    return PartnerRequest(
        operation=operation,
        method="POST",
        path=path,
        body=dict(document),
        headers={"content-type": "application/json"},
        idempotency_key=event.id,
    )


def parse_release_order_response(response: PartnerResponse, settings: WmsRestSettings) -> Parsed:
    """202 accepted and 409 already-known are acknowledgements; 422 with ``errors`` is a refusal (data)."""
    return acknowledgement(response, "order", "orderNo", ok=frozenset({200, 201, 202, 409}), refused="WMS")


def expect_receipt_request(event: CloudEvent, document: Mapping[str, Any], settings: WmsRestSettings
                           ) -> PartnerRequest:
    """An expected receipt: the mapped document, keyed by the hub event id so a retry is not a second receipt
    (the WMS also knows it by its ``asnNo``, the hub's reference)."""
    return _post_document("expect_receipt", RECEIPTS_PATH, event, document)


def parse_expect_receipt_response(response: PartnerResponse, settings: WmsRestSettings) -> Parsed:
    """201 created and 409 already-known are acknowledgements (naming the WMS's ``receiptNo``); 422 with
    ``errors`` is a refusal (data)."""
    return acknowledgement(response, "expected receipt", "receiptNo", ok=frozenset({200, 201, 409}), refused="WMS")


def receipt_number(response: PartnerResponse) -> str | None:
    """The WMS's own receipt number in an acknowledgement (201 or 409), else ``None``."""
    if response.status not in (200, 201, 409):
        return None
    body = rest_common.json_body(response)
    number = body.get("receiptNo") if isinstance(body, dict) else None
    return str(number) if isinstance(number, str) and number else None


def inventory_snapshot_request(site_code: str, settings: WmsRestSettings) -> PartnerRequest:
    """Read the stock of one site (the answer is parsed by the hooks' ``parse_inventory_snapshot``)."""
    return PartnerRequest("inventory_snapshot", "GET", INVENTORY_PATH, query={"site": site_code})



def raise_for_fault(response: PartnerResponse) -> None:
    """Raise the fault an HTTP status stands for (see :func:`tradelane.connectors.rest_common.raise_for_fault`)."""
    rest_common.raise_for_fault(response, "WMS")
