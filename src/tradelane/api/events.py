"""``/v1/events``: ingest one event or a batch, read one, search with cursor paging.

HTTP only: the rules live in :mod:`tradelane.ingest`. The raw body is read (within the size cap) before
JSON parsing so that the same bytes can be hashed and, for webhooks, verified.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Query, Request
from starlette.requests import ClientDisconnect
from starlette.responses import Response

from tradelane.api.auth import Principal, authorize, header_value, require, visible_fields
from tradelane.api.problems import PayloadTooLarge, problem
from tradelane.core.errors import FieldProblem, NotFound, ValidationFailed
from tradelane.ingest.service import request_hash
from tradelane.ingest.validate import parse_json, validate_event, validate_events
from tradelane.ports.store import EventFilter, IdempotencyClaim

__all__ = ["DIRECT_ROUTES", "router"]

router = APIRouter(prefix="/v1", tags=["events"])

#: longest Idempotency-Key accepted
MAX_IDEMPOTENCY_KEY = 255

_SECURITY: list[dict[str, list[str]]] = [{"ApiKeyBearer": []}]
_EVENT_BODY = {
    "required": True,
    "content": {
        "application/cloudevents+json": {"schema": {"$ref": "#/components/schemas/CloudEvent"}},
        "application/json": {"schema": {"$ref": "#/components/schemas/CloudEvent"}},
    },
}
_BATCH_BODY = {
    "required": True,
    "content": {
        "application/cloudevents-batch+json": {
            "schema": {"type": "array", "items": {"$ref": "#/components/schemas/CloudEvent"}}
        },
        "application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/CloudEvent"}}},
    },
}


async def read_body(request: Request, limit: int) -> bytes:
    """The raw body, refusing more than ``limit`` bytes before reading them all.

    Reads the ASGI messages itself, as ``request.stream()`` does (a disconnect raises ``ClientDisconnect``),
    without an async generator per request; the body is kept as ``request.body()`` would keep it.
    """
    declared = header_value(request, b"content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(limit)
    if hasattr(request, "_body"):  # already read (by a middleware): Starlette's stream() replays it
        chunks = [request._body]
    else:
        chunks = []
        size = 0
        receive = request.receive
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.request":
                chunk = message.get("body", b"")
                more = message.get("more_body", False)
                if chunk:
                    size += len(chunk)
                    if size > limit:
                        raise PayloadTooLarge(limit)
                    chunks.append(chunk)
            elif message["type"] == "http.disconnect":
                raise ClientDisconnect()
        request._stream_consumed = True
    body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
    if len(body) > limit:
        raise PayloadTooLarge(limit)
    request._body = body
    return body


def _claim(request: Request, principal: Principal, doc: Any) -> IdempotencyClaim | None:
    key = header_value(request, b"idempotency-key")
    if key is None:
        return None
    if not key or len(key) > MAX_IDEMPOTENCY_KEY or not key.isprintable():
        raise ValidationFailed(
            [FieldProblem("header.Idempotency-Key", f"must be 1–{MAX_IDEMPOTENCY_KEY} printable characters")]
        )
    return IdempotencyClaim(scope=principal.key_id, key=key, request_hash=request_hash(doc))


def respond(result: Any, request: Request) -> Response:
    if result.outcome == "key_mismatch":
        return problem(
            422,
            "Idempotency-Key reused",
            "this Idempotency-Key was used with a different request body",
            type_="https://tradelane.dev/problems/idempotency-key-reuse",
        )
    if result.outcome == "conflict":
        return problem(
            409,
            "Event id conflict",
            result.body["detail"],
            type_="https://tradelane.dev/problems/event-conflict",
            conflicts=result.body["conflicts"],
        )
    body = result.body
    raw = orjson.dumps(body)
    # the headers Starlette's ``Response(..., media_type="application/json", headers=...)`` gives, in its order,
    # built directly (measured: its header normalisation was a twentieth of the ingest request)
    headers = []
    if result.outcome == "replayed":
        headers.append((b"idempotent-replayed", b"true"))
    if isinstance(body, dict) and "hubid" in body:
        headers.append((b"location", f"/v1/events/{body['hubid']}".encode("latin-1")))
    headers += [(b"content-length", str(len(raw)).encode()), _JSON_CONTENT_TYPE]
    return _Answer(raw, result.status_code, headers)


_JSON_CONTENT_TYPE = (b"content-type", b"application/json")


class _Answer(Response):
    """A response whose body and raw headers are already built."""

    media_type = "application/json"

    def __init__(self, body: bytes, status_code: int, raw_headers: list[tuple[bytes, bytes]]) -> None:
        self.status_code = status_code
        self.body = body
        self.background = None
        self.raw_headers = raw_headers


async def post_event(request: Request) -> Response:
    """Ingest one CloudEvent."""
    principal = await authorize(request, "events:write")
    hub = request.app.state.hub
    cfg = hub.settings.api
    doc = parse_json(await read_body(request, cfg.max_body_bytes), cfg.max_json_depth, cfg.max_array_items)
    claim = _claim(request, principal, doc)
    ev = validate_event(doc, hub.registry)
    result = await hub.ingest.submit(principal.tenant or "hub", [ev], idempotency=claim)
    return respond(result, request)


async def post_batch(request: Request) -> Response:
    """Ingest a batch of CloudEvents, all or nothing."""
    principal = await authorize(request, "events:write")
    hub = request.app.state.hub
    cfg = hub.settings.api
    doc = parse_json(await read_body(request, cfg.max_body_bytes), cfg.max_json_depth, cfg.max_array_items)
    claim = _claim(request, principal, doc)
    evs = validate_events(doc, hub.registry, cfg.max_batch_events)
    result = await hub.ingest.submit(principal.tenant or "hub", evs, batch=True, idempotency=claim)
    return respond(result, request)


# The two ingest endpoints are plain Starlette routes: they read the raw body themselves and need none of
# FastAPI's parameter solving, which cost about 45 % of the hot path's CPU (profiled with the ingest
# benchmark). Their OpenAPI entries are added by :func:`ingest_openapi_paths`.
router.add_route("/v1/events", post_event, methods=["POST"], include_in_schema=False)
router.add_route("/v1/events/batch", post_batch, methods=["POST"], include_in_schema=False)
#: the same endpoints by path, for :class:`tradelane.api.direct.HubApp` to serve before the middleware stack
DIRECT_ROUTES = {"/v1/events": post_event, "/v1/events/batch": post_batch}


def _ingest_operation(summary: str, body: dict[str, Any], op_id: str) -> dict[str, Any]:
    problem = {"description": "problem+json", "content": {"application/problem+json": {"schema": {"type": "object"}}}}
    return {
        "tags": ["events"],
        "summary": summary,
        "operationId": op_id,
        "security": _SECURITY,
        "parameters": [
            {"name": "Idempotency-Key", "in": "header", "required": False, "schema": {"type": "string", "maxLength": MAX_IDEMPOTENCY_KEY}}
        ],
        "requestBody": body,
        "responses": {
            "201": {"description": "accepted and committed", "content": {"application/json": {"schema": {"type": "object"}}}},
            "200": {"description": "duplicate, or Idempotency-Key replay", "content": {"application/json": {"schema": {"type": "object"}}}},
            **{code: problem for code in ("400", "401", "403", "409", "413", "422")},
        },
    }


def ingest_openapi_paths() -> dict[str, Any]:
    """OpenAPI path items of the ingest endpoints."""
    return {
        "/v1/events": {"post": _ingest_operation("Ingest one CloudEvent", _EVENT_BODY, "post_event")},
        "/v1/events/batch": {"post": _ingest_operation("Ingest a batch of CloudEvents, all or nothing", _BATCH_BODY, "post_batch")},
    }


@router.get("/events/{hub_id}", summary="One event by the hub's id")
async def get_event(
    hub_id: str, request: Request, principal: Annotated[Principal, Depends(require("events:read"))]
) -> Response:
    stored = await request.app.state.hub.store.get_event(hub_id, principal.tenant_filter)
    if stored is None:
        raise NotFound(f"no event {hub_id}")
    return Response(orjson.dumps(visible_fields(stored.as_dict(), principal)), media_type="application/json")


@router.get("/events", summary="Search events; cursor paging, oldest first")
async def list_events(
    request: Request,
    principal: Annotated[Principal, Depends(require("events:read"))],
    correlationid: str | None = None,
    partitionkey: str | None = None,
    type: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    cursor: str | None = None,
    limit: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    hub = request.app.state.hub
    cfg = hub.settings.api
    size = limit or cfg.default_page_size
    if size > cfg.max_page_size:
        raise ValidationFailed([FieldProblem("query.limit", f"at most {cfg.max_page_size}", "too_large")])
    for name, value in (("since", since), ("until", until)):
        if value is not None and value.tzinfo is None:
            raise ValidationFailed([FieldProblem(f"query.{name}", "datetime must be timezone-aware", "naive_datetime")])
    flt = EventFilter(
        tenant=principal.tenant_filter,
        correlation_id=correlationid,
        partition_key=partitionkey,
        type=type,
        since=since,
        until=until,
    )
    try:
        page = await hub.store.list_events(flt, cursor, size)
    except ValueError as exc:
        raise ValidationFailed([FieldProblem("query.cursor", str(exc), "invalid_cursor")]) from exc
    body = {"items": [visible_fields(s.as_dict(), principal) for s in page.items], "next_cursor": page.next_cursor}
    return Response(orjson.dumps(body), media_type="application/json")
