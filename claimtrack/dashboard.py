"""The leads' dashboard: reviews per reviewer and per document over a date range, from daily tallies.

Counting a date range of the reviews table itself grows with the history (a million claims
carry hundreds of thousands of reviews); the tallies (`models.tallies`) hold one row per day
and reviewer, document, rejection reason or time step, kept in step as each review is written
(a mapper event on Review, so every code path that records a review counts it), so the page
reads a few rows per day in the range whatever the history holds. `rebuild` recounts them from the reviews,
for data written around the ORM (bulk loads).

A decision's time is the time since the same reviewer's previous review (of any kind), the
pace at which they work through the queue; a gap over TIMED_GAP is a break, not counted.
"""
import bisect
import itertools
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

import sqlalchemy as sa
import sqlalchemy.orm as so
from sqlalchemy.dialects import postgresql, sqlite

from models import Claim, ConflictGroup, Document, DocumentDay, ReasonDay, Review, ReviewerDay, TimingDay, User

# The kinds of review the dashboard shows, in its column order.
KINDS = ("verify", "reject", "needs_info", "skip", "correct", "undo")
# The reviews that decide a claim: their times make the median.
TIMED = ("verify", "reject", "needs_info")
TIMED_GAP = timedelta(minutes=30)
MAX_RANGE_DAYS = 366
DEFAULT_RANGE_DAYS = 30
DOCUMENTS_SHOWN = 50
REASONS_SHOWN = 20
REASON_CHARS = 200
_SPACES = re.compile(r"\s+")
# The steps times of a minute and more are counted in (60 s to the longest gap timed).
_LONG_STEPS = sorted({int(60 * 1.1 ** k) for k in range(40) if 60 * 1.1 ** k <= TIMED_GAP.total_seconds()})


class RangeError(ValueError):
    """A date range the dashboard cannot show; str() says why."""


@dataclass(frozen=True)
class DateRange:
    """The days from `start` to `end`, both included (UTC)."""

    start: date
    end: date

    @property
    def days(self) -> int:
        """How many days the range covers."""
        return (self.end - self.start).days + 1


def parse_range(start: str | None, end: str | None, today: date) -> DateRange:
    """The range from the page's `start` and `end` (YYYY-MM-DD); by default the last DEFAULT_RANGE_DAYS days."""
    def day(text: str | None, name: str, default: date) -> date:
        if text is None or not text.strip():
            return default
        try:
            return date.fromisoformat(text.strip())
        except ValueError:
            raise RangeError(f"{name} must be a date written like 2026-12-01, not {text.strip()[:40]!r}") from None

    last = day(end, "end", today)
    first = day(start, "start", last - timedelta(days=DEFAULT_RANGE_DAYS - 1))
    if last < first:
        raise RangeError("the end date is before the start date")
    if (last - first).days + 1 > MAX_RANGE_DAYS:
        raise RangeError(f"a range covers at most {MAX_RANGE_DAYS} days")
    return DateRange(first, last)


def reason_of(note: str) -> str:
    """A rejection note as a reason to count: spaces collapsed, case folded, trailing full stop dropped."""
    return _SPACES.sub(" ", note or "").strip().rstrip(".").lower()[:REASON_CHARS] or "(no reason given)"


def time_step(seconds: float) -> int:
    """`seconds` rounded down to the step it is counted in: whole seconds under a minute, then steps
    about 10% apart (60, 66, 72, 79, ...), so a day's times fit in under a hundred steps."""
    seconds = max(0, int(seconds))
    if seconds < 60:
        return seconds
    return _LONG_STEPS[bisect.bisect_right(_LONG_STEPS, seconds) - 1]


def _utc_day(moment: datetime) -> date:
    """The UTC day of a timestamp (naive ones are UTC, as stored)."""
    return (moment.astimezone(timezone.utc) if moment.tzinfo is not None else moment).date()


def _add(connection: sa.Connection, model, keys: dict, count: int = 1) -> None:
    """Add `count` to the tally row of `model` at `keys`, creating it."""
    insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    table = model.__table__
    connection.execute(
        insert(table).values(**keys, count=count)
        .on_conflict_do_update(index_elements=list(keys), set_={"count": table.c.count + count})
    )


def _add_step(connection: sa.Connection, day: date, user_id: int, seconds: int) -> None:
    """Count one decision time in the reviewer's day, read and written back under the row's lock."""
    insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    table = TimingDay.__table__
    key = (table.c.day == day) & (table.c.user_id == user_id)
    connection.execute(insert(table).values(day=day, user_id=user_id, steps={}).on_conflict_do_nothing())
    # FOR UPDATE on PostgreSQL (two tabs deciding at once must not lose a count); SQLite's
    # BEGIN IMMEDIATE already serialises writers.
    steps = dict(connection.scalar(sa.select(table.c.steps).where(key).with_for_update()))
    steps[str(seconds)] = steps.get(str(seconds), 0) + 1
    connection.execute(sa.update(table).where(key).values(steps=steps))


def count_review(connection: sa.Connection, review: Review) -> None:
    """Count one new review in the day's tallies (inside the transaction that writes it)."""
    created = review.created_at
    day = _utc_day(created)
    document_id = connection.scalar(sa.select(Claim.document_id).where(Claim.id == review.claim_id))
    _add(connection, ReviewerDay, {"day": day, "user_id": review.user_id, "decision": review.decision})
    _add(connection, DocumentDay, {"day": day, "document_id": document_id, "decision": review.decision})
    if review.decision == "reject":
        _add(connection, ReasonDay, {"day": day, "user_id": review.user_id, "reason": reason_of(review.note)})
    if review.decision in TIMED:
        previous = connection.scalar(
            sa.select(sa.func.max(Review.created_at))
            .where(Review.user_id == review.user_id, Review.created_at <= created, Review.id != review.id,
                   Review.created_at > created - TIMED_GAP)
        )
        if previous is not None:
            _add_step(connection, day, review.user_id, time_step((created - previous).total_seconds()))


@sa.event.listens_for(Review, "after_insert")
def _count_inserted(_mapper, connection: sa.Connection, review: Review) -> None:
    count_review(connection, review)


TALLIES = (ReviewerDay, DocumentDay, ReasonDay, TimingDay)


def rebuild(session: so.Session, batch: int = 10_000) -> int:
    """Recount every tally from the reviews (after a bulk load written around the ORM); returns the reviews read."""
    for model in TALLIES:
        session.execute(sa.delete(model))
    reviewers, documents, reasons, timings = Counter(), Counter(), Counter(), Counter()
    last_seen: dict[int, datetime] = {}
    read = 0
    rows = session.execute(
        sa.select(Review.user_id, Review.created_at, Review.decision, Review.note, Claim.document_id)
        .join(Claim, Claim.id == Review.claim_id)
        .order_by(Review.user_id, Review.created_at, Review.id)
        .execution_options(yield_per=batch)
    )
    for user_id, created, decision, note, document_id in rows:
        read += 1
        day = _utc_day(created)
        reviewers[day, user_id, decision] += 1
        documents[day, document_id, decision] += 1
        if decision == "reject":
            reasons[day, user_id, reason_of(note)] += 1
        previous = last_seen.get(user_id)
        if decision in TIMED and previous is not None and created - previous < TIMED_GAP:
            timings[day, user_id, time_step((created - previous).total_seconds())] += 1
        last_seen[user_id] = created
    steps: dict[tuple, dict[str, int]] = defaultdict(dict)
    for (day, user_id, seconds), n in sorted(timings.items()):
        steps[day, user_id][str(seconds)] = n
    for model, rows in (
        (ReviewerDay, [{"day": d, "user_id": u, "decision": k, "count": n} for (d, u, k), n in reviewers.items()]),
        (DocumentDay, [{"day": d, "document_id": i, "decision": k, "count": n} for (d, i, k), n in documents.items()]),
        (ReasonDay, [{"day": d, "user_id": u, "reason": r, "count": n} for (d, u, r), n in reasons.items()]),
        (TimingDay, [{"day": d, "user_id": u, "steps": counted} for (d, u), counted in steps.items()]),
    ):
        for i in range(0, len(rows), batch):
            session.execute(sa.insert(model), rows[i:i + batch])
    return read


@dataclass
class Row:
    """One reviewer's or document's counts by kind over the range."""

    id: int
    name: str
    kinds: Counter = field(default_factory=Counter)
    median_seconds: float | None = None
    open_conflicts: int = 0

    @property
    def decided(self) -> int:
        """Claims decided (verified, rejected or marked needs info)."""
        return sum(self.kinds[k] for k in TIMED)


@dataclass
class Dashboard:
    """What the dashboard page shows for a date range."""

    range: DateRange
    reviewers: list[Row]
    documents: list[Row]
    reasons: list[tuple[str, int]]
    totals: Counter
    median_seconds: float | None
    open_conflicts: int


def _median(steps: Counter) -> float | None:
    """The (lower) median of counted time steps {seconds: count}, or None when nothing was timed."""
    total = sum(steps.values())
    if not total:
        return None
    ordered = sorted(steps)
    return next(s for s, seen in zip(ordered, itertools.accumulate(steps[s] for s in ordered)) if 2 * seen >= total)


def build(session: so.Session, days: DateRange) -> Dashboard:
    """Counts per reviewer and per document, rejection reasons, median decision times and open conflicts."""
    in_range = lambda model: model.day.between(days.start, days.end)  # noqa: E731
    reviewers: dict[int, Row] = {}
    for user_id, name, decision, n in session.execute(
        sa.select(ReviewerDay.user_id, User.username, ReviewerDay.decision, sa.func.sum(ReviewerDay.count))
        .join(User, User.id == ReviewerDay.user_id).where(in_range(ReviewerDay))
        .group_by(ReviewerDay.user_id, User.username, ReviewerDay.decision)
    ):
        reviewers.setdefault(user_id, Row(user_id, name)).kinds[decision] += int(n)
    steps: dict[int, Counter] = defaultdict(Counter)
    for user_id, counted in session.execute(sa.select(TimingDay.user_id, TimingDay.steps).where(in_range(TimingDay))):
        mine = steps[user_id]
        for seconds, n in counted.items():
            mine[seconds] += n
    steps = {user_id: Counter({int(seconds): n for seconds, n in counted.items()}) for user_id, counted in steps.items()}
    for user_id, counted in steps.items():
        if user_id in reviewers:
            reviewers[user_id].median_seconds = _median(counted)
    # The newest documents reviewed in the range: documents newest first, each probed in the
    # (document_id, day) index, stopping at DOCUMENTS_SHOWN. Ranking every document of a long
    # range by its reviews would read a row per document and day, however few are shown.
    reviewed = sa.exists().where(DocumentDay.document_id == Document.id, in_range(DocumentDay))
    shown = list(session.scalars(
        sa.select(Document.id).where(reviewed).order_by(Document.id.desc()).limit(DOCUMENTS_SHOWN)
    ))
    documents: dict[int, Row] = {}
    for document_id, title, decision, n in session.execute(
        sa.select(DocumentDay.document_id, Document.title, DocumentDay.decision, sa.func.sum(DocumentDay.count))
        .join(Document, Document.id == DocumentDay.document_id)
        .where(in_range(DocumentDay), DocumentDay.document_id.in_(shown))
        .group_by(DocumentDay.document_id, Document.title, DocumentDay.decision)
    ):
        documents.setdefault(document_id, Row(document_id, title)).kinds[decision] += int(n)
    if documents:
        for document_id, n in session.execute(
            sa.select(Claim.document_id, sa.func.count()).where(Claim.document_id.in_(list(documents)),
                                                                Claim.conflict_open.is_(True))
            .group_by(Claim.document_id)
        ):
            documents[document_id].open_conflicts = n
    reasons = [(reason, int(n)) for reason, n in session.execute(
        sa.select(ReasonDay.reason, sa.func.sum(ReasonDay.count).label("n")).where(in_range(ReasonDay))
        .group_by(ReasonDay.reason).order_by(sa.desc("n"), ReasonDay.reason).limit(REASONS_SHOWN)
    )]
    totals = Counter()
    for row in reviewers.values():
        totals.update(row.kinds)
    everyone = Counter()
    for counted in steps.values():
        everyone.update(counted)
    open_conflicts = session.scalar(sa.select(sa.func.count()).select_from(ConflictGroup)
                                    .where(ConflictGroup.status == "open")) or 0
    return Dashboard(
        days,
        sorted(reviewers.values(), key=lambda r: (-r.decided, r.name)),
        sorted(documents.values(), key=lambda r: -r.id),
        reasons, totals, _median(everyone), open_conflicts,
    )
