"""Keys (create, expiry, revoke, rotation with overlap) and the authenticator (API keys and tokens, RFC 6750),
against an in-memory key store and audit chain."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import HTTPException

from tradelane.api.auth import Authenticator, CredentialRefused, Principal, visible_fields
from tradelane.security.audit import verify
from tradelane.security.keyring import (
    KNOWN_SCOPES,
    KeyNotFound,
    create_api_key,
    key_is_active,
    revoke_api_key,
    rotate_api_key,
)
from tradelane.security.tokens import TokenService


async def refused(authn: Authenticator, presented: str | None) -> HTTPException:
    with pytest.raises(HTTPException) as info:
        await authn.authenticate(presented)
    assert info.value.status_code == 401
    return info.value


async def test_created_key_authenticates_and_is_audited(
    key_store: Any, memory_audit: Any, server_secret: bytes
) -> None:
    key, rec = await create_api_key(
        key_store, server_secret, name="acme", tenant="acme", audit=memory_audit, actor="operator:ann"
    )
    assert key.startswith("tl_pk_") and key not in str(key_store.keys)
    principal = await Authenticator(key_store, server_secret).authenticate(key)
    # events:write implies exceptions:write (a partner works its own exceptions)
    assert principal == Principal(rec.key_id, "acme", frozenset({"events:write", "events:read", "exceptions:write"}))
    [row] = memory_audit.rows
    assert (row.action, row.actor, row.target, row.tenant) == (
        "api_key.created",
        "operator:ann",
        rec.key_id,
        "acme",
    )
    assert key not in str(row) and rec.key_hash not in str(row)


async def test_scope_and_ttl_validation(key_store: Any, server_secret: bytes) -> None:
    assert {"pricing:read", "shipments:read", "dlq:replay"} <= KNOWN_SCOPES
    with pytest.raises(ValueError, match="unknown scope"):
        await create_api_key(key_store, server_secret, name="x", tenant="t", scopes=("everything",))
    with pytest.raises(ValueError, match="admin"):
        await create_api_key(key_store, server_secret, name="x", tenant=None, scopes=("events:read",))
    with pytest.raises(ValueError, match="ttl"):
        await create_api_key(key_store, server_secret, name="x", tenant="t", ttl=timedelta(0))


async def test_expired_key_is_refused(key_store: Any, server_secret: bytes) -> None:
    key, rec = await create_api_key(key_store, server_secret, name="x", tenant="t", ttl=timedelta(days=1))
    authn = Authenticator(key_store, server_secret)
    assert (await authn.authenticate(key)).key_id == rec.key_id
    key_store.set(rec.key_id, expires_at=datetime.now(UTC) - timedelta(seconds=1))
    authn.forget(rec.key_id)
    err = await refused(authn, key)
    assert err.detail == "API key expired"
    assert 'error="invalid_token"' in err.headers["WWW-Authenticate"]


async def test_revoke_is_audited_and_immediate_in_process(
    key_store: Any, memory_audit: Any, server_secret: bytes
) -> None:
    key, rec = await create_api_key(key_store, server_secret, name="x", tenant="t")
    authn = Authenticator(key_store, server_secret)
    await authn.authenticate(key)
    assert await revoke_api_key(key_store, rec.key_id, audit=memory_audit)
    assert not await revoke_api_key(key_store, rec.key_id, audit=memory_audit)  # already revoked: no row
    authn.forget(rec.key_id)
    assert (await refused(authn, key)).detail == "API key revoked"
    assert [r.action for r in memory_audit.rows] == ["api_key.revoked"]


async def test_rotation_overlap(key_store: Any, memory_audit: Any, server_secret: bytes) -> None:
    old_key, old = await create_api_key(
        key_store, server_secret, name="acme", tenant="acme", scopes=("events:read",)
    )
    new_key, new = await rotate_api_key(
        key_store, server_secret, old.key_id, overlap=timedelta(hours=2), audit=memory_audit
    )
    assert new.key_id != old.key_id and (new.name, new.tenant, new.scopes) == (
        "acme",
        "acme",
        ("events:read",),
    )
    authn = Authenticator(key_store, server_secret)
    assert (await authn.authenticate(old_key)).key_id == old.key_id  # still inside the overlap
    assert (await authn.authenticate(new_key)).key_id == new.key_id
    deadline = key_store.keys[old.key_id].revoked_at
    assert timedelta(hours=1, minutes=59) < deadline - datetime.now(UTC) <= timedelta(hours=2)
    [row] = memory_audit.rows
    assert row.action == "api_key.rotated" and row.detail["successor"] == new.key_id
    with pytest.raises(KeyNotFound):  # a rotated key cannot be rotated again
        await rotate_api_key(key_store, server_secret, old.key_id)
    key_store.set(old.key_id, revoked_at=datetime.now(UTC) - timedelta(seconds=1))  # the deadline passes
    authn.forget(old.key_id)
    assert (await refused(authn, old_key)).detail == "API key revoked"
    assert (await authn.authenticate(new_key)).key_id == new.key_id


async def test_rotation_without_overlap_ends_the_old_key_now(key_store: Any, server_secret: bytes) -> None:
    old_key, old = await create_api_key(key_store, server_secret, name="x", tenant="t")
    await rotate_api_key(key_store, server_secret, old.key_id, overlap=timedelta(0))
    assert not key_is_active(key_store.keys[old.key_id], datetime.now(UTC))
    await refused(Authenticator(key_store, server_secret), old_key)


async def test_rotation_keeps_lifetime_and_never_extends_the_old_key(
    key_store: Any, server_secret: bytes
) -> None:
    _, old = await create_api_key(key_store, server_secret, name="x", tenant="t", ttl=timedelta(hours=1))
    _, new = await rotate_api_key(key_store, server_secret, old.key_id, overlap=timedelta(days=5))
    assert new.expires_at is not None and new.expires_at - new.created_at == timedelta(hours=1)
    assert key_store.keys[old.key_id].revoked_at == old.expires_at  # overlap capped at the old expiry
    with pytest.raises(KeyNotFound):
        await rotate_api_key(key_store, server_secret, "nosuchkeyid00000")
    with pytest.raises(ValueError):
        await rotate_api_key(key_store, server_secret, new.key_id, overlap=timedelta(seconds=-1))


async def test_audit_of_key_lifecycle_is_one_chain(
    key_store: Any, memory_audit: Any, server_secret: bytes
) -> None:
    _, a = await create_api_key(key_store, server_secret, name="a", tenant="t", audit=memory_audit)
    _, b = await rotate_api_key(key_store, server_secret, a.key_id, audit=memory_audit)
    await revoke_api_key(key_store, b.key_id, audit=memory_audit)
    assert [r.action for r in memory_audit.rows] == ["api_key.created", "api_key.rotated", "api_key.revoked"]
    assert verify(memory_audit.rows) is None


# --- the authenticator ------------------------------------------------------------------------------------


async def test_missing_credentials_get_a_bare_challenge(key_store: Any, server_secret: bytes) -> None:
    err = await refused(Authenticator(key_store, server_secret), None)
    assert err.headers["WWW-Authenticate"] == 'Bearer realm="tradelane"'


@pytest.mark.parametrize("bad", ["tl_pk_nonsense", "tl_pk_" + "a" * 54, "x.y.z", "eyJhbGciOiJub25lIn0.e30."])
async def test_bad_credentials_get_invalid_token(key_store: Any, server_secret: bytes, bad: str) -> None:
    err = await refused(Authenticator(key_store, server_secret), bad)
    assert err.headers["WWW-Authenticate"].startswith('Bearer realm="tradelane", error="invalid_token"')


async def test_wrong_secret_with_a_real_key_id_is_refused(key_store: Any, server_secret: bytes) -> None:
    key, _ = await create_api_key(key_store, server_secret, name="x", tenant="t")
    await refused(Authenticator(key_store, b"another-server-secret-xxxxxxxxxxxx"), key)


async def test_tokens_authenticate_as_their_key(key_store: Any, server_secret: bytes) -> None:
    _, rec = await create_api_key(key_store, server_secret, name="x", tenant="acme")
    authn = Authenticator(key_store, server_secret)
    token = authn.tokens.issue(rec.key_id, "acme", ["events:read"]).access_token
    principal = await authn.authenticate(token)
    assert principal == Principal(rec.key_id, "acme", frozenset({"events:read"}), via="token")


async def test_token_dies_with_its_key(key_store: Any, server_secret: bytes) -> None:
    _, rec = await create_api_key(key_store, server_secret, name="x", tenant="acme")
    authn = Authenticator(key_store, server_secret)
    token = authn.tokens.issue(rec.key_id, "acme", ["events:read"]).access_token
    await revoke_api_key(key_store, rec.key_id)
    authn.forget(rec.key_id)
    err = await refused(authn, token)
    assert "revoked" in str(err.detail)


async def test_token_scopes_shrink_with_the_key(key_store: Any, server_secret: bytes) -> None:
    _, rec = await create_api_key(key_store, server_secret, name="x", tenant="acme")
    authn = Authenticator(key_store, server_secret)
    token = authn.tokens.issue(rec.key_id, "acme", ["events:read", "events:write"]).access_token
    key_store.set(rec.key_id, scopes=("events:read",))
    authn.forget(rec.key_id)
    assert (await authn.authenticate(token)).scopes == {"events:read"}


async def test_token_for_another_tenant_is_refused(key_store: Any, server_secret: bytes) -> None:
    _, rec = await create_api_key(key_store, server_secret, name="x", tenant="acme")
    authn = Authenticator(key_store, server_secret)
    token = authn.tokens.issue(rec.key_id, "globex", ["events:read"]).access_token
    await refused(authn, token)
    unknown = authn.tokens.issue("qqqqqqqqqqqqqqqq", "acme", ["events:read"]).access_token
    await refused(authn, unknown)


async def test_expired_token_is_refused(key_store: Any, server_secret: bytes) -> None:
    _, rec = await create_api_key(key_store, server_secret, name="x", tenant="acme")
    authn = Authenticator(key_store, server_secret)
    old = TokenService(server_secret, clock=lambda: time.time() - 7200).issue(
        rec.key_id, "acme", ["events:read"]
    )
    err = await refused(authn, old.access_token)
    assert 'error_description="token expired"' in err.headers["WWW-Authenticate"]


async def test_keys_and_token_key_records_are_cached(key_store: Any, server_secret: bytes) -> None:
    key, rec = await create_api_key(key_store, server_secret, name="x", tenant="acme")
    authn = Authenticator(key_store, server_secret)
    token = authn.tokens.issue(rec.key_id, "acme", ["events:read"]).access_token
    for _ in range(5):
        await authn.authenticate(key)
        await authn.authenticate(token)
    assert key_store.reads == 2


async def test_verify_key_refusal_reasons(key_store: Any, server_secret: bytes) -> None:
    authn = Authenticator(key_store, server_secret)
    with pytest.raises(CredentialRefused, match="invalid API key"):
        await authn.verify_key("tl_pk_garbage")


def test_pricing_visibility_follows_the_scope() -> None:
    doc = {"id": "1", "data": {"rate": {"amount": "5", "currency": "EUR"}}}
    reader = Principal("k", "t", frozenset({"events:read"}))
    pricer = Principal("k", "t", frozenset({"events:read", "pricing:read"}))
    admin = Principal("k", None, frozenset({"admin"}))
    assert visible_fields(doc, reader) == {"id": "1", "data": {}}
    assert visible_fields(doc, pricer) == doc and visible_fields(doc, admin) == doc


def test_visible_conflict_hides_the_values_of_a_pricing_field() -> None:
    from tradelane.api.auth import visible_conflict

    reader = Principal("k", "t", frozenset({"events:read"}))
    pricer = Principal("k", "t", frozenset({"events:read", "pricing:read"}))
    priced = {"id": "c1", "field": "lines[0].unit_price", "current": {"amount": "9.50", "currency": "EUR"},
              "proposed": 8.0, "status": "open", "apply": {"field": "lines[0].unit_price", "value": 8.0}}
    assert visible_conflict(priced, pricer) == priced
    hidden = visible_conflict(priced, reader)
    assert hidden == {"id": "c1", "field": "lines[0].unit_price", "status": "open",
                      "apply": {"field": "lines[0].unit_price"}}
    other = {"id": "c2", "field": "promised_date", "current": "2026-01-02",
             "proposed": {"date": "2026-01-03", "cost": {"amount": "1", "currency": "EUR"}}, "status": "open"}
    assert visible_conflict(other, reader) == {"id": "c2", "field": "promised_date", "current": "2026-01-02",
                                               "proposed": {"date": "2026-01-03"}, "status": "open"}
