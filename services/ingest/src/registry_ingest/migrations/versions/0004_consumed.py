"""processed events and forgotten artifacts (registry_common.consumed)

Revision ID: 0004
Revises: 0003
"""

from alembic import op

from registry_common.consumed import create_tables, drop_tables

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_tables(op, "ingest")


def downgrade() -> None:
    drop_tables(op, "ingest")
