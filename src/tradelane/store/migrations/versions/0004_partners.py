"""Partner mappings and stale events: the mapping recorded on every event, the staleness verdict of late
events, and the per-aggregate state the staleness rules compare against.

Revision ID: 0004_partners
Revises: 0003_flows

``events`` gains nullable columns only (plain ``ADD COLUMN``, no table rebuild on SQLite, so the
append-only triggers stay in place).
"""

import sqlalchemy as sa
from alembic import op

from tradelane.store.tables import UtcDateTime

revision = "0004_partners"
down_revision = "0003_flows"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("events", sa.Column("mapping", sa.String(200)))
    op.add_column("events", sa.Column("mapping_digest", sa.String(16)))
    op.add_column("events", sa.Column("staleness", sa.String(40)))
    op.create_table(
        "aggregates",
        sa.Column("tenant", sa.String(100), nullable=False),
        sa.Column("aggregate", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("tenant", "aggregate", name="pk_aggregates"),
    )


def downgrade() -> None:
    op.drop_table("aggregates")
    with op.batch_alter_table("events", recreate="never") as batch:
        batch.drop_column("staleness")
        batch.drop_column("mapping_digest")
        batch.drop_column("mapping")
