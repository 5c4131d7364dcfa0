"""Partner credentials in the control tower (``/ui/credentials``): list, create, rotate and revoke API keys
through the key ring (:mod:`tradelane.security.keyring`).

A new or rotated key is shown exactly once, in the answer to the POST that made it (never stored, never in
a URL, never cached: pages are ``no-store``); afterwards only its id is known. Only partner keys (with a
tenant, without ``admin``) are issued here — operator keys come from the CLI. Listing needs an operator
session; creating, rotating and revoking need the ``credentials`` permission (admin). Every change is on the
audit chain (the key ring writes it, actor ``web:<key id>``).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from tradelane.security.keyring import (
    KeyNotFound,
    create_api_key,
    key_is_active,
    revoke_api_key,
    rotate_api_key,
)
from tradelane.security.roles import PARTNER_SCOPES as _PARTNER_SCOPES
from tradelane.web.common import (
    WebError,
    WebRoute,
    form_text,
    hub_of,
    operator,
    operator_post,
    permit,
    render,
)
from tradelane.web.session import Session

__all__ = ["router"]

router = APIRouter(prefix="/ui", route_class=WebRoute, include_in_schema=False)

Op = Annotated[Session, Depends(operator)]
OpPost = Annotated[Session, Depends(operator_post)]

#: scopes a partner key may be given here: the key ring's partner scopes (roles and hub-wide scopes such as
#: ``admin``, ``ops:read`` or ``endpoints:write`` are for operator keys, made through the CLI)
PARTNER_SCOPES = tuple(sorted(_PARTNER_SCOPES))
#: tenant ids: what the API uses as partner ids
_TENANT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
#: longest lifetime a key may be given here, days
MAX_TTL_DAYS = 3660
#: longest rotation overlap, hours
MAX_OVERLAP_H = 24 * 30


def _status(rec: Any, now: datetime) -> str:
    if not key_is_active(rec, now):
        return "revoked" if rec.revoked_at is not None else "expired"
    return "rotating" if rec.revoked_at is not None else "active"


async def _page(request: Request, *, shown: dict[str, Any] | None = None, error: str | None = None,
                status: int = 200, form: dict[str, Any] | None = None) -> Response:
    hub = hub_of(request)
    tenant = (request.query_params.get("tenant") or "").strip() or None
    now = datetime.now(UTC)
    keys = [k for k in await hub.store.list_api_keys(tenant) if k.tenant]  # partner keys only
    rows = [{"rec": k, "status": _status(k, now)} for k in sorted(keys, key=lambda k: (k.tenant or "", k.created_at))]
    return render(request, "ui/credentials.html", {
        "rows": rows, "scopes": PARTNER_SCOPES, "shown": shown, "error": error, "tenant": tenant or "",
        "form": form or {"name": "", "tenant": "", "scopes": ["events:read", "events:write"], "ttl_days": ""},
        "overlap_h": hub.settings.security.key_rotation_overlap_s / 3600,
    }, status=status)


@router.get("/credentials", name="ui_credentials")
async def credentials_page(request: Request, sess: Op) -> Response:
    return await _page(request)


def _number(form: Any, name: str, upper: float) -> float | None:
    text = form_text(form, name, max_len=20)
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        raise WebError(400, "Invalid input", f"{name}: a number") from None
    if not 0 <= value <= upper:
        raise WebError(400, "Invalid input", f"{name}: between 0 and {upper:g}")
    return value


@router.post("/credentials", name="ui_credentials_create")
async def credentials_create(request: Request, sess: OpPost) -> Response:
    permit(request, "credentials")
    hub = hub_of(request)
    form = await request.form()
    name = form_text(form, "name", max_len=100)
    tenant = form_text(form, "tenant", max_len=100)
    scopes = [s for s in form.getlist("scopes") if isinstance(s, str)]
    ttl_days = _number(form, "ttl_days", MAX_TTL_DAYS)
    echo = {"name": name or "", "tenant": tenant or "", "scopes": scopes, "ttl_days": form_text(form, "ttl_days") or ""}
    problems = []
    if name is None:
        problems.append("name: required")
    if tenant is None or not _TENANT.match(tenant):
        problems.append("tenant: the partner id (letters, digits, '.', '_' or '-')")
    unknown = sorted(set(scopes) - set(PARTNER_SCOPES))
    if unknown:
        problems.append(f"scopes: not allowed here: {', '.join(unknown)}")
    if not scopes:
        problems.append("scopes: pick at least one")
    if ttl_days == 0:
        problems.append("ttl_days: leave empty for a key that does not expire, or give a positive number")
    if problems:
        return await _page(request, error="; ".join(problems), status=400, form=echo)
    assert name is not None and tenant is not None
    key, rec = await create_api_key(
        hub.store, hub.settings.resolved_secret_key(), name=name, tenant=tenant, scopes=tuple(sorted(set(scopes))),
        ttl=timedelta(days=ttl_days) if ttl_days else None, audit=hub.audit, actor=sess.actor,
    )
    return await _page(request, shown={"key": key, "rec": rec, "what": "created"})


@router.post("/credentials/{key_id}/rotate", name="ui_credentials_rotate")
async def credentials_rotate(key_id: str, request: Request, sess: OpPost) -> Response:
    permit(request, "credentials")
    hub = hub_of(request)
    old = await hub.store.get_api_key(key_id) if len(key_id) <= 100 else None
    if old is None or not old.tenant:
        raise WebError(404, "Not found", f"no partner key {key_id}")
    overlap_h = _number(await request.form(), "overlap_h", MAX_OVERLAP_H)
    overlap = timedelta(hours=overlap_h) if overlap_h is not None else timedelta(
        seconds=hub.settings.security.key_rotation_overlap_s)
    try:
        key, rec = await rotate_api_key(hub.store, hub.settings.resolved_secret_key(), key_id, overlap=overlap,
                                        audit=hub.audit, actor=sess.actor)
    except KeyNotFound as exc:
        raise WebError(409, "Cannot rotate", str(exc)) from None
    hub.authenticator.forget(key_id)  # this process's cache must not outlive the overlap
    return await _page(request, shown={"key": key, "rec": rec, "what": f"rotated from {key_id}",
                                       "old_until": datetime.now(UTC) + overlap})


@router.post("/credentials/{key_id}/revoke", name="ui_credentials_revoke")
async def credentials_revoke(key_id: str, request: Request, sess: OpPost) -> Response:
    permit(request, "credentials")
    hub = hub_of(request)
    rec = await hub.store.get_api_key(key_id) if len(key_id) <= 100 else None
    if rec is None or not rec.tenant:
        raise WebError(404, "Not found", f"no partner key {key_id}")
    if not await revoke_api_key(hub.store, key_id, audit=hub.audit, actor=sess.actor):
        raise WebError(409, "Cannot revoke", f"key {key_id} is not active (already revoked, expired or rotating)")
    hub.authenticator.forget(key_id)
    return await _page(request)
