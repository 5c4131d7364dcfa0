"""Deliveries, DLQ replay and signed inbound webhooks over real HTTP."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx2
import orjson
import pytest

from tradelane.delivery.signing import generate_secret, sign, sign_github
from tradelane.testing.delivery import delivery_settings, milestone
from tradelane.testing.net import free_port
from tradelane.testing.sink import WebhookSink
from tradelane.testing.wait import wait_until


@pytest.fixture
def setup(db_url: str, tmp_path: Path, hub_server: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    secret = generate_secret()
    monkeypatch.setenv("TL_HOOK_CARRIER", secret)
    monkeypatch.setenv("TL_HOOK_GH", "It's a Secret to Everybody")
    answer: dict[str, int | None] = {"status": 422}
    sink = WebhookSink(port=free_port(), status_for=lambda doc: answer["status"])
    running = hub_server(
        delivery_settings(
            tmp_path,
            db_url,
            {"wms": {"url": sink.url}},
            [{"name": "to-wms", "events": ["tradelane.shipment.*"], "destination": "wms"}],
            hooks={
                "carrier": {"scheme": "standard", "secrets_env": "TL_HOOK_CARRIER", "tenant": "carrier-co"},
                "gh": {"scheme": "github", "secrets_env": "TL_HOOK_GH", "tenant": "gh-co"},
            },
        )
    )
    running.call(sink.start())
    yield running, sink, secret, answer
    running.call(sink.stop())


def test_dlq_list_dry_run_and_replay_over_http(setup: Any) -> None:
    running, sink, _, answer = setup
    admin = running.key(None, ("admin",))
    partner = running.key("acme", ("events:write", "events:read"))
    other = running.key("globex", ("events:write", "events:read", "dlq:replay"))
    with httpx2.Client(base_url=running.base_url, timeout=10) as c:
        body = [milestone(i, "shp_api", i).to_wire() for i in range(3)]
        r = c.post("/v1/events/batch", json=body, headers={"Authorization": f"Bearer {partner}"})
        assert r.status_code == 201, r.text
        auth = {"Authorization": f"Bearer {admin}"}
        dead = wait_until(lambda: (d := c.get("/v1/deliveries?status=dead", headers=auth).json()["deliveries"])
                     and len(d) == 3 and d, "three dead deliveries")
        assert {d["error_class"] for d in dead} == {"http_4xx"}
        one = c.get(f"/v1/deliveries/{dead[0]['id']}", headers=auth).json()
        assert one["attempt_log"][0]["status_code"] == 422
        # the partner sees its own deliveries; another tenant gets 404 for the same id
        pauth = {"Authorization": f"Bearer {partner}"}
        assert c.get(f"/v1/deliveries/{dead[0]['id']}", headers=pauth).status_code == 200
        oauth = {"Authorization": f"Bearer {other}"}
        assert c.get(f"/v1/deliveries/{dead[0]['id']}", headers=oauth).status_code == 404
        assert c.post(f"/v1/deliveries/{dead[0]['id']}/replay", headers=oauth).status_code == 404
        # the partner lacks dlq:replay
        assert c.post("/v1/deliveries/replay", json={}, headers=pauth).status_code == 403
        # unknown fields are refused (no mass assignment)
        r = c.post("/v1/deliveries/replay", json={"status": "done"}, headers=auth)
        assert r.status_code == 422
        dry = c.post("/v1/deliveries/replay", json={"route": "to-wms"}, headers=auth).json()
        assert dry == {"matched": 3, "replayed": 0, "dry_run": True, "ids": []}
        answer["status"] = None
        done = c.post("/v1/deliveries/replay", json={"route": "to-wms", "dry_run": False}, headers=auth).json()
        assert done["replayed"] == 3
        wait_until(lambda: len(sink.effects) == 3, "three effects at the sink")
        wait_until(lambda: len(c.get("/v1/deliveries?status=done", headers=auth).json()["deliveries"]) == 3,
                   "three done deliveries")
        assert c.get("/v1/deliveries?status=dead", headers=auth).json()["deliveries"] == []


def test_signed_webhooks_verify_dedupe_and_refuse_malformed(setup: Any) -> None:
    running, _, secret, _ = setup
    admin = running.key(None, ("admin",))
    ev = orjson.dumps(milestone(1, "shp_hook", 1).to_wire())
    with httpx2.Client(base_url=running.base_url, timeout=10) as c:
        headers = sign([secret], "msg_carrier_0001", int(time.time()), ev)
        r1 = c.post("/v1/hooks/carrier", content=ev, headers=headers)
        assert r1.status_code == 201, r1.text
        # the sender retries the same message id (fresh timestamp): a duplicate, same hub id
        headers = sign([secret], "msg_carrier_0001", int(time.time()), ev)
        r2 = c.post("/v1/hooks/carrier", content=ev, headers=headers)
        assert r2.status_code == 200 and r2.json()["hubid"] == r1.json()["hubid"]
        assert r2.json()["status"] == "duplicate"
        carrier = running.key("carrier-co", ("events:read",))
        found = c.get(f"/v1/events/{r1.json()['hubid']}", headers={"Authorization": f"Bearer {carrier}"})
        assert found.status_code == 200  # stored under the sender's tenant
        assert c.get(f"/v1/events/{r1.json()['hubid']}", headers={"Authorization": f"Bearer {admin}"}).json()["id"]
        ts = str(int(time.time()))
        good = sign([secret], "msg_carrier_0002", int(ts), ev)
        bad_cases = [
            {**good, "webhook-signature": "v1"},
            {**good, "webhook-timestamp": f"{ts}.9"},
            {**good, "webhook-timestamp": f"+{ts}"},  # (a leading space is stripped by HTTP itself)
            {**good, "webhook-timestamp": "nan"},
            {**good, "webhook-timestamp": "1e9"},
            {**good, "webhook-timestamp": str(int(ts) - 301)},
            {k: v for k, v in good.items() if k != "webhook-id"},
        ]
        for h in bad_cases:
            r = c.post("/v1/hooks/carrier", content=ev, headers=h)
            assert r.status_code == 401, (h, r.status_code, r.text)
            assert r.headers["content-type"].startswith("application/problem+json")
        not_utf8 = b"\xff\xfe{}"
        r = c.post("/v1/hooks/carrier", content=not_utf8, headers=sign([secret], "msg_x", int(ts), b"{}"))
        assert r.status_code == 401
        # GitHub scheme with the published test vector's secret
        gh = sign_github("It's a Secret to Everybody", ev)
        r = c.post("/v1/hooks/gh", content=ev, headers={**gh, "X-GitHub-Delivery": "d-1"})
        assert r.status_code == 201, r.text
        assert c.post("/v1/hooks/nobody", content=ev, headers=good).status_code == 404
        # a verified body that is not a valid event: 422 with field paths, nothing stored
        junk = b'{"specversion": "1.0"}'
        r = c.post("/v1/hooks/carrier", content=junk, headers=sign([secret], "msg_junk", int(ts), junk))
        assert r.status_code == 422
        assert r.json()["errors"]
