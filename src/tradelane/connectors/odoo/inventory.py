"""Inventory: read quants per location, apply counted quantities as inventory adjustments under a reference.

An adjustment batch is keyed by its ``reference``: Odoo names the inventory moves after the context key
``inventory_name`` (reference §4.3), so a replay finds the moves already made under that reference and skips
those (product, location) pairs. ``action_apply_inventory`` returns ``None`` (the JSON-RPC reply has no
``result``; XML-RPC faults after commit) — the client turns both into ``None`` and we read the moves back.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tradelane.core.errors import BusinessError

from .client import OdooClient
from .common import (
    FLOAT_TOLERANCE,
    chunks,
    idempotent,
    m2o_id,
    m2o_name,
    product_ids_by_ref,
    product_refs_by_id,
    write_grouped,
)
from .models import AdjustmentResult, QuantInfo, StockCount
from .transfers import resolve_lots

__all__ = ["apply_inventory_counts", "read_quants"]

QUANT_FIELDS = ["product_id", "location_id", "lot_id", "package_id", "quantity", "reserved_quantity"]
_INVENTORY_MODE = {"inventory_mode": True}


async def read_quants(
    client: OdooClient,
    *,
    location_ids: Sequence[int] | None = None,
    product_refs: Sequence[str] | None = None,
    include_children: bool = True,
) -> list[QuantInfo]:
    """Stock on hand per (product, location, lot, package) in internal locations."""
    domain: list[Any] = [("location_id.usage", "=", "internal")]
    if location_ids is not None:
        domain.append(("location_id", "child_of" if include_children else "in", list(location_ids)))
    if product_refs is not None:
        ids = await product_ids_by_ref(client, product_refs)
        domain.append(("product_id", "in", sorted(ids.values())))
    rows = await client.search_read("stock.quant", domain, QUANT_FIELDS, order="location_id, product_id, id")
    refs = await product_refs_by_id(client, {m2o_id(r["product_id"]) or 0 for r in rows})
    return [
        QuantInfo(
            quant_id=int(r["id"]),
            product_id=m2o_id(r["product_id"]) or 0,
            product_ref=refs.get(m2o_id(r["product_id"]) or 0),
            location_id=m2o_id(r["location_id"]) or 0,
            location_name=m2o_name(r["location_id"]) or "",
            lot=m2o_name(r.get("lot_id")),
            package=m2o_name(r.get("package_id")),
            quantity=float(r["quantity"]),
            reserved_quantity=float(r.get("reserved_quantity") or 0.0),
        )
        for r in rows
    ]


def _like_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _moves_named(reference: str) -> list[Any]:
    """Done inventory moves of ``reference``: Odoo 17 names them ``inventory_name``, or
    ``"<inventory_name> (<user>)"`` when the quant was assigned to a user (``stock.quant._get_inventory_move_values``)."""
    return [
        ("is_inventory", "=", True),
        ("state", "=", "done"),
        "|",
        ("name", "=", reference),
        ("name", "=like", f"{_like_escape(reference)} (%)"),
    ]


@idempotent
async def apply_inventory_counts(
    client: OdooClient, reference: str, counts: Sequence[StockCount]
) -> AdjustmentResult:
    """Set counted quantities (absolute) and apply them as one adjustment named ``reference``."""
    products = await product_ids_by_ref(client, {c.product_ref for c in counts})
    unknown = sorted({c.product_ref for c in counts} - products.keys())
    if unknown:
        raise BusinessError(f"unknown products {unknown}", kind="MissingError")
    done_moves = await client.search_read(
        "stock.move", _moves_named(reference), ["product_id", "location_id", "location_dest_id"]
    )
    done = {
        (m2o_id(m["product_id"]), m2o_id(m[side]))
        for m in done_moves
        for side in ("location_id", "location_dest_id")
    }
    todo = [c for c in counts if (products[c.product_ref], c.location_id) not in done]
    skipped = tuple((c.product_ref, c.location_id, c.lot) for c in counts if c not in todo)
    if not todo:
        return AdjustmentResult(reference, (), skipped)

    # missing lots are created (read again when another writer created them first)
    lots = await resolve_lots(client, {(c.lot, products[c.product_ref]) for c in todo if c.lot}, True)

    quants = await client.search_read(
        "stock.quant",
        [
            ("product_id", "in", sorted({products[c.product_ref] for c in todo})),
            ("location_id", "in", sorted({c.location_id for c in todo})),
        ],
        ["product_id", "location_id", "lot_id", "package_id", "quantity", "inventory_quantity",
         "inventory_quantity_set"],
    )
    # A real Odoo may hold several unmerged quants for one (product, location, lot) — seen on 17.0 after
    # concurrent receipts, until its merge runs — and quants of it in packages (returned goods come back in the
    # package they left in). The count is their total: packaged stock is kept while the count covers it, the
    # first loose quant takes the rest and the other loose ones 0; a count below the packaged stock empties the
    # packages too.
    loose_by_key: dict[tuple[int | None, int | None, int | None], list[dict[str, Any]]] = {}
    packed_by_key: dict[tuple[int | None, int | None, int | None], list[dict[str, Any]]] = {}
    for q in sorted(quants, key=lambda q: int(q["id"])):
        key = (m2o_id(q["product_id"]), m2o_id(q["location_id"]), m2o_id(q.get("lot_id")))
        (packed_by_key if q.get("package_id") else loose_by_key).setdefault(key, []).append(q)
    creates: list[dict[str, Any]] = []
    writes: list[tuple[int, dict[str, Any]]] = []
    quant_ids: list[int] = []
    for c in todo:
        pid = products[c.product_ref]
        lot_id = lots.get((c.lot, pid)) if c.lot else None
        group = loose_by_key.get((pid, c.location_id, lot_id), [])
        packed = packed_by_key.get((pid, c.location_id, lot_id), [])
        kept = [q for q in packed if float(q.get("quantity") or 0.0) > 0]
        in_packages = sum(float(q["quantity"]) for q in kept)
        if in_packages > c.quantity + FLOAT_TOLERANCE:
            kept, in_packages = [], 0.0
        quant, others = (group[0] if group else None), group[1:]
        # user_id False: 17.0 appends " (<assigned user>)" to the move name otherwise (and an inventory-mode
        # create assigns the caller); the apply clears user_id anyway
        vals = {"inventory_quantity": c.quantity - in_packages, "inventory_quantity_set": True, "user_id": False}
        for other in others + [q for q in packed if q not in kept]:
            quant_ids.append(int(other["id"]))
            # written in full: Odoo recomputes the counted difference only from a written inventory_quantity
            writes.append((int(other["id"]), {**vals, "inventory_quantity": 0.0}))
        if quant is None:
            creates.append(
                {
                    "product_id": pid,
                    "location_id": c.location_id,
                    **({"lot_id": lot_id} if lot_id else {}),
                    **vals,
                }
            )
        else:
            quant_ids.append(int(quant["id"]))
            writes.append((int(quant["id"]), dict(vals)))
    for part in chunks(creates):
        quant_ids += await client.create("stock.quant", part, context=_INVENTORY_MODE)
    await write_grouped(client, "stock.quant", writes, context=_INVENTORY_MODE)
    result = await client.call(
        "stock.quant",
        "action_apply_inventory",
        sorted(set(quant_ids)),
        context={**_INVENTORY_MODE, "inventory_name": reference},
    )
    if isinstance(result, dict) and result.get("res_model"):
        raise BusinessError(
            f"Odoo asks for confirmation ({result['res_model']}) before applying {reference!r}",
            kind="UserError",
        )
    applied = await client.search_read("stock.move", _moves_named(reference), ["product_id"])
    applied_products = {m2o_id(m["product_id"]) for m in applied}
    not_applied = [c.product_ref for c in todo if products[c.product_ref] not in applied_products]
    if not_applied and any(c.quantity for c in todo):
        # a count equal to the stock on hand creates no move; anything else must show one
        zero_diff = await client.read("stock.quant", sorted(set(quant_ids)), ["inventory_quantity_set"])
        if any(q.get("inventory_quantity_set") for q in zero_diff):
            raise BusinessError(
                f"adjustment {reference!r} was not applied for {not_applied}", kind="UserError"
            )
    return AdjustmentResult(reference, tuple((c.product_ref, c.location_id, c.lot) for c in todo), skipped)
