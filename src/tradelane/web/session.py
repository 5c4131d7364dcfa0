"""Web sessions: a signed, HttpOnly, SameSite=Lax cookie, a per-session CSRF token, and the two roles.

A person signs in with an API key (it holds the key id and the secret; it is verified exactly as the API
verifies it, :meth:`tradelane.api.auth.Authenticator.verify_key`). The hub then sets the cookie
:data:`SESSION_COOKIE`::

    base64url(JSON {"k": key id, "r": role, "t": tenant, "e": expiry (unix s), "n": random nonce})
    "." base64url(HMAC-SHA256(session key, that JSON))

The session key is a labelled HMAC of the hub's server secret (like the JWT signing key in
:mod:`tradelane.security.tokens`), so every process of one hub accepts every other's cookies and a new server
secret ends all sessions. Nothing is stored server-side; instead every request re-reads the key and ends the
session as soon as the key is revoked, expires, changes tenant or loses the scope of the role.

Roles: ``operator`` (the control tower under ``/ui``) and ``portal`` (a key with the ``portal`` scope and a
tenant: the customer portal under ``/portal``, that tenant only). Inside the control tower a key has an
*access level* (:func:`operator_access`, the one place that decides it): ``admin`` (the ``admin`` scope: every
action, credentials included), ``operator`` (the ``operator`` scope: every action but credentials) or
``viewer`` (the ``viewer`` scope: read-only). The level is read from the key on every request, so a changed
key changes what its open sessions may do at once.

CSRF: every POST must carry the session's token (form field :data:`CSRF_FIELD` or header
:data:`CSRF_HEADER`, which htmx sends from ``hx-headers``). The token is an HMAC of the cookie's nonce, so it
cannot be computed without the cookie, which scripts cannot read. The sign-in form, which has no session
yet, uses a double-submit token instead (cookie :data:`LOGIN_CSRF_COOKIE` equal to the form field).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Literal

import orjson

from tradelane.ports.store import ApiKeyRecord

__all__ = [
    "CSRF_FIELD",
    "CSRF_HEADER",
    "LOGIN_CSRF_COOKIE",
    "OPERATOR_SCOPE",
    "PORTAL_SCOPE",
    "SESSION_COOKIE",
    "Access",
    "Role",
    "Session",
    "SessionCodec",
    "can",
    "operator_access",
    "role_allowed",
]

Role = Literal["operator", "portal"]
#: what a control-tower session may do, most to least
Access = Literal["admin", "operator", "viewer"]

#: the session cookie's name
SESSION_COOKIE = "tl_session"
#: the double-submit cookie of the sign-in forms
LOGIN_CSRF_COOKIE = "tl_login_csrf"
#: form field carrying the CSRF token
CSRF_FIELD = "csrf_token"
#: request header carrying the CSRF token (htmx requests)
CSRF_HEADER = "X-CSRF-Token"
#: the scope that makes a key an operator of the control tower
OPERATOR_SCOPE = "admin"
#: the scope that lets a customer's key sign in to the portal
PORTAL_SCOPE = "portal"
#: scope → control-tower access level, strongest first (``operator`` and ``viewer`` are role scopes)
ACCESS_SCOPES: tuple[tuple[str, Access], ...] = (
    (OPERATOR_SCOPE, "admin"), ("operator", "operator"), ("viewer", "viewer"),
)
#: what each access level may do: ``act`` (replay, disable, acknowledge, resolve, decide conflicts) and
#: ``credentials`` (create and rotate partner keys)
PERMISSIONS: dict[Access, frozenset[str]] = {
    "admin": frozenset({"read", "act", "credentials"}),
    "operator": frozenset({"read", "act"}),
    "viewer": frozenset({"read"}),
}
#: longest cookie value parsed; a real one is ~200 bytes, anything longer is refused unread
MAX_COOKIE_LENGTH = 1024
#: bytes of randomness in a session's nonce (its CSRF token derives from it)
NONCE_BYTES = 18
_SESSION_LABEL = b"tradelane/web-session/v1"
_CSRF_LABEL = b"tradelane/web-csrf/v1"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class Session:
    """A verified session: who signed in, in which role, until when."""

    #: the API key id the person signed in with
    key_id: str
    role: Role
    #: the key's tenant (always set for ``portal``; ``None`` for operators)
    tenant: str | None
    #: expiry, unix seconds
    expires_at: int
    #: random per-session value the CSRF token derives from
    nonce: str

    @property
    def actor(self) -> str:
        """Who acts, for the audit log."""
        return f"web:{self.key_id}"


def operator_access(rec: ApiKeyRecord) -> Access | None:
    """The control-tower access level of the key ``rec`` (``None``: it cannot sign in there). Operator keys
    have no tenant; a tenant's key never reaches the control tower, whatever its scopes."""
    if rec.tenant and OPERATOR_SCOPE not in rec.scopes:
        return None
    for scope, level in ACCESS_SCOPES:
        if scope in rec.scopes:
            return level
    return None


def can(access: Access | None, permission: str) -> bool:
    """Whether ``access`` grants ``permission`` (``read``, ``act`` or ``credentials``)."""
    return access is not None and permission in PERMISSIONS[access]


def role_allowed(role: Role, rec: ApiKeyRecord) -> bool:
    """Whether the key ``rec`` may hold a session in ``role``."""
    if role == "operator":
        return operator_access(rec) is not None
    return PORTAL_SCOPE in rec.scopes and bool(rec.tenant)


class SessionCodec:
    """Signs and verifies session cookies and CSRF tokens for one hub."""

    def __init__(self, server_secret: bytes) -> None:
        self._key = hmac.new(server_secret, _SESSION_LABEL, hashlib.sha256).digest()
        self._csrf_key = hmac.new(server_secret, _CSRF_LABEL, hashlib.sha256).digest()

    def _sign(self, body: bytes) -> str:
        return _b64(hmac.new(self._key, body, hashlib.sha256).digest())

    def issue(self, key_id: str, role: Role, tenant: str | None, expires_at: int) -> tuple[str, Session]:
        """A new session and its cookie value."""
        session = Session(key_id, role, tenant, int(expires_at), _b64(secrets.token_bytes(NONCE_BYTES)))
        body = orjson.dumps(
            {"k": session.key_id, "r": session.role, "t": session.tenant, "e": session.expires_at, "n": session.nonce}
        )
        return f"{_b64(body)}.{self._sign(body)}", session

    def verify(self, cookie: str | None, now: float | None = None) -> Session | None:
        """The session of a cookie value; ``None`` if absent, malformed, forged or expired."""
        if not cookie or len(cookie) > MAX_COOKIE_LENGTH or cookie.count(".") != 1:
            return None
        body_b64, sig = cookie.split(".")
        try:
            body = _unb64(body_b64)
        except (binascii.Error, ValueError):
            return None
        if not hmac.compare_digest(self._sign(body), sig):
            return None
        try:
            doc = orjson.loads(body)
        except orjson.JSONDecodeError:
            return None
        if not isinstance(doc, dict):
            return None
        key_id, role, tenant, exp, nonce = (doc.get(x) for x in ("k", "r", "t", "e", "n"))
        if not isinstance(key_id, str) or role not in ("operator", "portal") or not isinstance(nonce, str):
            return None
        if not isinstance(exp, int) or (tenant is not None and not isinstance(tenant, str)):
            return None
        if exp <= (time.time() if now is None else now):
            return None
        return Session(key_id, role, tenant, exp, nonce)

    def csrf_token(self, session: Session) -> str:
        """The CSRF token forms and htmx requests of ``session`` must send back."""
        return _b64(hmac.new(self._csrf_key, f"{session.key_id}|{session.nonce}".encode(), hashlib.sha256).digest())

    def csrf_ok(self, session: Session, presented: str | None) -> bool:
        return bool(presented) and hmac.compare_digest(self.csrf_token(session), presented or "")
