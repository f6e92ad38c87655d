"""Which claims a page covers: one filter, one parser and one set of rules for every query string.

The claims list, the moderation queue, the CSV export (web and `claimtrack export`) and the
documents list all read their ids, dates and choices here; a value that cannot name anything is
a `FilterError` (the web answers 400 with its message), never a database error. Every page reads
the same `ClaimFilter`; a page only chooses its defaults. `q` is full-text search (search.py);
subject and measure match any case and a prefix.

The claims list pages by keyset (`?after=<id>` / `?before=<id>` in the order of `?sort=`): the
anchor claim's sort values are looked up by id, so page 10,000 costs what page 1 costs.
"""
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta, timezone
from typing import ClassVar
from urllib.parse import parse_qsl

import sqlalchemy as sa
import sqlalchemy.orm as so

from sqlalchemy.ext.compiler import compiles

from models import KINDS, MAX_ROW_ID, STATUSES, Claim, ConflictGroup, Document, SecondReview, User, blind_claim_ids, blind_to, row_id

from . import search

PAGE_SIZE = 50
# conflicts=settled leaves out deprecated values and claims whose group is still disputed;
# all keeps everything; preferred keeps only the values a resolution preferred.
CONFLICT_CHOICES = ("settled", "all", "preferred")
DISPUTED_GROUP_STATUSES = ("open", "unresolved")
# Dates a filter may name: wide enough for any claim's period, narrow enough that a day more
# or less never leaves what Python and both databases hold.
FIRST_DATE, LAST_DATE = date(1000, 1, 1), date(2999, 12, 31)
TEXT_LIMITS = {"subject": 200, "measure": 200, "reviewer": 64}
# Parameters that are yes/no switches, and the words they take.
FLAGS = ("settled_only",)
FLAG_WORDS = {"1": True, "true": True, "yes": True, "on": True, "0": False, "false": False, "no": False, "off": False}
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# Above every character a text can hold: `p <= x < p + LAST_CHARACTER` is "x starts with p".
LAST_CHARACTER = "\U0010ffff"


class FilterError(ValueError):
    """Query parameters that cannot be used; `problems` maps each parameter to why."""

    def __init__(self, problems: dict[str, str]):
        super().__init__("; ".join(problems.values()))
        self.problems = problems


def parse_id(name: str, text: str, minimum: int = 1) -> int:
    """A row id written in plain ASCII digits, from `minimum` to the largest id a table holds."""
    value = row_id(text.strip())
    if value is None or value < minimum:
        raise FilterError({name: f"{name} must be a whole number from {minimum} to {MAX_ROW_ID}"})
    return value


def parse_ids(name: str, texts: Sequence[str]) -> list[int]:
    """Every id in `texts` (a repeated form field), or a FilterError naming the first bad one."""
    return [parse_id(name, text) for text in texts]


def _date(name: str, text: str) -> date:
    """A date written YYYY-MM-DD in ASCII digits (fromisoformat alone also takes 20240102 and week dates)."""
    try:
        if not _ISO_DATE.fullmatch(text):
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise FilterError({name: f"{name}: use YYYY-MM-DD (a date from {FIRST_DATE} to {LAST_DATE})"}) from None


@dataclass(frozen=True)
class ClaimFilter:
    """Which claims a page covers; empty fields mean "any".

    Every page (claims list, queue, export on the web and `claimtrack export`) reads the same
    parameters; a page only chooses its defaults (the export's are verified, settled claims).
    """

    # The query parameters of a filter, in the order pages show them.
    PARAMETERS: ClassVar[tuple[str, ...]] = (
        "q", "status", "document", "subject", "measure", "kind", "reviewer", "period_from", "period_to",
        "reviewed_from", "reviewed_to", "conflicts", "settled_only")

    q: str = ""
    status: tuple[str, ...] = ()
    document: int | None = None
    subject: str = ""
    measure: str = ""
    kind: str = ""
    reviewer: str = ""
    period_from: date | None = None
    period_to: date | None = None
    reviewed_from: date | None = None
    reviewed_to: date | None = None
    conflicts: str = "all"
    # Leave out claims whose second review or adjudication, required by the policy, is still to do.
    settled_only: bool = False
    # The id of the user the page is for: a filter on review status, reviewer or review date then
    # leaves out the claims they must second-review blind, whose first review would show through it.
    # Not a query parameter: the page sets it from who is logged in. With `viewer_sees_no_blind`
    # (a page that shows every claim's review state, such as the export) those claims are left out
    # whatever the filter.
    viewer: int | None = None
    viewer_sees_no_blind: bool = False

    def __post_init__(self):
        problems = {}
        if self.q:
            try:
                search.parse_query(self.q)
            except search.SearchError as exc:
                problems["q"] = str(exc)
        if any(status not in STATUSES for status in self.status):
            problems["status"] = f"status must be one of {', '.join(STATUSES)}"
        if self.kind and self.kind not in KINDS:
            problems["kind"] = f"kind must be one of {', '.join(KINDS)}"
        if self.conflicts not in CONFLICT_CHOICES:
            problems["conflicts"] = f"conflicts must be one of {', '.join(CONFLICT_CHOICES)}"
        if self.document is not None and not 1 <= self.document <= MAX_ROW_ID:
            problems["document"] = f"document must be a whole number from 1 to {MAX_ROW_ID}"
        for name, limit in TEXT_LIMITS.items():
            if len(getattr(self, name)) > limit:
                problems[name] = f"{name} must be at most {limit} characters"
        for name in ("period_from", "period_to", "reviewed_from", "reviewed_to"):
            value = getattr(self, name)
            if value is not None and not FIRST_DATE <= value <= LAST_DATE:
                problems[name] = f"{name}: use YYYY-MM-DD (a date from {FIRST_DATE} to {LAST_DATE})"
        for name in ("period", "reviewed"):
            low, high = getattr(self, f"{name}_from"), getattr(self, f"{name}_to")
            if low and high and high < low and f"{name}_to" not in problems:
                problems[f"{name}_to"] = f"{name}_to ({high}) is before {name}_from ({low})"
        if problems:
            raise FilterError(problems)

    @classmethod
    def from_args(cls, args: Mapping[str, str], defaults: Mapping[str, object] | None = None) -> "ClaimFilter":
        """Parse the filter from a query string; a FilterError lists every unusable value.

        A parameter left out or given empty takes the page's `defaults` (else the field's), except
        that `status=` given empty means every status.
        """
        values, problems = dict(defaults or {}), {}
        for name in cls.PARAMETERS:
            texts = _texts(args, name)
            if name == "status" and texts:
                values[name] = tuple(text for text in texts if text)
                continue
            if not texts or not texts[-1]:
                continue
            try:
                values[name] = _parse(name, texts[-1])
            except FilterError as exc:
                problems.update(exc.problems)
        try:
            parsed = cls(**values)
        except FilterError as exc:
            problems = {**exc.problems, **problems}
        if problems:
            raise FilterError(problems)
        return parsed

    @classmethod
    def from_query(cls, query: str, defaults: Mapping[str, object] | None = None) -> "ClaimFilter":
        """Parse the filter from a raw query string ("status=verified&status=pending"), as `from_args` does."""
        return cls.from_args(_QueryPairs(parse_qsl(query, keep_blank_values=True)), defaults)

    def as_args(self, defaults: Mapping[str, object] | None = None) -> dict[str, str | list[str]]:
        """The filter as query-string arguments for a page with these `defaults`: only what differs from them."""
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            default = (defaults or {}).get(f.name, f.default)
            if value == default:
                continue
            if isinstance(value, tuple):
                # An empty status list where the page's default is not empty: every status.
                out[f.name] = list(value) if len(value) > 1 else (value[0] if value else "")
            elif value is None:
                continue
            else:
                out[f.name] = value.isoformat() if isinstance(value, date) else str(value)
        return out

    def _fields_filtered_as_corrected(self) -> tuple[str, ...]:
        """The reviewable fields this filter matches on their current (possibly corrected) values."""
        names = []
        if self.q or self.subject:
            names.append("subject")
        if self.q or self.measure:
            names.append("measure")
        if self.kind:
            names.append("kind")
        if self.period_from is not None or self.period_to is not None:
            names += ["period_start", "period_end"]
        return tuple(names)

    def conditions(self, *, scan_by_id: bool = False, session: so.Session | None = None,
                   with_search: bool = True) -> list[sa.ColumnElement[bool]]:
        """SQL conditions on Claim for this filter.

        `scan_by_id` is for reading every match in id order (the export): `status || ''` keeps
        SQLite's planner off the status index, through which it reads and sorts every matching
        claim for each keyset page; walking the primary key makes the whole export one pass.
        Given the `session`, the search takes the plan that suits how common it is (search.matches);
        `with_search=False` leaves the search out.
        """
        out = []
        if self.q and with_search:
            out.append(search.matches(search.parse_query(self.q), session))
        if self.status:
            status = Claim.status + "" if scan_by_id else Claim.status
            out.append(status == self.status[0] if len(self.status) == 1 else status.in_(self.status))
        if self.document is not None:
            out.append(Claim.document_id == self.document)
        for name in ("subject", "measure"):
            if value := getattr(self, name):
                out.append(_StartsWithAnyCase(getattr(Claim, name), value))
        if self.kind:
            out.append(Claim.kind == self.kind)
        if self.reviewer:
            reviewer_id = sa.select(User.id).where(sa.func.lower(User.username) == self.reviewer.lower())
            out.append(Claim.reviewed_by_id == reviewer_id.scalar_subquery())
        # A claim is in a period range when its whole period lies inside it.
        if self.period_from is not None:
            out.append(Claim.period_start >= self.period_from)
        if self.period_to is not None:
            out.append(Claim.period_end <= self.period_to)
        # Review dates are whole UTC days, both ends included.
        if self.reviewed_from is not None:
            out.append(Claim.reviewed_at >= _day_start(self.reviewed_from))
        if self.reviewed_to is not None:
            out.append(Claim.reviewed_at < _day_start(self.reviewed_to + timedelta(days=1)))
        if self.conflicts == "settled":
            disputed = sa.select(ConflictGroup.id).where(ConflictGroup.status.in_(DISPUTED_GROUP_STATUSES))
            out += [Claim.rank != "deprecated", sa.or_(Claim.group_id.is_(None), Claim.group_id.not_in(disputed))]
        elif self.conflicts == "preferred":
            out.append(Claim.rank == "preferred")
        reveals = self.status or self.reviewer or self.reviewed_from or self.reviewed_to or self.viewer_sees_no_blind
        if self.viewer is not None and reveals:
            blind = so.aliased(SecondReview)
            out.append(~blind_to(Claim.id, self.viewer, blind))
        elif self.viewer is not None and (filtered := self._fields_filtered_as_corrected()):
            # These filters (and the search index) read the current values: a claim found, or
            # missed, only through a correction would tell the blind second reviewer that, and how,
            # the claim was corrected. Such claims are left out of these lists for them.
            blind = so.aliased(SecondReview)
            corrected = sa.or_(*(getattr(Claim, name).is_distinct_from(getattr(Claim, f"extracted_{name}"))
                                 for name in filtered))
            out.append(~sa.and_(corrected, blind_to(Claim.id, self.viewer, blind)))
        if self.settled_only:
            # An alias: the export query joins second_reviews itself, which would swallow the subquery.
            unsettled = so.aliased(SecondReview)
            out.append(~sa.exists().where(unsettled.claim_id == Claim.id,
                                          unsettled.state.in_(("awaiting", "adjudication"))))
        return out


class _StartsWithAnyCase(sa.sql.expression.ColumnElement):
    """`column` starts with `text`, regardless of case, through the index on lower(column)."""

    type = sa.types.NullType()
    inherit_cache = False

    def __init__(self, column, text: str):
        self.column = column
        self.text = text

    @property
    def _from_objects(self):
        return self.column._from_objects


@compiles(_StartsWithAnyCase, "postgresql")
def _starts_with_postgresql(element: _StartsWithAnyCase, compiler, **kw) -> str:
    # LIKE with a constant prefix is a range scan of the text_pattern_ops index.
    pattern = re.sub(r"([\\%_])", r"\\\1", element.text) + "%"
    condition = sa.func.lower(element.column).like(
        sa.func.lower(sa.bindparam("prefix", pattern, unique=True)), escape="\\")
    return compiler.process(condition, **kw)


@compiles(_StartsWithAnyCase, "sqlite")
def _starts_with_sqlite(element: _StartsWithAnyCase, compiler, **kw) -> str:
    # SQLite's LIKE cannot use an index on an expression, a range can; its lower() folds ASCII
    # only, so the text is folded by the same function as the column.
    lowered = sa.func.lower(element.column)
    prefix = sa.func.lower(sa.bindparam("prefix", element.text, unique=True))
    condition = sa.and_(lowered >= prefix, lowered < prefix.concat(LAST_CHARACTER))
    return compiler.process(condition, **kw)


class _QueryPairs:
    """A parsed query string as `_texts` reads one: a repeated name gives several values."""

    def __init__(self, pairs: list[tuple[str, str]]):
        self.pairs = pairs

    def getlist(self, name: str) -> list[str]:
        """Every value given for `name`, in order."""
        return [value for key, value in self.pairs if key == name]


def _texts(args: Mapping[str, str], name: str) -> list[str]:
    """Every value given for `name`, stripped (a repeated parameter gives several)."""
    if hasattr(args, "getlist"):
        return [text.strip() for text in args.getlist(name)]
    return [args[name].strip()] if name in args else []


def _parse(name: str, text: str):
    """One parameter's value from its text, typed as its field."""
    if name == "document":
        return parse_id(name, text)
    if name.endswith(("_from", "_to")):
        return _date(name, text)
    if name in FLAGS:
        return _flag(name, text)
    return text


def _flag(name: str, text: str) -> bool:
    """A yes/no parameter: 1, true, yes, on or 0, false, no, off (any case)."""
    word = text.lower()
    if word not in FLAG_WORDS:
        raise FilterError({name: f"{name} must be 1 or 0 (true or false)"})
    return FLAG_WORDS[word]


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.utc)


def claims_select(claim_filter: ClaimFilter) -> sa.Select:
    """SELECT of the matching claims in id order (no LIMIT: callers page or stream)."""
    return sa.select(Claim).where(*claim_filter.conditions()).order_by(Claim.id)


# The claims list's orders: the columns compared, in order; the id makes each row's place unique.
SORTS = {
    "id": (Claim.id,),
    "confidence": (Claim.confidence, Claim.id),
    "value": (Claim.value, Claim.id),
    "document": (Claim.document_id, Claim.start, Claim.id),
}
SORT_CHOICES = ("id", "-id", "confidence", "-confidence", "value", "-value", "document")
# Counting stops here: past it the list says "more than", and a count never reads a million rows.
COUNT_LIMIT = 10_000
# A search's count stops sooner. PostgreSQL's GIN index answers only with a bitmap of matches,
# and counting them reads each match's row of claims_fts (a scattered page apiece; the index
# cannot count alone): at a million claims, 10,000 matches of two common words took 25 ms to
# read on an idle machine, 1,000 took 3 ms, beside 20 ms for the bitmap itself.
SEARCH_COUNT_LIMIT = 1_000


@dataclass(frozen=True)
class Paging:
    """Where a page of the claims list starts: its order and the claim after (or before) which it lies."""

    PARAMETERS: ClassVar[tuple[str, ...]] = ("sort", "after", "before")

    sort: str = "id"
    after: int | None = None
    before: int | None = None

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> "Paging":
        """The paging parameters of a query string; a FilterError names a bad one."""
        values, problems = {}, {}
        sort = (_texts(args, "sort") or [""])[-1]
        if sort and sort not in SORT_CHOICES:
            problems["sort"] = f"sort must be one of {', '.join(SORT_CHOICES)}"
        elif sort:
            values["sort"] = sort
        for name in ("after", "before"):
            text = (_texts(args, name) or [""])[-1]
            if text:
                try:
                    # 0 is before every claim: the first page.
                    values[name] = parse_id(name, text, minimum=0) or None
                except FilterError as exc:
                    problems.update(exc.problems)
        if "after" in values and "before" in values:
            problems["before"] = "give after or before, not both"
        if problems:
            raise FilterError(problems)
        return cls(**values)

    def as_args(self, **override) -> dict[str, str]:
        """The paging as query-string arguments (only those not at their default), with `override` applied."""
        values = {"sort": self.sort, "after": self.after, "before": self.before, **override}
        return {name: str(value) for name, value in values.items()
                if value is not None and value != getattr(Paging, name, None)}


@dataclass
class ClaimPage:
    """One page of the claims list, the claims that bound it for the links to its neighbours, and the total."""

    claims: list[Claim]
    next_after: int | None
    previous_before: int | None
    total: int
    # True when there are more than `total` (the count's limit) matches.
    more_than_total: bool


def _ordered(paging: Paging, backwards: bool,
             seen_value: Callable[[type[Claim] | so.util.AliasedClass], sa.ColumnElement] | None = None,
             ) -> tuple[list, sa.ColumnElement[bool] | None]:
    """ORDER BY terms for the page and the keyset condition that places it after (or before) its anchor.

    `seen_value(row)` is the value the viewer sees of a claim row, where it may differ from `value`."""
    by_seen_value = seen_value is not None and paging.sort.lstrip("-") == "value"
    columns = (seen_value(Claim), Claim.id) if by_seen_value else SORTS[paging.sort.lstrip("-")]
    descending = paging.sort.startswith("-") != backwards
    order = [column.desc() if descending else column for column in columns]
    anchor_id = paging.before if backwards else paging.after
    if anchor_id is None:
        return order, None
    anchor = so.aliased(Claim)
    anchor_columns = (seen_value(anchor), anchor.id) if by_seen_value else [
        getattr(anchor, column.key) for column in columns]
    anchor_values = [sa.select(column).where(anchor.id == anchor_id).scalar_subquery() for column in anchor_columns]
    row, at = sa.tuple_(*columns), sa.tuple_(*anchor_values)
    return order, (row < at if descending else row > at)


def _viewer_values(session: so.Session, viewer: int | None):
    """`seen_value` for `_ordered`: a claim whose value was corrected and which `viewer` must second-review
    blind is placed by its value as extracted, the one they see; None when the viewer has no such claim."""
    if viewer is None:
        return None
    hidden = list(session.scalars(
        sa.select(Claim.id).where(Claim.id.in_(blind_claim_ids(viewer)),
                                  Claim.value.is_distinct_from(Claim.extracted_value))))
    if not hidden:
        return None
    return lambda row: sa.case((row.id.in_(hidden), row.extracted_value), else_=row.value)


def count_matching(session: so.Session, claim_filter: ClaimFilter, limit: int | None = None) -> tuple[int, bool]:
    """How many claims match, counting up to `limit`; and whether there are more than that.

    The limit is COUNT_LIMIT, or SEARCH_COUNT_LIMIT when the filter searches.
    """
    limit = limit or (SEARCH_COUNT_LIMIT if claim_filter.q else COUNT_LIMIT)
    counting = sa.select(Claim.id).where(*claim_filter.conditions(session=session))
    if claim_filter.q:
        query = search.counted(session, search.parse_query(claim_filter.q))
        others = claim_filter.conditions(with_search=False)
        # The search alone: every index entry is a claim, so the index counts without the table.
        if not others:
            if query.seen is not None and (not query.common or query.seen > limit):
                return min(query.seen, limit), query.seen > limit
            found = search.count_alone(session, query, limit + 1)
            return min(found, limit), found > limit
        if query.common:
            # SQLite: read the index in rowid order and look each match up, until `limit` pass the filter.
            counting = (sa.select(Claim.id).select_from(search.fts_table())
                        .join(Claim, Claim.id == search.fts_table().c.rowid)
                        .where(search.fts_match(query), *others))
    found = session.scalar(sa.select(sa.func.count()).select_from(counting.limit(limit + 1).subquery()))
    return min(found, limit), found > limit


def claim_page(session: so.Session, claim_filter: ClaimFilter, paging: Paging = Paging(),
               size: int | None = None) -> ClaimPage:
    """The page of matching claims (PAGE_SIZE) in the paging's order, after `paging.after` or before `paging.before`."""
    size = size or PAGE_SIZE
    backwards = paging.before is not None
    order, place = _ordered(paging, backwards, _viewer_values(session, claim_filter.viewer)
                            if paging.sort.lstrip("-") == "value" else None)
    stmt = (
        sa.select(Claim)
        .options(so.joinedload(Claim.document).load_only(Document.id, Document.title),
                 so.joinedload(Claim.reviewed_by))
        .where(*([place] if place is not None else []))
        .limit(size + 1)
    )
    if claim_filter.q and paging.sort in ("id", "-id") and session.get_bind().dialect.name == "sqlite":
        # In id order SQLite reads the search index itself in rowid order and looks each match
        # up, stopping when the page is full: as cheap for a word in every claim as for a rare one.
        fts = search.fts_table()
        query = search.parse_query(claim_filter.q)
        descending = order[0] is not Claim.id
        anchor = paging.before if backwards else paging.after
        stmt = (stmt.select_from(fts).join(Claim, Claim.id == fts.c.rowid)
                .where(search.fts_match(query), *claim_filter.conditions(with_search=False))
                .order_by(fts.c.rowid.desc() if descending else fts.c.rowid))
        if anchor is not None:
            stmt = stmt.where(fts.c.rowid < anchor if descending else fts.c.rowid > anchor)
    else:
        stmt = stmt.where(*claim_filter.conditions(session=session)).order_by(*order)
    rows = session.scalars(stmt).all()
    more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()
        next_after = rows[-1].id if rows else None
        previous_before = rows[0].id if more else None
    else:
        next_after = rows[-1].id if more else None
        previous_before = rows[0].id if paging.after is not None and rows else None
    total, more_than = count_matching(session, claim_filter)
    return ClaimPage(rows, next_after, previous_before, total, more_than)
