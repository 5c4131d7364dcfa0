"""Per-credential rate limits over real HTTP: 429 problem+json with Retry-After for the noisy credential only."""

from __future__ import annotations

import copy
import uuid
from typing import Any

import httpx2

from tradelane.core.examples import EXAMPLES
from tradelane.security.apikeys import parse_key

MILESTONE = "tradelane.shipment.milestone.v1"
#: the burst of the ``limited_hub`` fixture (conftest)
BURST = 3


def event() -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": uuid.uuid4().hex,
        "source": "/partners/x",
        "type": MILESTONE,
        "data": copy.deepcopy(EXAMPLES[MILESTONE]),
    }


def test_noisy_credential_is_throttled_and_quiet_one_is_not(limited_hub: Any) -> None:
    base = limited_hub.base_url
    noisy = {"Authorization": f"Bearer {limited_hub.key('noisy')}"}
    quiet = {"Authorization": f"Bearer {limited_hub.key('quiet')}"}
    statuses = [
        httpx2.post(f"{base}/v1/events", json=event(), headers=noisy).status_code for _ in range(BURST + 5)
    ]
    assert statuses == [201] * BURST + [429] * 5
    r = httpx2.get(f"{base}/v1/events", headers=noisy)
    assert r.status_code == 429
    assert r.headers["content-type"] == "application/problem+json"
    assert int(r.headers["retry-after"]) >= 1
    assert r.json()["status"] == 429 and r.json()["type"].endswith("/rate-limited")
    # the quiet partner still has its whole burst
    assert [
        httpx2.post(f"{base}/v1/events", json=event(), headers=quiet).status_code for _ in range(BURST)
    ] == [201] * BURST
    assert limited_hub.call(limited_hub.hub.store.count_events()) == 2 * BURST


def test_tokens_count_against_their_key(limited_hub: Any) -> None:
    base = limited_hub.base_url
    key = limited_hub.key("acme")
    parsed = parse_key(key)
    assert parsed is not None
    tok = httpx2.post(
        f"{base}/v1/oauth/token",
        data={"grant_type": "client_credentials", "client_id": parsed.key_id, "client_secret": key},
    )
    assert tok.status_code == 200
    token = tok.json()["access_token"]
    # one bucket for the key, its token requests and its tokens: 1 + 2 = the burst of 3
    assert httpx2.get(f"{base}/v1/events", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert httpx2.get(f"{base}/v1/events", headers={"Authorization": f"Bearer {key}"}).status_code == 200
    assert httpx2.get(f"{base}/v1/events", headers={"Authorization": f"Bearer {token}"}).status_code == 429
    assert httpx2.get(f"{base}/v1/events", headers={"Authorization": f"Bearer {key}"}).status_code == 429
    again = httpx2.post(
        f"{base}/v1/oauth/token",
        data={"grant_type": "client_credentials", "client_id": parsed.key_id, "client_secret": key},
    )
    assert again.status_code == 429 and int(again.headers["retry-after"]) >= 1


def test_unauthenticated_requests_do_not_create_buckets(limited_hub: Any) -> None:
    base = limited_hub.base_url
    for i in range(20):
        assert (
            httpx2.get(f"{base}/v1/events", headers={"Authorization": f"Bearer tl_pk_bad{i}"}).status_code
            == 401
        )
    spec = httpx2.get(f"{base}/openapi.json")
    assert spec.status_code == 200  # unauthenticated routes are not limited
