"""Database engines and migrations for SQLite (embedded) and PostgreSQL (distributed).

SQLite runs in WAL mode with ``synchronous=FULL`` (a 2xx is a promise that survives power loss), a busy
timeout, and ``BEGIN IMMEDIATE`` for write transactions so that writers queue instead of failing late.
Engines are synchronous SQLAlchemy engines used from worker threads; see :mod:`tradelane.store.sql`.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import orjson
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, Connection, Engine, make_url

__all__ = ["WRITE", "make_engine", "normalise_url", "register_sqlite_adapters", "upgrade"]

#: execution option that makes a SQLite transaction ``BEGIN IMMEDIATE`` (takes the write lock up front)
WRITE = {"tradelane_write": True}


def normalise_url(url: str) -> URL:
    """Accept ``sqlite:///…``, ``postgresql://…`` or explicit driver URLs; pick our drivers."""
    u = make_url(url)
    if u.drivername in ("postgresql", "postgres", "postgresql+psycopg2", "postgresql+asyncpg"):
        u = u.set(drivername="postgresql+psycopg")
    elif u.drivername in ("sqlite+aiosqlite", "sqlite+pysqlite"):
        u = u.set(drivername="sqlite")
    return u


def _dumps(obj: Any) -> str:
    return orjson.dumps(obj).decode()


#: the adapter of ``None``: ``{}.get(None)`` is ``None``, a C call (a Python function would cost a frame per NULL)
_BIND_NULL: Any = {}.get


def register_sqlite_adapters() -> None:
    """Bind ``None`` and ``bool`` parameters without the sqlite3 module's adaptation protocol.

    CPython's ``sqlite3`` (3.11) binds only exact ``int``/``float``/``str`` directly; any other value, ``None``
    included, is first offered to the adapter registry and then to ``__adapt__``/``__conform__``, two failing
    attribute look-ups that each format an ``AttributeError`` message. An events row has about eight
    ``None`` columns: that was a quarter of the ingest group commit's instructions (callgrind). With an
    adapter registered the look-up ends at the registry; the values bound are the same (NULL, 0/1).
    Process-wide and idempotent.
    """
    sqlite3.register_adapter(type(None), _BIND_NULL)
    sqlite3.register_adapter(bool, int)


def make_engine(url: str, *, busy_timeout_ms: int = 5000, pool_size: int = 10) -> Engine:
    """Create an engine for ``url`` with Tradelane's durability settings."""
    u = normalise_url(url)
    if u.get_backend_name() == "sqlite":
        register_sqlite_adapters()
        if u.database and u.database != ":memory:":
            Path(u.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            u,
            json_serializer=_dumps,
            json_deserializer=orjson.loads,
            connect_args={"check_same_thread": False, "timeout": busy_timeout_ms / 1000},
            pool_size=pool_size,
            max_overflow=pool_size,
        )

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # let SQLAlchemy's begin event issue BEGIN itself
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Connection) -> None:
            if conn.get_execution_options().get("tradelane_write"):
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            else:
                conn.exec_driver_sql("BEGIN")

        return engine
    return create_engine(
        u,
        json_serializer=_dumps,
        json_deserializer=orjson.loads,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
    )


def alembic_config(engine: Engine | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", "tradelane.store:migrations")
    if engine is not None:
        cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply migrations up to ``revision`` (idempotent)."""
    cfg = alembic_config(engine)
    with engine.connect().execution_options(**WRITE) as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
        conn.commit()
