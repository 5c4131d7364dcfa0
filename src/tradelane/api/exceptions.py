"""``/v1/exceptions``, ``/v1/sla/timers``, ``/v1/conflicts``, ``/v1/flows``: the flow runtime over HTTP.

Partners see only their own tenant's records (another tenant's id answers 404, exactly like an unknown one);
operators (keys without a tenant) see every tenant. Reading needs ``events:read``; acknowledging and
resolving an exception needs ``exceptions:write`` (implied by ``events:write`` and by the ``operator`` role);
deciding a system-of-record conflict needs ``conflicts:resolve`` (``operator`` and ``admin``: a partner must not be
able to accept its own change to a field it does not own). A transition that the current status does not
allow answers 409; bad input answers 422 with field paths (problem+json).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from tradelane.api.auth import Principal, require, visible_conflict
from tradelane.core.errors import FieldProblem, NotFound, ValidationFailed
from tradelane.flows.catalogue import describe
from tradelane.flows.runtime import FlowRuntime
from tradelane.ports.flows import ConflictFilter, ExceptionFilter, SlaTimerFilter
from tradelane.security.roles import CONFLICTS_RESOLVE, EVENTS_READ, EXCEPTIONS_WRITE

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["flows"])

#: ``KIND/ID`` of the ``entity`` query parameter
ENTITY_PATTERN = r"^[^/]+/.+$"
#: longest note on a transition or decision
NOTE_MAX = 2000
READ = EVENTS_READ
#: acknowledging and resolving; implied by ``events:write`` (partners) and the ``operator`` role
WRITE = EXCEPTIONS_WRITE


class AckRequest(BaseModel):
    """Acknowledge an exception: someone is on it. Unknown fields are rejected."""

    model_config = ConfigDict(extra="forbid")
    note: str | None = Field(default=None, max_length=NOTE_MAX)


class ResolveRequest(BaseModel):
    """Resolve an exception; the note says how (it becomes the resolution)."""

    model_config = ConfigDict(extra="forbid")
    note: str = Field(min_length=1, max_length=NOTE_MAX)


class DecisionRequest(BaseModel):
    """Accept or reject a conflict, optionally saying why."""

    model_config = ConfigDict(extra="forbid")
    note: str | None = Field(default=None, max_length=NOTE_MAX)


def _flows(request: Request) -> FlowRuntime:
    flows: FlowRuntime | None = getattr(request.app.state.hub, "flows", None)
    if flows is None:
        raise HTTPException(503, "the flow runtime is not running in this process")
    return flows


def _page_size(request: Request, limit: int | None) -> int:
    cfg = request.app.state.hub.settings.api
    size = int(limit or cfg.default_page_size)
    if size > cfg.max_page_size:
        raise ValidationFailed([FieldProblem("query.limit", f"at most {cfg.max_page_size}", "too_large")])
    return size


def _entity(entity: str | None) -> tuple[str | None, str | None]:
    if entity is None:
        return None, None
    kind, sep, ident = entity.partition("/")
    if not sep or not kind or not ident:
        raise ValidationFailed(
            [FieldProblem("query.entity", "expected KIND/ID, e.g. shipment/SHP123", "invalid")], "Invalid request"
        )
    return kind, ident


def _actor(principal: Principal) -> str:
    return f"api:{principal.key_id}"


def _now() -> datetime:
    return datetime.now(UTC)


# -- exceptions ---------------------------------------------------------------------------------------------
@router.get("/exceptions", summary="List exceptions (aging in age_s)")
async def list_exceptions(
    request: Request,
    principal: Annotated[Principal, Depends(require(READ))],
    status: Literal["open", "acknowledged", "resolved"] | None = None,
    type: Annotated[str | None, Query(max_length=60)] = None,
    owner: Annotated[str | None, Query(max_length=100, description="owner team")] = None,
    entity: Annotated[str | None, Query(max_length=241, pattern=ENTITY_PATTERN, description="KIND/ID, e.g. shipment/SHP123")] = None,
    flow: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int | None, Query(ge=1)] = None,
    cursor: str | None = None,
) -> dict[str, Any]:
    kind, ident = _entity(entity)
    flt = ExceptionFilter(
        tenant=principal.tenant_filter, status=status, type=type, owner_team=owner, entity_kind=kind,
        entity_id=ident, flow=flow,
    )
    rows, nxt = await _flows(request).exceptions.list(flt, _page_size(request, limit), cursor)
    now = _now()
    return {"exceptions": [r.as_dict(now) for r in rows], "next_cursor": nxt}


@router.get("/exceptions/{exception_id}", summary="One exception with its history")
async def get_exception(
    exception_id: str, request: Request, principal: Annotated[Principal, Depends(require(READ))]
) -> dict[str, Any]:
    view = await _flows(request).exceptions.get(exception_id, principal.tenant_filter)
    if view is None:
        raise NotFound(f"no exception {exception_id}")
    return view.as_dict(_now())


@router.post("/exceptions/{exception_id}/acknowledge", summary="open → acknowledged (409 otherwise)")
async def acknowledge_exception(
    exception_id: str, body: AckRequest, request: Request,
    principal: Annotated[Principal, Depends(require(WRITE))],
) -> dict[str, Any]:
    view = await _flows(request).exceptions.acknowledge(
        exception_id, principal.tenant_filter, _actor(principal), body.note
    )
    return view.as_dict(_now())


@router.post("/exceptions/{exception_id}/resolve", summary="open | acknowledged → resolved (409 otherwise)")
async def resolve_exception(
    exception_id: str, body: ResolveRequest, request: Request,
    principal: Annotated[Principal, Depends(require(WRITE))],
) -> dict[str, Any]:
    view = await _flows(request).exceptions.resolve(
        exception_id, principal.tenant_filter, _actor(principal), body.note
    )
    return view.as_dict(_now())


# -- SLA timers ---------------------------------------------------------------------------------------------
@router.get("/sla/timers", summary="SLA timers, with counts by status (breached = breaches)")
async def list_sla_timers(
    request: Request,
    principal: Annotated[Principal, Depends(require(READ))],
    flow: Annotated[str | None, Query(max_length=100)] = None,
    sla: Annotated[str | None, Query(max_length=100)] = None,
    status: Literal["armed", "met", "breached"] | None = None,
    key: Annotated[str | None, Query(max_length=300)] = None,
    limit: Annotated[int | None, Query(ge=1)] = None,
    cursor: str | None = None,
) -> dict[str, Any]:
    flows = _flows(request)
    flt = SlaTimerFilter(tenant=principal.tenant_filter, flow=flow, sla=sla, status=status, key=key)
    rows, nxt = await flows.store.list_sla_timers(flt, _page_size(request, limit), cursor)
    counts = await flows.store.count_sla_timers(SlaTimerFilter(tenant=principal.tenant_filter, flow=flow, sla=sla))
    return {
        "timers": [r.as_dict() for r in rows],
        "next_cursor": nxt,
        "counts": counts,
        "breaches": counts.get("breached", 0),
    }


# -- conflicts ----------------------------------------------------------------------------------------------
@router.get("/conflicts", summary="System-of-record conflicts (changes proposed by a non-owner)")
async def list_conflicts(
    request: Request,
    principal: Annotated[Principal, Depends(require(READ))],
    status: Literal["open", "accepted", "rejected"] | None = None,
    entity: Annotated[str | None, Query(max_length=241, pattern=ENTITY_PATTERN, description="KIND/ID, e.g. order/SO042")] = None,
    source: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int | None, Query(ge=1)] = None,
    cursor: str | None = None,
) -> dict[str, Any]:
    kind, ident = _entity(entity)
    flt = ConflictFilter(tenant=principal.tenant_filter, status=status, entity_kind=kind, entity_id=ident,
                         source=source)
    rows, nxt = await _flows(request).conflicts.list(flt, _page_size(request, limit), cursor)
    return {"conflicts": [visible_conflict(r.as_dict(), principal) for r in rows], "next_cursor": nxt}


@router.get("/conflicts/{conflict_id}", summary="One conflict")
async def get_conflict(
    conflict_id: str, request: Request, principal: Annotated[Principal, Depends(require(READ))]
) -> dict[str, Any]:
    view = await _flows(request).conflicts.get(conflict_id, principal.tenant_filter)
    if view is None:
        raise NotFound(f"no conflict {conflict_id}")
    return visible_conflict(view.as_dict(), principal)


async def _decide(
    request: Request, conflict_id: str, body: DecisionRequest, principal: Principal, accept: bool
) -> dict[str, Any]:
    svc = _flows(request).conflicts
    fn = svc.accept if accept else svc.reject
    decision = await fn(conflict_id, principal.tenant_filter, _actor(principal), body.note)
    out = decision.conflict.as_dict()
    out["apply"] = {"field": decision.field, "value": decision.value} if decision.apply else None
    return visible_conflict(out, principal)


@router.post("/conflicts/{conflict_id}/accept", summary="Accept: the proposed value is to be applied")
async def accept_conflict(
    conflict_id: str, body: DecisionRequest, request: Request,
    principal: Annotated[Principal, Depends(require(CONFLICTS_RESOLVE))],
) -> dict[str, Any]:
    return await _decide(request, conflict_id, body, principal, True)


@router.post("/conflicts/{conflict_id}/reject", summary="Reject: the owner's value stays")
async def reject_conflict(
    conflict_id: str, body: DecisionRequest, request: Request,
    principal: Annotated[Principal, Depends(require(CONFLICTS_RESOLVE))],
) -> dict[str, Any]:
    return await _decide(request, conflict_id, body, principal, False)


# -- the catalogue ------------------------------------------------------------------------------------------
@router.get("/flows", summary="The flow catalogue: mode, schedule and next run, SLAs, owner")
async def list_flows(
    request: Request, principal: Annotated[Principal, Depends(require(READ))]
) -> dict[str, Any]:
    flows = _flows(request)
    names = [f.name for f in flows.flows if f.mode == "batch"]
    last = await flows.store.last_job_runs(names) if names else {}
    rows = describe(flows.flows, _now(), last)
    for r in rows:
        if r["last_run"]:
            r["last_run"] = {k: v.isoformat() if isinstance(v, datetime) else v for k, v in r["last_run"].items()}
    return {"flows": rows}
