"""the transactional outbox (registry_common.outbox)

Revision ID: 0009
Revises: 0008
"""

from alembic import op

from registry_common.outbox import create_table, drop_table

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_table(op, "ingest")


def downgrade() -> None:
    drop_table(op, "ingest")
