"""OAuth2 access tokens: short-lived JWTs (RFC 9068 profile) issued to API-key clients, HS256-signed.

The signing key is derived from the hub's server secret (``HMAC-SHA256(secret, "tradelane/jwt-signing/v1")``),
so every process of one hub can verify every other's tokens and a new server secret invalidates them all.
A token carries ``iss``, ``aud``, ``sub`` = ``client_id`` (the API key id), ``tnt`` (the tenant), ``scope``
(space-separated), ``iat``/``nbf``/``exp`` and a random ``jti``; its header has ``typ: at+jwt`` and a ``kid``
naming the signing key. Verification accepts only HS256 (no ``none``, no algorithm confusion), only
``typ: at+jwt``, and requires every claim above; issuer and audience must match this hub's settings.

Tokens are bearer credentials over the key that obtained them: the authenticator checks, on every request,
that the key still exists, is not revoked or expired, and still grants the token's scopes. A token never
outlives its key: ``exp`` is capped at the key's expiry or rotation deadline.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import jwt

from tradelane.core.errors import TradelaneError

__all__ = [
    "ACCESS_TOKEN_TYPE",
    "DEFAULT_AUDIENCE",
    "DEFAULT_ISSUER",
    "DEFAULT_TTL_S",
    "InvalidToken",
    "IssuedToken",
    "TokenClaims",
    "TokenService",
    "derive_signing_key",
    "looks_like_jwt",
]

#: ``typ`` header of access tokens (RFC 9068 §2.1); anything else is refused
ACCESS_TOKEN_TYPE = "at+jwt"
#: the one signing algorithm issued and accepted
ALGORITHM = "HS256"
#: default ``iss`` and ``aud`` (overridden by ``security.token_issuer`` / ``security.token_audience``)
DEFAULT_ISSUER = "tradelane"
DEFAULT_AUDIENCE = "tradelane-api"
#: default token lifetime, seconds (``security.token_ttl_s``)
DEFAULT_TTL_S = 900
#: clock difference tolerated between hub processes when checking ``exp``/``nbf``/``iat``, seconds
CLOCK_SKEW_S = 5
#: longest token accepted for parsing (a real one is ~400 bytes); longer is refused unread
MAX_TOKEN_LENGTH = 4096
_KEY_LABEL = b"tradelane/jwt-signing/v1"
_REQUIRED = ["iss", "aud", "sub", "exp", "iat", "nbf", "jti", "scope", "client_id"]


class InvalidToken(TradelaneError):
    """A presented access token is malformed, forged, expired, or for another issuer/audience.

    ``reason`` is short and safe to return in ``error_description``.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        #: why, without any token content
        self.reason = reason


@dataclass(frozen=True)
class TokenClaims:
    """What a verified access token says."""

    #: the API key id the token was issued to
    client_id: str
    #: the key's tenant when issued (``None`` for operator keys)
    tenant: str | None
    #: granted scopes
    scopes: frozenset[str]
    #: expiry
    expires_at: datetime
    #: unique token id
    jti: str


@dataclass(frozen=True)
class IssuedToken:
    """A freshly issued token and what to tell the client about it."""

    #: the compact JWT
    access_token: str
    #: seconds until expiry
    expires_in: int
    #: granted scopes
    scopes: tuple[str, ...]


def derive_signing_key(server_secret: bytes) -> bytes:
    """The JWT signing key: a labelled HMAC of the server secret, so the secret itself never signs tokens."""
    return hmac.new(server_secret, _KEY_LABEL, hashlib.sha256).digest()


def looks_like_jwt(presented: str) -> bool:
    """Whether a bearer credential has the compact JWS shape (three dot-separated parts)."""
    return presented.count(".") == 2 and not presented.startswith("tl_")


class TokenService:
    """Issues and verifies access tokens for one hub."""

    def __init__(
        self,
        server_secret: bytes,
        *,
        issuer: str = DEFAULT_ISSUER,
        audience: str = DEFAULT_AUDIENCE,
        ttl_s: int = DEFAULT_TTL_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """
        :param server_secret: the hub's secret (``Settings.resolved_secret_key()``)
        :param issuer: ``iss`` to issue and require
        :param audience: ``aud`` to issue and require
        :param ttl_s: lifetime of issued tokens, seconds
        :param clock: wall clock used when issuing (tests issue "in the past" with it)
        """
        if ttl_s <= 0:
            raise ValueError("token ttl must be positive")
        self._key = derive_signing_key(server_secret)
        self._kid = hashlib.sha256(self._key).hexdigest()[:16]
        self.issuer = issuer
        self.audience = audience
        self.ttl_s = ttl_s
        self._clock = clock

    def issue(
        self,
        client_id: str,
        tenant: str | None,
        scopes: Iterable[str],
        *,
        not_after: datetime | None = None,
    ) -> IssuedToken:
        """Sign a token for ``client_id`` carrying ``scopes``.

        :param not_after: the key's own deadline (expiry or rotation); the token never outlives it
        """
        now = int(self._clock())
        exp = now + self.ttl_s
        if not_after is not None:
            exp = min(exp, int(not_after.timestamp()))
        if exp <= now:
            raise InvalidToken("the client credential expires now")
        granted = tuple(sorted(set(scopes)))
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": client_id,
            "client_id": client_id,
            "scope": " ".join(granted),
            "iat": now,
            "nbf": now,
            "exp": exp,
            "jti": secrets.token_urlsafe(16),
        }
        if tenant is not None:
            claims["tnt"] = tenant
        token = jwt.encode(
            claims, self._key, algorithm=ALGORITHM, headers={"typ": ACCESS_TOKEN_TYPE, "kid": self._kid}
        )
        return IssuedToken(access_token=token, expires_in=exp - now, scopes=granted)

    def verify(self, token: str) -> TokenClaims:
        """Check signature, type, issuer, audience and times; return the claims.

        :raises InvalidToken: for any defect (the reason never echoes token content)
        """
        if len(token) > MAX_TOKEN_LENGTH:
            raise InvalidToken("token too long")
        try:
            decoded = jwt.decode_complete(
                token,
                self._key,
                algorithms=[ALGORITHM],
                audience=self.audience,
                issuer=self.issuer,
                leeway=CLOCK_SKEW_S,
                options={"require": _REQUIRED, "strict_aud": True},
            )
        except jwt.ExpiredSignatureError:
            raise InvalidToken("token expired") from None
        except (jwt.InvalidAudienceError, jwt.InvalidIssuerError):
            raise InvalidToken("token is for another issuer or audience") from None
        except jwt.ImmatureSignatureError:
            raise InvalidToken("token not yet valid") from None
        except jwt.InvalidSignatureError:
            raise InvalidToken("token signature invalid") from None
        except jwt.PyJWTError:
            raise InvalidToken("malformed token") from None
        header, payload = decoded["header"], decoded["payload"]
        if header.get("typ") != ACCESS_TOKEN_TYPE:
            raise InvalidToken("not an access token")
        sub, client_id, scope = payload.get("sub"), payload.get("client_id"), payload.get("scope")
        tenant = payload.get("tnt")
        if not isinstance(sub, str) or sub != client_id or not isinstance(scope, str):
            raise InvalidToken("malformed token")
        if tenant is not None and not isinstance(tenant, str):
            raise InvalidToken("malformed token")
        return TokenClaims(
            client_id=sub,
            tenant=tenant,
            scopes=frozenset(scope.split()),
            expires_at=datetime.fromtimestamp(int(payload["exp"]), UTC),
            jti=str(payload["jti"]),
        )
