"""Reviewers and leads who log in to Claimtrack."""
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from .base import Base, utcnow

ROLES = ("reviewer", "lead")


class User(Base):
    """A person who reviews claims; a lead also manages users and bulk decisions."""

    __tablename__ = "users"
    __table_args__ = (sa.CheckConstraint("role IN ('reviewer', 'lead')", name="role"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    username: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    password_hash: so.Mapped[str] = so.mapped_column(sa.String(255))
    role: so.Mapped[str] = so.mapped_column(sa.String(16), default="reviewer")
    active: so.Mapped[bool] = so.mapped_column(default=True)
    # Replaced on logout, password or role change and deactivation, so every earlier session ends.
    session_token: so.Mapped[str] = so.mapped_column(sa.String(64))
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    @property
    def is_lead(self) -> bool:
        """True for a team lead."""
        return self.role == "lead"

    # The three attributes Flask-Login reads, written here so models import no Flask.
    @property
    def is_active(self) -> bool:
        """An inactive account cannot log in."""
        return self.active

    is_authenticated = True
    is_anonymous = False

    def get_id(self) -> str:
        """The login session's key: id plus token, so a reset token logs the user out."""
        return f"{self.id}:{self.session_token}"

    def __repr__(self) -> str:
        return f"<User {self.username} ({self.role})>"


# Usernames are one identity whatever their case: `Alice` and `alice` cannot both exist.
sa.Index("uq_users_username_lower", sa.func.lower(User.username), unique=True)


class LoginAttempt(Base):
    """A failed login, counted per username and per client address to slow down guessing.

    Kept in the database, not in process memory, so the limit holds across every worker
    and app server.
    """

    __tablename__ = "login_attempts"
    __table_args__ = (
        sa.Index("ix_login_attempts_username", "username", "attempted_at"),
        sa.Index("ix_login_attempts_address", "address", "attempted_at"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    username: so.Mapped[str] = so.mapped_column(sa.String(64))
    address: so.Mapped[str] = so.mapped_column(sa.String(64))
    attempted_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
