"""canonical subject key on claims, indexed with the measure for conflict blocking

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-02
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from claimtrack.extract.entities import subject_key

revision: str = "0009"
down_revision: Union[str, Sequence[str], None] = "0007"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

BATCH = 5000


def upgrade() -> None:
    """Add claims.subject_key, fill it from each claim's subject, and index it with the measure."""
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.add_column(sa.Column("subject_key", sa.String(length=200), nullable=False, server_default=""))
    claims = sa.table("claims", sa.column("id", sa.Integer), sa.column("subject", sa.String),
                      sa.column("subject_key", sa.String))
    connection = op.get_bind()
    last = 0
    while rows := connection.execute(
        sa.select(claims.c.id, claims.c.subject).where(claims.c.id > last).order_by(claims.c.id).limit(BATCH)
    ).all():
        connection.execute(
            claims.update().where(claims.c.id == sa.bindparam("c_id")).values(subject_key=sa.bindparam("c_key")),
            [{"c_id": row.id, "c_key": subject_key(row.subject or "")} for row in rows],
        )
        last = rows[-1].id
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.create_index("ix_claims_subject_key_measure", ["subject_key", "measure"], unique=False)


def downgrade() -> None:
    """Drop the key and its index."""
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.drop_index("ix_claims_subject_key_measure")
        batch_op.drop_column("subject_key")
