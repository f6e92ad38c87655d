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


# JSONB on PostgreSQL: the agreement report groups by fields inside these documents, and JSONB is
# read without re-parsing the text for every field (1.6 s instead of 3.3 s at 29,000 claims).
ANSWERS = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


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


def blind_to(claim_id, viewer_id: int, row: type[SecondReview] | so.util.AliasedClass = SecondReview) -> sa.Exists:
    """SQL: the claim awaits a second review and `viewer_id` did not make its first: they must see it blind.

    The one statement of blindness (claimtrack.second_review.is_blind is its form for one loaded row);
    `row` is an alias where the query joins second_reviews itself.
    """
    return sa.exists().where(row.claim_id == claim_id, row.state == "awaiting", row.first_user_id != viewer_id)
