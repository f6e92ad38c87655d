"""The append-only audit trail of everything that changed."""
from datetime import datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from .base import Base, utcnow
from .users import User


class AuditEvent(Base):
    """Who did what to which object, with the state before and after; rows are never changed."""

    __tablename__ = "audit_events"
    __table_args__ = (sa.Index("ix_audit_events_object", "object_type", "object_id"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    actor_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    verb: so.Mapped[str] = so.mapped_column(sa.String(40))
    object_type: so.Mapped[str] = so.mapped_column(sa.String(40))
    object_id: so.Mapped[int | None]
    before: so.Mapped[dict[str, Any] | None] = so.mapped_column(sa.JSON)
    after: so.Mapped[dict[str, Any] | None] = so.mapped_column(sa.JSON)
    batch_id: so.Mapped[str | None] = so.mapped_column(sa.String(36), index=True)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow, index=True)

    actor: so.Mapped[User | None] = so.relationship()
