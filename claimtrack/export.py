"""Verified claims out as CSV or JSON Lines: filters, the column set, safe cells, streamed page by page.

The web download (`GET /export.csv`) and `claimtrack export` both iterate `CsvExport`;
the columns and the cell rules are documented in docs/export.md and must stay stable.
`JsonlExport` writes the same claims as JSON Lines holding what `claimtrack.importing`
needs to make each claim again.
"""
import contextlib
import csv
import io
import json
import logging
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
import sqlalchemy.orm as so
from sqlalchemy.dialects import postgresql

from models import (
    CHANGES, KINDS, QUALIFIERS, RANKS, REVIEWABLE_FIELDS, STATUSES, Claim, Document, Resolution, Review,
    SecondReview, User,
)

from .claim_filters import ClaimFilter
from .parallel_copy import copy_in_slices

log = logging.getLogger(__name__)

# Each column of the CSV in file order, with its W3C CSVW datatype (`csvw_metadata`); the names
# and order are stable: new columns are only ever added at the end.
COLUMN_TYPES = (
    ("claim_id", "integer"), ("subject", "string"), ("measure", "string"), ("value", "double"),
    ("value_max", "double"), ("unit", "string"), ("qualifier", "string"), ("change", "string"),
    ("period_start", "date"), ("period_end", "date"), ("kind", "string"), ("status", "string"),
    ("rank", "string"), ("rank_reason", "string"), ("conflict_group_id", "integer"),
    ("document_title", "string"), ("document_source", "string"), ("document_published", "date"),
    ("document_sha256", "string"), ("span_start", "integer"), ("span_end", "integer"), ("quote", "string"),
    ("sentence", "string"), ("extracted_value", "double"), ("extracted_unit", "string"),
    ("reviewed_by", "string"), ("reviewed_at", "dateTime"), ("review_note", "string"),
    ("origin", "string"), ("evidence_url", "anyURI"), ("evidence_document_id", "integer"),
    ("evidence_quote", "string"), ("evidence_checked_on", "date"), ("evidence_method", "string"),
    ("resolution_note", "string"), ("resolved_by", "string"),
    ("reviews_required", "integer"), ("reviewed_by_second", "string"), ("agreement", "string"),
    ("uncertainty", "double"),
)
COLUMNS = tuple(name for name, _datatype in COLUMN_TYPES)

# The reviews whose note explains the claim's current state (not skips, plain notes or undos).
DECISIONS = ("verify", "reject", "needs_info", "correct")

# Leading characters that make Excel, LibreOffice or Sheets read a cell as a formula (OWASP).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# Spreadsheets skip leading spaces when deciding, so " =1+1" is a formula too.
FORMULA_STARTS = ("=", "+", "-", "@")
INERT_PREFIX = "'"

PAGE_SIZE = 5000
# Document texts kept for the sentence column; claims come in id order, which follows
# ingest order, so a few recent documents cover nearly every page.
TEXT_CACHE_CHARS = 4 * 1024 * 1024


# What an export covers unless told otherwise: the verified claims, without deprecated or disputed values.
EXPORT_DEFAULTS = {"status": ("verified",), "conflicts": "settled"}


def export_filter(**values) -> ClaimFilter:
    """The export's filter: `values` over EXPORT_DEFAULTS (a FilterError if one is unusable)."""
    return ClaimFilter(**{**EXPORT_DEFAULTS, **values})


def plain_decimal(value: float | None) -> str:
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
    """Text made safe to open in a spreadsheet: a formula start, even after whitespace, gets a `'` in front."""
    if not text:
        return ""
    if text[0] in FORMULA_TRIGGERS or text.lstrip().startswith(FORMULA_STARTS):
        return INERT_PREFIX + text
    return text


def _as_text(column):
    """A date column as the driver returns it, without SQLAlchemy's per-row conversion."""
    # SQLite stores dates as the ISO text the CSV wants; psycopg's date prints as the same text.
    return sa.type_coerce(column, sa.String())


def export_query(filters: ClaimFilter, cells: Callable[[tuple], Iterable] | None = None) -> sa.Select:
    """The claims matching `filters` with everything a row needs, in one statement, by claim id.

    `cells`, when given, turns those columns (in the order selected here) into the ones selected.
    """
    latest_note = (
        sa.select(Review.note)
        .where(Review.claim_id == Claim.id, Review.decision.in_(DECISIONS))
        .order_by(Review.created_at.desc(), Review.id.desc())
        .limit(1)
        .correlate(Claim)
        .scalar_subquery()
    )
    # The verification in force (the latest verify) holds the evidence; the resolution in force
    # (the latest not undone) of the claim's group holds the resolution note.
    evidence = so.aliased(Review)
    # max(id) rather than ORDER BY id DESC LIMIT 1: the same row without a sort for each claim (the
    # indexes on claim_id and group_id do not hold id in order).
    latest_verify = (
        sa.select(sa.func.max(Review.id)).where(Review.claim_id == Claim.id, Review.decision == "verify")
        .correlate(Claim).scalar_subquery()
    )
    resolver = so.aliased(User)
    latest_resolution = (
        sa.select(sa.func.max(Resolution.id))
        .where(Resolution.group_id == Claim.group_id, Resolution.undone_at.is_(None))
        .correlate(Claim).scalar_subquery()
    )
    second_reviewer = so.aliased(User)
    columns = (
        Claim.id, Claim.subject, Claim.measure, Claim.value, Claim.value_max, Claim.unit,
        Claim.qualifier, Claim.change, _as_text(Claim.period_start), _as_text(Claim.period_end),
        Claim.kind, Claim.status, Claim.rank, Claim.rank_reason, Claim.group_id,
        Document.title, Document.source, _as_text(Document.published), Document.sha256,
        Claim.start, Claim.end, Claim.quote, Claim.extracted_value, Claim.extracted_unit,
        User.username, sa.type_coerce(Claim.reviewed_at, sa.DateTime()), latest_note,
        Claim.origin, evidence.evidence_url, evidence.evidence_document_id, evidence.evidence_quote,
        _as_text(evidence.evidence_checked_on), evidence.evidence_method, Resolution.note, resolver.username,
        SecondReview.state, second_reviewer.username, Claim.uncertainty,
        # Not columns of the file: where the sentence column is cut from.
        Claim.document_id, Claim.sentence_start, Claim.sentence_end,
    )
    return (
        sa.select(*(columns if cells is None else cells(columns)))
        .select_from(Claim)
        .join(Document, Document.id == Claim.document_id)
        .outerjoin(User, User.id == Claim.reviewed_by_id)
        .outerjoin(evidence, evidence.id == latest_verify)
        .outerjoin(Resolution, Resolution.id == latest_resolution)
        .outerjoin(resolver, resolver.id == Resolution.user_id)
        .outerjoin(SecondReview, SecondReview.claim_id == Claim.id)
        .outerjoin(second_reviewer, second_reviewer.id == SecondReview.second_user_id)
        .where(*filters.conditions(scan_by_id=True))
        .order_by(Claim.id)
    )


def _failure_reason(exc: Exception) -> str:
    """The first line of an error, short enough for the export's last line."""
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]


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
    """The CSV of the claims matching `filters`, produced as chunks (header, then one per page): text, or UTF-8 from `encoded`.

    On PostgreSQL the database writes the CSV: one `COPY (SELECT ...) TO STDOUT` of `sql_cells`
    (every cell formatted in SQL: the safe-cell rule, numbers, dates, the sentence cut), passed
    on as it arrives, `page_size` rows a chunk; one snapshot, one plan, and a slow download
    blocks no writer (MVCC). With `connections` above one (and a session bound to an engine), the
    COPY is read in slices of the claims' ids over that many connections of its own at once, from
    one snapshot of what is committed (`parallel_copy`): the same bytes, in less time on a server
    with cores to spare. On SQLite, where every transaction takes the write lock, each page
    is read through the driver's own cursor (plain tuples, no SQLAlchemy rows) in its own short
    transaction by keyset pagination on claim id (the session is rolled back after every page,
    so give it a session of its own) and written as CSV text by `_csv_text`. With `reference`, every
    cell is formatted in Python from SQLAlchemy's rows on both databases: the specification the
    SQL formatting is tested against, byte for byte. After iterating, `rows` is the number of
    claims written and `failure` the reason the export stopped early, if it did; that reason is
    also the last line of the output (`# export failed after N rows: reason`).
    """

    def __init__(self, session: so.Session, filters: ClaimFilter, *, bom: bool = False,
                 page_size: int = PAGE_SIZE, reference: bool = False, connections: int = 1):
        self.session = session
        self.filters = filters
        self.bom = bom
        self.page_size = page_size
        self.reference = reference
        self.connections = connections
        self.rows = 0
        self.failure: str | None = None

    def __iter__(self) -> Iterator[str]:
        for chunk in self.encoded():
            yield chunk.decode("utf-8")

    def encoded(self) -> Iterator[bytes]:
        """The same chunks as UTF-8 bytes: PostgreSQL's COPY output passed on as it arrives, never decoded."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        if self.bom:
            buffer.write("\ufeff")
        writer.writerow(COLUMNS)
        yield _drain(buffer).encode("utf-8")
        try:
            if self.reference:
                pages = self._reference_pages(writer, buffer)
            elif self.session.connection().dialect.name == "postgresql":
                pages = _copy_pages(self.session, self.filters, self.page_size, self.connections)
            else:
                pages = _sqlite_pages(self.session, self.filters, self.page_size, writer, buffer)
            for chunk, rows in pages:
                self.rows += rows
                yield chunk
        except Exception as exc:  # noqa: BLE001 - the reader must see that the file is incomplete
            self.failure = _failure_reason(exc)
            log.exception("CSV export failed after %d rows", self.rows)
            # The connection may be what failed; telling the reader matters more than tidying up.
            with contextlib.suppress(Exception):
                self.session.rollback()
            writer.writerow([f"# export failed after {self.rows} rows: {self.failure}"])
            yield _drain(buffer).encode("utf-8")

    def _reference_pages(self, writer, buffer: io.StringIO) -> Iterator[tuple[bytes, int]]:
        """Each page's CSV (UTF-8) and row count, every cell formatted in Python by `_format_rows`."""
        for page, documents in self._pages():
            writer.writerows(_format_rows(page, documents))
            yield _drain(buffer).encode("utf-8"), len(page)

    def _pages(self) -> Iterator[tuple[list, dict[int, str]]]:
        """The matching claim rows (SQLAlchemy's) in claim id order, `page_size` at a time, with their documents' texts."""
        query = export_query(self.filters)
        texts = _DocumentTexts(self.session)
        connection = self.session.connection()
        if connection.dialect.name == "postgresql":
            # One pass with one plan: keyset pages made the planner sort every remaining row
            # (or start parallel workers) for each page.
            result = connection.execute(query, execution_options={"yield_per": self.page_size})
            for page in result.partitions():
                yield page, texts.load({row[-3] for row in page})
            self.session.rollback()
            return
        last = 0
        while True:
            page = self.session.connection().execute(query.where(Claim.id > last).limit(self.page_size)).all()
            if not page:
                self.session.rollback()
                return
            documents = texts.load({row[-3] for row in page})
            self.session.rollback()
            last = page[-1][0]
            yield page, documents


# The characters str.isspace (and so str.lstrip) takes for whitespace, written out: finding them
# among all of Unicode at import costs half a second of every export's start.
WHITESPACE = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
              "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
# First characters that may start a formula: the triggers, and whitespace a formula may follow.
_FORMULA_FIRST = frozenset(FORMULA_TRIGGERS) | frozenset(WHITESPACE)


def _format_rows(rows: list, documents: dict[int, str]) -> list[tuple]:
    """Rows of `export_query` as CSV cells, in COLUMNS order."""
    # The cells csv.writer writes for the reference export, and so what `_csv_text` must write.
    # The first-character test and number formatting are written out inline, since a function
    # call per cell costs as much as the rest of the row; only cells that may start a formula
    # go through inert_text.
    first = _FORMULA_FIRST
    inert = inert_text
    out = []
    append = out.append
    for (claim_id, subject, measure, value, value_max, unit, qualifier, change, period_start,
         period_end, kind, status, rank, rank_reason, group_id, title, source, published, sha256,
         start, end, quote, extracted_value, extracted_unit, reviewed_by, reviewed_at, note,
         origin, evidence_url, evidence_document_id, evidence_quote, evidence_checked_on, evidence_method,
         resolution_note, resolved_by, second_state, second_by, uncertainty, document_id, sentence_start, sentence_end) in rows:
        sentence = documents[document_id][sentence_start:sentence_end]
        value_text = plain_decimal(value)
        # Numbers, dates and ids go out untouched (csv writes None as an empty cell); every
        # text cell gets a `'` in front when it starts like a formula (see inert_text).
        append((
            claim_id,
            inert(subject) if subject[:1] in first else subject,
            inert(measure) if measure[:1] in first else measure,
            value_text,
            None if value_max is None else plain_decimal(value_max),
            inert(unit) if unit[:1] in first else unit,
            inert(qualifier) if qualifier[:1] in first else qualifier,
            inert(change) if change and change[0] in first else change,
            period_start, period_end,
            inert(kind) if kind[:1] in first else kind,
            inert(status) if status[:1] in first else status,
            inert(rank) if rank[:1] in first else rank,
            inert(rank_reason) if rank_reason[:1] in first else rank_reason,
            group_id,
            inert(title) if title[:1] in first else title,
            inert(source) if source[:1] in first else source,
            published,
            inert(sha256) if sha256[:1] in first else sha256,
            start, end,
            inert(quote) if quote[:1] in first else quote,
            inert(sentence) if sentence[:1] in first else sentence,
            value_text if extracted_value == value else plain_decimal(extracted_value),
            inert(extracted_unit) if extracted_unit[:1] in first else extracted_unit,
            inert(reviewed_by) if reviewed_by and reviewed_by[0] in first else reviewed_by,
            # Stored as naive UTC: ISO 8601 to the second, e.g. 2024-05-01T09:30:00Z.
            reviewed_at and reviewed_at.isoformat("T", "seconds") + "Z",
            inert(note) if note and note[0] in first else note,
            origin,
            inert(evidence_url) if evidence_url and evidence_url[0] in first else evidence_url,
            evidence_document_id,
            inert(evidence_quote) if evidence_quote and evidence_quote[0] in first else evidence_quote,
            evidence_checked_on, evidence_method,
            inert(resolution_note) if resolution_note and resolution_note[0] in first else resolution_note,
            inert(resolved_by) if resolved_by and resolved_by[0] in first else resolved_by,
            *_second_review_cells(second_state, second_by),
            None if uncertainty is None else plain_decimal(uncertainty),
        ))
    return out


def _csv_cell(text: str) -> str:
    """One text cell as csv.writer writes it (QUOTE_MINIMAL, doubled quotes, "\\r\\n" lines)."""
    if '"' in text:
        return '"' + text.replace('"', '""') + '"'
    if "," in text or "\n" in text or "\r" in text:
        return '"' + text + '"'
    return text


def _csv_text(rows: list, documents: dict[int, str], writer, buffer: io.StringIO) -> str:
    """Rows of `export_query` (reviewed_at already its cell) as the CSV text csv.writer writes for `_format_rows`.

    Each line is put together in one f-string: csv.writer tests every character of a row
    against the delimiter, the quote and the line end, which cost more than all the rest of
    the export's Python. The title, the quote and the sentence, which often hold a comma, go
    through `_csv_cell`; every other cell is written as it is when none of them holds a comma,
    a quote or a line end (the commas counted on the line without those three), else the row
    is csv.writer's.
    """
    first = _FORMULA_FIRST
    inert = inert_text
    number = plain_decimal
    cell = _csv_cell
    lines = []
    append = lines.append
    for (claim_id, subject, measure, value, value_max, unit, qualifier, change, period_start,
         period_end, kind, status, rank, rank_reason, group_id, title, source, published, sha256,
         start, end, quote, extracted_value, extracted_unit, reviewed_by, reviewed_at, note,
         origin, evidence_url, evidence_document_id, evidence_quote, evidence_checked_on, evidence_method,
         resolution_note, resolved_by, second_state, second_by, uncertainty, document_id, sentence_start,
         sentence_end) in rows:
        sentence = documents[document_id][sentence_start:sentence_end]
        value_text = number(value)
        # The same cells as `_format_rows`, with "" for none (csv.writer writes None as "").
        if subject[:1] in first:
            subject = inert(subject)
        if measure[:1] in first:
            measure = inert(measure)
        if unit[:1] in first:
            unit = inert(unit)
        if qualifier[:1] in first:
            qualifier = inert(qualifier)
        if change is None:
            change = ""
        elif change[:1] in first:
            change = inert(change)
        if kind[:1] in first:
            kind = inert(kind)
        if status[:1] in first:
            status = inert(status)
        if rank[:1] in first:
            rank = inert(rank)
        if rank_reason[:1] in first:
            rank_reason = inert(rank_reason)
        if title[:1] in first:
            title = inert(title)
        if source[:1] in first:
            source = inert(source)
        if sha256[:1] in first:
            sha256 = inert(sha256)
        if quote[:1] in first:
            quote = inert(quote)
        if sentence[:1] in first:
            sentence = inert(sentence)
        if extracted_unit[:1] in first:
            extracted_unit = inert(extracted_unit)
        if reviewed_by is None:
            reviewed_by = ""
        elif reviewed_by[:1] in first:
            reviewed_by = inert(reviewed_by)
        if note is None:
            note = ""
        elif note[:1] in first:
            note = inert(note)
        if evidence_url is None:
            evidence_url = ""
        elif evidence_url[:1] in first:
            evidence_url = inert(evidence_url)
        if evidence_quote is None:
            evidence_quote = ""
        elif evidence_quote[:1] in first:
            evidence_quote = inert(evidence_quote)
        if resolution_note is None:
            resolution_note = ""
        elif resolution_note[:1] in first:
            resolution_note = inert(resolution_note)
        if resolved_by is None:
            resolved_by = ""
        elif resolved_by[:1] in first:
            resolved_by = inert(resolved_by)
        if second_state is None:
            required, second_by, agreement = 1, "", "single"
        else:
            required, second_by = 2, inert(second_by)
            agreement = second_state if second_state in ("agreed", "adjudicated") else ""
        value_max_text = "" if value_max is None else number(value_max)
        extracted_text = value_text if extracted_value == value else number(extracted_value)
        uncertainty_text = "" if uncertainty is None else number(uncertainty)
        head = (f"{claim_id},{subject},{measure},{value_text},{value_max_text},{unit},{qualifier},{change},"
                f"{'' if period_start is None else period_start},{'' if period_end is None else period_end},"
                f"{kind},{status},{rank},{rank_reason},{'' if group_id is None else group_id}")
        middle = f"{source},{'' if published is None else published},{sha256},{start},{end}"
        tail = (f"{extracted_text},{extracted_unit},{reviewed_by},{'' if reviewed_at is None else reviewed_at},"
                f"{note},{'' if origin is None else origin},{evidence_url},"
                f"{'' if evidence_document_id is None else evidence_document_id},{evidence_quote},"
                f"{'' if evidence_checked_on is None else evidence_checked_on},"
                f"{'' if evidence_method is None else evidence_method},{resolution_note},{resolved_by},"
                f"{required},{second_by},{agreement},{uncertainty_text}")
        # 15, 5 and 17 cells: 34 commas when none is inside a cell.
        rest = head + middle + tail
        if rest.count(",") == 34 and '"' not in rest and "\n" not in rest and "\r" not in rest:
            append(f"{head},{cell(title)},{middle},{cell(quote)},{cell(sentence)},{tail}")
            continue
        writer.writerow((
            claim_id, subject, measure, value_text, value_max_text, unit, qualifier, change, period_start,
            period_end, kind, status, rank, rank_reason, group_id, title, source, published, sha256, start, end,
            quote, sentence, extracted_text, extracted_unit, reviewed_by, reviewed_at, note, origin, evidence_url,
            evidence_document_id, evidence_quote, evidence_checked_on, evidence_method, resolution_note,
            resolved_by, required, second_by, agreement, uncertainty_text,
        ))
        append(_drain(buffer)[:-2])
    append("")
    return "\r\n".join(lines)


def _second_review_cells(state: str | None, second_by: str | None) -> tuple:
    """reviews_required, reviewed_by_second and agreement, from the claim's second-review standing."""
    if state is None:
        return 1, None, "single"
    return 2, inert_text(second_by), state if state in ("agreed", "adjudicated") else None


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


# The safe-cell rule as code points, for the SQL form of `inert_text`: a first character that
# always makes a formula, the whitespace a formula may follow, and what it starts with after that.
_TRIGGER_CODES = tuple(map(ord, FORMULA_TRIGGERS))
_START_CODES = tuple(map(ord, FORMULA_STARTS))
_SPACE_CODES = tuple(map(ord, WHITESPACE))
# The doubles from here up are all whole numbers PostgreSQL prints in e-notation with too few
# digits for their exact value (`str(int(value))`), so their bits are read instead.
_EXACT_TEXT_BELOW = 2**53


def _codes(codes: tuple[int, ...]) -> list:
    return [sa.literal_column(str(code)) for code in codes]


def _safe_text(column):
    """`inert_text` in PostgreSQL: the text with a `'` in front when it starts like a formula."""
    first = sa.func.ascii(column)
    prefixed = sa.literal(INERT_PREFIX, sa.Text).op("||")(column)
    return sa.case(
        # Most cells start with a letter (65 to 132: no trigger, no whitespace); one test settles them.
        (sa.and_(first > sa.literal_column("64"), first < sa.literal_column("133")), column),
        (first.in_(_codes(_TRIGGER_CODES)), prefixed),
        (sa.and_(first.in_(_codes(_SPACE_CODES)),
                 sa.func.ascii(sa.func.ltrim(column, sa.literal(WHITESPACE, sa.Text))).in_(_codes(_START_CODES))),
         prefixed),
        else_=_plain_text(column),
    )


def _plain_text(column):
    """A text cell as it is, an empty text as NULL: COPY quotes an empty string (""), csv.writer writes nothing."""
    return sa.func.nullif(column, "")


def _decimal(column):
    """`plain_decimal` in PostgreSQL."""
    # PostgreSQL prints the shortest text that reads back as the same double, as repr does (with
    # extra_float_digits = 1), in e-notation from 1e15 or below 1e-4: numeric reads that text and
    # writes it out positionally, as Decimal(...) does in plain_decimal.
    text = sa.cast(column, sa.Text)
    shortest = sa.cast(sa.cast(text, sa.Numeric), sa.Text)
    bits = sa.cast(sa.cast(sa.literal("x", sa.Text) + sa.func.encode(sa.func.float8send(column), "hex"),
                           postgresql.BIT(64)), sa.BigInteger)
    mantissa = sa.cast(bits.op("&")(2**52 - 1).op("|")(2**52), sa.Numeric)
    exponent = bits.op(">>")(sa.literal_column("52")).op("&")(2047) - 1075
    magnitude = sa.func.trunc(mantissa * sa.func.power(sa.cast(sa.literal_column("2"), sa.Numeric), exponent))
    infinity = sa.literal_column("'Infinity'::float8")
    return sa.case(
        # From 1e-4 up to 1e15 PostgreSQL's text is positional already (most values).
        (sa.and_(sa.func.abs(column) >= sa.literal_column("'1e-4'::float8"),
                 sa.func.abs(column) < sa.literal_column("'1e15'::float8")), text),
        (sa.func.abs(column) < _EXACT_TEXT_BELOW, shortest),
        (column == infinity, "inf"),
        (column == -infinity, "-inf"),
        (column == sa.literal_column("'NaN'::float8"), "nan"),
        # A whole number of 2**53 or more: its exact value, mantissa times a power of two.
        else_=sa.cast(sa.case((column < 0, -magnitude), else_=magnitude), sa.Text),
    )


def sql_cells(filters: ClaimFilter, sliced: bool = False) -> sa.Select:
    """`export_query` on PostgreSQL with every cell formatted as `_format_rows` formats it, in COLUMNS order.

    Each cell is its final text, or NULL for an empty one, so that COPY's CSV is the export's.
    `sliced`: only the claims from the id `slice_from` up to, not including, `slice_to` (parameters).
    """
    values = export_query(filters, _cell_values)
    if sliced:
        values = values.where(Claim.id >= sa.bindparam("slice_from", 0, type_=sa.Integer),
                              Claim.id < sa.bindparam("slice_to", 0, type_=sa.Integer))
    # The formatting names each value several times; OFFSET 0 keeps PostgreSQL from merging the
    # queries, which would read the latest note and cut the sentence once for each mention.
    rows = values.offset(0).subquery("claim_rows")
    return sa.select(*_formatted_cells(rows.c)).order_by(rows.c.claim_id)


def _cell_values(columns: tuple) -> list:
    """The columns of `export_query` as each cell's unformatted value (the sentence cut), labelled as COLUMNS."""
    *cells, _document_id, sentence_start, sentence_end = columns
    sentence = sa.func.substr(Document.text, sentence_start + 1, sa.func.greatest(sentence_end - sentence_start, 0))
    cells = [*cells[:22], sa.type_coerce(sentence, sa.Text), *cells[22:]]
    names = COLUMNS[:-4] + ("second_review_state", "reviewed_by_second", "uncertainty")
    return [cell.label(name) for cell, name in zip(cells, names, strict=True)]


def _formatted_cells(values) -> list:
    """Each of the unformatted `values` (`_cell_values`) as its CSV cell, in COLUMNS order."""
    safe = lambda name: _safe_text(values[name])  # noqa: E731 - one rule, many columns
    number = lambda name: _decimal(values[name])  # noqa: E731
    day = lambda name: sa.cast(values[name], sa.Text)  # noqa: E731 - ISO, DateStyle set by _copy_pages
    second_state = values.second_review_state
    cells = (
        values.claim_id, safe("subject"), safe("measure"), number("value"), number("value_max"), safe("unit"),
        _known_text(values.qualifier, QUALIFIERS), _known_text(values.change, CHANGES), day("period_start"),
        day("period_end"), _known_text(values.kind, KINDS), _known_text(values.status, STATUSES),
        _known_text(values.rank, RANKS), safe("rank_reason"), values.conflict_group_id, safe("document_title"),
        safe("document_source"), day("document_published"), safe("document_sha256"), values.span_start,
        values.span_end, safe("quote"), safe("sentence"), number("extracted_value"), safe("extracted_unit"),
        safe("reviewed_by"), _iso_second(values.reviewed_at),
        safe("review_note"), _plain_text(values.origin), safe("evidence_url"), values.evidence_document_id,
        safe("evidence_quote"), day("evidence_checked_on"), _plain_text(values.evidence_method),
        safe("resolution_note"), safe("resolved_by"),
        sa.case((second_state.is_(None), 1), else_=2),
        sa.case((second_state.is_not(None), safe("reviewed_by_second"))),
        sa.case((second_state.is_(None), "single"), (second_state.in_(("agreed", "adjudicated")), second_state)),
        number("uncertainty"),
    )
    return [cell.label(name) for cell, name in zip(cells, COLUMNS, strict=True)]


def _known_text(column, values: tuple[str, ...]):
    """`_safe_text` of a column whose CHECK constraint allows only `values` (or NULL), each value's cell worked out here.

    When no allowed value starts like a formula the column is its own cell, with no test per row.
    """
    as_is = [value for value in values if inert_text(value) == value]
    if len(as_is) == len(values):
        return column
    prefixed = [(column == sa.literal(value, sa.Text), sa.literal(inert_text(value), sa.Text))
                for value in values if value not in as_is]
    return sa.case((column.in_(as_is), column), *prefixed, else_=_safe_text(column))


def _iso_second(column):
    """A naive UTC timestamp as ISO 8601 to the second with a Z, as `_format_rows` writes it (2024-05-01T09:30:00Z)."""
    # With DateStyle ISO the text is 'YYYY-MM-DD HH:MM:SS[.ffffff]': cutting it costs less than to_char.
    return sa.func.replace(sa.func.substr(sa.cast(column, sa.Text), 1, 19), " ", "T").op("||")(sa.literal("Z", sa.Text))


def _driver_statement(connection: sa.Connection, query: sa.Select) -> tuple[str, dict]:
    """`query` as the driver's SQL text and parameters, bound as SQLAlchemy would bind them."""
    compiled = query.compile(dialect=connection.dialect, compile_kwargs={"render_postcompile": True})
    params = compiled.construct_params()
    for name, process in compiled._bind_processors.items():  # noqa: SLF001 - no public form in SQLAlchemy 2.0
        if name in params:
            params[name] = process(params[name])
    return compiled.string, params


# The cell formats rely on these two settings (shortest round-trip floats, ISO dates); SET LOCAL
# keeps them to the export's transaction.
COPY_SETTINGS = ("SET LOCAL extra_float_digits = 1", "SET LOCAL DateStyle = 'ISO, YMD'")
# `claimtrack export` and an export job read a PostgreSQL export over this many connections.
EXPORT_CONNECTIONS = 2
# An export over several connections (`CsvExport(connections=N)`) copies the claims in slices of
# this many ids, each connection every N-th slice; a connection reads at most two pages ahead.
SLICE_CLAIMS = 25_000


def _copy_pages(session: so.Session, filters: ClaimFilter, page_size: int,
                connections: int = 1) -> Iterator[tuple[bytes, int]]:
    """The CSV rows PostgreSQL's COPY writes for `sql_cells` (UTF-8), `page_size` rows a chunk, with the count."""
    connection = session.connection()
    bind = session.get_bind()
    if connections > 1 and isinstance(bind, sa.Engine):
        # One statement for every slice, its bounds parameters: compiling it costs tens of milliseconds.
        sql, params = _driver_statement(connection, sql_cells(filters, sliced=True))
        # The session's own transaction reads nothing here: the slices share a snapshot of their own.
        session.rollback()
        yield from copy_in_slices(
            bind, Claim.__tablename__,
            lambda lowest, highest: (sql, {**params, "slice_from": lowest, "slice_to": highest}),
            COPY_SETTINGS, connections=connections, slice_rows=SLICE_CLAIMS, page_size=page_size)
        return
    sql, params = _driver_statement(connection, sql_cells(filters))
    for setting in COPY_SETTINGS:
        connection.exec_driver_sql(setting)
    cursor = connection.connection.driver_connection.cursor()
    page: list = []
    with cursor, cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)", params) as copy:
        # PostgreSQL sends each row as one message, ending in "\n" where csv.writer ends it in "\r\n".
        for row in copy:
            page.append(row[:-1])
            if len(page) == page_size:
                yield b"\r\n".join(page) + b"\r\n", len(page)
                page = []
    if page:
        yield b"\r\n".join(page) + b"\r\n", len(page)
    session.rollback()


def _sqlite_timestamp(columns: tuple) -> tuple:
    """The columns of `export_query` with reviewed_at as the CSV's text, cut by SQLite from what it stores."""
    # Stored as 'YYYY-MM-DD HH:MM:SS[.ffffff]' (naive UTC): the day and the time to the second.
    stored = columns[25]
    text = (sa.func.substr(stored, 1, 10).op("||")(sa.literal("T", sa.Text))
            .op("||")(sa.func.substr(stored, 12, 8)).op("||")(sa.literal("Z", sa.Text)))
    return (*columns[:25], text, *columns[26:])


def _sqlite_pages(session: so.Session, filters: ClaimFilter, page_size: int, writer,
                  buffer: io.StringIO) -> Iterator[tuple[bytes, int]]:
    """`export_query` read from SQLite by keyset pages, each in its own transaction, as CSV text with the count."""
    # One statement for every page: building it costs more than SQLite takes to plan it.
    query = (export_query(filters, _sqlite_timestamp)
             .where(Claim.id > sa.bindparam("after", type_=sa.Integer)).limit(page_size))
    texts = _DocumentTexts(session)
    last = 0
    while True:
        result = session.connection().execute(query, {"after": last})
        # The driver's own rows (plain tuples): no SQLAlchemy row, and no type conversion, per claim.
        page = result.cursor.fetchall()
        result.close()
        if not page:
            session.rollback()
            return
        documents = texts.load({row[-3] for row in page})
        session.rollback()
        last = page[-1][0]
        yield _csv_text(page, documents, writer, buffer).encode("utf-8"), len(page)


CSVW_CONTEXT = "http://www.w3.org/ns/csvw"
CSVW_MEDIA_TYPE = "application/csvm+json"
CSVW_NOTE = (
    "Safe cells (docs/export.md): every text cell that starts with =, +, -, @, a tab or a carriage return, "
    "or with whitespace and then =, +, - or @, has a single quote (') in front, so that a spreadsheet shows "
    "it as text instead of running it as a formula; take that quote off to read the text. Numbers, dates, "
    "ids and offsets are never prefixed. An empty cell means none. Rows are in claim_id order."
)


def csvw_metadata(url: str = "export.csv") -> dict:
    """The W3C CSVW metadata (JSON-LD) describing the CSV export found at `url`: dialect, columns, datatypes."""
    return {
        "@context": CSVW_CONTEXT,
        "url": url,
        "dc:title": "Claimtrack claims export",
        "dialect": {"encoding": "utf-8", "header": True, "delimiter": ",", "quoteChar": '"', "doubleQuote": True,
                    "lineTerminators": ["\r\n"]},
        "notes": [{"@type": "oa:Annotation", "oa:motivatedBy": {"@id": "oa:describing"},
                   "oa:hasBody": {"@type": "oa:TextualBody", "rdf:value": CSVW_NOTE, "dc:format": "text/plain"}}],
        "tableSchema": {
            "columns": [{"name": name, "titles": name, "datatype": datatype} for name, datatype in COLUMN_TYPES],
            "primaryKey": "claim_id",
        },
    }


def export_filename(today: date, extension: str = "csv") -> str:
    """The download's file name for an export made on `today`."""
    return f"claims-{today:%Y%m%d}.{extension}"


# The keys of a JSON Lines claim, in the order written. Nothing that differs between two
# databases holding the same claims (ids, reviewers, times, conflict groups) is among them,
# so the file made again from an import of it is the same file.
JSONL_FIELDS = (
    "document_sha256", "start", "end", "quote", *REVIEWABLE_FIELDS, "status", "decision", "note", "origin",
    *(f"extracted_{name}" for name in REVIEWABLE_FIELDS),
)
# The decision a status stands for; a claim of that status was last decided so.
STATUS_DECISION = {"verified": "verify", "rejected": "reject", "needs_info": "needs_info"}


def jsonl_query(filters: ClaimFilter) -> sa.Select:
    """The claims matching `filters` with their document's sha256 and standing decision, by claim id."""
    latest = (
        sa.select(Review.id).where(Review.claim_id == Claim.id, Review.decision.in_(DECISIONS))
        .order_by(Review.created_at.desc(), Review.id.desc()).limit(1).correlate(Claim).scalar_subquery()
    )
    decision = so.aliased(Review)
    columns = [Claim.start, Claim.end, Claim.quote, *(getattr(Claim, name) for name in REVIEWABLE_FIELDS),
               Claim.status, decision.decision, decision.note, Claim.origin,
               *(getattr(Claim, f"extracted_{name}") for name in REVIEWABLE_FIELDS)]
    return (
        sa.select(Claim.id, Document.sha256, *columns)
        .join(Document, Document.id == Claim.document_id)
        .outerjoin(decision, decision.id == latest)
        .where(*filters.conditions(scan_by_id=True))
        .order_by(Claim.id)
    )


def _json_value(value):
    return value.isoformat() if isinstance(value, date) else value


def jsonl_record(row: sa.Row) -> dict:
    """One row of `jsonl_query` as the JSON Lines object: JSONL_FIELDS in order, null for none.

    `decision` and `note` are the standing decision: the one that gave a decided claim its
    status (a correction made with it counts), or the correction of a pending claim; a
    decision since undone or reopened is not the claim's standing and is left out.
    """
    record = dict(zip(JSONL_FIELDS, (_json_value(value) for value in row[1:]), strict=True))
    decision = record["decision"]
    if decision != "correct" and STATUS_DECISION.get(record["status"]) != decision:
        record["decision"] = record["note"] = None
    return record


class JsonlExport:
    """The JSON Lines of the claims matching `filters` (one object per claim, by claim id), a page at a time.

    Each page is read in its own short transaction (keyset pagination on claim id, the session
    rolled back after it), as `CsvExport` reads SQLite, so a long download holds no lock. After
    iterating, `rows` is the number of claims written and `failure` the reason the export stopped
    early, if it did; that reason is also the last line (`{"export_failed_after": N, "reason":
    ...}`), which an import refuses, so an incomplete file is never taken for a whole one.
    """

    def __init__(self, session: so.Session, filters: ClaimFilter, *, page_size: int = PAGE_SIZE):
        self.session = session
        self.filters = filters
        self.page_size = page_size
        self.rows = 0
        self.failure: str | None = None

    def __iter__(self) -> Iterator[str]:
        query = jsonl_query(self.filters)
        last = 0
        try:
            while True:
                page = self.session.execute(query.where(Claim.id > last).limit(self.page_size)).all()
                self.session.rollback()
                if page:
                    yield "".join(json.dumps(jsonl_record(row), ensure_ascii=False) + "\n" for row in page)
                    self.rows += len(page)
                if len(page) < self.page_size:
                    return
                last = page[-1][0]
        except Exception as exc:  # noqa: BLE001 - the reader must see that the file is incomplete
            self.failure = _failure_reason(exc)
            log.exception("JSON Lines export failed after %d rows", self.rows)
            with contextlib.suppress(Exception):
                self.session.rollback()
            yield json.dumps({"export_failed_after": self.rows, "reason": self.failure}, ensure_ascii=False) + "\n"
