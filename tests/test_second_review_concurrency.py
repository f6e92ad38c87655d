"""Second reviewers leasing and deciding at once never take the same claim, on SQLite and PostgreSQL."""
import threading
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from claimtrack import accounts, queue, review, second_review
from claimtrack.database import make_engine, make_sessionmaker
from models import Claim, Document, Review, ReviewPolicy, SecondReview, User

REVIEWERS = 6
CLAIMS = 60
NOW = datetime(2026, 8, 3, 9, 0, tzinfo=timezone.utc)
TTL = timedelta(minutes=15)


def _fill(url: str) -> tuple[int, list[int]]:
    """CLAIMS claims verified by one first reviewer under a policy of 100 %; returns the first and the others' ids."""
    text = "9 " * CLAIMS
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as session:
            first = accounts.create_user(session, "first", "password123", "reviewer")
            lead = accounts.create_user(session, "lead", "password123", "lead")
            others = [accounts.create_user(session, f"second{i}", "password123", "reviewer")
                      for i in range(REVIEWERS)]
            document = Document(sha256="e" * 64, file_name="e.txt", title="e", text=text, char_count=len(text))
            session.add(document)
            session.flush()
            second_review.set_policy(session, lead, now=NOW, share=100)
            for i in range(CLAIMS):
                claim = Claim(document=document, start=2 * i, end=2 * i + 1, quote="9", sentence_start=0,
                              sentence_end=len(text), value=9.0, extracted_value=9.0, confidence=0.5)
                session.add(claim)
                session.flush()
                review.decide(session, claim, first, "verify", version=claim.version, now=NOW, check_lease=False)
            session.commit()
            return first.id, [u.id for u in others]
    finally:
        engine.dispose()


def _review_in_parallel(url: str, user_ids: list[int]) -> list[tuple[int, int]]:
    """Each reviewer, in its own thread and connection, leases and second-reviews claims until none is left."""
    done: list[tuple[int, int]] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(user_ids))
    lock = threading.Lock()

    def work(user_id: int):
        engine = make_engine(url, poolclass=sa.pool.NullPool)
        try:
            with make_sessionmaker(engine)() as session:
                user = session.get(accounts.User, user_id)
                session.commit()  # end the read transaction: on SQLite it holds the write lock
                barrier.wait()
                while True:
                    claim_id = queue.lease_next(session, user, NOW, TTL)
                    session.commit()
                    if claim_id is None:
                        return
                    claim = review.load_for_update(session, claim_id)
                    outcome = second_review.decide_second(
                        session, claim, user, "verify", values=second_review.extracted_values(claim),
                        version=claim.version, now=NOW)
                    session.commit()
                    with lock:
                        done.append((user_id, outcome.review.claim_id))
        except BaseException as exc:  # noqa: BLE001 - reported below in the main thread
            errors.append(exc)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=work, args=(u,)) for u in user_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(180)
    assert not errors, errors
    return done


def test_parallel_second_reviewers_never_share_a_claim(fresh_database, backend):
    """On each backend; with TEST_DATABASE_URL set, an unreachable PostgreSQL errors here, never skips."""
    first_id, others = _fill(fresh_database)
    done = _review_in_parallel(fresh_database, [first_id, *others])
    claims = [claim_id for _, claim_id in done]
    assert [c for c, n in Counter(claims).items() if n > 1] == []
    assert len(claims) == CLAIMS
    assert first_id not in {user_id for user_id, _ in done}
    engine = make_engine(fresh_database)
    try:
        with engine.connect() as connection:
            states = Counter(connection.scalars(sa.select(SecondReview.state)))
            seconds = connection.scalar(sa.select(sa.func.count()).select_from(Review)
                                        .where(Review.decision == "second_verify"))
        assert states == {"agreed": CLAIMS} and seconds == CLAIMS
    finally:
        engine.dispose()


def _wait_for_a_lock_wait(url: str) -> None:
    """Return once some other connection of this database waits on a lock (bounded: fails after about 10 s)."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            for _ in range(200):
                waiting = connection.scalar(sa.text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock'"))
                if waiting:
                    return
                connection.rollback()
                threading.Event().wait(0.05)
    finally:
        engine.dispose()
    raise AssertionError("the second lead's save never waited on the first's")


def test_two_leads_setting_a_new_scopes_policy_at_once_both_succeed(fresh_database, backend):
    """Neither found the scope's policy; the second's insert waits on the first's, then replaces it, no 500."""
    if backend == "sqlite":
        pytest.skip("SQLite's writing transactions begin IMMEDIATE: the second lead's save waits for the first")
    engine = make_engine(fresh_database)
    factory = make_sessionmaker(engine)
    try:
        with factory() as session:
            for name in ("lena", "lars"):
                accounts.create_user(session, name, "password123", "lead")
            session.commit()
        outcome: list[object] = []

        def second_lead():
            with factory() as session:
                lars = session.scalar(sa.select(User).where(User.username == "lars"))
                try:
                    second_review.set_policy(session, lars, now=NOW, share=30, subject="Gansu")
                    session.commit()
                    outcome.append("saved")
                except Exception as exc:  # noqa: BLE001 - the outcome under test
                    outcome.append(exc)

        with factory() as first:
            lena = first.scalar(sa.select(User).where(User.username == "lena"))
            second_review.set_policy(first, lena, now=NOW, share=10, subject="Gansu")
            thread = threading.Thread(target=second_lead, daemon=True)
            thread.start()
            _wait_for_a_lock_wait(fresh_database)
            first.commit()
            thread.join(30)
        assert outcome == ["saved"]
        with factory() as session:
            lars = session.scalar(sa.select(User.id).where(User.username == "lars"))
            policies = session.scalars(sa.select(ReviewPolicy)).all()
            assert [(p.subject, p.share, p.updated_by_id) for p in policies] == [("Gansu", 30, lars)]
    finally:
        engine.dispose()
