"""The SQL store on SQLite and PostgreSQL: migrations, durability settings, append-only history."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import insert, select, text, update
from sqlalchemy.exc import DBAPIError

from tradelane.store.engine import make_engine, upgrade
from tradelane.store.tables import history, metadata


def test_migrations_match_the_tables(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    upgrade(engine)  # idempotent
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), metadata)
    engine.dispose()
    assert diff == []


def test_sqlite_runs_wal_with_full_sync(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
    engine.dispose()


def test_history_is_append_only(db_url: str) -> None:
    from datetime import UTC, datetime

    engine = make_engine(db_url)
    upgrade(engine)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(
            insert(history).values(
                tenant="t", aggregate="SHP-1", hub_id="evt_1", kind="received", type="x", recorded_at=now
            )
        )
    with pytest.raises(DBAPIError, match="append-only"):
        with engine.begin() as conn:
            conn.execute(update(history).values(kind="tampered"))
    with pytest.raises(DBAPIError, match="append-only"):
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM history"))
    with engine.connect() as conn:
        assert conn.execute(select(history.c.kind)).scalars().all() == ["received"]
    engine.dispose()
