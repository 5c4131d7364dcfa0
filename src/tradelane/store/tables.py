"""SQLAlchemy Core tables: the single source of the schema (Alembic migrations must match it; a test checks).

* ``inbox``     – one row per accepted raw inbound message that is not itself a canonical event (a webhook
  body, an EDI interchange); ``dedupe_key`` is unique (webhooks: partner+message id, EDI: sender+receiver+
  control number). Events derived from it point at it with ``msg_id``.
* ``events``    – canonical events, append-only (UPDATE and DELETE are refused by triggers); ``dedupe_key``
  is unique (tenant + CloudEvents source + id, or the raw message's key and position); ``hub_id`` is the
  public, non-sequential id, ``seq`` the internal cursor. An API event is its own inbox record, so the hot
  ingest path writes exactly one row per event.
* ``history``   – append-only per-aggregate timeline of what the hub decided (status changes, late events,
  ownership conflicts), written by routing and flows.
* ``idempotency_keys`` – stored responses for the Idempotency-Key header, scoped per credential.
* ``api_keys``  – partner and operator API keys, stored as keyed hashes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

__all__ = ["UtcDateTime", "api_keys", "events", "history", "idempotency_keys", "inbox", "metadata"]

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "pk": "pk_%(table_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    }
)

#: SQLite has no 64-bit autoincrement type of its own; INTEGER PRIMARY KEY is the rowid
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every database (SQLite stores it naive; we re-attach UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


inbox = Table(
    "inbox",
    metadata,
    Column("msg_id", String(40), primary_key=True),
    Column("tenant", String(100), nullable=False),
    Column("channel", String(20), nullable=False),
    Column("dedupe_key", String(600), nullable=False),
    Column("body_hash", String(64), nullable=False),
    Column("received_at", UtcDateTime(), nullable=False),
    UniqueConstraint("dedupe_key"),
)

events = Table(
    "events",
    metadata,
    Column("seq", BigId, primary_key=True, autoincrement=True),
    Column("hub_id", String(40), nullable=False),
    Column("msg_id", String(40)),
    Column("tenant", String(100), nullable=False),
    Column("channel", String(20), nullable=False),
    Column("dedupe_key", String(600), nullable=False),
    Column("body_hash", String(64), nullable=False),
    Column("event_id", String(200), nullable=False),
    Column("source", String(500), nullable=False),
    Column("type", String(200), nullable=False),
    Column("subject", String(500)),
    Column("time", UtcDateTime()),
    Column("partition_key", String(200)),
    Column("sequence", BigInteger()),
    Column("correlation_id", String(200)),
    Column("causation_id", String(200)),
    Column("idempotency_key", String(255)),
    Column("data", JSON(), nullable=False),
    Column("received_at", UtcDateTime(), nullable=False),
    UniqueConstraint("hub_id"),
    UniqueConstraint("dedupe_key"),
    Index("ix_events_tenant_seq", "tenant", "seq"),
    Index("ix_events_correlation_id_seq", "correlation_id", "seq"),
    Index("ix_events_partition_key_seq", "partition_key", "seq"),
    Index("ix_events_type_seq", "type", "seq"),
    Index("ix_events_received_at", "received_at"),
    Index("ix_events_msg_id", "msg_id"),
)

history = Table(
    "history",
    metadata,
    Column("seq", BigId, primary_key=True, autoincrement=True),
    Column("tenant", String(100), nullable=False),
    Column("aggregate", String(200), nullable=False),
    Column("hub_id", String(40), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("type", String(200), nullable=False),
    Column("sequence", BigInteger()),
    Column("time", UtcDateTime()),
    Column("recorded_at", UtcDateTime(), nullable=False),
    Index("ix_history_aggregate_seq", "aggregate", "seq"),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("scope", String(100), primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column("status_code", Integer(), nullable=False),
    Column("response", JSON(), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Index("ix_idempotency_keys_created_at", "created_at"),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("key_id", String(40), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("tenant", String(100)),
    Column("key_hash", String(64), nullable=False),
    Column("scopes", JSON(), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime()),
    Column("revoked_at", UtcDateTime()),
)
