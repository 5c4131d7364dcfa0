"""Authentication and authorisation of API callers.

A caller presents a bearer credential (``Authorization: Bearer …``, or ``X-API-Key``): either an API key
(``tl_pk_…`` / ``tl_op_…``, see :mod:`tradelane.security.apikeys`) or an OAuth2 access token obtained with
that key at ``POST /v1/oauth/token`` (a JWT, see :mod:`tradelane.security.tokens`). Either way the caller
becomes a :class:`Principal`: the key id, the key's tenant and the scopes in force.

Answers follow RFC 6750 §3: no credential → 401 with a bare ``WWW-Authenticate: Bearer realm="tradelane"``;
a bad, expired or revoked one → 401 with ``error="invalid_token"``; a good one lacking the scope → 403 with
``error="insufficient_scope", scope="…"``; two different credentials at once → 400 ``invalid_request``.
Authenticated requests then pass the per-credential rate limit (:mod:`tradelane.api.ratelimit`).

Verified keys are cached in process for :data:`CACHE_TTL_S` seconds, keyed by the credential's SHA-256 and
with the principal they authenticate as, so the hot ingest path neither reads the database nor recomputes the
keyed hash and the effective scopes per request (a revocation or expiry time the record carries still takes
effect when it comes); revoking in this process drops the cache entry at once (:meth:`Authenticator.forget`),
other processes within the TTL. A token is honoured only while its key is: every request re-checks (through
the same cache) that the key exists, is active, and still grants the token's scopes.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from fastapi import FastAPI, HTTPException, Request

from tradelane.api.problems import check_query
from tradelane.api.ratelimit import enforce_rate_limit
from tradelane.ports.store import ApiKeyRecord, Store
from tradelane.security.apikeys import hash_key, parse_key
from tradelane.security.keyring import key_is_active
from tradelane.security.properties import PRICING_SCOPE, strip_pricing, strip_pricing_record
from tradelane.security.roles import ADMIN, effective_scopes, is_operator_principal
from tradelane.security.tokens import InvalidToken, TokenService, looks_like_jwt

__all__ = [
    "ADMIN_SCOPE",
    "AuditTrail",
    "Authenticator",
    "CredentialRefused",
    "Principal",
    "authorize",
    "header_value",
    "install",
    "require",
    "visible_conflict",
    "visible_fields",
]

#: seconds a verified key stays cached in process
CACHE_TTL_S = 10.0
#: most cached credentials; the cache is emptied when it grows past this
MAX_CACHE_ENTRIES = 10_000
#: the role that grants everything and sees every tenant
ADMIN_SCOPE = ADMIN
#: ``realm`` of every ``WWW-Authenticate`` challenge
REALM = "tradelane"
#: ASGI scope key under which :func:`authorize` leaves the request's principal
PRINCIPAL_SCOPE_KEY = "tradelane.principal"
#: methods that change state: their successful requests are appended to the audit chain
STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: data-plane writes, recorded in the inbox with their own ids rather than in the audit chain
DATA_PLANE_PATHS = frozenset({"/v1/events", "/v1/events/batch"})
DATA_PLANE_PREFIXES = ("/v1/edi/", "/v1/hooks/", "/v1/oauth/")
#: most request-body bytes kept in an audit row's detail (operator requests are small JSON documents)
AUDIT_BODY_BYTES = 4096
#: request-body keys whose values are never written to the audit log
_SECRETISH = ("secret", "password", "token", "key", "credential")


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key, its tenant (``None`` for operators) and its scopes.

    ``scopes`` are the *effective* scopes (:func:`tradelane.security.roles.effective_scopes`: a role's
    implied scopes included) when built by :class:`Authenticator`.
    """

    key_id: str
    tenant: str | None
    scopes: frozenset[str]
    #: ``api_key`` or ``token`` (an OAuth2 access token obtained with the key)
    via: str = "api_key"

    def has(self, scope: str) -> bool:
        return scope in self.scopes or ADMIN_SCOPE in self.scopes

    @property
    def actor(self) -> str:
        """Who acts, for the audit log."""
        return f"api:{self.key_id}"

    @property
    def tenant_filter(self) -> str | None:
        """The tenant a query must be restricted to (``None`` for operator roles: every tenant)."""
        return None if is_operator_principal(self.tenant, self.scopes) else (self.tenant or "")


@dataclass(frozen=True, slots=True)
class _VerifiedKey:
    """A verified API key as cached by :class:`Authenticator`."""

    #: ``time.monotonic()`` until which the record read from the store is used without reading it again
    fresh_until: float
    #: wall-clock seconds (``time.time()``) of the record's revocation or expiry, whichever is first
    active_until: float
    record: ApiKeyRecord
    #: the principal the key authenticates as (effective scopes computed once)
    principal: Principal


def _digest(presented: str) -> bytes:
    """Cache key of a presented credential: its SHA-256, so the cache holds no usable secret."""
    return hashlib.sha256(presented.encode()).digest()


class CredentialRefused(Exception):
    """A presented API key or token was refused; ``reason`` is safe to show (never echoes the credential)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _challenge(**params: str) -> dict[str, str]:
    parts = [f'realm="{REALM}"'] + [f'{k}="{v}"' for k, v in params.items()]
    return {"WWW-Authenticate": "Bearer " + ", ".join(parts)}


def _unauthorized(detail: str, *, invalid: bool = True) -> HTTPException:
    """401; ``invalid`` adds ``error="invalid_token"`` (omitted when no credential was presented at all)."""
    headers = _challenge(error="invalid_token", error_description=detail) if invalid else _challenge()
    return HTTPException(401, detail, headers=headers)


def _forbidden(scope: str) -> HTTPException:
    return HTTPException(
        403, f"missing scope {scope}", headers=_challenge(error="insufficient_scope", scope=scope)
    )


class Authenticator:
    """Turns a presented credential into a :class:`Principal` (see the module docstring)."""

    def __init__(self, store: Store, server_secret: bytes, *, tokens: TokenService | None = None) -> None:
        """
        :param tokens: issues and verifies access tokens; default: this secret with default issuer,
            audience and TTL (``tradelane.api.oauth.install`` replaces it with the configured one)
        """
        self.store = store
        self.secret = server_secret
        self.tokens = tokens or TokenService(server_secret)
        self._cache: dict[bytes, _VerifiedKey] = {}
        self._records: dict[str, tuple[float, ApiKeyRecord | None]] = {}

    def forget(self, key_id: str) -> None:
        """Drop cached state of ``key_id`` (call after revoking or rotating it in this process)."""
        for k, hit in list(self._cache.items()):
            if hit.record.key_id == key_id:
                del self._cache[k]
        self._records.pop(key_id, None)

    async def verify_key(self, presented: str) -> ApiKeyRecord:
        """The active record of an API key.

        :raises CredentialRefused: malformed, unknown, wrong, revoked or expired
        """
        return (await self._verified(presented)).record

    async def _verified(self, presented: str) -> _VerifiedKey:
        digest = _digest(presented)
        hit = self._cache.get(digest)
        if hit is not None and time.monotonic() < hit.fresh_until:
            if time.time() < hit.active_until:
                return hit
            self._check_active(hit.record)  # revoked or expired since: raises with the reason
            return hit
        now = time.monotonic()
        parsed = parse_key(presented)
        if parsed is None:
            raise CredentialRefused("invalid API key")
        found = await self.store.get_api_key(parsed.key_id)
        if found is None or not hmac.compare_digest(found.key_hash, hash_key(self.secret, presented)):
            raise CredentialRefused("invalid API key")
        self._check_active(found)
        ends = [t.timestamp() for t in (found.revoked_at, found.expires_at) if t is not None]
        hit = _VerifiedKey(
            fresh_until=now + CACHE_TTL_S,
            active_until=min(ends, default=math.inf),
            record=found,
            principal=Principal(key_id=found.key_id, tenant=found.tenant, scopes=effective_scopes(found.scopes)),
        )
        if len(self._cache) >= MAX_CACHE_ENTRIES:
            self._cache.clear()
        self._cache[digest] = hit
        return hit

    async def _record(self, key_id: str) -> ApiKeyRecord | None:
        now = time.monotonic()
        cached = self._records.get(key_id)
        if cached is not None and now - cached[0] < CACHE_TTL_S:
            return cached[1]
        rec = await self.store.get_api_key(key_id)
        if len(self._records) >= MAX_CACHE_ENTRIES:
            self._records.clear()
        self._records[key_id] = (now, rec)
        return rec

    @staticmethod
    def _check_active(rec: ApiKeyRecord) -> None:
        wall = datetime.now(UTC)
        if rec.revoked_at is not None and rec.revoked_at <= wall:
            raise CredentialRefused("API key revoked")
        if rec.expires_at is not None and rec.expires_at <= wall:
            raise CredentialRefused("API key expired")

    async def verify_token(self, presented: str) -> Principal:
        """The principal of an access token, checked against its key's current state.

        :raises CredentialRefused: bad token, or its key is gone, revoked, expired or re-tenanted
        """
        try:
            claims = self.tokens.verify(presented)
        except InvalidToken as exc:
            raise CredentialRefused(exc.reason) from None
        rec = await self._record(claims.client_id)
        if rec is None or not key_is_active(rec, datetime.now(UTC)):
            raise CredentialRefused("the token's client credential is revoked or expired")
        if claims.tenant != rec.tenant:
            raise CredentialRefused("the token's client credential changed")
        held = effective_scopes(rec.scopes)
        wanted = effective_scopes(claims.scopes)
        granted = wanted if ADMIN_SCOPE in rec.scopes else wanted & held
        return Principal(key_id=rec.key_id, tenant=rec.tenant, scopes=granted, via="token")

    def cached_principal(self, presented: str) -> Principal | None:
        """The principal of an API key verified a moment ago and still active (no await: the ingest hot
        path); ``None`` when it must go through :meth:`authenticate` (not cached, stale, revoked or expired
        since, or an access token)."""
        hit = self._cache.get(_digest(presented))
        if hit is not None and time.monotonic() < hit.fresh_until and time.time() < hit.active_until:
            return hit.principal
        return None

    async def authenticate(self, presented: str | None) -> Principal:
        """The principal of a bearer credential; 401 (RFC 6750) when there is none or it is refused."""
        if not presented:
            raise _unauthorized("missing credentials", invalid=False)
        try:
            if looks_like_jwt(presented):
                return await self.verify_token(presented)
            return (await self._verified(presented)).principal
        except CredentialRefused as exc:
            raise _unauthorized(exc.reason) from None


def header_value(request: Request, name: bytes) -> str | None:
    """The first value of the request header ``name`` (lower case), as ``request.headers.get`` gives it.

    A scan of the raw ASGI headers: ``Headers.get`` raises and catches a ``KeyError`` for every absent
    header, which made header look-ups a third of the authorisation time on the ingest path.
    """
    for key, value in request.scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return None


def _presented(request: Request) -> str | None:
    bearer: str | None = None
    auth = api_key = None
    for key, value in request.scope["headers"]:  # one scan for both headers (the first of each counts)
        if key == b"authorization":
            if auth is None:
                auth = value.decode("latin-1")
        elif key == b"x-api-key" and api_key is None:
            api_key = value.decode("latin-1")
    if auth:
        scheme, _, value = auth.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            bearer = value.strip()
    if bearer is not None and api_key is not None and api_key != bearer:
        raise HTTPException(
            400,
            "send one credential, not two",
            headers=_challenge(error="invalid_request", error_description="more than one credential"),
        )
    return bearer if bearer is not None else api_key


async def authorize(request: Request, scope: str) -> Principal:
    """Authenticate the caller of ``request``, apply its rate limit, check ``scope`` (401 / 429 / 403)."""
    state = request.app.state
    authn: Authenticator = state.hub.authenticator
    presented = _presented(request)
    principal = authn.cached_principal(presented) if presented else None
    if principal is None:
        principal = await authn.authenticate(presented)
    enforce_rate_limit(request, principal.key_id, scope, state)
    if not principal.has(scope):
        raise _forbidden(scope)
    asgi = request.scope
    asgi.setdefault("state", {})["principal"] = principal  # what ``request.state.principal = …`` writes
    asgi[PRINCIPAL_SCOPE_KEY] = principal  # read by AuditTrail once the response is known
    if asgi.get("query_string"):
        check_query(request)
    return principal


def require(scope: str) -> Callable[[Request], Awaitable[Principal]]:
    """A FastAPI dependency that authenticates and checks ``scope``."""

    async def dep(request: Request) -> Principal:
        return await authorize(request, scope)

    return dep


def visible_fields(doc: Any, principal: Principal) -> Any:
    """``doc`` as ``principal`` may see it: pricing fields removed unless it holds ``pricing:read``."""
    return doc if principal.has(PRICING_SCOPE) else strip_pricing(doc)


def visible_conflict(doc: dict[str, Any], principal: Principal) -> dict[str, Any]:
    """A conflict as ``principal`` may see it: without ``pricing:read``, the current and proposed values of a
    pricing field are removed (and money elsewhere in them stripped)."""
    if principal.has(PRICING_SCOPE):
        return doc
    out = strip_pricing_record(doc, field_key="field", value_keys=("current", "proposed"))
    if isinstance(doc.get("apply"), dict):
        out["apply"] = strip_pricing_record(doc["apply"], field_key="field", value_keys=("value",))
    return out


Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
log = logging.getLogger("tradelane.api.audit")


def _redact(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: "[redacted]" if any(w in str(k).lower() for w in _SECRETISH) else _redact(v) for k, v in value.items()
        }
    if isinstance(value, list):
        return [_redact(v) for v in value]
    return value


def _request_detail(raw: bytes) -> Any:
    """The request body as the audit row keeps it: parsed JSON with secret-looking keys redacted."""
    if not raw:
        return None
    if len(raw) > AUDIT_BODY_BYTES:
        return {"truncated": True, "bytes": len(raw)}
    try:
        return _redact(orjson.loads(raw))
    except orjson.JSONDecodeError:
        return {"unparsed": True, "bytes": len(raw)}


class AuditTrail:
    """ASGI middleware: every successful state-changing API request by an authenticated principal is
    appended to the audit chain (``hub.audit``) *before* its response starts, so a client that saw the
    2xx can find the row.

    The row says who (``api:<key id>``, the key's tenant), what (``api.<operation name>``, e.g.
    ``api.replay_one`` or ``api.accept_conflict``; the method and route template in ``detail``), on what
    (the path parameters, e.g. the conflict id) and with which request body (JSON, secret-looking keys
    redacted). Data-plane ingest (events, EDI, webhooks, token requests) is not audited here: the inbox
    records it. A failure to append is logged and does not change the answer (the action already happened).
    """

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if (
            scope["type"] != "http"
            or scope.get("method") not in STATE_CHANGING
            or path in DATA_PLANE_PATHS
            or path.startswith(DATA_PLANE_PREFIXES)
        ):
            await self.app(scope, receive, send)
            return
        body = bytearray()

        async def receive_copy() -> Message:
            message = await receive()
            if message.get("type") == "http.request" and len(body) <= AUDIT_BODY_BYTES:
                body.extend(message.get("body", b""))
            return message

        async def send_after_audit(message: Message) -> None:
            if message.get("type") == "http.response.start" and 200 <= int(message.get("status", 0)) < 300:
                await self._record(scope, int(message["status"]), bytes(body))
            await send(message)

        await self.app(scope, receive_copy, send_after_audit)

    async def _record(self, scope: Scope, status: int, raw: bytes) -> None:
        principal: Principal | None = scope.get(PRINCIPAL_SCOPE_KEY)
        app = scope.get("app")
        audit = getattr(getattr(getattr(app, "state", None), "hub", None), "audit", None)
        if principal is None or audit is None:
            return
        route = scope.get("route")
        template = getattr(route, "path", None) or scope.get("path", "")
        name = getattr(route, "name", None) or template
        params = {str(k): str(v) for k, v in (scope.get("path_params") or {}).items()}
        detail: dict[str, Any] = {"method": scope.get("method"), "route": template, "status": status}
        if params:
            detail["params"] = params
        query = scope.get("query_string", b"")
        if query:
            detail["query"] = query.decode("latin-1")[:500]
        request = _request_detail(raw)
        if request is not None:
            detail["request"] = request
        try:
            await audit.append(
                actor=principal.actor,
                action=f"api.{name}"[:100],
                tenant=principal.tenant,
                target="/".join(params.values())[:300] or None,
                detail=detail,
            )
        except Exception:
            log.exception("could not append %s %s to the audit chain", scope.get("method"), template)


def install(app: FastAPI) -> None:
    """Add :class:`AuditTrail` to ``app`` (state-changing API requests land in the audit chain)."""
    app.add_middleware(AuditTrail)
