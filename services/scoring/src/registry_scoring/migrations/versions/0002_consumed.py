"""processed events and forgotten artifacts (registry_common.consumed)

Revision ID: 0002
Revises: 0001
"""

from alembic import op

from registry_common.consumed import create_tables, drop_tables

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_tables(op, "scoring")


def downgrade() -> None:
    drop_tables(op, "scoring")
