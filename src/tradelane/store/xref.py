"""SQL implementation of :class:`tradelane.ports.xref.XrefStore` on the ``xref`` table (SQLite, PostgreSQL).

Writes are one upsert (``INSERT … ON CONFLICT DO UPDATE``) in a write transaction (``BEGIN IMMEDIATE`` on
SQLite); batch lookups are ``IN`` queries in chunks. Queries run in a worker thread so the event loop never
waits on the database.
"""

from __future__ import annotations

import asyncio
import builtins
from collections.abc import Callable, Collection
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import and_, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from tradelane.ports.xref import XrefEntry, XrefField, newest_first
from tradelane.store.engine import WRITE
from tradelane.store.tables import xref

__all__ = ["SqlXrefStore"]

T = TypeVar("T")

#: most values in one ``IN (…)`` list, comfortably under SQLite's bound-parameter limit
IN_CHUNK = 400

_COLUMNS = {
    XrefField.PARTNER: xref.c.partner_value,
    XrefField.CANONICAL: xref.c.canonical_id,
    XrefField.ODOO: xref.c.odoo_id,
}


def _entry(row: Any) -> XrefEntry:
    return XrefEntry(
        tenant=row.tenant,
        partner=row.partner,
        kind=row.kind,
        partner_value=row.partner_value,
        canonical_id=row.canonical_id,
        odoo_id=row.odoo_id,
        updated_at=row.updated_at,
    )


class SqlXrefStore:
    """Cross references in the ``xref`` table. Build with an engine from ``make_engine``."""

    def __init__(self, engine: Engine, *, clock: Callable[[], datetime] | None = None) -> None:
        self.engine = engine
        self._clock = clock or (lambda: datetime.now(UTC))

    async def _run(self, fn: Callable[[Connection], T], *, write: bool = False) -> T:
        def run() -> T:
            conn = self.engine.connect()
            if write:
                conn = conn.execution_options(**WRITE)
            with conn, conn.begin():
                return fn(conn)

        return await asyncio.to_thread(run)

    async def put(self, entry: XrefEntry) -> XrefEntry:
        stored = XrefEntry(
            tenant=entry.tenant,
            partner=entry.partner,
            kind=entry.kind,
            partner_value=entry.partner_value,
            canonical_id=entry.canonical_id,
            odoo_id=entry.odoo_id,
            updated_at=self._clock(),
        )
        values = {
            "tenant": stored.tenant,
            "partner": stored.partner,
            "kind": stored.kind,
            "partner_value": stored.partner_value,
            "canonical_id": stored.canonical_id,
            "odoo_id": stored.odoo_id,
            "updated_at": stored.updated_at,
        }

        def upsert(conn: Connection) -> None:
            dialect_insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
            stmt = dialect_insert(xref).values(**values)
            stmt = stmt.on_conflict_do_update(
                index_elements=[xref.c.tenant, xref.c.partner, xref.c.kind, xref.c.partner_value],
                set_={
                    "canonical_id": stmt.excluded.canonical_id,
                    "odoo_id": stmt.excluded.odoo_id,
                    "updated_at": stmt.excluded.updated_at,
                },
            )
            conn.execute(stmt)

        await self._run(upsert, write=True)
        return stored

    async def get(self, tenant: str, partner: str, kind: str, partner_value: str) -> XrefEntry | None:
        def query(conn: Connection) -> XrefEntry | None:
            row = conn.execute(
                select(xref).where(
                    and_(
                        xref.c.tenant == tenant,
                        xref.c.partner == partner,
                        xref.c.kind == kind,
                        xref.c.partner_value == partner_value,
                    )
                )
            ).first()
            return None if row is None else _entry(row)

        return await self._run(query)

    async def find_many(
        self, tenant: str, partner: str, kind: str, field: XrefField, values: Collection[str]
    ) -> dict[str, XrefEntry]:
        column = _COLUMNS[field]
        keys: builtins.list[Any] = sorted(set(values))
        if field is XrefField.ODOO:
            keys = sorted({int(v) for v in keys if v.strip().lstrip("-").isdigit()})
        if not keys:
            return {}

        def query(conn: Connection) -> builtins.list[XrefEntry]:
            found: builtins.list[XrefEntry] = []
            for i in range(0, len(keys), IN_CHUNK):
                rows = conn.execute(
                    select(xref).where(
                        and_(
                            xref.c.tenant == tenant,
                            xref.c.partner == partner,
                            xref.c.kind == kind,
                            column.in_(keys[i : i + IN_CHUNK]),
                        )
                    )
                )
                found.extend(_entry(r) for r in rows)
            return found

        out: dict[str, XrefEntry] = {}
        for entry in newest_first(await self._run(query)):
            key = entry.value_of(field)
            if key is not None:
                out.setdefault(key, entry)
        return out

    async def list(
        self, tenant: str, partner: str | None = None, kind: str | None = None, limit: int = 100
    ) -> builtins.list[XrefEntry]:
        conditions = [xref.c.tenant == tenant]
        if partner is not None:
            conditions.append(xref.c.partner == partner)
        if kind is not None:
            conditions.append(xref.c.kind == kind)

        def query(conn: Connection) -> builtins.list[XrefEntry]:
            rows = conn.execute(
                select(xref)
                .where(and_(*conditions))
                .order_by(xref.c.partner, xref.c.kind, xref.c.partner_value)
                .limit(limit)
            )
            return [_entry(r) for r in rows]

        return await self._run(query)

    async def delete(self, tenant: str, partner: str, kind: str, partner_value: str) -> bool:
        def remove(conn: Connection) -> bool:
            result = conn.execute(
                delete(xref).where(
                    and_(
                        xref.c.tenant == tenant,
                        xref.c.partner == partner,
                        xref.c.kind == kind,
                        xref.c.partner_value == partner_value,
                    )
                )
            )
            return bool(result.rowcount)

        return await self._run(remove, write=True)
