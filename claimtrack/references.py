"""Reference sources: tables of trusted figures, and how each claim stands against them.

A lead imports a CSV of figures (entity, measure, period, value, unit, source_url, note) under a
source's name. Each figure is placed as conflict detection places a claim (`compare.group_key`:
the entity's canonical key, the unit's dimension, the measure folded) and meets the claims of its
block whose measure scores as the same fact (`compare.match_score`, with what leads taught) for
the same period (`compare.same_period`). A claim whose values and the figure's allow no common
value (`compare.evaluate`, the detector's own judgement of two documents' figures) contradicts
the reference; one that agrees matches it. A claim stating no period speaks of its time: among
figures for several periods, it meets the latest one that began by its document's publication.

The outcome is stored on the claim (`reference_standing`, `reference_figure_id`) so the queue can
put contradicted claims first through an index, and pages show it without matching again.
Matching runs after an import, for every new document's claims (an `AFTER_STORE` hook), and
when a reviewer's correction or an added claim changes a claim's fact.
"""
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from models import Claim, Document, MeasureEquivalence, ReferenceFigure, ReferenceSource, User, blind_claim_ids

from . import audit
from .conflicts.compare import (
    SAME_FACT_SCORE, Learned, Statement, claim_interval, evaluate, group_key, match_score,
    same_period, same_variant,
)
from .conflicts.detect import CLAIM_COLUMNS, statement
from .database import bulk_update
from .extract.entities import subject_key
from .extract.units import word_unit_code
from .rows import RowError, RowProblem, csv_records

# The most figures one file holds: every row is checked and written in one transaction.
MAX_ROWS = 20_000
REQUIRED_COLUMNS = ("entity", "measure", "value", "unit", "source_url")
OPTIONAL_COLUMNS = ("period", "period_start", "period_end", "note")
YEAR = re.compile(r"\d{4}")
DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
RANGE = re.compile(r"(\d{4}(?:-\d{2}-\d{2})?)\s*\.\.\s*(\d{4}(?:-\d{2}-\d{2})?)")
# A value as a statistics table writes it: digits with optional thousands commas, a decimal part, a sign.
VALUE = re.compile(r"[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?")
UNIT_CODE = re.compile(r"[A-Za-z%$€£¥]{1,12}[0-9]?")
WEB_ADDRESS = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
# Claims read per query while matching.
CHUNK = 5000


@dataclass(frozen=True)
class FigureRow:
    """A row of a reference file checked for form: one trusted figure."""

    line: int
    entity: str
    subject_key: str
    measure: str
    measure_key: str
    period_start: date
    period_end: date
    value: float
    value_text: str
    unit: str
    source_url: str
    note: str

    @property
    def fact(self) -> tuple:
        """What makes two rows the same figure: the same fact, unit and period."""
        return (self.subject_key, self.measure_key, self.unit, self.period_start, self.period_end)


@dataclass
class ReferenceImportReport:
    """What an import did to the source's figures and to the claims they meet.

    `written` is False when bad rows stopped the import: then nothing at all was written.
    """

    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    matches: int = 0
    contradicts: int = 0
    errors: list[RowError] = field(default_factory=list)
    written: bool = True
    source_id: int | None = None

    def as_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data."""
        return {"rows": self.rows, "created": self.created, "updated": self.updated, "unchanged": self.unchanged,
                "removed": self.removed, "matches": self.matches, "contradicts": self.contradicts,
                "written": self.written, "source_id": self.source_id,
                "errors": [{"line": e.line, "reason": e.reason} for e in self.errors]}


# Reading a file.

def _period(row: dict[str, str]) -> tuple[date, date]:
    """The row's period from `period` (YYYY, or FROM..TO of years or days) or `period_start` and `period_end`."""
    written = row.get("period", "")
    start_text, end_text = row.get("period_start", ""), row.get("period_end", "")
    if written and (start_text or end_text):
        raise RowProblem("give the period either as period or as period_start and period_end, not both")
    if written:
        if YEAR.fullmatch(written):
            start_text = end_text = written
        elif match := RANGE.fullmatch(written):
            start_text, end_text = match.groups()
        else:
            raise RowProblem(f"bad period: {written!r} is not YYYY or YYYY-MM-DD..YYYY-MM-DD")
    if not start_text or not end_text:
        raise RowProblem("period is missing: give period, or period_start and period_end")
    start, end = _day(start_text, "period start", first=True), _day(end_text, "period end", first=False)
    if end < start:
        raise RowProblem(f"the period ends ({end}) before it starts ({start})")
    return start, end


def _day(text: str, name: str, first: bool) -> date:
    """A YYYY-MM-DD day, or a year's first (or last) day for YYYY."""
    try:
        if YEAR.fullmatch(text):
            return date(int(text), 1, 1) if first else date(int(text), 12, 31)
        if DAY.fullmatch(text):
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise RowProblem(f"bad {name}: {text!r} is not a YYYY-MM-DD date or a year")


def _unit(text: str) -> str:
    """The canonical unit code of a unit as written ("km", "kilometres", "CNY", "yuan", "%"; "" for a count)."""
    if not text:
        return ""
    code = word_unit_code(text)
    if code:
        return code
    # A code as claims carry it ("km", "km2", "TEU"): one the unit tables do not know still meets the
    # claims of the same code, as detection compares those.
    if UNIT_CODE.fullmatch(text):
        return text
    raise RowProblem(f"bad unit: {text!r} is not a unit claims are stated in (a code such as km, CNY, USD, %)")


def parse_figure(line: int, row: dict[str, str]) -> FigureRow:
    """The row checked for form (RowProblem naming every unusable column)."""
    problems = []
    entity, measure = row.get("entity", ""), row.get("measure", "")
    if not entity:
        problems.append("entity is missing")
    elif len(entity) > 200:
        problems.append("entity is longer than 200 characters")
    if not measure:
        problems.append("measure is missing")
    elif len(measure) > 200:
        problems.append("measure is longer than 200 characters")
    value_text = row.get("value", "").replace(" ", "")
    value = None
    if not value_text:
        problems.append("value is missing")
    elif not VALUE.fullmatch(value_text) or not math.isfinite(float(value_text.replace(",", ""))):
        problems.append(f"bad value: {row.get('value')!r} is not a number")
    else:
        value = float(value_text.replace(",", ""))
    unit = period = None
    try:
        unit = _unit(row.get("unit", ""))
    except RowProblem as exc:
        problems.append(str(exc))
    try:
        period = _period(row)
    except RowProblem as exc:
        problems.append(str(exc))
    url = row.get("source_url", "")
    if not url:
        problems.append("source_url is missing: every figure names the page that states it")
    elif not WEB_ADDRESS.fullmatch(url) or len(url) > 1000:
        problems.append(f"bad source_url: {url!r} is not an http(s) address")
    key = group_key(entity, measure, unit or "", "fact", None, subject_key(entity)) if entity and measure else None
    if entity and measure and key is None:
        problems.append("the entity or the measure has no words to compare claims by")
    if problems:
        raise RowProblem("; ".join(problems))
    return FigureRow(line, entity, key.subject[:200], measure, key.measure, period[0], period[1], value,
                     value_text[:64], unit, url, row.get("note", ""))


def read_figures(text: str) -> Iterator[tuple[int, FigureRow | RowError]]:
    """(line, figure) for each row of a reference CSV, or (line, RowError) for a row that is none."""
    def header_problem(names: list[str]) -> str:
        unknown = [name for name in names if name not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
        missing = [name for name in REQUIRED_COLUMNS if name not in names]
        if "period" not in names and not {"period_start", "period_end"} <= set(names):
            missing.append("period (or period_start and period_end)")
        return "; ".join(([f"unknown column: {', '.join(unknown)}"] if unknown else []) + (
            [f"missing column: {', '.join(missing)}"] if missing else []) + (
            ["a column is named twice"] if len(set(names)) != len(names) else []))

    for line, record in csv_records(text, header_problem, lower=True,
                                    empty="the file is empty: it needs a header row"):
        if isinstance(record, RowError):
            yield line, record
            continue
        try:
            yield line, parse_figure(line, {name: cell.strip() for name, cell in record.items()})
        except RowProblem as exc:
            yield line, RowError(line, str(exc))


# Importing a source.

_FIGURE_FIELDS = ("entity", "measure", "value", "value_text", "source_url", "note")


def import_references(session: so.Session, text: str, name: str, user: User, now: datetime,
                      url: str = "") -> ReferenceImportReport:
    """Import a reference CSV as the source `name` (the caller commits); nothing is written if a row is bad.

    The file is the source's whole table: a figure already there with the same values is left as it
    is, one whose value, page or note changed is updated, one the file no longer has is removed.
    Importing the same file again changes nothing. Claims the figures meet are matched again.
    """
    report = ReferenceImportReport()
    name = name.strip()
    if not name:
        report.errors.append(RowError(0, "a reference source needs a name"))
    elif len(name) > 200:
        report.errors.append(RowError(0, "the source's name is longer than 200 characters"))
    url = url.strip()
    if url and (not WEB_ADDRESS.fullmatch(url) or len(url) > 1000):
        report.errors.append(RowError(0, f"bad source address: {url!r} is not an http(s) address"))
    if user is None or not user.is_lead:
        report.errors.append(RowError(0, "reference sources are imported by team leads"))
    rows: dict[tuple, FigureRow] = {}
    for line, row in read_figures(text):
        report.rows += 1
        if report.rows > MAX_ROWS:
            report.errors.append(RowError(line, f"too many rows: a reference file holds at most {MAX_ROWS:,}"))
            break
        if isinstance(row, RowError):
            report.errors.append(row)
        elif (earlier := rows.get(row.fact)) is not None:
            report.errors.append(RowError(line, f"the same figure (entity, measure, unit and period) as line "
                                                f"{earlier.line}"))
        else:
            rows[row.fact] = row
    if not rows and not report.errors:
        report.errors.append(RowError(2, "the file has no figures"))
    if report.errors:
        report.written = False
        return report
    source = _source_named(session, name, url, user, now)
    existing = {(f.subject_key, f.measure_key, f.unit, f.period_start, f.period_end): f for f in source.figures}
    subjects = {f.subject_key for f in existing.values()} | {r.subject_key for r in rows.values()}
    for fact, row in rows.items():
        figure = existing.pop(fact, None)
        values = {name: getattr(row, name) for name in _FIGURE_FIELDS}
        if figure is None:
            session.add(ReferenceFigure(source=source, line=row.line, subject_key=row.subject_key,
                                        measure_key=row.measure_key, unit=row.unit, period_start=row.period_start,
                                        period_end=row.period_end, **values))
            report.created += 1
        elif any(getattr(figure, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(figure, name, value)
            figure.line = row.line
            report.updated += 1
        else:
            # Where a figure sits in the file is no change to it.
            figure.line = row.line
            report.unchanged += 1
    for figure in existing.values():
        session.delete(figure)
    report.removed = len(existing)
    changed = report.created or report.updated or report.removed or (url and url != source.url)
    if changed:
        if url:
            source.url = url
        source.imported_by_id, source.imported_at = user.id, now
    session.flush()
    report.source_id = source.id
    if changed:
        match_subjects(session, subjects)
        audit.record(session, user, "import", "reference_source", source.id, after={
            "name": source.name, "created": report.created, "updated": report.updated, "removed": report.removed})
    counts = dict(session.execute(
        sa.select(Claim.reference_standing, sa.func.count())
        .join(ReferenceFigure, ReferenceFigure.id == Claim.reference_figure_id)
        .where(ReferenceFigure.source_id == source.id).group_by(Claim.reference_standing)).all())
    report.matches, report.contradicts = counts.get("matches", 0), counts.get("contradicts", 0)
    return report


def _source_named(session: so.Session, name: str, url: str, user: User, now: datetime) -> ReferenceSource:
    """The source called `name`, made when there is none yet.

    Two imports of a new source at once both find none; the unique name keeps the second from
    making another (on PostgreSQL it waits for the first to commit), and it imports into the first's.
    """
    source = session.scalar(sa.select(ReferenceSource).where(ReferenceSource.name == name))
    if source is not None:
        return source
    source = ReferenceSource(name=name, url=url, imported_by_id=user.id, imported_at=now)
    try:
        with session.begin_nested():
            session.add(source)
    except sa.exc.IntegrityError:
        source = session.scalar(sa.select(ReferenceSource).where(ReferenceSource.name == name))
        if source is None:
            raise
    return source


# Matching claims.

@dataclass(frozen=True)
class MatchReport:
    """What one matching pass found and changed."""

    claims: int
    matches: int
    contradicts: int
    changed: int


_FIGURE_COLUMNS = (ReferenceFigure.id, ReferenceFigure.subject_key, ReferenceFigure.measure,
                   ReferenceFigure.measure_key, ReferenceFigure.unit, ReferenceFigure.period_start,
                   ReferenceFigure.period_end, ReferenceFigure.value, ReferenceFigure.value_text)


def _figure_statement(row) -> Statement:
    """A figure as the detector sees a claim: from a document of its own, exact to its last written digit."""
    id_, subject, measure, measure_key, unit, start, end, value, value_text = row
    return Statement(
        id=-id_, document_id=-id_, group_id=None, pinned=False, conflict_open=False,
        key=group_key(subject, measure, unit, "fact", None, subject), active=True, eligible=True,
        period=(start, end), bounds=claim_interval(value, None, "=", value_text, unit, False),
        subject=subject, measure=measure,
    )


def _candidates(s: Statement, published: date | None, figures: list[Statement], learned: Learned) -> list[Statement]:
    """The figures stating the claim's fact for its period (for an unstated one: the latest by publication)."""
    found = [f for f in figures
             if f.key.block == s.key.block and same_variant(s.variant, f.variant) and same_period(s.period, f.period)
             and match_score(learned, s.key.subject, s.key.measure, f.key.measure) >= SAME_FACT_SCORE]
    periods = {f.period for f in found}
    if s.period is None and len(periods) > 1:
        began = [p for p in periods if published is None or p[0] <= published] or list(periods)
        latest = max(began)
        found = [f for f in found if f.period == latest]
    return found


def _standing(s: Statement, published: date | None, figures: list[Statement],
              learned: Learned) -> tuple[str, int | None]:
    """How the claim stands against these figures: contradicted by one, else matching one, else ""."""
    agreeing = None
    # The claim is judged whatever its review state: a deprecated value still contradicts the reference.
    claim = replace(s, active=True)
    for figure in sorted(_candidates(s, published, figures, learned), key=lambda f: -f.id):
        if evaluate([claim, figure]).conflict:
            return "contradicts", -figure.id
        agreeing = agreeing or -figure.id
    return ("matches", agreeing) if agreeing else ("", None)


def _match(session: so.Session, rows: list) -> tuple[int, int, list[dict]]:
    """Judge claim rows (CLAIM_COLUMNS, the document's publication date, the stored standing and figure)."""
    connection = session.connection()
    claims = [(statement(row[:len(CLAIM_COLUMNS)]), *row[len(CLAIM_COLUMNS):]) for row in rows]
    subjects = {s.key.subject for s, *_ in claims if s.key is not None}
    by_block: dict[str, list[Statement]] = defaultdict(list)
    learned = Learned()
    if subjects:
        for row in connection.execute(sa.select(*_FIGURE_COLUMNS).where(ReferenceFigure.subject_key.in_(subjects))):
            figure = _figure_statement(row)
            if figure.key is not None:
                by_block[figure.key.block].append(figure)
        learned.add(connection.execute(sa.select(
            MeasureEquivalence.subject_key, MeasureEquivalence.measure_a, MeasureEquivalence.measure_b,
            MeasureEquivalence.same,
        ).where(MeasureEquivalence.undone_at.is_(None), MeasureEquivalence.subject_key.in_(subjects | {""}))))
    matches = contradicts = 0
    updates = []
    for s, published, standing_was, figure_was in claims:
        standing, figure_id = ("", None) if s.key is None else _standing(
            s, published, by_block.get(s.key.block, []), learned)
        matches += standing == "matches"
        contradicts += standing == "contradicts"
        if (standing, figure_id) != (standing_was, figure_was):
            updates.append({"id": s.id, "reference_standing": standing, "reference_figure_id": figure_id})
    return matches, contradicts, updates


def _match_where(session: so.Session, where) -> MatchReport:
    """Match the claims `where` selects, a chunk at a time, and write the standings that changed."""
    session.flush()
    connection = session.connection()
    query = (sa.select(*CLAIM_COLUMNS, Document.published, Claim.reference_standing, Claim.reference_figure_id)
             .join(Document, Document.id == Claim.document_id).where(where).order_by(Claim.id))
    claims = matches = contradicts = 0
    updates: list[dict] = []
    last = 0
    while True:
        rows = list(connection.execute(query.where(Claim.id > last).limit(CHUNK)))
        if not rows:
            break
        last = rows[-1][0]
        found = _match(session, rows)
        claims += len(rows)
        matches += found[0]
        contradicts += found[1]
        updates += found[2]
    if updates:
        # Bookkeeping, as conflict placement is: the claim's version stays, so no reviewer's form goes stale.
        bulk_update(connection, Claim.__table__, "id", updates)
        touched = {u["id"] for u in updates}
        for obj in list(session.identity_map.values()):
            if isinstance(obj, Claim) and obj.id in touched:
                session.expire(obj, ["reference_standing", "reference_figure_id", "reference_figure"])
    return MatchReport(claims, matches, contradicts, len(updates))


def match_claims(session: so.Session, claim_ids: Iterable[int]) -> MatchReport:
    """Match these claims against every reference figure of their facts; the caller commits."""
    ids = sorted(set(claim_ids))
    total = MatchReport(0, 0, 0, 0)
    for i in range(0, len(ids), CHUNK):
        found = _match_where(session, Claim.id.in_(ids[i:i + CHUNK]))
        total = MatchReport(*(a + b for a, b in zip(
            (total.claims, total.matches, total.contradicts, total.changed),
            (found.claims, found.matches, found.contradicts, found.changed))))
    return total


def match_subjects(session: so.Session, subjects: Iterable[str]) -> MatchReport:
    """Match every claim about these subjects (canonical keys) and every claim judged against a figure no
    longer there; the caller commits."""
    subjects = sorted(set(subjects))
    gone = Claim.reference_figure_id.is_not(None) & ~sa.exists().where(ReferenceFigure.id == Claim.reference_figure_id)
    return _match_where(session, sa.or_(Claim.subject_key.in_(subjects), gone) if subjects else gone)


def match_all(session: so.Session) -> MatchReport:
    """Match every claim again (after leads taught detection, say); the caller commits."""
    return _match_where(session, sa.true())


def match_documents(session: so.Session, documents: Sequence[Document]) -> MatchReport:
    """Match newly stored documents' claims (an `AFTER_STORE` hook)."""
    return _match_where(session, Claim.document_id.in_([d.id for d in documents]))


# Reading for the pages.

@dataclass(frozen=True)
class ReferenceStanding:
    """How a claim stands against a reference figure, for badges on the claim page and the lists."""

    standing: str
    figure: ReferenceFigure
    source: ReferenceSource


def standing_of(session: so.Session, claim: Claim) -> ReferenceStanding | None:
    """The figure a claim matches or contradicts, with its source; None when no figure states its fact."""
    if not claim.reference_standing or claim.reference_figure_id is None:
        return None
    figure = session.get(ReferenceFigure, claim.reference_figure_id)
    if figure is None:
        return None
    return ReferenceStanding(claim.reference_standing, figure, figure.source)


@dataclass(frozen=True)
class GroupReference:
    """A figure that some claims of a conflict group were judged against, and how each of them stands."""

    figure: ReferenceFigure
    source: ReferenceSource
    matching: tuple[int, ...]
    contradicting: tuple[int, ...]


def group_references(session: so.Session, group_id: int) -> list[GroupReference]:
    """The reference figures the claims of a group meet, each with the claims agreeing and disagreeing."""
    rows = session.execute(
        sa.select(Claim.id, Claim.reference_standing, ReferenceFigure)
        .join(ReferenceFigure, ReferenceFigure.id == Claim.reference_figure_id)
        .where(Claim.group_id == group_id).order_by(ReferenceFigure.id, Claim.id)
        .options(so.joinedload(ReferenceFigure.source))
    ).all()
    by_figure: dict[int, tuple[ReferenceFigure, list[int], list[int]]] = {}
    for claim_id, standing, figure in rows:
        _, matching, contradicting = by_figure.setdefault(figure.id, (figure, [], []))
        (contradicting if standing == "contradicts" else matching).append(claim_id)
    return [GroupReference(f, f.source, tuple(m), tuple(c)) for f, m, c in by_figure.values()]


def contradicted_pending(session: so.Session, cap: int = 1000, viewer_id: int | None = None) -> int:
    """How many pending claims a reference contradicts (the queue's first band), counted up to `cap`.

    For `viewer_id`, a claim awaiting their blind second review counts as still pending, as the queue's
    other counts hold it (`documents.status_counts`): the figure falling when a first decision lands
    would tell them of it.
    """
    pending = Claim.status == "pending"
    if viewer_id is not None:
        pending = sa.or_(pending, Claim.id.in_(blind_claim_ids(viewer_id)))
    capped = (sa.select(Claim.id).where(pending, Claim.reference_standing == "contradicts",
                                        Claim.rank != "deprecated").limit(cap).subquery())
    return session.scalar(sa.select(sa.func.count()).select_from(capped))


def sources(session: so.Session) -> list[tuple[ReferenceSource, int]]:
    """Every reference source with its number of figures, newest import first."""
    return list(session.execute(
        sa.select(ReferenceSource, sa.func.count(ReferenceFigure.id))
        .outerjoin(ReferenceFigure, ReferenceFigure.source_id == ReferenceSource.id)
        .group_by(ReferenceSource.id).order_by(ReferenceSource.imported_at.desc(), ReferenceSource.id.desc())
        .options(so.joinedload(ReferenceSource.imported_by))
    ).unique().all())

