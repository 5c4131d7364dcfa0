"""SQL read queries of the control tower (:class:`tradelane.ports.reads.ChartReads`), mixed into
:class:`tradelane.store.sql.SqlStore`.

The bucket of a row is computed by the database from the seconds between ``since`` and the row's timestamp
(SQLite: ``julianday`` differences; PostgreSQL: ``extract(epoch …)``), so events are counted with one
``GROUP BY`` over the ``received_at`` index and never materialised. Latency percentiles need the values:
only ``(bucket, seconds)`` pairs of done deliveries are read.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Float, Integer, String, cast, func, literal, select
from sqlalchemy.engine import Connection, Engine

from tradelane.store.tables import deliveries, events

__all__ = ["WebReadsMixin"]

T = TypeVar("T")


def _sqlite_epoch(ts: Any) -> Any:
    """SQL for a stored SQLite timestamp (``YYYY-MM-DD HH:MM:SS.ffffff``, naive UTC) as epoch seconds, exact
    to the microsecond: SQLite's date functions keep only milliseconds and ``julianday`` differences are off
    by tens of microseconds, enough to put a row into the neighbouring bucket of a narrow chart."""
    whole = cast(func.strftime("%s", func.substr(ts, 1, 19)), Integer)
    fraction = cast(literal("0.", String).op("||")(func.substr(ts, 21)), Float)  # '0.' alone casts to 0.0
    return whole + fraction


def _seconds(dialect: str, later: Any, earlier: Any) -> Any:
    """SQL for the seconds from ``earlier`` to ``later`` (both UTC timestamps)."""
    if dialect == "sqlite":
        return _sqlite_epoch(later) - _sqlite_epoch(earlier)
    return func.extract("epoch", later - earlier)


def _naive(at: datetime, dialect: str) -> Any:
    # SQLite stores UTC timestamps naive (tables.UtcDateTime); compare like with like
    from datetime import UTC

    at = at.astimezone(UTC)
    naive = at.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")  # the stored text's shape
    return literal(naive) if dialect == "sqlite" else literal(at)


class WebReadsMixin:
    """Aggregate reads for the charts; needs the host's ``engine`` and ``_read``."""

    engine: Engine
    _read: Callable[..., Any]

    async def events_per_bucket(self, since: datetime, width_s: float, n: int) -> list[int]:
        dialect = self.engine.dialect.name
        start = _naive(since, dialect)
        bucket = cast(_seconds(dialect, events.c.received_at, start) / width_s, Integer)
        if dialect != "sqlite":
            bucket = cast(func.floor(_seconds(dialect, events.c.received_at, start) / width_s), Integer)
        stmt = (select(bucket.label("b"), func.count().label("n"))
                .where(events.c.received_at >= since).group_by("b"))

        def run(conn: Connection) -> list[int]:
            out = [0] * n
            for b, count in conn.execute(stmt):
                if b is not None and 0 <= int(b) < n:
                    out[int(b)] += int(count)
            return out

        result: list[int] = await self._read(run)
        return result

    async def done_latencies_per_bucket(self, since: datetime, width_s: float, n: int) -> list[list[float]]:
        dialect = self.engine.dialect.name
        d = deliveries
        start = _naive(since, dialect)
        bucket = cast(_seconds(dialect, d.c.completed_at, start) / width_s, Integer)
        if dialect != "sqlite":
            bucket = cast(func.floor(_seconds(dialect, d.c.completed_at, start) / width_s), Integer)
        latency = cast(_seconds(dialect, d.c.completed_at, d.c.created_at), Float)
        stmt = select(bucket, latency).where(d.c.status == "done", d.c.completed_at >= since)

        def run(conn: Connection) -> list[list[float]]:
            out: list[list[float]] = [[] for _ in range(n)]
            for b, secs in conn.execute(stmt):
                if b is not None and 0 <= int(b) < n:
                    out[int(b)].append(max(0.0, float(secs or 0.0)))
            return out

        result: list[list[float]] = await self._read(run)
        return result
