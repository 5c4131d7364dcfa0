"""The ingest API over real HTTP on loopback, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import copy
import uuid
from typing import Any

import httpx2
import pytest

from tradelane.core.examples import EXAMPLES

MILESTONE = "tradelane.shipment.milestone.v1"
PICKED = "tradelane.shipment.picked.v1"


def event(etype: str = MILESTONE, **over: Any) -> dict[str, Any]:
    ev = {
        "specversion": "1.0",
        "id": uuid.uuid4().hex,
        "source": "/partners/acme-carrier",
        "type": etype,
        "time": "2026-11-22T10:00:00+01:00",
        "correlationid": "corr-1",
        "data": copy.deepcopy(EXAMPLES[etype]),
    }
    ev.update(over)
    return ev


def count(rh: Any) -> int:
    return int(rh.call(rh.hub.store.count_events()))


@pytest.fixture
def client(running_hub: Any) -> Any:
    key = running_hub.key("acme")
    with httpx2.Client(base_url=running_hub.base_url, headers={"Authorization": f"Bearer {key}"}, timeout=30) as c:
        yield c


def test_post_then_get_and_list(running_hub: Any, client: Any) -> None:
    ev = event()
    r = client.post("/v1/events", json=ev)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["status"] == "accepted" and body["id"] == ev["id"]
    assert r.headers["location"] == f"/v1/events/{body['hubid']}"
    got = client.get(r.headers["location"]).json()
    assert got["id"] == ev["id"] and got["type"] == MILESTONE
    assert got["time"] == "2026-11-22T09:00:00Z"  # normalised to UTC
    assert got["partitionkey"]  # filled from the type's key field
    listed = client.get("/v1/events", params={"correlationid": "corr-1"}).json()
    assert [e["hubid"] for e in listed["items"]] == [body["hubid"]]


def test_duplicate_event_is_stored_once(running_hub: Any, client: Any) -> None:
    ev = event()
    first = client.post("/v1/events", json=ev)
    second = client.post("/v1/events", json=ev)
    assert first.status_code == 201 and second.status_code == 200
    assert second.json()["status"] == "duplicate"
    assert second.json()["hubid"] == first.json()["hubid"]
    assert count(running_hub) == 1


def test_same_id_other_payload_is_a_conflict(running_hub: Any, client: Any) -> None:
    ev = event()
    assert client.post("/v1/events", json=ev).status_code == 201
    ev2 = copy.deepcopy(ev)
    ev2["subject"] = "changed"
    r = client.post("/v1/events", json=ev2)
    assert r.status_code == 409
    assert r.headers["content-type"] == "application/problem+json"
    assert count(running_hub) == 1


@pytest.mark.parametrize(
    ("mutate", "status", "path"),
    [
        (lambda e: e.update(type="tradelane.shipment.teleported.v1"), 422, "type"),
        (lambda e: e.pop("source"), 422, "source"),
        (lambda e: e.update(time="2026-11-22T10:00:00"), 422, "time"),
        (lambda e: e.update(specversion="0.3"), 422, "specversion"),
        (lambda e: e.update(unexpected="x"), 422, "unexpected"),
    ],
)
def test_bad_envelope_names_the_field(running_hub: Any, client: Any, mutate: Any, status: int, path: str) -> None:
    ev = event()
    mutate(ev)
    r = client.post("/v1/events", json=ev)
    assert r.status_code == status, r.text
    prob = r.json()
    assert r.headers["content-type"] == "application/problem+json"
    assert path in [e["path"] for e in prob["errors"]]
    assert count(running_hub) == 0


def _first_unit_path(node: Any, path: str = "data") -> str | None:
    if isinstance(node, dict):
        if isinstance(node.get("unit"), str):
            return f"{path}.unit"
        for k, v in node.items():
            found = _first_unit_path(v, f"{path}.{k}")
            if found:
                return found
    if isinstance(node, list):
        for i, v in enumerate(node):
            found = _first_unit_path(v, f"{path}[{i}]")
            if found:
                return found
    return None


def _set_path(doc: dict[str, Any], path: str, value: Any) -> None:
    import re

    parts = re.findall(r"[^.\[\]]+", path)
    node: Any = doc
    for p in parts[:-1]:
        node = node[int(p)] if isinstance(node, list) else node[p]
    node[parts[-1]] = value


def test_unknown_unit_names_the_field(running_hub: Any, client: Any) -> None:
    ev = event(PICKED)
    path = _first_unit_path(ev["data"])
    assert path is not None, "the picked example must carry a quantity"
    _set_path(ev, path, "FURLONG")
    r = client.post("/v1/events", json=ev)
    assert r.status_code == 422
    problems = r.json()["errors"]
    assert any(p["path"] == path and "FURLONG" in p["message"] for p in problems), problems
    assert count(running_hub) == 0


def test_missing_data_field(running_hub: Any, client: Any) -> None:
    ev = event()
    key_field = running_hub.hub.registry.get(MILESTONE).key_field
    ev["data"].pop(key_field)
    r = client.post("/v1/events", json=ev)
    assert r.status_code == 422
    assert f"data.{key_field}" in [p["path"] for p in r.json()["errors"]]


def test_oversized_deep_and_malformed_bodies(running_hub: Any, client: Any) -> None:
    limit = running_hub.hub.settings.api.max_body_bytes
    ev = event()
    ev["subject"] = "x" * 400
    ev["data"]["padding"] = "y" * (limit + 10)
    r = client.post("/v1/events", json=ev)
    assert r.status_code == 413 and r.json()["errors"][0]["code"] == "too_large"
    deep: Any = {}
    cur = deep
    for _ in range(100):
        cur["a"] = {}
        cur = cur["a"]
    r = client.post("/v1/events", json=deep)
    assert r.status_code == 400 and r.json()["errors"][0]["code"] == "too_deep"
    r = client.post("/v1/events", content=b'{"id": ', headers={"content-type": "application/json"})
    assert r.status_code == 400 and r.json()["errors"][0]["code"] == "invalid_json"
    assert count(running_hub) == 0


def test_batch_is_all_or_nothing(running_hub: Any, client: Any) -> None:
    good = [event(), event(PICKED)]
    bad = event(time="2026-01-01T00:00:00")
    r = client.post("/v1/events/batch", json=[*good, bad])
    assert r.status_code == 422
    assert "[2].time" in [p["path"] for p in r.json()["errors"]]
    assert count(running_hub) == 0
    r = client.post("/v1/events/batch", json=good)
    assert r.status_code == 201
    assert [e["status"] for e in r.json()["events"]] == ["accepted", "accepted"]
    assert count(running_hub) == 2


def test_idempotency_key_replay_and_mismatch(running_hub: Any, client: Any) -> None:
    ev = event()
    h = {"Idempotency-Key": "order-42-release"}
    first = client.post("/v1/events", json=ev, headers=h)
    again = client.post("/v1/events", json=ev, headers=h)
    assert first.status_code == 201 and again.status_code == 201
    assert again.headers.get("idempotent-replayed") == "true"
    assert again.json() == first.json()
    other = client.post("/v1/events", json=event(), headers=h)
    assert other.status_code == 422
    assert count(running_hub) == 1


def test_idempotency_keys_are_scoped_per_credential(running_hub: Any, client: Any) -> None:
    other_key = running_hub.key("globex")
    h = {"Idempotency-Key": "shared-key"}
    a = client.post("/v1/events", json=event(), headers=h)
    b = httpx2.post(
        f"{running_hub.base_url}/v1/events", json=event(), headers={**h, "Authorization": f"Bearer {other_key}"}
    )
    assert a.status_code == 201 and b.status_code == 201
    assert a.json()["hubid"] != b.json()["hubid"]  # no response leaked across partners


def test_fifty_concurrent_identical_requests_execute_once(running_hub: Any) -> None:
    key = running_hub.key("acme")
    ev = event()

    async def go() -> list[int]:
        async with httpx2.AsyncClient(base_url=running_hub.base_url, timeout=30) as c:
            rs = await asyncio.gather(
                *(
                    c.post("/v1/events", json=ev, headers={"Authorization": f"Bearer {key}", "Idempotency-Key": "same"})
                    for _ in range(50)
                )
            )
            return [r.status_code for r in rs]

    codes = asyncio.run(go())
    assert set(codes) <= {201, 409}, codes
    assert 201 in codes
    assert count(running_hub) == 1


def test_auth_scopes_and_tenancy(running_hub: Any, client: Any) -> None:
    base = running_hub.base_url
    ev = event()
    assert httpx2.post(f"{base}/v1/events", json=ev).status_code == 401
    r = httpx2.post(f"{base}/v1/events", json=ev, headers={"Authorization": "Bearer tl_pk_nonsense"})
    assert r.status_code == 401 and "bearer" in r.headers["www-authenticate"].lower()
    reader = running_hub.key("acme", scopes=("events:read",))
    r = httpx2.post(f"{base}/v1/events", json=ev, headers={"Authorization": f"Bearer {reader}"})
    assert r.status_code == 403
    created = client.post("/v1/events", json=ev).json()
    foreign = running_hub.key("globex")
    r = httpx2.get(f"{base}/v1/events/{created['hubid']}", headers={"Authorization": f"Bearer {foreign}"})
    assert r.status_code == 404
    listed = httpx2.get(f"{base}/v1/events", headers={"Authorization": f"Bearer {foreign}"}).json()
    assert listed["items"] == []
    admin = running_hub.key(None, scopes=("admin",))
    r = httpx2.get(f"{base}/v1/events/{created['hubid']}", headers={"Authorization": f"Bearer {admin}"})
    assert r.status_code == 200


def test_revoked_key_is_refused(running_hub: Any) -> None:
    from tradelane.security.apikeys import parse_key
    from tradelane.security.keyring import revoke_api_key

    key = running_hub.key("acme")
    h = {"Authorization": f"Bearer {key}"}
    assert httpx2.post(f"{running_hub.base_url}/v1/events", json=event(), headers=h).status_code == 201
    parsed = parse_key(key)
    assert parsed is not None
    assert running_hub.call(revoke_api_key(running_hub.hub.store, parsed.key_id))
    running_hub.hub.authenticator.forget(parsed.key_id)
    assert httpx2.post(f"{running_hub.base_url}/v1/events", json=event(), headers=h).status_code == 401


def test_cursor_paging_and_filters(running_hub: Any, client: Any) -> None:
    ids = []
    for i in range(7):
        r = client.post("/v1/events", json=event(correlationid="page", partitionkey=f"P{i % 2}"))
        ids.append(r.json()["hubid"])
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"correlationid": "page", "limit": 3}
        if cursor:
            params["cursor"] = cursor
        page = client.get("/v1/events", params=params).json()
        seen += [e["hubid"] for e in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == ids
    p0 = client.get("/v1/events", params={"partitionkey": "P0"}).json()["items"]
    assert len(p0) == 4
    assert client.get("/v1/events", params={"cursor": "!!"}).status_code == 422
    assert client.get("/v1/events", params={"since": "2026-01-01T00:00:00"}).status_code == 422
    assert client.get("/v1/events", params={"limit": 100000}).status_code == 422


def test_health_endpoints(running_hub: Any) -> None:
    assert httpx2.get(f"{running_hub.base_url}/v1/health/live").json() == {"status": "ok"}
    assert httpx2.get(f"{running_hub.base_url}/v1/health/ready").status_code == 200
    spec = httpx2.get(f"{running_hub.base_url}/openapi.json").json()
    assert "/v1/events" in spec["paths"] and "CloudEvent" in spec["components"]["schemas"]
