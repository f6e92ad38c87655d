"""Who is working on which claim right now, and what each reviewer skipped."""
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from .base import Base, utcnow
from .users import User


class Lease(Base):
    """A reviewer's time-limited hold on a claim; at most one per claim."""

    __tablename__ = "leases"

    claim_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("claims.id", ondelete="CASCADE"), primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"), index=True)
    leased_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    expires_at: so.Mapped[datetime] = so.mapped_column(index=True)

    user: so.Mapped[User] = so.relationship()


class Skip(Base):
    """A claim a reviewer skipped: it goes to the back of that reviewer's queue."""

    __tablename__ = "skips"

    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"), primary_key=True)
    claim_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("claims.id", ondelete="CASCADE"), primary_key=True)
    skipped_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
