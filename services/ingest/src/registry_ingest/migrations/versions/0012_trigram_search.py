"""trigram indexes on names and READMEs for regex search (PostgreSQL only)

Revision ID: 0012
Revises: 0011

PostgreSQL answers `name ~ pattern` / `readme ~ pattern` from a GIN index of trigrams
(pg_trgm) instead of reading every row; SQLite has no such index and keeps the scan.
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute(
        "CREATE INDEX IF NOT EXISTS ix_ingest_artifacts_name_trgm "
        "ON ingest_artifacts USING gin (name gin_trgm_ops)"
    )
    op.execute(
        "CREATE INDEX IF NOT EXISTS ix_ingest_artifacts_readme_trgm "
        "ON ingest_artifacts USING gin (readme gin_trgm_ops)"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_ingest_artifacts_readme_trgm")
    op.execute("DROP INDEX IF EXISTS ix_ingest_artifacts_name_trgm")
    # The extension stays: other schemas may use it, and dropping it needs more rights.
