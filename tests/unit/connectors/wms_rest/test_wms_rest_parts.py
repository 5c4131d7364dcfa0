"""The WMS connector's parts without a network: the pure builder and parser, the proxy's URL and headers
(``httpx2.MockTransport``), and the signature check of its hooks."""

from __future__ import annotations

import json
import time

import httpx2
import pytest

from tradelane.connectors.wms_rest import WmsRestHooks, WmsRestProxy, WmsRestSettings, mapper
from tradelane.core.envelope import CloudEvent
from tradelane.core.errors import AuthError, PermanentError, TransientError
from tradelane.delivery.signing import SignatureError, generate_secret, sign
from tradelane.ports.connector import PartnerRequest, PartnerResponse
from tradelane.testing.simulators import template_xrefs

SETTINGS = WmsRestSettings(base_url="https://wms.example.com/base", api_key="k-123")
EVENT = CloudEvent(id="evt-1", source="odoo://prod", type="tradelane.order.released.v1")


def response(status: int, body: object = None, **headers: str) -> PartnerResponse:
    return PartnerResponse(status, b"" if body is None else json.dumps(body).encode(), headers)


def test_release_request_is_a_keyed_post_of_the_mapped_document() -> None:
    req = mapper.release_order_request(EVENT, {"orderNo": "SO1"}, SETTINGS)
    assert (req.method, req.path, req.body, req.idempotency_key) == ("POST", "/api/v1/orders", {"orderNo": "SO1"},
                                                                      "evt-1")
    assert "x-api-key" not in {k.lower() for k in req.headers}  # credentials are the proxy's business


@pytest.mark.parametrize(("status", "code"), [(202, "202"), (409, "409")])
def test_acknowledgements_are_info_messages(status: int, code: str) -> None:
    parsed = mapper.parse_release_order_response(response(status, {"orderNo": "SO1"}), SETTINGS)
    assert [(m.code, m.severity) for m in parsed.messages] == [(code, "info")] and parsed.events == ()


def test_a_refusal_is_data_naming_the_field() -> None:
    body = {"errors": [{"code": "UNKNOWN_SKU", "field": "lines[1].sku", "message": "not stocked"}]}
    (msg,) = mapper.parse_release_order_response(response(422, body), SETTINGS).messages
    assert (msg.code, msg.text, msg.severity) == ("UNKNOWN_SKU", "lines[1].sku: not stocked", "error")


def test_faults_raise_with_retryability_in_the_type() -> None:
    with pytest.raises(TransientError) as info:
        mapper.parse_release_order_response(response(503, {"x": 1}, **{"Retry-After": "7"}), SETTINGS)
    assert info.value.retry_after == 7.0
    with pytest.raises(TransientError):
        mapper.parse_release_order_response(response(429), SETTINGS)
    with pytest.raises(AuthError):
        mapper.parse_release_order_response(response(401), SETTINGS)
    with pytest.raises(PermanentError):
        mapper.parse_release_order_response(response(400, {"oops": True}), SETTINGS)
    with pytest.raises(PermanentError):  # a 422 without the WMS's error list is not a business answer
        mapper.parse_release_order_response(response(422, "nope"), SETTINGS)


async def test_proxy_adds_credentials_and_idempotency_key_and_keeps_the_base_path() -> None:
    seen: list[httpx2.Request] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        return httpx2.Response(202, json={"status": "ACCEPTED"})

    proxy = WmsRestProxy(SETTINGS, transport=httpx2.MockTransport(handler))
    res = await proxy.send(mapper.release_order_request(EVENT, {"orderNo": "SO1"}, SETTINGS))
    res2 = await proxy.send(mapper.inventory_snapshot_request("RTM1", SETTINGS))
    await proxy.aclose()
    assert res.status == 202 and res.json() == {"status": "ACCEPTED"} and res2.status == 202
    post, get = seen
    assert str(post.url) == "https://wms.example.com/base/api/v1/orders"
    assert post.headers["x-api-key"] == "k-123" and post.headers["idempotency-key"] == "evt-1"
    assert json.loads(post.content) == {"orderNo": "SO1"}
    assert str(get.url) == "https://wms.example.com/base/api/v1/inventory?site=RTM1" and get.method == "GET"


async def test_proxy_turns_transport_failures_into_transient_errors() -> None:
    def handler(request: httpx2.Request) -> httpx2.Response:
        raise httpx2.ConnectError("refused", request=request)

    proxy = WmsRestProxy(SETTINGS, transport=httpx2.MockTransport(handler))
    with pytest.raises(TransientError, match="unreachable"):
        await proxy.send(PartnerRequest("release_order", "POST", "/api/v1/orders", body={}))
    await proxy.aclose()


def test_hooks_verify_signatures_over_the_raw_body() -> None:
    secret = generate_secret()
    now = 1_800_000_000
    hooks = WmsRestHooks(WmsRestSettings(base_url="http://x", webhook_secrets=secret), template_xrefs("wms-rest"),
                         clock=lambda: now)
    body = b'{"messageType": "PICK_CONFIRM"}'
    headers = sign([secret], "msg_1", now, body)
    hooks.verify(headers, body)
    with pytest.raises(SignatureError):
        hooks.verify(headers, body + b" ")
    stale = sign([secret], "msg_1", now - 3600, body)
    with pytest.raises(SignatureError, match="timestamp_out_of_tolerance"):
        hooks.verify(stale, body)
    with pytest.raises(SignatureError):
        WmsRestHooks(WmsRestSettings(base_url="http://x"), template_xrefs("wms-rest")).verify(headers, body)


def test_settings_read_secrets_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    secret = generate_secret()
    monkeypatch.setenv("TRADELANE_WMS_REST_BASE_URL", "https://wms.example.com")
    monkeypatch.setenv("TRADELANE_WMS_REST_WEBHOOK_SECRETS", f"{secret} {generate_secret()}")
    settings = WmsRestSettings()  # type: ignore[call-arg]
    assert settings.base_url == "https://wms.example.com" and settings.secrets()[0] == secret
    assert len(settings.secrets()) == 2 and secret not in repr(settings)
    assert time.time() > 0
