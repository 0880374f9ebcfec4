"""popularity counters and the downloader's account age (package-confusion audit)

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ingest_popularity",
        sa.Column("artifact_id", sa.String(64), primary_key=True),
        sa.Column("downloads", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("search_appearances", sa.BigInteger, nullable=False, server_default="0"),
    )
    # Every existing artifact gets its counters, starting from the downloads already audited.
    op.execute(
        "INSERT INTO ingest_popularity (artifact_id, downloads, search_appearances) "
        "SELECT a.id, (SELECT COUNT(*) FROM ingest_audit d "
        "WHERE d.artifact_id = a.id AND d.action = 'DOWNLOAD'), 0 FROM ingest_artifacts a"
    )
    with op.batch_alter_table("ingest_audit") as batch:
        batch.add_column(sa.Column("user_created_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ingest_audit") as batch:
        batch.drop_column("user_created_at")
    op.drop_table("ingest_popularity")
