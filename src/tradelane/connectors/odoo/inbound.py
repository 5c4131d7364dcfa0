"""Inbound: purchase receipts (partial, with or without backorder, lots by name) and appointment changes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .client import OdooClient
from .common import chunks, idempotent, text, to_odoo_datetime, write_grouped
from .models import ReceiptConfirmation, ScheduleChange, TransferResult
from .transfers import CLOSED_STATES, TransferRequest, read_pickings_by_name, register_and_validate

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
    Done and cancelled pickings are reported with ``error``; unchanged values are not written."""
    pickings = await read_pickings_by_name(client, [c.picking_ref for c in changes])
    ids = [int(p["id"]) for p in pickings.values()]
    dates: dict[int, dict[str, Any]] = {}
    for part in chunks(ids):
        rows = await client.search_read(
            "stock.picking", [("id", "in", list(part))], ["scheduled_date", "move_ids"]
        )
        dates.update({int(r["id"]): r for r in rows})
    errors: dict[str, str] = {}
    picking_writes: list[tuple[int, dict[str, Any]]] = []
    move_writes: list[tuple[int, dict[str, Any]]] = []
    for c in changes:
        row = pickings.get(c.picking_ref)
        if row is None:
            errors[c.picking_ref] = "picking not found"
            continue
        if row["state"] in CLOSED_STATES:
            errors[c.picking_ref] = f"picking is {row['state']}"
            continue
        pid = int(row["id"])
        wanted = to_odoo_datetime(c.scheduled_date)
        if text(dates[pid].get("scheduled_date")) != wanted:
            picking_writes.append((pid, {"scheduled_date": wanted}))
        if c.deadline is not None:
            deadline = to_odoo_datetime(c.deadline)
            move_writes += [(int(m), {"date_deadline": deadline}) for m in dates[pid].get("move_ids") or ()]
    await write_grouped(client, "stock.picking", picking_writes)
    await write_grouped(client, "stock.move", move_writes)
    final = await read_pickings_by_name(
        client, [c.picking_ref for c in changes if c.picking_ref not in errors]
    )
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
