"""name queries as ordered range scans

Revision ID: 0003
Revises: 0002

Measured (docs/benchmarks.md): with (name, status) a page of a common name fetched every row
of that name and sorted them (~20 ms, growing with the name's popularity); with
(name, status, seq) each page is one ordered range scan (~3 ms, constant).
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_ingest_artifacts_name_status_seq", "ingest_artifacts", ["name", "status", "seq"]
    )
    op.drop_index("ix_ingest_artifacts_name_status", table_name="ingest_artifacts")


def downgrade() -> None:
    op.create_index("ix_ingest_artifacts_name_status", "ingest_artifacts", ["name", "status"])
    op.drop_index("ix_ingest_artifacts_name_status_seq", table_name="ingest_artifacts")
