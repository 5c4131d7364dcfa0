"""Delivery engine and governance: outbox deliveries, attempts, endpoint state, notifications, audit log,
cross references, scheduled job runs.

Revision ID: 0002_delivery
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from tradelane.store.tables import UtcDateTime

revision = "0002_delivery"
down_revision = "0001"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "deliveries",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("tenant", sa.String(100), nullable=False),
        sa.Column("hub_id", sa.String(40), nullable=False),
        sa.Column("event_seq", sa.BigInteger(), nullable=False),
        sa.Column("event_type", sa.String(200), nullable=False),
        sa.Column("route", sa.String(100), nullable=False),
        sa.Column("destination", sa.String(200), nullable=False),
        sa.Column("lane", sa.String(20), nullable=False),
        sa.Column("partition_key", sa.String(200)),
        sa.Column("ordered", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UtcDateTime(), nullable=False),
        sa.Column("lease_owner", sa.String(100)),
        sa.Column("lease_until", UtcDateTime()),
        sa.Column("fence", sa.BigInteger(), nullable=False),
        sa.Column("last_status", sa.Integer()),
        sa.Column("last_error", sa.String(1000)),
        sa.Column("error_class", sa.String(40)),
        sa.Column("filter_reason", sa.String(300)),
        sa.Column("replays", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("completed_at", UtcDateTime()),
        sa.PrimaryKeyConstraint("id", name="pk_deliveries"),
    )
    op.create_index(
        "ix_deliveries_status_lane_next_attempt_at", "deliveries", ["status", "lane", "next_attempt_at"]
    )
    op.create_index(
        "ix_deliveries_destination_partition_key_event_seq",
        "deliveries",
        ["destination", "partition_key", "event_seq"],
    )
    op.create_index("ix_deliveries_hub_id", "deliveries", ["hub_id"])
    op.create_index("ix_deliveries_status_updated_at", "deliveries", ["status", "updated_at"])
    op.create_table(
        "delivery_attempts",
        sa.Column("seq", BigId, autoincrement=True, nullable=False),
        sa.Column("delivery_id", sa.String(40), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("fence", sa.BigInteger(), nullable=False),
        sa.Column("worker", sa.String(100), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("status_code", sa.Integer()),
        sa.Column("error_class", sa.String(40)),
        sa.Column("detail", sa.String(1000)),
        sa.Column("response_excerpt", sa.String(1000)),
        sa.Column("started_at", UtcDateTime(), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_delivery_attempts"),
    )
    op.create_index("ix_delivery_attempts_delivery_id_seq", "delivery_attempts", ["delivery_id", "seq"])
    op.create_table(
        "endpoints",
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("breaker", sa.String(12), nullable=False),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("opened_at", UtcDateTime()),
        sa.Column("half_open_probe_at", UtcDateTime()),
        sa.Column("failing_since", UtcDateTime()),
        sa.Column("disabled_at", UtcDateTime()),
        sa.Column("disabled_reason", sa.String(500)),
        sa.Column("last_success_at", UtcDateTime()),
        sa.Column("last_failure_at", UtcDateTime()),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_endpoints"),
    )
    op.create_table(
        "notifications",
        sa.Column("seq", BigId, autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("message", sa.String(1000), nullable=False),
        sa.Column("tenant", sa.String(100)),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("acknowledged_at", UtcDateTime()),
        sa.PrimaryKeyConstraint("seq", name="pk_notifications"),
    )
    op.create_index("ix_notifications_created_at", "notifications", ["created_at"])
    op.create_table(
        "audit_log",
        sa.Column("seq", BigId, autoincrement=True, nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("tenant", sa.String(100)),
        sa.Column("action", sa.String(100), nullable=False),
        sa.Column("target", sa.String(300)),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_audit_log"),
        sa.UniqueConstraint("hash", name="uq_audit_log_hash"),
    )
    op.create_table(
        "xref",
        sa.Column("tenant", sa.String(100), nullable=False),
        sa.Column("partner", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("partner_value", sa.String(200), nullable=False),
        sa.Column("canonical_id", sa.String(200), nullable=False),
        sa.Column("odoo_id", sa.BigInteger()),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("tenant", "partner", "kind", "partner_value", name="pk_xref"),
    )
    op.create_index("ix_xref_tenant_kind_canonical_id", "xref", ["tenant", "kind", "canonical_id"])
    op.create_table(
        "job_runs",
        sa.Column("job", sa.String(100), nullable=False),
        sa.Column("fire_time", UtcDateTime(), nullable=False),
        sa.Column("owner", sa.String(100), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("detail", sa.JSON()),
        sa.Column("started_at", UtcDateTime(), nullable=False),
        sa.Column("finished_at", UtcDateTime()),
        sa.PrimaryKeyConstraint("job", "fire_time", name="pk_job_runs"),
    )
    _append_only("audit_log")


def _append_only(table: str) -> None:
    """Refuse UPDATE and DELETE on ``table`` at the database level (same as 0001's)."""
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
            )
    elif bind.dialect.name == "postgresql":
        op.execute(
            f"CREATE OR REPLACE FUNCTION {table}_append_only() RETURNS trigger AS $$ "
            f"BEGIN RAISE EXCEPTION '{table} is append-only'; END; $$ LANGUAGE plpgsql"
        )
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {table}_append_only()"
        )


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
    for table in ("job_runs", "xref", "audit_log", "notifications", "endpoints", "delivery_attempts", "deliveries"):
        op.drop_table(table)
