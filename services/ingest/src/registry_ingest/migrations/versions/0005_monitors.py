"""sensitive models: monitors and download history (R18, R19)

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "ingest_monitors",
        sa.Column("artifact_id", sa.String(64), primary_key=True),
        sa.Column("sensitive", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("program", sa.Text, nullable=True),
        sa.Column("updated_by", sa.String(255), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "ingest_download_history",
        sa.Column("seq", SEQ, primary_key=True, autoincrement=True),
        sa.Column("artifact_id", sa.String(64), nullable=False),
        sa.Column("user_name", sa.String(255), nullable=False),
        sa.Column("part", sa.String(16), nullable=False),
        sa.Column("client", sa.String(255), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("verdict", sa.String(16), nullable=False),
        sa.Column("monitored", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("exit_code", sa.Integer, nullable=True),
        sa.Column("output", sa.Text, nullable=False, server_default=""),
        sa.Column("message", sa.Text, nullable=False, server_default=""),
        sa.Column("duration", sa.Float, nullable=True),
    )
    op.create_index(
        "ix_ingest_download_history_artifact_seq",
        "ingest_download_history",
        ["artifact_id", "seq"],
    )


def downgrade() -> None:
    op.drop_index("ix_ingest_download_history_artifact_seq", "ingest_download_history")
    op.drop_table("ingest_download_history")
    op.drop_table("ingest_monitors")
