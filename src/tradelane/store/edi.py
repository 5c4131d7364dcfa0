"""SQL implementation of :class:`tradelane.edi.tracking.EdiStore` (SQLite and PostgreSQL).

Tables ``edi_outbound`` and ``edi_counters`` (migration ``0007_edi``). Each method is one transaction on its
own connection (``BEGIN IMMEDIATE`` on SQLite, so the counter never hands out a number twice; on PostgreSQL
the counter row's ``UPDATE`` lock serialises concurrent workers). Built by :mod:`tradelane.bootstrap` on the
hub's engine.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import and_, insert, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError

from tradelane.core.errors import TransientError
from tradelane.core.ids import new_id
from tradelane.edi.tracking import AckMatch, OutboundRecord, Reservation, match_key
from tradelane.store.engine import WRITE
from tradelane.store.tables import edi_counters, edi_inbound, edi_outbound

__all__ = ["MAX_CONTROL_NUMBER", "SqlEdiStore"]

T = TypeVar("T")

#: X12 interchange control numbers have nine digits; the counter wraps to 1 after this
MAX_CONTROL_NUMBER = 999_999_999


def _record(row: Any) -> OutboundRecord:
    return OutboundRecord(
        id=row.id,
        tenant=row.tenant,
        partner=row.partner,
        control_number=row.control_number,
        number=int(row.match_key),
        doc_type=row.doc_type,
        delivery_id=row.delivery_id,
        file_name=row.file_name,
        refs=tuple(row.refs or ()),
        created_at=row.created_at,
        sent_at=row.sent_at,
        ack_due_at=row.ack_due_at,
        acked_at=row.acked_at,
        ack_kind=row.ack_kind,
        ack_accepted=row.ack_accepted,
        exception_id=row.exception_id,
    )


def _take_number(conn: Connection, partner: str, now: datetime) -> int:
    row = conn.execute(
        select(edi_counters.c.next_number).where(edi_counters.c.partner == partner).with_for_update()
    ).first()
    if row is None:
        conn.execute(insert(edi_counters).values(partner=partner, next_number=2, updated_at=now))
        return 1
    current = int(row.next_number)
    following = current + 1 if current < MAX_CONTROL_NUMBER else 1
    conn.execute(
        update(edi_counters)
        .where(edi_counters.c.partner == partner)
        .values(next_number=following, updated_at=now)
    )
    return current


class SqlEdiStore:
    """EDI bookkeeping in the hub's database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    async def _run(self, fn: Callable[[Connection], T], *, write: bool = False) -> T:
        def run() -> T:
            conn = self.engine.connect()
            if write:
                conn = conn.execution_options(**WRITE)
            with conn, conn.begin():
                return fn(conn)

        try:
            try:
                return await asyncio.to_thread(run)
            except IntegrityError:
                if not write:
                    raise
                # two hubs created the same counter row (or reserved for one delivery) at once: the retry
                # sees the winner's row
                return await asyncio.to_thread(run)
        except (OperationalError, InterfaceError) as exc:  # the database is away or locked: retry later
            raise TransientError(f"EDI store: {type(exc).__name__}: {exc}"[:300]) from exc

    async def next_control_number(self, partner: str, now: datetime) -> int:
        return await self._run(lambda c: _take_number(c, partner, now), write=True)

    async def reserve_outbound(self, reservation: Reservation, now: datetime) -> OutboundRecord:
        r = reservation

        def tx(conn: Connection) -> OutboundRecord:
            if r.delivery_id is not None:
                prior = conn.execute(
                    select(edi_outbound).where(edi_outbound.c.delivery_id == r.delivery_id)
                ).first()
                if prior is not None:
                    return _record(prior)
            number = _take_number(conn, r.partner, now)
            control = str(number).zfill(r.width)
            row = {
                "id": new_id("edo"),
                "tenant": r.tenant,
                "partner": r.partner,
                "control_number": control,
                "match_key": match_key(control),
                "doc_type": r.doc_type,
                "delivery_id": r.delivery_id,
                "file_name": f"{r.doc_type.lower()}-{number:09d}{r.extension}",
                "refs": list(r.refs),
                "created_at": now,
            }
            # a number that wrapped round onto an old, finished interchange replaces that record
            conn.execute(
                edi_outbound.delete().where(
                    and_(edi_outbound.c.partner == r.partner, edi_outbound.c.match_key == row["match_key"])
                )
            )
            conn.execute(insert(edi_outbound).values(**row))
            return _record(conn.execute(select(edi_outbound).where(edi_outbound.c.id == row["id"])).one())

        return await self._run(tx, write=True)

    async def mark_sent(self, record_id: str, sent_at: datetime, ack_due_at: datetime | None) -> None:
        await self._run(
            lambda c: c.execute(
                update(edi_outbound)
                .where(and_(edi_outbound.c.id == record_id, edi_outbound.c.sent_at.is_(None)))
                .values(sent_at=sent_at, ack_due_at=ack_due_at)
            ),
            write=True,
        )

    async def acknowledge(
        self, partner: str, acks: Sequence[AckMatch], now: datetime
    ) -> list[OutboundRecord]:
        def tx(conn: Connection) -> list[OutboundRecord]:
            out: list[OutboundRecord] = []
            for ack in acks:
                where = and_(
                    edi_outbound.c.partner == partner,
                    edi_outbound.c.match_key == ack.key,
                    edi_outbound.c.acked_at.is_(None),
                )
                rows = conn.execute(select(edi_outbound).where(where)).all()
                if not rows:
                    continue
                conn.execute(
                    update(edi_outbound)
                    .where(where)
                    .values(acked_at=now, ack_kind=ack.kind, ack_accepted=ack.accepted)
                )
                out += [_acked(_record(r), now, ack) for r in rows]
            return out

        return await self._run(tx, write=True)

    async def due_unacknowledged(self, now: datetime, limit: int) -> list[OutboundRecord]:
        def q(conn: Connection) -> list[OutboundRecord]:
            rows = conn.execute(
                select(edi_outbound)
                .where(
                    and_(
                        edi_outbound.c.acked_at.is_(None),
                        edi_outbound.c.exception_id.is_(None),
                        edi_outbound.c.ack_due_at.is_not(None),
                        edi_outbound.c.ack_due_at <= now,
                    )
                )
                .order_by(edi_outbound.c.ack_due_at)
                .limit(limit)
            )
            return [_record(r) for r in rows]

        return await self._run(q)

    async def set_exception(self, record_id: str, exception_id: str) -> bool:
        def tx(conn: Connection) -> bool:
            done = conn.execute(
                update(edi_outbound)
                .where(and_(edi_outbound.c.id == record_id, edi_outbound.c.acked_at.is_(None)))
                .values(exception_id=exception_id)
            )
            return bool(done.rowcount)

        return await self._run(tx, write=True)

    async def list_outbound(self, partner: str | None = None, limit: int = 100) -> list[OutboundRecord]:
        def q(conn: Connection) -> list[OutboundRecord]:
            stmt = select(edi_outbound)
            if partner is not None:
                stmt = stmt.where(edi_outbound.c.partner == partner)
            rows = conn.execute(stmt.order_by(edi_outbound.c.created_at.desc()).limit(limit))
            return [_record(r) for r in rows]

        return await self._run(q)

    async def received_digest(self, tenant: str, partner: str, control_number: str) -> str | None:
        def q(conn: Connection) -> str | None:
            row = conn.execute(
                select(edi_inbound.c.sha256).where(
                    and_(
                        edi_inbound.c.tenant == tenant,
                        edi_inbound.c.partner == partner,
                        edi_inbound.c.control_number == control_number,
                    )
                )
            ).first()
            return None if row is None else str(row.sha256)

        return await self._run(q)

    async def record_received(
        self,
        tenant: str,
        partner: str,
        control_number: str,
        *,
        digest: str,
        status: str,
        events: int,
        now: datetime,
    ) -> None:
        def tx(conn: Connection) -> None:
            known = conn.execute(
                select(edi_inbound.c.sha256).where(
                    and_(
                        edi_inbound.c.tenant == tenant,
                        edi_inbound.c.partner == partner,
                        edi_inbound.c.control_number == control_number,
                    )
                )
            ).first()
            if known is None:
                conn.execute(
                    insert(edi_inbound).values(
                        tenant=tenant,
                        partner=partner,
                        control_number=control_number,
                        sha256=digest,
                        status=status,
                        events=events,
                        received_at=now,
                    )
                )

        await self._run(tx, write=True)


def _acked(record: OutboundRecord, now: datetime, ack: AckMatch) -> OutboundRecord:
    return replace(record, acked_at=now, ack_kind=ack.kind, ack_accepted=ack.accepted)
