"""OAuth2 client credentials and bearer authentication over real HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import copy
import time
import uuid
from typing import Any

import httpx2
import jwt

from tradelane.core.examples import EXAMPLES
from tradelane.security.apikeys import parse_key

MILESTONE = "tradelane.shipment.milestone.v1"


def event() -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": uuid.uuid4().hex,
        "source": "/partners/acme-carrier",
        "type": MILESTONE,
        "time": "2026-11-22T10:00:00Z",
        "data": copy.deepcopy(EXAMPLES[MILESTONE]),
    }


def key_id(key: str) -> str:
    parsed = parse_key(key)
    assert parsed is not None
    return parsed.key_id


def get_token(base: str, key: str, **extra: str) -> httpx2.Response:
    form = {"grant_type": "client_credentials", "client_id": key_id(key), "client_secret": key, **extra}
    return httpx2.post(f"{base}/v1/oauth/token", data=form)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_token_works_like_the_key(running_hub: Any) -> None:
    base = running_hub.base_url
    key = running_hub.key("acme")
    r = get_token(base, key)
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == "no-store"
    body = r.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 900
    assert set(body["scope"].split()) == {"events:read", "events:write"}
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["sub"] == key_id(key) and claims["tnt"] == "acme" and claims["aud"] == "tradelane-api"
    created = httpx2.post(f"{base}/v1/events", json=event(), headers=bearer(body["access_token"]))
    assert created.status_code == 201, created.text
    got = httpx2.get(f"{base}/v1/events/{created.json()['hubid']}", headers=bearer(body["access_token"]))
    assert got.status_code == 200
    foreign = get_token(base, running_hub.key("globex")).json()["access_token"]
    assert (
        httpx2.get(f"{base}/v1/events/{created.json()['hubid']}", headers=bearer(foreign)).status_code == 404
    )


def test_http_basic_client_authentication(running_hub: Any) -> None:
    key = running_hub.key("acme")
    basic = base64.b64encode(f"{key_id(key)}:{key}".encode()).decode()
    r = httpx2.post(
        f"{running_hub.base_url}/v1/oauth/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert r.status_code == 200, r.text
    both = httpx2.post(
        f"{running_hub.base_url}/v1/oauth/token",
        data={"grant_type": "client_credentials", "client_secret": key},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert both.status_code == 400 and both.json()["error"] == "invalid_request"


def test_narrowed_token_gets_403_with_the_missing_scope(running_hub: Any) -> None:
    base = running_hub.base_url
    r = get_token(base, running_hub.key("acme"), scope="events:read")
    assert r.status_code == 200 and r.json()["scope"] == "events:read"
    denied = httpx2.post(f"{base}/v1/events", json=event(), headers=bearer(r.json()["access_token"]))
    assert denied.status_code == 403
    assert denied.headers["www-authenticate"] == (
        'Bearer realm="tradelane", error="insufficient_scope", scope="events:write"'
    )
    assert denied.headers["content-type"] == "application/problem+json"
    assert httpx2.get(f"{base}/v1/events", headers=bearer(r.json()["access_token"])).status_code == 200


def test_scope_beyond_the_grant_is_invalid_scope(running_hub: Any) -> None:
    key = running_hub.key("acme")
    for scope in ("pricing:read", "admin", "nonsense", ""):
        r = get_token(running_hub.base_url, key, scope=scope)
        assert r.status_code == 400 and r.json()["error"] == "invalid_scope", (scope, r.text)
    admin = running_hub.key(None, scopes=("admin",))
    narrowed = get_token(running_hub.base_url, admin, scope="pricing:read events:read")
    assert narrowed.status_code == 200 and narrowed.json()["scope"] == "events:read pricing:read"


def test_rfc6750_401s(running_hub: Any) -> None:
    base = running_hub.base_url
    missing = httpx2.get(f"{base}/v1/events")
    assert missing.status_code == 401 and missing.headers["www-authenticate"] == 'Bearer realm="tradelane"'
    key = running_hub.key("acme")
    token = get_token(base, key).json()["access_token"]
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    for bad in (forged, "tl_pk_bad", "a.b.c"):
        r = httpx2.get(f"{base}/v1/events", headers=bearer(bad))
        assert r.status_code == 401
        assert r.headers["www-authenticate"].startswith('Bearer realm="tradelane", error="invalid_token"')
        assert "Traceback" not in r.text and bad not in r.text
    two = httpx2.get(f"{base}/v1/events", headers={**bearer(key), "X-API-Key": token})
    assert two.status_code == 400


def test_expired_and_foreign_tokens_are_401(running_hub: Any) -> None:
    from tradelane.security.tokens import TokenService

    base = running_hub.base_url
    kid = key_id(running_hub.key("acme"))
    secret = running_hub.hub.settings.resolved_secret_key()
    stale = TokenService(secret, clock=lambda: time.time() - 3600).issue(kid, "acme", ["events:read"])
    r = httpx2.get(f"{base}/v1/events", headers=bearer(stale.access_token))
    assert r.status_code == 401 and 'error_description="token expired"' in r.headers["www-authenticate"]
    other_aud = TokenService(secret, audience="someone-else").issue(kid, "acme", ["events:read"])
    assert httpx2.get(f"{base}/v1/events", headers=bearer(other_aud.access_token)).status_code == 401
    other_hub = TokenService(b"some-other-hub-secret-0123456789ab").issue(kid, "acme", ["admin"])
    assert httpx2.get(f"{base}/v1/events", headers=bearer(other_hub.access_token)).status_code == 401


def test_revoking_the_key_kills_its_tokens(running_hub: Any) -> None:
    from tradelane.security.keyring import revoke_api_key

    base = running_hub.base_url
    key = running_hub.key("acme")
    token = get_token(base, key).json()["access_token"]
    assert httpx2.get(f"{base}/v1/events", headers=bearer(token)).status_code == 200
    assert running_hub.call(revoke_api_key(running_hub.hub.store, key_id(key)))
    running_hub.hub.authenticator.forget(key_id(key))
    assert httpx2.get(f"{base}/v1/events", headers=bearer(token)).status_code == 401
    again = get_token(base, key)
    assert again.status_code == 401 and again.json()["error"] == "invalid_client"


def test_token_request_errors(audited_hub: Any) -> None:
    base = audited_hub.base_url
    key = audited_hub.key("acme")
    url = f"{base}/v1/oauth/token"
    wrong = audited_hub.key("acme")  # a real key, but not this client's
    cases = [
        (
            {"grant_type": "password", "client_id": key_id(key), "client_secret": key},
            400,
            "unsupported_grant_type",
        ),
        ({"client_id": key_id(key), "client_secret": key}, 400, "invalid_request"),
        ({"grant_type": "client_credentials", "client_id": key_id(key)}, 401, "invalid_client"),
        (
            {"grant_type": "client_credentials", "client_id": key_id(key), "client_secret": wrong},
            401,
            "invalid_client",
        ),
        (
            {"grant_type": "client_credentials", "client_id": key_id(key), "client_secret": key[:-1] + ("y" if key.endswith("x") else "x")},
            401,
            "invalid_client",
        ),
    ]
    for form, status, error in cases:
        r = httpx2.post(url, data=form)
        assert (r.status_code, r.json()["error"]) == (status, error), form
        assert r.headers["cache-control"] == "no-store" and key not in r.text
    assert httpx2.post(url, json={"grant_type": "client_credentials"}).json()["error"] == "invalid_request"
    repeated = httpx2.post(
        url,
        content=b"grant_type=client_credentials&grant_type=client_credentials",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert repeated.status_code == 400 and "repeated" in repeated.json()["error_description"]
    huge = httpx2.post(
        url, content=b"a=" + b"x" * 10_000, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert huge.status_code == 400
    not_utf8 = httpx2.post(
        url, content=b"grant_type=\xff\xfe", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert not_utf8.status_code == 400
    rows = audited_hub.call(audited_hub.hub.audit.read())
    refused = [r for r in rows if r.action == "oauth.token_refused"]
    assert [r.detail["error"] for r in refused] == [
        "unsupported_grant_type",
        "invalid_request",
        "invalid_client",
        "invalid_client",
        "invalid_client",
    ]
    assert all(r.target == key_id(key) for r in refused)
    assert key not in str(rows) and wrong not in str(rows)


def test_token_endpoint_is_in_the_openapi_spec(running_hub: Any) -> None:
    spec = httpx2.get(f"{running_hub.base_url}/openapi.json").json()
    op = spec["paths"]["/v1/oauth/token"]["post"]
    assert "application/x-www-form-urlencoded" in op["requestBody"]["content"]
    assert op["security"] == []
