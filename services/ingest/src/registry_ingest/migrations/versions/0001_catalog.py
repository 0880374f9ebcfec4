"""the artifact catalog and its history

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "ingest_artifacts",
        sa.Column("seq", SEQ, primary_key=True, autoincrement=True),
        sa.Column("id", sa.String(64), nullable=False, unique=True),
        sa.Column("name", sa.String(512), nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("revision", sa.Integer, nullable=False, server_default="1"),
        sa.Column("source_url", sa.Text, nullable=False),
        sa.Column("source_kind", sa.String(32), nullable=False),
        sa.Column("version", sa.String(128), nullable=True),
        sa.Column("versions", sa.JSON, nullable=False),
        sa.Column("readme", sa.Text, nullable=True),
        sa.Column("details", sa.JSON, nullable=False),
        sa.Column("content_bytes", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("bundle_bytes", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("uploader", sa.String(255), nullable=True),
        sa.Column("vetted", sa.Boolean, nullable=True),
        sa.Column("net_score", sa.Float, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_ingest_artifacts_status_seq", "ingest_artifacts", ["status", "seq"])
    op.create_index("ix_ingest_artifacts_name_status", "ingest_artifacts", ["name", "status"])
    op.create_index(
        "ix_ingest_artifacts_type_status_seq", "ingest_artifacts", ["type", "status", "seq"]
    )
    op.create_table(
        "ingest_artifact_history",
        sa.Column("seq", SEQ, primary_key=True, autoincrement=True),
        sa.Column("artifact_id", sa.String(64), nullable=False, index=True),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("source_url", sa.Text, nullable=False),
        sa.Column("details", sa.JSON, nullable=False),
        sa.Column("replaced_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("replaced_by", sa.String(255), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("ingest_artifact_history")
    op.drop_table("ingest_artifacts")
