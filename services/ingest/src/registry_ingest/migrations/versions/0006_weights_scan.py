"""unsafe-weights scan verdict per artifact

Revision ID: 0006
Revises: 0005

A nullable JSON column: artifacts stored before scanning existed have no verdict (the API
shows none), and every create or update from now on writes one.
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ingest_artifacts") as batch:
        batch.add_column(sa.Column("weights_scan", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ingest_artifacts") as batch:
        batch.drop_column("weights_scan")
