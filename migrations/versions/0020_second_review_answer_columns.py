"""second reviews' compared answers as columns beside the JSON documents

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0020"
down_revision: Union[str, Sequence[str], None] = "0019"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# As at this revision (models.second_review.ANSWER_TYPES), so later model changes cannot alter it.
ANSWER_TYPES = {
    "decision": sa.String(16), "value": sa.Float(), "value_max": sa.Float(), "unit": sa.String(32),
    "qualifier": sa.String(2), "period": sa.String(32), "subject": sa.String(200), "measure": sa.String(200),
    "kind": sa.String(16),
}
INTERVAL = ("value", "value_max")
REVIEWED_TWICE = sa.text("second_review_id IS NOT NULL")
ANSWERS = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    """Add first_* and second_* answer columns, fill them from first_values and second_values, index them."""
    with op.batch_alter_table("second_reviews", schema=None) as batch_op:
        for side in ("first", "second"):
            for name, type_ in ANSWER_TYPES.items():
                batch_op.add_column(sa.Column(f"{side}_{name}", type_, nullable=True))
    # The same extraction the agreement report used to group by, so its figures stay as they were.
    table = sa.table("second_reviews", sa.column("first_values", ANSWERS), sa.column("second_values", ANSWERS),
                     *(sa.column(f"{side}_{name}", type_) for side in ("first", "second")
                       for name, type_ in ANSWER_TYPES.items()))
    values = {}
    for side in ("first", "second"):
        document = table.c[f"{side}_values"]
        for name in ANSWER_TYPES:
            field = document[name]
            values[f"{side}_{name}"] = field.as_float() if name in INTERVAL else field.as_string()
    op.execute(table.update().values(values))
    with op.batch_alter_table("second_reviews", schema=None) as batch_op:
        for name in ANSWER_TYPES:
            batch_op.create_index(f"ix_second_reviews_answers_{name}", [f"first_{name}", f"second_{name}", "second_at"],
                                  unique=False, postgresql_where=REVIEWED_TWICE, sqlite_where=REVIEWED_TWICE)
        batch_op.create_index("ix_second_reviews_tally", ["state", "first_user_id", "second_user_id", "first_decision",
                                                          "second_decision", "second_at"],
                              unique=False, postgresql_where=REVIEWED_TWICE, sqlite_where=REVIEWED_TWICE)


def downgrade() -> None:
    """Drop the answer columns (the JSON documents still hold every answer)."""
    with op.batch_alter_table("second_reviews", schema=None) as batch_op:
        batch_op.drop_index("ix_second_reviews_tally")
        for name in reversed(ANSWER_TYPES):
            batch_op.drop_index(f"ix_second_reviews_answers_{name}")
        for side in ("second", "first"):
            for name in reversed(ANSWER_TYPES):
                batch_op.drop_column(f"{side}_{name}")
