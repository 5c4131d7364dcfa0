"""Outbound: read confirmed sale orders for release, and apply ship confirmations in batches.

``read_order_releases`` reads N orders with their lines, pickings and moves in six calls.
``ship_confirm_many`` registers quantities and validates through :mod:`.transfers`, then writes the carrier,
tracking number and shipping cost **after** validation (reference §2.6: a tracking number written before
validation stops Odoo's ``send_to_shipper`` and a fixed-price carrier's price would then be lost; writing
``carrier_price`` afterwards makes the hub's figure win), grouped by identical values, and reads back.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from .client import IDS_ONLY, OdooClient
from .common import (
    FLOAT_TOLERANCE,
    by_key,
    chunks,
    idempotent,
    m2o_id,
    product_refs_by_id,
    text,
    write_rows,
)
from .masterdata import carrier_ids_by_key
from .models import MoveInfo, OrderLine, OrderRelease, PickingInfo, ShipConfirmation, TransferResult
from .transfers import PICKING_FIELDS, TransferRequest, register_and_validate, result_from_row

__all__ = ["DEFAULT_RELEASE_PAGE", "read_order_releases", "ship_confirm", "ship_confirm_many"]

#: orders per release page
DEFAULT_RELEASE_PAGE = 500
ORDER_FIELDS = [
    "name",
    "client_order_ref",
    "partner_id",
    "carrier_id",
    "commitment_date",
    "write_date",
    "picking_ids",
]
LINE_FIELDS = [
    "order_id",
    "product_id",
    "name",
    "product_uom_qty",
    "qty_delivered",
    "product_uom",
    "display_type",
]
RELEASE_PICKING_FIELDS = [
    "name",
    "state",
    "picking_type_code",
    "scheduled_date",
    "origin",
    "carrier_id",
    "location_id",
    "location_dest_id",
    "carrier_tracking_ref",
]
MOVE_FIELDS = ["picking_id", "product_id", "product_uom_qty", "state"]


async def read_order_releases(
    client: OdooClient,
    *,
    order_refs: Sequence[str] | None = None,
    after_id: int = 0,
    limit: int = DEFAULT_RELEASE_PAGE,
) -> list[OrderRelease]:
    """Confirmed sale orders (``state='sale'``) with lines, outgoing pickings and moves.

    :param order_refs: only these order names; otherwise the next page of orders with id > ``after_id``.
    """
    domain: list[Any] = [("state", "=", "sale"), ("id", ">", after_id)]
    if order_refs is not None:
        domain.append(("name", "in", list(order_refs)))
    # many2one values are only needed as ids (IDS_ONLY spares Odoo a display name per value); the lines'
    # unit of measure is the exception
    orders = await client.search_read(
        "sale.order", domain, ORDER_FIELDS, order="id", limit=limit, load=IDS_ONLY
    )
    if not orders:
        return []
    order_ids = [int(o["id"]) for o in orders]
    lines = await client.search_read(
        "sale.order.line", [("order_id", "in", order_ids)], LINE_FIELDS, order="id"
    )
    picking_ids = sorted({int(p) for o in orders for p in o.get("picking_ids") or ()})
    pickings: list[dict[str, Any]] = []
    moves: list[dict[str, Any]] = []
    for part in chunks(picking_ids):
        pickings += await client.search_read(
            "stock.picking",
            [("id", "in", list(part)), ("picking_type_code", "=", "outgoing")],
            RELEASE_PICKING_FIELDS,
            order="id",
            load=IDS_ONLY,
        )
    out_ids = [int(p["id"]) for p in pickings]
    qty_field = client.dialect.move_qty_field
    for part in chunks(out_ids):
        moves += await client.search_read(
            "stock.move",
            [("picking_id", "in", list(part))],
            [*MOVE_FIELDS, qty_field],
            order="id",
            load=IDS_ONLY,
        )
    product_ids = {m2o_id(r["product_id"]) for r in [*lines, *moves] if r.get("product_id")}
    refs = await product_refs_by_id(client, [p for p in product_ids if p])
    partner_ids = sorted({pa for o in orders if (pa := m2o_id(o.get("partner_id")))})
    partner_refs = {
        int(r["id"]): text(r.get("ref")) for r in await client.read("res.partner", partner_ids, ["ref"])
    }

    moves_by_picking = by_key(moves, "picking_id")
    pick_by_id = {int(p["id"]): p for p in pickings}
    lines_by_order = by_key(lines, "order_id")
    releases = []
    for o in orders:
        picks = []
        for pid in sorted(int(p) for p in o.get("picking_ids") or ()):
            p = pick_by_id.get(pid)
            if p is None:
                continue
            picks.append(
                PickingInfo(
                    picking_id=pid,
                    name=str(p["name"]),
                    state=str(p["state"]),
                    picking_type_code=text(p.get("picking_type_code")),
                    scheduled_date=text(p.get("scheduled_date")),
                    origin=text(p.get("origin")),
                    carrier_id=m2o_id(p.get("carrier_id")),
                    location_id=m2o_id(p.get("location_id")),
                    location_dest_id=m2o_id(p.get("location_dest_id")),
                    tracking_ref=text(p.get("carrier_tracking_ref")),
                    moves=tuple(
                        MoveInfo(
                            move_id=int(m["id"]),
                            product_id=m2o_id(m["product_id"]) or 0,
                            product_ref=refs.get(m2o_id(m["product_id"]) or 0),
                            demand=float(m["product_uom_qty"]),
                            quantity=float(m.get(qty_field) or 0.0),
                            state=str(m["state"]),
                        )
                        for m in moves_by_picking.get(pid, [])
                    ),
                )
            )
        releases.append(
            OrderRelease(
                order_id=int(o["id"]),
                order_ref=str(o["name"]),
                client_order_ref=text(o.get("client_order_ref")),
                partner_id=m2o_id(o.get("partner_id")),
                partner_ref=partner_refs.get(m2o_id(o.get("partner_id")) or 0),
                carrier_id=m2o_id(o.get("carrier_id")),
                commitment_date=text(o.get("commitment_date")),
                write_date=text(o.get("write_date")),
                lines=tuple(
                    OrderLine(
                        line_id=int(line["id"]),
                        product_id=m2o_id(line["product_id"]) or 0,
                        product_ref=refs.get(m2o_id(line["product_id"]) or 0),
                        description=str(line.get("name") or ""),
                        quantity=float(line["product_uom_qty"]),
                        delivered=float(line.get("qty_delivered") or 0.0),
                        uom=(line["product_uom"][1] if isinstance(line.get("product_uom"), list) else None),
                    )
                    for line in lines_by_order.get(int(o["id"]), [])
                    if not line.get("display_type") and line.get("product_id")
                ),
                pickings=tuple(picks),
            )
        )
    return releases


@idempotent
async def ship_confirm_many(
    client: OdooClient, confirmations: Sequence[ShipConfirmation]
) -> list[TransferResult]:
    """Apply ship confirmations: quantities (lots, packages), validation with or without backorder,
    then carrier, tracking number and shipping cost. Safe to replay; results are in input order."""
    requests = [TransferRequest(c.picking_ref, c.lines, c.backorder) for c in confirmations]
    results = await register_and_validate(client, requests)
    carriers = await carrier_ids_by_key(client, [c.carrier_ref for c in confirmations if c.carrier_ref])
    pending: list[tuple[int, dict[str, Any]]] = []
    errors: dict[str, str] = {}
    for c in confirmations:
        res = results[c.picking_ref]
        if res.error or res.picking_id is None:
            continue
        vals: dict[str, Any] = {}
        if c.carrier_ref:
            if c.carrier_ref not in carriers:
                errors[c.picking_ref] = f"unknown carrier {c.carrier_ref!r}"
                continue
            if res.carrier_id != carriers[c.carrier_ref]:
                vals["carrier_id"] = carriers[c.carrier_ref]
        if c.tracking_ref and res.tracking_ref != c.tracking_ref:
            vals["carrier_tracking_ref"] = c.tracking_ref
        if (
            c.shipping_cost is not None
            and abs((res.carrier_price or 0.0) - c.shipping_cost) > FLOAT_TOLERANCE
        ):
            vals["carrier_price"] = c.shipping_cost
        pending.append((res.picking_id, vals))
    if any(vals for _, vals in pending):
        await write_rows(client, "stock.picking", pending, many2one=frozenset({"carrier_id"}))
        ids = sorted({rid for rid, vals in pending if vals})
        final: dict[str, dict[str, Any]] = {}
        for part in chunks(ids):
            rows = await client.search_read(
                "stock.picking", [("id", "in", list(part))], PICKING_FIELDS, load=IDS_ONLY
            )
            final.update({str(r["name"]): r for r in rows})
        for name, row in final.items():
            results[name] = result_from_row(row, already_done=results[name].already_done)
    out = []
    for c in confirmations:
        res = results[c.picking_ref]
        if c.picking_ref in errors:
            res = TransferResult(**{**res.__dict__, "error": errors[c.picking_ref]})
        out.append(res)
    return out


async def ship_confirm(client: OdooClient, confirmation: ShipConfirmation) -> TransferResult:
    """One ship confirmation (see :func:`ship_confirm_many`)."""
    return (await ship_confirm_many(client, [confirmation]))[0]


def group_by_order(releases: Sequence[OrderRelease]) -> dict[str, list[PickingInfo]]:
    """Outgoing pickings per order name (helper for flows)."""
    out: dict[str, list[PickingInfo]] = defaultdict(list)
    for r in releases:
        out[r.order_ref].extend(r.pickings)
    return out
