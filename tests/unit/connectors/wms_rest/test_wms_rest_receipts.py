"""The WMS connector's expected-receipt parts without a network: the pure builder and parser of
``POST /api/v1/receipts`` and the receipt number read from its acknowledgement."""

from __future__ import annotations

import json

import pytest

from tradelane.connectors.wms_rest import WmsRestSettings, mapper
from tradelane.core.envelope import CloudEvent
from tradelane.core.errors import AuthError, PermanentError, TransientError
from tradelane.ports.connector import PartnerResponse

SETTINGS = WmsRestSettings(base_url="https://wms.example.com/base", api_key="k-123")
EVENT = CloudEvent(id="odoo-receipt-140", source="urn:tradelane:flow:inbound", type="tradelane.receipt.expected.v1")


def response(status: int, body: object = None, **headers: str) -> PartnerResponse:
    return PartnerResponse(status, b"" if body is None else json.dumps(body).encode(), headers)


def test_the_expected_receipt_is_a_keyed_post_of_the_mapped_document() -> None:
    req = mapper.expect_receipt_request(EVENT, {"asnNo": "WH/IN/00017"}, SETTINGS)
    assert (req.operation, req.method, req.path, req.body, req.idempotency_key) == (
        "expect_receipt", "POST", "/api/v1/receipts", {"asnNo": "WH/IN/00017"}, "odoo-receipt-140")
    assert req.headers["content-type"] == "application/json"


@pytest.mark.parametrize(("status", "verdict"), [(201, "accepted"), (409, "already known")])
def test_created_and_known_are_acknowledgements_naming_the_wms_receipt(status: int, verdict: str) -> None:
    answer = response(status, {"asnNo": "WH/IN/00017", "receiptNo": "RCV-000101"})
    (msg,) = mapper.parse_expect_receipt_response(answer, SETTINGS).messages
    assert (msg.code, msg.severity, msg.text) == (str(status), "info", f"expected receipt RCV-000101 {verdict}")
    assert mapper.receipt_number(answer) == "RCV-000101"


def test_a_refusal_is_data_and_names_no_receipt() -> None:
    answer = response(422, {"status": "REFUSED", "errors": [
        {"code": "UNKNOWN_SKU", "field": "lines[0].sku", "message": "'X' not in the item master"}]})
    (msg,) = mapper.parse_expect_receipt_response(answer, SETTINGS).messages
    assert (msg.code, msg.severity, msg.text) == ("UNKNOWN_SKU", "error", "lines[0].sku: 'X' not in the item master")
    assert mapper.receipt_number(answer) is None


def test_faults_raise_by_kind_and_a_body_without_a_number_names_none() -> None:
    with pytest.raises(TransientError) as info:
        mapper.parse_expect_receipt_response(response(503, {"x": 1}, **{"Retry-After": "4"}), SETTINGS)
    assert info.value.retry_after == 4.0
    with pytest.raises(AuthError):
        mapper.parse_expect_receipt_response(response(403), SETTINGS)
    with pytest.raises(PermanentError):
        mapper.parse_expect_receipt_response(response(400, {"oops": True}), SETTINGS)
    assert mapper.receipt_number(response(201, {"receiptNo": ""})) is None
    assert mapper.receipt_number(response(201, b"not json".decode())) is None
