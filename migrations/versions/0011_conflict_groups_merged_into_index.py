"""index conflict_groups.merged_into_id

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""
from typing import Sequence, Union

from alembic import op

revision: str = "0011"
down_revision: Union[str, Sequence[str], None] = "0010"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Index the merge self-reference: without it every deleted group scans the whole table for referrers."""
    with op.batch_alter_table("conflict_groups", schema=None) as batch_op:
        batch_op.create_index("ix_conflict_groups_merged_into_id", ["merged_into_id"], unique=False)


def downgrade() -> None:
    """Drop the index."""
    with op.batch_alter_table("conflict_groups", schema=None) as batch_op:
        batch_op.drop_index("ix_conflict_groups_merged_into_id")
