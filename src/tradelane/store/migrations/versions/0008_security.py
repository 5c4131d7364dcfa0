"""Security: the ``secrets`` table, named secrets encrypted at rest (webhook signing secrets, partner credentials).

Revision ID: 0008_security
Revises: 0007_edi
"""

import sqlalchemy as sa
from alembic import op

from tradelane.store.tables import UtcDateTime

revision = "0008_security"
down_revision = "0007_edi"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "secrets",
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("sealed", sa.String(20000), nullable=False),
        sa.Column("key_id", sa.String(16), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_secrets"),
    )


def downgrade() -> None:
    op.drop_table("secrets")
