"""The alert engine's state in SQL (table ``alert_state``): :class:`SqlAlertStates` implements
:class:`tradelane.ports.alerts.AlertStates` over a :class:`~tradelane.store.sql.SqlStore`'s transactions.

A save replaces rows by fingerprint (delete, then insert, in one transaction: the same on SQLite and
PostgreSQL). Several hub processes evaluating the same rules share the rows; the last writer wins, which at
worst sends a notification once more — never loses a "resolved".
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Connection

from tradelane.ports.alerts import AlertStateRecord
from tradelane.store.sql import SqlStore
from tradelane.store.tables import alert_state

__all__ = ["SqlAlertStates"]


def _iso(at: datetime) -> str:
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).isoformat()


def _parse(value: Any) -> datetime:
    at = datetime.fromisoformat(str(value))
    return at if at.tzinfo else at.replace(tzinfo=UTC)


class SqlAlertStates:
    """Alert state rows in the hub's database."""

    def __init__(self, store: SqlStore) -> None:
        self.store = store

    async def load_alert_states(self) -> list[AlertStateRecord]:
        def run(conn: Connection) -> list[AlertStateRecord]:
            t = alert_state
            return [
                AlertStateRecord(
                    fingerprint=r.fingerprint, rule=r.rule, alert=dict(r.alert or {}), firing=bool(r.firing),
                    since=r.since, pending_since=r.pending_since,
                    sent={str(k): _parse(v) for k, v in (r.sent or {}).items()},
                    owe_resolved=tuple(str(c) for c in (r.owe_resolved or ())),
                )
                for r in conn.execute(select(t).order_by(t.c.fingerprint))
            ]

        return await self.store._read(run)

    async def save_alert_states(
        self, changed: Sequence[AlertStateRecord], removed: Sequence[str], now: datetime
    ) -> None:
        gone = sorted({*removed, *(r.fingerprint for r in changed)})
        if not gone:
            return
        rows = [
            {
                "fingerprint": r.fingerprint, "rule": r.rule[:200], "alert": dict(r.alert), "firing": r.firing,
                "since": r.since, "pending_since": r.pending_since,
                "sent": {ch: _iso(at) for ch, at in sorted(r.sent.items())},
                "owe_resolved": sorted(r.owe_resolved), "updated_at": now,
            }
            for r in changed
        ]

        def run(conn: Connection) -> None:
            conn.execute(delete(alert_state).where(alert_state.c.fingerprint.in_(gone)))
            if rows:
                conn.execute(insert(alert_state), rows)

        await self.store._write(run)
