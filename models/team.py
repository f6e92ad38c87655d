"""What a lead sets for the whole team: the reviewing guidelines (versioned) and team settings."""
from datetime import datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from .base import Base, utcnow
from .users import User


class Guidelines(Base):
    """One version of the team's reviewing guidelines (Markdown); every save is a new row, none is changed."""

    __tablename__ = "guidelines"
    __table_args__ = (sa.CheckConstraint("version >= 1", name="version"),)

    # Numbered 1, 2, 3 ... by the saver: two leads saving at once cannot both write the same version.
    version: so.Mapped[int] = so.mapped_column(primary_key=True, autoincrement=False)
    body: so.Mapped[str] = so.mapped_column(sa.Text)
    note: so.Mapped[str] = so.mapped_column(sa.String(500), default="")
    created_by_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    created_by: so.Mapped[User] = so.relationship()


class TeamSetting(Base):
    """One team-wide setting a lead changes from the team page (claimtrack.team names them)."""

    __tablename__ = "team_settings"

    name: so.Mapped[str] = so.mapped_column(sa.String(64), primary_key=True)
    value: so.Mapped[Any] = so.mapped_column(sa.JSON)
    updated_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    updated_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
