"""An in-memory :class:`~tradelane.ports.xref.XrefStore` for unit tests and ``tradelane mapping test``."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Collection, Iterable
from datetime import UTC, datetime

from tradelane.ports.xref import XrefEntry, XrefField, newest_first

__all__ = ["InMemoryXrefStore"]


class InMemoryXrefStore:
    """Cross references in a dict. ``clock`` stamps ``updated_at`` (pass a fixed one for tests)."""

    def __init__(
        self, entries: Iterable[XrefEntry] = (), *, clock: Callable[[], datetime] | None = None
    ) -> None:
        self._clock = clock or (lambda: datetime.now(UTC))
        self._rows: dict[tuple[str, str, str, str], XrefEntry] = {}
        for entry in entries:
            self._store(entry)

    def _store(self, entry: XrefEntry) -> XrefEntry:
        stored = dataclasses.replace(entry, updated_at=entry.updated_at or self._clock())
        self._rows[(entry.tenant, entry.partner, entry.kind, entry.partner_value)] = stored
        return stored

    async def put(self, entry: XrefEntry) -> XrefEntry:
        return self._store(dataclasses.replace(entry, updated_at=self._clock()))

    async def get(self, tenant: str, partner: str, kind: str, partner_value: str) -> XrefEntry | None:
        return self._rows.get((tenant, partner, kind, partner_value))

    async def find_many(
        self, tenant: str, partner: str, kind: str, field: XrefField, values: Collection[str]
    ) -> dict[str, XrefEntry]:
        wanted = set(values)
        candidates = [
            e
            for (t, p, k, _), e in self._rows.items()
            if t == tenant and p == partner and k == kind and e.value_of(field) in wanted
        ]
        out: dict[str, XrefEntry] = {}
        for entry in newest_first(candidates):
            key = entry.value_of(field)
            if key is not None:
                out.setdefault(key, entry)
        return out

    async def list(
        self, tenant: str, partner: str | None = None, kind: str | None = None, limit: int = 100
    ) -> list[XrefEntry]:
        rows = [
            e
            for (t, p, k, _), e in sorted(self._rows.items())
            if t == tenant and (partner is None or p == partner) and (kind is None or k == kind)
        ]
        return rows[:limit]

    async def delete(self, tenant: str, partner: str, kind: str, partner_value: str) -> bool:
        return self._rows.pop((tenant, partner, kind, partner_value), None) is not None
