"""Finding claims that state the same fact, and noticing when their values disagree.

Claims are bucketed by a key: normalised subject, normalised measure, the dimension of their
unit (lengths together whatever the unit; each currency apart, since no rate is known), and
their kind and direction of change when they are not a plain fact. A bucket is one
ConflictGroup unless reviewers merged or split it by hand (`Claim.group_pinned`).

Within a group, each claim allows an interval of values: its qualifier ("over 30") and the
precision its quote states ("6.3 million" covers 6,250,000 up to, not including, 6,400,000:
rounded or cut off). Claims whose periods are the same (or unstated) must have intervals that
meet; claims for clearly different periods form a time series. Only claims from different
documents can disagree: inside one document, the same subject and measure with two numbers is
nearly always a part and its whole ("16 of the 156 key projects"), not a contradiction.
Rejected and deprecated claims never make a conflict.

Detection runs over the groups a new document touches (an `AFTER_STORE` hook) or over
everything (`rebuild`); either way the cost is a few indexed lookups per key, never a
comparison of every claim with every other.
"""
import math
import re
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from itertools import combinations
from typing import Iterable, Iterator, NamedTuple

import pint
import sqlalchemy as sa
import sqlalchemy.orm as so

from models import Claim, ConflictGroup, Document, Resolution, Review, utcnow

from . import audit
from .documents import SpanInContext, span_in_paragraph
from .extract.measures import singular
from .extract.units import CURRENCY_WORDS, PREFIX_CODES

# Statuses of a group that needs (or had) a reviewer's decision; `consistent` groups agree.
CONFLICT_STATUSES = ("open", "unresolved", "resolved")
# Two stated periods are the same when they overlap for this share of the longer one: a year
# and its first quarter are different periods (a series), "2013 to 2022" and "2013 to
# November 2023" are the same cumulative figure.
SAME_PERIOD_OVERLAP = 0.9
# "About" widens a value by this share of it, unless its stated precision is coarser.
APPROXIMATE_SHARE = 0.1
# Plain counts below this, written without decimals, are exact ("66 sister cities"); from a
# thousand up, trailing zeros are taken as rounding ("1,600 kilometers").
EXACT_COUNT_BELOW = 1000
RELATIVE_EPSILON = 1e-9
# Above this many claims to re-place, write through a temporary table instead of row by row.
BULK_UPDATE_ROWS = 5000

_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")
_WORD = re.compile(r"[\w’'-]+")
_CURRENCIES = frozenset(PREFIX_CODES) | frozenset(v for v in CURRENCY_WORDS.values() if "-" not in v)
_UNITS = pint.UnitRegistry()


class ConflictError(ValueError):
    """A reviewer's request on a conflict group that cannot be carried out (message says why)."""


class StaleGroupError(ConflictError):
    """The group changed since the reviewer loaded it."""


@dataclass(frozen=True)
class Dimension:
    """What a unit measures, and the factor from the unit to that dimension's base unit."""

    name: str
    factor: float


@lru_cache(maxsize=4096)
def dimension_of(unit: str) -> Dimension:
    """The dimension of a canonical unit code: lengths share one, each currency is its own."""
    if unit == "":
        return Dimension("count", 1.0)
    if unit in ("%", "pp", "bp", "rank", "point", "times"):
        return Dimension(unit, 1.0)
    if unit in _CURRENCIES:
        return Dimension(unit, 1.0)
    if unit.endswith(("-cent", "-sen")):
        return Dimension(unit.split("-")[0], 0.01)
    try:
        expression = re.sub(r"([A-Za-z])(\d)", r"\1**\2", unit)
        base = _UNITS.Quantity(1, expression).to_base_units()
        zero = _UNITS.Quantity(0, expression).to_base_units().magnitude
    except Exception:  # pint's parser raises many types (even tokenize errors) on odd text
        return Dimension(f"unit:{unit}", 1.0)
    if zero:
        # Degrees Celsius and Fahrenheit have an offset: no factor converts them.
        return Dimension(f"unit:{unit}", 1.0)
    return Dimension(str(base.units), float(base.magnitude))


@lru_cache(maxsize=65536)
def normalise(text: str) -> str:
    """A subject or measure reduced for comparison: case, punctuation, spacing and plurals."""
    return " ".join(singular(word) for word in _WORD.findall(text.casefold()))


@dataclass(frozen=True)
class GroupKey:
    """The bucket a claim falls in."""

    key: str
    dimension: str


@lru_cache(maxsize=65536)
def group_key(subject: str, measure: str, unit: str, kind: str, change: str | None) -> GroupKey | None:
    """The key of claims stating the same fact; None when the subject or measure is unknown."""
    subject, measure = normalise(subject), normalise(measure)
    if not subject or not measure:
        return None
    dimension = dimension_of(unit).name
    parts = [subject, measure, dimension]
    # A target or projection is a different fact from the outcome; a change from a level.
    if kind != "fact":
        parts.append(kind)
    if change:
        parts.append(change)
    return GroupKey("|".join(parts)[:500], dimension[:64])


# Quotes repeat (every document restating a figure quotes it the same way), so a full
# detection over a million claims parses each distinct one once.
@lru_cache(maxsize=65536)
def stated_step(quote: str, value: float, count: bool) -> float:
    """The size of the last digit the quote states (0 for an exact figure), in the claim's unit."""
    match = _NUMBER.search(quote)
    if match is None:
        # Written in words: "three" routes is exact; "one trillion" is one significant digit.
        if count and value == int(value) and abs(value) < EXACT_COUNT_BELOW:
            return 0.0
        return 10.0 ** math.floor(math.log10(abs(value))) if value else 0.0
    digits = match.group().replace(",", "")
    mantissa = float(digits)
    scale = value / mantissa if mantissa else 1.0
    if scale <= 0 or abs(math.log10(scale) - round(math.log10(scale))) > 1e-6:
        return 0.0  # a fraction or a conversion: the digits do not state the value's precision
    if "." in digits:
        step = 10.0 ** -len(digits.split(".")[1])
    elif mantissa < EXACT_COUNT_BELOW:
        step = 0.0 if count and round(scale) == 1 else 1.0
    else:
        trailing = len(digits) - len(digits.rstrip("0"))
        step = 10.0 ** trailing if trailing or not count or round(scale) != 1 else 0.0
    return step * scale


class Interval(NamedTuple):
    """The values a claim allows, in its dimension's base unit."""

    lo: float
    hi: float
    lo_open: bool = False
    hi_open: bool = False


def interval(value: float, value_max: float | None, qualifier: str, step: float, factor: float) -> Interval:
    """The values a claim allows given its qualifier and stated precision."""
    top = value if value_max is None else value_max
    if qualifier == "~":
        width = max(step, APPROXIMATE_SHARE * abs(value))
        lo, hi, lo_open, hi_open = value - width, top + width, False, False
    else:
        # A rounded figure covers what rounds to it and what was cut off to it.
        lo, hi = value - step / 2, top + step
        lo_open = hi_open = False
        if step:
            hi_open = True
        if qualifier == ">":
            hi, hi_open, lo_open = math.inf, False, True
        elif qualifier == ">=":
            hi, hi_open = math.inf, False
        elif qualifier == "<":
            lo, lo_open, hi_open = -math.inf, False, True
        elif qualifier == "<=":
            lo, lo_open = -math.inf, False
    return Interval(lo * factor, hi * factor, lo_open, hi_open)


def _apart(lo: float, lo_open: bool, hi: float, hi_open: bool) -> bool:
    """True when a lower bound lies above an upper bound, so nothing satisfies both."""
    epsilon = RELATIVE_EPSILON * max(abs(lo), abs(hi), 1.0) if math.isfinite(lo) and math.isfinite(hi) else 0.0
    if lo > hi + epsilon:
        return True
    return abs(lo - hi) <= epsilon and (lo_open or hi_open)


# Slots: a full detection holds one per claim.
@dataclass(slots=True)
class Statement:
    """One claim as the detector sees it."""

    id: int
    document_id: int
    group_id: int | None
    pinned: bool
    conflict_open: bool
    key: GroupKey | None
    active: bool
    eligible: bool
    period: tuple[date, date] | None
    bounds: Interval
    subject: str
    measure: str


def _period(start: date | None, end: date | None) -> tuple[date, date] | None:
    if start is None and end is None:
        return None
    return (start or end, end or start)


def same_period(a: tuple[date, date] | None, b: tuple[date, date] | None) -> bool:
    """True when two periods are the same for comparing values (an unstated period matches any)."""
    if a is None or b is None or a == b:
        return True
    overlap = (min(a[1], b[1]) - max(a[0], b[0])).days + 1
    longest = max((a[1] - a[0]).days, (b[1] - b[0]).days) + 1
    return overlap >= SAME_PERIOD_OVERLAP * longest


class _Extremes:
    """The highest lower bounds and lowest upper bounds of a set of claims, two documents each.

    Two documents suffice: whether some pair from different documents is apart is decided by
    the extreme bound of each side and, when both extremes come from one document, the runner-up.
    An open bound is the more extreme at equal value ("over 30" excludes more than "at least 30").
    """

    def __init__(self, lows=(), highs=()):
        self.lows: list[tuple[float, bool, int]] = list(lows)
        self.highs: list[tuple[float, bool, int]] = list(highs)

    @classmethod
    def of(cls, statements: Iterable[Statement]) -> "_Extremes":
        """The extremes of these claims."""
        lows: dict[int, tuple[float, bool]] = {}
        highs: dict[int, tuple[float, bool]] = {}
        for s in statements:
            lo, hi, lo_open, hi_open = s.bounds
            doc = s.document_id
            low, high = lows.get(doc), highs.get(doc)
            if low is None or (lo, lo_open) > low:
                lows[doc] = (lo, lo_open)
            if high is None or (hi, not hi_open) < (high[0], not high[1]):
                highs[doc] = (hi, hi_open)
        # Groups are small: sorting beats heapq's setup for the two extremes.
        return cls(
            sorted(((lo, o, d) for d, (lo, o) in lows.items()), key=_low_order, reverse=True)[:2],
            sorted(((hi, o, d) for d, (hi, o) in highs.items()), key=_high_order)[:2],
        )

    def merged(self, other: "_Extremes") -> "_Extremes":
        """The extremes of both sets together."""
        return _Extremes(
            _two(self.lows + other.lows, key=_low_order, reverse=True),
            _two(self.highs + other.highs, key=_high_order, reverse=False),
        )

    def disagree(self) -> bool:
        """True when two claims from different documents allow no common value."""
        return any(
            lo_doc != hi_doc and _apart(lo, lo_open, hi, hi_open)
            for lo, lo_open, lo_doc in self.lows
            for hi, hi_open, hi_doc in self.highs
        )


def _low_order(bound: tuple) -> tuple:
    return bound[0], bound[1]


def _high_order(bound: tuple) -> tuple:
    return bound[0], not bound[1]


def _two(bounds: list, key, reverse: bool) -> list:
    """The two most extreme bounds from distinct documents."""
    kept: list = []
    for bound in sorted(bounds, key=key, reverse=reverse):
        if all(bound[2] != k[2] for k in kept):
            kept.append(bound)
            if len(kept) == 2:
                break
    return kept


@dataclass(frozen=True)
class Verdict:
    """Whether a group's claims disagree, and whether they span several periods."""

    conflict: bool
    is_series: bool


def evaluate(statements: Iterable[Statement]) -> Verdict:
    """Judge a group: active claims of the same dimension and period must allow a common value."""
    by_dimension: dict[str, dict] = defaultdict(lambda: defaultdict(list))
    for s in statements:
        if s.active:
            by_dimension[s.key.dimension if s.key else ""][s.period].append(s)
    conflict = series = False
    for cells in by_dimension.values():
        extremes = {period: _Extremes.of(members) for period, members in cells.items()}
        periods = list(cells)
        stated = [p for p in periods if p is not None]
        series = series or any(not same_period(a, b) for a, b in combinations(stated, 2))
        if conflict:
            continue
        for i, a in enumerate(periods):
            if extremes[a].disagree():
                conflict = True
                break
            if any(same_period(a, b) and extremes[a].merged(extremes[b]).disagree() for b in periods[i + 1:]):
                conflict = True
                break
    return Verdict(conflict, series)


def next_status(current: str, conflict: bool, newcomer: bool) -> str:
    """A group's status after detection.

    A resolved group stays resolved while its remaining claims agree and re-opens when a
    claim disagrees; an unresolved one waits for an outside source and re-opens only when
    a new claim joins it.
    """
    if current == "resolved":
        return "open" if conflict else "resolved"
    if current == "unresolved" and conflict:
        return "open" if newcomer else "unresolved"
    return "open" if conflict else "consistent"


# The claim columns the detector reads.
_CLAIM_COLUMNS = (
    Claim.id, Claim.document_id, Claim.group_id, Claim.group_pinned, Claim.conflict_open,
    Claim.status, Claim.rank, Claim.subject, Claim.measure, Claim.unit, Claim.kind, Claim.change,
    Claim.value, Claim.value_max, Claim.extracted_value, Claim.extracted_value_max,
    Claim.qualifier, Claim.quote, Claim.period_start, Claim.period_end,
)


def statement(row) -> Statement:
    """A claim row (in `_CLAIM_COLUMNS` order) as the detector sees it."""
    (id_, document_id, group_id, pinned, conflict_open, status, rank, subject, measure, unit, kind,
     change, value, value_max, extracted_value, extracted_value_max, qualifier, quote,
     period_start, period_end) = row
    key = group_key(subject, measure, unit, kind, change)
    corrected = value != extracted_value or value_max != extracted_value_max
    step = 0.0 if corrected else stated_step(quote, value, unit in ("", "rank"))
    eligible = key is not None and status != "rejected"
    return Statement(
        id=id_, document_id=document_id, group_id=group_id, pinned=pinned,
        conflict_open=conflict_open, key=key, active=eligible and rank != "deprecated",
        eligible=eligible, period=_period(period_start, period_end),
        bounds=interval(value, value_max, qualifier, step, dimension_of(unit).factor),
        subject=subject, measure=measure,
    )


@dataclass
class _Group:
    """A conflict group as the detector tracks it during one run."""

    id: int | None
    key: str
    dimension: str
    subject: str
    measure: str
    status: str = "consistent"
    is_series: bool = False
    merged_into_id: int | None = None
    members: list[Statement] = field(default_factory=list)


@dataclass(frozen=True)
class DetectionReport:
    """What one detection run did."""

    claims: int
    groups: int
    created: int
    in_conflict: int
    reopened: int


class _Run:
    """One detection pass over a set of groups and every claim in or bound for them."""

    def __init__(self, session: so.Session):
        self.session = session
        self.groups: dict[int, _Group] = {}
        self.default_by_key: dict[str, int] = {}
        self.statements: dict[int, Statement] = {}

    def add_group_rows(self, rows) -> None:
        """Remember groups given as rows of `_GROUP_COLUMNS`."""
        for id_, key, dimension, subject, measure, status, is_series, merged_into_id in rows:
            self.groups[id_] = _Group(id_, key, dimension, subject, measure, status, is_series, merged_into_id)
            # A key's own group is its oldest: groups split off later hold pinned claims only.
            if key not in self.default_by_key or id_ < self.default_by_key[key]:
                self.default_by_key[key] = id_

    def home(self, s: Statement) -> int | str | None:
        """Where a claim belongs: its pinned group, its key's group (through merges), a new key, or none."""
        if s.pinned and s.group_id in self.groups:
            return self._follow(s.group_id)
        if not s.eligible:
            return None
        group_id = self.default_by_key.get(s.key.key)
        return s.key.key if group_id is None else self._follow(group_id)

    def _follow(self, group_id: int) -> int:
        seen = set()
        while (target := self.groups[group_id].merged_into_id) is not None and group_id not in seen:
            seen.add(group_id)
            group_id = target
        return group_id

    def apply(self) -> DetectionReport:
        """Place every claim, judge every group, and write what changed."""
        new_groups: dict[str, _Group] = {}
        left: set[int] = set()
        for s in self.statements.values():
            home = self.home(s)
            if home is None:
                group = None
            elif isinstance(home, str):
                group = new_groups.get(home)
                if group is None:
                    group = new_groups[home] = _Group(None, home, s.key.dimension, s.subject, s.measure)
            else:
                group = self.groups[home]
            if group is not None:
                group.members.append(s)
            if s.group_id is not None and (group is None or group.id != s.group_id):
                left.add(s.group_id)
        # New groups are judged before they are written, so they are inserted as they stand
        # (from scratch, that is every group: no second write of each).
        for group in new_groups.values():
            verdict = evaluate(group.members)
            group.status = next_status(group.status, verdict.conflict, any(s.active for s in group.members))
            group.is_series = verdict.is_series
        self._insert(new_groups.values())
        group_updates, claim_updates, reopened = [], [], []
        for group in self.groups.values():
            verdict = evaluate(group.members)
            joined = [s for s in group.members if s.group_id != group.id]
            status = next_status(group.status, verdict.conflict, any(s.active for s in joined))
            if status != group.status or verdict.is_series != group.is_series or joined or group.id in left:
                group_updates.append({"g_id": group.id, "g_status": status, "g_series": verdict.is_series})
            if status == "open" and group.status in ("resolved", "unresolved"):
                reopened.append((group.id, group.status))
            group.status, group.is_series = status, verdict.is_series
        for group in [*self.groups.values(), *new_groups.values()]:
            status = group.status
            for s in group.members:
                open_ = status == "open" and s.active
                if s.group_id != group.id or s.conflict_open != open_:
                    claim_updates.append({"c_id": s.id, "c_group": group.id, "c_open": open_})
        placed = {s.id for g in [*self.groups.values(), *new_groups.values()] for s in g.members}
        claim_updates += [
            {"c_id": s.id, "c_group": None, "c_open": False}
            for s in self.statements.values()
            if s.id not in placed and (s.group_id is not None or s.conflict_open)
        ]
        self._write(group_updates, claim_updates)
        for group_id, before in reopened:
            audit.record(self.session, None, "reopen", "conflict_group", group_id,
                         before={"status": before}, after={"status": "open"})
        groups = [*self.groups.values(), *new_groups.values()]
        return DetectionReport(
            claims=len(self.statements), groups=len(groups), created=len(new_groups),
            in_conflict=sum(g.status == "open" for g in groups), reopened=len(reopened),
        )

    def _write_through_temporary_table(self, claim_updates: list[dict]) -> None:
        """One UPDATE ... FROM a temporary table: several times faster than a row-by-row executemany."""
        claims, placement = Claim.__table__, _placement_table()
        connection = self.session.connection()
        placement.create(connection)
        try:
            _bulk_insert(connection, placement, claim_updates)
            self.session.execute(
                sa.update(claims)
                .values(group_id=placement.c.c_group, conflict_open=placement.c.c_open)
                .where(claims.c.id == placement.c.c_id)
            )
        finally:
            placement.drop(connection)

    def _insert(self, new_groups: Iterable[_Group]) -> None:
        new_groups = list(new_groups)
        if not new_groups:
            return
        table = ConflictGroup.__table__
        connection = self.session.connection()
        now = utcnow()
        ids = _reserve_ids(connection, table, len(new_groups))
        _bulk_insert(connection, table, [
            {"id": id_, "key": g.key, "subject": g.subject[:200], "measure": g.measure[:200],
             "dimension": g.dimension, "status": g.status, "is_series": g.is_series, "note": "", "version": 1,
             "created_at": now, "updated_at": now}
            for g, id_ in zip(new_groups, ids)
        ])
        for group, id_ in zip(new_groups, ids):
            group.id = id_

    def _write(self, group_updates: list[dict], claim_updates: list[dict]) -> None:
        groups, claims = ConflictGroup.__table__, Claim.__table__
        if group_updates:
            # Bumping the version makes a reviewer's open resolution form stale: the group changed.
            self.session.execute(
                sa.update(groups).where(groups.c.id == sa.bindparam("g_id")).values(
                    status=sa.bindparam("g_status"), is_series=sa.bindparam("g_series"),
                    version=groups.c.version + 1,
                ),
                group_updates,
            )
        # Group placement is the detector's bookkeeping, not a reviewer's edit: the claim's
        # version stays, so a reviewer's open form is not invalidated by an ingest.
        if len(claim_updates) > BULK_UPDATE_ROWS:
            self._write_through_temporary_table(claim_updates)
        elif claim_updates:
            self.session.execute(
                sa.update(claims).where(claims.c.id == sa.bindparam("c_id")).values(
                    group_id=sa.bindparam("c_group"), conflict_open=sa.bindparam("c_open"),
                ),
                claim_updates,
            )
        touched_groups = {u["g_id"] for u in group_updates}
        if len(touched_groups) + len(claim_updates) > BULK_UPDATE_ROWS:
            self.session.expire_all()
            return
        touched_claims = {u["c_id"] for u in claim_updates}
        for obj in list(self.session.identity_map.values()):
            if (isinstance(obj, ConflictGroup) and obj.id in touched_groups) or (
                isinstance(obj, Claim) and obj.id in touched_claims
            ):
                self.session.expire(obj)


_GROUP_COLUMNS = (
    ConflictGroup.id, ConflictGroup.key, ConflictGroup.dimension, ConflictGroup.subject,
    ConflictGroup.measure, ConflictGroup.status, ConflictGroup.is_series, ConflictGroup.merged_into_id,
)


def rebuild(session: so.Session) -> DetectionReport:
    """Detect conflicts over every claim (reviewers' merges and splits are kept); the caller commits."""
    session.flush()
    run = _Run(session)
    # Core rows through the session's connection: the ORM's per-row result handling cost as
    # much as building the statements.
    connection = session.connection()
    run.add_group_rows(connection.execute(sa.select(*_GROUP_COLUMNS)))
    rows = connection.execute(sa.select(*_CLAIM_COLUMNS), execution_options={"yield_per": 20_000})
    run.statements = {s.id: s for s in map(statement, rows)}
    return run.apply()


def detect_claims(session: so.Session, claim_ids: Iterable[int]) -> DetectionReport:
    """Detect conflicts in the groups these claims are in or belong in; the caller commits."""
    session.flush()
    run = _Run(session)
    keys: set[str] = set()
    group_ids: set[int] = set()
    ids = set(claim_ids)
    todo = _load_claims(session, Claim.id.in_(ids)) if ids else []
    # Close over keys and groups: a group's other claims may belong under other keys now
    # (a reviewer corrected their measure), and those keys' groups must be judged too.
    while todo:
        run.statements.update((s.id, s) for s in todo)
        new_keys = {s.key.key for s in todo if s.key} - keys
        wanted = {s.group_id for s in todo if s.group_id} - group_ids
        keys |= new_keys
        before = set(group_ids)
        rows = _group_rows(session, sa.or_(ConflictGroup.key.in_(new_keys), ConflictGroup.id.in_(wanted)))
        while rows:
            run.add_group_rows(rows)
            group_ids |= {row[0] for row in rows}
            targets = {row[7] for row in rows if row[7] is not None} - group_ids
            rows = _group_rows(session, ConflictGroup.id.in_(targets)) if targets else []
        fresh = group_ids - before
        todo = [
            s for s in _load_claims(session, Claim.group_id.in_(fresh)) if s.id not in run.statements
        ] if fresh else []
    return run.apply()


def _reserve_ids(connection: sa.Connection, table: sa.Table, count: int) -> list[int]:
    """`count` unused ids for new rows of `table`, so a bulk insert needs no RETURNING."""
    if connection.dialect.name == "postgresql":
        return list(connection.execute(
            sa.text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :count)"),
            {"table": table.name, "count": count},
        ).scalars())
    # SQLite transactions begin IMMEDIATE: this one holds the write lock, so no one else takes them.
    first = connection.scalar(sa.select(sa.func.coalesce(sa.func.max(table.c.id), 0))) + 1
    return list(range(first, first + count))


def _bulk_insert(connection: sa.Connection, table: sa.Table, rows: list[dict]) -> None:
    """Insert rows (dicts with the same keys): COPY on PostgreSQL, one executemany on SQLite."""
    if connection.dialect.name != "postgresql":
        connection.execute(sa.insert(table), rows)
        return
    # SQLAlchemy's multi-row INSERTs spend more time building and parsing SQL than PostgreSQL
    # spends storing the rows; COPY streams them, converted as the column types would bind them.
    names = list(rows[0])
    processors = [(name, table.c[name].type.bind_processor(connection.dialect)) for name in names]
    columns = ", ".join(connection.dialect.identifier_preparer.quote(name) for name in names)
    cursor = connection.connection.driver_connection.cursor()
    with cursor, cursor.copy(f"COPY {table.name} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([row[name] if process is None else process(row[name]) for name, process in processors])


def _placement_table() -> sa.Table:
    return sa.Table(
        "claim_placement", sa.MetaData(),
        sa.Column("c_id", sa.Integer, primary_key=True), sa.Column("c_group", sa.Integer),
        sa.Column("c_open", sa.Boolean), prefixes=["TEMPORARY"],
    )


def _group_rows(session: so.Session, where) -> list:
    return list(session.connection().execute(sa.select(*_GROUP_COLUMNS).where(where)))


def _load_claims(session: so.Session, where) -> list[Statement]:
    return [statement(row) for row in session.connection().execute(sa.select(*_CLAIM_COLUMNS).where(where))]


def detect_document(session: so.Session, document: Document) -> DetectionReport:
    """Detect conflicts in the groups a newly stored document touches (an `AFTER_STORE` hook)."""
    ids = session.scalars(sa.select(Claim.id).where(Claim.document_id == document.id)).all()
    return detect_claims(session, ids)


@dataclass(frozen=True)
class MemberView:
    """A claim of a group as the reconciliation pages and the command line show it."""

    id: int
    document_id: int
    doc: str
    title: str
    published: date | None
    start: int
    end: int
    quote: str
    value: float
    value_max: float | None
    unit: str
    qualifier: str
    period_start: date | None
    period_end: date | None
    subject: str
    measure: str
    status: str
    rank: str
    rank_reason: str
    pinned: bool
    conflict_open: bool
    version: int

    def to_json(self) -> dict:
        """The claim as the `claimtrack conflicts` contract prints it."""
        return {
            "doc": self.doc, "start": self.start, "end": self.end, "value": self.value,
            "unit": self.unit, "qualifier": self.qualifier,
            "period_start": self.period_start.isoformat() if self.period_start else None,
            "period_end": self.period_end.isoformat() if self.period_end else None,
        }


def members(session: so.Session, group_ids: Iterable[int]) -> dict[int, list[MemberView]]:
    """The claims of each group, by document date then position."""
    ids = list(group_ids)
    out: dict[int, list[MemberView]] = {group_id: [] for group_id in ids}
    if not ids:
        return out
    rows = session.execute(
        sa.select(
            Claim.group_id, Claim.id, Claim.document_id, Document.file_name, Document.title,
            Document.published, Claim.start, Claim.end, Claim.quote, Claim.value, Claim.value_max,
            Claim.unit, Claim.qualifier, Claim.period_start, Claim.period_end, Claim.subject,
            Claim.measure, Claim.status, Claim.rank, Claim.rank_reason, Claim.group_pinned,
            Claim.conflict_open, Claim.version,
        )
        .join(Document, Document.id == Claim.document_id)
        .where(Claim.group_id.in_(ids))
        .order_by(Claim.group_id, Document.published.nulls_first(), Document.id, Claim.start)
    )
    for group_id, *fields in rows:
        out[group_id].append(MemberView(*fields))
    return out


def _status_order():
    return sa.case({status: i for i, status in enumerate(CONFLICT_STATUSES)}, value=ConflictGroup.status, else_=9)


def conflict_page(
    session: so.Session, statuses: tuple[str, ...] = CONFLICT_STATUSES, limit: int = 50, offset: int = 0
) -> tuple[list[tuple[ConflictGroup, list[MemberView]]], bool]:
    """Groups with these statuses, open ones first, with their claims; and whether more follow."""
    groups = session.scalars(
        sa.select(ConflictGroup)
        .where(ConflictGroup.status.in_(statuses), ConflictGroup.merged_into_id.is_(None))
        .order_by(_status_order(), ConflictGroup.id)
        .limit(limit + 1)
        .offset(offset)
    ).all()
    page = groups[:limit]
    claims = members(session, [g.id for g in page])
    return [(g, claims[g.id]) for g in page], len(groups) > limit


def iter_conflicts(session: so.Session, batch: int = 500) -> Iterator[tuple[ConflictGroup, list[MemberView]]]:
    """Every group in conflict (open, unresolved, resolved: in that order) with its claims."""
    for status in CONFLICT_STATUSES:
        last = 0
        while True:
            groups = session.scalars(
                sa.select(ConflictGroup)
                .where(ConflictGroup.status == status, ConflictGroup.id > last)
                .order_by(ConflictGroup.id)
                .limit(batch)
            ).all()
            if not groups:
                break
            claims = members(session, [g.id for g in groups])
            for group in groups:
                yield group, claims[group.id]
            last = groups[-1].id


@dataclass(frozen=True)
class ConflictSummary:
    """How a claim stands in its group, for badges on the queue and the claim page."""

    group_id: int
    status: str
    is_series: bool
    others: tuple[MemberView, ...]


def conflict_summary(session: so.Session, claim: Claim) -> ConflictSummary | None:
    """The conflict a claim is part of (open, unresolved or resolved), or None."""
    if claim.group_id is None:
        return None
    group = session.get(ConflictGroup, claim.group_id)
    if group is None or group.status not in CONFLICT_STATUSES:
        return None
    others = tuple(m for m in members(session, [group.id])[group.id] if m.id != claim.id)
    return ConflictSummary(group.id, group.status, group.is_series, others)


# Why a value lost to the preferred one.
DEPRECATION_REASONS = {
    "superseded": "superseded by newer data",
    "wrong_in_source": "wrong in source",
    "extraction_error": "extraction error",
}
# The claim fields a resolution may change, and so the ones its undo restores.
RESOLVED_FIELDS = ("rank", "rank_reason", "period_start", "period_end", "subject", "measure")


@dataclass(frozen=True)
class Rescope:
    """A reviewer's period or scope for one claim, separating values that are all right."""

    claim_id: int
    period_start: date | None
    period_end: date | None
    subject: str
    measure: str


def _snapshot(claim: Claim) -> dict:
    return {
        f: (v.isoformat() if isinstance(v, date) else v)
        for f in RESOLVED_FIELDS
        for v in [getattr(claim, f)]
    }


def _restore(claim: Claim, values: dict) -> None:
    for f in RESOLVED_FIELDS:
        value = values[f]
        setattr(claim, f, date.fromisoformat(value) if f.startswith("period_") and value else value)


def _locked_group(session: so.Session, group_id: int) -> ConflictGroup:
    group = session.get(ConflictGroup, group_id, with_for_update=True, populate_existing=True)
    if group is None:
        raise ConflictError("No such conflict.")
    return group


def _group_claims(session: so.Session, group: ConflictGroup) -> list[Claim]:
    return list(session.scalars(sa.select(Claim).where(Claim.group_id == group.id).order_by(Claim.id)))


def resolve(
    session: so.Session,
    user,
    group_id: int,
    version: int,
    decision: str,
    note: str,
    preferred_claim_id: int | None = None,
    reason: str = "",
    rescopes: Iterable[Rescope] = (),
) -> Resolution:
    """Record a reviewer's resolution of a conflict; on ConflictError the caller rolls back."""
    group = _locked_group(session, group_id)
    if group.version != version:
        raise StaleGroupError(
            "This conflict changed since you opened it (another reviewer or a new document): "
            "nothing was saved. Reload the page to see it as it is now."
        )
    if group.status not in ("open", "unresolved"):
        raise ConflictError(f"This group is {group.status}: there is nothing to resolve.")
    note = note.strip()
    if not note:
        raise ConflictError("A resolution needs a note saying why.")
    claims = _group_claims(session, group)
    before = {c.id: _snapshot(c) for c in claims}
    group_before = {"status": group.status, "is_series": group.is_series, "note": group.note}
    active = [c for c in claims if c.status != "rejected" and c.rank != "deprecated"]
    if decision == "prefer":
        preferred = next((c for c in active if c.id == preferred_claim_id), None)
        if preferred is None:
            raise ConflictError("Choose which of the group's values is right.")
        if reason not in DEPRECATION_REASONS:
            raise ConflictError("Say why the other values are wrong.")
        for claim in active:
            if claim is preferred:
                claim.rank, claim.rank_reason = "preferred", ""
            else:
                claim.rank, claim.rank_reason = "deprecated", DEPRECATION_REASONS[reason]
        group.status = "resolved"
    elif decision == "all_right":
        by_id = {c.id: c for c in claims}
        for rescope in rescopes:
            claim = by_id.get(rescope.claim_id)
            if claim is None:
                raise ConflictError(f"Claim {rescope.claim_id} is not in this group.")
            if rescope.period_start and rescope.period_end and rescope.period_end < rescope.period_start:
                raise ConflictError(f"Claim {claim.id}: the period ends before it starts.")
            if not rescope.subject.strip() or not rescope.measure.strip():
                raise ConflictError(f"Claim {claim.id}: subject and measure cannot be empty.")
            claim.period_start, claim.period_end = rescope.period_start, rescope.period_end
            claim.subject, claim.measure = rescope.subject.strip()[:200], rescope.measure.strip()[:200]
        group.status = "resolved"
    elif decision == "unresolved":
        group.status = "unresolved"
        group.note = note
    else:
        raise ConflictError(f"Unknown decision {decision!r}.")
    group.updated_at = utcnow()
    session.flush()
    detect_claims(session, [c.id for c in claims])
    if decision == "all_right" and group.status == "open":
        raise ConflictError(
            "These values still disagree for the same period and scope: set the periods (or the "
            "subject or measure) that tell them apart, or choose the right value instead."
        )
    batch_id = str(uuid.uuid4())
    changed = {c.id: (before[c.id], _snapshot(c)) for c in claims}
    resolution = Resolution(
        group_id=group.id, user_id=user.id, decision=decision,
        preferred_claim_id=preferred_claim_id if decision == "prefer" else None, note=note,
        details={
            "batch_id": batch_id,
            "group": {"before": group_before, "after": {"status": group.status, "is_series": group.is_series, "note": group.note}},
            "claims": {str(i): {"before": b, "after": a} for i, (b, a) in changed.items()},
        },
    )
    session.add(resolution)
    for claim in claims:
        b, a = changed[claim.id]
        session.add(Review(
            claim_id=claim.id, user_id=user.id, decision="resolve", note=note, batch_id=batch_id,
            changes={f: [b[f], a[f]] for f in RESOLVED_FIELDS if b[f] != a[f]},
            status_before=claim.status, status_after=claim.status,
        ))
    session.flush()
    audit.record(session, user, "resolve", "conflict_group", group.id,
                 before=group_before, after={"decision": decision, "resolution_id": resolution.id,
                                             "status": group.status}, batch_id=batch_id)
    return resolution


def undo_resolution(session: so.Session, user, resolution_id: int) -> Resolution:
    """Undo a group's latest resolution, restoring its claims and status; nothing is deleted."""
    resolution = session.get(Resolution, resolution_id)
    if resolution is None:
        raise ConflictError("No such resolution.")
    if resolution.undone_at is not None:
        raise ConflictError("This resolution was already undone.")
    group = _locked_group(session, resolution.group_id)
    latest = session.scalar(
        sa.select(sa.func.max(Resolution.id)).where(Resolution.group_id == group.id, Resolution.undone_at.is_(None))
    )
    if latest != resolution.id:
        raise ConflictError("A later resolution of this group stands: undo that one first.")
    details = resolution.details
    claims = {c.id: c for c in session.scalars(sa.select(Claim).where(Claim.id.in_([int(i) for i in details["claims"]])))}
    for claim_id, states in details["claims"].items():
        if _snapshot(claims[int(claim_id)]) != states["after"]:
            raise ConflictError(
                f"Claim {claim_id} was changed after this resolution: undoing it would lose that change."
            )
    batch_id = str(uuid.uuid4())
    resolve_reviews = {
        r.claim_id: r.id
        for r in session.scalars(sa.select(Review).where(Review.batch_id == details["batch_id"]))
    }
    for claim_id, states in details["claims"].items():
        claim = claims[int(claim_id)]
        _restore(claim, states["before"])
        session.add(Review(
            claim_id=claim.id, user_id=user.id, decision="undo", batch_id=batch_id,
            note=f"undo of resolution {resolution.id}", undoes_id=resolve_reviews.get(claim.id),
            changes={f: [states["after"][f], states["before"][f]] for f in RESOLVED_FIELDS
                     if states["after"][f] != states["before"][f]},
            status_before=claim.status, status_after=claim.status,
        ))
    group_before = details["group"]["before"]
    group.status, group.note = group_before["status"], group_before["note"]
    group.updated_at = utcnow()
    resolution.undone_at, resolution.undone_by_id = utcnow(), user.id
    session.flush()
    detect_claims(session, list(claims))
    audit.record(session, user, "undo_resolution", "conflict_group", group.id,
                 before={"resolution_id": resolution.id, "status": details["group"]["after"]["status"]},
                 after={"status": group.status}, batch_id=batch_id)
    return resolution


def merge_groups(session: so.Session, user, group_id: int, other_id: int, note: str = "") -> ConflictGroup:
    """Merge another group into this one for good: its claims and future claims of its key join."""
    if group_id == other_id:
        raise ConflictError("A group cannot be merged with itself.")
    group, other = _locked_group(session, group_id), _locked_group(session, other_id)
    if group.merged_into_id is not None or other.merged_into_id is not None:
        raise ConflictError("That group was already merged into another one.")
    moved = _group_claims(session, other)
    for claim in [*_group_claims(session, group), *moved]:
        claim.group_id, claim.group_pinned = group.id, True
    other.merged_into_id = group.id
    other.status = "consistent"
    group.updated_at = other.updated_at = utcnow()
    session.flush()
    detect_claims(session, [c.id for c in _group_claims(session, group)])
    audit.record(session, user, "merge", "conflict_group", group.id,
                 before={"merged": other.id, "claims": [c.id for c in moved]},
                 after={"status": group.status, "note": note})
    return group


def split_claim(session: so.Session, user, claim_id: int, note: str = "") -> ConflictGroup:
    """Take a claim out of the group it was wrongly put in, into a group of its own that stays apart."""
    claim = session.get(Claim, claim_id)
    if claim is None or claim.group_id is None:
        raise ConflictError("That claim is in no group.")
    old = _locked_group(session, claim.group_id)
    others = [c.id for c in _group_claims(session, old) if c.id != claim.id]
    if not others:
        raise ConflictError("That claim is alone in its group already.")
    key = group_key(claim.subject, claim.measure, claim.unit, claim.kind, claim.change)
    new = ConflictGroup(
        key=key.key if key else old.key, subject=claim.subject, measure=claim.measure,
        dimension=key.dimension if key else old.dimension, status="consistent",
    )
    session.add(new)
    session.flush()
    claim.group_id, claim.group_pinned = new.id, True
    old.updated_at = utcnow()
    session.flush()
    detect_claims(session, [claim.id, *others])
    audit.record(session, user, "split", "conflict_group", old.id,
                 before={"claim_id": claim.id}, after={"group_id": new.id, "note": note})
    return new


# Context shown around a claim's span on the reconciliation page, each side at most.
CONTEXT_CHARS = 400


@dataclass(frozen=True)
class GroupDetail:
    """Everything the reconciliation page shows about one group."""

    group: ConflictGroup
    members: list[MemberView]
    contexts: dict[int, SpanInContext]
    resolutions: list[Resolution]


def group_detail(session: so.Session, group_id: int) -> GroupDetail | None:
    """A group with its claims side by side, each span in its paragraph, and its resolutions."""
    group = session.get(ConflictGroup, group_id)
    if group is None:
        return None
    claims = members(session, [group.id])[group.id]
    texts = dict(session.execute(
        sa.select(Document.id, Document.text).where(Document.id.in_({m.document_id for m in claims}))
    ).all()) if claims else {}
    contexts = {}
    for m in claims:
        contexts[m.id] = span_in_paragraph(texts[m.document_id], m.start, m.end, CONTEXT_CHARS)
    return GroupDetail(group, claims, contexts, list(group.resolutions))
