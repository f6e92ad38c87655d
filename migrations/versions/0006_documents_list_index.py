"""index for paging the documents list by publication date

Revision ID: 0006
Revises: 0004
Create Date: 2026-11-25
"""
from typing import Sequence, Union

from alembic import op

revision: str = "0006"
down_revision: Union[str, Sequence[str], None] = "0004"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Add ix_documents_published_id."""
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.create_index("ix_documents_published_id", ["published", "id"], unique=False)


def downgrade() -> None:
    """Drop it."""
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_index("ix_documents_published_id")
