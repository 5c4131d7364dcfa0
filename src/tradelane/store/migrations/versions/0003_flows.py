"""Flow runtime: exceptions and their history, projector cursors, SLA timers, ownership conflicts.

Revision ID: 0003_flows
Revises: 0002_delivery
"""

import sqlalchemy as sa
from alembic import op

from tradelane.store.tables import UtcDateTime

revision = "0003_flows"
down_revision = "0002_delivery"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "exceptions",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("tenant", sa.String(100), nullable=False),
        sa.Column("type", sa.String(60), nullable=False),
        sa.Column("severity", sa.String(10), nullable=False),
        sa.Column("status", sa.String(14), nullable=False),
        sa.Column("entity_kind", sa.String(40), nullable=False),
        sa.Column("entity_id", sa.String(200), nullable=False),
        sa.Column("owner_team", sa.String(100), nullable=False),
        sa.Column("summary", sa.String(300), nullable=False),
        sa.Column("detail", sa.String(2000)),
        sa.Column("flow", sa.String(100)),
        sa.Column("dedupe_key", sa.String(300)),
        sa.Column("open_key", sa.String(420)),
        sa.Column("links", sa.JSON(), nullable=False),
        sa.Column("opened_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("acknowledged_at", UtcDateTime()),
        sa.Column("resolved_at", UtcDateTime()),
        sa.Column("resolution", sa.String(2000)),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("mirror_state", sa.String(14)),
        sa.Column("mirror_due_at", UtcDateTime()),
        sa.Column("mirror_attempts", sa.Integer(), nullable=False),
        sa.Column("mirror_error", sa.String(500)),
        sa.Column("mirror_ref", sa.String(100)),
        sa.PrimaryKeyConstraint("id", name="pk_exceptions"),
        sa.UniqueConstraint("open_key", name="uq_exceptions_open_key"),
    )
    op.create_index("ix_exceptions_tenant_status_opened_at", "exceptions", ["tenant", "status", "opened_at"])
    op.create_index("ix_exceptions_entity_kind_entity_id", "exceptions", ["entity_kind", "entity_id"])
    op.create_index("ix_exceptions_mirror_due_at", "exceptions", ["mirror_due_at"])
    op.create_table(
        "exception_history",
        sa.Column("seq", BigId, autoincrement=True, nullable=False),
        sa.Column("exception_id", sa.String(40), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("action", sa.String(30), nullable=False),
        sa.Column("from_status", sa.String(14)),
        sa.Column("to_status", sa.String(14)),
        sa.Column("note", sa.String(2000)),
        sa.PrimaryKeyConstraint("seq", name="pk_exception_history"),
    )
    op.create_index("ix_exception_history_exception_id_seq", "exception_history", ["exception_id", "seq"])
    op.create_table(
        "flow_cursors",
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_flow_cursors"),
    )
    op.create_table(
        "sla_timers",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("tenant", sa.String(100), nullable=False),
        sa.Column("flow", sa.String(100), nullable=False),
        sa.Column("sla", sa.String(100), nullable=False),
        sa.Column("key", sa.String(300), nullable=False),
        sa.Column("entity_kind", sa.String(40), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("severity", sa.String(10), nullable=False),
        sa.Column("owner_team", sa.String(100), nullable=False),
        sa.Column("started_at", UtcDateTime()),
        sa.Column("due_at", UtcDateTime()),
        sa.Column("stopped_at", UtcDateTime()),
        sa.Column("breached_at", UtcDateTime()),
        sa.Column("start_hub_id", sa.String(40)),
        sa.Column("stop_hub_id", sa.String(40)),
        sa.Column("correlation_id", sa.String(200)),
        sa.Column("exception_id", sa.String(40)),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sla_timers"),
        sa.UniqueConstraint("tenant", "flow", "sla", "key", name="uq_sla_timers_tenant_flow_sla_key"),
    )
    op.create_index("ix_sla_timers_status_due_at", "sla_timers", ["status", "due_at"])
    op.create_table(
        "conflicts",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("tenant", sa.String(100), nullable=False),
        sa.Column("entity_kind", sa.String(40), nullable=False),
        sa.Column("entity_id", sa.String(200), nullable=False),
        sa.Column("field", sa.String(500), nullable=False),
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("owners", sa.JSON(), nullable=False),
        sa.Column("current", sa.JSON()),
        sa.Column("proposed", sa.JSON()),
        sa.Column("event_id", sa.String(40)),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("decided_by", sa.String(200)),
        sa.Column("decided_at", UtcDateTime()),
        sa.Column("note", sa.String(2000)),
        sa.Column("dedupe_key", sa.String(64), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_conflicts"),
        sa.UniqueConstraint("dedupe_key", name="uq_conflicts_dedupe_key"),
    )
    op.create_index("ix_conflicts_tenant_status_created_at", "conflicts", ["tenant", "status", "created_at"])
    op.create_index("ix_conflicts_entity_kind_entity_id", "conflicts", ["entity_kind", "entity_id"])


def downgrade() -> None:
    for table in ("conflicts", "sla_timers", "flow_cursors", "exception_history", "exceptions"):
        op.drop_table(table)
