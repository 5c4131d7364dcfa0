"""Delivery engine: the W3C ``traceparent`` of the ingest that planned each delivery, so that a worker in
another process (distributed mode) continues the event's trace.

Revision ID: 0005_delivery_trace
Revises: 0004_partners
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_delivery_trace"
down_revision = "0004_partners"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("traceparent", sa.String(55)))


def downgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("traceparent")
