"""Creating, listing and revoking API keys (used by the CLI and, later, the admin API)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tradelane.ports.store import ApiKeyRecord, Store
from tradelane.security.apikeys import generate_key, hash_key

__all__ = ["DEFAULT_PARTNER_SCOPES", "KNOWN_SCOPES", "create_api_key", "revoke_api_key"]

#: scopes a key may carry
KNOWN_SCOPES = frozenset({"events:write", "events:read", "admin"})
#: what a partner key gets when no scope is named
DEFAULT_PARTNER_SCOPES = ("events:write", "events:read")


async def create_api_key(
    store: Store,
    server_secret: bytes,
    *,
    name: str,
    tenant: str | None,
    scopes: tuple[str, ...] = DEFAULT_PARTNER_SCOPES,
    ttl: timedelta | None = None,
) -> tuple[str, ApiKeyRecord]:
    """Create a key; returns ``(the key, its record)``. The key is never stored and cannot be shown again."""
    unknown = set(scopes) - KNOWN_SCOPES
    if unknown:
        raise ValueError(
            f"unknown scope(s): {', '.join(sorted(unknown))}; known: {', '.join(sorted(KNOWN_SCOPES))}"
        )
    if tenant is None and "admin" not in scopes:
        raise ValueError("a key without a tenant must carry the admin scope")
    parsed = generate_key("op" if tenant is None else "pk")
    now = datetime.now(UTC)
    rec = ApiKeyRecord(
        key_id=parsed.key_id,
        name=name,
        tenant=tenant,
        key_hash=hash_key(server_secret, parsed.full),
        scopes=tuple(scopes),
        created_at=now,
        expires_at=now + ttl if ttl else None,
    )
    await store.add_api_key(rec)
    return parsed.full, rec


async def revoke_api_key(store: Store, key_id: str) -> bool:
    """Revoke a key at once; ``False`` when there is no such active key."""
    return await store.revoke_api_key(key_id, datetime.now(UTC))
