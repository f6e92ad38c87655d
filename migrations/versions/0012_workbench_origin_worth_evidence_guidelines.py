"""claims added by reviewers and their worth for triage; evidence and guidelines version on reviews;
versioned guidelines and team settings

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02

Every existing claim came from the extractor; its worth is computed from its current fields.
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

import models
from claimtrack.triage import worth

revision: str = "0012"
down_revision: Union[str, Sequence[str], None] = "0011"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

BATCH = 5000
REVIEWER_SPAN = sa.text("origin = 'reviewer'")


def upgrade() -> None:
    """Add guidelines, team_settings, claims.origin and worth (filled) with their indexes, reviews' evidence."""
    op.create_table(
        "guidelines",
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(), nullable=False),
        sa.CheckConstraint("version >= 1", name=op.f("ck_guidelines_version")),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_guidelines_created_by_id_users")),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_guidelines")),
    )
    op.create_table(
        "team_settings",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["updated_by_id"], ["users.id"], name=op.f("fk_team_settings_updated_by_id_users")),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_team_settings")),
    )
    sqlite = op.get_bind().dialect.name == "sqlite"
    # On SQLite every column is added in place (ALTER TABLE ADD COLUMN, constraints inline): a
    # batch rebuild of claims or reviews would drop the triggers other revisions put on them.
    if sqlite:
        op.execute("ALTER TABLE claims ADD COLUMN origin VARCHAR(16) DEFAULT 'extractor' NOT NULL "
                   "CONSTRAINT ck_claims_origin CHECK (origin IN ('extractor', 'reviewer'))")
        op.execute("ALTER TABLE claims ADD COLUMN worth INTEGER DEFAULT '0' NOT NULL")
    else:
        op.add_column("claims", sa.Column("origin", sa.String(length=16), nullable=False, server_default="extractor"))
        op.add_column("claims", sa.Column("worth", sa.Integer(), nullable=False, server_default="0"))
        op.create_check_constraint(op.f("ck_claims_origin"), "claims", "origin IN ('extractor', 'reviewer')")
    claims = sa.table("claims", sa.column("id", sa.Integer), sa.column("quote", sa.Text),
                      sa.column("value", sa.Double), sa.column("unit", sa.String), sa.column("subject", sa.String),
                      sa.column("measure", sa.String), sa.column("worth", sa.Integer))
    connection = op.get_bind()
    last = 0
    while rows := connection.execute(
        sa.select(claims.c.id, claims.c.quote, claims.c.value, claims.c.unit, claims.c.subject, claims.c.measure)
        .where(claims.c.id > last).order_by(claims.c.id).limit(BATCH)
    ).all():
        connection.execute(
            claims.update().where(claims.c.id == sa.bindparam("c_id")).values(worth=sa.bindparam("c_worth")),
            [{"c_id": r.id, "c_worth": worth(r.quote, r.value, r.unit, r.subject, r.measure)} for r in rows],
        )
        last = rows[-1].id
    op.create_index("ix_claims_queue_worth", "claims", ["status", "conflict_open", "worth", "id"])
    op.create_index("ix_claims_queue_document", "claims", ["status", "conflict_open", "document_id", "start", "id"])
    op.create_index("uq_claims_reviewer_span", "claims", ["document_id", "start", "end"], unique=True,
                    sqlite_where=REVIEWER_SPAN, postgresql_where=REVIEWER_SPAN)
    if sqlite:
        for statement in (
            "evidence_url VARCHAR(2000) DEFAULT '' NOT NULL",
            "evidence_document_id INTEGER CONSTRAINT fk_reviews_evidence_document_id_documents "
            "REFERENCES documents (id)",
            "evidence_quote TEXT DEFAULT '' NOT NULL",
            "evidence_checked_on DATE",
            "evidence_method VARCHAR(16) CONSTRAINT ck_reviews_evidence_method "
            "CHECK (evidence_method IS NULL OR evidence_method IN ('stated', 'computed', 'official'))",
            "guidelines_version INTEGER CONSTRAINT fk_reviews_guidelines_version_guidelines "
            "REFERENCES guidelines (version)",
        ):
            op.execute(f"ALTER TABLE reviews ADD COLUMN {statement}")
        return
    op.add_column("reviews", sa.Column("evidence_url", sa.String(length=2000), nullable=False, server_default=""))
    op.add_column("reviews", sa.Column("evidence_document_id", sa.Integer(), nullable=True))
    op.add_column("reviews", sa.Column("evidence_quote", sa.Text(), nullable=False, server_default=""))
    op.add_column("reviews", sa.Column("evidence_checked_on", sa.Date(), nullable=True))
    op.add_column("reviews", sa.Column("evidence_method", sa.String(length=16), nullable=True))
    op.add_column("reviews", sa.Column("guidelines_version", sa.Integer(), nullable=True))
    op.create_foreign_key(op.f("fk_reviews_evidence_document_id_documents"), "reviews", "documents",
                          ["evidence_document_id"], ["id"])
    op.create_foreign_key(op.f("fk_reviews_guidelines_version_guidelines"), "reviews", "guidelines",
                          ["guidelines_version"], ["version"])
    op.create_check_constraint(op.f("ck_reviews_evidence_method"), "reviews",
                               "evidence_method IS NULL OR evidence_method IN ('stated', 'computed', 'official')")

def downgrade() -> None:
    """Drop the evidence, the claims' origin and worth, the team settings and the guidelines."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.drop_index("uq_claims_reviewer_span", "claims")
    op.drop_index("ix_claims_queue_document", "claims")
    op.drop_index("ix_claims_queue_worth", "claims")
    if sqlite:
        # SQLite drops a column in place unless a constraint names it; those two are rebuilt, and the
        # append-only triggers of reviews put back.
        with op.batch_alter_table("reviews", recreate="always") as batch_op:
            batch_op.drop_constraint(op.f("ck_reviews_evidence_method"), type_="check")
            for column in ("guidelines_version", "evidence_method", "evidence_checked_on", "evidence_quote",
                           "evidence_document_id", "evidence_url"):
                batch_op.drop_column(column)
        for action in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER reviews_no_{action.lower()} BEFORE {action} ON reviews "
                       "BEGIN SELECT RAISE(ABORT, 'reviews rows are append-only'); END")
        with op.batch_alter_table("claims", recreate="always") as batch_op:
            batch_op.drop_constraint(op.f("ck_claims_origin"), type_="check")
            batch_op.drop_column("worth")
            batch_op.drop_column("origin")
    else:
        op.drop_constraint(op.f("ck_reviews_evidence_method"), "reviews", type_="check")
        op.drop_constraint(op.f("fk_reviews_guidelines_version_guidelines"), "reviews", type_="foreignkey")
        op.drop_constraint(op.f("fk_reviews_evidence_document_id_documents"), "reviews", type_="foreignkey")
        for column in ("guidelines_version", "evidence_method", "evidence_checked_on", "evidence_quote",
                       "evidence_document_id", "evidence_url"):
            op.drop_column("reviews", column)
        op.drop_constraint(op.f("ck_claims_origin"), "claims", type_="check")
        op.drop_column("claims", "worth")
        op.drop_column("claims", "origin")
    op.drop_table("team_settings")
    op.drop_table("guidelines")
