"""Second review: which claims need two independent reviews, and where each such claim stands."""
from datetime import datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so
from sqlalchemy.dialects import postgresql

from .base import Base, utcnow
from .claims import KINDS

# The fields two reviewers must agree on (besides the decision); the period is compared as one.
COMPARED_FIELDS = ("value", "value_max", "unit", "qualifier", "period", "subject", "measure", "kind")
# Review.decision of a second review: the reviewer's decision, kept apart from the claim's status.
SECOND_DECISIONS = ("second_verify", "second_reject", "second_needs_info")
# awaiting: the second review is still to do; adjudication: the two disagreed and a lead decides;
# agreed and adjudicated: settled.
SECOND_REVIEW_STATES = ("awaiting", "adjudication", "agreed", "adjudicated")
# Why a claim needs two: the policy's random share, all claims, an open conflict, a claim a reviewer
# added by hand, or a row rebuilt by undoing a reopen.
SECOND_REVIEW_REASONS = ("share", "all", "conflict", "reviewer", "restored")


# The two reviews' answers as documents (JSONB on PostgreSQL), which adjudication reads whole.
ANSWERS = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
# Each compared answer's column type: the agreement report groups by these columns rather than by
# fields inside the JSON documents, which SQLite's json_extract re-parses for every field (the
# report alone took 1.1 s at a million claims with a 10 % policy at load 6; 0.2 s on the columns
# at load 1).
ANSWER_TYPES: dict[str, sa.types.TypeEngine] = {
    "decision": sa.String(16), "value": sa.Float(), "value_max": sa.Float(), "unit": sa.String(32),
    "qualifier": sa.String(2), "period": sa.String(32), "subject": sa.String(200), "measure": sa.String(200),
    "kind": sa.String(16),
}
# The second reviews the agreement report counts.
REVIEWED_TWICE = sa.text("second_review_id IS NOT NULL")


def answer_indexes() -> list[sa.Index]:
    """Indexes of the claims reviewed twice that the agreement report reads instead of the wide rows.

    Per answer, both sides and the day: each of the report's GROUP BYs reads one small index in
    order (8 ms instead of 45 ms for the subjects of 29,000 claims on PostgreSQL). And the tally of
    states and of each pair of reviewers' decisions (6 ms instead of 125 ms for the agreed claims).
    """
    per_answer = [sa.Index(f"ix_second_reviews_answers_{name}", f"first_{name}", f"second_{name}", "second_at",
                           postgresql_where=REVIEWED_TWICE, sqlite_where=REVIEWED_TWICE) for name in ANSWER_TYPES]
    tally = sa.Index("ix_second_reviews_tally", "state", "first_user_id", "second_user_id", "first_decision",
                     "second_decision", "second_at", postgresql_where=REVIEWED_TWICE, sqlite_where=REVIEWED_TWICE)
    return [*per_answer, tally]


def answer_columns(side: str, answers: dict[str, Any] | None) -> dict[str, Any]:
    """The `side` ("first" or "second") answer columns holding the compared form `answers` (all None for None)."""
    answers = answers or {}
    return {f"{side}_{name}": answers.get(name) for name in ANSWER_TYPES}


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class ReviewPolicy(Base):
    """What share of claims in a scope (the whole corpus, or a document, subject, measure or kind) needs two reviews."""

    __tablename__ = "review_policies"
    __table_args__ = (
        sa.CheckConstraint("share >= 0 AND share <= 100", name="share"),
        sa.CheckConstraint(f"kind IS NULL OR {_in('kind', KINDS)}", name="kind"),
        # One policy per scope; the scope's parts joined, so NULLs cannot slip past the unique index.
        sa.UniqueConstraint("scope", name="uq_review_policies_scope"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    scope: so.Mapped[str] = so.mapped_column(sa.String(500))
    document_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("documents.id", ondelete="CASCADE"))
    subject: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    measure: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    kind: so.Mapped[str | None] = so.mapped_column(sa.String(16))
    # Percent of claims drawn for a second review: 0 none, 100 all.
    share: so.Mapped[int] = so.mapped_column(default=0)
    conflicts_need_two: so.Mapped[bool] = so.mapped_column(default=False)
    reviewer_added_need_two: so.Mapped[bool] = so.mapped_column(default=False)
    updated_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    updated_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    @property
    def specificity(self) -> int:
        """How many filters the scope sets: the most specific matching policy applies."""
        return sum(x is not None for x in (self.document_id, self.subject, self.measure, self.kind))


class SecondReview(Base):
    """A claim that needs two reviews: the first decision, the blind second one, and how they were settled.

    The reviews themselves are Review rows; this row is the claim's current standing, rebuilt
    from them on undo.
    """

    __tablename__ = "second_reviews"
    __table_args__ = (
        sa.CheckConstraint(_in("state", SECOND_REVIEW_STATES), name="state"),
        sa.CheckConstraint(_in("reason", SECOND_REVIEW_REASONS), name="reason"),
        sa.CheckConstraint("second_user_id IS NULL OR second_user_id != first_user_id", name="two_reviewers"),
        # The queue takes the oldest awaiting claim; leads list those awaiting adjudication.
        sa.Index("ix_second_reviews_state_claim", "state", "claim_id"),
        # The agreement page reads the second reviews made in a date range.
        sa.Index("ix_second_reviews_second_at", "second_at"),
        *answer_indexes(),
    )

    claim_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("claims.id", ondelete="CASCADE"), primary_key=True)
    reason: so.Mapped[str] = so.mapped_column(sa.String(16))
    state: so.Mapped[str] = so.mapped_column(sa.String(16), default="awaiting")
    first_review_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("reviews.id"))
    first_user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    # {"decision": ..., field: value} for the decision and COMPARED_FIELDS, JSON-safe.
    first_values: so.Mapped[dict[str, Any]] = so.mapped_column(ANSWERS)
    second_review_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("reviews.id"))
    second_user_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    second_values: so.Mapped[dict[str, Any] | None] = so.mapped_column(ANSWERS)
    second_at: so.Mapped[datetime | None]
    # The names ("decision" and COMPARED_FIELDS) on which the two reviews differ.
    disagreements: so.Mapped[list[str]] = so.mapped_column(sa.JSON, default=list)
    final_review_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("reviews.id"))
    required_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    settled_at: so.Mapped[datetime | None]
    # first_values and second_values again, one column per answer (see ANSWER_TYPES), set whenever
    # either document is assigned.
    first_decision: so.Mapped[str | None] = so.mapped_column(ANSWER_TYPES["decision"])
    first_value: so.Mapped[float | None] = so.mapped_column(ANSWER_TYPES["value"])
    first_value_max: so.Mapped[float | None] = so.mapped_column(ANSWER_TYPES["value_max"])
    first_unit: so.Mapped[str | None] = so.mapped_column(ANSWER_TYPES["unit"])
    first_qualifier: so.Mapped[str | None] = so.mapped_column(ANSWER_TYPES["qualifier"])
    first_period: so.Mapped[str | None] = so.mapped_column(ANSWER_TYPES["period"])
    first_subject: so.Mapped[str | None] = so.mapped_column(ANSWER_TYPES["subject"])
    first_measure: so.Mapped[str | None] = so.mapped_column(ANSWER_TYPES["measure"])
    first_kind: so.Mapped[str | None] = so.mapped_column(ANSWER_TYPES["kind"])
    second_decision: so.Mapped[str | None] = so.mapped_column(ANSWER_TYPES["decision"])
    second_value: so.Mapped[float | None] = so.mapped_column(ANSWER_TYPES["value"])
    second_value_max: so.Mapped[float | None] = so.mapped_column(ANSWER_TYPES["value_max"])
    second_unit: so.Mapped[str | None] = so.mapped_column(ANSWER_TYPES["unit"])
    second_qualifier: so.Mapped[str | None] = so.mapped_column(ANSWER_TYPES["qualifier"])
    second_period: so.Mapped[str | None] = so.mapped_column(ANSWER_TYPES["period"])
    second_subject: so.Mapped[str | None] = so.mapped_column(ANSWER_TYPES["subject"])
    second_measure: so.Mapped[str | None] = so.mapped_column(ANSWER_TYPES["measure"])
    second_kind: so.Mapped[str | None] = so.mapped_column(ANSWER_TYPES["kind"])

    @so.validates("first_values", "second_values")
    def _spread_answers(self, key: str, answers: dict[str, Any] | None) -> dict[str, Any] | None:
        for name, value in answer_columns(key.removesuffix("_values"), answers).items():
            setattr(self, name, value)
        return answers


# The status a claim awaiting a blind second review shows to those who must not see its first decision.
BLIND_STATUS = "awaiting_second"


def blind_to(claim_id, viewer_id: int, row: type[SecondReview] | so.util.AliasedClass = SecondReview) -> sa.Exists:
    """SQL: the claim awaits a second review and `viewer_id` did not make its first: they must see it blind.

    The one statement of blindness (claimtrack.second_review.is_blind is its form for one loaded row);
    `row` is an alias where the query joins second_reviews itself.
    """
    return sa.exists().where(row.claim_id == claim_id, row.state == "awaiting", row.first_user_id != viewer_id)


def blind_claim_ids(viewer_id: int) -> sa.Select:
    """SQL: the ids of the claims `viewer_id` must see blind (the set form of `blind_to`, read from the
    few second reviews still awaited rather than claim by claim)."""
    return sa.select(SecondReview.claim_id).where(SecondReview.state == "awaiting",
                                                  SecondReview.first_user_id != viewer_id)
