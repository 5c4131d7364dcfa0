"""The audit log in SQL: append to the hash chain atomically, read it in pages, verify it.

An append reads the last row and inserts the next one in the same write transaction, so concurrent
appenders always form one chain: within a process the store's write lock serialises them; across
processes SQLite's ``BEGIN IMMEDIATE`` holds the database write lock for the whole transaction, and on
PostgreSQL the transaction first takes ``pg_advisory_xact_lock(AUDIT_LOCK_KEY)`` (released at commit).
Should anything slip past, the primary key on ``seq`` and the unique ``hash`` refuse a fork.

:func:`append_audit` is the synchronous building block for code that must record an action in the same
transaction as the action itself; :class:`SqlAuditLog` is the :class:`~tradelane.security.audit.AuditSink`
for everything else. The table is append-only by trigger (migration ``0002_delivery``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select, text
from sqlalchemy.engine import Connection

from tradelane.security.audit import (
    AuditRecord,
    ChainBreak,
    ChainVerifier,
    Checkpoint,
    chain_record,
)
from tradelane.store.sql import SqlStore
from tradelane.store.tables import audit_log

__all__ = ["AUDIT_LOCK_KEY", "AuditVerdict", "SqlAuditLog", "append_audit", "verify_audit"]

#: PostgreSQL advisory lock id serialising audit appends across processes (the bytes ``tl-audit``)
AUDIT_LOCK_KEY = int.from_bytes(b"tl-audit", "big")
#: rows read per query while verifying
VERIFY_PAGE = 1000


@dataclass(frozen=True)
class AuditVerdict:
    """The outcome of verifying the whole log."""

    #: rows checked (up to and including the first bad one)
    rows: int
    #: the first bad or missing row, ``None`` when the chain holds
    broken: ChainBreak | None
    #: the last good row: export it as a checkpoint
    head: Checkpoint | None

    @property
    def ok(self) -> bool:
        return self.broken is None

    @property
    def first_bad_seq(self) -> int | None:
        return self.broken.seq if self.broken else None


def _record(row: Any) -> AuditRecord:
    return AuditRecord(
        seq=int(row.seq),
        at=row.at,
        actor=row.actor,
        tenant=row.tenant,
        action=row.action,
        target=row.target,
        detail=row.detail if row.detail is not None else {},
        prev_hash=row.prev_hash,
        hash=row.hash,
    )


def append_audit(
    conn: Connection,
    *,
    actor: str,
    action: str,
    tenant: str | None = None,
    target: str | None = None,
    detail: Mapping[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditRecord:
    """Append one row inside the caller's write transaction on ``conn``; returns it with its hash."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": AUDIT_LOCK_KEY})
    last = conn.execute(
        select(audit_log.c.seq, audit_log.c.hash).order_by(audit_log.c.seq.desc()).limit(1)
    ).first()
    prev = Checkpoint(int(last.seq), last.hash) if last is not None else None
    rec = chain_record(
        prev,
        at=at or datetime.now(UTC),
        actor=actor,
        action=action,
        tenant=tenant,
        target=target,
        detail=detail,
    )
    conn.execute(
        insert(audit_log).values(
            seq=rec.seq,
            at=rec.at,
            actor=rec.actor,
            tenant=rec.tenant,
            action=rec.action,
            target=rec.target,
            detail=dict(rec.detail),
            prev_hash=rec.prev_hash,
            hash=rec.hash,
        )
    )
    return rec


class SqlAuditLog:
    """The audit chain of one :class:`~tradelane.store.sql.SqlStore`."""

    def __init__(self, store: SqlStore) -> None:
        self.store = store

    async def append(
        self,
        *,
        actor: str,
        action: str,
        tenant: str | None = None,
        target: str | None = None,
        detail: Mapping[str, Any] | None = None,
    ) -> AuditRecord:
        """Append one row in its own transaction (see the module docstring for why it stays a chain)."""
        return await self.store._write(
            lambda c: append_audit(c, actor=actor, action=action, tenant=tenant, target=target, detail=detail)
        )

    async def read(self, after_seq: int = 0, limit: int = VERIFY_PAGE) -> list[AuditRecord]:
        """Rows with ``seq > after_seq``, oldest first, at most ``limit``."""

        def q(c: Connection) -> list[AuditRecord]:
            stmt = select(audit_log).where(audit_log.c.seq > after_seq).order_by(audit_log.c.seq).limit(limit)
            return [_record(r) for r in c.execute(stmt)]

        return await self.store._read(q)

    async def hash_at(self, seq: int) -> str | None:
        def q(c: Connection) -> str | None:
            return c.execute(select(audit_log.c.hash).where(audit_log.c.seq == seq)).scalar_one_or_none()

        return await self.store._read(q)

    async def head(self) -> Checkpoint | None:
        """The newest row as a checkpoint to export (``None`` for an empty log)."""

        def q(c: Connection) -> Checkpoint | None:
            r = c.execute(
                select(audit_log.c.seq, audit_log.c.hash).order_by(audit_log.c.seq.desc()).limit(1)
            ).first()
            return Checkpoint(int(r.seq), r.hash) if r is not None else None

        return await self.store._read(q)

    async def verify(self, checkpoint: Checkpoint | None = None) -> AuditVerdict:
        """Walk the whole chain page by page; stop at the first bad row.

        :param checkpoint: an exported checkpoint the log must still contain unchanged
        """
        verifier = ChainVerifier()
        after = 0
        while verifier.broken is None:
            page = await self.read(after)
            if not page:
                break
            for rec in page:
                if verifier.feed(rec) is not None:
                    break
            after = page[-1].seq
        if verifier.broken is None and checkpoint is not None:
            verifier.check_checkpoint(checkpoint, await self.hash_at(checkpoint.seq))
        return AuditVerdict(rows=verifier.count, broken=verifier.broken, head=verifier.head)


async def verify_audit(store: SqlStore, checkpoint: Checkpoint | None = None) -> AuditVerdict:
    """Verify the audit chain of ``store`` (what ``tradelane audit verify`` runs)."""
    return await SqlAuditLog(store).verify(checkpoint)
