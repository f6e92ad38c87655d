"""login attempts (rate-limited logins) and an index for paging the claims list by status

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

import models

revision: str = "0003"
down_revision: Union[str, Sequence[str], None] = "0002"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Add login_attempts and ix_claims_status_id."""
    op.create_table(
        "login_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("attempted_at", models.base.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_attempts")),
    )
    with op.batch_alter_table("login_attempts", schema=None) as batch_op:
        batch_op.create_index("ix_login_attempts_username", ["username", "attempted_at"], unique=False)
        batch_op.create_index("ix_login_attempts_address", ["address", "attempted_at"], unique=False)
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.create_index("ix_claims_status_id", ["status", "id"], unique=False)


def downgrade() -> None:
    """Drop them."""
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.drop_index("ix_claims_status_id")
    with op.batch_alter_table("login_attempts", schema=None) as batch_op:
        batch_op.drop_index("ix_login_attempts_address")
        batch_op.drop_index("ix_login_attempts_username")
    op.drop_table("login_attempts")
