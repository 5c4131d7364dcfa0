"""Traceability: chatter notes, exception activities (opened and closed) and attached documents (PODs).

Each write carries :func:`~.common.event_marker` of its hub event — in the note body, the activity note or the
attachment description — and is looked up by it first, so a replay never posts twice. Activities are created
with a plain ``create`` (``activity_schedule`` returns a recordset that XML-RPC cannot marshal, reference §6.2).
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Sequence
from typing import Any

from tradelane.core.errors import BusinessError

from .client import OdooClient
from .common import event_marker, idempotent
from .models import ActivityRequest, ActivityResult, AttachmentRequest, NoteRequest, RecordRef

__all__ = ["CANONICAL_PICKING_PREFIXES", "attach_document", "close_activity", "find_named_record", "open_activity",
           "picking_slug", "post_note"]

NOTE_SUBTYPE = "mail.mt_note"
#: prefixes of the hub's canonical ids derived from an Odoo picking's name: ``shp_`` + slug for a delivery order
#: (``WH/OUT/00007`` → ``shp_wh_out_00007``, :func:`tradelane.flows.outbound.shipment_id_for`) and ``rcpt_`` +
#: slug for a receipt (the inbound flow)
CANONICAL_PICKING_PREFIXES = ("shp_", "rcpt_")
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


def picking_slug(name: str) -> str:
    """The slug the hub's canonical picking ids are made of: lowercase, every run of other characters one
    ``_`` (``WH/OUT/00007`` → ``wh_out_00007``)."""
    return _NOT_ALNUM.sub("_", name.lower()).strip("_")


async def find_named_record(client: OdooClient, model: str, name: str) -> RecordRef | None:
    """The record of ``model`` whose ``name`` is ``name`` — or, for ``stock.picking``, whose name the hub's
    canonical id ``name`` was made from (``shp_wh_out_00007`` → ``WH/OUT/00007``; SLA timers and partners name
    shipments so). The slug loses the separators, so the candidates are searched with ``=ilike`` (each ``_``
    a ``%``) and the one whose own slug matches is kept: 2 calls at most."""
    ids = await client.search(model, [("name", "=", name)], limit=1)
    if ids:
        return RecordRef(model, int(ids[0]))
    if model != "stock.picking":
        return None
    prefix = next((p for p in CANONICAL_PICKING_PREFIXES if name.startswith(p)), None)
    slug = name[len(prefix):] if prefix else ""
    if not slug or picking_slug(slug) != slug:
        return None
    rows = await client.search_read(
        model, [("name", "=ilike", slug.replace("_", "%"))], ["name"], order="id", limit=50,
        context={"active_test": False},
    )
    found = [int(r["id"]) for r in rows if picking_slug(str(r["name"])) == slug]
    return RecordRef(model, found[0]) if len(found) == 1 else None


async def _find_message(client: OdooClient, record: RecordRef, marker: str) -> int | None:
    rows = await client.search_read(
        "mail.message",
        [("model", "=", record.model), ("res_id", "=", record.res_id), ("body", "ilike", marker)],
        ["id"],
        order="id",
        limit=1,
    )
    return int(rows[0]["id"]) if rows else None


async def _post(client: OdooClient, req: NoteRequest, attachment_ids: Sequence[int] = ()) -> int:
    marker = event_marker(req.hub_event_id)
    found = await _find_message(client, req.record, marker)
    if found is not None:
        return found
    body = req.body if req.html else f"<p>{html.escape(req.body)}</p>"
    kwargs: dict[str, Any] = {
        "body": f"{body}<p>{marker}</p>",
        "message_type": "comment",
        "subtype_xmlid": NOTE_SUBTYPE,
        **client.dialect.html_body_kwargs,
    }
    if attachment_ids:
        kwargs["attachment_ids"] = list(attachment_ids)
    result = await client.execute_kw(req.record.model, "message_post", [[req.record.res_id]], kwargs)
    if isinstance(result, int) and not isinstance(result, bool):
        return result
    found = await _find_message(client, req.record, marker)  # JSON-RPC serialises a recordset as a string
    if found is None:
        raise BusinessError(f"note for {req.hub_event_id!r} was not stored", kind="UserError")
    return found


@idempotent
async def post_note(client: OdooClient, req: NoteRequest) -> int:
    """Post an internal note on a record's chatter; returns the ``mail.message`` id."""
    return await _post(client, req)


async def _find_activity(client: OdooClient, record: RecordRef, marker: str) -> dict[str, Any] | None:
    rows = await client.search_read(
        "mail.activity",
        [("res_model", "=", record.model), ("res_id", "=", record.res_id), ("note", "ilike", marker)],
        ["id", "active"] if client.dialect.activities_archived_when_done else ["id"],
        context={"active_test": False},
        limit=1,
    )
    return rows[0] if rows else None


@idempotent
async def open_activity(client: OdooClient, req: ActivityRequest) -> ActivityResult:
    """Open a to-do activity for an exception (once per ``hub_event_id``)."""
    marker = event_marker(req.hub_event_id)
    found = await _find_activity(client, req.record, marker)
    if found is not None:
        return ActivityResult(int(found["id"]), done=found.get("active") is False, changed=False)
    if await _find_message(client, req.record, marker) is not None:
        return ActivityResult(
            None, done=True, changed=False
        )  # opened and closed already (17 deletes done ones)
    model_ids = await client.search("ir.model", [("model", "=", req.record.model)], limit=1)
    if not model_ids:
        raise BusinessError(f"unknown model {req.record.model!r}", kind="MissingError")
    module, _, name = req.activity_type_xmlid.partition(".")
    _model, type_id = await client.execute_kw("ir.model.data", "check_object_reference", [module, name])
    vals: dict[str, object] = {
        "res_model_id": model_ids[0],
        "res_id": req.record.res_id,
        "activity_type_id": type_id,
        "summary": req.summary,
        "note": f"<p>{html.escape(req.note)}</p><p>{marker}</p>",
        "user_id": req.user_id or client.uid,
    }
    if req.deadline is not None:
        vals["date_deadline"] = req.deadline.isoformat()
    [activity_id] = await client.create("mail.activity", [vals])
    return ActivityResult(activity_id, done=False, changed=True)


@idempotent
async def close_activity(
    client: OdooClient, record: RecordRef, opened_by_event_id: str, feedback: str = ""
) -> ActivityResult:
    """Mark the activity opened by ``opened_by_event_id`` done, with ``feedback``."""
    marker = event_marker(opened_by_event_id)
    found = await _find_activity(client, record, marker)
    if found is None or found.get("active") is False:
        if found is None and await _find_message(client, record, marker) is None:
            raise BusinessError(f"no activity was opened by {opened_by_event_id!r}", kind="MissingError")
        return ActivityResult(int(found["id"]) if found else None, done=True, changed=False)
    activity_id = int(found["id"])
    await client.call("mail.activity", "action_feedback", [activity_id], feedback=feedback)
    still = await _find_activity(client, record, marker)
    if still is not None and still.get("active") is not False:
        raise BusinessError(f"activity {activity_id} is still open after action_feedback", kind="UserError")
    return ActivityResult(activity_id, done=True, changed=True)


@idempotent
async def attach_document(client: OdooClient, req: AttachmentRequest) -> int:
    """Attach a document (e.g. a POD) to a record, optionally posting it in the chatter; returns its id."""
    marker = event_marker(req.hub_event_id)
    rows = await client.search_read(
        "ir.attachment",
        [
            ("res_model", "=", req.record.model),
            ("res_id", "=", req.record.res_id),
            ("description", "=", marker),
        ],
        ["id"],
        limit=1,
    )
    if rows:
        attachment_id = int(rows[0]["id"])
    else:
        [attachment_id] = await client.create(
            "ir.attachment",
            [
                {
                    "name": req.filename,
                    "datas": base64.b64encode(req.content).decode("ascii"),
                    "res_model": req.record.model,
                    "res_id": req.record.res_id,
                    "mimetype": req.mimetype,
                    "description": marker,
                }
            ],
        )
    if req.post_note:
        note = NoteRequest(req.record, f"Document received: {req.filename}", f"{req.hub_event_id}#note")
        await _post(client, note, [attachment_id])
    return attachment_id
