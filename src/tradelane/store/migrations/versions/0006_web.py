"""Control tower: the alert engine's de-duplication state (``alert_state``), so that a restarted hub does not
send firing alerts again and still sends their "resolved" notification once.

Revision ID: 0006_web
Revises: 0005_delivery_trace
"""

import sqlalchemy as sa
from alembic import op

from tradelane.store.tables import UtcDateTime

revision = "0006_web"
down_revision = "0005_delivery_trace"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alert_state",
        sa.Column("fingerprint", sa.String(16), nullable=False),
        sa.Column("rule", sa.String(200), nullable=False),
        sa.Column("alert", sa.JSON(), nullable=False),
        sa.Column("firing", sa.Boolean(), nullable=False),
        sa.Column("since", UtcDateTime(), nullable=False),
        sa.Column("pending_since", UtcDateTime(), nullable=False),
        sa.Column("sent", sa.JSON(), nullable=False),
        sa.Column("owe_resolved", sa.JSON(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("fingerprint", name="pk_alert_state"),
    )


def downgrade() -> None:
    op.drop_table("alert_state")
