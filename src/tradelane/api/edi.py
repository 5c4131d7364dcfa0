"""EDI over HTTP: ``POST /v1/edi/{partner}/interchanges`` takes one raw X12 or EDIFACT interchange.

The hub's :meth:`tradelane.edi.hub.EdiHub.receive` — the same path the file-drop poll uses — decides
everything (envelope, partner identity, per-set acceptance, the acknowledgment, the ingest transaction);
this module only maps its outcome to HTTP:

* **Duplicate detection is the ingest transaction's.** The events of an accepted interchange are submitted
  with an idempotency claim keyed by the interchange control number (ISA13 / UNB05) and the SHA-256 of the
  file, so "these events are stored" and "this control number was received" commit together: a crash can
  neither lose the events of a recorded interchange nor refuse a retry of one that was never stored.
* The same file sent again is an idempotent replay: the same acknowledgment, ``Idempotent-Replayed: true``,
  nothing stored twice. A *different* file with a control number already received (over HTTP or through the
  partner's folder, under the same tenant) is the EDI duplicate case: ``409`` with the duplicate
  acknowledgment (TA1 025 / CONTRL 26) and nothing emitted.
* A refused interchange (bad envelope, wrong partner, every set refused) is ``422`` problem+json carrying the
  located problems and the acknowledgment to return; a partly accepted one stores the good sets' events and
  answers ``200`` with ``status: partial``.
* Acknowledgments uploaded here (a partner's 997 for our 204) count against the missing-ack check.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, FastAPI, Request
from starlette.responses import Response

from tradelane.api.auth import authorize
from tradelane.api.events import read_body
from tradelane.api.problems import problem
from tradelane.edi.hub import MAX_FILE_BYTES
from tradelane.edi.partners import PartnerBook, PartnerSettings, builtin_partners, load_partners
from tradelane.edi.service import UploadResult
from tradelane.settings import Settings

__all__ = ["install", "partner_book", "router"]

router = APIRouter(tags=["edi"])

#: the largest interchange accepted over HTTP (bytes): the same limit as the file drop's
MAX_INTERCHANGE_BYTES = MAX_FILE_BYTES


def partner_book(settings: Settings) -> PartnerBook:
    """The EDI partners of this hub: ``edi.partners_file`` when configured, else the built-in samples.

    :raises ConfigError: the file cannot be read or is invalid (key and line named)
    """
    path = settings.edi.partners_file
    return load_partners(path) if path else builtin_partners()


def install(app: FastAPI, settings: Settings) -> None:
    """Use the hub's partner book (loaded once: a bad file fails at start-up, not on the first upload) and add
    the route."""
    hub = getattr(app.state, "hub", None)
    edi = getattr(hub, "edi", None)
    app.state.edi_partners = edi.partners if edi is not None else partner_book(settings)
    app.include_router(router)


def _summary(result: UploadResult, hub_ids: list[str] | None = None) -> dict[str, Any]:
    return {
        "partner": result.partner,
        "standard": result.standard,
        "control_number": result.control_number,
        "status": str(result.status),
        "events": len(result.events),
        "hubids": hub_ids or [],
        "sets": [
            {"set_id": s.set_id, "control_number": s.control_number, "accepted": s.accepted, "events": s.events,
             "reason": s.reason}
            for s in result.sets
        ],
        "ack_kind": result.ack_kind,
        "ack": result.ack.decode("latin-1") if result.ack else None,
        "problems": [_problem(p) for p in result.problems],
        "test": result.test,
    }


def _problem(p: Any) -> dict[str, Any]:
    out = {"message": p.message, "code": p.code, "level": p.level, "where": p.where()}
    for name in ("line", "segment_number", "segment_tag", "element_position", "set_id", "set_control_number"):
        value = getattr(p, name)
        if value not in (None, ""):
            out[name] = value
    return out


def _json(body: dict[str, Any], status: int, **headers: str) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json", headers=headers)


@router.post(
    "/v1/edi/{partner}/interchanges",
    summary="Upload one X12 or EDIFACT interchange from a partner",
    responses={
        200: {"description": "accepted (or partly accepted, or an idempotent replay), with the acknowledgment"},
        409: {"description": "duplicate interchange control number: the duplicate acknowledgment, nothing emitted"},
        422: {"description": "refused: located problems and the rejecting acknowledgment"},
    },
)
async def upload_interchange(partner: str, request: Request) -> Response:
    principal = await authorize(request, "events:write")
    hub = request.app.state.hub
    book: PartnerBook = request.app.state.edi_partners
    if partner not in book:
        return problem(404, "Unknown EDI partner", f"no EDI partner {partner!r}; known: {', '.join(p.id for p in book)}")
    settings: PartnerSettings = book[partner]
    data = await read_body(request, MAX_INTERCHANGE_BYTES)
    if not data.strip():
        return problem(422, "Empty interchange", "the request body is empty; send the raw interchange bytes")
    if hub.edi is None:
        return problem(503, "EDI is not available", "this process does not receive EDI")
    tenant = principal.tenant or "hub"
    received = await hub.edi.receive(settings, data, tenant=tenant, file_name=f"http:{partner}")
    result = received.result
    if received.outcome == "rejected":
        body = _summary(result)
        first = result.problems[0] if result.problems else None
        detail = f"{first.message} ({first.where()})" if first else "the interchange was refused"
        return problem(
            422,
            "Interchange refused",
            detail,
            type_="https://tradelane.dev/problems/edi-interchange-refused",
            interchange_status=body["status"],
            **{k: body[k] for k in ("partner", "standard", "control_number", "ack_kind", "ack", "problems")},
        )
    if received.outcome == "duplicate":
        return _json(_summary(result), 409)
    if received.outcome == "conflict":
        conflict = received.conflict or {}
        return problem(
            409,
            "Event id conflict",
            str(conflict.get("detail", "event id reused with another payload")),
            type_="https://tradelane.dev/problems/event-conflict",
            conflicts=list(conflict.get("conflicts", ())),
        )
    headers = {"Idempotent-Replayed": "true"} if received.outcome == "replayed" else {}
    return _json(_summary(result, list(received.hub_ids)), 200, **headers)
