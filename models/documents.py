"""Documents as ingested: their exact text and where they came from."""
from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
import sqlalchemy.orm as so

from .base import Base, utcnow

if TYPE_CHECKING:
    from .claims import Claim


class Document(Base):
    """A source text; its `text` is stored exactly and never changes after ingest."""

    __tablename__ = "documents"
    # The documents list pages through this, newest publication first.
    __table_args__ = (sa.Index("ix_documents_published_id", "published", "id"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    sha256: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    file_name: so.Mapped[str] = so.mapped_column(sa.String(255), index=True)
    title: so.Mapped[str] = so.mapped_column(sa.String(500))
    author: so.Mapped[str] = so.mapped_column(sa.String(255), default="")
    publisher: so.Mapped[str] = so.mapped_column(sa.String(255), default="")
    source: so.Mapped[str] = so.mapped_column(sa.String(1000), default="")
    source_note: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    media_type: so.Mapped[str] = so.mapped_column(sa.String(64), default="text/plain")
    published: so.Mapped[date | None]
    text: so.Mapped[str] = so.mapped_column(sa.Text)
    char_count: so.Mapped[int]
    extractor_version: so.Mapped[str] = so.mapped_column(sa.String(32), default="")
    ingested_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    claims: so.WriteOnlyMapped["Claim"] = so.relationship(back_populates="document")

    def __repr__(self) -> str:
        return f"<Document {self.id} {self.file_name!r}>"
