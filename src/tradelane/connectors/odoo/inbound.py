"""Inbound: purchase receipts (partial, with or without backorder, lots by name) and appointment changes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .client import OdooClient
from .common import chunks, idempotent, text, to_odoo_datetime, write_grouped
from .models import ReceiptConfirmation, ScheduleChange, TransferResult
from .transfers import (
    CLOSED_STATES,
    PICKING_FIELDS,
    TransferRequest,
    read_pickings_by_name,
    register_and_validate,
)

__all__ = ["receive_many", "reschedule_many"]


@idempotent
async def receive_many(client: OdooClient, receipts: Sequence[ReceiptConfirmation]) -> list[TransferResult]:
    """Register received quantities (lots are created from their names) and validate; safe to replay."""
    results = await register_and_validate(
        client, [TransferRequest(r.picking_ref, r.lines, r.backorder) for r in receipts]
    )
    return [results[r.picking_ref] for r in receipts]


@idempotent
async def reschedule_many(client: OdooClient, changes: Sequence[ScheduleChange]) -> list[TransferResult]:
    """Move pickings' ``scheduled_date`` (its inverse moves every move's ``date``) and, when given, the
    moves' ``date_deadline`` (``stock.picking.date_deadline`` has no inverse, reference §3.3).
    Done and cancelled pickings are reported with ``error``; unchanged values are not written, and a replay
    that changes nothing costs two reads (pickings, then their moves when a deadline is asked for)."""
    pickings: dict[str, dict[str, Any]] = {}
    for part in chunks(sorted({c.picking_ref for c in changes})):
        rows = await client.search_read(
            "stock.picking", [("name", "in", list(part))], [*PICKING_FIELDS, "scheduled_date", "move_ids"]
        )
        pickings.update({str(r["name"]): r for r in rows})
    errors: dict[str, str] = {}
    for c in changes:
        row = pickings.get(c.picking_ref)
        if row is None:
            errors[c.picking_ref] = "picking not found"
        elif row["state"] in CLOSED_STATES:
            errors[c.picking_ref] = f"picking is {row['state']}"
    open_changes = [c for c in changes if c.picking_ref not in errors]
    move_ids = sorted(
        {int(m) for c in open_changes if c.deadline is not None for m in pickings[c.picking_ref]["move_ids"]}
    )
    deadlines: dict[int, str | None] = {}
    for id_part in chunks(move_ids):
        rows = await client.read("stock.move", list(id_part), ["date_deadline"])
        deadlines.update({int(r["id"]): text(r.get("date_deadline")) for r in rows})
    picking_writes: list[tuple[int, dict[str, Any]]] = []
    move_writes: list[tuple[int, dict[str, Any]]] = []
    for c in open_changes:
        row = pickings[c.picking_ref]
        wanted = to_odoo_datetime(c.scheduled_date)
        if text(row.get("scheduled_date")) != wanted:
            picking_writes.append((int(row["id"]), {"scheduled_date": wanted}))
        if c.deadline is not None:
            deadline = to_odoo_datetime(c.deadline)
            move_writes += [
                (int(m), {"date_deadline": deadline})
                for m in row.get("move_ids") or ()
                if int(m) in deadlines and deadlines[int(m)] != deadline
            ]
    writes = await write_grouped(client, "stock.picking", picking_writes)
    writes += await write_grouped(client, "stock.move", move_writes)
    # read back only when something was written (reference §0); a no-op replay reports what it read
    final = await read_pickings_by_name(client, [c.picking_ref for c in open_changes]) if writes else pickings
    out = []
    for c in changes:
        if c.picking_ref in errors:
            row = pickings.get(c.picking_ref)
            out.append(
                TransferResult(
                    c.picking_ref,
                    int(row["id"]) if row else None,
                    str(row["state"]) if row else None,
                    error=errors[c.picking_ref],
                )
            )
        else:
            row = final[c.picking_ref]
            out.append(TransferResult(c.picking_ref, int(row["id"]), str(row["state"])))
    return out
