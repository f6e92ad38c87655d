"""Reference sources: tables of trusted figures a lead imports, which claims are checked against."""
from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
import sqlalchemy.orm as so

from .base import Base, utcnow

if TYPE_CHECKING:
    from .users import User

# How a claim stands against the reference figures: "" when none states its fact.
REFERENCE_STANDINGS = ("", "matches", "contradicts")


class ReferenceSource(Base):
    """A table of trusted figures (an official statistics release), imported by a lead under a name."""

    __tablename__ = "reference_sources"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(200), unique=True)
    url: so.Mapped[str] = so.mapped_column(sa.String(1000), default="")
    imported_by_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    imported_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    imported_by: so.Mapped["User"] = so.relationship()
    figures: so.Mapped[list["ReferenceFigure"]] = so.relationship(
        back_populates="source", order_by="ReferenceFigure.id", cascade="all, delete-orphan"
    )


class ReferenceFigure(Base):
    """One trusted figure: an entity's measure for a period, with the page that states it."""

    __tablename__ = "reference_figures"
    __table_args__ = (
        sa.CheckConstraint("period_end >= period_start", name="period"),
        # One figure per fact and period in a source: a re-import updates it in place.
        sa.UniqueConstraint("source_id", "subject_key", "measure_key", "unit", "period_start", "period_end",
                            name="uq_reference_figures_fact"),
        # Matching looks figures up by the subject claims are compared under.
        sa.Index("ix_reference_figures_subject_key", "subject_key", "measure_key"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    source_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("reference_sources.id", ondelete="CASCADE"))
    # The file's line, so a lead can find the row a badge cites.
    line: so.Mapped[int]
    entity: so.Mapped[str] = so.mapped_column(sa.String(200))
    # The subject claims are blocked under: the extractor's canonical key, else the folded name.
    subject_key: so.Mapped[str] = so.mapped_column(sa.String(200))
    measure: so.Mapped[str] = so.mapped_column(sa.String(200))
    # The measure folded as claims' measures are for conflict detection.
    measure_key: so.Mapped[str] = so.mapped_column(sa.String(200))
    period_start: so.Mapped[date]
    period_end: so.Mapped[date]
    value: so.Mapped[float] = so.mapped_column(sa.Double)
    # The value as the file writes it: its last digit is the figure's precision, as a quote's is a claim's.
    value_text: so.Mapped[str] = so.mapped_column(sa.String(64))
    unit: so.Mapped[str] = so.mapped_column(sa.String(32), default="")
    source_url: so.Mapped[str] = so.mapped_column(sa.String(1000), default="")
    note: so.Mapped[str] = so.mapped_column(sa.Text, default="")

    source: so.Mapped[ReferenceSource] = so.relationship(back_populates="figures")

    @property
    def period_label(self) -> str:
        """The period as people write it: "2023" for a calendar year, else "FROM..TO"."""
        start, end = self.period_start, self.period_end
        if (start.month, start.day, end.month, end.day) == (1, 1, 12, 31) and start.year == end.year:
            return str(start.year)
        return f"{start.isoformat()}..{end.isoformat()}"
