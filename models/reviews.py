"""Reviewers' decisions on claims."""
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from .base import Base, utcnow
from .claims import Claim
from .documents import Document
from .users import User

# How a verifier determined the figure.
EVIDENCE_METHODS = ("stated", "computed", "official")


class Review(Base):
    """One decision, correction or note by a reviewer on a claim; never updated or deleted."""

    __tablename__ = "reviews"
    __table_args__ = (
        sa.Index("ix_reviews_claim_created", "claim_id", "created_at"),
        # A reviewer's decisions today (the queue page) without reading all their history.
        sa.Index("ix_reviews_user_created", "user_id", "created_at"),
        sa.CheckConstraint(
            f"evidence_method IS NULL OR evidence_method IN ({', '.join(repr(m) for m in EVIDENCE_METHODS)})",
            name="evidence_method",
        ),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    claim_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("claims.id", ondelete="RESTRICT"))
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    # verify, reject, needs_info, skip, correct, note, undo, resolve, reopen
    decision: so.Mapped[str] = so.mapped_column(sa.String(20))
    note: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    # {field: [before, after]} for corrections; status before and after for decisions.
    changes: so.Mapped[dict[str, Any]] = so.mapped_column(sa.JSON, default=dict)
    status_before: so.Mapped[str | None] = so.mapped_column(sa.String(16))
    status_after: so.Mapped[str | None] = so.mapped_column(sa.String(16))
    batch_id: so.Mapped[str | None] = so.mapped_column(sa.String(36), index=True)
    # Set on an undo: the review it reverses.
    undoes_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("reviews.id"))
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    # What a verification was checked against: a web page or a stored document, the passage
    # quoted from it, the day it was consulted, and how the figure was determined.
    evidence_url: so.Mapped[str] = so.mapped_column(sa.String(2000), default="", server_default="")
    evidence_document_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("documents.id"))
    evidence_quote: so.Mapped[str] = so.mapped_column(sa.Text, default="", server_default="")
    evidence_checked_on: so.Mapped[date | None]
    evidence_method: so.Mapped[str | None] = so.mapped_column(sa.String(16))
    # The team's reviewing guidelines in force when the review was made.
    guidelines_version: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("guidelines.version"))

    claim: so.Mapped[Claim] = so.relationship()
    user: so.Mapped[User] = so.relationship()
    evidence_document: so.Mapped[Document | None] = so.relationship()

    @property
    def has_evidence(self) -> bool:
        """True if the review records anything it was checked against."""
        return bool(self.evidence_url or self.evidence_document_id or self.evidence_quote
                    or self.evidence_checked_on or self.evidence_method)
