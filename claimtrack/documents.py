"""Reading stored documents: summaries for listings and text split around claim spans."""
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
import sqlalchemy.orm as so

from models import Claim, Document


@dataclass(frozen=True)
class DocumentSummary:
    """A row of the documents list."""

    id: int
    title: str
    file_name: str
    author: str
    published: date | None
    claims: int
    pending: int
    verified: int
    rejected: int
    needs_info: int


@dataclass(frozen=True)
class Segment:
    """A run of document text, either plain or the span of one claim."""

    text: str
    claim_id: int | None = None
    status: str = ""


def document_summaries(session: so.Session) -> list[DocumentSummary]:
    """Every document, newest publication first, with its claim counts by status."""
    counts = {
        status: sa.func.count(Claim.id).filter(Claim.status == status)
        for status in ("pending", "verified", "rejected", "needs_info")
    }
    rows = session.execute(
        sa.select(
            Document.id, Document.title, Document.file_name, Document.author, Document.published,
            sa.func.count(Claim.id), *counts.values(),
        )
        .outerjoin(Claim, Claim.document_id == Document.id)
        .group_by(Document.id)
        .order_by(Document.published.desc().nulls_last(), Document.id)
    )
    return [DocumentSummary(*row) for row in rows]


def segments(text: str, spans: list[tuple[int, int, int, str]]) -> list[Segment]:
    """Split `text` into plain runs and claim spans (claim_id, start, end, status); overlaps keep the first."""
    out: list[Segment] = []
    position = 0
    for claim_id, start, end, status in sorted(spans, key=lambda s: (s[1], s[2])):
        if start < position or end > len(text):
            continue
        if start > position:
            out.append(Segment(text[position:start]))
        out.append(Segment(text[start:end], claim_id, status))
        position = end
    if position < len(text):
        out.append(Segment(text[position:]))
    return out


def document_segments(session: so.Session, document: Document) -> list[Segment]:
    """The document's text split around all of its claims."""
    spans = session.execute(
        sa.select(Claim.id, Claim.start, Claim.end, Claim.status).where(Claim.document_id == document.id)
    ).all()
    return segments(document.text, [tuple(row) for row in spans])
