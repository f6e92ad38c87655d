"""Verified claims out as CSV: filters, the column set, safe cells, streamed page by page.

The web download (`GET /export.csv`) and `claimtrack export` both iterate `CsvExport`;
the columns and the cell rules are documented in docs/export.md and must stay stable.
"""
import contextlib
import csv
import io
import logging
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

import sqlalchemy as sa
import sqlalchemy.orm as so

from models import KINDS, STATUSES, Claim, ConflictGroup, Document, Review, User

log = logging.getLogger(__name__)

COLUMNS = (
    "claim_id", "subject", "measure", "value", "value_max", "unit", "qualifier", "change",
    "period_start", "period_end", "kind", "status", "rank", "rank_reason", "conflict_group_id",
    "document_title", "document_source", "document_published", "document_sha256",
    "span_start", "span_end", "quote", "sentence", "extracted_value", "extracted_unit",
    "reviewed_by", "reviewed_at", "review_note",
)

# conflicts=settled leaves out deprecated values and claims whose group is still disputed;
# all keeps everything; preferred keeps only the values a resolution preferred.
CONFLICT_CHOICES = ("settled", "all", "preferred")
DISPUTED_GROUP_STATUSES = ("open", "unresolved")

# The reviews whose note explains the claim's current state (not skips, plain notes or undos).
DECISIONS = ("verify", "reject", "needs_info", "correct")

# Leading characters that make Excel, LibreOffice or Sheets read a cell as a formula (OWASP).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
INERT_PREFIX = "'"

PAGE_SIZE = 5000
# Document texts kept for the sentence column; claims come in id order, which follows
# ingest order, so a few recent documents cover nearly every page.
TEXT_CACHE_CHARS = 4 * 1024 * 1024


class ExportFilterError(ValueError):
    """Filters that cannot be satisfied as given (an inverted date range, an unknown choice)."""


@dataclass(frozen=True)
class ExportFilters:
    """Which claims to export; every field left empty means "no restriction" except status."""

    status: tuple[str, ...] = ("verified",)
    document: int | None = None
    subject: str | None = None
    measure: str | None = None
    kind: str | None = None
    reviewer: str | None = None
    period_from: date | None = None
    period_to: date | None = None
    reviewed_from: date | None = None
    reviewed_to: date | None = None
    conflicts: str = "settled"

    def __post_init__(self):
        if not self.status:
            object.__setattr__(self, "status", ("verified",))
        for status in self.status:
            if status not in STATUSES:
                raise ExportFilterError(f"status must be one of {', '.join(STATUSES)}, not {status!r}")
        if self.kind is not None and self.kind not in KINDS:
            raise ExportFilterError(f"kind must be one of {', '.join(KINDS)}, not {self.kind!r}")
        if self.conflicts not in CONFLICT_CHOICES:
            raise ExportFilterError(
                f"conflicts must be one of {', '.join(CONFLICT_CHOICES)}, not {self.conflicts!r}"
            )
        for name in ("period", "reviewed"):
            low, high = getattr(self, f"{name}_from"), getattr(self, f"{name}_to")
            if low and high and high < low:
                raise ExportFilterError(f"{name}_to ({high}) is before {name}_from ({low})")


def format_number(value: float | None) -> str:
    """A float as the shortest decimal that reads back as the same float, never in e-notation."""
    if value is None:
        return ""
    if value.is_integer():
        return str(int(value))
    text = repr(value)
    if "e" in text or "E" in text:
        return format(Decimal(text), "f")
    return text


def inert_text(text: str | None) -> str:
    """Text made safe to open in a spreadsheet: a leading formula character gets a `'` in front."""
    if not text:
        return ""
    if text[0] in FORMULA_TRIGGERS:
        return INERT_PREFIX + text
    return text


def format_timestamp(value: datetime | None) -> str:
    """An aware datetime as ISO 8601 UTC to the second, e.g. 2024-05-01T09:30:00Z."""
    if value is None:
        return ""
    # isoformat is several times faster than strftime, which matters at a million rows.
    return value.astimezone(timezone.utc).replace(tzinfo=None).isoformat("T", "seconds") + "Z"


def export_query(filters: ExportFilters) -> sa.Select:
    """The claims matching `filters` with everything a row needs, in one statement, by claim id."""
    latest_note = (
        sa.select(Review.note)
        .where(Review.claim_id == Claim.id, Review.decision.in_(DECISIONS))
        .order_by(Review.created_at.desc(), Review.id.desc())
        .limit(1)
        .correlate(Claim)
        .scalar_subquery()
    )
    query = (
        sa.select(
            Claim.id, Claim.subject, Claim.measure, Claim.value, Claim.value_max, Claim.unit,
            Claim.qualifier, Claim.change, Claim.period_start, Claim.period_end, Claim.kind,
            Claim.status, Claim.rank, Claim.rank_reason, Claim.group_id,
            Document.title, Document.source, Document.published, Document.sha256,
            Claim.start, Claim.end, Claim.quote, Claim.extracted_value, Claim.extracted_unit,
            User.username, Claim.reviewed_at, latest_note,
            # Not columns of the file: where the sentence column is cut from.
            Claim.document_id, Claim.sentence_start, Claim.sentence_end,
        )
        .join(Document, Document.id == Claim.document_id)
        .outerjoin(User, User.id == Claim.reviewed_by_id)
        # `status || ''` keeps the planner off the status index: through it SQLite reads and
        # sorts every matching claim for each page (quadratic over the export); walking the
        # primary key from :last makes the whole export one pass over the table.
        .where((Claim.status + "").in_(filters.status))
        .order_by(Claim.id)
    )
    if filters.document is not None:
        query = query.where(Claim.document_id == filters.document)
    if filters.subject is not None:
        query = query.where(Claim.subject == filters.subject)
    if filters.measure is not None:
        query = query.where(Claim.measure == filters.measure)
    if filters.kind is not None:
        query = query.where(Claim.kind == filters.kind)
    if filters.reviewer is not None:
        query = query.where(User.username == filters.reviewer)
    # A claim is in a period range when its whole period lies inside it.
    if filters.period_from is not None:
        query = query.where(Claim.period_start >= filters.period_from)
    if filters.period_to is not None:
        query = query.where(Claim.period_end <= filters.period_to)
    # Review dates are whole UTC days, both ends included.
    if filters.reviewed_from is not None:
        query = query.where(Claim.reviewed_at >= datetime.combine(filters.reviewed_from, time(), timezone.utc))
    if filters.reviewed_to is not None:
        query = query.where(
            Claim.reviewed_at < datetime.combine(filters.reviewed_to + timedelta(days=1), time(), timezone.utc)
        )
    if filters.conflicts == "settled":
        disputed = sa.select(ConflictGroup.id).where(ConflictGroup.status.in_(DISPUTED_GROUP_STATUSES))
        query = query.where(
            Claim.rank != "deprecated",
            sa.or_(Claim.group_id.is_(None), Claim.group_id.not_in(disputed)),
        )
    elif filters.conflicts == "preferred":
        query = query.where(Claim.rank == "preferred")
    return query


class _DocumentTexts:
    """Document texts for the sentence column, fetched once per page for the documents it needs."""

    def __init__(self, session: so.Session, budget: int = TEXT_CACHE_CHARS):
        self.session = session
        self.budget = budget
        self.texts: OrderedDict[int, str] = OrderedDict()
        self.size = 0

    def load(self, document_ids: Iterable[int]) -> dict[int, str]:
        """The texts of `document_ids`, reading only those not already held."""
        wanted = set(document_ids)
        missing = wanted - self.texts.keys()
        if missing:
            rows = self.session.execute(
                sa.select(Document.id, Document.text).where(Document.id.in_(sorted(missing)))
            )
            for document_id, text in rows:
                self.texts[document_id] = text
                self.size += len(text)
        for document_id in wanted:
            self.texts.move_to_end(document_id)
        # Evict the least recently used texts, never one this page needs.
        while self.size > self.budget and len(self.texts) > len(wanted):
            _, text = self.texts.popitem(last=False)
            self.size -= len(text)
        return {document_id: self.texts[document_id] for document_id in wanted}


class CsvExport:
    """The CSV of the claims matching `filters`, produced as text chunks (header, then one per page).

    Each page is read in its own short transaction (the session is rolled back after every
    page, so give it a session of its own): a slow download then holds no lock on SQLite and
    no snapshot on PostgreSQL. After iterating, `rows` is the number of claims written and
    `failure` the reason the export stopped early, if it did; that reason is also the last
    line of the output (`# export failed after N rows: reason`).
    """

    def __init__(self, session: so.Session, filters: ExportFilters, *, bom: bool = False,
                 page_size: int = PAGE_SIZE):
        self.session = session
        self.filters = filters
        self.bom = bom
        self.page_size = page_size
        self.rows = 0
        self.failure: str | None = None

    def __iter__(self) -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        if self.bom:
            buffer.write("\ufeff")
        writer.writerow(COLUMNS)
        yield _drain(buffer)
        try:
            for page in self._pages():
                writer.writerows(page)
                self.rows += len(page)
                yield _drain(buffer)
        except Exception as exc:  # noqa: BLE001 - the reader must see that the file is incomplete
            self.failure = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
            log.exception("CSV export failed after %d rows", self.rows)
            # The connection may be what failed; telling the reader matters more than tidying up.
            with contextlib.suppress(Exception):
                self.session.rollback()
            writer.writerow([f"# export failed after {self.rows} rows: {self.failure}"])
            yield _drain(buffer)

    def _pages(self) -> Iterator[list[tuple]]:
        """Formatted rows, a page at a time, by keyset pagination on claim id."""
        query = export_query(self.filters)
        texts = _DocumentTexts(self.session)
        last = 0
        while True:
            # Core rows through the session's connection: no ORM result processing per row.
            rows = self.session.connection().execute(query.where(Claim.id > last).limit(self.page_size)).all()
            if not rows:
                self.session.rollback()
                return
            documents = texts.load(row.document_id for row in rows)
            self.session.rollback()
            last = rows[-1][0]
            yield [_format_row(row, documents) for row in rows]


def _format_row(row, documents: dict[int, str]) -> tuple:
    (claim_id, subject, measure, value, value_max, unit, qualifier, change, period_start,
     period_end, kind, status, rank, rank_reason, group_id, title, source, published, sha256,
     start, end, quote, extracted_value, extracted_unit, reviewed_by, reviewed_at, note,
     document_id, sentence_start, sentence_end) = row
    # Numbers, dates and ids go out untouched (csv writes None as an empty cell); every
    # text cell passes through inert_text.
    return (
        claim_id, inert_text(subject), inert_text(measure), format_number(value),
        format_number(value_max), inert_text(unit), inert_text(qualifier), inert_text(change),
        period_start, period_end, inert_text(kind), inert_text(status), inert_text(rank),
        inert_text(rank_reason), group_id, inert_text(title), inert_text(source), published,
        inert_text(sha256), start, end, inert_text(quote),
        inert_text(documents[document_id][sentence_start:sentence_end]),
        format_number(extracted_value), inert_text(extracted_unit), inert_text(reviewed_by),
        format_timestamp(reviewed_at), inert_text(note),
    )


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


def export_filename(today: date) -> str:
    """The download's file name for an export made on `today`."""
    return f"claims-{today:%Y%m%d}.csv"
