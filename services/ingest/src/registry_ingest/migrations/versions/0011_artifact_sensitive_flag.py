"""the artifact row's copy of the sensitive flag (downloads read no monitor row otherwise)

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ingest_artifacts") as batch:
        batch.add_column(
            sa.Column("sensitive", sa.Boolean, nullable=False, server_default=sa.false())
        )
    op.execute(
        "UPDATE ingest_artifacts SET sensitive = TRUE WHERE id IN "
        "(SELECT artifact_id FROM ingest_monitors WHERE sensitive)"
    )


def downgrade() -> None:
    with op.batch_alter_table("ingest_artifacts") as batch:
        batch.drop_column("sensitive")
