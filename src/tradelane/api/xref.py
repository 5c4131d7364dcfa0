"""``/v1/xref``: the cross-reference table (partner value ↔ canonical id ↔ Odoo id) the partner mappings look
values up in — the same entries ``tradelane mapping xref set|get|list|delete`` manages.

Cross references are partner configuration, managed by operators like the partners' endpoints: reading
needs ``ops:read`` (``viewer`` and up), writing ``endpoints:write`` (``operator`` and up) — both operator-only
scopes, so a partner can never re-point its own references. Entries are per tenant, partner and kind; the
tenant is part of the path. Bad input answers 422 with field paths (problem+json); an unknown entry answers 404.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from tradelane.api.auth import Principal, require
from tradelane.core.errors import NotFound
from tradelane.ports.xref import XrefEntry, XrefStore
from tradelane.security.roles import ENDPOINTS_WRITE, OPS_READ

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["xref"])

#: reading cross references (operator views)
XREF_READ = OPS_READ
#: writing them (partner configuration, like an endpoint)
XREF_WRITE = ENDPOINTS_WRITE
#: most entries one list answers
MAX_LIST = 1000

Segment = Annotated[str, Path(min_length=1, max_length=200)]


class XrefBody(BaseModel):
    """The target of one cross reference. Unknown fields are rejected."""

    model_config = ConfigDict(extra="forbid")
    #: the hub's canonical id
    canonical_id: str = Field(min_length=1, max_length=200)
    #: the Odoo record id, when the thing exists in Odoo
    odoo_id: int | None = Field(default=None, ge=1)


def _store(request: Request) -> XrefStore:
    store: XrefStore = request.app.state.hub.xrefs
    return store


def _view(entry: XrefEntry) -> dict[str, Any]:
    return {
        "tenant": entry.tenant,
        "partner": entry.partner,
        "kind": entry.kind,
        "partner_value": entry.partner_value,
        "canonical_id": entry.canonical_id,
        "odoo_id": entry.odoo_id,
        "updated_at": None if entry.updated_at is None else entry.updated_at.isoformat().replace("+00:00", "Z"),
    }


@router.get("/xref/{tenant}", summary="Cross references of one tenant (optionally one partner and kind)")
async def list_xref(
    tenant: Segment,
    request: Request,
    principal: Annotated[Principal, Depends(require(XREF_READ))],
    partner: Annotated[str | None, Query(max_length=100)] = None,
    kind: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIST)] = 100,
) -> dict[str, Any]:
    rows = await _store(request).list(tenant, partner, kind, limit)
    return {"xref": [_view(e) for e in rows]}


@router.get("/xref/{tenant}/{partner}/{kind}/{partner_value}", summary="One cross reference")
async def get_xref(
    tenant: Segment, partner: Segment, kind: Segment, partner_value: Segment, request: Request,
    principal: Annotated[Principal, Depends(require(XREF_READ))],
) -> dict[str, Any]:
    entry = await _store(request).get(tenant, partner, kind, partner_value)
    if entry is None:
        raise NotFound(f"no {kind} cross reference {partner_value!r} of partner {partner} (tenant {tenant})")
    return _view(entry)


@router.put("/xref/{tenant}/{partner}/{kind}/{partner_value}", summary="Set one cross reference (upsert)")
async def put_xref(
    tenant: Segment, partner: Segment, kind: Segment, partner_value: Segment, body: XrefBody, request: Request,
    principal: Annotated[Principal, Depends(require(XREF_WRITE))],
) -> dict[str, Any]:
    entry = await _store(request).put(XrefEntry(tenant, partner, kind, partner_value, body.canonical_id,
                                                body.odoo_id))
    return _view(entry)


@router.delete("/xref/{tenant}/{partner}/{kind}/{partner_value}", status_code=204,
               summary="Delete one cross reference")
async def delete_xref(
    tenant: Segment, partner: Segment, kind: Segment, partner_value: Segment, request: Request,
    principal: Annotated[Principal, Depends(require(XREF_WRITE))],
) -> Response:
    if not await _store(request).delete(tenant, partner, kind, partner_value):
        raise NotFound(f"no {kind} cross reference {partner_value!r} of partner {partner} (tenant {tenant})")
    return Response(status_code=204)
