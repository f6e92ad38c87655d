"""reviews indexed by reviewer and time, replacing the index on reviewer alone

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25
"""
from typing import Sequence, Union

from alembic import op

revision: str = "0007"
down_revision: Union[str, Sequence[str], None] = "0006"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Add ix_reviews_user_created; drop ix_reviews_user_id, now its prefix."""
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.create_index("ix_reviews_user_created", ["user_id", "created_at"], unique=False)
        batch_op.drop_index("ix_reviews_user_id")


def downgrade() -> None:
    """Put the single-column index back."""
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.create_index("ix_reviews_user_id", ["user_id"], unique=False)
        batch_op.drop_index("ix_reviews_user_created")
