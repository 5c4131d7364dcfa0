"""Operator roles and the scopes they imply; which keys may carry which scopes."""

from __future__ import annotations

from typing import Any

import pytest

from tradelane.api.auth import Authenticator, Principal
from tradelane.security.keyring import KNOWN_SCOPES, create_api_key
from tradelane.security.roles import (
    OPERATOR_ONLY,
    PARTNER_SCOPES,
    ROLE_SCOPES,
    ROLES,
    ROUTE_SCOPES,
    effective_scopes,
    is_operator_principal,
    role_of,
)


def test_roles_are_ordered_by_privilege() -> None:
    viewer, operator, admin = (ROLE_SCOPES[r] for r in ROLES)
    assert viewer < operator < admin == ROUTE_SCOPES
    assert not any(s.endswith((":write", ":replay", ":resolve")) for s in viewer), "viewers only read"
    assert {"dlq:replay", "exceptions:write", "conflicts:resolve", "endpoints:write"} <= operator
    assert "events:write" not in operator, "operators do not ingest partner data"
    assert "pricing:read" not in operator, "prices are granted explicitly"


def test_effective_scopes() -> None:
    assert effective_scopes(["viewer"]) == {"viewer", "events:read", "shipments:read", "ops:read"}
    assert effective_scopes(["events:write"]) == {"events:write", "exceptions:write"}
    assert effective_scopes(["viewer", "pricing:read"]) >= {"pricing:read", "ops:read"}
    assert effective_scopes([]) == frozenset()
    assert role_of(["events:read", "operator"]) == "operator" and role_of(["events:read"]) is None
    assert role_of(["viewer", "admin"]) == "admin"


def test_who_sees_every_tenant() -> None:
    assert is_operator_principal(None, {"events:read"})  # a token narrowed from an operator key
    assert is_operator_principal("acme", {"admin"})
    assert not is_operator_principal("acme", {"events:read", "pricing:read"})
    assert Principal("k", None, frozenset({"ops:read"})).tenant_filter is None
    assert Principal("k", "acme", frozenset({"events:read"})).tenant_filter == "acme"


@pytest.mark.parametrize(
    ("tenant", "scopes", "error"),
    [
        (None, ("events:read",), "give it a role"),
        (None, ("viewer", "operator"), "one role"),
        ("acme", ("viewer",), "operator role"),
        ("acme", ("admin",), "operator role"),
        ("acme", ("ops:read",), "operator-only"),
        ("acme", ("events:read", "conflicts:resolve"), "operator-only"),
        ("acme", ("endpoints:write",), "operator-only"),
    ],
)
async def test_keys_that_cannot_exist(
    key_store: Any, server_secret: bytes, tenant: str | None, scopes: tuple[str, ...], error: str
) -> None:
    with pytest.raises(ValueError, match=error):
        await create_api_key(key_store, server_secret, name="x", tenant=tenant, scopes=scopes)
    assert not key_store.keys


@pytest.mark.parametrize("role", ROLES)
async def test_role_keys_authenticate_with_their_implied_scopes(
    key_store: Any, server_secret: bytes, role: str
) -> None:
    key, rec = await create_api_key(key_store, server_secret, name=role, tenant=None, scopes=(role, "pricing:read"))
    assert key.startswith("tl_op_")
    principal = await Authenticator(key_store, server_secret).authenticate(key)
    assert principal.scopes == effective_scopes((role, "pricing:read"))
    assert principal.tenant_filter is None and principal.has("events:read") and principal.has("pricing:read")
    assert principal.has("events:write") == (role == "admin")
    assert principal.has("dlq:replay") == (role != "viewer")


def test_scope_vocabularies_agree() -> None:
    assert KNOWN_SCOPES == ROUTE_SCOPES | set(ROLES)
    assert PARTNER_SCOPES | OPERATOR_ONLY == ROUTE_SCOPES and not PARTNER_SCOPES & OPERATOR_ONLY
