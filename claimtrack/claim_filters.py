"""Which claims a page covers: one filter, one parser and one set of rules for every query string.

The claims list, the moderation queue, the CSV export (web and `claimtrack export`) and the
documents list all read their ids, dates and choices here; a value that cannot name anything is
a `FilterError` (the web answers 400 with its message), never a database error. Each page takes
its own subset of the parameters (`PARAMETERS`) with its own defaults.

Paging is keyset on id (`?after=<id>`, `ORDER BY id LIMIT n`), so page 10,000 costs what page 1
costs; every filter is on an indexed column.
"""
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta, timezone
from typing import ClassVar

import sqlalchemy as sa
import sqlalchemy.orm as so

from models import KINDS, MAX_ROW_ID, STATUSES, Claim, ConflictGroup, Document, User, row_id

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
    """Which claims to show (the claims list's filters); empty fields mean "any"."""

    # The query parameters this kind of filter reads; the others are left to the page.
    PARAMETERS: ClassVar[tuple[str, ...]] = (
        "status", "document", "subject", "measure", "reviewer", "reviewed_from", "reviewed_to", "after")

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
    after: int | None = None

    def __post_init__(self):
        problems = {}
        if any(status not in STATUSES for status in self.status):
            problems["status"] = f"status must be one of {', '.join(STATUSES)}"
        if self.kind and self.kind not in KINDS:
            problems["kind"] = f"kind must be one of {', '.join(KINDS)}"
        if self.conflicts not in CONFLICT_CHOICES:
            problems["conflicts"] = f"conflicts must be one of {', '.join(CONFLICT_CHOICES)}"
        for name, minimum in (("document", 1), ("after", 0)):
            value = getattr(self, name)
            if value is not None and not minimum <= value <= MAX_ROW_ID:
                problems[name] = f"{name} must be a whole number from {minimum} to {MAX_ROW_ID}"
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
    def from_args(cls, args: Mapping[str, str]):
        """Parse this filter's PARAMETERS from a query string; a FilterError lists every unusable value.

        A parameter left out or given empty takes the field's default, except that `status=`
        (the claims list's "any") means every status.
        """
        values, problems = {}, {}
        for name in cls.PARAMETERS:
            texts = [text.strip() for text in args.getlist(name)] if hasattr(args, "getlist") else (
                [args[name].strip()] if name in args else [])
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

    def as_args(self, **override) -> dict[str, str | list[str]]:
        """The filter as query-string arguments (only those not at their default), with `override` applied."""
        out = {}
        for f in fields(self):
            value = override[f.name] if f.name in override else getattr(self, f.name)
            if value is None or value == f.default:
                continue
            if isinstance(value, tuple):
                out[f.name] = list(value) if len(value) > 1 else value[0]
            else:
                out[f.name] = value.isoformat() if isinstance(value, date) else str(value)
        return out

    def conditions(self, *, scan_by_id: bool = False) -> list[sa.ColumnElement[bool]]:
        """SQL conditions on Claim for this filter.

        `scan_by_id` is for reading every match in id order (the export): `status || ''` keeps
        SQLite's planner off the status index, through which it reads and sorts every matching
        claim for each keyset page; walking the primary key makes the whole export one pass.
        """
        out = []
        if self.status:
            status = Claim.status + "" if scan_by_id else Claim.status
            out.append(status == self.status[0] if len(self.status) == 1 else status.in_(self.status))
        if self.document is not None:
            out.append(Claim.document_id == self.document)
        for name in ("subject", "measure", "kind"):
            if value := getattr(self, name):
                out.append(getattr(Claim, name) == value)
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
        if self.after is not None:
            out.append(Claim.id > self.after)
        return out


def _parse(name: str, text: str):
    """One parameter's value from its text, typed as its field."""
    if name in ("document", "after"):
        return parse_id(name, text, minimum=1 if name == "document" else 0)
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
    """SELECT of the matching claims in id order, from `after` on (no LIMIT: callers page or stream)."""
    return sa.select(Claim).where(*claim_filter.conditions()).order_by(Claim.id)


@dataclass
class ClaimPage:
    """One page of the claims list, and where the next one starts (None on the last page)."""

    claims: list[Claim]
    next_after: int | None


def claim_page(session: so.Session, claim_filter: ClaimFilter, size: int = PAGE_SIZE) -> ClaimPage:
    """The page of matching claims after `claim_filter.after`."""
    rows = session.scalars(
        claims_select(claim_filter).options(
            so.joinedload(Claim.document).load_only(Document.id, Document.title),
            so.joinedload(Claim.reviewed_by),
        )
        .limit(size + 1)
    ).all()
    more = len(rows) > size
    rows = rows[:size]
    return ClaimPage(rows, rows[-1].id if more else None)
