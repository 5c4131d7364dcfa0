"""Canary secrets never come back out: not in error bodies, not in logs, not in DLQ previews or attempt logs.

Canary values are planted where secrets live — the webhook signing secret (endpoint ``secrets_env``), a
presented bearer credential, an OAuth client secret, the server secret — and every surface a person or a
partner can read is searched for them after the hub has worked with them (signed deliveries that fail and
dead-letter, refused credentials, refused token requests).
"""

from __future__ import annotations

import base64
import logging
import secrets
from pathlib import Path
from typing import Any

import httpx2
import pytest

from tradelane.ports.delivery import DeliveryFilter
from tradelane.testing.delivery import delivery_settings, milestone
from tradelane.testing.net import free_port
from tradelane.testing.sink import WebhookSink
from tradelane.testing.wait import wait_until


def test_canary_secrets_never_leak(
    sqlite_url: str, tmp_path: Path, hub_server: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    raw = b"CANARYWHSEC" + secrets.token_bytes(21)
    whsec = "whsec_" + base64.b64encode(raw).decode()
    server_secret = "CANARYSERVER" + secrets.token_hex(16)
    monkeypatch.setenv("TL_CANARY_WHSEC", whsec)
    caplog.set_level(logging.DEBUG)
    # the partner answers 500 to every signed delivery: retried, then dead-lettered with its attempt log
    sink = WebhookSink(port=free_port(), secrets=(whsec,), status_for=lambda doc: 500)
    running = hub_server(
        delivery_settings(
            tmp_path,
            sqlite_url,
            {"wms": {"url": sink.url, "secrets_env": "TL_CANARY_WHSEC"}},
            [{"name": "to-wms", "events": ["tradelane.shipment.*"], "destination": "wms",
              "retry": {"schedule": [1.0], "jitter": 0}}],
            secret_key=server_secret,
        )
    )
    running.call(sink.start())
    canaries = [whsec, whsec.removeprefix("whsec_"), server_secret]
    seen: list[str] = []
    try:
        key = running.key("acme", ("events:write", "events:read", "dlq:replay"))
        fake_key = "tl_pk_CANARYKEY" + secrets.token_hex(12)
        client_secret = "CANARYCLIENT" + secrets.token_hex(12)
        canaries += [fake_key, client_secret]
        with httpx2.Client(base_url=running.base_url, timeout=20) as c:
            auth = {"Authorization": f"Bearer {key}"}
            r = c.post("/v1/events/batch", json=[milestone(i, "shp_c", i).to_wire() for i in range(3)], headers=auth)
            assert r.status_code == 201
            dead = wait_until(lambda: (d := c.get("/v1/deliveries?status=dead", headers=auth).json()["deliveries"])
                         and len(d) == 3 and d, "three dead deliveries")
            assert sink.bad_signatures == 0 and sink.requests >= 6  # signed with the canary, retried, dead
            for d in dead:
                seen.append(c.get(f"/v1/deliveries/{d['id']}", headers=auth).text)
            seen.append(c.get("/v1/deliveries?status=dead", headers=auth).text)
            seen.append(c.get("/v1/notifications", headers=auth).text)
            seen.append(c.post("/v1/deliveries/replay", json={"status": "dead", "dry_run": True}, headers=auth).text)
            # refused credentials: the presented secret is not echoed
            for bad in (fake_key, f"{key[:-4]}CANARYKEY"):
                r = c.get("/v1/events", headers={"Authorization": f"Bearer {bad}"})
                assert r.status_code == 401
                seen.append(r.text)
                seen.append(str(r.headers))
            r = c.post("/v1/oauth/token",
                       data={"grant_type": "client_credentials", "client_id": "nobody", "client_secret": client_secret})
            assert r.status_code in (400, 401)
            seen.append(r.text)
            r = c.post("/v1/oauth/token", data={"grant_type": "client_credentials"},
                       auth=("tl_pk_nobody", client_secret))
            assert r.status_code in (400, 401)
            seen.append(r.text)
        views, _ = running.call(running.hub.store.list_deliveries(DeliveryFilter(status="dead"), 10))
        for v in views:
            full = running.call(running.hub.store.get_delivery(v.id))
            seen.append(repr(full))
    finally:
        running.call(sink.stop())
    seen += [rec.getMessage() for rec in caplog.records]
    seen += [str(rec.args) for rec in caplog.records if rec.args]
    seen.append(caplog.text)
    leaks = [(canary[:16], text[:200]) for canary in canaries for text in seen if canary in text]
    assert not leaks, leaks
    assert len(seen) > 10
