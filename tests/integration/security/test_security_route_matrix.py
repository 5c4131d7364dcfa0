"""Every operation in the OpenAPI document × credentials: the BOLA and scope matrix (OWASP API1, API5).

Generated from ``/openapi.json``, so a route added later is covered without touching this file:

* no credentials → 401 for every operation not declared public (``security: []``);
* a credential with no scopes → 403 for every protected operation;
* another tenant's credential, holding every non-admin scope, naming tenant A's ids in the path → never a
  2xx, and for reads of A's resources exactly 404 (a foreign id looks like a missing one);
* nothing ever answers 5xx.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx2
import pytest

from tradelane.security.roles import PARTNER_SCOPES as _PARTNER_SCOPES
from tradelane.testing.delivery import delivery_settings, milestone
from tradelane.testing.net import free_port
from tradelane.testing.sink import WebhookSink
from tradelane.testing.wait import wait_until

PARTNER_SCOPES = tuple(sorted(_PARTNER_SCOPES))
METHODS = ("get", "post", "put", "patch", "delete")




@pytest.fixture
def world(sqlite_url: str, tmp_path: Path, hub_server: Any) -> Any:
    sink = WebhookSink(port=free_port(), status_for=lambda doc: 422)  # deliveries end dead: stable rows
    running = hub_server(
        delivery_settings(
            tmp_path,
            sqlite_url,
            {"wms": {"url": sink.url}},
            [{"name": "to-wms", "events": ["tradelane.shipment.*"], "destination": "wms"}],
            security={"rate_limit_enabled": False},
        )
    )
    running.call(sink.start())
    a = running.key("acme", PARTNER_SCOPES)
    b = running.key("globex", PARTNER_SCOPES)
    admin = running.key(None, ("admin",))
    with httpx2.Client(base_url=running.base_url, timeout=20) as c:
        r = c.post("/v1/events/batch", json=[milestone(i, "shp_acme", i).to_wire() for i in range(2)],
                   headers={"Authorization": f"Bearer {a}"})
        assert r.status_code == 201, r.text
        hub_id = r.json()["events"][0]["hubid"]
        auth = {"Authorization": f"Bearer {a}"}
        delivery = wait_until(lambda: c.get("/v1/deliveries?status=dead", headers=auth).json()["deliveries"],
                              "a dead delivery")[0]["id"]
        spec = c.get("/openapi.json").json()
    yield running, spec, {"a": a, "b": b, "admin": admin}, {"hub_id": hub_id, "delivery_id": delivery}
    running.call(sink.stop())


def _operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    out = []
    for path, item in spec["paths"].items():
        for method in METHODS:
            if method in item:
                out.append((path, method, item[method]))
    return out


def _public(op: dict[str, Any]) -> bool:
    return op.get("security") == []


def _fill(path: str, ids: dict[str, str]) -> tuple[str, bool]:
    """The path with tenant A's ids where the parameter names one of A's resources; whether it did."""
    foreign = False

    def value(m: re.Match[str]) -> str:
        nonlocal foreign
        name = m.group(1)
        if "hub" in name or path.startswith("/v1/events/"):
            foreign = True
            return ids["hub_id"]
        if path.startswith("/v1/deliveries/"):
            foreign = True
            return ids["delivery_id"]
        if path.startswith("/v1/endpoints/"):
            foreign = True
            return "wms"
        if path.startswith("/v1/edi/"):
            return "abf"
        return "zz_not_there"

    return re.sub(r"\{([^}]+)\}", value, path), foreign


def _call(c: httpx2.Client, method: str, url: str, key: str | None) -> httpx2.Response:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    if method in ("post", "put", "patch"):
        return c.request(method.upper(), url, json={}, headers=headers)
    return c.request(method.upper(), url, headers=headers)


def test_every_protected_operation_needs_a_credential_and_a_scope(world: Any) -> None:
    running, spec, keys, ids = world
    none_scope = running.key("acme", ())
    ops = _operations(spec)
    assert len(ops) >= 15, "the matrix must see the whole API"
    problems: list[str] = []
    with httpx2.Client(base_url=running.base_url, timeout=20) as c:
        for path, method, op in ops:
            url, _ = _fill(path, ids)
            if path == "/v1/hooks/{name}" or path.startswith("/v1/oauth/"):
                continue  # signature- and client-secret-authenticated, covered by their own tests
            anon = _call(c, method, url, None)
            if anon.status_code >= 500:
                problems.append(f"{method.upper()} {path}: anonymous → {anon.status_code}")
            if _public(op):
                continue
            if anon.status_code != 401:
                problems.append(f"{method.upper()} {path}: anonymous → {anon.status_code}, want 401")
            elif "www-authenticate" not in anon.headers:
                problems.append(f"{method.upper()} {path}: 401 without WWW-Authenticate")
            scoped = _call(c, method, url, none_scope)
            if scoped.status_code != 403:
                problems.append(f"{method.upper()} {path}: no scopes → {scoped.status_code}, want 403")
    assert not problems, "\n".join(problems)


def test_another_tenant_never_reaches_tenant_a_resources(world: Any) -> None:
    running, spec, keys, ids = world
    problems: list[str] = []
    checked = 0
    with httpx2.Client(base_url=running.base_url, timeout=20) as c:
        for path, method, op in _operations(spec):
            url, foreign = _fill(path, ids)
            if not foreign or _public(op):
                continue
            checked += 1
            r = _call(c, method, url, keys["b"])
            if 200 <= r.status_code < 300 or r.status_code >= 500:
                problems.append(f"{method.upper()} {url}: tenant B → {r.status_code}")
            elif method == "get" and r.status_code not in (403, 404):
                problems.append(f"{method.upper()} {url}: tenant B → {r.status_code}, want 404 (or 403 for admin)")
            own = _call(c, method, url, keys["admin"]) if method == "get" else None
            if own is not None and own.status_code >= 500:
                problems.append(f"{method.upper()} {url}: admin → {own.status_code}")
        # the id really exists: tenant A reads it
        a = c.get(f"/v1/events/{ids['hub_id']}", headers={"Authorization": f"Bearer {keys['a']}"})
        assert a.status_code == 200
        d = c.get(f"/v1/deliveries/{ids['delivery_id']}", headers={"Authorization": f"Bearer {keys['a']}"})
        assert d.status_code == 200
        # and B's replay of A's dead delivery changed nothing
        assert d.json()["status"] == "dead" and d.json()["replays"] == 0
    assert checked >= 4, f"only {checked} operations name a tenant resource"
    assert not problems, "\n".join(problems)


#: writes that are data (ingest), never an operator's: only partners holding events:write make them
DATA_PLANE = ("/v1/events", "/v1/events/batch", "/v1/edi/{partner}/interchanges")


def _guarded(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, op)
        for path, method, op in _operations(spec)
        if not _public(op) and path != "/v1/hooks/{name}" and not path.startswith("/v1/oauth/")
    ]


def test_operator_roles_on_every_operation(world: Any) -> None:
    """viewer: every read, no write; operator: every read and every operator write, no ingest; admin: all."""
    running, spec, keys, ids = world
    viewer, operator = running.key(None, ("viewer",)), running.key(None, ("operator",))
    problems: list[str] = []
    with httpx2.Client(base_url=running.base_url, timeout=20) as c:
        for path, method, _ in _guarded(spec):
            url, _ = _fill(path, ids)
            for role, key in (("viewer", viewer), ("operator", operator), ("admin", keys["admin"])):
                r = _call(c, method, url, key)
                if role == "viewer":
                    allowed = method == "get"
                elif role == "operator":
                    allowed = method == "get" or path not in DATA_PLANE
                else:
                    allowed = True
                if r.status_code >= 500 or r.status_code == 401:
                    problems.append(f"{role} {method.upper()} {path}: {r.status_code}")
                elif allowed and r.status_code == 403:
                    problems.append(f"{role} {method.upper()} {path}: 403, want allowed")
                elif not allowed and r.status_code != 403:
                    problems.append(f"{role} {method.upper()} {path}: {r.status_code}, want 403")
        # operators see every tenant: tenant A's event is visible to a viewer
        assert c.get(f"/v1/events/{ids['hub_id']}", headers={"Authorization": f"Bearer {viewer}"}).status_code == 200
    assert not problems, "\n".join(problems)


def test_every_successful_operator_write_is_audited(world: Any) -> None:
    """Each state-changing operation that answers 2xx leaves one audit row naming the caller and the target."""
    running, spec, keys, ids = world
    from tradelane.store.audit import verify_audit

    audit = running.hub.audit
    done: list[tuple[str, str]] = []
    with httpx2.Client(base_url=running.base_url, timeout=20) as c:
        for path, method, op in _guarded(spec):
            if method == "get" or path in DATA_PLANE:
                continue
            url, _ = _fill(path, ids)
            before = running.call(audit.head())
            r = _call(c, method, url, keys["admin"])
            after = running.call(audit.head())
            grew = (after.seq if after else 0) - (before.seq if before else 0)
            if 200 <= r.status_code < 300:
                assert grew == 1, f"{method.upper()} {path} answered {r.status_code} but wrote {grew} audit rows"
                done.append((path, op["operationId"]))
            else:
                assert grew == 0, f"{method.upper()} {path} answered {r.status_code} and wrote {grew} audit rows"
        # an ingest is data, not an audited action
        before = running.call(audit.head())
        r = c.post("/v1/events", json=milestone(9, "shp_acme", 9).to_wire(), headers={"Authorization": f"Bearer {keys['a']}"})
        assert r.status_code == 201 and running.call(audit.head()) == before
    assert len(done) >= 4, f"only {done} answered 2xx"
    rows = running.call(audit.read(0, 1000))
    assert running.call(verify_audit(running.hub.store)).ok
    by_action = {r.action: r for r in rows}
    assert {"api.replay_one", "api.disable_endpoint", "api.enable_endpoint", "api.replay"} <= set(by_action)
    one = by_action["api.replay_one"]
    assert one.target == ids["delivery_id"] and one.actor.startswith("api:") and one.tenant is None
    assert one.detail["route"] == "/v1/deliveries/{delivery_id}/replay" and one.detail["status"] == 200
    assert by_action["api.replay"].detail["request"] == {}


def test_query_strings_are_strict(world: Any) -> None:
    """A typo in a filter must not silently widen a listing (or a replay): unknown, repeated or oddly spelled
    query parameters answer 422 with the parameter's path; page sizes above the cap too."""
    running, _, keys, _ = world
    auth = {"Authorization": f"Bearer {keys['admin']}"}
    cases = {
        "/v1/deliveries?staus=dead": ("query.staus", "unknown_parameter"),
        "/v1/deliveries?status=dead&status=done": ("query.status", "repeated"),
        "/v1/events?since=-5911": ("query.since", "invalid"),
        "/v1/deliveries?limit=100000": ("query.limit", "too_large"),
        "/v1/exceptions?limit=100000": ("query.limit", "too_large"),
    }
    with httpx2.Client(base_url=running.base_url, timeout=20) as c:
        for url, (path, code) in cases.items():
            r = c.get(url, headers=auth)
            assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json", url
            assert [(e["path"], e["code"]) for e in r.json()["errors"]] == [(path, code)], url
        assert c.get("/v1/events?since=2026-01-01T00:00:00Z&limit=5", headers=auth).status_code == 200
        assert c.get("/v1/deliveries?staus=dead").status_code == 401  # authentication comes first
