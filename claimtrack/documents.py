"""Reading stored documents: summaries for listings and text split around claim spans."""
import re
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


@dataclass(frozen=True)
class SpanInContext:
    """A claim's paragraph cut in three, its span in the middle (plain text: templates escape it)."""

    before: str
    quote: str
    after: str


_SENTENCE_END = re.compile(r"[.!?。][\"'”’)]*\s+")


def span_in_paragraph(text: str, start: int, end: int, limit: int = 600) -> SpanInContext:
    """The paragraph around text[start:end], trimmed to about `limit` characters a side at sentence or word edges."""
    first = text.rfind("\n", 0, start) + 1
    last = text.find("\n", end)
    last = len(text) if last < 0 else last
    if start - first > limit:
        cut = start - limit
        boundary = _SENTENCE_END.search(text, cut, start)
        space = text.find(" ", cut, start)
        first = boundary.end() if boundary else (space + 1 if space >= 0 else cut)
    if last - end > limit:
        cut = end + limit
        ends = list(_SENTENCE_END.finditer(text, end, cut))
        space = text.rfind(" ", end, cut)
        last = ends[-1].start() + 1 if ends else (space if space > end else cut)
    return SpanInContext(text[first:start], text[start:end], text[end:last])
