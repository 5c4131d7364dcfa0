"""Register picked/received quantities on pickings and validate them — in batches, idempotently.

Shared by :mod:`.outbound` (ship confirmations) and :mod:`.inbound` (receipts). For N pickings it costs a
fixed number of calls: read pickings, moves, move lines and products (4), resolve lots and packages (0–3),
write move lines grouped by identical values, create extra lines in one call, unlink surplus lines in one
call, validate in chunks, re-read (1).

A picking already ``done`` is a replay: nothing is written and ``already_done`` is reported. A picking
``cancel``-led or unknown is reported with ``error``; the rest of the batch goes on.

Validation (reference §2.7): ``button_validate`` with ``skip_backorder`` and ``picking_ids_not_to_backorder``
decides the backorder without the wizard. If the server still answers with the ``stock.backorder.confirmation``
action, the wizard is created with the action's context and ``process`` / ``process_cancel_backorder`` is
called with it. A refused batch is retried picking by picking so one bad picking does not block the others.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tradelane.core.errors import BusinessError

from .client import IDS_ONLY, OdooClient
from .common import (
    BATCH_SIZE,
    FLOAT_TOLERANCE,
    chunks,
    m2o_id,
    products_by_ref,
    text,
    write_grouped,
)
from .models import PickLine, TransferResult

log = logging.getLogger("tradelane.odoo")

__all__ = [
    "PICKING_FIELDS",
    "TransferRequest",
    "read_pickings_by_name",
    "register_and_validate",
    "result_from_row",
    "run_backorder_wizard",
]

#: pickings per ``button_validate`` call; one validation costs ~76 ms on the reference server (§8)
VALIDATE_CHUNK = 100
DONE_STATES = frozenset({"done"})
CLOSED_STATES = frozenset({"done", "cancel"})
BACKORDER_WIZARD = "stock.backorder.confirmation"
PICKING_FIELDS = [
    "name",
    "state",
    "picking_type_code",
    "location_id",
    "location_dest_id",
    "carrier_id",
    "carrier_tracking_ref",
    "carrier_price",
    "backorder_ids",
]


@dataclass(frozen=True)
class TransferRequest:
    """Quantities to register on one picking, and whether to keep a backorder."""

    picking_ref: str
    lines: tuple[PickLine, ...]
    backorder: bool = True


@dataclass
class _LinePlan:
    qty: float
    lot_id: int | None
    lot_name: str | None
    package_id: int | None


async def read_pickings_by_name(client: OdooClient, names: Sequence[str]) -> dict[str, dict[str, Any]]:
    """``name → picking row`` (fields :data:`PICKING_FIELDS`, many2one values as bare ids)."""
    out: dict[str, dict[str, Any]] = {}
    for part in chunks(sorted(set(names))):
        rows = await client.search_read(
            "stock.picking", [("name", "in", list(part))], PICKING_FIELDS, load=IDS_ONLY
        )
        out.update({str(r["name"]): r for r in rows})
    return out


async def _search_read_in(
    client: OdooClient,
    model: str,
    field: str,
    ids: Sequence[int],
    fields: list[str],
    extra: list[Any] | None = None,
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for part in chunks(sorted(set(ids))):
        rows += await client.search_read(
            model, [(field, "in", list(part)), *(extra or [])], fields, order="id", load=IDS_ONLY
        )
    return rows


#: how Odoo words its refusal of a second lot with the same (name, product, company) — ``stock.lot``'s
#: ``_check_unique_lot`` (a ``ValidationError``; 17.0 checks it in Python, not with a SQL constraint)
_DUPLICATE_LOT = "must be unique across a company"
#: create attempts when other writers keep creating the same lots between our read and our create
_LOT_CREATE_ATTEMPTS = 3


def _is_duplicate_lot(exc: BusinessError) -> bool:
    return exc.kind == "ValidationError" and _DUPLICATE_LOT in str(exc)


async def _read_lots(client: OdooClient, names: list[str]) -> dict[tuple[str, int], int]:
    """``(lot name, product id) → stock.lot id``; when two writers both created a lot (the uniqueness check
    cannot see a concurrent uncommitted create), the oldest one, so every writer picks the same lot."""
    rows = await client.search_read(
        client.dialect.lot_model, [("name", "in", names)], ["name", "product_id"], order="id"
    )
    found: dict[tuple[str, int], int] = {}
    for r in rows:
        found.setdefault((str(r["name"]), m2o_id(r["product_id"]) or 0), int(r["id"]))
    return found


async def resolve_lots(
    client: OdooClient, wanted: set[tuple[str, int]], create_missing: bool
) -> dict[tuple[str, int], int]:
    """``(lot name, product id) → stock.lot id`` for outgoing lines; missing lots are created when asked.

    Another hub process (or a person in Odoo) may create the same lot between the read and the create: Odoo
    then refuses the create (the whole batch, one transaction) as a duplicate. The lots are read again and
    only those still missing are created.
    """
    if not wanted:
        return {}
    names = sorted({n for n, _ in wanted})
    found = await _read_lots(client, names)
    for attempt in range(_LOT_CREATE_ATTEMPTS):
        missing = sorted(wanted - found.keys())
        if not missing or not create_missing:
            break
        try:
            ids = await client.create(
                client.dialect.lot_model, [{"name": n, "product_id": p} for n, p in missing]
            )
        except BusinessError as exc:
            if not _is_duplicate_lot(exc) or attempt == _LOT_CREATE_ATTEMPTS - 1:
                raise
            found = await _read_lots(client, names)
            continue
        found.update(dict(zip(missing, ids, strict=True)))
    return found


async def _resolve_packages(client: OdooClient, lines: Sequence[PickLine]) -> dict[str, int]:
    """``package name → stock.quant.package id``, creating missing ones with their measured weight."""
    weights: dict[str, float | None] = {}
    for line in lines:
        if line.package:
            weights[line.package] = (
                line.package_weight if line.package_weight is not None else weights.get(line.package)
            )
    if not weights:
        return {}
    rows = await client.search_read(
        "stock.quant.package", [("name", "in", sorted(weights))], ["name", "shipping_weight"]
    )
    found = {str(r["name"]): r for r in rows}
    missing = [n for n in sorted(weights) if n not in found]
    ids = await client.create(
        "stock.quant.package",
        [{"name": n, **({"shipping_weight": weights[n]} if weights[n] is not None else {})} for n in missing],
    )
    out = {str(r["name"]): int(r["id"]) for r in rows} | dict(zip(missing, ids, strict=True))
    pending = [
        (int(found[n]["id"]), {"shipping_weight": w})
        for n, w in weights.items()
        if n in found
        and w is not None
        and abs(float(found[n].get("shipping_weight") or 0.0) - w) > FLOAT_TOLERANCE
    ]
    await write_grouped(client, "stock.quant.package", pending)
    return out


def _split_over_moves(moves: list[dict[str, Any]], plans: list[_LinePlan]) -> dict[int, list[_LinePlan]]:
    """Spread the wanted lines of one product over its moves (in id order; the rest lands on the last move)."""
    out: dict[int, list[_LinePlan]] = defaultdict(list)
    if not moves:
        return out
    capacity = {int(m["id"]): float(m["product_uom_qty"]) for m in moves}
    order = [int(m["id"]) for m in moves]
    for plan in plans:
        if plan.qty <= FLOAT_TOLERANCE:  # "shipped none of it": one zero line on the first move
            out[order[0]].append(plan)
            continue
        remaining = plan.qty
        for index, mid in enumerate(order):
            last = index == len(order) - 1
            take = remaining if last else min(remaining, max(capacity[mid], 0.0))
            if take > FLOAT_TOLERANCE:
                out[mid].append(_LinePlan(take, plan.lot_id, plan.lot_name, plan.package_id))
                capacity[mid] -= take
                remaining -= take
            if remaining <= FLOAT_TOLERANCE:
                break
    return out


async def register_and_validate(
    client: OdooClient, requests: Sequence[TransferRequest], *, context: dict[str, Any] | None = None
) -> dict[str, TransferResult]:
    """Register quantities and validate each picking of ``requests``; returns results by picking name."""
    dialect = client.dialect
    qty_field = dialect.move_line_qty_field
    results: dict[str, TransferResult] = {}
    pickings = await read_pickings_by_name(client, [r.picking_ref for r in requests])
    open_reqs: list[TransferRequest] = []
    for req in requests:
        row = pickings.get(req.picking_ref)
        if row is None:
            results[req.picking_ref] = TransferResult(req.picking_ref, None, None, error="picking not found")
        elif row["state"] in DONE_STATES:
            results[req.picking_ref] = result_from_row(row, already_done=True)
        elif row["state"] in CLOSED_STATES:
            results[req.picking_ref] = TransferResult(
                req.picking_ref, int(row["id"]), row["state"], error="picking cancelled"
            )
        else:
            open_reqs.append(req)
    if open_reqs:
        refused = await _register(client, open_reqs, pickings, qty_field)
        open_reqs = [r for r in open_reqs if r.picking_ref not in refused]
        failures = {**refused, **await _validate(client, open_reqs, pickings, context or {})}
        for ref, message in failures.items():
            row = pickings[ref]
            results[ref] = TransferResult(ref, int(row["id"]), str(row["state"]), error=message)
        reread = await _search_read_in(
            client,
            "stock.picking",
            "id",
            [int(pickings[r.picking_ref]["id"]) for r in open_reqs],
            PICKING_FIELDS,
        )
        for row in reread:
            name = str(row["name"])
            if name not in results:
                results[name] = result_from_row(row)
    return {r.picking_ref: results[r.picking_ref] for r in requests}


async def _register(
    client: OdooClient, reqs: Sequence[TransferRequest], pickings: dict[str, dict[str, Any]], qty_field: str
) -> dict[str, str]:
    """Write the move lines of every request; returns ``{picking name: error}`` for requests it refused."""
    dialect = client.dialect
    refused: dict[str, str] = {}
    pick_ids = [int(pickings[r.picking_ref]["id"]) for r in reqs]
    moves = await _search_read_in(
        client,
        "stock.move",
        "picking_id",
        pick_ids,
        [
            "picking_id",
            "product_id",
            "product_uom_qty",
            "product_uom",
            "location_id",
            "location_dest_id",
            "state",
        ],
        [("state", "not in", ["done", "cancel"])],
    )
    mlines = await _search_read_in(
        client,
        "stock.move.line",
        "picking_id",
        pick_ids,
        [
            "move_id",
            qty_field,
            "lot_id",
            "lot_name",
            "result_package_id",
            *(["picked"] if dialect.has_picked_flag else []),
        ],
    )
    all_lines = [line for r in reqs for line in r.lines]
    products = await products_by_ref(client, {line.product_ref for line in all_lines}, ["tracking"])
    product_ids = {ref: int(row["id"]) for ref, row in products.items()}
    # A lot or serial only goes onto a product Odoo tracks by lot or serial. Warehouses report a batch for
    # every line; Odoo 17 takes a lot on an untracked product's outgoing line as it is and moves the goods out
    # of a lot quant that never held any (it goes negative), so such a batch is dropped here.
    tracked = {ref for ref, row in products.items() if text(row.get("tracking")) not in (None, "none")}
    untracked_lots = sorted({line.product_ref for line in all_lines if line.lot and line.product_ref not in tracked
                             and line.product_ref in products})
    if untracked_lots:
        log.info("lots left off products Odoo does not track by lot: %s", ", ".join(untracked_lots))
    for req in reqs:
        unknown = sorted({line.product_ref for line in req.lines} - product_ids.keys())
        if unknown:
            refused[req.picking_ref] = f"unknown products {unknown}"
    incoming = {r.picking_ref: pickings[r.picking_ref].get("picking_type_code") == "incoming" for r in reqs}
    lots_wanted = {
        (line.lot, product_ids[line.product_ref])
        for r in reqs
        if not incoming[r.picking_ref] and r.picking_ref not in refused
        for line in r.lines
        if line.lot and line.product_ref in tracked
    }
    lots = await resolve_lots(client, lots_wanted, create_missing=True)
    packages = await _resolve_packages(client, all_lines)

    moves_by_picking: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for m in moves:
        moves_by_picking[m2o_id(m["picking_id"]) or 0].append(m)
    lines_by_move: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for ml in mlines:
        lines_by_move[m2o_id(ml["move_id"]) or 0].append(ml)

    writes: list[tuple[int, dict[str, Any]]] = []
    creates: list[dict[str, Any]] = []
    unlinks: list[int] = []
    for req in reqs:
        if req.picking_ref in refused:
            continue
        pid = int(pickings[req.picking_ref]["id"])
        by_product: dict[int, list[_LinePlan]] = defaultdict(list)
        for line in req.lines:
            prod = product_ids[line.product_ref]
            lot = line.lot if line.product_ref in tracked else None
            lot_id = lots.get((lot, prod)) if lot and not incoming[req.picking_ref] else None
            lot_name = lot if lot and incoming[req.picking_ref] else None
            by_product[prod].append(
                _LinePlan(line.quantity, lot_id, lot_name, packages.get(line.package or ""))
            )
        pmoves = moves_by_picking[pid]
        missing = sorted(set(by_product) - {m2o_id(m["product_id"]) for m in pmoves})
        if missing:
            refused[req.picking_ref] = f"no open move for product ids {missing}"
            continue
        plans: dict[int, list[_LinePlan]] = {}
        for prod, wanted in by_product.items():
            plans.update(_split_over_moves([m for m in pmoves if m2o_id(m["product_id"]) == prod], wanted))
        for move in pmoves:
            mid = int(move["id"])
            existing = sorted(lines_by_move[mid], key=lambda r: int(r["id"]))
            wanted = plans.get(mid, [])
            for plan, ml in zip(wanted, existing, strict=False):
                vals: dict[str, Any] = {}
                if abs(float(ml.get(qty_field) or 0.0) - plan.qty) > FLOAT_TOLERANCE:
                    vals[qty_field] = plan.qty
                if dialect.has_picked_flag and not ml.get("picked"):
                    vals["picked"] = True
                if plan.lot_id is not None and m2o_id(ml.get("lot_id")) != plan.lot_id:
                    vals["lot_id"] = plan.lot_id
                if plan.lot_name is not None and text(ml.get("lot_name")) != plan.lot_name:
                    vals["lot_name"] = plan.lot_name
                if plan.package_id is not None and m2o_id(ml.get("result_package_id")) != plan.package_id:
                    vals["result_package_id"] = plan.package_id
                writes.append((int(ml["id"]), vals))
            for plan in wanted[len(existing) :]:
                vals = {
                    "move_id": mid,
                    "picking_id": pid,
                    "product_id": m2o_id(move["product_id"]),
                    "product_uom_id": m2o_id(move["product_uom"]),
                    "location_id": m2o_id(move["location_id"]),
                    "location_dest_id": m2o_id(move["location_dest_id"]),
                    **dialect.picked_line_vals(plan.qty),
                }
                if plan.lot_id is not None:
                    vals["lot_id"] = plan.lot_id
                if plan.lot_name is not None:
                    vals["lot_name"] = plan.lot_name
                if plan.package_id is not None:
                    vals["result_package_id"] = plan.package_id
                creates.append(vals)
            unlinks += [int(ml["id"]) for ml in existing[len(wanted) :]]
    await write_grouped(client, "stock.move.line", writes)
    for part in chunks(creates):
        await client.create("stock.move.line", part)
    for id_part in chunks(unlinks, BATCH_SIZE):
        await client.execute_kw("stock.move.line", "unlink", [list(id_part)])
    return refused


async def _validate(
    client: OdooClient,
    reqs: Sequence[TransferRequest],
    pickings: dict[str, dict[str, Any]],
    context: dict[str, Any],
) -> dict[str, str]:
    """Validate in chunks; on a refused chunk, validate one by one. Returns ``{picking name: error}``."""
    failures: dict[str, str] = {}
    for part in chunks(list(reqs), VALIDATE_CHUNK):
        try:
            await _validate_batch(client, part, pickings, context)
        except BusinessError:
            if len(part) == 1:
                raise
            for req in part:
                try:
                    await _validate_batch(client, [req], pickings, context)
                except BusinessError as exc:
                    failures[req.picking_ref] = str(exc)
    return failures


async def _validate_batch(
    client: OdooClient,
    reqs: Sequence[TransferRequest],
    pickings: dict[str, dict[str, Any]],
    context: dict[str, Any],
) -> None:
    ids = [int(pickings[r.picking_ref]["id"]) for r in reqs]
    no_backorder = [int(pickings[r.picking_ref]["id"]) for r in reqs if not r.backorder]
    ctx = {
        **context,
        **client.dialect.validate_context,
        "skip_backorder": True,
        "picking_ids_not_to_backorder": no_backorder,
    }
    result = await client.call("stock.picking", "button_validate", ids, context=ctx)
    if isinstance(result, dict) and result.get("res_model") == BACKORDER_WIZARD:
        await run_backorder_wizard(client, result, ids, set(no_backorder), context)


async def run_backorder_wizard(
    client: OdooClient,
    action: dict[str, Any],
    ids: Sequence[int],
    no_backorder: set[int],
    context: dict[str, Any] | None = None,
) -> None:
    """Answer the ``stock.backorder.confirmation`` action ``button_validate`` returned for ``ids``:
    ``process`` for pickings that keep a backorder, ``process_cancel_backorder`` for those in
    ``no_backorder``; the action's context must go to both ``create`` and the button (reference §2.7)."""
    base = {**(context or {}), **(action.get("context") or {})}
    for group, method in (
        ([i for i in ids if i not in no_backorder], "process"),
        ([i for i in ids if i in no_backorder], "process_cancel_backorder"),
    ):
        if not group:
            continue
        ctx = {**base, "button_validate_picking_ids": group, "default_pick_ids": [[4, i] for i in group]}
        wizard = await client.create(BACKORDER_WIZARD, [{}], context=ctx)
        await client.call(BACKORDER_WIZARD, method, wizard, context=ctx)


def result_from_row(
    row: dict[str, Any], *, already_done: bool = False, error: str | None = None
) -> TransferResult:
    """A :class:`TransferResult` from a picking row read with :data:`PICKING_FIELDS`."""
    price = row.get("carrier_price")
    return TransferResult(
        picking_ref=str(row["name"]),
        picking_id=int(row["id"]),
        state=str(row["state"]),
        backorder_ids=tuple(int(i) for i in row.get("backorder_ids") or ()),
        already_done=already_done,
        tracking_ref=text(row.get("carrier_tracking_ref")),
        carrier_price=None if price is None or price is False else float(price),  # 0.0 == False
        carrier_id=m2o_id(row.get("carrier_id")),
        error=error,
    )
