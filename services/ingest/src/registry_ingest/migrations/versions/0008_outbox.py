"""the transactional outbox (registry_common.outbox)

Revision ID: 0008
Revises: 0007
"""

from alembic import op

from registry_common.outbox import create_table, drop_table

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_table(op, "ingest")


def downgrade() -> None:
    drop_table(op, "ingest")
