"""Delivery engine: per-destination rate limits shared by every worker — one token bucket row per endpoint
(``endpoint_rates``), taken from atomically (row lock on PostgreSQL, the single writer on SQLite).

Revision ID: 0009_delivery_rate
Revises: 0008_security
"""

import sqlalchemy as sa
from alembic import op

from tradelane.store.tables import UtcDateTime

revision = "0009_delivery_rate"
down_revision = "0008_security"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "endpoint_rates",
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("tokens", sa.Float(), nullable=False),
        sa.Column("refilled_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_endpoint_rates"),
    )


def downgrade() -> None:
    op.drop_table("endpoint_rates")
