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
