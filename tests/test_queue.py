"""The queue service: order, filters, leases, skips, expiry, progress."""
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from claimtrack import queue
from claimtrack.claim_filters import ClaimFilter, FilterError
from models import Lease, TeamSetting

from .factories import ClaimFactory, DocumentFactory, UserFactory

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
TTL = timedelta(minutes=15)


@pytest.fixture(autouse=True)
def confidence_order(db_session):
    """These tests read the queue in the lowest-confidence order; test_triage covers the others."""
    db_session.add(TeamSetting(name="queue_order", value="confidence", updated_at=NOW))
    db_session.flush()


def _claims(db_session, *confidences, conflict=()):
    document = DocumentFactory()
    claims = [ClaimFactory(document=document, confidence=c, conflict_open=i in conflict)
              for i, c in enumerate(confidences)]
    db_session.flush()
    return claims


def test_lease_next_order_conflict_then_confidence_then_id(db_session):
    a, b, c, d = _claims(db_session, 0.9, 0.2, 0.2, 0.95, conflict=(3,))
    users = UserFactory.create_batch(4)
    got = [queue.lease_next(db_session, u, NOW, TTL) for u in users]
    assert got == [d.id, b.id, c.id, a.id]
    assert queue.lease_next(db_session, UserFactory(), NOW, TTL) is None


def test_lease_next_returns_the_claim_already_held(db_session):
    a, b = _claims(db_session, 0.1, 0.2)
    user = UserFactory()
    assert queue.lease_next(db_session, user, NOW, TTL) == a.id
    assert queue.lease_next(db_session, user, NOW + timedelta(minutes=1), TTL) == a.id


def test_only_pending_claims_are_queued(db_session):
    a, b = _claims(db_session, 0.1, 0.2)
    a.status = "verified"
    db_session.flush()
    assert queue.lease_next(db_session, UserFactory(), NOW, TTL) == b.id


def test_expired_lease_returns_claim_to_queue(db_session):
    (a,) = _claims(db_session, 0.1)
    first, second = UserFactory(), UserFactory()
    assert queue.lease_next(db_session, first, NOW, TTL) == a.id
    assert queue.lease_next(db_session, second, NOW + timedelta(minutes=14), TTL) is None
    assert queue.lease_next(db_session, second, NOW + timedelta(minutes=16), TTL) == a.id
    assert db_session.get(Lease, a.id).user_id == second.id
    assert not queue.renew(db_session, a.id, first, NOW + timedelta(minutes=17), TTL)


def test_renew_extends_and_release_frees(db_session):
    (a,) = _claims(db_session, 0.1)
    user, other = UserFactory(), UserFactory()
    queue.lease_next(db_session, user, NOW, TTL)
    assert queue.renew(db_session, a.id, user, NOW + timedelta(minutes=10), TTL)
    assert queue.lease_next(db_session, other, NOW + timedelta(minutes=20), TTL) is None
    queue.release(db_session, a.id, user)
    assert queue.lease_next(db_session, other, NOW + timedelta(minutes=20), TTL) == a.id


def test_skipped_claims_go_to_the_back_for_that_reviewer_only(db_session):
    a, b = _claims(db_session, 0.1, 0.2)
    user, other = UserFactory(), UserFactory()
    assert queue.lease_next(db_session, user, NOW, TTL) == a.id
    queue.skip(db_session, a.id, user, NOW)
    assert queue.lease_next(db_session, user, NOW, TTL) == b.id
    queue.release(db_session, b.id, user)
    assert queue.lease_next(db_session, other, NOW, TTL) == a.id
    queue.release(db_session, a.id, other)
    queue.skip(db_session, b.id, user, NOW + timedelta(seconds=1))
    assert queue.lease_next(db_session, user, NOW + timedelta(seconds=2), TTL) == a.id


def test_filters_narrow_the_queue(db_session):
    one, two = DocumentFactory(), DocumentFactory()
    ClaimFactory(document=one, confidence=0.1)
    wanted = ClaimFactory(document=two, confidence=0.5, measure="cargo routes", kind="target")
    db_session.flush()
    user = UserFactory()
    assert queue.lease_next(db_session, user, NOW, TTL, ClaimFilter(document=two.id)) == wanted.id
    other = UserFactory()
    assert queue.lease_next(db_session, other, NOW, TTL, ClaimFilter(measure="cargo routes")) is None
    assert queue.lease_next(db_session, other, NOW, TTL, ClaimFilter(kind="projection")) is None


def test_queue_filter_from_args_round_trip():
    f = ClaimFilter.from_args({"document": "3", "measure": "GDP", "kind": "", "subject": ""})
    assert f == ClaimFilter(document=3, measure="GDP")
    assert f.as_args() == {"document": "3", "measure": "GDP"}
    with pytest.raises(FilterError, match="kind must be one of"):
        ClaimFilter.from_args({"kind": "bogus"})


def test_progress_counts(db_session):
    a, b, c = _claims(db_session, 0.1, 0.2, 0.3)
    a.status, b.status = "verified", "needs_info"
    db_session.flush()
    result = queue.progress(db_session, UserFactory(), NOW)
    assert (result.overall.pending, result.overall.verified, result.overall.needs_info) == (1, 1, 1)


def test_progress_lists_only_the_newest_documents_but_counts_all(db_session):
    documents = [DocumentFactory() for _ in range(3)]
    for document in documents:
        ClaimFactory(document=document)
    db_session.flush()
    result = queue.progress(db_session, UserFactory(), NOW, documents=2)
    assert [d.id for d in result.documents] == [documents[2].id, documents[1].id]
    assert result.overall.pending == 3


def test_lease_next_gives_back_the_oldest_held_claim_the_filter_matches_and_counts_the_others(db_session):
    first, second = DocumentFactory(), DocumentFactory()
    a, b = (ClaimFactory(document=first, confidence=c) for c in (0.1, 0.2))
    c, d, e = (ClaimFactory(document=second, confidence=c) for c in (0.3, 0.4, 0.5))
    db_session.flush()
    user = UserFactory()
    assert queue.lease_next(db_session, user, NOW, TTL, ClaimFilter(document=first.id), max_leases=3) == a.id
    # Held claims outside the filter are kept, and count towards the limit.
    later = NOW + timedelta(minutes=1)
    assert queue.lease_next(db_session, user, later, TTL, ClaimFilter(document=second.id), max_leases=3) == c.id
    assert queue.acquire(db_session, d.id, user, later, TTL, max_leases=3)
    assert queue.lease_next(db_session, user, later, TTL, ClaimFilter(document=first.id), max_leases=3) == a.id
    # A decided claim is not held any more: the oldest held one that is still pending comes back.
    a.status = "verified"
    db_session.flush()
    with pytest.raises(queue.LeaseLimit) as refused:
        queue.lease_next(db_session, user, later, TTL, ClaimFilter(document=first.id), max_leases=2)
    assert refused.value.held == [c.id, d.id]
    assert queue.lease_next(db_session, user, later, TTL, ClaimFilter(document=second.id), max_leases=2) == c.id
    assert queue.lease_next(db_session, user, later, TTL, ClaimFilter(document=first.id), max_leases=3) == b.id
    assert e.id not in queue.held_claims(db_session, user, later)


def test_lease_next_serves_each_band_before_the_next(db_session):
    lowest, contradicted, in_conflict, skipped = _claims(db_session, 0.1, 0.9, 0.8, 0.05, conflict=(2,))
    contradicted.reference_standing = "contradicts"
    db_session.flush()
    user = UserFactory()
    queue.skip(db_session, skipped.id, user, NOW)
    got = []
    for minute in range(5):
        claim_id = queue.lease_next(db_session, user, NOW + timedelta(minutes=minute), TTL, max_leases=10)
        got.append(claim_id)
        if claim_id is not None:
            db_session.get(Lease, claim_id).user_id = UserFactory().id  # handed on: this user holds none
            db_session.flush()
    assert got == [contradicted.id, in_conflict.id, lowest.id, skipped.id, None]


def _lease_plans(db_session) -> tuple[int, int]:
    """Generic and custom plans PostgreSQL made for this connection's prepared band statement."""
    row = db_session.execute(sa.text(
        "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement LIKE 'SELECT coalesce(%'"
    )).first()
    return tuple(row) if row else (0, 0)


def test_a_reviewers_leases_keep_one_plan_for_the_queues_bands(db_session, backend):
    if backend != "postgresql":
        pytest.skip("plans kept for prepared statements are PostgreSQL's")
    _claims(db_session, *[0.01 * n for n in range(1, 21)])
    user, other = UserFactory(), UserFactory()
    for minute in range(12):
        claim_id = queue.lease_next(db_session, user, NOW + timedelta(minutes=minute), TTL)
        db_session.get(Lease, claim_id).user_id = other.id  # handed on: the next lease runs the bands again
        db_session.flush()
    # psycopg prepares the statement after its fifth run; PostgreSQL plans its first five prepared runs, then keeps one plan.
    generic, custom = _lease_plans(db_session)
    assert custom == 5 and generic >= 2
