"""Two documents about one fact stored at the same moment (two workers, two uploads) still meet.

Each store checks its new claims against the groups already committed. With nothing to make the
two checks take turns, on PostgreSQL each found no group for the fact, made one of its own, and the
conflict (66 against 69 sister cities) was never shown to anyone.
"""
import threading

import sqlalchemy as sa

from claimtrack import conflicts, ingest
from claimtrack.database import make_engine, make_sessionmaker
from claimtrack.prepare import prepare
from claimtrack.sources import decode_document
from models import Claim, ConflictGroup

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

    def checked_together(session, document):
        if side_by_side:
            barrier.wait(timeout=30)
        conflicts.detect_document(session, document)

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
