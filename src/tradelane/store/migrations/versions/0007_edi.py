"""EDI: interchanges sent (awaiting acknowledgment) and received (duplicate detection), and our control-number
counter per partner.

Revision ID: 0007_edi
Revises: 0006_web
"""

import sqlalchemy as sa
from alembic import op

from tradelane.store.tables import UtcDateTime

revision = "0007_edi"
down_revision = "0006_web"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "edi_outbound",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("tenant", sa.String(100), nullable=False),
        sa.Column("partner", sa.String(40), nullable=False),
        sa.Column("control_number", sa.String(14), nullable=False),
        sa.Column("match_key", sa.String(14), nullable=False),
        sa.Column("doc_type", sa.String(10), nullable=False),
        sa.Column("delivery_id", sa.String(40)),
        sa.Column("file_name", sa.String(255), nullable=False),
        sa.Column("refs", sa.JSON(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("sent_at", UtcDateTime()),
        sa.Column("ack_due_at", UtcDateTime()),
        sa.Column("acked_at", UtcDateTime()),
        sa.Column("ack_kind", sa.String(8)),
        sa.Column("ack_accepted", sa.Boolean()),
        sa.Column("exception_id", sa.String(40)),
        sa.PrimaryKeyConstraint("id", name="pk_edi_outbound"),
        sa.UniqueConstraint("partner", "match_key", name="uq_edi_outbound_partner_match_key"),
        sa.UniqueConstraint("delivery_id", name="uq_edi_outbound_delivery_id"),
    )
    op.create_index("ix_edi_outbound_acked_at_ack_due_at", "edi_outbound", ["acked_at", "ack_due_at"])
    op.create_table(
        "edi_inbound",
        sa.Column("tenant", sa.String(100), nullable=False),
        sa.Column("partner", sa.String(40), nullable=False),
        sa.Column("control_number", sa.String(14), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("received_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("tenant", "partner", "control_number", name="pk_edi_inbound"),
    )
    op.create_table(
        "edi_counters",
        sa.Column("partner", sa.String(40), nullable=False),
        sa.Column("next_number", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("partner", name="pk_edi_counters"),
    )


def downgrade() -> None:
    op.drop_table("edi_counters")
    op.drop_table("edi_inbound")
    op.drop_index("ix_edi_outbound_acked_at_ack_due_at", table_name="edi_outbound")
    op.drop_table("edi_outbound")
