"""Eight reviewers leasing at once never get the same claim, on SQLite and PostgreSQL."""
import threading
from collections import Counter
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from claimtrack import accounts, queue
from claimtrack.database import make_engine, make_sessionmaker
from models import Claim, Document, Lease

from .threads import run_in_threads

REVIEWERS = 8
CLAIMS = 500
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
TTL = timedelta(minutes=15)


def _fill(engine: sa.Engine) -> list[int]:
    """One document with CLAIMS claims (bulk Core insert) and REVIEWERS users; returns user ids."""
    text = "7 " * CLAIMS
    with make_sessionmaker(engine)() as session:
        document = Document(sha256="c" * 64, file_name="c.txt", title="c", text=text, char_count=len(text))
        session.add(document)
        session.flush()
        base = {"document_id": document.id, "quote": "7", "sentence_start": 0, "sentence_end": len(text),
                "value": 7.0, "extracted_value": 7.0, "prefix": "", "suffix": "", "unit": "", "extracted_unit": "",
                "qualifier": "=", "extracted_qualifier": "=", "subject": "", "extracted_subject": "",
                "measure": "", "extracted_measure": "", "kind": "fact", "extracted_kind": "fact",
                "measure_text": "", "extractor_version": "", "status": "pending", "rank": "normal",
                "rank_reason": "", "conflict_open": False, "group_pinned": False, "version": 1,
                "created_at": NOW, "updated_at": NOW}
        session.execute(sa.insert(Claim), [
            {**base, "start": 2 * i, "end": 2 * i + 1, "confidence": (i % 97) / 97} for i in range(CLAIMS)])
        users = [accounts.create_user(session, f"reviewer{i}", "password123", "reviewer").id
                 for i in range(REVIEWERS)]
        session.commit()
    return users


def _lease_in_parallel(url: str, user_ids: list[int], rounds: int, now: datetime) -> list[tuple[int, int]]:
    """Each reviewer, in its own thread and connection, leases and releases `rounds` claims."""
    got: list[tuple[int, int]] = []
    barrier = threading.Barrier(len(user_ids))
    lock = threading.Lock()

    def work(user_id: int):
        engine = make_engine(url, poolclass=sa.pool.NullPool)
        try:
            sessionmaker = make_sessionmaker(engine)
            with sessionmaker() as session:
                user = session.get(accounts.User, user_id)
                session.commit()  # end the read transaction: on SQLite it holds the write lock
                barrier.wait()
                for _ in range(rounds):
                    claim_id = queue.lease_next(session, user, now, TTL)
                    # Mark it decided so the next lease must move on (as a decision would).
                    if claim_id is not None:
                        session.execute(sa.update(Claim).where(Claim.id == claim_id).values(status="verified"))
                    session.commit()
                    with lock:
                        got.append((user_id, claim_id))
        finally:
            engine.dispose()

    run_in_threads(work, user_ids, timeout=120)
    return got


def _check_parallel_leasing(url: str) -> None:
    engine = make_engine(url)
    try:
        users = _fill(engine)
        got = _lease_in_parallel(url, users, CLAIMS // REVIEWERS + 2, NOW)
        leased = [claim_id for _, claim_id in got if claim_id is not None]
        duplicates = [c for c, n in Counter(leased).items() if n > 1]
        assert duplicates == []
        assert len(leased) == CLAIMS

        # Held (not decided) leases: eight reviewers hold eight different claims...
        with engine.begin() as connection:
            connection.execute(sa.update(Claim).values(status="pending"))
            connection.exec_driver_sql("DELETE FROM leases")
        held = _lease_holding(url, users, NOW)
        assert len(set(held.values())) == REVIEWERS
        # ...and once their leases expire, another reviewer gets one of them again.
        with make_sessionmaker(engine)() as session:
            late = accounts.create_user(session, "latecomer", "password123")
            assert queue.lease_next(session, late, NOW + timedelta(minutes=1), TTL) not in held.values()
            session.rollback()
            late = accounts.create_user(session, "latecomer", "password123")
            first = queue.lease_next(session, late, NOW + TTL + timedelta(seconds=1), TTL)
            assert first in held.values()
    finally:
        engine.dispose()


def _lease_holding(url: str, user_ids: list[int], now: datetime) -> dict[int, int]:
    held: dict[int, int] = {}
    barrier = threading.Barrier(len(user_ids))

    def work(user_id: int):
        engine = make_engine(url, poolclass=sa.pool.NullPool)
        try:
            with make_sessionmaker(engine)() as session:
                user = session.get(accounts.User, user_id)
                session.commit()  # end the read transaction: on SQLite it holds the write lock
                barrier.wait()
                held[user_id] = queue.lease_next(session, user, now, TTL)
                session.commit()
        finally:
            engine.dispose()

    run_in_threads(work, user_ids, timeout=60)
    assert len(held) == len(user_ids)
    return held


def test_parallel_reviewers_never_share_a_claim(fresh_database, backend):
    """On each backend; with TEST_DATABASE_URL set, an unreachable PostgreSQL errors here, never skips."""
    _check_parallel_leasing(fresh_database)



def _acquire_in_parallel(url: str, user_id: int, claim_ids: list[int], max_leases: int) -> dict[int, bool | str]:
    """One reviewer opens each claim at once, each in its own thread and connection (many tabs)."""
    got: dict[int, bool | str] = {}
    barrier = threading.Barrier(len(claim_ids))

    def work(claim_id: int):
        engine = make_engine(url, poolclass=sa.pool.NullPool)
        try:
            with make_sessionmaker(engine)() as session:
                user = session.get(accounts.User, user_id)
                session.commit()  # end the read transaction: on SQLite it holds the write lock
                barrier.wait()
                try:
                    got[claim_id] = queue.acquire(session, claim_id, user, NOW, TTL, max_leases)
                    session.commit()
                except queue.LeaseLimit:
                    session.rollback()
                    got[claim_id] = "limit"
        finally:
            engine.dispose()

    run_in_threads(work, claim_ids, timeout=60)
    return got


def test_parallel_tabs_never_pass_the_lease_limit(fresh_database, backend):
    """Eight tabs of one reviewer opening eight claims at once get exactly the limit of leases."""
    engine = make_engine(fresh_database)
    try:
        users = _fill(engine)
        with engine.connect() as connection:
            claim_ids = list(connection.scalars(sa.select(Claim.id).order_by(Claim.id).limit(REVIEWERS)))
        got = _acquire_in_parallel(fresh_database, users[0], claim_ids, 3)
        assert sorted(map(str, got.values())) == ["True"] * 3 + ["limit"] * (REVIEWERS - 3)
        with engine.connect() as connection:
            held = set(connection.scalars(sa.select(Lease.claim_id).where(Lease.user_id == users[0])))
        assert held == {c for c, outcome in got.items() if outcome is True}
    finally:
        engine.dispose()
