"""Authentication of API callers by API key (``Authorization: Bearer tl_…`` or ``X-API-Key``).

Verified keys are cached in process for :data:`CACHE_TTL_S` seconds so the hot ingest path does not read
the database per request; revoking in this process drops the cache entry at once, other processes within
the TTL. 401 for a missing or bad credential (with ``WWW-Authenticate``), 403 for a missing scope.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from fastapi import HTTPException, Request

from tradelane.ports.store import ApiKeyRecord, Store
from tradelane.security.apikeys import hash_key, parse_key

__all__ = ["ADMIN_SCOPE", "Authenticator", "Principal", "authorize", "require"]

#: seconds a verified key stays cached in process
CACHE_TTL_S = 10.0
#: the scope that grants everything and sees every tenant
ADMIN_SCOPE = "admin"


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key, its tenant (``None`` for operators) and its scopes."""

    key_id: str
    tenant: str | None
    scopes: frozenset[str]

    def has(self, scope: str) -> bool:
        return scope in self.scopes or ADMIN_SCOPE in self.scopes

    @property
    def tenant_filter(self) -> str | None:
        """The tenant a query must be restricted to (``None`` for admins: every tenant)."""
        return None if ADMIN_SCOPE in self.scopes else (self.tenant or "")


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(401, detail, headers={"WWW-Authenticate": 'Bearer realm="tradelane"'})


class Authenticator:
    def __init__(self, store: Store, server_secret: bytes) -> None:
        self.store = store
        self.secret = server_secret
        self._cache: dict[str, tuple[float, ApiKeyRecord]] = {}

    def forget(self, key_id: str) -> None:
        for k, (_, rec) in list(self._cache.items()):
            if rec.key_id == key_id:
                del self._cache[k]

    async def authenticate(self, presented: str | None) -> Principal:
        if not presented:
            raise _unauthorized("missing credentials")
        now = time.monotonic()
        cached = self._cache.get(presented)
        if cached is not None and now - cached[0] < CACHE_TTL_S:
            rec = cached[1]
        else:
            parsed = parse_key(presented)
            if parsed is None:
                raise _unauthorized("invalid API key")
            found = await self.store.get_api_key(parsed.key_id)
            if found is None or not hmac.compare_digest(found.key_hash, hash_key(self.secret, presented)):
                raise _unauthorized("invalid API key")
            rec = found
            self._cache[presented] = (now, rec)
        wall = datetime.now(UTC)
        if rec.revoked_at is not None and rec.revoked_at <= wall:
            raise _unauthorized("API key revoked")
        if rec.expires_at is not None and rec.expires_at <= wall:
            raise _unauthorized("API key expired")
        return Principal(key_id=rec.key_id, tenant=rec.tenant, scopes=frozenset(rec.scopes))


def _presented(request: Request) -> str | None:
    auth = request.headers.get("authorization")
    if auth:
        scheme, _, value = auth.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            return None
        return value.strip()
    return request.headers.get("x-api-key")


async def authorize(request: Request, scope: str) -> Principal:
    """Authenticate the caller of ``request`` and check ``scope`` (401 / 403 otherwise)."""
    authn: Authenticator = request.app.state.hub.authenticator
    principal = await authn.authenticate(_presented(request))
    if not principal.has(scope):
        raise HTTPException(403, f"missing scope {scope}")
    return principal


def require(scope: str) -> Callable[[Request], Awaitable[Principal]]:
    """A FastAPI dependency that authenticates and checks ``scope``."""

    async def dep(request: Request) -> Principal:
        return await authorize(request, scope)

    return dep
