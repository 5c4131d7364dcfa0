"""What every web page shares: the route class that turns sign-in and permission failures into HTML, the
session dependencies (with CSRF checks for POST), template rendering, and form and query parsing.

The API answers problem+json; a person's browser gets pages instead. :class:`WebRoute` catches
:class:`LoginRequired` (no usable session: redirect to the area's sign-in page, or ``HX-Redirect`` for htmx)
and :class:`WebError` (an HTML error page with the status, e.g. 403 for the wrong role or a failed CSRF
check, 404 for a record the person may not see) raised by the dependencies and routes of this package.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Coroutine, Mapping
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.routing import APIRoute
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from starlette.datastructures import FormData
from starlette.responses import HTMLResponse, RedirectResponse, Response

from tradelane.security.keyring import key_is_active
from tradelane.web import cache as web_cache
from tradelane.web.session import (
    CSRF_FIELD,
    CSRF_HEADER,
    SESSION_COOKIE,
    Access,
    Role,
    Session,
    SessionCodec,
    can,
    operator_access,
    role_allowed,
)

__all__ = [
    "CSP",
    "LoginRequired",
    "WebError",
    "WebRoute",
    "access_of",
    "codec",
    "form_text",
    "hub_of",
    "operator",
    "operator_post",
    "operator_signout",
    "parse_time",
    "permit",
    "portal",
    "portal_post",
    "read_static",
    "render",
    "sri",
]

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
#: where each role signs in
LOGIN_PATH: Mapping[Role, str] = {"operator": "/ui/login", "portal": "/portal/login"}
#: pages run only our own script (htmx, with eval off); forms post only here; nobody frames them
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
#: what each role is called on pages
ROLE_NAME: Mapping[Role, str] = {"operator": "operator", "portal": "portal customer"}


@cache
def read_static(name: str) -> bytes:
    """A file of ``static/``, read once."""
    return (STATIC / name).read_bytes()


@cache
def sri(name: str) -> str:
    """The Subresource Integrity value (``integrity="…"``) of a static file."""
    return "sha384-" + base64.b64encode(hashlib.sha384(read_static(name)).digest()).decode()


def _age(seconds: float | None) -> str:
    """``95`` → ``1m 35s``: short human durations for the board."""
    if seconds is None:
        return "–"
    s = int(seconds)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m {s % 60}s"
    if s < 86_400:
        return f"{s // 3600}h {s % 3600 // 60}m"
    return f"{s // 86_400}d {s % 86_400 // 3600}h"


def _when(value: Any) -> str:
    """A timestamp as ``2026-11-18 09:12:03 UTC`` (accepts datetimes and ISO strings)."""
    if value is None or value == "":
        return "–"
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return str(value)


_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.filters["age"] = _age
_env.filters["when"] = _when
_env.globals["sri"] = sri
_env.filters["urlq"] = lambda v: quote(str(v), safe="")


def hub_of(request: Request) -> Any:
    return request.app.state.hub


def codec(request: Request) -> SessionCodec:
    """The hub's session codec (built once per app from the server secret)."""
    state = request.app.state
    found: SessionCodec | None = getattr(state, "web_session_codec", None)
    if found is None:
        found = SessionCodec(hub_of(request).settings.resolved_secret_key())
        state.web_session_codec = found
    return found


class LoginRequired(Exception):
    """No usable session for this area: the person must sign in (again)."""

    def __init__(self, role: Role, reason: str = "") -> None:
        super().__init__(reason or "sign-in required")
        self.role = role
        self.reason = reason


class WebError(Exception):
    """An error shown to a person as a page: ``status`` with a title and a plain-words detail."""

    def __init__(self, status: int, title: str, detail: str = "", *, area: Role = "operator") -> None:
        super().__init__(f"{status} {title}: {detail}")
        self.status = status
        self.title = title
        self.detail = detail
        self.area = area


def _login_redirect(request: Request, exc: LoginRequired) -> Response:
    target = LOGIN_PATH[exc.role]
    if request.method == "GET":
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        target += f"?next={quote(here, safe='')}"
    if request.headers.get("hx-request") == "true":
        resp: Response = Response(status_code=200, headers={"HX-Redirect": target})
    else:
        resp = RedirectResponse(target, status_code=303)
    if request.cookies.get(SESSION_COOKIE):
        resp.delete_cookie(SESSION_COOKIE, path="/")
    return resp


class WebRoute(APIRoute):
    """Routes of the web package: sign-in and permission failures become redirects and HTML pages."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        inner = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                return await inner(request)
            except LoginRequired as exc:
                return _login_redirect(request, exc)
            except WebError as exc:
                return render(
                    request,
                    "error.html",
                    {"status": exc.status, "title": exc.title, "detail": exc.detail, "area": exc.area},
                    status=exc.status,
                )
            finally:
                if request.method == "POST":  # whatever it changed shows on the next board and charts
                    web_cache.clear(hub_of(request))

        return handler


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status: int = 200,
    session: Session | None = None,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """Render ``template``; pages get the session, its CSRF token and whether htmx asked for a fragment."""
    sess = session if session is not None else getattr(request.state, "web_session", None)
    access = access_of(request) if sess is not None and sess.role == "operator" else None
    ctx: dict[str, Any] = {
        "access": access,
        # ``can("act")`` in templates: whether to show the buttons of an action
        "can": lambda permission: can(access, permission),
        "instance": hub_of(request).settings.instance_name,
        "session": sess,
        "csrf_token": codec(request).csrf_token(sess) if sess is not None else "",
        "csrf_field": CSRF_FIELD,
        "fragment": request.headers.get("hx-request") == "true",
        "path": request.url.path,
        "area": "portal" if request.url.path.startswith("/portal") else "operator",
    }
    ctx.update(context or {})
    html = _env.get_template(template).render(ctx)
    resp = HTMLResponse(html, status_code=status, headers=dict(headers or {}))
    # pages show operational data: never cache them, never frame them
    resp.headers.setdefault("Cache-Control", "no-store")
    resp.headers.setdefault("X-Frame-Options", "DENY")
    resp.headers.setdefault("X-Content-Type-Options", "nosniff")
    resp.headers.setdefault("Referrer-Policy", "same-origin")
    resp.headers.setdefault("Content-Security-Policy", CSP)
    return resp


async def _session(request: Request, role: Role) -> Session:
    sess = codec(request).verify(request.cookies.get(SESSION_COOKIE))
    if sess is None:
        raise LoginRequired(role)
    if sess.role != role:
        raise WebError(
            403,
            "Wrong role",
            f"You are signed in as a {ROLE_NAME[sess.role]}; this page is for a {ROLE_NAME[role]}. "
            f"Sign in with another key at {LOGIN_PATH[role]}.",
            area=sess.role,
        )
    rec = await hub_of(request).store.get_api_key(sess.key_id)
    if rec is None or not key_is_active(rec, datetime.now(UTC)):
        raise LoginRequired(role, "the key of this session was revoked or has expired")
    if not role_allowed(role, rec) or rec.tenant != sess.tenant:
        raise LoginRequired(role, "the key of this session changed")
    request.state.web_session = sess
    if role == "operator":
        request.state.web_access = operator_access(rec)
    return sess


def access_of(request: Request) -> Access | None:
    """The access level of the request's control-tower session (set when the session was checked)."""
    found: Access | None = getattr(request.state, "web_access", None)
    return found


def permit(request: Request, permission: str) -> None:
    """Refuse (403 page) unless the control-tower session may ``permission`` (``act``, ``credentials``).

    :raises WebError: 403 naming the access level and what it lacks
    """
    access = access_of(request)
    if not can(access, permission):
        what = {"act": "change anything", "credentials": "create or rotate credentials"}.get(permission, permission)
        raise WebError(403, "Not allowed", f"Your key gives {access or 'no'} access, which cannot {what}.")


async def _checked_post(request: Request, role: Role) -> Session:
    sess = await _session(request, role)
    presented = request.headers.get(CSRF_HEADER)
    if presented is None:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        presented = value if isinstance(value, str) else None
    if not codec(request).csrf_ok(sess, presented):
        raise WebError(
            403,
            "Request refused (CSRF)",
            "This form was not sent from a page of this session, or the page is too old. "
            "Reload the page and try again.",
            area=role,
        )
    return sess


async def operator(request: Request) -> Session:
    """Dependency: an operator's session (else redirect to sign-in, or 403 for a portal session)."""
    return await _session(request, "operator")


async def portal(request: Request) -> Session:
    """Dependency: a portal customer's session."""
    return await _session(request, "portal")


async def operator_post(request: Request) -> Session:
    """Dependency for operator POSTs that change something: the session, a valid CSRF token and an access
    level that may ``act`` (a viewer gets 403)."""
    sess = await _checked_post(request, "operator")
    permit(request, "act")
    return sess


async def operator_signout(request: Request) -> Session:
    """Dependency for signing out of the control tower: the session and a valid CSRF token (any level)."""
    return await _checked_post(request, "operator")


async def portal_post(request: Request) -> Session:
    """Dependency for portal POSTs: the session and a valid CSRF token."""
    return await _checked_post(request, "portal")


def form_text(form: FormData, name: str, *, max_len: int = 500) -> str | None:
    """A trimmed form field, ``None`` when empty; longer than ``max_len`` is a 400 naming the field."""
    value = form.get(name)
    if not isinstance(value, str):
        return None
    value = value.strip()
    if len(value) > max_len:
        raise WebError(400, "Invalid input", f"{name}: at most {max_len} characters")
    return value or None


def parse_time(name: str, value: str | None) -> datetime | None:
    """A filter time from a form or query (ISO 8601 or the browser's ``datetime-local``), as UTC.

    :raises WebError: 400 naming the field when it is not a date-time
    """
    if value is None or not value.strip():
        return None
    try:
        dt = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise WebError(400, "Invalid filter", f"{name}: not a date-time (use 2026-11-18T09:00)") from None
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)
