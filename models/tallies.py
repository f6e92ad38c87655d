"""Daily counts of reviews, kept as reviews are written, so the leads' dashboard never counts the history.

On SQLite the tallies are WITHOUT ROWID tables: rows are stored in key order, so a date range is
one contiguous read with the counts in hand, not an index walk with a row lookup per entry.
"""
from datetime import date

import sqlalchemy as sa
import sqlalchemy.orm as so

from .base import Base


class ReviewerDay(Base):
    """How many reviews of one kind a reviewer made on one day (UTC)."""

    __tablename__ = "tally_reviewer_days"
    __table_args__ = {"sqlite_with_rowid": False}

    day: so.Mapped[date] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"), primary_key=True)
    decision: so.Mapped[str] = so.mapped_column(sa.String(20), primary_key=True)
    count: so.Mapped[int] = so.mapped_column(default=0)


class DocumentDay(Base):
    """How many reviews of one kind a document's claims had on one day (UTC)."""

    __tablename__ = "tally_document_days"
    # The dashboard lists the newest documents reviewed in a range: a backward scan of this index.
    __table_args__ = (sa.Index("ix_tally_document_days_document_day", "document_id", "day"),
                      {"sqlite_with_rowid": False})

    day: so.Mapped[date] = so.mapped_column(primary_key=True)
    document_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("documents.id"), primary_key=True)
    decision: so.Mapped[str] = so.mapped_column(sa.String(20), primary_key=True)
    count: so.Mapped[int] = so.mapped_column(default=0)


class ReasonDay(Base):
    """How often a reviewer gave one rejection reason (the note, normalised) on one day (UTC)."""

    __tablename__ = "tally_reason_days"
    __table_args__ = {"sqlite_with_rowid": False}

    day: so.Mapped[date] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"), primary_key=True)
    reason: so.Mapped[str] = so.mapped_column(sa.String(200), primary_key=True)
    count: so.Mapped[int] = so.mapped_column(default=0)


class TimingDay(Base):
    """How long a reviewer's decisions on one day (UTC) took: {seconds, rounded down to its step: count}.

    One row per reviewer and day, the steps in a JSON object, so a year's median reads a few
    thousand rows rather than one per reviewer, day and step.
    """

    __tablename__ = "tally_timing_days"
    __table_args__ = {"sqlite_with_rowid": False}

    day: so.Mapped[date] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"), primary_key=True)
    steps: so.Mapped[dict[str, int]] = so.mapped_column(sa.JSON, default=dict)
