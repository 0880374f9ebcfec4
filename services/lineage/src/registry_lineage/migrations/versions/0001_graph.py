"""lineage graph

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lineage_artifacts",
        sa.Column("artifact_id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(512), nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("source_url", sa.String(2048), nullable=True),
        sa.Column("content_bytes", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("details", sa.JSON, nullable=False),
    )
    op.create_table(
        "lineage_keys",
        sa.Column("key", sa.String(600), primary_key=True),
        sa.Column("artifact_id", sa.String(64), primary_key=True, index=True),
    )
    op.create_table(
        "lineage_references",
        sa.Column("child_id", sa.String(64), primary_key=True),
        sa.Column("parent_key", sa.String(600), primary_key=True, index=True),
        sa.Column("relationship", sa.String(64), primary_key=True),
        sa.Column("parent_name", sa.String(512), nullable=False),
        sa.Column("parent_kind", sa.String(16), nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("relation", sa.String(32), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("lineage_references")
    op.drop_table("lineage_keys")
    op.drop_table("lineage_artifacts")
