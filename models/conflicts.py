"""Groups of claims that state the same fact, and reviewers' resolutions of them."""
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from .base import Base, utcnow
from .users import User

if TYPE_CHECKING:
    from .claims import Claim

GROUP_STATUSES = ("consistent", "open", "resolved", "unresolved")
# "reference": the values a reference figure contradicts were deprecated in its favour.
RESOLUTION_DECISIONS = ("prefer", "all_right", "unresolved", "reference")
SUGGESTION_STATUSES = ("pending", "same", "different")
# Where a learned equivalence or separation came from.
LEARNED_ORIGINS = ("merge", "split", "suggestion")


class ConflictGroup(Base):
    """Claims about the same subject and measure, in compatible units and periods."""

    __tablename__ = "conflict_groups"
    __table_args__ = (
        sa.CheckConstraint(
            f"status IN ({', '.join(repr(s) for s in GROUP_STATUSES)})", name="status"
        ),
        sa.Index("ix_conflict_groups_status", "status", "id"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    # The detector's grouping key (subject | measure | unit dimension); not unique, since
    # reviewers may split one key into several groups.
    key: so.Mapped[str] = so.mapped_column(sa.String(500), index=True)
    # Where its claims are compared (subject | unit dimension, plus kind and change when not a
    # plain level), and the folded measure of its first claims: the block's other measures are
    # scored against it.
    block: so.Mapped[str] = so.mapped_column(sa.String(400), default="", index=True)
    measure_key: so.Mapped[str] = so.mapped_column(sa.String(200), default="", index=True)
    subject: so.Mapped[str] = so.mapped_column(sa.String(200))
    measure: so.Mapped[str] = so.mapped_column(sa.String(200))
    dimension: so.Mapped[str] = so.mapped_column(sa.String(64), default="")
    status: so.Mapped[str] = so.mapped_column(sa.String(16), default="open")
    # A group whose members differ by period: a time series, not a conflict.
    is_series: so.Mapped[bool] = so.mapped_column(default=False)
    note: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    # Set when a reviewer merged this group into another: claims of this key go there from now on.
    # Indexed: deleting or renumbering a group checks this self-reference, a full scan per row without it.
    merged_into_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("conflict_groups.id"), index=True)
    version: so.Mapped[int] = so.mapped_column(default=1)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    updated_at: so.Mapped[datetime] = so.mapped_column(default=utcnow, onupdate=utcnow)

    __mapper_args__ = {"version_id_col": version}

    @property
    def subject_key(self) -> str:
        """The subject its claims are compared under: the entity's canonical key, or its folded name."""
        return self.block.partition("|")[0]

    merged_into: so.Mapped["ConflictGroup | None"] = so.relationship(remote_side=[id])
    claims: so.Mapped[list["Claim"]] = so.relationship(back_populates="group")
    resolutions: so.Mapped[list["Resolution"]] = so.relationship(
        back_populates="group", order_by="Resolution.id.desc()"
    )


class Resolution(Base):
    """A reviewer's decision on a conflict group; an undo is a later row, nothing is deleted."""

    __tablename__ = "resolutions"
    __table_args__ = (
        sa.CheckConstraint(
            f"decision IN ({', '.join(repr(d) for d in RESOLUTION_DECISIONS)})", name="decision"
        ),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    group_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("conflict_groups.id"), index=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    decision: so.Mapped[str] = so.mapped_column(sa.String(16))
    preferred_claim_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("claims.id"))
    note: so.Mapped[str] = so.mapped_column(sa.Text)
    # Each member's rank, reason and period before and after, so an undo can restore them.
    details: so.Mapped[dict[str, Any]] = so.mapped_column(sa.JSON, default=dict)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    undone_at: so.Mapped[datetime | None]
    undone_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))

    group: so.Mapped[ConflictGroup] = so.relationship(back_populates="resolutions")
    user: so.Mapped[User] = so.relationship(foreign_keys=[user_id])


class MeasureEquivalence(Base):
    """A lead's word that two measures are the same fact (or never are), for one subject or all.

    Detection uses the active ones from then on; an undo stamps `undone_at`, nothing is deleted.
    """

    __tablename__ = "measure_equivalences"
    __table_args__ = (
        sa.CheckConstraint(f"origin IN ({', '.join(repr(o) for o in LEARNED_ORIGINS)})", name="origin"),
        sa.CheckConstraint("measure_a < measure_b", name="ordered"),
        sa.Index("ix_measure_equivalences_subject", "subject_key", "undone_at"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    # "" for every subject.
    subject_key: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    measure_a: so.Mapped[str] = so.mapped_column(sa.String(200))
    measure_b: so.Mapped[str] = so.mapped_column(sa.String(200))
    # True: the same fact; False: never the same fact.
    same: so.Mapped[bool]
    origin: so.Mapped[str] = so.mapped_column(sa.String(16))
    note: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    created_by_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    undone_at: so.Mapped[datetime | None]
    undone_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))

    created_by: so.Mapped[User] = so.relationship(foreign_keys=[created_by_id])
    undone_by: so.Mapped[User | None] = so.relationship(foreign_keys=[undone_by_id])


class MatchSuggestion(Base):
    """Two measures of one block that detection scored as possibly the same fact, for a lead to answer."""

    __tablename__ = "match_suggestions"
    __table_args__ = (
        sa.CheckConstraint(f"status IN ({', '.join(repr(s) for s in SUGGESTION_STATUSES)})", name="status"),
        sa.CheckConstraint("measure_a < measure_b", name="ordered"),
        sa.UniqueConstraint("block", "measure_a", "measure_b", name="uq_match_suggestions_pair"),
        sa.Index("ix_match_suggestions_status", "status", "id"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    block: so.Mapped[str] = so.mapped_column(sa.String(400))
    measure_a: so.Mapped[str] = so.mapped_column(sa.String(200))
    measure_b: so.Mapped[str] = so.mapped_column(sa.String(200))
    score: so.Mapped[float] = so.mapped_column(sa.Double)
    status: so.Mapped[str] = so.mapped_column(sa.String(16), default="pending")
    # The equivalence or separation the answer recorded.
    equivalence_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("measure_equivalences.id"))
    answered_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    answered_at: so.Mapped[datetime | None]
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    equivalence: so.Mapped[MeasureEquivalence | None] = so.relationship()
    answered_by: so.Mapped[User | None] = so.relationship()

    @property
    def subject_key(self) -> str:
        """The subject both measures are of."""
        return self.block.partition("|")[0]
