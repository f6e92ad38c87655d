"""usernames unique whatever their case; TRUNCATE of reviews and audit events refused

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: Union[str, Sequence[str], None] = "0007"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

HISTORY_TABLES = ("audit_events", "reviews")


def _refuse_colliding_usernames() -> None:
    """Stop before changing anything when two accounts differ only in case."""
    rows = op.get_bind().execute(sa.text("SELECT username FROM users ORDER BY username")).scalars()
    spellings: dict[str, list[str]] = {}
    for username in rows:
        spellings.setdefault(username.lower(), []).append(username)
    collisions = [names for names in spellings.values() if len(names) > 1]
    if collisions:
        listed = "; ".join(", ".join(names) for names in collisions)
        raise RuntimeError(
            "usernames must be unique whatever their case, but these accounts differ only in case: "
            f"{listed}. Rename or remove all but one of each (UPDATE users SET username = ...), "
            "then run the upgrade again."
        )


def upgrade() -> None:
    """Add the unique index on lower(username); add TRUNCATE triggers on PostgreSQL."""
    _refuse_colliding_usernames()
    op.create_index("uq_users_username_lower", "users", [sa.text("lower(username)")], unique=True)
    if op.get_bind().dialect.name != "postgresql":
        # SQLite has no TRUNCATE: its "DELETE without WHERE" fires the delete triggers of 0002.
        return
    op.execute(
        "CREATE FUNCTION claimtrack_no_truncate() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN RAISE EXCEPTION '% rows are append-only: TRUNCATE refused', TG_TABLE_NAME; END $$"
    )
    for table in HISTORY_TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION claimtrack_no_truncate()"
        )


def downgrade() -> None:
    """Drop the triggers and the index."""
    if op.get_bind().dialect.name == "postgresql":
        for table in HISTORY_TABLES:
            op.execute(f"DROP TRIGGER {table}_no_truncate ON {table}")
        op.execute("DROP FUNCTION claimtrack_no_truncate()")
    op.drop_index("uq_users_username_lower", table_name="users")
