"""Quantitative claims: what the extractor read, and what reviewers decided."""
from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
import sqlalchemy.orm as so

from claimtrack.extract.entities import subject_key

from .base import Base, utcnow
from .references import REFERENCE_STANDINGS

if TYPE_CHECKING:
    from .conflicts import ConflictGroup
    from .documents import Document
    from .references import ReferenceFigure
    from .users import User

QUALIFIERS = ("=", "~", ">", ">=", "<", "<=")
CHANGES = ("up", "down")
KINDS = ("fact", "target", "projection")
STATUSES = ("pending", "verified", "rejected", "needs_info")
RANKS = ("preferred", "normal", "deprecated")
# Who found the claim: the extractor at ingest, or a reviewer selecting a span it missed.
ORIGINS = ("extractor", "reviewer")

# The fields a reviewer may correct. Each has an `extracted_<field>` twin holding what
# the machine read, which no correction ever overwrites.
REVIEWABLE_FIELDS = (
    "value", "value_max", "uncertainty", "unit", "qualifier", "change",
    "period_start", "period_end", "subject", "measure", "kind",
)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Claim(Base):
    """One quantity stated in a document, anchored to its exact source span."""

    __tablename__ = "claims"
    __table_args__ = (
        sa.CheckConstraint('start >= 0 AND "end" > start', name="span"),
        sa.CheckConstraint(_in("qualifier", QUALIFIERS), name="qualifier"),
        sa.CheckConstraint(_in("extracted_qualifier", QUALIFIERS), name="extracted_qualifier"),
        sa.CheckConstraint(f"change IS NULL OR {_in('change', CHANGES)}", name="change"),
        sa.CheckConstraint(_in("kind", KINDS), name="kind"),
        sa.CheckConstraint(_in("status", STATUSES), name="status"),
        sa.CheckConstraint(_in("rank", RANKS), name="rank"),
        sa.CheckConstraint(_in("origin", ORIGINS), name="origin"),
        sa.CheckConstraint(_in("reference_standing", REFERENCE_STANDINGS), name="reference_standing"),
        sa.CheckConstraint("confidence >= 0 AND confidence <= 1", name="confidence"),
        sa.CheckConstraint("value_max IS NULL OR value_max >= value", name="range"),
        sa.CheckConstraint("uncertainty IS NULL OR uncertainty >= 0", name="uncertainty"),
        sa.CheckConstraint(
            "period_start IS NULL OR period_end IS NULL OR period_end >= period_start", name="period"
        ),
        # The moderation queue: open conflicts first, then (in the "confidence" order a lead may
        # choose) least confident, then oldest (one index scan per band of conflict_open).
        sa.Index("ix_claims_queue", "status", "conflict_open", "confidence", "id"),
        # The other orders a lead may choose: most worth checking first (scanned backwards, so
        # newest first within a score), and document order.
        sa.Index("ix_claims_queue_worth", "status", "conflict_open", "worth", "id"),
        sa.Index("ix_claims_queue_document", "status", "conflict_open", "document_id", "start", "id"),
        sa.Index("ix_claims_document_span", "document_id", "start"),
        # A span is added by hand once: two reviewers selecting it at the same moment make one claim.
        sa.Index("uq_claims_reviewer_span", "document_id", "start", "end", unique=True,
                 sqlite_where=sa.text("origin = 'reviewer'"), postgresql_where=sa.text("origin = 'reviewer'")),
        # The claims list pages by id within a status (keyset pagination).
        sa.Index("ix_claims_status_id", "status", "id"),
        # Conflict detection compares claims about one entity: block by its canonical key.
        sa.Index("ix_claims_subject_key_measure", "subject_key", "measure"),
        sa.Index("ix_claims_reviewed", "reviewed_by_id", "reviewed_at"),
        # The queue's first band: the few claims a reference contradicts.
        sa.Index("ix_claims_contradicting_reference", "status", "id",
                 sqlite_where=sa.text("reference_standing = 'contradicts'"),
                 postgresql_where=sa.text("reference_standing = 'contradicts'")),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    document_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("documents.id", ondelete="RESTRICT"))

    # The source span, a W3C TextQuoteSelector: offsets plus exact quote and its context.
    start: so.Mapped[int]
    end: so.Mapped[int]
    quote: so.Mapped[str] = so.mapped_column(sa.Text)
    prefix: so.Mapped[str] = so.mapped_column(sa.String(64), default="")
    suffix: so.Mapped[str] = so.mapped_column(sa.String(64), default="")
    sentence_start: so.Mapped[int]
    sentence_end: so.Mapped[int]

    # Current values: the extraction until a reviewer corrects them.
    value: so.Mapped[float] = so.mapped_column(sa.Double)
    value_max: so.Mapped[float | None] = so.mapped_column(sa.Double)
    # The stated tolerance in the claim's unit ("5 ± 0.2 K" -> 0.2); None when the text states none.
    uncertainty: so.Mapped[float | None] = so.mapped_column(sa.Double)
    unit: so.Mapped[str] = so.mapped_column(sa.String(32), default="")
    qualifier: so.Mapped[str] = so.mapped_column(sa.String(2), default="=")
    change: so.Mapped[str | None] = so.mapped_column(sa.String(4))
    period_start: so.Mapped[date | None]
    period_end: so.Mapped[date | None]
    subject: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    # Canonical key of `subject` ("country:GH" for "Ghana" and "Currently Ghana"), kept in step by _key_subject.
    subject_key: so.Mapped[str] = so.mapped_column(sa.String(200), server_default="")
    measure: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    # How the measure is counted, from its unit description ("current international $"); "" when unsaid.
    measure_variant: so.Mapped[str] = so.mapped_column(sa.String(200), server_default="")
    kind: so.Mapped[str] = so.mapped_column(sa.String(16), default="fact")

    # What the extractor read; never updated after insert.
    extracted_value: so.Mapped[float] = so.mapped_column(sa.Double)
    extracted_value_max: so.Mapped[float | None] = so.mapped_column(sa.Double)
    extracted_uncertainty: so.Mapped[float | None] = so.mapped_column(sa.Double)
    extracted_unit: so.Mapped[str] = so.mapped_column(sa.String(32), default="")
    extracted_qualifier: so.Mapped[str] = so.mapped_column(sa.String(2), default="=")
    extracted_change: so.Mapped[str | None] = so.mapped_column(sa.String(4))
    extracted_period_start: so.Mapped[date | None]
    extracted_period_end: so.Mapped[date | None]
    extracted_subject: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    extracted_measure: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    extracted_kind: so.Mapped[str] = so.mapped_column(sa.String(16), default="fact")
    measure_text: so.Mapped[str] = so.mapped_column(sa.String(500), default="")
    confidence: so.Mapped[float] = so.mapped_column(sa.Double, default=0.5)
    extractor_version: so.Mapped[str] = so.mapped_column(sa.String(32), default="")
    origin: so.Mapped[str] = so.mapped_column(sa.String(16), server_default="extractor")
    # How much the claim is worth a reviewer's look (claimtrack.triage.worth), kept in step with its fields.
    worth: so.Mapped[int] = so.mapped_column(server_default="0")

    # Review state.
    status: so.Mapped[str] = so.mapped_column(sa.String(16), default="pending")
    reviewed_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    reviewed_at: so.Mapped[datetime | None]

    # Conflict state: the group stating the same fact, and this claim's standing in it.
    group_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("conflict_groups.id"), index=True)
    # Set when a reviewer placed the claim by hand (merge or split); the detector keeps it there.
    group_pinned: so.Mapped[bool] = so.mapped_column(default=False)
    rank: so.Mapped[str] = so.mapped_column(sa.String(16), default="normal")
    rank_reason: so.Mapped[str] = so.mapped_column(sa.String(500), default="")
    # Mirrors "my group is an open conflict" so the queue can order by an index.
    conflict_open: so.Mapped[bool] = so.mapped_column(default=False)
    # How the claim stands against the reference figures of its fact (claimtrack.references), and the
    # figure it was judged against; kept as columns so the queue orders by them through an index.
    reference_standing: so.Mapped[str] = so.mapped_column(sa.String(16), server_default="")
    # No foreign key: SQLite adds one to an existing table only by rebuilding it, which would drop the
    # search triggers on claims. Matching rewrites it whenever a figure goes (claimtrack.references).
    reference_figure_id: so.Mapped[int | None] = so.mapped_column(index=True)

    version: so.Mapped[int] = so.mapped_column(default=1)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    updated_at: so.Mapped[datetime] = so.mapped_column(default=utcnow, onupdate=utcnow)

    __mapper_args__ = {"version_id_col": version}

    document: so.Mapped["Document"] = so.relationship(back_populates="claims")
    reviewed_by: so.Mapped["User | None"] = so.relationship()
    group: so.Mapped["ConflictGroup | None"] = so.relationship(back_populates="claims")
    reference_figure: so.Mapped["ReferenceFigure | None"] = so.relationship(
        primaryjoin="foreign(Claim.reference_figure_id) == ReferenceFigure.id", viewonly=True)

    @so.validates("subject")
    def _key_subject(self, _name: str, subject: str) -> str:
        """Every write of the subject (extraction, a reviewer's correction, an undo) recomputes its key."""
        self.subject_key = subject_key(subject or "")
        return subject

    @property
    def corrected_fields(self) -> dict[str, tuple[object, object]]:
        """The fields whose current value differs from the extraction: {field: (extracted, current)}."""
        return {
            f: (getattr(self, f"extracted_{f}"), getattr(self, f))
            for f in REVIEWABLE_FIELDS
            if getattr(self, f"extracted_{f}") != getattr(self, f)
        }

    def __repr__(self) -> str:
        return f"<Claim {self.id} {self.quote!r} = {self.value} {self.unit}>"


# Subject and measure filters match any case and a prefix: an index on the lower-cased text serves
# `lower(x) LIKE 'p%'` on PostgreSQL (pattern ops) and a range `lower(x) >= 'p' AND < 'p\U0010ffff'` on SQLite.
for _name in ("subject", "measure"):
    sa.Index(f"ix_claims_{_name}_lower", sa.func.lower(Claim.__table__.c[_name]).label(f"{_name}_lower"),
             postgresql_ops={f"{_name}_lower": "text_pattern_ops"})
