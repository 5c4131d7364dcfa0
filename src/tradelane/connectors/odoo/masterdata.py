"""Master data: batched, idempotent upserts of partners, products and carriers; warehouse and location reads.

One upsert of N records costs a fixed handful of calls, whatever N is: one external-id look-up, one read of
the candidates, one ``create([...])`` for the missing ones, one ``write`` per distinct set of changed values,
one ``ir.model.data`` create and one read-back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from tradelane.core.errors import TransientError

from .client import OdooClient
from .common import (
    changed_vals,
    chunks,
    idempotent,
    lookup_xmlids,
    m2o_id,
    record_xmlids,
    text,
    write_grouped,
    xmlid_name,
)
from .models import CarrierData, Location, PartnerData, ProductData, UpsertResult, Warehouse

__all__ = [
    "CARRIER_SERVICE_SKU_PREFIX",
    "read_locations",
    "read_warehouses",
    "upsert_carriers",
    "upsert_partners",
    "upsert_products",
]

#: ``default_code`` prefix of the service product each carrier needs (``delivery.carrier.product_id`` is required)
CARRIER_SERVICE_SKU_PREFIX = "TL-SHIP-"
_NO_ARCHIVE_FILTER = {"active_test": False}


@dataclass(frozen=True)
class _Item:
    key: str
    natural: str
    vals: dict[str, Any]


async def _upsert(
    client: OdooClient, *, kind: str, model: str, natural_field: str, items: Sequence[_Item]
) -> list[UpsertResult]:
    if not items:
        return []
    names = {it.key: xmlid_name(kind, it.key) for it in items}
    known = await lookup_xmlids(client, names.values())
    by_xmlid = {it.key: known[names[it.key]][1] for it in items if names[it.key] in known}
    fields = sorted({f for it in items for f in it.vals} | {natural_field})
    naturals = [it.natural for it in items if it.key not in by_xmlid]
    rows: list[dict[str, Any]] = []
    id_part = sorted(set(by_xmlid.values()))
    domain: list[Any]
    if id_part and naturals:
        domain = ["|", ("id", "in", id_part), (natural_field, "in", naturals)]
    elif id_part:
        domain = [("id", "in", id_part)]
    else:
        domain = [(natural_field, "in", naturals)]
    rows = await client.search_read(model, domain, fields, context=_NO_ARCHIVE_FILTER)
    row_by_id = {int(r["id"]): r for r in rows}
    row_by_natural: dict[str, dict[str, Any]] = {}
    for r in sorted(rows, key=lambda r: int(r["id"])):
        row_by_natural.setdefault(str(r.get(natural_field)), r)

    existing: dict[str, dict[str, Any]] = {}
    for it in items:
        rid = by_xmlid.get(it.key)
        row = row_by_id.get(rid) if rid is not None else row_by_natural.get(it.natural)
        if row is not None:
            existing[it.key] = row
    to_create = [it for it in items if it.key not in existing]
    created_ids: dict[str, int] = {}
    for part in chunks(to_create):
        ids = await client.create(model, [it.vals for it in part])
        created_ids.update({it.key: rid for it, rid in zip(part, ids, strict=True)})
    updates = [
        (int(existing[it.key]["id"]), changed_vals(existing[it.key], it.vals))
        for it in items
        if it.key in existing
    ]
    await write_grouped(client, model, updates)
    ids_by_key = {**{k: int(r["id"]) for k, r in existing.items()}, **created_ids}
    await record_xmlids(client, model, {names[k]: rid for k, rid in ids_by_key.items()}, known)
    updated = {rid for rid, vals in updates if vals}
    if created_ids or updated:  # read back what we wrote
        confirmed = await client.read(model, sorted(set(created_ids.values()) | updated), ["id"])
        missing = (set(created_ids.values()) | updated) - {int(r["id"]) for r in confirmed}
        if missing:
            raise TransientError(f"{model} records {sorted(missing)} vanished after the upsert")
    return [
        UpsertResult(
            key=it.key,
            id=ids_by_key[it.key],
            created=it.key in created_ids,
            updated=ids_by_key[it.key] in updated,
        )
        for it in items
    ]


@idempotent
async def upsert_partners(client: OdooClient, partners: Sequence[PartnerData]) -> list[UpsertResult]:
    """Create or update partners keyed by ``key`` (stored in ``res.partner.ref``)."""
    codes = sorted({p.country_code.upper() for p in partners if p.country_code})
    countries: dict[str, int] = {}
    if codes:
        rows = await client.search_read("res.country", [("code", "in", codes)], ["code"])
        countries = {str(r["code"]).upper(): int(r["id"]) for r in rows}
    items = []
    for p in partners:
        vals: dict[str, Any] = {"name": p.name, "ref": p.key, "is_company": p.is_company}
        for fname in ("street", "city", "zip", "email", "phone"):
            value = getattr(p, fname)
            if value is not None:
                vals[fname] = value
        if p.country_code:
            vals["country_id"] = countries.get(p.country_code.upper(), False)
        items.append(_Item(p.key, p.key, vals))
    return await _upsert(client, kind="partner", model="res.partner", natural_field="ref", items=items)


def _product_vals(client: OdooClient, p: ProductData) -> dict[str, Any]:
    vals: dict[str, Any] = {"name": p.name, "default_code": p.sku, **client.dialect.product_type_vals(p.kind)}
    for fname in ("list_price", "standard_price", "weight", "barcode", "invoice_policy"):
        value = getattr(p, fname)
        if value is not None:
            vals[fname] = value
    if p.kind == "storable" or p.tracking != "none":
        vals["tracking"] = p.tracking
    return vals


@idempotent
async def upsert_products(client: OdooClient, products: Sequence[ProductData]) -> list[UpsertResult]:
    """Create or update products keyed by SKU (``default_code``)."""
    items = [_Item(p.sku, p.sku, _product_vals(client, p)) for p in products]
    return await _upsert(
        client, kind="product", model="product.product", natural_field="default_code", items=items
    )


@idempotent
async def upsert_carriers(client: OdooClient, carriers: Sequence[CarrierData]) -> list[UpsertResult]:
    """Create or update ``delivery.carrier`` records keyed by ``key`` (external id; name as fallback key)."""
    services = [
        ProductData(
            sku=f"{CARRIER_SERVICE_SKU_PREFIX}{c.key}",
            name=f"Shipping {c.name}",
            kind="service",
            # delivery.carrier.fixed_price is computed from its product's sales price (17.0 ``delivery``):
            # the product must carry the same price, or the next upsert of it resets the carrier's
            list_price=c.fixed_price,
        )
        for c in carriers
    ]
    service_results = {r.key: r for r in await upsert_products(client, services)}
    service_ids = {k: r.id for k, r in service_results.items()}
    items = [
        _Item(
            c.key,
            c.name,
            {
                "name": c.name,
                "delivery_type": c.delivery_type,
                "fixed_price": c.fixed_price,
                "product_id": service_ids[f"{CARRIER_SERVICE_SKU_PREFIX}{c.key}"],
            },
        )
        for c in carriers
    ]
    results = await _upsert(
        client, kind="carrier", model="delivery.carrier", natural_field="name", items=items
    )
    # a new price reaches the carrier through its product (the compute): that is an update of the carrier too
    return [
        replace(r, updated=True)
        if not r.created and not r.updated and service_results[f"{CARRIER_SERVICE_SKU_PREFIX}{r.key}"].updated
        else r
        for r in results
    ]


async def carrier_ids_by_key(client: OdooClient, keys: Sequence[str]) -> dict[str, int]:
    """Resolve carrier hub keys through their external ids."""
    names = {xmlid_name("carrier", k): k for k in set(keys) if k}
    if not names:
        return {}
    found = await lookup_xmlids(client, names)
    return {names[n]: rid for n, (_model, rid) in found.items()}


async def read_warehouses(client: OdooClient) -> list[Warehouse]:
    """All warehouses with their main locations and operation types."""
    rows = await client.search_read(
        "stock.warehouse",
        [],
        ["code", "name", "lot_stock_id", "view_location_id", "in_type_id", "out_type_id"],
        order="id",
    )
    return [
        Warehouse(
            id=int(r["id"]),
            code=str(r["code"]),
            name=str(r["name"]),
            stock_location_id=m2o_id(r["lot_stock_id"]) or 0,
            view_location_id=m2o_id(r.get("view_location_id")),
            in_type_id=m2o_id(r.get("in_type_id")),
            out_type_id=m2o_id(r.get("out_type_id")),
        )
        for r in rows
    ]


async def read_locations(
    client: OdooClient, *, warehouse_id: int | None = None, usage: str | None = "internal"
) -> list[Location]:
    """Locations, optionally of one warehouse and one usage (``internal`` by default, ``None`` for all)."""
    domain: list[Any] = []
    if usage:
        domain.append(("usage", "=", usage))
    if warehouse_id is not None:
        domain.append(("warehouse_id", "=", warehouse_id))
    rows = await client.search_read(
        "stock.location",
        domain,
        ["name", "complete_name", "usage", "location_id", "warehouse_id", "barcode"],
        order="complete_name, id",
    )
    return [
        Location(
            id=int(r["id"]),
            name=str(r["name"]),
            complete_name=str(r.get("complete_name") or r["name"]),
            usage=str(r["usage"]),
            parent_id=m2o_id(r.get("location_id")),
            warehouse_id=m2o_id(r.get("warehouse_id")),
            barcode=text(r.get("barcode")),
        )
        for r in rows
    ]
