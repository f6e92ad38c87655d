"""Personal API tokens: only a hash of each is stored."""
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from .base import Base, utcnow
from .users import User


class ApiToken(Base):
    """A user's token for the JSON API; it acts with the user's role and nothing more."""

    __tablename__ = "api_tokens"
    __table_args__ = (sa.Index("ix_api_tokens_user_created", "user_id", "created_at"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    name: so.Mapped[str] = so.mapped_column(sa.String(100))
    # sha256 of the token, hex: the token itself is shown once and never stored.
    token_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    last_used_at: so.Mapped[datetime | None]
    revoked_at: so.Mapped[datetime | None]

    user: so.Mapped[User] = so.relationship()

    @property
    def active(self) -> bool:
        """A revoked token authenticates nobody."""
        return self.revoked_at is None

    def __repr__(self) -> str:
        return f"<ApiToken {self.id} {self.name!r} of user {self.user_id}>"
