"""load-test runs kept for comparison (R21)

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
        "health_load_test_runs",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("requested_by", sa.String(255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("clients", sa.Integer, nullable=False),
        sa.Column("duration_seconds", sa.Integer, nullable=False),
        sa.Column("target", sa.String(500), nullable=False),
        sa.Column("models", sa.JSON, nullable=False),
        sa.Column("result", sa.JSON, nullable=True),
        sa.Column("message", sa.Text, nullable=True),
    )
    op.create_index("ix_health_load_test_runs_status", "health_load_test_runs", ["status"])
    op.create_index("ix_health_load_test_runs_created_at", "health_load_test_runs", ["created_at"])


def downgrade() -> None:
    op.drop_table("health_load_test_runs")
