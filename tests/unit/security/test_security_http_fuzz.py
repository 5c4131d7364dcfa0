"""The token endpoint and bearer parsing in process (Starlette test client, in-memory key store):
no input, however malformed, gets anything but a declared 4xx — never a 500 or an echoed secret."""

from __future__ import annotations

import asyncio
import base64
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi import Depends, FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from tradelane.api import oauth, ratelimit
from tradelane.api.auth import Authenticator, Principal, require
from tradelane.api.problems import install_handlers
from tradelane.security.keyring import create_api_key
from tradelane.settings import Settings

SECRET = b"fuzz-test-server-secret-0123456789ab"


class _Keys:
    def __init__(self) -> None:
        self.keys: dict[str, Any] = {}

    async def add_api_key(self, record: Any) -> None:
        self.keys[record.key_id] = record

    async def get_api_key(self, key_id: str) -> Any:
        return self.keys.get(key_id)


@pytest.fixture(scope="module")
def app_and_key() -> tuple[TestClient, str]:
    store = _Keys()
    key, _ = asyncio.run(create_api_key(store, SECRET, name="fuzz", tenant="acme"))  # type: ignore[arg-type]
    app = FastAPI()
    app.state.hub = SimpleNamespace(
        authenticator=Authenticator(store, SECRET),  # type: ignore[arg-type]
        settings=Settings(security={"rate_limit": {"per_s": 1e6, "burst": 10**6}}),
    )
    install_handlers(app)
    oauth.install(app)
    ratelimit.install(app)

    @app.get("/probe")
    async def probe(principal: Principal = Depends(require("events:read"))) -> dict[str, str]:
        return {"key": principal.key_id}

    return TestClient(app, raise_server_exceptions=False), key


_text = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=80)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(scheme=st.sampled_from(["Bearer", "bearer", "Basic", "", "Token"]), value=_text)
def test_any_authorization_header_is_401_or_400(
    app_and_key: tuple[TestClient, str], scheme: str, value: str
) -> None:
    client, key = app_and_key
    r = client.get("/probe", headers={"Authorization": f"{scheme} {value}".strip()})
    assert r.status_code in (400, 401), r.text
    assert r.headers["www-authenticate"].startswith('Bearer realm="tradelane"')
    assert key not in r.text


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=st.one_of(
        st.binary(max_size=300),
        st.dictionaries(
            st.sampled_from(["grant_type", "client_id", "client_secret", "scope", "x"]), _text, max_size=5
        ).map(lambda d: "&".join(f"{k}={v}" for k, v in d.items()).encode()),
    ),
    basic=st.one_of(st.none(), _text, _text.map(lambda s: base64.b64encode(s.encode()).decode())),
)
def test_any_token_request_is_a_declared_answer(
    app_and_key: tuple[TestClient, str], body: bytes, basic: str | None
) -> None:
    client, key = app_and_key
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if basic is not None:
        headers["Authorization"] = f"Basic {basic}"
    r = client.post("/v1/oauth/token", content=body, headers=headers)
    assert r.status_code in (400, 401), r.text
    assert r.json()["error"] in (
        "invalid_request",
        "invalid_client",
        "unsupported_grant_type",
        "invalid_scope",
    )
    assert key not in r.text


def test_the_real_key_gets_a_token_that_passes_the_probe(app_and_key: tuple[TestClient, str]) -> None:
    client, key = app_and_key
    key_id = key[6:22]
    r = client.post(
        "/v1/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": key_id,
            "client_secret": key,
            "scope": "events:read",
        },
    )
    assert r.status_code == 200, r.text
    probe = client.get("/probe", headers={"Authorization": f"Bearer {r.json()['access_token']}"})
    assert probe.status_code == 200 and probe.json() == {"key": key_id}
    narrow = client.post(
        "/v1/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": key_id,
            "client_secret": key,
            "scope": "events:write",
        },
    ).json()["access_token"]
    denied = client.get("/probe", headers={"Authorization": f"Bearer {narrow}"})
    assert denied.status_code == 403 and 'scope="events:read"' in denied.headers["www-authenticate"]
