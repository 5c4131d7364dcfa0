"""``POST /v1/oauth/token``: the OAuth2 client-credentials grant (RFC 6749 §4.4), issuing short-lived JWTs.

A client is an API key: ``client_id`` is the key id, ``client_secret`` the key itself, sent in the form
body or with HTTP Basic (RFC 6749 §2.3.1), never both. ``scope`` (optional, space-separated) narrows the
token to a subset of what the key grants; without it the token carries all of the key's scopes. The
answer is ``{"access_token", "token_type": "Bearer", "expires_in", "scope"}`` with ``Cache-Control: no-store``.

Errors use the RFC 6749 §5.2 body (``{"error", "error_description"}``, ``application/json``), not
problem+json, because OAuth2 client libraries parse that shape: ``invalid_request`` / ``unsupported_grant_type``
/ ``invalid_scope`` → 400, ``invalid_client`` → 401 with a ``Basic`` challenge. Refusals for a well-formed
client id are appended to the audit chain when the hub has one (``hub.audit``); the secret never is.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
from typing import Any
from urllib.parse import parse_qsl, unquote_plus

from fastapi import APIRouter, FastAPI, Request
from starlette.responses import JSONResponse, Response

from tradelane.api.auth import ADMIN_SCOPE, Authenticator, CredentialRefused
from tradelane.api.ratelimit import enforce_rate_limit
from tradelane.security.apikeys import KEY_ID_LEN, parse_key
from tradelane.security.keyring import KNOWN_SCOPES
from tradelane.security.roles import effective_scopes
from tradelane.security.tokens import InvalidToken, TokenService

__all__ = ["TOKEN_SCOPE", "install", "router"]

log = logging.getLogger("tradelane.api.oauth")
router = APIRouter(prefix="/v1/oauth", tags=["oauth"])

#: largest token request body accepted, bytes (a real one is ~150)
MAX_FORM_BYTES = 4096
#: most form fields accepted
MAX_FORM_FIELDS = 16
#: the rate-limit bucket name of token requests (each client has its own)
TOKEN_SCOPE = "oauth:token"
_FORM = "application/x-www-form-urlencoded"
_KEY_ID = re.compile(rf"[a-z2-7]{{{KEY_ID_LEN}}}")
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class _OAuthError(Exception):
    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status


def _error_response(exc: _OAuthError) -> Response:
    headers = dict(_NO_STORE)
    if exc.status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="tradelane"'
    return JSONResponse(
        {"error": exc.error, "error_description": exc.description}, status_code=exc.status, headers=headers
    )


async def _read_form(request: Request) -> dict[str, str]:
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype != _FORM:
        raise _OAuthError("invalid_request", f"the body must be {_FORM}")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_FORM_BYTES:
            raise _OAuthError("invalid_request", f"the body exceeds {MAX_FORM_BYTES} bytes")
        chunks.append(chunk)
    try:
        pairs = parse_qsl(
            b"".join(chunks).decode("utf-8"), keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS
        )
    except (UnicodeDecodeError, ValueError):
        raise _OAuthError("invalid_request", "the form body cannot be parsed") from None
    form: dict[str, str] = {}
    for k, v in pairs:
        if k in form:  # RFC 6749 §3.2: parameters must not be repeated
            raise _OAuthError("invalid_request", f"parameter {k!r} repeated")
        form[k] = v
    return form


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    auth = request.headers.get("authorization")
    if not auth:
        return None
    scheme, _, value = auth.partition(" ")
    if scheme.lower() != "basic":
        raise _OAuthError("invalid_client", "use HTTP Basic or form parameters", 401)
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise _OAuthError("invalid_client", "malformed Basic credentials", 401) from None
    user, sep, password = decoded.partition(":")
    if not sep:
        raise _OAuthError("invalid_client", "malformed Basic credentials", 401)
    # RFC 6749 §2.3.1: both are form-urlencoded before Basic encoding
    return unquote_plus(user), unquote_plus(password)


def _requested_scopes(raw: str | None, granted: tuple[str, ...]) -> tuple[str, ...]:
    if raw is None:
        return granted
    wanted = tuple(dict.fromkeys(raw.split(" ")))
    if not raw or "" in wanted:
        raise _OAuthError("invalid_scope", "scope must be space-separated scope names")
    unknown = [s for s in wanted if s not in KNOWN_SCOPES]
    if unknown:
        raise _OAuthError("invalid_scope", f"unknown scope {unknown[0]!r}")
    if ADMIN_SCOPE not in granted:
        held = effective_scopes(granted)  # a role's implied scopes may be asked for one by one
        beyond = [s for s in wanted if not effective_scopes((s,)) <= held]
        if beyond:
            raise _OAuthError("invalid_scope", f"this client is not granted {beyond[0]!r}")
    return wanted


async def _audit_refusal(request: Request, client_id: str | None, exc: _OAuthError) -> None:
    if client_id is None or not _KEY_ID.fullmatch(client_id):
        return  # random noise: the log line is enough, the audit chain records attempts on real-looking ids
    audit = getattr(request.app.state.hub, "audit", None)
    if audit is None:
        return
    try:
        await audit.append(
            actor=f"client:{client_id}",
            action="oauth.token_refused",
            target=client_id,
            detail={"error": exc.error, "reason": exc.description},
        )
    except Exception:  # auditing must not turn a 4xx into a 500
        log.exception("could not audit a refused token request")


_OAUTH_ERROR: dict[str, Any] = {
    "type": "object",
    "required": ["error", "error_description"],
    "properties": {"error": {"type": "string"}, "error_description": {"type": "string"}},
}
_TOKEN_OPENAPI: dict[str, Any] = {
    "security": [],
    "requestBody": {
        "required": True,
        "content": {
            _FORM: {
                "schema": {
                    "type": "object",
                    "required": ["grant_type"],
                    # other parameters are ignored (RFC 6749 §3.2), but none may be repeated
                    "additionalProperties": {"type": "string"},
                    "properties": {
                        "grant_type": {"type": "string", "enum": ["client_credentials"]},
                        "client_id": {"type": "string", "description": "the API key id"},
                        "client_secret": {"type": "string", "description": "the API key"},
                        "scope": {"type": "string", "description": "space-separated subset of the key's scopes"},
                    },
                }
            }
        },
    },
    "responses": {
        "200": {
            "description": "an access token",
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["access_token", "token_type", "expires_in", "scope"],
                        "properties": {
                            "access_token": {"type": "string"},
                            "token_type": {"type": "string", "enum": ["Bearer"]},
                            "expires_in": {"type": "integer"},
                            "scope": {"type": "string"},
                        },
                    }
                }
            },
        },
        "400": {
            "description": "RFC 6749 error: invalid_request, unsupported_grant_type, invalid_scope",
            "content": {"application/json": {"schema": _OAUTH_ERROR}},
        },
        "401": {
            "description": "RFC 6749 error: invalid_client",
            "content": {"application/json": {"schema": _OAUTH_ERROR}},
        },
        "429": {"description": "rate limited (problem+json, Retry-After)"},
    },
}


@router.post(
    "/token",
    summary="OAuth2 client-credentials grant: exchange an API key for a short-lived access token",
    openapi_extra=_TOKEN_OPENAPI,
    response_class=Response,
)
async def token(request: Request) -> Response:
    client_id: str | None = None
    try:
        form = await _read_form(request)
        basic = _basic_credentials(request)
        if basic is not None and ("client_secret" in form or "client_id" in form):
            raise _OAuthError("invalid_request", "authenticate with HTTP Basic or form parameters, not both")
        client_id, secret = basic if basic is not None else (form.get("client_id"), form.get("client_secret"))
        grant = form.get("grant_type")
        if not grant:
            raise _OAuthError("invalid_request", "grant_type is required")
        if grant != "client_credentials":
            raise _OAuthError("unsupported_grant_type", "only client_credentials is supported")
        if not client_id or not secret:
            raise _OAuthError("invalid_client", "client_id and client_secret are required", 401)
        parsed = parse_key(secret)
        if parsed is None or parsed.key_id != client_id:
            raise _OAuthError("invalid_client", "client authentication failed", 401)
        authn: Authenticator = request.app.state.hub.authenticator
        try:
            rec = await authn.verify_key(secret)
        except CredentialRefused:
            raise _OAuthError("invalid_client", "client authentication failed", 401) from None
        enforce_rate_limit(request, rec.key_id, TOKEN_SCOPE)
        scopes = _requested_scopes(form.get("scope"), rec.scopes)
        deadlines = [d for d in (rec.expires_at, rec.revoked_at) if d is not None]
        try:
            issued = authn.tokens.issue(rec.key_id, rec.tenant, scopes, not_after=min(deadlines, default=None))
        except InvalidToken:
            raise _OAuthError("invalid_client", "the client credential expires now", 401) from None
    except _OAuthError as exc:
        log.info("token request refused: %s (%s)", exc.error, exc.description)
        await _audit_refusal(request, client_id, exc)
        return _error_response(exc)
    body = {
        "access_token": issued.access_token,
        "token_type": "Bearer",
        "expires_in": issued.expires_in,
        "scope": " ".join(issued.scopes),
    }
    return JSONResponse(body, headers=_NO_STORE)


def install(app: FastAPI) -> None:
    """Add the token endpoint and give the hub's authenticator the configured issuer, audience and TTL."""
    hub = app.state.hub
    cfg = hub.settings.security
    authn: Authenticator = hub.authenticator
    authn.tokens = TokenService(
        authn.secret, issuer=cfg.token_issuer, audience=cfg.token_audience, ttl_s=cfg.token_ttl_s
    )
    app.include_router(router)
