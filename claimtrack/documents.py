"""Reading stored documents: summaries for listings and text split around claim spans."""
import re
from dataclasses import dataclass, field, replace
from datetime import date

import sqlalchemy as sa
import sqlalchemy.orm as so

from models import STATUSES, Claim, Document, blind_claim_ids

from .markup import Run, pieces


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
    # The text as styled runs (Markdown headings and emphasis); they join to exactly `text`.
    runs: tuple[Run, ...] = field(default=(), compare=False)


PAGE_SIZE = 50


@dataclass(frozen=True)
class DocumentPage:
    """One page of the documents list, and the id to continue after (None on the last page)."""

    documents: list[DocumentSummary]
    next_after: int | None


def _page_ids(session: so.Session, after: int | None, limit: int) -> list[int]:
    """Ids of the next documents: dated ones newest first, then undated ones, newest id first.

    Two keyset scans of one (published, id) index, so a page costs the same on both databases
    however many documents there are (a single ORDER BY with NULLS LAST cannot use that index).
    """
    cursor = session.execute(sa.select(Document.published).where(Document.id == after)).first() if after else None
    ids: list[int] = []
    undated_after = None
    if cursor is None or cursor.published is not None:
        dated = (
            sa.select(Document.id)
            .where(Document.published.is_not(None))
            .order_by(Document.published.desc(), Document.id.desc())
            .limit(limit)
        )
        if cursor is not None:
            dated = dated.where(sa.tuple_(Document.published, Document.id) < sa.tuple_(cursor.published, after))
        ids = list(session.scalars(dated))
    else:
        undated_after = after
    if len(ids) < limit:
        undated = sa.select(Document.id).where(Document.published.is_(None)).order_by(Document.id.desc())
        if undated_after is not None:
            undated = undated.where(Document.id < undated_after)
        ids += session.scalars(undated.limit(limit - len(ids)))
    return ids


def status_counts(viewer_id: int | None = None) -> list[sa.ColumnElement[int]]:
    """One count of claims per status, in STATUSES order, for a select joined to claims, as `viewer_id`
    (when given) may see them: a claim awaiting their blind second review counts as pending.

    Counted as decided, such a claim would tell that viewer that a first decision was made, and which.
    The counts are taken in the one statement, so they add up under concurrent decisions.
    """
    if viewer_id is None:
        return [sa.func.count(Claim.id).filter(Claim.status == status) for status in STATUSES]
    blind = Claim.id.in_(blind_claim_ids(viewer_id))
    return [sa.func.count(Claim.id).filter(sa.or_(Claim.status == status, blind) if status == "pending"
                                           else sa.and_(Claim.status == status, ~blind))
            for status in STATUSES]


def status_totals(session: so.Session, viewer_id: int) -> dict[str, int]:
    """Claims per status over the whole corpus, as `viewer_id` may see them (see `status_counts`).

    The corpus is counted by the status index alone (an index-only scan once vacuumed) and the few
    claims awaiting the viewer's blind review apart, in one statement so the two agree.
    """
    counted = sa.union_all(
        sa.select(Claim.status, sa.literal(False).label("blind"), sa.func.count()).group_by(Claim.status),
        sa.select(Claim.status, sa.literal(True).label("blind"), sa.func.count())
        .where(Claim.id.in_(blind_claim_ids(viewer_id))).group_by(Claim.status),
    )
    totals = dict.fromkeys(STATUSES, 0)
    for status, blind, count in session.execute(counted):
        if blind and status != "pending":
            totals[status] -= count
            totals["pending"] += count
        elif not blind:
            totals[status] += count
    return totals


def document_page(session: so.Session, after: int | None = None, limit: int | None = None,
                  viewer_id: int | None = None) -> DocumentPage:
    """A page of documents (PAGE_SIZE by default), newest publication first (undated last), with claim counts
    (as `viewer_id`, when given, may see them: see `status_counts`)."""
    limit = limit or PAGE_SIZE
    ids = _page_ids(session, after, limit + 1)
    page_ids = ids[:limit]
    rows = session.execute(
        sa.select(
            Document.id, Document.title, Document.file_name, Document.author, Document.published,
            sa.func.count(Claim.id), *status_counts(viewer_id),
        )
        .outerjoin(Claim, Claim.document_id == Document.id)
        .where(Document.id.in_(page_ids))
        .group_by(Document.id)
    )
    by_id = {row[0]: DocumentSummary(*row) for row in rows}
    return DocumentPage([by_id[i] for i in page_ids], page_ids[-1] if len(ids) > limit else None)


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


@dataclass(frozen=True)
class DocumentClaim:
    """A row of a document's claim list, beside its text."""

    id: int
    status: str
    value: float
    value_max: float | None
    unit: str
    subject: str
    measure: str
    quote: str


def document_claims(session: so.Session, document: Document) -> list[DocumentClaim]:
    """The document's claims in the order of the text (one index range of ix_claims_document_span)."""
    rows = session.execute(
        sa.select(Claim.id, Claim.status, Claim.value, Claim.value_max, Claim.unit, Claim.subject, Claim.measure,
                  Claim.quote)
        .where(Claim.document_id == document.id)
        .order_by(Claim.start, Claim.id)
    )
    return [DocumentClaim(*row) for row in rows]


def document_segments(session: so.Session, document: Document) -> list[Segment]:
    """The document's text split around all of its claims."""
    spans = session.execute(
        sa.select(Claim.id, Claim.start, Claim.end, Claim.status).where(Claim.document_id == document.id)
    ).all()
    return styled(document.text, segments(document.text, [tuple(row) for row in spans]))


def styled(text: str, parts: list[Segment]) -> list[Segment]:
    """`parts` (which cut `text` in order, from its start) with their Markdown styling as runs."""
    bounds = [0]
    for part in parts:
        bounds.append(bounds[-1] + len(part.text))
    return [replace(part, runs=tuple(runs)) for part, runs in zip(parts, pieces(text, bounds))]


@dataclass(frozen=True)
class SpanInContext:
    """A claim's paragraph cut in three, its span in the middle (plain text: templates escape it)."""

    before: str
    quote: str
    after: str
    # The three as styled runs (Markdown headings and emphasis), each joining to its text.
    before_runs: tuple[Run, ...] = field(default=(), compare=False)
    quote_runs: tuple[Run, ...] = field(default=(), compare=False)
    after_runs: tuple[Run, ...] = field(default=(), compare=False)


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
    before, quote, after = pieces(text, [first, start, end, last])
    return SpanInContext(text[first:start], text[start:end], text[end:last], tuple(before), tuple(quote), tuple(after))
