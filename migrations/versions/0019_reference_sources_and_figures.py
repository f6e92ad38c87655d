"""reference sources and figures; claims' standing against them; resolutions in a reference's favour

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

import models

revision: str = "0019"
down_revision: Union[str, Sequence[str], None] = "0018"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

STANDING_CHECK = "reference_standing IN ('', 'matches', 'contradicts')"
CONTRADICTS = sa.text("reference_standing = 'contradicts'")
DECISIONS_BEFORE = "decision IN ('prefer', 'all_right', 'unresolved')"
DECISIONS_AFTER = "decision IN ('prefer', 'all_right', 'unresolved', 'reference')"


def upgrade() -> None:
    """Add reference sources and figures, claims' standing against them, and the "reference" resolution."""
    op.create_table("reference_sources",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("name", sa.String(length=200), nullable=False),
    sa.Column("url", sa.String(length=1000), nullable=False),
    sa.Column("imported_by_id", sa.Integer(), nullable=False),
    sa.Column("imported_at", models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(["imported_by_id"], ["users.id"], name=op.f("fk_reference_sources_imported_by_id_users")),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_reference_sources")),
    sa.UniqueConstraint("name", name=op.f("uq_reference_sources_name"))
    )
    op.create_table("reference_figures",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("source_id", sa.Integer(), nullable=False),
    sa.Column("line", sa.Integer(), nullable=False),
    sa.Column("entity", sa.String(length=200), nullable=False),
    sa.Column("subject_key", sa.String(length=200), nullable=False),
    sa.Column("measure", sa.String(length=200), nullable=False),
    sa.Column("measure_key", sa.String(length=200), nullable=False),
    sa.Column("period_start", sa.Date(), nullable=False),
    sa.Column("period_end", sa.Date(), nullable=False),
    sa.Column("value", sa.Double(), nullable=False),
    sa.Column("value_text", sa.String(length=64), nullable=False),
    sa.Column("unit", sa.String(length=32), nullable=False),
    sa.Column("source_url", sa.String(length=1000), nullable=False),
    sa.Column("note", sa.Text(), nullable=False),
    sa.CheckConstraint("period_end >= period_start", name=op.f("ck_reference_figures_period")),
    sa.ForeignKeyConstraint(["source_id"], ["reference_sources.id"],
                            name=op.f("fk_reference_figures_source_id_reference_sources"), ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_reference_figures")),
    sa.UniqueConstraint("source_id", "subject_key", "measure_key", "unit", "period_start", "period_end",
                        name="uq_reference_figures_fact")
    )
    op.create_index("ix_reference_figures_subject_key", "reference_figures", ["subject_key", "measure_key"])
    # In place on SQLite (ALTER TABLE ... ADD COLUMN with its constraints): a batch rebuild of claims
    # would drop the search triggers 0014 put on it.
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE claims ADD COLUMN reference_standing VARCHAR(16) DEFAULT '' NOT NULL "
                   f"CONSTRAINT ck_claims_reference_standing CHECK ({STANDING_CHECK})")
        op.execute("ALTER TABLE claims ADD COLUMN reference_figure_id INTEGER")
        # Resolutions carry no triggers: rebuilding the table is how SQLite changes a check.
        with op.batch_alter_table("resolutions", recreate="always") as batch_op:
            batch_op.drop_constraint(op.f("ck_resolutions_decision"), type_="check")
            batch_op.create_check_constraint(op.f("ck_resolutions_decision"), DECISIONS_AFTER)
    else:
        op.add_column("claims", sa.Column("reference_standing", sa.String(length=16), server_default="",
                                          nullable=False))
        op.add_column("claims", sa.Column("reference_figure_id", sa.Integer(), nullable=True))
        op.create_check_constraint(op.f("ck_claims_reference_standing"), "claims", STANDING_CHECK)
        op.drop_constraint(op.f("ck_resolutions_decision"), "resolutions", type_="check")
        op.create_check_constraint(op.f("ck_resolutions_decision"), "resolutions", DECISIONS_AFTER)
    op.create_index("ix_claims_contradicting_reference", "claims", ["status", "id"],
                    sqlite_where=CONTRADICTS, postgresql_where=CONTRADICTS)
    op.create_index(op.f("ix_claims_reference_figure_id"), "claims", ["reference_figure_id"])


def downgrade() -> None:
    """Drop the reference tables, the claims' standing and the "reference" resolutions."""
    op.drop_index(op.f("ix_claims_reference_figure_id"), "claims")
    op.drop_index("ix_claims_contradicting_reference", "claims")
    # The old check knows no "reference" decision: such a resolution is kept (its details, note and
    # reviews say it followed a reference) as the preference of values it was.
    op.execute("UPDATE resolutions SET decision = 'prefer' WHERE decision = 'reference'")
    if op.get_bind().dialect.name == "sqlite":
        # In place (SQLite 3.35+): each column's constraints are its own and go with it.
        op.execute("ALTER TABLE claims DROP COLUMN reference_figure_id")
        op.execute("ALTER TABLE claims DROP COLUMN reference_standing")
        with op.batch_alter_table("resolutions", recreate="always") as batch_op:
            batch_op.drop_constraint(op.f("ck_resolutions_decision"), type_="check")
            batch_op.create_check_constraint(op.f("ck_resolutions_decision"), DECISIONS_BEFORE)
    else:
        op.drop_constraint(op.f("ck_claims_reference_standing"), "claims", type_="check")
        op.drop_column("claims", "reference_figure_id")
        op.drop_column("claims", "reference_standing")
        op.drop_constraint(op.f("ck_resolutions_decision"), "resolutions", type_="check")
        op.create_check_constraint(op.f("ck_resolutions_decision"), "resolutions", DECISIONS_BEFORE)
    op.drop_index("ix_reference_figures_subject_key", "reference_figures")
    op.drop_table("reference_figures")
    op.drop_table("reference_sources")
