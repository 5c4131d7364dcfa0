"""The cross-reference port: partner value ↔ canonical id ↔ Odoo id, per tenant, partner and kind.

A partner calls a shipment ``WH/OUT/00042``, the hub calls it ``shp_so0042_1`` and Odoo calls it
``stock.picking`` 118. An :class:`XrefEntry` ties the three together for one tenant, one partner and one
*kind* of thing (``shipment``, ``carrier``, ``location`` …). The partner value is the key: several partner
values may point at one canonical id (aliases); a lookup by canonical or Odoo id then answers with the most
recently updated entry.

Mappings look values up in batches through :meth:`XrefStore.find_many`; the CLI and the API manage entries
with the other methods. ``tradelane.store.xref.SqlXrefStore`` is the SQL implementation,
``tradelane.testing.xref.InMemoryXrefStore`` the shipped fake.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

__all__ = ["XrefEntry", "XrefField", "XrefStore", "newest_first"]


class XrefField(StrEnum):
    """Which column of an entry a lookup searches (or answers with)."""

    #: the partner's own value (the key)
    PARTNER = "partner_value"
    #: the hub's canonical id
    CANONICAL = "canonical_id"
    #: the Odoo record id
    ODOO = "odoo_id"


@dataclass(frozen=True)
class XrefEntry:
    """One cross reference."""

    #: owning tenant
    tenant: str
    #: the partner system the value belongs to, e.g. ``acme-wms``
    partner: str
    #: what the value names: ``shipment``, ``order``, ``carrier``, ``location``, ``product`` …
    kind: str
    #: the partner's value
    partner_value: str
    #: the hub's canonical id
    canonical_id: str
    #: the Odoo record id, when the thing exists in Odoo
    odoo_id: int | None = None
    #: when the entry was last written (set by the store)
    updated_at: datetime | None = None

    def value_of(self, field: XrefField) -> str | None:
        """The entry's value in ``field`` as text (``None`` when there is no Odoo id)."""
        if field is XrefField.PARTNER:
            return self.partner_value
        if field is XrefField.CANONICAL:
            return self.canonical_id
        return None if self.odoo_id is None else str(self.odoo_id)


def newest_first(entries: Collection[XrefEntry]) -> list[XrefEntry]:
    """``entries`` ordered most recently updated first (ties: partner value), the order lookups prefer."""
    return sorted(
        sorted(entries, key=lambda e: e.partner_value),
        key=lambda e: e.updated_at.timestamp() if e.updated_at else 0.0,
        reverse=True,
    )


class XrefStore(Protocol):
    """Where cross references are kept."""

    async def put(self, entry: XrefEntry) -> XrefEntry:
        """Insert or replace the entry keyed by tenant, partner, kind and partner value; returns it as stored."""
        ...

    async def get(self, tenant: str, partner: str, kind: str, partner_value: str) -> XrefEntry | None:
        """The entry for one partner value, if any."""
        ...

    async def find_many(
        self, tenant: str, partner: str, kind: str, field: XrefField, values: Collection[str]
    ) -> dict[str, XrefEntry]:
        """Entries whose ``field`` is one of ``values``, keyed by that value.

        When several entries share a canonical or Odoo id, the most recently updated one answers.
        Values without an entry are absent from the result.
        """
        ...

    async def list(
        self, tenant: str, partner: str | None = None, kind: str | None = None, limit: int = 100
    ) -> list[XrefEntry]:
        """Entries of a tenant, optionally of one partner and kind, ordered by partner, kind, value."""
        ...

    async def delete(self, tenant: str, partner: str, kind: str, partner_value: str) -> bool:
        """Remove one entry; whether it existed."""
        ...
