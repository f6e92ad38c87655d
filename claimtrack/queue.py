"""The moderation queue: leasing claims to reviewers, skips, and progress counts.

Plain Python over a Session; every function takes the current time so tests and benchmarks
control the clock. The caller commits.

Claims a conflict resolution deprecated are not queued: the resolution already judged their
value wrong, and a decision undone later leaves them out too. They stay reachable by their page.

Order of the queue: claims awaiting a blind second review by someone other than their first
reviewer come first (one scan of `ix_second_reviews_state_claim`), then claims a trusted reference
contradicts (`claimtrack.references`; one scan of `ix_claims_contradicting_reference`), then claims in
an open conflict, then the order a lead chose for the team (`claimtrack.team.queue_order`): most worth checking
first (`Claim.worth`, newest first within a score), least confident first, or document order;
each reviewer's skipped claims come after everything else, oldest skip first. Each band is one
`ORDER BY ... LIMIT 1` scan of the index that order has (`ix_claims_queue_worth`,
`ix_claims_queue`, `ix_claims_queue_document`), with an anti-join on live leases, so finding the
next claim stays cheap however large the table grows.

Two reviewers never hold the same claim: the lease row (primary key claim_id) is written by
one conditional upsert that only takes a free or expired lease; on PostgreSQL the candidate
is also locked with `FOR UPDATE SKIP LOCKED` so concurrent reviewers step past each other
instead of queueing on one row, and on SQLite the engine's `BEGIN IMMEDIATE` serialises writers.

One reviewer holds at most `max_leases` pending claims at once, so nobody can empty the queue
for everyone else by opening every claim. Taking a lease never gives up another one: that
happens only on a decision, a skip, logout or deactivation (all POSTs).
"""
import functools
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
import sqlalchemy.orm as so
from sqlalchemy.dialects import postgresql, sqlite

from models import STATUSES, Claim, Document, Lease, Review, SecondReview, Skip, User

from . import team
from .claim_filters import ClaimFilter
from .documents import status_counts, status_totals

DEFAULT_TTL = timedelta(minutes=15)
DEFAULT_MAX_LEASES = 3
# Key space of the PostgreSQL advisory lock that serialises one reviewer's lease-taking.
LEASE_LOCK_SPACE = 7301
# A lease lost to a concurrent reviewer between our read and our write is retried this often.
MAX_ATTEMPTS = 20
DECISIONS_COUNTED = ("verify", "reject", "needs_info")
# Documents whose progress the queue page lists (the newest ones).
PROGRESS_DOCUMENTS = 50


class LeaseLimit(Exception):
    """The reviewer already holds `limit` leases: `held` are those claims, oldest first."""

    def __init__(self, held: list[int], limit: int):
        super().__init__(f"You already hold {len(held)} claims, the most one reviewer may hold at once.")
        self.held = held
        self.limit = limit


def queued(queue_filter: ClaimFilter = ClaimFilter(), session: so.Session | None = None) -> list:
    """Conditions for a claim to be in the queue (leases aside): pending, not deprecated, matching the filter."""
    return [Claim.status == "pending", Claim.rank != "deprecated", *queue_filter.conditions(session=session)]


def _live_lease_on(claim_id, now: datetime) -> sa.Exists:
    return sa.exists().where(Lease.claim_id == claim_id, Lease.expires_at > now)


# Each order's ORDER BY within a band, matching the trailing columns of its index.
ORDERINGS = {
    # Backwards along its index: newest first within a score (a mixed direction would sort).
    "worth": (Claim.worth.desc(), Claim.id.desc()),
    "confidence": (Claim.confidence, Claim.id),
    "document": (Claim.document_id, Claim.start, Claim.id),
}


def _fixed(value) -> sa.BindParameter:
    """A constant of a lease statement, written into its SQL rather than sent as a parameter.

    psycopg prepares a statement the fifth time a connection runs it, and PostgreSQL may then keep
    one plan for it instead of planning it anew: planning the queue's bands costs 1.5-2 ms, running
    them 0.2-0.5 ms. A parameter in place of a status or a LIMIT hides which index entries qualify,
    and the plan that fits every value scans the table (400 ms at a million claims). The reviewer
    is written in too: with the reviewer as a parameter, PostgreSQL's estimate for "any reviewer's
    skips" stays above the one for this reviewer's, and it plans every lease anew.
    """
    return sa.literal(value, literal_execute=True)


def _under_review(claim_id, *conditions) -> sa.ColumnElement[bool]:
    """SQL: the claim (matching `conditions`) is pending, or awaits its second review."""
    pending = sa.exists().where(Claim.id == claim_id, Claim.status == _fixed("pending"), *conditions)
    second = sa.exists().where(SecondReview.claim_id == claim_id, SecondReview.state == _fixed("awaiting"))
    if conditions:
        second = second.where(Claim.id == claim_id, *conditions)
    return sa.or_(pending, second)


# The time of a lease, the parameter of the band statement (`_first_found`).
_NOW = sa.bindparam("lease_now")


def _second_review_band(reviewer, conditions: list, locking: bool):
    """The oldest claim awaiting a second review that the reviewer did not first-review, skip or see leased."""
    stmt = sa.select(SecondReview.claim_id).where(
        SecondReview.state == _fixed("awaiting"), SecondReview.first_user_id != reviewer,
        ~_live_lease_on(SecondReview.claim_id, _NOW),
        ~sa.exists().where(Skip.user_id == reviewer, Skip.claim_id == SecondReview.claim_id),
    )
    if conditions:
        stmt = stmt.join(Claim, Claim.id == SecondReview.claim_id).where(*conditions)
    stmt = stmt.order_by(SecondReview.claim_id).limit(_fixed(1))
    return stmt.with_for_update(skip_locked=True, of=SecondReview) if locking else stmt


def _candidates(reviewer_id: int, conditions: list, order: str, locking: bool):
    """Statements for each band of the queue, in order; each yields at most one claim id."""
    reviewer = _fixed(reviewer_id)
    yield _second_review_band(reviewer, conditions, locking)
    base = [Claim.status == _fixed("pending"), Claim.rank != _fixed("deprecated"), *conditions,
            ~_live_lease_on(Claim.id, _NOW)]
    skipped_by_me = sa.exists().where(Skip.user_id == reviewer, Skip.claim_id == Claim.id)
    # Claims a trusted reference contradicts come first (a partial index holds just those), then
    # open conflicts, then the rest.
    for band in (Claim.reference_standing == _fixed("contradicts"), Claim.conflict_open == sa.true(),
                 Claim.conflict_open == sa.false()):
        stmt = (
            sa.select(Claim.id)
            .where(band, *base, ~skipped_by_me)
            .order_by(*ORDERINGS[order])
            .limit(_fixed(1))
        )
        yield stmt.with_for_update(skip_locked=True, of=Claim) if locking else stmt
    stmt = (
        sa.select(Claim.id)
        .join(Skip, sa.and_(Skip.claim_id == Claim.id, Skip.user_id == reviewer))
        .where(*base)
        .order_by(Skip.skipped_at, Claim.id)
        .limit(_fixed(1))
    )
    yield stmt.with_for_update(skip_locked=True, of=Claim) if locking else stmt


def _first_found(reviewer_id: int, conditions: list, order: str, locking: bool) -> sa.Select:
    """The bands in one statement for one reviewer: COALESCE evaluates its subqueries in turn and
    stops at the first claim found, so a lease is one round trip to the database, not one a band."""
    return sa.select(sa.func.coalesce(
        *(stmt.scalar_subquery() for stmt in _candidates(reviewer_id, conditions, order, locking))))


@functools.lru_cache(maxsize=256)
def _unfiltered_first_found(reviewer_id: int, order: str, locking: bool) -> sa.Select:
    """`_first_found` of the unfiltered queue, built once per reviewer and order (building it costs about a millisecond)."""
    return _first_found(reviewer_id, [], order, locking)


def _lock_leases_of(session: so.Session, user: User) -> None:
    """Serialise `user`'s lease-taking until commit, so two tabs cannot both pass the limit.

    SQLite's BEGIN IMMEDIATE already serialises every writer. On PostgreSQL an advisory lock
    keyed on the user, taken before any claim row is locked, keeps the limit exact without
    locking the user's row (which logins and logouts update).
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.select(sa.func.pg_advisory_xact_lock(LEASE_LOCK_SPACE, user.id)))


def held_claims(session: so.Session, user: User, now: datetime) -> list[int]:
    """The claims under review (pending, or awaiting a second review) `user` holds a live lease on, oldest first."""
    return list(session.scalars(
        sa.select(Lease.claim_id).where(Lease.user_id == user.id, Lease.expires_at > now,
                                        _under_review(Lease.claim_id))
        .order_by(Lease.leased_at, Lease.claim_id)
    ))


def _check_limit(session: so.Session, claim_id: int | None, user: User, now: datetime, max_leases: int) -> None:
    """Raise LeaseLimit if `user` holds `max_leases` pending claims other than `claim_id`."""
    held = held_claims(session, user, now)
    if len([c for c in held if c != claim_id]) >= max_leases:
        raise LeaseLimit(held, max_leases)


def _take(session: so.Session, claim_id: int, user: User, now: datetime, ttl: timedelta) -> bool:
    """Write a lease on `claim_id` for `user` unless someone else holds a live one; True if taken."""
    stmt = _take_statement(session.get_bind().dialect.name)
    taken = session.execute(stmt, {"take_claim": claim_id, "take_user": user.id, "take_now": now,
                                   "take_until": now + ttl})
    return taken.scalar() is not None


@functools.cache
def _take_statement(dialect: str) -> sa.Insert:
    """`_take`'s upsert, its values parameters: built once (each lease runs it)."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    user, now, until = sa.bindparam("take_user"), sa.bindparam("take_now"), sa.bindparam("take_until")
    stmt = insert(Lease).values(claim_id=sa.bindparam("take_claim"), user_id=user, leased_at=now, expires_at=until)
    return stmt.on_conflict_do_update(
        index_elements=[Lease.claim_id],
        set_={"user_id": user, "leased_at": now, "expires_at": until},
        where=sa.or_(Lease.expires_at <= now, Lease.user_id == user),
    ).returning(Lease.claim_id)


def lease_next(session: so.Session, user: User, now: datetime, ttl: timedelta = DEFAULT_TTL,
               queue_filter: ClaimFilter = ClaimFilter(), max_leases: int = DEFAULT_MAX_LEASES,
               order: str | None = None) -> int | None:
    """Lease the next claim in the queue to `user` and return its id (None when nothing is left).

    `order` is one of team.QUEUE_ORDERS (by default the one a lead chose). A reviewer who already holds a live lease on a matching claim gets that claim back, so
    reloading the page never hands out a second one; their other leases are kept. Raises
    LeaseLimit when they already hold `max_leases` claims and none matches the filter.
    """
    conditions = queue_filter.conditions(session=session)
    _lock_leases_of(session, user)
    current, held = _leases_of(session, user, now, conditions)
    if current is not None:
        _take(session, current, user, now, ttl)
        return current
    if len(held) >= max_leases:
        raise LeaseLimit(held, max_leases)
    order = order or team.queue_order(session)
    locking = session.get_bind().dialect.name == "postgresql"
    first_found = (_first_found(user.id, conditions, order, locking) if conditions
                   else _unfiltered_first_found(user.id, order, locking))
    for _ in range(MAX_ATTEMPTS):
        claim_id = session.scalar(first_found, {_NOW.key: now})
        if claim_id is None:
            return None
        if _take(session, claim_id, user, now, ttl):
            return claim_id
    return None


def _leases_of(session: so.Session, user: User, now: datetime, conditions: list) -> tuple[int | None, list[int]]:
    """In one statement: the claim under review matching the filter's `conditions` that `user` holds a live
    lease on (the oldest, or None), and every claim under review they hold (`held_claims`), oldest first."""
    stmt = _leases_statement(conditions) if conditions else _unfiltered_leases_statement()
    rows = session.execute(stmt, {"held_by": user.id, "held_at": now}).all()
    return next((claim_id for claim_id, matches in rows if matches), None), [claim_id for claim_id, _ in rows]


def _leases_statement(conditions: list) -> sa.Select:
    # EXISTS rather than a join keeps the reviewer's few leases the driving side: without
    # statistics SQLite joined from the 600,000 pending claims instead (50 ms at 1M claims).
    matching = _under_review(Lease.claim_id, Claim.rank != _fixed("deprecated"), *conditions)
    return (
        sa.select(Lease.claim_id, matching)
        .where(Lease.user_id == sa.bindparam("held_by"), Lease.expires_at > sa.bindparam("held_at"),
               _under_review(Lease.claim_id))
        .order_by(Lease.leased_at, Lease.claim_id)
    )


@functools.cache
def _unfiltered_leases_statement() -> sa.Select:
    """`_leases_statement` of the unfiltered queue, built once."""
    return _leases_statement([])


def acquire(session: so.Session, claim_id: int, user: User, now: datetime,
            ttl: timedelta = DEFAULT_TTL, max_leases: int = DEFAULT_MAX_LEASES) -> bool:
    """Take (or renew) the lease on one claim unless another reviewer holds it; True if held now.

    Raises LeaseLimit when taking it would give `user` more than `max_leases` claims.
    """
    _lock_leases_of(session, user)
    _check_limit(session, claim_id, user, now, max_leases)
    return _take(session, claim_id, user, now, ttl)


def renew(session: so.Session, claim_id: int, user: User, now: datetime,
          ttl: timedelta = DEFAULT_TTL, max_leases: int = DEFAULT_MAX_LEASES) -> bool:
    """Extend `user`'s lease on the claim under review (retaking it if it lapsed and is still free); True if held.

    Raises LeaseLimit when retaking a lapsed lease would give `user` more than `max_leases` claims.
    """
    if not session.scalar(sa.select(_under_review(claim_id))):
        return False
    return acquire(session, claim_id, user, now, ttl, max_leases)


def adjacent(session: so.Session, claim_id: int, user: User, now: datetime, forward: bool = True,
             queue_filter: ClaimFilter = ClaimFilter()) -> int | None:
    """The queued claim after (or before) `claim_id` in id order that nobody else holds, if any.

    Stepping through the queue this way decides nothing: the reviewer passes over claims.
    """
    held_by_other = sa.exists().where(Lease.claim_id == Claim.id, Lease.expires_at > now, Lease.user_id != user.id)
    return session.scalar(
        sa.select(Claim.id)
        .where(*queued(queue_filter, session), Claim.id > claim_id if forward else Claim.id < claim_id, ~held_by_other)
        .order_by(Claim.id if forward else Claim.id.desc())
        .limit(1)
    )


def step(session: so.Session, claim_id: int, user: User, now: datetime, forward: bool = True,
         queue_filter: ClaimFilter = ClaimFilter()) -> int | None:
    """Let go of `user`'s lease on `claim_id` and return the adjacent queued claim (see `adjacent`)."""
    release(session, claim_id, user)
    return adjacent(session, claim_id, user, now, forward, queue_filter)


def left_in_queue(session: so.Session, queue_filter: ClaimFilter = ClaimFilter(), cap: int = 1000) -> int:
    """How many claims the queue holds for this filter, counted up to `cap` (so it stays cheap at any size)."""
    capped = sa.select(Claim.id).where(*queued(queue_filter, session)).limit(cap).subquery()
    return session.scalar(sa.select(sa.func.count()).select_from(capped))


def release(session: so.Session, claim_id: int, user: User) -> None:
    """Give up `user`'s lease on the claim, if they hold it."""
    session.execute(sa.delete(Lease).where(Lease.claim_id == claim_id, Lease.user_id == user.id))


def release_all(session: so.Session, user: User) -> int:
    """Give up every lease `user` holds (logout, deactivation); returns how many."""
    return session.execute(sa.delete(Lease).where(Lease.user_id == user.id)).rowcount


def holder(session: so.Session, claim_id: int, now: datetime) -> Lease | None:
    """The live lease on the claim, if anyone holds one."""
    return session.scalar(
        sa.select(Lease).options(so.joinedload(Lease.user))
        .where(Lease.claim_id == claim_id, Lease.expires_at > now)
    )


def skip(session: so.Session, claim_id: int, user: User, now: datetime) -> None:
    """Send the claim to the back of `user`'s queue and release their lease on it."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(
        insert(Skip).values(user_id=user.id, claim_id=claim_id, skipped_at=now)
        .on_conflict_do_update(index_elements=[Skip.user_id, Skip.claim_id], set_={"skipped_at": now})
    )
    release(session, claim_id, user)


@dataclass
class StatusCounts:
    """How many claims are in each status."""

    pending: int = 0
    verified: int = 0
    rejected: int = 0
    needs_info: int = 0

    @property
    def total(self) -> int:
        """All claims counted."""
        return self.pending + self.verified + self.rejected + self.needs_info

    @property
    def done_percent(self) -> int:
        """Share of claims no longer pending, in whole percent."""
        return round(100 * (self.total - self.pending) / self.total) if self.total else 0


@dataclass
class DocumentProgress:
    """Progress on one document."""

    id: int
    title: str
    counts: StatusCounts


@dataclass
class Progress:
    """Progress overall, on the newest documents, and the reviewer's own decisions today."""

    overall: StatusCounts
    documents: list[DocumentProgress] = field(default_factory=list)
    mine_today: int = 0


def progress(session: so.Session, user: User, now: datetime, documents: int = PROGRESS_DOCUMENTS) -> Progress:
    """Counts by status overall and for the newest `documents` documents, and `user`'s decisions today (UTC).

    Counting per document across the whole table took over a second at a million claims; the
    full per-document list is the documents page, a page at a time.
    """
    by_status = status_totals(session, user.id)
    overall = StatusCounts(*(by_status[s] for s in STATUSES))
    newest = sa.select(Document.id).order_by(Document.id.desc()).limit(documents).scalar_subquery()
    rows = session.execute(
        sa.select(Document.id, Document.title, *status_counts(user.id))
        .outerjoin(Claim, Claim.document_id == Document.id)
        .where(Document.id.in_(newest))
        .group_by(Document.id, Document.title)
        .order_by(Document.id.desc())
    ).all()
    documents_seen = [DocumentProgress(row[0], row[1], StatusCounts(*row[2:])) for row in rows]
    return Progress(overall, documents_seen, decided_today(session, user, now))


def decided_today(session: so.Session, user: User, now: datetime) -> int:
    """How many claims `user` verified, rejected or marked needs info today (UTC)."""
    midnight = now.astimezone(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    return session.scalar(
        sa.select(sa.func.count(Review.id))
        .where(Review.user_id == user.id, Review.created_at >= midnight,
               Review.decision.in_(DECISIONS_COUNTED))
    ) or 0
