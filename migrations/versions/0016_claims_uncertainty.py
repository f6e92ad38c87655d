"""a claim's stated uncertainty ("5 ± 0.2 K"), as read and as reviewed

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02

On SQLite the columns are added and dropped in place (ALTER TABLE ADD / DROP COLUMN, the check
inline): a batch rebuild of `claims` would lose the search triggers and expression indexes of 0014.
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: Union[str, Sequence[str], None] = "0015"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

CHECK = "uncertainty IS NULL OR uncertainty >= 0"


def upgrade() -> None:
    """Add claims.uncertainty and its extracted twin (empty for claims extracted before them), never negative."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"ALTER TABLE claims ADD COLUMN uncertainty DOUBLE CONSTRAINT ck_claims_uncertainty CHECK ({CHECK})")
        op.execute("ALTER TABLE claims ADD COLUMN extracted_uncertainty DOUBLE")
        return
    op.add_column("claims", sa.Column("uncertainty", sa.Double(), nullable=True))
    op.add_column("claims", sa.Column("extracted_uncertainty", sa.Double(), nullable=True))
    op.create_check_constraint(op.f("ck_claims_uncertainty"), "claims", CHECK)


def downgrade() -> None:
    """Drop the uncertainty columns and their check."""
    if op.get_bind().dialect.name == "sqlite":
        # In place as well (SQLite 3.35+): the check belongs to the column and goes with it.
        op.execute("ALTER TABLE claims DROP COLUMN extracted_uncertainty")
        op.execute("ALTER TABLE claims DROP COLUMN uncertainty")
        return
    op.drop_constraint(op.f("ck_claims_uncertainty"), "claims", type_="check")
    op.drop_column("claims", "extracted_uncertainty")
    op.drop_column("claims", "uncertainty")
