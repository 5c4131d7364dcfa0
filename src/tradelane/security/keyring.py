"""Creating, rotating, listing and revoking API keys: service functions for the CLI and the admin API.

A key may carry an expiry. Rotation creates a successor with the same name, tenant and scopes and leaves
the old key working until an overlap deadline (its ``revoked_at`` is set in the future), so a partner can
switch without downtime. Each change is appended to the audit chain when an :class:`AuditSink` is given;
the key itself never reaches the audit log, the database or a log line.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tradelane.ports.store import ApiKeyRecord, Store
from tradelane.security.apikeys import generate_key, hash_key
from tradelane.security.audit import AuditSink
from tradelane.security.roles import OPERATOR_ONLY, ROLES, ROUTE_SCOPES, role_of

__all__ = [
    "DEFAULT_PARTNER_SCOPES",
    "DEFAULT_ROTATION_OVERLAP",
    "KNOWN_SCOPES",
    "KeyNotFound",
    "create_api_key",
    "key_is_active",
    "revoke_api_key",
    "rotate_api_key",
]

#: scopes a key may carry: the route scopes and the operator roles (see :mod:`tradelane.security.roles`)
KNOWN_SCOPES = ROUTE_SCOPES | frozenset(ROLES)
#: what a partner key gets when no scope is named
DEFAULT_PARTNER_SCOPES = ("events:write", "events:read")
#: how long a rotated key keeps working next to its successor unless told otherwise
DEFAULT_ROTATION_OVERLAP = timedelta(hours=24)


class KeyNotFound(LookupError):
    """No active key with that id (never created, revoked, expired, or already rotated)."""


def key_is_active(rec: ApiKeyRecord, now: datetime) -> bool:
    """Whether ``rec`` authenticates at ``now`` (not revoked, not expired; a future ``revoked_at`` is an
    overlap deadline after rotation)."""
    if rec.revoked_at is not None and rec.revoked_at <= now:
        return False
    return rec.expires_at is None or rec.expires_at > now


async def create_api_key(
    store: Store,
    server_secret: bytes,
    *,
    name: str,
    tenant: str | None,
    scopes: tuple[str, ...] = DEFAULT_PARTNER_SCOPES,
    ttl: timedelta | None = None,
    audit: AuditSink | None = None,
    actor: str = "system",
) -> tuple[str, ApiKeyRecord]:
    """Create a key; returns ``(the key, its record)``. The key is never stored and cannot be shown again.

    :param ttl: lifetime; ``None`` for a key that does not expire
    :param audit: where to record ``api_key.created``
    :param actor: who asked, for the audit log
    """
    unknown = set(scopes) - KNOWN_SCOPES
    if unknown:
        raise ValueError(
            f"unknown scope(s): {', '.join(sorted(unknown))}; known: {', '.join(sorted(KNOWN_SCOPES))}"
        )
    role = role_of(scopes)
    if tenant is None and role is None:
        raise ValueError("a key without a tenant is an operator's: give it a role (viewer, operator or admin)")
    if tenant is not None and role is not None:
        raise ValueError(f"{role!r} is an operator role: a key with a tenant (a partner's) cannot carry it")
    hub_wide = sorted(set(scopes) & OPERATOR_ONLY)
    if tenant is not None and hub_wide:
        raise ValueError(f"{', '.join(hub_wide)}: operator-only scope(s), not for a key with a tenant")
    if len([s for s in set(scopes) if s in ROLES]) > 1:
        raise ValueError("an operator key carries one role (viewer, operator or admin)")
    if ttl is not None and ttl <= timedelta(0):
        raise ValueError("a key's ttl must be positive")
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
    if audit is not None:
        await audit.append(
            actor=actor,
            action="api_key.created",
            tenant=tenant,
            target=rec.key_id,
            detail={
                "name": name,
                "scopes": sorted(rec.scopes),
                "expires_at": rec.expires_at.isoformat() if rec.expires_at else None,
            },
        )
    return parsed.full, rec


async def revoke_api_key(
    store: Store, key_id: str, *, audit: AuditSink | None = None, actor: str = "system"
) -> bool:
    """Revoke a key at once; ``False`` when there is no such active key.

    A key already rotated (working until its overlap deadline) cannot be revoked earlier through the
    store port today; rotate with ``overlap=timedelta(0)`` instead of waiting.
    """
    revoked = await store.revoke_api_key(key_id, datetime.now(UTC))
    if revoked and audit is not None:
        rec = await store.get_api_key(key_id)
        await audit.append(
            actor=actor, action="api_key.revoked", tenant=rec.tenant if rec else None, target=key_id
        )
    return revoked


async def rotate_api_key(
    store: Store,
    server_secret: bytes,
    key_id: str,
    *,
    overlap: timedelta = DEFAULT_ROTATION_OVERLAP,
    ttl: timedelta | None = None,
    audit: AuditSink | None = None,
    actor: str = "system",
) -> tuple[str, ApiKeyRecord]:
    """Issue a successor of ``key_id`` and let the old key work until ``now + overlap``.

    :param overlap: how long both keys work; ``timedelta(0)`` ends the old key at once
    :param ttl: lifetime of the new key; default: the old key's lifetime (none if it had none)
    :returns: ``(the new key, its record)``
    :raises KeyNotFound: ``key_id`` is not an active, not yet rotated key
    """
    if overlap < timedelta(0):
        raise ValueError("overlap cannot be negative")
    now = datetime.now(UTC)
    old = await store.get_api_key(key_id)
    if old is None or not key_is_active(old, now) or old.revoked_at is not None:
        raise KeyNotFound(f"no active, unrotated API key {key_id}")
    if ttl is None and old.expires_at is not None:
        ttl = old.expires_at - old.created_at
    new_key, new = await create_api_key(
        store, server_secret, name=old.name, tenant=old.tenant, scopes=old.scopes, ttl=ttl
    )
    deadline = now + overlap
    if old.expires_at is not None and old.expires_at < deadline:
        deadline = old.expires_at
    if not await store.revoke_api_key(key_id, deadline):
        # rotated or revoked concurrently: do not leave an unannounced successor behind
        await store.revoke_api_key(new.key_id, datetime.now(UTC))
        raise KeyNotFound(f"API key {key_id} was revoked or rotated meanwhile")
    if audit is not None:
        await audit.append(
            actor=actor,
            action="api_key.rotated",
            tenant=old.tenant,
            target=key_id,
            detail={"successor": new.key_id, "old_valid_until": deadline.isoformat()},
        )
    return new_key, new
