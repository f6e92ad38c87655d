"""conflict blocks, learned measure equivalences and match suggestions

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02

Existing groups get their block and measure from their key (subject|measure|dimension...);
`claimtrack conflicts --rebuild` then places every claim by the scored matching.
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

import models

revision: str = "0010"
down_revision: Union[str, Sequence[str], None] = "0009"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Add measure_equivalences, match_suggestions, conflict_groups.block and measure_key."""
    op.create_table('measure_equivalences',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subject_key', sa.String(length=200), nullable=False),
    sa.Column('measure_a', sa.String(length=200), nullable=False),
    sa.Column('measure_b', sa.String(length=200), nullable=False),
    sa.Column('same', sa.Boolean(), nullable=False),
    sa.Column('origin', sa.String(length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(), nullable=False),
    sa.Column('undone_at', models.base.UTCDateTime(), nullable=True),
    sa.Column('undone_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("origin IN ('merge', 'split', 'suggestion')", name=op.f('ck_measure_equivalences_origin')),
    sa.CheckConstraint('measure_a < measure_b', name=op.f('ck_measure_equivalences_ordered')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_measure_equivalences_created_by_id_users')),
    sa.ForeignKeyConstraint(['undone_by_id'], ['users.id'], name=op.f('fk_measure_equivalences_undone_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_measure_equivalences'))
    )
    with op.batch_alter_table('measure_equivalences', schema=None) as batch_op:
        batch_op.create_index('ix_measure_equivalences_subject', ['subject_key', 'undone_at'], unique=False)

    op.create_table('match_suggestions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('block', sa.String(length=400), nullable=False),
    sa.Column('measure_a', sa.String(length=200), nullable=False),
    sa.Column('measure_b', sa.String(length=200), nullable=False),
    sa.Column('score', sa.Double(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('equivalence_id', sa.Integer(), nullable=True),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.Column('answered_at', models.base.UTCDateTime(), nullable=True),
    sa.Column('created_at', models.base.UTCDateTime(), nullable=False),
    sa.CheckConstraint("status IN ('pending', 'same', 'different')", name=op.f('ck_match_suggestions_status')),
    sa.CheckConstraint('measure_a < measure_b', name=op.f('ck_match_suggestions_ordered')),
    sa.ForeignKeyConstraint(['answered_by_id'], ['users.id'], name=op.f('fk_match_suggestions_answered_by_id_users')),
    sa.ForeignKeyConstraint(['equivalence_id'], ['measure_equivalences.id'], name=op.f('fk_match_suggestions_equivalence_id_measure_equivalences')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_match_suggestions')),
    sa.UniqueConstraint('block', 'measure_a', 'measure_b', name='uq_match_suggestions_pair')
    )
    with op.batch_alter_table('match_suggestions', schema=None) as batch_op:
        batch_op.create_index('ix_match_suggestions_status', ['status', 'id'], unique=False)

    with op.batch_alter_table('conflict_groups', schema=None) as batch_op:
        batch_op.add_column(sa.Column('block', sa.String(length=400), nullable=False, server_default=""))
        batch_op.add_column(sa.Column('measure_key', sa.String(length=200), nullable=False, server_default=""))
    groups = sa.table("conflict_groups", sa.column("id", sa.Integer), sa.column("key", sa.String),
                      sa.column("block", sa.String), sa.column("measure_key", sa.String))
    connection = op.get_bind()
    rows = [
        {"g_id": id_, "g_block": f"{parts[0]}|{parts[2] if len(parts) > 2 else ''}"[:400], "g_measure": parts[1][:200]}
        for id_, key in connection.execute(sa.select(groups.c.id, groups.c.key))
        for parts in [(key.split("|", 2) + ["", ""])[:3]]
    ]
    if rows:
        connection.execute(
            groups.update().where(groups.c.id == sa.bindparam("g_id"))
            .values(block=sa.bindparam("g_block"), measure_key=sa.bindparam("g_measure")),
            rows,
        )
    with op.batch_alter_table('conflict_groups', schema=None) as batch_op:
        batch_op.alter_column('block', server_default=None)
        batch_op.alter_column('measure_key', server_default=None)
        batch_op.create_index(batch_op.f('ix_conflict_groups_block'), ['block'], unique=False)
        batch_op.create_index(batch_op.f('ix_conflict_groups_measure_key'), ['measure_key'], unique=False)


def downgrade() -> None:
    """Drop them."""
    with op.batch_alter_table('conflict_groups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_conflict_groups_measure_key'))
        batch_op.drop_index(batch_op.f('ix_conflict_groups_block'))
        batch_op.drop_column('measure_key')
        batch_op.drop_column('block')

    with op.batch_alter_table('match_suggestions', schema=None) as batch_op:
        batch_op.drop_index('ix_match_suggestions_status')

    op.drop_table('match_suggestions')
    with op.batch_alter_table('measure_equivalences', schema=None) as batch_op:
        batch_op.drop_index('ix_measure_equivalences_subject')

    op.drop_table('measure_equivalences')
