"""ratings

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
        "scoring_ratings",
        sa.Column("artifact_id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(512), nullable=False),
        sa.Column("repo_id", sa.String(512), nullable=True, index=True),
        sa.Column("revision", sa.Integer, nullable=False, server_default="1"),
        sa.Column("rating", sa.JSON, nullable=True),
        sa.Column("net_score", sa.Float, nullable=True),
        sa.Column("parents", sa.JSON, nullable=False),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "scoring_parent_links",
        sa.Column("child_id", sa.String(64), primary_key=True),
        sa.Column("parent_ref", sa.String(512), primary_key=True, index=True),
    )


def downgrade() -> None:
    op.drop_table("scoring_parent_links")
    op.drop_table("scoring_ratings")
