"""Claims in from JSON Lines or CSV: checked row by row, written all or nothing, the same file twice changing nothing.

A row names its document by `document_sha256` (or `document_id`), its span by `start`, `end`
and `quote`, and gives the claim's fields: the keys of the JSON Lines export
(`claimtrack.export.JSONL_FIELDS`), or the columns of the CSV export. Each claim is made as a
reviewer adds one (`missed.add_claim`: the same span and value rules, a review "add" and an
audit event by the importing user) and its status is given by a decision recorded as a reviewer
records it (`review.decide`: the same rules, a reason to reject, evidence when the team asks
for it). A row whose span already holds a claim with the same values is that claim: it is
counted unchanged and nothing is written for it.
"""
import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from models import CHANGES, KINDS, MAX_ROW_ID, ORIGINS, QUALIFIERS, REVIEWABLE_FIELDS, STATUSES, Claim, Document, User

from . import missed, review
from .export import COLUMNS, INERT_PREFIX, JSONL_FIELDS, STATUS_DECISION, inert_text
from .rows import RowError, RowProblem, csv_records

FORMATS = ("jsonl", "csv")
# The most rows one import takes: every row is checked and written in one transaction.
MAX_ROWS = 20_000
SHA256 = re.compile(r"[0-9a-f]{64}")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
DECISIONS = (*STATUS_DECISION.values(), "correct")

# CSV export columns read under another key, and those an import cannot set (ids, reviewers,
# times, conflict standing, the document's own metadata, the second review): they are ignored.
CSV_KEYS = {"span_start": "start", "span_end": "end", "review_note": "note"}
CSV_IGNORED = frozenset(COLUMNS) - set(CSV_KEYS) - set(JSONL_FIELDS)
TEXT_FIELDS = frozenset(("quote", "unit", "subject", "measure", "note", "qualifier", "change", "kind", "status",
                         "decision", "origin", "document_sha256")) | {f"extracted_{name}" for name in (
                             "unit", "subject", "measure", "qualifier", "change", "kind")}


@dataclass
class ImportReport:
    """What an import did: rows read, claims created, rows that were claims already, rows refused.

    `written` is False when bad rows stopped the import: then nothing at all was written.
    """

    rows: int = 0
    created: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    written: bool = True

    def as_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data."""
        return {"rows": self.rows, "created": self.created, "unchanged": self.unchanged, "written": self.written,
                "errors": [{"line": error.line, "reason": error.reason} for error in self.errors]}


# Reading rows.

def read_rows(text: str, format: str) -> Iterator[tuple[int, dict[str, Any] | RowError]]:  # noqa: A002
    """(line, raw row) for each row of a JSON Lines or CSV file, or (line, RowError) for a line that is no row."""
    if format == "jsonl":
        yield from _jsonl_rows(text)
    elif format == "csv":
        yield from _csv_rows(text)
    else:
        raise ValueError(f"unknown import format {format!r}: use one of {', '.join(FORMATS)}")


def _jsonl_rows(text: str) -> Iterator[tuple[int, dict[str, Any] | RowError]]:
    # Split on line feeds only: a JSON string may hold U+2028 and other line breaks unescaped.
    for number, line in enumerate(text.removeprefix("\ufeff").split("\n"), 1):
        line = line.removesuffix("\r")
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, RowError(number, f"not JSON: {exc.msg} at column {exc.colno}")
            continue
        except RecursionError:
            # Arrays or objects nested thousands deep exhaust the decoder's stack: no claim is written so.
            yield number, RowError(number, "not JSON: nested too deeply")
            continue
        if not isinstance(row, dict):
            yield number, RowError(number, "not a JSON object: each line must be one claim's object")
            continue
        yield number, row


def _csv_rows(text: str) -> Iterator[tuple[int, dict[str, Any] | RowError]]:
    def header_problem(names: list[str]) -> str:
        unknown = [name for name in names if name not in CSV_IGNORED and CSV_KEYS.get(name, name) not in JSONL_FIELDS
                   and name != "document_id"]
        return f"unknown column: {', '.join(unknown)}" if unknown else ""

    for line, record in csv_records(text, header_problem):
        if isinstance(record, RowError):
            yield line, record
            continue
        yield line, {CSV_KEYS.get(name, name): _csv_cell(CSV_KEYS.get(name, name), cell)
                     for name, cell in record.items() if name not in CSV_IGNORED}


def _csv_cell(key: str, cell: str) -> str | None:
    """A CSV cell as the JSON value it stands for: none when empty, the export's `'` prefix taken off text."""
    if cell == "":
        return None
    # The export puts `'` before text a spreadsheet would run as a formula (docs/export.md).
    if key in TEXT_FIELDS and cell.startswith(INERT_PREFIX) and inert_text(cell[1:]) == cell:
        return cell[1:]
    return cell


# Checking rows.

def _number(value: Any, name: str, *, required: bool = False) -> float | None:
    if value is None:
        if required:
            raise RowProblem(f"{name} is missing")
        return None
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            raise RowProblem(f"bad {name}: {value!r} is not a number") from None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise RowProblem(f"bad {name}: {value!r} is not a number")
    if not math.isfinite(value):
        raise RowProblem(f"bad {name}: {value!r} is not a finite number")
    return float(value)


def _integer(value: Any, name: str) -> int:
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise RowProblem(f"bad {name}: {value!r} is not a whole number" if value is not None else f"{name} is missing")
    if not 0 <= value <= MAX_ROW_ID:
        raise RowProblem(f"bad {name}: {value} is out of range")
    return value


def _text(value: Any, name: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise RowProblem(f"bad {name}: {value!r} is not text")
    return value


def _choice(value: Any, name: str, choices: tuple[str, ...], default: str | None) -> str | None:
    if value is None or value == "":
        return default
    if value not in choices:
        raise RowProblem(f"bad {name}: {value!r} is not one of {', '.join(choices)}")
    return value


def _day(value: Any, name: str) -> date | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not ISO_DATE.fullmatch(value):
        raise RowProblem(f"bad {name}: {value!r} is not a YYYY-MM-DD date")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise RowProblem(f"bad {name}: {value!r} is not a date") from None


def _field(name: str, key: str, value: Any) -> Any:
    """One reviewable field of a row, checked for its kind; RowProblem when it cannot be that field."""
    if name in ("value", "value_max", "uncertainty"):
        return _number(value, key, required=name == "value")
    if name in ("period_start", "period_end"):
        return _day(value, key)
    if name == "qualifier":
        return _choice(value, key, QUALIFIERS, "=")
    if name == "change":
        return _choice(value, key, CHANGES, None)
    if name == "kind":
        return _choice(value, key, KINDS, "fact")
    # Trimmed as add_claim stores them, so the row compares equal to its claim on a second import.
    return _text(value, key).strip()


def _fields(row: dict[str, Any], prefix: str, fallback: dict[str, Any] | None) -> dict[str, Any]:
    """The reviewable fields of `row` under `prefix`; a field not in the row takes `fallback`'s value (if given).

    RowProblem names every field that is unusable, not only the first.
    """
    out, problems = {}, []
    for name in REVIEWABLE_FIELDS:
        key = f"{prefix}{name}"
        if fallback is not None and key not in row:
            out[name] = fallback[name]
            continue
        try:
            out[name] = _field(name, key, row.get(key))
        except RowProblem as exc:
            problems.append(str(exc))
    if problems:
        raise RowProblem("; ".join(problems))
    return out


@dataclass(frozen=True)
class ClaimRow:
    """A row checked for form: what it says, before it meets the database."""

    document_sha256: str | None
    document_id: int | None
    start: int
    end: int
    quote: str
    values: dict[str, Any]
    extracted: dict[str, Any]
    status: str
    decision: str | None
    note: str
    origin: str


def parse_row(row: dict[str, Any]) -> ClaimRow:
    """The row checked for form (RowProblem naming every unusable key), not yet against any document."""
    problems = []
    unknown = sorted(set(row) - set(JSONL_FIELDS) - {"document_id"})
    if unknown:
        problems.append(f"unknown field: {', '.join(unknown)}")

    def attempt(check, *args, **kwargs):
        try:
            return check(*args, **kwargs)
        except RowProblem as exc:
            problems.append(str(exc))
            return None

    raw_sha256, sha256 = row.get("document_sha256"), None
    if raw_sha256 is not None:
        if isinstance(raw_sha256, str) and SHA256.fullmatch(raw_sha256.strip().lower()):
            sha256 = raw_sha256.strip().lower()
        else:
            problems.append(f"bad document_sha256: {raw_sha256!r} is not 64 hex digits")
    document_id = attempt(_integer, row["document_id"], "document_id") if row.get("document_id") is not None else None
    if raw_sha256 is None and row.get("document_id") is None:
        problems.append("no document: give document_sha256 (or document_id)")
    start = attempt(_integer, row.get("start"), "start")
    end = attempt(_integer, row.get("end"), "end")
    quote = attempt(_text, row.get("quote"), "quote")
    if quote == "":
        problems.append("quote is missing")
    values = attempt(_fields, row, "", None)
    # Without usable values the extracted ones have nothing to fall back on; those given are still checked.
    extracted = attempt(_fields, row, "extracted_", values or {name: None for name in REVIEWABLE_FIELDS})
    status = attempt(_choice, row.get("status"), "status", STATUSES, "pending")
    decision = attempt(_choice, row.get("decision"), "decision", DECISIONS, None)
    if status and decision and decision != "correct" and STATUS_DECISION.get(status) != decision:
        problems.append(f"decision {decision} does not give status {status}")
    note = attempt(_text, row.get("note"), "note")
    origin = attempt(_choice, row.get("origin"), "origin", ORIGINS, "reviewer")
    if problems:
        raise RowProblem("; ".join(problems))
    return ClaimRow(sha256, document_id, start, end, quote, values, extracted, status, decision, note.strip(), origin)


# Writing rows.

def _same_claim(claim: Claim, row: ClaimRow) -> bool:
    return (claim.quote == row.quote and claim.status == row.status
            and all(getattr(claim, name) == row.values[name] for name in REVIEWABLE_FIELDS))


def _difference(claim: Claim, row: ClaimRow) -> str:
    """The first field where the stored claim differs from the row, as `name: stored X, here Y`."""
    pairs = [("status", claim.status, row.status),
             *((name, getattr(claim, name), row.values[name]) for name in REVIEWABLE_FIELDS)]
    name, stored, here = next((p for p in pairs if p[1] != p[2]), ("quote", claim.quote, row.quote))
    return f"{name}: stored {stored!r}, here {here!r}"


class _Documents:
    """The documents rows name, looked up once each."""

    def __init__(self, session: so.Session):
        self.session = session
        self.by_sha256: dict[str, Document | None] = {}

    def find(self, row: ClaimRow) -> Document:
        if row.document_sha256 is not None:
            if row.document_sha256 not in self.by_sha256:
                self.by_sha256[row.document_sha256] = self.session.scalar(
                    sa.select(Document).where(Document.sha256 == row.document_sha256))
            document = self.by_sha256[row.document_sha256]
            if document is None:
                raise RowProblem(f"document unknown: no document has sha256 {row.document_sha256}")
            if row.document_id is not None and document.id != row.document_id:
                raise RowProblem(f"document_id {row.document_id} is not the document of sha256 {row.document_sha256} "
                                 f"(document {document.id})")
            return document
        document = self.session.get(Document, row.document_id)
        if document is None:
            raise RowProblem(f"document unknown: there is no document {row.document_id}")
        return document


def _check_span(document: Document, row: ClaimRow) -> None:
    text = document.text
    if not 0 <= row.start < row.end <= len(text):
        raise RowProblem(f"span {row.start}:{row.end} is outside the document's text (0 to {len(text)})")
    found = text[row.start:row.end]
    if found != row.quote:
        raise RowProblem(f"quote {row.quote!r} does not match the text at {row.start}:{row.end} ({found!r})")
    try:
        missed.check_span(document, row.start, row.end, row.quote)
    except review.ReviewError as exc:
        raise RowProblem(str(exc)) from None


def _made_already(session: so.Session, document: Document, row: ClaimRow) -> bool:
    """Whether the span holds the row's claim already (True); RowProblem when a claim there has other values."""
    on_span = session.scalars(sa.select(Claim).where(
        Claim.document_id == document.id, Claim.start == row.start, Claim.end == row.end).order_by(Claim.id)).all()
    if any(_same_claim(claim, row) for claim in on_span):
        return True
    if on_span:
        raise RowProblem(f"claim {on_span[0].id} already covers this span with other values ({_difference(on_span[0], row)})")
    return False


def _write(session: so.Session, document: Document, row: ClaimRow, user: User, now: datetime, add_note: str) -> bool:
    """Make the row's claim (True), or find it made already (False); RowProblem when it cannot be made."""
    _check_span(document, row)
    if _made_already(session, document, row):
        return False
    corrected = row.values != row.extracted
    decides = row.status != "pending" or corrected or (row.decision == "correct" and row.note)
    try:
        with session.begin_nested():
            claim = missed.add_claim(session, document, user, start=row.start, end=row.end, quote=row.quote,
                                     values=row.extracted, extracted=row.extracted, origin=row.origin, now=now,
                                     note=add_note if decides else (row.note or add_note))
            if decides:
                decision = STATUS_DECISION.get(row.status, "correct")
                review.decide(session, claim, user, decision, version=claim.version, now=now, values=row.values,
                              note=row.note, check_lease=False)
    except missed.SpanTaken as exc:
        # Another import of the same file (or a reviewer) made the span's claim since the check
        # above: the same claim is this row's, counted unchanged as on a second import.
        if _made_already(session, document, row):
            return False
        raise RowProblem(str(exc)) from None
    except review.ReviewError as exc:
        raise RowProblem(str(exc)) from None
    return True


def import_claims(session: so.Session, text: str, format: str, user: User, now: datetime, *,  # noqa: A002
                  skip_bad: bool = False, add_note: str = "Imported.") -> ImportReport:
    """Import the claims of a JSON Lines or CSV file, checking every row; the caller commits.

    When any row is bad, nothing is written (`written` False) unless `skip_bad`: then the good
    rows are. Every bad row is in `errors` with its line and reason either way. A row whose
    span already holds a claim with the same values and status is counted `unchanged`, so
    importing a file again writes nothing.
    """
    report = ImportReport()
    documents = _Documents(session)
    outer = session.begin_nested()
    for line, raw in read_rows(text, format):
        report.rows += 1
        if report.rows > MAX_ROWS:
            report.errors.append(RowError(line, f"too many rows: an import takes at most {MAX_ROWS:,}"))
            break
        if isinstance(raw, RowError):
            report.errors.append(raw)
            continue
        try:
            row = parse_row(raw)
            created = _write(session, documents.find(row), row, user, now, add_note)
        except RowProblem as exc:
            report.errors.append(RowError(line, str(exc)))
            continue
        if created:
            report.created += 1
        else:
            report.unchanged += 1
    if report.errors and not skip_bad:
        outer.rollback()
        report.written = False
        report.created = 0
    else:
        outer.commit()
    return report
