"""atomic group requests (R25) and their commands

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ingest_groups",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("owner", sa.String(255), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("executed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failed_position", sa.Integer, nullable=True),
        sa.Column("failure_status", sa.Integer, nullable=True),
        sa.Column("failure", sa.Text, nullable=True),
    )
    op.create_index("ix_ingest_groups_owner", "ingest_groups", ["owner"])
    op.create_table(
        "ingest_group_commands",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("group_id", sa.String(64), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("op", sa.String(16), nullable=False),
        sa.Column("artifact_type", sa.String(16), nullable=False),
        sa.Column("artifact_id", sa.String(64), nullable=True),
        sa.Column("name", sa.String(512), nullable=True),
        sa.Column("url", sa.Text, nullable=True),
        sa.Column("version", sa.String(128), nullable=True),
        sa.Column("upload_key", sa.String(255), nullable=True),
        sa.Column("filename", sa.String(255), nullable=True),
    )
    op.create_index(
        "ix_ingest_group_commands_group_position",
        "ingest_group_commands",
        ["group_id", "position"],
    )


def downgrade() -> None:
    op.drop_table("ingest_group_commands")
    op.drop_table("ingest_groups")
