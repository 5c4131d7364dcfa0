"""The control tower's work queues: the business board's drill-downs (``/ui/business/<metric>``), exceptions
to acknowledge and resolve with notes (``/ui/exceptions``), system-of-record conflicts to accept or reject
(``/ui/conflicts``).

Everything goes through the flow runtime's services (``hub.flows.exceptions``, ``hub.flows.conflicts``);
transitions the current status does not allow answer 409 with the reason, bad input 400 naming the field.
Every action is appended to the audit chain as ``web:<key id>``; viewers see the queues without the buttons
and their POSTs are refused (403).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, Response

from tradelane.core.errors import ConflictError, NotFound, ValidationFailed
from tradelane.ports.flows import ConflictFilter, ExceptionFilter
from tradelane.web import business, cache
from tradelane.web.common import WebError, WebRoute, form_text, hub_of, operator, operator_post, render
from tradelane.web.session import Session

__all__ = ["router"]

router = APIRouter(prefix="/ui", route_class=WebRoute, include_in_schema=False)

Op = Annotated[Session, Depends(operator)]
OpPost = Annotated[Session, Depends(operator_post)]

#: rows per work-queue page
PAGE_SIZE = 100
#: longest note on an acknowledgement, resolution or decision (the flow services' limit)
NOTE_MAX = 2000
EXCEPTION_STATUSES = ("open", "acknowledged", "resolved")
CONFLICT_STATUSES = ("open", "accepted", "rejected")


def _flows(hub: Any) -> Any:
    if getattr(hub, "flows", None) is None:
        raise WebError(503, "Flow runtime not running", "This hub process runs no flow runtime.")
    return hub.flows


async def _audit(hub: Any, sess: Session, action: str, target: str, detail: dict[str, Any]) -> None:
    if hub.audit is not None:
        await hub.audit.append(actor=sess.actor, action=action, target=target, detail=detail)


def _query(request: Request, name: str, allowed: tuple[str, ...] | None = None, max_len: int = 200) -> str | None:
    value = (request.query_params.get(name) or "").strip()
    if not value:
        return None
    if len(value) > max_len:
        raise WebError(400, "Invalid filter", f"{name}: at most {max_len} characters")
    if allowed is not None and value not in allowed:
        raise WebError(400, "Invalid filter", f"{name}: one of {', '.join(allowed)}")
    return value


# -- business board drill-downs ---------------------------------------------------------------------------
@router.get("/business/{metric}", name="ui_business")
async def business_page(metric: str, request: Request, sess: Op) -> Response:
    if metric not in business.METRICS:
        raise WebError(404, "Not found", f"no board metric {metric}")
    hub = hub_of(request)
    cached = await cache.board(hub)
    board = cached.value
    return render(request, "ui/business.html", {"m": board.metrics[metric], "board": board,
                                                "computed_at": cached.computed_at, "ttl_s": cache.ttl_s(hub)})


# -- exceptions -------------------------------------------------------------------------------------------
@router.get("/exceptions", name="ui_exceptions")
async def exceptions_page(request: Request, sess: Op) -> Response:
    hub = hub_of(request)
    flows = _flows(hub)
    status = _query(request, "status", (*EXCEPTION_STATUSES, "unresolved"))
    owner = _query(request, "owner", max_len=100)
    age = _query(request, "age", tuple(label for _, label in business.AGE_BANDS))
    etype = _query(request, "type", max_len=60)
    entity = _query(request, "entity", max_len=200)
    now = datetime.now(UTC)
    if status in (None, "unresolved"):
        rows = [e for e in await business.open_exceptions(hub)
                if (owner is None or e.owner_team == owner) and (etype is None or e.type == etype)
                and (entity is None or e.entity_id == entity)]
    else:
        rows, _ = await flows.exceptions.list(
            ExceptionFilter(status=status, owner_team=owner, type=etype, entity_id=entity), PAGE_SIZE, None
        )
    if age is not None:
        rows = [e for e in rows if business.age_band(e.age_s(now)) == age]
    return render(request, "ui/exceptions.html", {
        "rows": rows[:PAGE_SIZE], "more": len(rows) > PAGE_SIZE, "now": now,
        "args": {"status": status or "unresolved", "owner": owner or "", "age": age or "", "type": etype or "",
                 "entity": entity or ""},
        "statuses": ("unresolved", *EXCEPTION_STATUSES), "ages": [label for _, label in business.AGE_BANDS],
    })


async def _exception(hub: Any, exception_id: str) -> Any:
    view = await _flows(hub).exceptions.get(exception_id, None) if len(exception_id) <= 100 else None
    if view is None:
        raise WebError(404, "Not found", f"no exception {exception_id}")
    return view


@router.get("/exceptions/{exception_id}", name="ui_exception")
async def exception_page(exception_id: str, request: Request, sess: Op) -> Response:
    hub = hub_of(request)
    view = await _exception(hub, exception_id)
    return render(request, "ui/exception.html", {"e": view, "now": datetime.now(UTC), "note_max": NOTE_MAX,
                                                 "error": None})


async def _transition(request: Request, sess: Session, exception_id: str, action: str) -> Response:
    hub = hub_of(request)
    flows = _flows(hub)
    form = await request.form()
    note = form_text(form, "note", max_len=NOTE_MAX)
    if action == "resolve" and note is None:
        view = await _exception(hub, exception_id)
        return render(request, "ui/exception.html",
                      {"e": view, "now": datetime.now(UTC), "note_max": NOTE_MAX,
                       "error": "note: say how it was resolved (the note becomes the resolution)"}, status=400)
    fn = flows.exceptions.acknowledge if action == "acknowledge" else flows.exceptions.resolve
    try:
        view = await fn(exception_id, None, sess.actor, note)
    except NotFound:
        raise WebError(404, "Not found", f"no exception {exception_id}") from None
    except ConflictError as exc:
        raise WebError(409, "Not possible now", str(exc)) from None
    except ValidationFailed as exc:
        raise WebError(400, "Invalid input", "; ".join(f"{p.path}: {p.message}" for p in exc.problems)) from None
    await _audit(hub, sess, f"exception.{'acknowledged' if action == 'acknowledge' else 'resolved'}",
                 exception_id, {"note": note})
    return RedirectResponse(f"/ui/exceptions/{view.id}", status_code=303)


@router.post("/exceptions/{exception_id}/acknowledge", name="ui_exception_ack")
async def exception_ack(exception_id: str, request: Request, sess: OpPost) -> Response:
    return await _transition(request, sess, exception_id, "acknowledge")


@router.post("/exceptions/{exception_id}/resolve", name="ui_exception_resolve")
async def exception_resolve(exception_id: str, request: Request, sess: OpPost) -> Response:
    return await _transition(request, sess, exception_id, "resolve")


# -- conflicts --------------------------------------------------------------------------------------------
@router.get("/conflicts", name="ui_conflicts")
async def conflicts_page(request: Request, sess: Op) -> Response:
    flows = _flows(hub_of(request))
    status = _query(request, "status", CONFLICT_STATUSES) or "open"
    source = _query(request, "source", max_len=100)
    rows, _ = await flows.conflicts.list(ConflictFilter(status=status, source=source), PAGE_SIZE, None)
    return render(request, "ui/conflicts.html", {
        "rows": rows, "args": {"status": status, "source": source or ""}, "statuses": CONFLICT_STATUSES,
    })


@router.get("/conflicts/{conflict_id}", name="ui_conflict")
async def conflict_page(conflict_id: str, request: Request, sess: Op) -> Response:
    flows = _flows(hub_of(request))
    view = await flows.conflicts.get(conflict_id, None) if len(conflict_id) <= 100 else None
    if view is None:
        raise WebError(404, "Not found", f"no conflict {conflict_id}")
    return render(request, "ui/conflict.html", {"c": view, "note_max": NOTE_MAX})


async def _decide(request: Request, sess: Session, conflict_id: str, accept: bool) -> Response:
    hub = hub_of(request)
    flows = _flows(hub)
    note = form_text(await request.form(), "note", max_len=NOTE_MAX)
    fn = flows.conflicts.accept if accept else flows.conflicts.reject
    try:
        decision = await fn(conflict_id, None, sess.actor, note)
    except NotFound:
        raise WebError(404, "Not found", f"no conflict {conflict_id}") from None
    except ConflictError as exc:
        raise WebError(409, "Already decided", str(exc)) from None
    await _audit(hub, sess, "conflict.accepted" if accept else "conflict.rejected", conflict_id,
                 {"note": note, "field": decision.field})
    return RedirectResponse(f"/ui/conflicts/{conflict_id}", status_code=303)


@router.post("/conflicts/{conflict_id}/accept", name="ui_conflict_accept")
async def conflict_accept(conflict_id: str, request: Request, sess: OpPost) -> Response:
    return await _decide(request, sess, conflict_id, True)


@router.post("/conflicts/{conflict_id}/reject", name="ui_conflict_reject")
async def conflict_reject(conflict_id: str, request: Request, sess: OpPost) -> Response:
    return await _decide(request, sess, conflict_id, False)
