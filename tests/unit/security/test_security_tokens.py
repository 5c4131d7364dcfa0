"""OAuth2 access tokens: issue, verify, and every way a token must be refused."""

from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from tradelane.security.tokens import (
    ACCESS_TOKEN_TYPE,
    InvalidToken,
    TokenService,
    derive_signing_key,
    looks_like_jwt,
)

SECRET = b"token-test-secret-0123456789abcdef"


def service(**kw: object) -> TokenService:
    return TokenService(SECRET, **kw)  # type: ignore[arg-type]


def refused(svc: TokenService, token: str) -> str:
    with pytest.raises(InvalidToken) as info:
        svc.verify(token)
    return info.value.reason


def test_issue_and_verify_round_trip() -> None:
    svc = service(ttl_s=600)
    issued = svc.issue("abcdefghijklmnop", "acme", ["events:read", "events:write", "events:read"])
    assert issued.expires_in == 600
    assert issued.scopes == ("events:read", "events:write")
    claims = svc.verify(issued.access_token)
    assert claims.client_id == "abcdefghijklmnop" and claims.tenant == "acme"
    assert claims.scopes == {"events:read", "events:write"}
    assert claims.expires_at > datetime.now(UTC)
    header = jwt.get_unverified_header(issued.access_token)
    assert header["typ"] == ACCESS_TOKEN_TYPE and header["alg"] == "HS256" and header["kid"]
    payload = jwt.decode(issued.access_token, options={"verify_signature": False})
    assert {"iss", "aud", "sub", "client_id", "exp", "iat", "nbf", "jti", "scope"} <= set(payload)


def test_operator_tokens_carry_no_tenant() -> None:
    svc = service()
    claims = svc.verify(svc.issue("abcdefghijklmnop", None, ["admin"]).access_token)
    assert claims.tenant is None and claims.scopes == {"admin"}


def test_each_token_has_its_own_id() -> None:
    svc = service()
    ids = {
        svc.verify(svc.issue("abcdefghijklmnop", "t", ["events:read"]).access_token).jti for _ in range(20)
    }
    assert len(ids) == 20


def test_expired_token_is_refused() -> None:
    issued_an_hour_ago = service(ttl_s=900, clock=lambda: time.time() - 3600)
    token = issued_an_hour_ago.issue("abcdefghijklmnop", "acme", ["events:read"]).access_token
    assert refused(service(), token) == "token expired"


def test_token_from_the_future_is_refused() -> None:
    future = service(clock=lambda: time.time() + 3600)
    token = future.issue("abcdefghijklmnop", "acme", ["events:read"]).access_token
    assert refused(service(), token) == "token not yet valid"


def test_issuer_and_audience_are_checked() -> None:
    token = service().issue("abcdefghijklmnop", "acme", ["events:read"]).access_token
    assert refused(service(issuer="someone-else"), token) == "token is for another issuer or audience"
    assert refused(service(audience="other-api"), token) == "token is for another issuer or audience"


def test_other_hubs_tokens_are_refused() -> None:
    token = TokenService(b"another-hub-secret-0123456789abcd").issue("abcdefghijklmnop", "acme", ["admin"])
    assert refused(service(), token.access_token) == "token signature invalid"


def _forge(header: dict[str, object], payload: dict[str, object], key: bytes | None) -> str:
    alg = str(header.get("alg", "HS256"))
    return jwt.encode(payload, key, algorithm=alg, headers={k: v for k, v in header.items() if k != "alg"})


def _good_payload() -> dict[str, object]:
    now = int(time.time())
    return {
        "iss": "tradelane",
        "aud": "tradelane-api",
        "sub": "abcdefghijklmnop",
        "client_id": "abcdefghijklmnop",
        "scope": "admin",
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "jti": "x",
    }


def test_alg_none_is_refused() -> None:
    token = _forge({"alg": "none", "typ": "at+jwt"}, _good_payload(), None)
    assert refused(service(), token) == "malformed token"


def test_wrong_token_type_is_refused() -> None:
    key = derive_signing_key(SECRET)
    assert service().verify(_forge({"typ": "at+jwt"}, _good_payload(), key)).scopes == {"admin"}
    assert refused(service(), _forge({"typ": "JWT"}, _good_payload(), key)) == "not an access token"


@pytest.mark.parametrize("missing", ["exp", "iss", "aud", "sub", "scope", "jti", "client_id", "nbf", "iat"])
def test_every_claim_is_required(missing: str) -> None:
    payload = _good_payload()
    del payload[missing]
    token = _forge({"typ": "at+jwt"}, payload, derive_signing_key(SECRET))
    with pytest.raises(InvalidToken):
        service().verify(token)


def test_sub_and_client_id_must_agree() -> None:
    payload = {**_good_payload(), "client_id": "qqqqqqqqqqqqqqqq"}
    token = _forge({"typ": "at+jwt"}, payload, derive_signing_key(SECRET))
    assert refused(service(), token) == "malformed token"


def test_tampered_payload_is_refused() -> None:
    token = service().issue("abcdefghijklmnop", "acme", ["events:read"]).access_token
    head, body, sig = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    claims["scope"] = "admin"
    forged_body = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    assert refused(service(), f"{head}.{forged_body}.{sig}") == "token signature invalid"


@pytest.mark.parametrize("garbage", ["a.b.c", "..", "x" * 5000, "eyJ.eyJ.", "tl_pk_a.b.c"])
def test_garbage_is_refused_not_crashed(garbage: str) -> None:
    with pytest.raises(InvalidToken):
        service().verify(garbage)


def test_token_never_outlives_its_key() -> None:
    svc = service(ttl_s=900)
    key_deadline = datetime.now(UTC) + timedelta(seconds=120)
    issued = svc.issue("abcdefghijklmnop", "acme", ["events:read"], not_after=key_deadline)
    assert 110 <= issued.expires_in <= 120
    with pytest.raises(InvalidToken):
        svc.issue(
            "abcdefghijklmnop", "acme", ["events:read"], not_after=datetime.now(UTC) - timedelta(seconds=1)
        )


def test_signing_key_is_derived_not_the_secret() -> None:
    key = derive_signing_key(SECRET)
    assert key != SECRET and len(key) == 32
    assert derive_signing_key(SECRET) == key and derive_signing_key(b"other") != key


def test_jwt_shape_detection() -> None:
    assert looks_like_jwt(service().issue("abcdefghijklmnop", "a", ["admin"]).access_token)
    assert not looks_like_jwt("tl_pk_abcdefghijklmnop")
    assert not looks_like_jwt("no-dots")


def test_ttl_must_be_positive() -> None:
    with pytest.raises(ValueError):
        service(ttl_s=0)
