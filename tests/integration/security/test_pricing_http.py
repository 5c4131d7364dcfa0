"""Pricing fields leave the API only with pricing:read; request envelopes are strict."""

from __future__ import annotations

import copy
import uuid
from typing import Any

import httpx2

from tradelane.core.examples import EXAMPLES

CHARGED = "tradelane.freight.charged.v1"


def event(etype: str = CHARGED, **over: Any) -> dict[str, Any]:
    ev = {
        "specversion": "1.0",
        "id": uuid.uuid4().hex,
        "source": "/partners/acme-carrier",
        "type": etype,
        "data": copy.deepcopy(EXAMPLES[etype]),
    }
    ev.update(over)
    return ev


def test_prices_only_with_pricing_read(running_hub: Any) -> None:
    base = running_hub.base_url
    writer = {"Authorization": f"Bearer {running_hub.key('acme')}"}
    created = httpx2.post(f"{base}/v1/events", json=event(), headers=writer)
    assert created.status_code == 201, created.text
    url = f"{base}/v1/events/{created.json()['hubid']}"
    plain = {"Authorization": f"Bearer {running_hub.key('acme', scopes=('events:read',))}"}
    priced = {"Authorization": f"Bearer {running_hub.key('acme', scopes=('events:read', 'pricing:read'))}"}
    hidden = httpx2.get(url, headers=plain).json()
    shown = httpx2.get(url, headers=priced).json()
    assert shown["data"]["charges"] and shown["data"]["charges"][0]["amount"]["currency"]
    assert "charges" not in hidden["data"] and "amount" not in str(hidden)
    assert hidden["data"]["shipment_id"] == shown["data"]["shipment_id"]
    listed_hidden = httpx2.get(f"{base}/v1/events", headers=plain).json()["items"]
    listed_shown = httpx2.get(f"{base}/v1/events", headers=priced).json()["items"]
    assert "charges" not in listed_hidden[0]["data"] and listed_shown[0]["data"]["charges"]
    admin = {"Authorization": f"Bearer {running_hub.key(None, scopes=('admin',))}"}
    assert httpx2.get(url, headers=admin).json()["data"]["charges"]


def test_unknown_fields_are_rejected(running_hub: Any) -> None:
    base = running_hub.base_url
    writer = {"Authorization": f"Bearer {running_hub.key('acme')}"}
    envelope = httpx2.post(f"{base}/v1/events", json=event(tenant="globex"), headers=writer)
    assert envelope.status_code == 422
    assert any(e["code"] == "unknown_field" and "tenant" in e["path"] for e in envelope.json()["errors"])
    ev = event()
    ev["data"]["is_admin"] = True
    payload = httpx2.post(f"{base}/v1/events", json=ev, headers=writer)
    assert payload.status_code == 422
    assert any(e["code"] == "unknown_field" for e in payload.json()["errors"])
    assert running_hub.call(running_hub.hub.store.count_events()) == 0


def test_outbound_webhooks_carry_prices_only_to_receivers_with_pricing_read(
    sqlite_url: str, tmp_path: Any, hub_server: Any, monkeypatch: Any
) -> None:
    """Two signed webhook destinations get the same freight charge; only the one granted pricing sees it."""
    import base64
    import os

    from tradelane.testing.delivery import delivery_settings
    from tradelane.testing.net import free_port
    from tradelane.testing.sink import WebhookSink
    from tradelane.testing.wait import wait_until

    secret = "whsec_" + base64.b64encode(os.urandom(32)).decode()
    monkeypatch.setenv("TL_TEST_PRICING_WHSEC", secret)
    plain, priced = (WebhookSink(port=free_port(), secrets=(secret,)) for _ in range(2))
    running = hub_server(
        delivery_settings(
            tmp_path,
            sqlite_url,
            {
                "plain": {"url": plain.url, "secrets_env": "TL_TEST_PRICING_WHSEC"},
                "priced": {"url": priced.url, "secrets_env": "TL_TEST_PRICING_WHSEC", "pricing_read": True},
            },
            [
                {"name": "to-plain", "events": ["tradelane.freight.*"], "destination": "plain"},
                {"name": "to-priced", "events": ["tradelane.freight.*"], "destination": "priced"},
            ],
        )
    )
    running.call(plain.start())
    running.call(priced.start())
    try:
        writer = {"Authorization": f"Bearer {running.key('acme')}"}
        sent = event()
        assert httpx2.post(f"{running.base_url}/v1/events", json=sent, headers=writer).status_code == 201
        wait_until(lambda: plain.effects and priced.effects, "both deliveries")
        [got_plain], [got_priced] = plain.effects.values(), priced.effects.values()
    finally:
        running.call(plain.stop())
        running.call(priced.stop())
    assert plain.bad_signatures == priced.bad_signatures == 0  # signed after stripping
    assert got_priced["data"]["charges"] == sent["data"]["charges"]
    assert "charges" not in got_plain["data"] and "amount" not in str(got_plain)
    assert got_plain["data"]["shipment_id"] == sent["data"]["shipment_id"] and got_plain["id"] == sent["id"]
