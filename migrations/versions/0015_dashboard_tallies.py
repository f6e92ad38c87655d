"""daily tallies of reviews for the leads' dashboard

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02

The tallies are counted from the reviews already recorded; from then on every review written
adds to them (claimtrack.dashboard).
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlalchemy.orm as so
from alembic import op

revision: str = "0015"
down_revision: Union[str, Sequence[str], None] = "0014"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Add the tally_* tables and count the existing reviews into them."""
    op.create_table('tally_document_days',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('decision', sa.String(length=20), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_tally_document_days_document_id_documents')),
    sa.PrimaryKeyConstraint('day', 'document_id', 'decision', name=op.f('pk_tally_document_days')),
    sqlite_with_rowid=False,
    )
    op.create_index('ix_tally_document_days_document_day', 'tally_document_days', ['document_id', 'day'])
    op.create_table('tally_reason_days',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_tally_reason_days_user_id_users')),
    sa.PrimaryKeyConstraint('day', 'user_id', 'reason', name=op.f('pk_tally_reason_days')),
    sqlite_with_rowid=False,
    )
    op.create_table('tally_reviewer_days',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('decision', sa.String(length=20), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_tally_reviewer_days_user_id_users')),
    sa.PrimaryKeyConstraint('day', 'user_id', 'decision', name=op.f('pk_tally_reviewer_days')),
    sqlite_with_rowid=False,
    )
    op.create_table('tally_timing_days',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('steps', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_tally_timing_days_user_id_users')),
    sa.PrimaryKeyConstraint('day', 'user_id', name=op.f('pk_tally_timing_days')),
    sqlite_with_rowid=False,
    )
    from claimtrack import dashboard

    with so.Session(bind=op.get_bind()) as session:
        dashboard.rebuild(session)
        # Ends the session's part; the migration's own transaction commits the rows.
        session.commit()


def downgrade() -> None:
    """Drop the tally_* tables."""
    op.drop_table('tally_timing_days')
    op.drop_table('tally_reviewer_days')
    op.drop_table('tally_reason_days')
    op.drop_index('ix_tally_document_days_document_day', table_name='tally_document_days')
    op.drop_table('tally_document_days')
