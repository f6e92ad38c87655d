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
RESOLUTION_DECISIONS = ("prefer", "all_right", "unresolved")


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
    subject: so.Mapped[str] = so.mapped_column(sa.String(200))
    measure: so.Mapped[str] = so.mapped_column(sa.String(200))
    dimension: so.Mapped[str] = so.mapped_column(sa.String(64), default="")
    status: so.Mapped[str] = so.mapped_column(sa.String(16), default="open")
    # A group whose members differ by period: a time series, not a conflict.
    is_series: so.Mapped[bool] = so.mapped_column(default=False)
    note: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    # Set when a reviewer merged this group into another: claims of this key go there from now on.
    merged_into_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("conflict_groups.id"))
    version: so.Mapped[int] = so.mapped_column(default=1)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    updated_at: so.Mapped[datetime] = so.mapped_column(default=utcnow, onupdate=utcnow)

    __mapper_args__ = {"version_id_col": version}

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
