"""drop ix_claims_subject_measure, which no query reads

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-04

Since 0014 the claims filters match subject and measure through the indexes on their lower-cased
text, and no query compares or orders claims by (subject, measure) as written. The index was still
kept in step with every claim written: a rebuild of the conflict groups rewrites every claim's row,
and PostgreSQL enters each new row version in every index of the table.
"""
from typing import Sequence, Union

from alembic import op

revision: str = "0021"
down_revision: Union[str, Sequence[str], None] = "0020"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Drop the index (a plain DROP INDEX: rebuilding claims on SQLite would drop its search triggers)."""
    op.drop_index("ix_claims_subject_measure", table_name="claims")


def downgrade() -> None:
    """Create the index again."""
    op.create_index("ix_claims_subject_measure", "claims", ["subject", "measure"], unique=False)
