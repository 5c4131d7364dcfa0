"""``/v1/deliveries``, ``/v1/endpoints``, ``/v1/notifications``: the outbox as operators and partners see it.

The DLQ is a status: ``GET /v1/deliveries?status=dead``. Replays go through ``POST /v1/deliveries/replay``
(a filter; ``dry_run`` — the default — only counts) or ``POST /v1/deliveries/{id}/replay``. A replayed
delivery keeps its id, which is its ``webhook-id``: a receiver that did apply it before dedupes it.
Partners see only their own tenant's deliveries; another tenant's id answers 404.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from tradelane.api.auth import Principal, require
from tradelane.core.errors import FieldProblem, NotFound, ValidationFailed
from tradelane.delivery.senders import excerpt_without_pricing
from tradelane.ports.delivery import DeliveryFilter
from tradelane.security.properties import PRICING_SCOPE
from tradelane.security.roles import DLQ_REPLAY, ENDPOINTS_WRITE, OPS_READ

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["deliveries"])

#: most deliveries one replay request moves back to pending
MAX_REPLAY = 10_000
#: the longest excerpt the store keeps (characters)
EXCERPT = 1000
REPLAY_SCOPE = DLQ_REPLAY


class ReplayRequest(BaseModel):
    """Which dead-lettered deliveries to replay. Unknown fields are rejected."""

    model_config = ConfigDict(extra="forbid")

    route: str | None = None
    destination: str | None = None
    error_class: str | None = None
    #: dead-lettered at or after this time ("all failed since T")
    since: datetime | None = None
    until: datetime | None = None
    #: only count (the default): send ``false`` to replay
    dry_run: bool = True
    limit: int = Field(default=1000, ge=1, le=MAX_REPLAY)


class ReplayResult(BaseModel):
    matched: int
    replayed: int
    dry_run: bool
    ids: list[str]


def _hub(request: Request) -> Any:
    return request.app.state.hub


@router.get("/deliveries", summary="List deliveries (the DLQ is status=dead)")
async def list_deliveries(
    request: Request,
    principal: Annotated[Principal, Depends(require("events:read"))],
    status: Literal["pending", "done", "dead", "filtered"] | None = None,
    route: str | None = None,
    destination: str | None = None,
    error_class: str | None = None,
    hub_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: Annotated[int | None, Query(ge=1)] = None,
    cursor: str | None = None,
) -> dict[str, Any]:
    hub = _hub(request)
    cfg = hub.settings.api
    size = limit or cfg.default_page_size
    if size > cfg.max_page_size:
        raise ValidationFailed([FieldProblem("query.limit", f"at most {cfg.max_page_size}", "too_large")])
    flt = DeliveryFilter(
        status=status,
        tenant=principal.tenant_filter,
        route=route,
        destination=destination,
        error_class=error_class,
        hub_id=hub_id,
        since=since,
        until=until,
    )
    rows, nxt = await hub.store.list_deliveries(flt, size, cursor)
    return {"deliveries": [r.as_dict() for r in rows], "next_cursor": nxt}


@router.get("/deliveries/{delivery_id}", summary="One delivery with its attempts")
async def get_delivery(
    delivery_id: str, request: Request, principal: Annotated[Principal, Depends(require("events:read"))]
) -> dict[str, Any]:
    view = await _hub(request).store.get_delivery(delivery_id, principal.tenant_filter)
    if view is None:
        raise NotFound(f"no delivery {delivery_id}")
    out: dict[str, Any] = view.as_dict()
    if not principal.has(PRICING_SCOPE):  # excerpts are stored stripped; rows recorded before that are not
        for attempt in out.get("attempt_log", ()):
            attempt["response_excerpt"] = excerpt_without_pricing(attempt.get("response_excerpt"), EXCERPT)
    return out


@router.post("/deliveries/replay", summary="Replay dead-lettered deliveries by filter (dry run first)")
async def replay(
    body: ReplayRequest, request: Request, principal: Annotated[Principal, Depends(require(REPLAY_SCOPE))]
) -> ReplayResult:
    hub = _hub(request)
    flt = DeliveryFilter(
        status="dead",
        tenant=principal.tenant_filter,
        route=body.route,
        destination=body.destination,
        error_class=body.error_class,
        since=body.since,
        until=body.until,
    )
    matched = await hub.store.count_deliveries(flt)
    if body.dry_run:
        return ReplayResult(matched=matched, replayed=0, dry_run=True, ids=[])
    ids = await hub.store.replay_deliveries(flt, f"api:{principal.key_id}", datetime.now(UTC), body.limit)
    if hub.worker is not None:
        hub.worker.wake()
    return ReplayResult(matched=matched, replayed=len(ids), dry_run=False, ids=ids)


@router.post("/deliveries/{delivery_id}/replay", summary="Replay one dead-lettered delivery")
async def replay_one(
    delivery_id: str, request: Request, principal: Annotated[Principal, Depends(require(REPLAY_SCOPE))]
) -> ReplayResult:
    hub = _hub(request)
    view = await hub.store.get_delivery(delivery_id, principal.tenant_filter)
    if view is None:
        raise NotFound(f"no delivery {delivery_id}")
    flt = DeliveryFilter(status="dead", tenant=principal.tenant_filter, hub_id=view.hub_id, route=view.route)
    ids = await hub.store.replay_deliveries(flt, f"api:{principal.key_id}", datetime.now(UTC), 1)
    if hub.worker is not None:
        hub.worker.wake()
    return ReplayResult(matched=1 if ids else 0, replayed=len(ids), dry_run=False, ids=ids)


@router.get("/endpoints", summary="Destinations with breaker and disabled state (operators)")
async def list_endpoints(
    request: Request, principal: Annotated[Principal, Depends(require(OPS_READ))]
) -> dict[str, Any]:
    hub = _hub(request)
    states = await hub.store.endpoint_states()
    out = []
    for name, ep in hub.settings.endpoints.items():
        st = states.get(name)
        out.append(
            {
                "name": name,
                "kind": ep.kind,
                "target": ep.url or ep.subject,
                "breaker": st.breaker if st else "closed",
                "consecutive_failures": st.consecutive_failures if st else 0,
                "disabled": bool(st and st.disabled_at),
                "disabled_reason": st.disabled_reason if st else None,
                "last_success_at": st.last_success_at.isoformat() if st and st.last_success_at else None,
                "last_failure_at": st.last_failure_at.isoformat() if st and st.last_failure_at else None,
            }
        )
    return {"endpoints": out}


class EndpointSwitch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str | None = Field(default=None, max_length=500)


@router.post("/endpoints/{name}/disable", summary="Disable a destination (its deliveries are dead-lettered)")
async def disable_endpoint(
    name: str, body: EndpointSwitch, request: Request, principal: Annotated[Principal, Depends(require(ENDPOINTS_WRITE))]
) -> dict[str, str]:
    hub = _hub(request)
    if name not in hub.settings.endpoints:
        raise NotFound(f"no endpoint {name}")
    await hub.store.set_endpoint_disabled(name, body.reason or f"disabled by {principal.key_id}", datetime.now(UTC))
    return {"name": name, "status": "disabled"}


@router.post("/endpoints/{name}/enable", summary="Enable a destination again (closes its breaker)")
async def enable_endpoint(
    name: str, request: Request, principal: Annotated[Principal, Depends(require(ENDPOINTS_WRITE))]
) -> dict[str, str]:
    hub = _hub(request)
    if name not in hub.settings.endpoints:
        raise NotFound(f"no endpoint {name}")
    await hub.store.set_endpoint_disabled(name, None, datetime.now(UTC))
    return {"name": name, "status": "enabled"}


@router.get("/notifications", summary="Recent notifications (breaker opened, endpoint disabled, …)")
async def list_notifications(
    request: Request, principal: Annotated[Principal, Depends(require(OPS_READ))]
) -> dict[str, Any]:
    return {"notifications": await _hub(request).store.notifications(100)}
