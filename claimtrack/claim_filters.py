"""Which claims a list shows: one parser for the query string, shared by the claims list and the CSV export.

Paging is keyset on id (`?after=<id>`, `ORDER BY id LIMIT n`), so page 10,000 costs what page 1
costs; every filter is on an indexed column.
"""
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import date, datetime, time, timedelta, timezone

import sqlalchemy as sa
import sqlalchemy.orm as so

from models import STATUSES, Claim, Document, User

PAGE_SIZE = 50


@dataclass(frozen=True)
class ClaimFilter:
    """A parsed claims filter; empty values mean "any"."""

    status: str = ""
    document: int | None = None
    subject: str = ""
    measure: str = ""
    reviewer: str = ""
    reviewed_from: date | None = None
    reviewed_to: date | None = None
    after: int | None = None
    errors: dict[str, str] = field(default_factory=dict, compare=False)

    def as_args(self, **override) -> dict[str, str]:
        """The filter as query-string arguments (only those set), with `override` applied."""
        out = {}
        for f in fields(self):
            if f.name == "errors":
                continue
            value = override[f.name] if f.name in override else getattr(self, f.name)
            if value not in (None, ""):
                out[f.name] = value.isoformat() if isinstance(value, date) else str(value)
        return out


def _int(text: str) -> int | None:
    return int(text) if text.isdigit() and len(text) < 19 else None


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def parse_claim_filter(args: Mapping[str, str]) -> ClaimFilter:
    """Parse `status, document, subject, measure, reviewer, reviewed_from, reviewed_to, after`.

    Unusable values are dropped and explained in `errors` (field -> message) instead of raising.
    """
    values = {name: (args.get(name) or "").strip() for name in (
        "status", "document", "subject", "measure", "reviewer", "reviewed_from", "reviewed_to", "after")}
    errors = {}
    status = values["status"]
    if status and status not in STATUSES:
        errors["status"] = f"status must be one of {', '.join(STATUSES)}"
        status = ""
    parsed: dict = {}
    for name in ("document", "after"):
        parsed[name] = _int(values[name]) if values[name] else None
        if values[name] and parsed[name] is None:
            errors[name] = f"{name} must be a whole number"
    for name in ("reviewed_from", "reviewed_to"):
        parsed[name] = _date(values[name]) if values[name] else None
        if values[name] and parsed[name] is None:
            errors[name] = "use YYYY-MM-DD"
    return ClaimFilter(
        status=status, subject=values["subject"][:200], measure=values["measure"][:200],
        reviewer=values["reviewer"][:64], errors=errors, **parsed,
    )


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.utc)


def claims_select(claim_filter: ClaimFilter) -> sa.Select:
    """SELECT of the matching claims in id order, from `after` on (no LIMIT: callers page or stream)."""
    stmt = sa.select(Claim).order_by(Claim.id)
    if claim_filter.status:
        stmt = stmt.where(Claim.status == claim_filter.status)
    if claim_filter.document is not None:
        stmt = stmt.where(Claim.document_id == claim_filter.document)
    if claim_filter.subject:
        stmt = stmt.where(Claim.subject == claim_filter.subject)
    if claim_filter.measure:
        stmt = stmt.where(Claim.measure == claim_filter.measure)
    if claim_filter.reviewer:
        reviewer_id = sa.select(User.id).where(User.username == claim_filter.reviewer).scalar_subquery()
        stmt = stmt.where(Claim.reviewed_by_id == reviewer_id)
    if claim_filter.reviewed_from:
        stmt = stmt.where(Claim.reviewed_at >= _day_start(claim_filter.reviewed_from))
    if claim_filter.reviewed_to:
        stmt = stmt.where(Claim.reviewed_at < _day_start(claim_filter.reviewed_to + timedelta(days=1)))
    if claim_filter.after is not None:
        stmt = stmt.where(Claim.id > claim_filter.after)
    return stmt


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
