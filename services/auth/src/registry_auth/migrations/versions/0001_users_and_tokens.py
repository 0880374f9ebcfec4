"""users and tokens

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
        "auth_users",
        sa.Column("name", sa.String(255), primary_key=True),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("is_admin", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("can_upload", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("can_search", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("can_download", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "auth_tokens",
        sa.Column("jti", sa.String(64), primary_key=True),
        sa.Column(
            "user_name",
            sa.String(255),
            sa.ForeignKey("auth_users.name", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("calls_used", sa.Integer, nullable=False, server_default="0"),
        sa.Column("max_calls", sa.Integer, nullable=False),
        sa.Column("revoked", sa.Boolean, nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    op.drop_table("auth_tokens")
    op.drop_table("auth_users")
