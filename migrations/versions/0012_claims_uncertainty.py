"""a claim's stated uncertainty ("5 ± 0.2 K"), as read and as reviewed

Revision ID: 0012
Revises: 0010
Create Date: 2026-12-02
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: Union[str, Sequence[str], None] = "0010"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Add claims.uncertainty and its extracted twin (empty for claims extracted before them), never negative."""
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.add_column(sa.Column("uncertainty", sa.Double(), nullable=True))
        batch_op.add_column(sa.Column("extracted_uncertainty", sa.Double(), nullable=True))
        batch_op.create_check_constraint(op.f("ck_claims_uncertainty"), "uncertainty IS NULL OR uncertainty >= 0")


def downgrade() -> None:
    """Drop the uncertainty columns and their check."""
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_claims_uncertainty"), type_="check")
        batch_op.drop_column("extracted_uncertainty")
        batch_op.drop_column("uncertainty")
