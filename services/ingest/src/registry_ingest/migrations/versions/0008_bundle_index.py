"""per-file index into each stored bundle zip (the Hub-compatible read API)

Revision ID: 0008
Revises: 0007

Bundles stored before this revision have no row; the index is built from the blob store on
their first Hub-API request (bundle_index.BundleIndexes.get) and stored then.
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ingest_bundle_index",
        sa.Column("artifact_id", sa.String(64), primary_key=True),
        sa.Column("revision", sa.Integer, primary_key=True),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("entries", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("ingest_bundle_index")
