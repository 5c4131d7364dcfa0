"""Inventory reconciliation, a scheduled batch: the WMS's stock snapshot against Odoo's quants, per product at
the warehouse's stock location.

:func:`reconcile` (pure) lists the differences. Who may correct them is the system-of-record matrix's call
(``ownership:``, entity ``inventory``, field ``on_hand``): where the WMS owns the quantity, Odoo is adjusted to
the WMS's figure (one inventory adjustment per run, named after the run: its fire time to the second, or a
run id of its own for a manual run, so a retried firing applies nothing twice and two runs are two);
everywhere else the difference is reported as an ``inventory_difference`` exception for a person.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

from tradelane.flows.exceptions import ExceptionService
from tradelane.ports.flows import NewException, OrderDesk, QuantRow, Warehouse
from tradelane.routing.ownership import OwnershipMatrix, SystemRef

__all__ = ["Difference", "InventoryConfig", "InventoryFlow", "reconcile", "run_reference"]

#: quantities closer than this are equal
QTY_TOLERANCE = 1e-6
#: the entity and field of the ownership matrix that decide who owns stock quantities
ENTITY, FIELD = "inventory", "on_hand"


def run_reference(site: str, fire_time: datetime | None, run_id: str | None = None) -> str:
    """The name of a run's Odoo adjustment, which is what makes the adjustment idempotent (pure).

    The same fire time gives the same name (a retried scheduled firing applies nothing twice): the fire time to
    the second, and to the microsecond when it has any (a "run now" is recorded under the instant it started).
    A run without a fire time (a direct, manual call) is a run of its own: it is named by ``run_id`` (default a
    fresh random id), so two such runs in one second are two adjustments.
    """
    if fire_time is None:
        return f"Tradelane reconciliation {site} manual {run_id or uuid4().hex[:12]}"
    moment = fire_time.astimezone(UTC)
    stamp = moment.strftime("%Y-%m-%d %H:%M:%S") + (f".{moment.microsecond:06d}" if moment.microsecond else "")
    return f"Tradelane reconciliation {site} {stamp}"


@dataclass(frozen=True)
class Difference:
    sku: str
    wms: float
    odoo: float

    @property
    def delta(self) -> float:
        return self.wms - self.odoo


def _totals(rows: Sequence[QuantRow]) -> dict[str, float]:
    out: dict[str, float] = {}
    for r in rows:
        out[r.sku] = out.get(r.sku, 0.0) + r.quantity
    return out


def reconcile(wms: Sequence[QuantRow], odoo: Sequence[QuantRow]) -> list[Difference]:
    """Products whose on-hand quantity differs between the WMS and Odoo (lots summed), by SKU."""
    w, o = _totals(wms), _totals(odoo)
    return [Difference(sku, w.get(sku, 0.0), o.get(sku, 0.0)) for sku in sorted(set(w) | set(o))
            if abs(w.get(sku, 0.0) - o.get(sku, 0.0)) > QTY_TOLERANCE]


@dataclass(frozen=True)
class InventoryConfig:
    #: the WMS site code whose snapshot is read
    site: str = "RTM1"
    tenant: str = "hub"
    owner_team: str = "inventory"
    #: the WMS as the ownership matrix names it (partner id and kind)
    wms: SystemRef = SystemRef("acme-wms", "wms")
    name: str = "inventory"


class InventoryFlow:
    """The reconciliation batch; :meth:`run` is the batch scheduler's job."""

    def __init__(self, desk: OrderDesk, warehouse: Warehouse, exceptions: ExceptionService,
                 ownership: OwnershipMatrix | None = None, config: InventoryConfig | None = None) -> None:
        self.desk = desk
        self.warehouse = warehouse
        self.exceptions = exceptions
        self.ownership = ownership or OwnershipMatrix()
        self.config = config or InventoryConfig()

    def wms_owns_quantity(self) -> bool:
        """Whether the ownership matrix names the WMS as an owner of ``inventory.on_hand`` (never by default)."""
        owners = self.ownership.owners(ENTITY, (FIELD,))
        return owners is not None and self.config.wms.matches(owners)

    async def run(self, flow: str = "inventory", fire_time: datetime | None = None) -> Mapping[str, Any]:
        """One reconciliation: the scheduler passes the fire time (a retry of that firing adjusts nothing
        twice); a call without one is a manual run of its own (see :func:`run_reference`)."""
        run_ref = run_reference(self.config.site, fire_time)
        wms = await self.warehouse.snapshot(self.config.site)
        odoo = await self.desk.quants(sorted({r.sku for r in wms}))
        diffs = reconcile(wms, odoo)
        adjusted = 0
        if diffs and self.wms_owns_quantity():
            adjusted = await self.desk.adjust([QuantRow(d.sku, d.wms) for d in diffs], run_ref)
        elif diffs:
            for d in diffs:
                await self.exceptions.open(NewException(
                    tenant=self.config.tenant, type="inventory_difference", severity="medium",
                    entity_kind="product", entity_id=d.sku, owner_team=self.config.owner_team,
                    summary=f"{d.sku} at {self.config.site}: WMS {d.wms:g}, Odoo {d.odoo:g} ({d.delta:+g})",
                    detail=(f"site {self.config.site}: WMS on hand {d.wms:g}, Odoo on hand {d.odoo:g}, "
                            f"difference {d.delta:+g}; the WMS does not own the quantity "
                            f"(ownership {ENTITY}.{FIELD}), so Odoo was not adjusted"),
                    flow=self.config.name, dedupe_key=f"inventory:{self.config.site}:{d.sku}",
                ))
        return {"products": len({r.sku for r in wms}), "differences": len(diffs), "adjusted": adjusted,
                "reported": 0 if adjusted or not diffs else len(diffs),
                "lines": [f"{d.sku}: WMS {d.wms:g}, Odoo {d.odoo:g}" for d in diffs]}
