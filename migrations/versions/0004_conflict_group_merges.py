"""conflict group merges: a group merged by a reviewer points at the group it joined

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: Union[str, Sequence[str], None] = "0003"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Add conflict_groups.merged_into_id."""
    with op.batch_alter_table("conflict_groups", schema=None) as batch_op:
        batch_op.add_column(sa.Column("merged_into_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_conflict_groups_merged_into_id_conflict_groups"),
            "conflict_groups", ["merged_into_id"], ["id"],
        )


def downgrade() -> None:
    """Drop conflict_groups.merged_into_id."""
    with op.batch_alter_table("conflict_groups", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_conflict_groups_merged_into_id_conflict_groups"), type_="foreignkey"
        )
        batch_op.drop_column("merged_into_id")
