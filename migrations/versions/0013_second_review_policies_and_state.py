"""second review: review policies and each claim's second-review standing

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02

No claim needs a second review until a lead sets a policy, so existing data is left as it is.
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import models

revision: str = '0013'
down_revision: Union[str, Sequence[str], None] = '0012'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Add review_policies and second_reviews."""
    op.create_table('review_policies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(length=500), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=True),
    sa.Column('subject', sa.String(length=200), nullable=True),
    sa.Column('measure', sa.String(length=200), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=True),
    sa.Column('share', sa.Integer(), nullable=False),
    sa.Column('conflicts_need_two', sa.Boolean(), nullable=False),
    sa.Column('reviewer_added_need_two', sa.Boolean(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', models.base.UTCDateTime(), nullable=False),
    sa.CheckConstraint("kind IS NULL OR kind IN ('fact', 'target', 'projection')", name=op.f('ck_review_policies_kind')),
    sa.CheckConstraint('share >= 0 AND share <= 100', name=op.f('ck_review_policies_share')),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_review_policies_document_id_documents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_review_policies_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_policies')),
    sa.UniqueConstraint('scope', name='uq_review_policies_scope')
    )
    op.create_table('second_reviews',
    sa.Column('claim_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=16), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('first_review_id', sa.Integer(), nullable=False),
    sa.Column('first_user_id', sa.Integer(), nullable=False),
    sa.Column('first_values', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('second_review_id', sa.Integer(), nullable=True),
    sa.Column('second_user_id', sa.Integer(), nullable=True),
    sa.Column('second_values', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=True),
    sa.Column('second_at', models.base.UTCDateTime(), nullable=True),
    sa.Column('disagreements', sa.JSON(), nullable=False),
    sa.Column('final_review_id', sa.Integer(), nullable=True),
    sa.Column('required_at', models.base.UTCDateTime(), nullable=False),
    sa.Column('settled_at', models.base.UTCDateTime(), nullable=True),
    sa.CheckConstraint("reason IN ('share', 'all', 'conflict', 'reviewer', 'restored')", name=op.f('ck_second_reviews_reason')),
    sa.CheckConstraint("state IN ('awaiting', 'adjudication', 'agreed', 'adjudicated')", name=op.f('ck_second_reviews_state')),
    sa.CheckConstraint('second_user_id IS NULL OR second_user_id != first_user_id', name=op.f('ck_second_reviews_two_reviewers')),
    sa.ForeignKeyConstraint(['claim_id'], ['claims.id'], name=op.f('fk_second_reviews_claim_id_claims'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['final_review_id'], ['reviews.id'], name=op.f('fk_second_reviews_final_review_id_reviews')),
    sa.ForeignKeyConstraint(['first_review_id'], ['reviews.id'], name=op.f('fk_second_reviews_first_review_id_reviews')),
    sa.ForeignKeyConstraint(['first_user_id'], ['users.id'], name=op.f('fk_second_reviews_first_user_id_users')),
    sa.ForeignKeyConstraint(['second_review_id'], ['reviews.id'], name=op.f('fk_second_reviews_second_review_id_reviews')),
    sa.ForeignKeyConstraint(['second_user_id'], ['users.id'], name=op.f('fk_second_reviews_second_user_id_users')),
    sa.PrimaryKeyConstraint('claim_id', name=op.f('pk_second_reviews'))
    )
    with op.batch_alter_table('second_reviews', schema=None) as batch_op:
        batch_op.create_index('ix_second_reviews_second_at', ['second_at'], unique=False)
        batch_op.create_index('ix_second_reviews_state_claim', ['state', 'claim_id'], unique=False)



def downgrade() -> None:
    """Drop second_reviews and review_policies."""
    with op.batch_alter_table('second_reviews', schema=None) as batch_op:
        batch_op.drop_index('ix_second_reviews_state_claim')
        batch_op.drop_index('ix_second_reviews_second_at')

    op.drop_table('second_reviews')
    op.drop_table('review_policies')
