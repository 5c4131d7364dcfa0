"""The control tower under ``/ui``: board, deliveries, the DLQ with replay, trace, charts, partners (work queues for
exceptions and conflicts are in :mod:`tradelane.web.work`).

Every page needs an operator's session; every POST also its CSRF token. Actions (replay, disable, enable)
are appended to the audit chain as ``web:<key id>`` when the hub has one.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, Response

from tradelane.ports.delivery import DeliveryFilter
from tradelane.web import cache, charts, views
from tradelane.web.common import (
    WebError,
    WebRoute,
    form_text,
    hub_of,
    operator,
    operator_post,
    parse_time,
    render,
)
from tradelane.web.session import Session

__all__ = ["router"]

router = APIRouter(prefix="/ui", route_class=WebRoute, include_in_schema=False)

#: deliveries per list page
PAGE_SIZE = 50
#: most deliveries one replay from the DLQ page moves back to pending
MAX_REPLAY = 1000
#: most ids one "replay selected" may name
MAX_SELECTED = 200
STATUSES = ("pending", "dead", "done", "filtered")
#: query parameters of the delivery list, in the order the filter form shows them
LIST_FILTERS = ("status", "destination", "route", "event_type", "tenant", "error_class", "since", "until")

Op = Annotated[Session, Depends(operator)]
OpPost = Annotated[Session, Depends(operator_post)]


async def _audit(hub: Any, sess: Session, action: str, target: str | None, detail: dict[str, Any]) -> None:
    if hub.audit is not None:
        await hub.audit.append(actor=sess.actor, action=action, target=target, detail=detail)


def _wake(hub: Any) -> None:
    if hub.worker is not None:
        hub.worker.wake()


@router.get("", name="ui_board")
async def board_page(request: Request, sess: Op) -> Response:
    hub = hub_of(request)
    biz = await cache.board(hub)
    return render(request, "ui/board.html", {"b": await views.board(hub), "biz": biz.value,
                                             "computed_at": biz.computed_at, "ttl_s": cache.ttl_s(hub)})


def _list_args(request: Request) -> dict[str, str]:
    qp = request.query_params
    args = {k: qp[k].strip() for k in LIST_FILTERS if qp.get(k, "").strip()}
    if "status" in args and args["status"] not in STATUSES:
        raise WebError(400, "Invalid filter", f"status: one of {', '.join(STATUSES)}")
    for k, v in args.items():
        if len(v) > 300:
            raise WebError(400, "Invalid filter", f"{k}: at most 300 characters")
    return args


def _filter(args: dict[str, str]) -> DeliveryFilter:
    return DeliveryFilter(
        status=args.get("status"),
        tenant=args.get("tenant"),
        route=args.get("route"),
        destination=args.get("destination"),
        error_class=args.get("error_class"),
        since=parse_time("since", args.get("since")),
        until=parse_time("until", args.get("until")),
    )


async def _list(request: Request, args: dict[str, str], template: str, extra: dict[str, Any]) -> Response:
    hub = hub_of(request)
    flt = _filter(args)
    after = request.query_params.get("after") or None
    rows, nxt = await views.find_deliveries(hub, flt, args.get("event_type"), PAGE_SIZE, after)
    total = None if args.get("event_type") else await hub.store.count_deliveries(flt)
    return render(
        request,
        template,
        {
            "rows": rows,
            "args": args,
            "total": total,
            "next_url": (request.url.path + "?" + urlencode({**args, "after": nxt})) if nxt else None,
            "statuses": STATUSES,
            "destinations": sorted(hub.settings.endpoints),
            "routes": [r.name for r in hub.settings.routes],
            **extra,
        },
    )


@router.get("/deliveries", name="ui_deliveries")
async def deliveries_page(request: Request, sess: Op) -> Response:
    return await _list(request, _list_args(request), "ui/deliveries.html", {"dlq": False})


@router.get("/dlq", name="ui_dlq")
async def dlq_page(request: Request, sess: Op) -> Response:
    args = _list_args(request)
    args["status"] = "dead"
    replayed = request.query_params.get("replayed") or ""
    notice = f"{int(replayed)} deliveries moved back to pending." if replayed.isdigit() else None
    return await _list(request, args, "ui/deliveries.html", {"dlq": True, "notice": notice})


@router.get("/deliveries/{delivery_id}", name="ui_delivery")
async def delivery_page(delivery_id: str, request: Request, sess: Op) -> Response:
    hub = hub_of(request)
    view = await hub.store.get_delivery(delivery_id, None)
    if view is None:
        raise WebError(404, "Not found", f"no delivery {delivery_id}")
    event = await hub.store.get_event(view.hub_id, None)
    return render(request, "ui/delivery.html", {"d": view, "event": event})


@router.get("/deliveries/{delivery_id}/status", name="ui_delivery_status")
async def delivery_status(delivery_id: str, request: Request, sess: Op) -> Response:
    """The status fragment the delivery page polls (htmx) while a delivery is pending."""
    view = await hub_of(request).store.get_delivery(delivery_id, None)
    if view is None:
        raise WebError(404, "Not found", f"no delivery {delivery_id}")
    return render(request, "ui/_delivery_status.html", {"d": view})


@router.post("/deliveries/{delivery_id}/replay", name="ui_delivery_replay")
async def delivery_replay(delivery_id: str, request: Request, sess: OpPost) -> Response:
    hub = hub_of(request)
    view = await hub.store.get_delivery(delivery_id, None)
    if view is None:
        raise WebError(404, "Not found", f"no delivery {delivery_id}")
    if view.status != "dead":
        raise WebError(409, "Not dead-lettered", f"delivery {delivery_id} is {view.status}; only dead ones replay")
    ids = await _replay_ids(hub, sess, [view.id])
    await _audit(hub, sess, "delivery.replayed", delivery_id, {"ids": ids, "count": len(ids)})
    _wake(hub)
    return RedirectResponse(f"/ui/deliveries/{delivery_id}", status_code=303)


async def _replay_ids(hub: Any, sess: Session, ids: list[str]) -> list[str]:
    """Replay exactly these deliveries (each by its event and route, while it is still dead)."""
    done: list[str] = []
    now = datetime.now(UTC)
    for i in ids:
        view = await hub.store.get_delivery(i, None)
        if view is None or view.status != "dead":
            continue
        flt = DeliveryFilter(status="dead", hub_id=view.hub_id, route=view.route, destination=view.destination)
        done.extend(await hub.store.replay_deliveries(flt, sess.actor, now, 1))
    return done


@router.post("/dlq/replay", name="ui_dlq_replay")
async def dlq_replay(request: Request, sess: OpPost) -> Response:
    """Replay from the DLQ: selected ids, or everything matching the filter. Without ``confirm`` it is a
    dry run that counts and asks for confirmation; ``confirm`` must repeat the count that was shown."""
    hub = hub_of(request)
    form = await request.form()
    selected = list(dict.fromkeys(v for v in form.getlist("ids") if isinstance(v, str) and v))
    if len(selected) > MAX_SELECTED:
        raise WebError(400, "Too many selected", f"ids: at most {MAX_SELECTED} at once; replay by filter instead")
    args = {k: v for k in ("destination", "route", "error_class", "tenant", "since", "until")
            if (v := form_text(form, k, max_len=300))}
    flt = DeliveryFilter(
        status="dead",
        tenant=args.get("tenant"),
        route=args.get("route"),
        destination=args.get("destination"),
        error_class=args.get("error_class"),
        since=parse_time("since", args.get("since")),
        until=parse_time("until", args.get("until")),
    )
    if selected:
        matched = 0
        for i in selected:
            v = await hub.store.get_delivery(i, None)
            matched += 1 if v is not None and v.status == "dead" else 0
    else:
        matched = await hub.store.count_deliveries(flt)
    confirm = form_text(form, "confirm")
    if confirm is None:
        return render(
            request,
            "ui/_replay_confirm.html",
            {"matched": matched, "selected": selected, "args": args, "limit": MAX_REPLAY},
        )
    if not confirm.isdigit() or int(confirm) != matched:
        return render(
            request,
            "ui/_replay_confirm.html",
            {"matched": matched, "selected": selected, "args": args, "limit": MAX_REPLAY,
             "changed": f"The count changed since the dry run (it said {confirm}); check and confirm again."},
            # htmx swaps only 2xx answers into the page
            status=200 if request.headers.get("hx-request") == "true" else 409,
        )
    if selected:
        ids = await _replay_ids(hub, sess, selected)
    else:
        ids = await hub.store.replay_deliveries(flt, sess.actor, datetime.now(UTC), MAX_REPLAY)
    await _audit(hub, sess, "delivery.replayed", None,
                 {"count": len(ids), "ids": ids[:MAX_SELECTED], "filter": args, "selected": bool(selected)})
    _wake(hub)
    target = f"/ui/dlq?replayed={len(ids)}"
    if request.headers.get("hx-request") == "true":
        return Response(status_code=200, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


@router.get("/trace", name="ui_trace")
async def trace_page(request: Request, sess: Op) -> Response:
    q = (request.query_params.get("q") or "").strip()
    if len(q) > 300:
        raise WebError(400, "Invalid query", "q: at most 300 characters")
    hub = hub_of(request)
    t = await views.trace(hub, q) if q else None
    found = None
    if t is not None and t.events:
        keys = {q, *t.partition_keys, *(e.event.correlationid or "" for e in t.events)}
        found = await views.problems(hub, keys)
    return render(request, "ui/trace.html", {"q": q, "t": t, "problems": found, "now": datetime.now(UTC)},
                  status=404 if t is not None and not t.events else 200)


@router.get("/charts", name="ui_charts")
async def charts_page(request: Request, sess: Op) -> Response:
    window = request.query_params.get("window") or "24h"
    if window not in charts.WINDOWS:
        raise WebError(400, "Invalid window", f"window: one of {', '.join(charts.WINDOWS)}")
    hub = hub_of(request)
    drawn = await cache.charts(hub, window)
    return render(request, "ui/charts.html", {
        "charts": drawn.value, "window": window, "windows": list(charts.WINDOWS),
        "computed_at": drawn.computed_at, "ttl_s": cache.ttl_s(hub),
    })


@router.get("/partners", name="ui_partners")
async def partners_page(request: Request, sess: Op) -> Response:
    return render(request, "ui/partners.html", {"partners": await views.partners(hub_of(request))})


async def _switch(request: Request, sess: Session, name: str, disable: bool) -> Response:
    hub = hub_of(request)
    if name not in hub.settings.endpoints:
        raise WebError(404, "Not found", f"no endpoint {name}")
    reason: str | None = None
    if disable:
        form = await request.form()
        reason = form_text(form, "reason") or f"disabled by {sess.actor}"
    await hub.store.set_endpoint_disabled(name, reason, datetime.now(UTC))
    await _audit(hub, sess, "endpoint.disabled" if disable else "endpoint.enabled", name,
                 {"reason": reason} if disable else {})
    if not disable:
        _wake(hub)
    if request.headers.get("hx-request") == "true":
        row = next(p for p in await views.partners(hub) if p["name"] == name)
        return render(request, "ui/_partner_row.html", {"p": row})
    return RedirectResponse("/ui/partners", status_code=303)


@router.post("/partners/{name}/disable", name="ui_partner_disable")
async def partner_disable(name: str, request: Request, sess: OpPost) -> Response:
    return await _switch(request, sess, name, True)


@router.post("/partners/{name}/enable", name="ui_partner_enable")
async def partner_enable(name: str, request: Request, sess: OpPost) -> Response:
    return await _switch(request, sess, name, False)
