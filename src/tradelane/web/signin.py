"""Signing in and out of the control tower (``/ui/login``) and the portal (``/portal/login``).

The sign-in form takes an API key (key id and secret in one string, as issued) and verifies it exactly as
the API does. The form has no session yet, so its CSRF protection is a double-submit token: a random
cookie set with the form, which the POST must repeat in a field. Failed sign-ins answer the form again with
401 (key refused) or 403 (a good key without the role's scope); nothing is set.
"""

from __future__ import annotations

import hmac
import math
import secrets
import time
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, Response

from tradelane.api.auth import CredentialRefused
from tradelane.web.common import (
    LOGIN_PATH,
    WebError,
    WebRoute,
    codec,
    form_text,
    hub_of,
    operator_signout,
    portal_post,
    render,
)
from tradelane.web.session import CSRF_FIELD, LOGIN_CSRF_COOKIE, SESSION_COOKIE, Role, Session, role_allowed

__all__ = ["router"]

router = APIRouter(route_class=WebRoute, include_in_schema=False)

#: lifetime of the sign-in form's double-submit cookie, seconds
LOGIN_CSRF_TTL_S = 3600
#: longest API key accepted in the form (a real one is 60 characters)
MAX_KEY_LENGTH = 200
HOME: dict[Role, str] = {"operator": "/ui", "portal": "/portal"}
WHAT: dict[Role, str] = {"operator": "the control tower", "portal": "the customer portal"}
NEEDS: dict[Role, str] = {
    "operator": "an operator key (scope admin, operator or viewer)",
    "portal": "a customer key with the portal scope and a tenant",
}


def _safe_next(role: Role, value: str | None) -> str:
    """Where to go after signing in: a path of this area only (no open redirect)."""
    home = HOME[role]
    if not value or not value.startswith(home) or value.startswith("//") or "\\" in value:
        return home
    rest = value[len(home):]
    return value if rest == "" or rest[0] in "/?" else home


def _form(request: Request, role: Role, *, status: int = 200, error: str | None = None,
          next_url: str | None = None) -> Response:
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(24)
    resp = render(
        request,
        "login.html",
        {
            "role": role,
            "what": WHAT[role],
            "needs": NEEDS[role],
            "action": LOGIN_PATH[role],
            "login_csrf": token,
            "error": error,
            "next": _safe_next(role, next_url),
        },
        status=status,
        session=None,
    )
    resp.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        max_age=LOGIN_CSRF_TTL_S,
        path="/",
        httponly=True,
        samesite="lax",
        secure=hub_of(request).settings.web.secure_cookies,
    )
    return resp


async def _sign_in(request: Request, role: Role) -> Response:
    hub = hub_of(request)
    form = await request.form()
    next_url = form_text(form, "next", max_len=1000)
    sent = form.get(CSRF_FIELD)
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE)
    if not isinstance(sent, str) or not cookie or not hmac.compare_digest(sent, cookie):
        raise WebError(
            403, "Request refused (CSRF)", "The sign-in form expired or was not sent from this site. Reload it.",
            area=role,
        )
    presented = form.get("api_key")
    if not isinstance(presented, str) or not presented.strip():
        return _form(request, role, status=400, error="api_key: enter your API key", next_url=next_url)
    if len(presented) > MAX_KEY_LENGTH:
        return _form(request, role, status=400, error=f"api_key: at most {MAX_KEY_LENGTH} characters",
                     next_url=next_url)
    try:
        rec = await hub.authenticator.verify_key(presented.strip())
    except CredentialRefused as exc:
        return _form(request, role, status=401, error=f"API key refused: {exc.reason}", next_url=next_url)
    if not role_allowed(role, rec):
        return _form(request, role, status=403,
                     error=f"This key cannot sign in to {WHAT[role]}: it needs {NEEDS[role]}.", next_url=next_url)
    now = time.time()
    exp = now + hub.settings.web.session_ttl_s
    for deadline in (rec.expires_at, rec.revoked_at):  # a rotated key's overlap deadline ends the session too
        if deadline is not None:
            exp = min(exp, deadline.timestamp())
    value, session = codec(request).issue(rec.key_id, role, rec.tenant, math.floor(exp))
    if hub.audit is not None:
        await hub.audit.append(actor=session.actor, action="web.signed_in", tenant=rec.tenant,
                               target=rec.key_id, detail={"role": role})
    resp = RedirectResponse(_safe_next(role, next_url), status_code=303)
    resp.set_cookie(
        SESSION_COOKIE,
        value,
        max_age=max(1, math.floor(exp - now)),
        path="/",
        httponly=True,
        samesite="lax",
        secure=hub.settings.web.secure_cookies,
    )
    resp.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
    return resp


def _signed_out(role: Role) -> Response:
    resp = RedirectResponse(LOGIN_PATH[role], status_code=303)
    resp.delete_cookie(SESSION_COOKIE, path="/")
    return resp


@router.get("/ui/login", name="ui_login")
async def ui_login_form(request: Request) -> Response:
    return _form(request, "operator", next_url=request.query_params.get("next"))


@router.post("/ui/login", name="ui_login_post")
async def ui_login(request: Request) -> Response:
    return await _sign_in(request, "operator")


@router.post("/ui/logout", name="ui_logout")
async def ui_logout(sess: Annotated[Session, Depends(operator_signout)]) -> Response:
    return _signed_out("operator")


@router.get("/portal/login", name="portal_login")
async def portal_login_form(request: Request) -> Response:
    return _form(request, "portal", next_url=request.query_params.get("next"))


@router.post("/portal/login", name="portal_login_post")
async def portal_login(request: Request) -> Response:
    return await _sign_in(request, "portal")


@router.post("/portal/logout", name="portal_logout")
async def portal_logout(sess: Annotated[Session, Depends(portal_post)]) -> Response:
    return _signed_out("portal")

