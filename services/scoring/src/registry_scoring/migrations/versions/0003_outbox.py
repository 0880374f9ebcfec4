"""the transactional outbox (registry_common.outbox)

Revision ID: 0003
Revises: 0002
"""

from alembic import op

from registry_common.outbox import create_table, drop_table

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_table(op, "scoring")


def downgrade() -> None:
    drop_table(op, "scoring")
