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
* ``deliveries`` – the transactional outbox: one row per (event, route) written in the same transaction as the
  event. Its status is the delivery's whole life: ``pending`` → ``done`` | ``dead`` (the DLQ is a status), or
  ``filtered`` (the route's filter said no; ``filter_reason`` says why). Workers claim rows with a lease and a
  fencing token (``fence``): a result reported with an older token is rejected.
* ``delivery_attempts`` – one row per attempt (status, response excerpt, duration) and per replay.
* ``endpoints`` – runtime state of each destination: the circuit breaker (compare-and-set on ``version``),
  disabled flag and reason. Shared by every worker, survives restarts.
* ``notifications`` – things a person must hear about (breaker opened, endpoint disabled, …).
* ``audit_log`` – append-only, hash-chained record of security-relevant actions.
* ``secrets``   – named secrets encrypted at rest (AES-256-GCM, key from env or a secret file), never plaintext.
* ``xref``      – cross references partner value ↔ canonical id ↔ Odoo id, per tenant, partner and kind.
* ``job_runs``  – one row per (scheduled job, fire time) so a batch runs once across instances.
* ``exceptions`` – operational exceptions (open → acknowledged → resolved). ``open_key`` is the tenant's dedupe
  key while the exception is not resolved and NULL afterwards; it is unique, so one breach is never open twice.
  ``mirror_due_at`` is the exception's own outbox to Odoo: set when its status changes, cleared once mirrored.
* ``exception_history`` – who did what to an exception, when, with which note.
* ``flow_cursors`` – persisted positions of projectors that tail ``events`` by ``seq``.
* ``sla_timers`` – one row per (tenant, flow, SLA, key): armed by a start event, met by a stop event, breached
  by the due scan. The row carries severity and owner so a breach needs no configuration lookup.
* ``conflicts`` – changes proposed by a system that does not own the field (system-of-record matrix), waiting
  for a person to accept or reject them; ``dedupe_key`` makes recording one idempotent.
* ``aggregates`` – per partition key (a canonical id; hub-wide, ``tenant`` is ``*``) the state the stale-event
  rules compare an incoming event with (``tradelane.routing.staleness``) and the document the system-of-record
  matrix holds (``tradelane.routing.ownership``), updated in the transaction that stores the event.
* ``alert_state`` – per alert fingerprint whether it fires, since when, and when each channel was last told, so
  the alert engine (``tradelane.observability.alerts``) re-sends nothing after a restart.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

__all__ = [
    "UtcDateTime",
    "aggregates",
    "alert_state",
    "api_keys",
    "audit_log",
    "conflicts",
    "deliveries",
    "delivery_attempts",
    "edi_counters",
    "edi_inbound",
    "edi_outbound",
    "endpoints",
    "events",
    "exception_history",
    "exceptions",
    "flow_cursors",
    "history",
    "idempotency_keys",
    "inbox",
    "job_runs",
    "metadata",
    "notifications",
    "secrets",
    "sla_timers",
    "xref",
]

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
    #: the partner mapping that produced the event (``partner@version``) and its file digest (0004)
    Column("mapping", String(200)),
    Column("mapping_digest", String(16)),
    #: ``late:<reason>`` for an event kept in the history that did not change its aggregate (0004)
    Column("staleness", String(40)),
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

deliveries = Table(
    "deliveries",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("tenant", String(100), nullable=False),
    Column("hub_id", String(40), nullable=False),
    Column("event_seq", BigInteger(), nullable=False),
    Column("event_type", String(200), nullable=False),
    Column("route", String(100), nullable=False),
    Column("destination", String(200), nullable=False),
    Column("lane", String(20), nullable=False),
    Column("partition_key", String(200)),
    Column("ordered", Boolean(), nullable=False),
    Column("status", String(12), nullable=False),
    Column("attempts", Integer(), nullable=False),
    Column("next_attempt_at", UtcDateTime(), nullable=False),
    Column("lease_owner", String(100)),
    Column("lease_until", UtcDateTime()),
    Column("fence", BigInteger(), nullable=False),
    Column("last_status", Integer()),
    Column("last_error", String(1000)),
    Column("error_class", String(40)),
    Column("filter_reason", String(300)),
    Column("replays", Integer(), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("completed_at", UtcDateTime()),
    #: W3C ``traceparent`` of the ingest that planned this delivery (``None`` when tracing was off); the
    #: worker continues the event's trace from it, in whatever process it runs
    Column("traceparent", String(55)),
    Index("ix_deliveries_status_lane_next_attempt_at", "status", "lane", "next_attempt_at"),
    Index("ix_deliveries_destination_partition_key_event_seq", "destination", "partition_key", "event_seq"),
    Index("ix_deliveries_hub_id", "hub_id"),
    Index("ix_deliveries_status_updated_at", "status", "updated_at"),
)

delivery_attempts = Table(
    "delivery_attempts",
    metadata,
    Column("seq", BigId, primary_key=True, autoincrement=True),
    Column("delivery_id", String(40), nullable=False),
    Column("attempt", Integer(), nullable=False),
    Column("fence", BigInteger(), nullable=False),
    Column("worker", String(100), nullable=False),
    Column("outcome", String(20), nullable=False),
    Column("status_code", Integer()),
    Column("error_class", String(40)),
    Column("detail", String(1000)),
    Column("response_excerpt", String(1000)),
    Column("started_at", UtcDateTime(), nullable=False),
    Column("duration_ms", Integer(), nullable=False),
    Index("ix_delivery_attempts_delivery_id_seq", "delivery_id", "seq"),
)

endpoints = Table(
    "endpoints",
    metadata,
    Column("name", String(200), primary_key=True),
    Column("version", BigInteger(), nullable=False),
    Column("breaker", String(12), nullable=False),
    Column("consecutive_failures", Integer(), nullable=False),
    Column("opened_at", UtcDateTime()),
    Column("half_open_probe_at", UtcDateTime()),
    Column("failing_since", UtcDateTime()),
    Column("disabled_at", UtcDateTime()),
    Column("disabled_reason", String(500)),
    Column("last_success_at", UtcDateTime()),
    Column("last_failure_at", UtcDateTime()),
    Column("updated_at", UtcDateTime(), nullable=False),
)

endpoint_rates = Table(  # per-destination token buckets shared by every worker (0009_delivery_rate)
    "endpoint_rates",
    metadata,
    Column("name", String(200), primary_key=True),
    Column("tokens", Float(), nullable=False),
    Column("refilled_at", UtcDateTime(), nullable=False),
)

notifications = Table(
    "notifications",
    metadata,
    Column("seq", BigId, primary_key=True, autoincrement=True),
    Column("kind", String(40), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("message", String(1000), nullable=False),
    Column("tenant", String(100)),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("acknowledged_at", UtcDateTime()),
    Index("ix_notifications_created_at", "created_at"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("seq", BigId, primary_key=True, autoincrement=True),
    Column("at", UtcDateTime(), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("tenant", String(100)),
    Column("action", String(100), nullable=False),
    Column("target", String(300)),
    Column("detail", JSON(), nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    UniqueConstraint("hash"),
)

#: named secrets (webhook signing secrets, partner credentials) sealed with AES-256-GCM
#: (``tradelane.security.secretbox``); ``key_id`` names the key of the ring that sealed ``sealed``
secrets = Table(
    "secrets",
    metadata,
    Column("name", String(200), primary_key=True),
    Column("sealed", String(20000), nullable=False),
    Column("key_id", String(16), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

xref = Table(
    "xref",
    metadata,
    Column("tenant", String(100), primary_key=True),
    Column("partner", String(100), primary_key=True),
    Column("kind", String(40), primary_key=True),
    Column("partner_value", String(200), primary_key=True),
    Column("canonical_id", String(200), nullable=False),
    Column("odoo_id", BigInteger()),
    Column("updated_at", UtcDateTime(), nullable=False),
    Index("ix_xref_tenant_kind_canonical_id", "tenant", "kind", "canonical_id"),
)

job_runs = Table(
    "job_runs",
    metadata,
    Column("job", String(100), primary_key=True),
    Column("fire_time", UtcDateTime(), primary_key=True),
    Column("owner", String(100), nullable=False),
    Column("status", String(12), nullable=False),
    Column("detail", JSON()),
    Column("started_at", UtcDateTime(), nullable=False),
    Column("finished_at", UtcDateTime()),
)

exceptions = Table(
    "exceptions",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("tenant", String(100), nullable=False),
    Column("type", String(60), nullable=False),
    Column("severity", String(10), nullable=False),
    Column("status", String(14), nullable=False),
    Column("entity_kind", String(40), nullable=False),
    Column("entity_id", String(200), nullable=False),
    Column("owner_team", String(100), nullable=False),
    Column("summary", String(300), nullable=False),
    Column("detail", String(2000)),
    Column("flow", String(100)),
    Column("dedupe_key", String(300)),
    Column("open_key", String(420)),
    Column("links", JSON(), nullable=False),
    Column("opened_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("acknowledged_at", UtcDateTime()),
    Column("resolved_at", UtcDateTime()),
    Column("resolution", String(2000)),
    Column("version", Integer(), nullable=False),
    Column("mirror_state", String(14)),
    Column("mirror_due_at", UtcDateTime()),
    Column("mirror_attempts", Integer(), nullable=False),
    Column("mirror_error", String(500)),
    Column("mirror_ref", String(100)),
    UniqueConstraint("open_key"),
    Index("ix_exceptions_tenant_status_opened_at", "tenant", "status", "opened_at"),
    Index("ix_exceptions_entity_kind_entity_id", "entity_kind", "entity_id"),
    Index("ix_exceptions_mirror_due_at", "mirror_due_at"),
)

exception_history = Table(
    "exception_history",
    metadata,
    Column("seq", BigId, primary_key=True, autoincrement=True),
    Column("exception_id", String(40), nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("action", String(30), nullable=False),
    Column("from_status", String(14)),
    Column("to_status", String(14)),
    Column("note", String(2000)),
    Index("ix_exception_history_exception_id_seq", "exception_id", "seq"),
)

flow_cursors = Table(
    "flow_cursors",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("position", BigInteger(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

sla_timers = Table(
    "sla_timers",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("tenant", String(100), nullable=False),
    Column("flow", String(100), nullable=False),
    Column("sla", String(100), nullable=False),
    Column("key", String(300), nullable=False),
    Column("entity_kind", String(40), nullable=False),
    Column("status", String(12), nullable=False),
    Column("severity", String(10), nullable=False),
    Column("owner_team", String(100), nullable=False),
    Column("started_at", UtcDateTime()),
    Column("due_at", UtcDateTime()),
    Column("stopped_at", UtcDateTime()),
    Column("breached_at", UtcDateTime()),
    Column("start_hub_id", String(40)),
    Column("stop_hub_id", String(40)),
    Column("correlation_id", String(200)),
    Column("exception_id", String(40)),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    UniqueConstraint("tenant", "flow", "sla", "key"),
    Index("ix_sla_timers_status_due_at", "status", "due_at"),
)

aggregates = Table(
    "aggregates",
    metadata,
    Column("tenant", String(100), primary_key=True),
    Column("aggregate", String(200), primary_key=True),
    Column("kind", String(40), nullable=False),
    #: the staleness state (status, rank, terminal, last time, sequences per source, recent fingerprints)
    Column("state", JSON(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

conflicts = Table(
    "conflicts",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("tenant", String(100), nullable=False),
    Column("entity_kind", String(40), nullable=False),
    Column("entity_id", String(200), nullable=False),
    Column("field", String(500), nullable=False),
    Column("source", String(100), nullable=False),
    Column("owners", JSON(), nullable=False),
    Column("current", JSON()),
    Column("proposed", JSON()),
    Column("event_id", String(40)),
    Column("status", String(10), nullable=False),
    Column("decided_by", String(200)),
    Column("decided_at", UtcDateTime()),
    Column("note", String(2000)),
    Column("dedupe_key", String(64), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    UniqueConstraint("dedupe_key"),
    Index("ix_conflicts_tenant_status_created_at", "tenant", "status", "created_at"),
    Index("ix_conflicts_entity_kind_entity_id", "entity_kind", "entity_id"),
)

edi_outbound = Table(  # EDI interchanges we sent, awaiting the partner's TA1/997/999/CONTRL (0007_edi)
    "edi_outbound",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("tenant", String(100), nullable=False),
    Column("partner", String(40), nullable=False),
    Column("control_number", String(14), nullable=False),
    #: the control number without leading zeros: what a TA1, 997 (AK102) or CONTRL names
    Column("match_key", String(14), nullable=False),
    Column("doc_type", String(10), nullable=False),
    Column("delivery_id", String(40)),
    Column("file_name", String(255), nullable=False),
    Column("refs", JSON(), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    #: when the file was written to the outbound folder (empty while reserved)
    Column("sent_at", UtcDateTime()),
    Column("ack_due_at", UtcDateTime()),
    Column("acked_at", UtcDateTime()),
    Column("ack_kind", String(8)),
    Column("ack_accepted", Boolean()),
    Column("exception_id", String(40)),
    UniqueConstraint("partner", "match_key"),
    UniqueConstraint("delivery_id"),
    Index("ix_edi_outbound_acked_at_ack_due_at", "acked_at", "ack_due_at"),
)

edi_inbound = Table(  # EDI interchanges received and stored: duplicate detection beyond the claim TTL (0007_edi)
    "edi_inbound",
    metadata,
    Column("tenant", String(100), primary_key=True),
    Column("partner", String(40), primary_key=True),
    Column("control_number", String(14), primary_key=True),
    Column("sha256", String(64), nullable=False),
    Column("status", String(10), nullable=False),
    Column("events", Integer(), nullable=False),
    Column("received_at", UtcDateTime(), nullable=False),
)

edi_counters = Table(  # our next interchange control number per EDI partner (0007_edi)
    "edi_counters",
    metadata,
    Column("partner", String(40), primary_key=True),
    Column("next_number", BigInteger(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

alert_state = Table(  # the alert engine's de-duplication state, so a restart re-sends nothing (0006_web)
    "alert_state",
    metadata,
    Column("fingerprint", String(16), primary_key=True),
    Column("rule", String(200), nullable=False),
    #: the alert as last evaluated: labels, value, severity, summary, detail
    Column("alert", JSON(), nullable=False),
    Column("firing", Boolean(), nullable=False),
    Column("since", UtcDateTime(), nullable=False),
    Column("pending_since", UtcDateTime(), nullable=False),
    #: channel → when the firing notification last went out (ISO 8601)
    Column("sent", JSON(), nullable=False),
    #: channels still owed a "resolved" notification
    Column("owe_resolved", JSON(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)
