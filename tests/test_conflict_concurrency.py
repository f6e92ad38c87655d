"""Two documents about one fact stored at the same moment (two workers, two uploads) still meet.

Each store checks its new claims against the groups already committed. With nothing to make the
two checks take turns, on PostgreSQL each found no group for the fact, made one of its own, and the
conflict (66 against 69 sister cities) was never shown to anyone.
"""
import threading
import time

import sqlalchemy as sa

from claimtrack import accounts, conflicts, ingest, review
from claimtrack.database import make_engine, make_sessionmaker
from claimtrack.prepare import prepare
from claimtrack.sources import decode_document
from models import Claim, ConflictGroup, User, utcnow

from .conftest import PASSWORD
from .threads import run_in_threads

TEXTS = {
    "a.txt": "Published: 2024-03-01\n\nGansu has forged 66 pairs of international sister city relationships.\n",
    "b.txt": "Published: 2024-04-01\n\nGansu has forged 69 pairs of international sister city relationships.\n",
}


def test_two_documents_stored_at_once_meet_in_one_group(fresh_database, monkeypatch):
    prepared = [prepare(decode_document(text.encode(), name)) for name, text in TEXTS.items()]
    engine = make_engine(fresh_database)
    sessions = make_sessionmaker(engine)
    barrier = threading.Barrier(2)
    # On PostgreSQL both documents are written before either is checked, as two workers' stores
    # running side by side are; SQLite's transactions take its write lock as they begin, so there
    # the second store begins once the first is committed.
    side_by_side = engine.dialect.name == "postgresql"

    def checked_together(session, documents):
        if side_by_side:
            barrier.wait(timeout=30)
        conflicts.detect_documents(session, documents)

    monkeypatch.setattr(ingest, "AFTER_STORE", [checked_together])

    def store(document):
        if not side_by_side:
            barrier.wait(timeout=30)
        with sessions() as session:
            assert ingest.store(session, document).status == "added"
            session.commit()

    run_in_threads(store, prepared, timeout=60)
    with engine.connect() as connection:
        groups = connection.execute(
            sa.select(ConflictGroup.id, ConflictGroup.status)
            .where(ConflictGroup.id.in_(sa.select(Claim.group_id).where(Claim.value.in_((66.0, 69.0)))))
        ).all()
        placed = connection.execute(sa.select(Claim.value, Claim.group_id, Claim.conflict_open)
                                    .where(Claim.value.in_((66.0, 69.0)))).all()
    engine.dispose()
    assert len(groups) == 1 and groups[0].status == "open", (groups, placed)
    assert {(value, open_) for value, _group, open_ in placed} == {(66.0, True), (69.0, True)}


def test_a_decision_and_a_new_document_about_its_fact_at_once_both_go_through(fresh_database):
    """A reviewer corrects a claim (holding its row) while a document stating the same fact is stored and
    checked, which re-places that claim: the check's turn must not make the two wait on each other."""
    first, second = (prepare(decode_document(text.encode(), name)) for name, text in TEXTS.items())
    engine = make_engine(fresh_database)
    sessions = make_sessionmaker(engine)
    with sessions() as session:
        reviewer_id = accounts.create_user(session, "rita", PASSWORD, "reviewer").id
        ingest.store(session, first)
        session.commit()
        claim_id = session.scalar(sa.select(Claim.id).where(Claim.value == 66.0))
    holding = threading.Event()
    outcomes: dict[str, str] = {}

    def decide(_):
        with sessions() as session:
            claim = review.load_for_update(session, claim_id)
            holding.set()
            time.sleep(0.5)  # the store below begins its check meanwhile
            review.decide(session, claim, session.get(User, reviewer_id), "correct", version=claim.version,
                          now=utcnow(), values={"value": 67.0}, check_lease=False)
            session.commit()
            outcomes["decision"] = "done"

    def store(_):
        assert holding.wait(timeout=30)
        with sessions() as session:
            assert ingest.store(session, second).status == "added"
            session.commit()
            outcomes["store"] = "done"

    run_in_threads(lambda work: work(None), [decide, store], timeout=60)
    engine.dispose()
    assert outcomes == {"decision": "done", "store": "done"}
