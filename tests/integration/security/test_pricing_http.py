"""Pricing fields leave the API only with pricing:read; request envelopes are strict."""

from __future__ import annotations

import copy
import uuid
from typing import Any

import httpx2
import pytest

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


@pytest.mark.nats
async def test_nats_subjects_carry_prices_only_with_pricing_read() -> None:
    """A ``nats`` endpoint is an outbound destination like a webhook: prices leave only with pricing_read."""
    import asyncio
    import contextlib
    from datetime import UTC, datetime

    import orjson

    from tradelane.bus.nats import NatsBus, NatsPublisher
    from tradelane.ports.delivery import ClaimedDelivery

    stream = f"TL_PRICE_{uuid.uuid4().hex[:8].upper()}"
    plain_subject, priced_subject = (f"price.{uuid.uuid4().hex[:8]}.{n}" for n in ("plain", "priced"))
    bus = NatsBus("nats://127.0.0.1:4222", stream)
    await bus.connect()
    try:
        await bus.ensure_streams([plain_subject, priced_subject])
        assert bus.nc is not None
        got: dict[str, asyncio.Queue[Any]] = {plain_subject: asyncio.Queue(), priced_subject: asyncio.Queue()}
        subs = [await bus.nc.subscribe(s, cb=q.put) for s, q in got.items()]
        sent = event()
        delivery = ClaimedDelivery(
            id="dlv_price_1", tenant="acme", hub_id="evt_price_1", route="to-bus", destination="bus",
            lane="critical", partition_key=None, attempts=0, fence=1, lease_until=datetime.now(UTC), event=sent,
        )
        await NatsPublisher(bus, plain_subject)(delivery)
        await NatsPublisher(bus, priced_subject, pricing_read=True)(delivery)
        plain = orjson.loads((await asyncio.wait_for(got[plain_subject].get(), 60)).data)
        priced = orjson.loads((await asyncio.wait_for(got[priced_subject].get(), 60)).data)
        for sub in subs:
            await sub.unsubscribe()
    finally:
        if bus.js is not None:
            for name in (stream, f"{stream}_EVENTS"):
                with contextlib.suppress(Exception):  # best-effort cleanup of a test stream
                    await bus.js.delete_stream(name)
        await bus.close()
    assert priced["data"]["charges"] == sent["data"]["charges"]
    assert "charges" not in plain["data"] and "amount" not in str(plain)
    assert plain["data"]["shipment_id"] == sent["data"]["shipment_id"] and plain["id"] == sent["id"]
