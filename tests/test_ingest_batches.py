"""Storing documents a batch at a time (`ingest.store_many`) and workers taking a backlog of ingest jobs at once."""
import pytest
import sqlalchemy as sa

from claimtrack import ingest, jobs, search
from claimtrack.jobs import records, tasks
from claimtrack.prepare import prepare
from claimtrack.sources import decode_document
from models import Claim, ConflictGroup, Document, Job

LIBRARIES = "Valley gazette\n\nThe Orrin valley has 14 public libraries, the council said in 2024.\n"
LIBRARIES_AGAIN = "Orrin notes\n\nThe Orrin valley has 17 public libraries, according to a 2024 count.\n"
FERRIES = "Harbour log\n\nIn 2023 the Tessel ferry carried 820,000 passengers, up 6% on 2022.\n"


def _prepared(text: str, name: str):
    return prepare(decode_document(text.encode(), name))


def _count(session, model) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(model))


def test_store_many_gives_a_result_per_document_in_order_with_duplicates_of_the_first_copy(db_session):
    kept = ingest.store(db_session, _prepared(FERRIES, "ferries.txt"))
    batch = [_prepared(LIBRARIES, "a.txt"), _prepared(FERRIES, "ferries-again.txt"),
             _prepared(LIBRARIES, "a-copy.txt"), _prepared(LIBRARIES_AGAIN, "b.txt")]
    results = ingest.store_many(db_session, batch)
    assert [r.status for r in results] == ["added", "duplicate", "duplicate", "added"]
    assert results[1].document_id == kept.document_id
    assert results[2].document_id == results[0].document_id != results[3].document_id
    assert [r.file_name for r in results] == ["a.txt", "ferries.txt", "a.txt", "b.txt"]
    assert _count(db_session, Document) == 3
    stored = db_session.scalars(sa.select(Claim.document_id).order_by(Claim.id)).all()
    assert stored.count(results[0].document_id) == results[0].claims == 1
    assert stored.count(results[3].document_id) == results[3].claims == 1


def test_store_many_checks_the_batch_for_conflicts_among_its_own_documents(db_session):
    ingest.store_many(db_session, [_prepared(LIBRARIES, "a.txt"), _prepared(LIBRARIES_AGAIN, "b.txt")])
    placed = db_session.execute(sa.select(Claim.value, Claim.group_id, Claim.conflict_open)
                                .where(Claim.value.in_((14.0, 17.0)))).all()
    assert {(value, open_) for value, _group, open_ in placed} == {(14.0, True), (17.0, True)}
    (group,) = {group for _value, group, _open in placed}
    assert db_session.get(ConflictGroup, group).status == "open"


def test_store_many_indexes_every_document_of_the_batch_for_search(db_session):
    ingest.store_many(db_session, [_prepared(LIBRARIES, "a.txt"), _prepared(FERRIES, "ferries.txt")])

    def found(words):
        return set(db_session.scalars(sa.select(Claim.value).where(
            search.matches(search.parse_query(words), db_session))))

    # Each claim by its own document's title and sentence, never by the other document's.
    assert found("gazette") == found("libraries") == {14.0}
    assert found("harbour log") == found("ferry passengers") == {820_000.0, 6.0}


def test_store_many_of_nothing_stores_nothing(db_session):
    assert ingest.store_many(db_session, []) == []
    assert _count(db_session, Document) == 0


# --- Runners taking a backlog of ingest jobs at once ------------------------------------------

@pytest.fixture
def factory(app):
    """The session factory the app's requests use (joined to the test's transaction)."""
    from webapp.db import EXTENSION

    return app.extensions[EXTENSION]


def _queued(factory, *files: tuple[str, str | bytes]) -> list[int]:
    with factory() as session:
        made = [jobs.new_ingest_job(session, text.encode() if isinstance(text, str) else text, name,
                                    source=f"upload:{name}") for name, text in files]
        session.commit()
        return [job.id for job in made]


def _states(factory, ids) -> list[tuple[str, str]]:
    with factory() as session:
        return [(session.get(Job, i).state, session.get(Job, i).outcome) for i in ids]


def test_a_runner_takes_queued_ingest_jobs_along_and_stores_them_together(factory, db_session, monkeypatch):
    monkeypatch.setattr(ingest, "BATCH_DOCUMENTS", 3)
    stores = []
    monkeypatch.setattr(tasks, "store_many", lambda session, batch: stores.append(len(batch)) or
                        ingest.store_many(session, batch))
    ids = _queued(factory, ("a.txt", LIBRARIES), ("b.txt", LIBRARIES_AGAIN), ("c.txt", FERRIES),
                  ("d.txt", LIBRARIES + "\nA postscript.\n"))
    assert jobs.run(factory, ids[0]) == "done"
    assert stores == [3]
    assert [state for state, _ in _states(factory, ids)] == ["done", "done", "done", "queued"]
    # The queue's own entries for the jobs taken along find them taken and do nothing.
    assert jobs.run(factory, ids[1]) is None and jobs.run(factory, ids[2]) is None
    assert _count(db_session, Document) == 3
    assert {(v, o) for v, o in db_session.execute(sa.select(Claim.value, Claim.conflict_open)
                                                  .where(Claim.value.in_((14.0, 17.0))))} == {(14.0, True), (17.0, True)}
    with factory() as session:
        taken = [session.get(Job, i) for i in ids[:3]]
        assert [j.attempts for j in taken] == [1, 1, 1] and len({j.worker for j in taken}) == 1
        assert [j.outcome for j in taken] == ["added with 1 claim", "added with 1 claim", "added with 2 claims"]
    assert jobs.run(factory, ids[3]) == "done"


def test_a_runner_takes_along_no_more_bytes_than_its_bound(factory, monkeypatch):
    monkeypatch.setattr(ingest, "BATCH_BYTES", len(LIBRARIES.encode()) + len(LIBRARIES_AGAIN.encode()))
    ids = _queued(factory, ("a.txt", LIBRARIES), ("b.txt", LIBRARIES_AGAIN), ("c.txt", FERRIES))
    jobs.run(factory, ids[0])
    assert [state for state, _ in _states(factory, ids)] == ["done", "done", "queued"]


def test_a_runner_never_takes_along_jobs_of_another_kind_or_already_running(factory, monkeypatch):
    ids = _queued(factory, ("a.txt", LIBRARIES), ("b.txt", LIBRARIES_AGAIN))
    with factory() as session:
        rebuild = jobs.new_conflicts_job(session).id
        session.commit()
        records.claim(session, ids[1])  # another runner holds it
    jobs.run(factory, ids[0])
    assert [state for state, _ in _states(factory, [ids[0], ids[1], rebuild])] == ["done", "reading", "queued"]


def test_in_a_batch_an_unreadable_file_is_refused_alone(factory, db_session):
    ids = _queued(factory, ("a.txt", LIBRARIES), ("photo.txt", b"\x89PNG\r\n\x1a\n" + bytes(64)), ("c.txt", FERRIES))
    assert jobs.run(factory, ids[0]) == "done"
    states = _states(factory, ids)
    assert [state for state, _ in states] == ["done", "refused", "done"]
    assert states[1][1].startswith("binary file")
    assert _count(db_session, Document) == 2


def test_in_a_batch_a_failed_extraction_fails_its_job_alone(factory, db_session, monkeypatch):
    real = tasks.prepare_apart

    def extract(source):
        if source.file_name == "b.txt":
            raise RuntimeError("extraction in a child process failed: out of memory")
        return real(source)

    monkeypatch.setattr(tasks, "prepare_apart", extract)
    ids = _queued(factory, ("a.txt", LIBRARIES), ("b.txt", LIBRARIES_AGAIN), ("c.txt", FERRIES))
    jobs.run(factory, ids[0])
    assert _states(factory, ids) == [("done", "added with 1 claim"),
                                     ("failed", "extraction in a child process failed: out of memory"),
                                     ("done", "added with 2 claims")]
    assert _count(db_session, Document) == 2


def test_when_storing_a_batch_fails_each_job_is_run_alone_and_only_the_bad_one_fails(factory, db_session, monkeypatch):
    def refuse_b(session, documents):
        if any(document.file_name == "b.txt" for document in documents):
            raise ValueError("b.txt cannot be checked")

    monkeypatch.setattr(ingest, "AFTER_STORE", [refuse_b, *ingest.AFTER_STORE])
    ids = _queued(factory, ("a.txt", LIBRARIES), ("b.txt", LIBRARIES_AGAIN), ("c.txt", FERRIES))
    jobs.run(factory, ids[0])
    assert _states(factory, ids) == [("done", "added with 1 claim"), ("failed", "b.txt cannot be checked"),
                                     ("done", "added with 2 claims")]
    assert sorted(db_session.scalars(sa.select(Document.file_name))) == ["a.txt", "c.txt"]
    with factory() as session:
        assert session.get(Job, ids[1]).payload == LIBRARIES_AGAIN.encode()  # kept, to run again once mended


def test_a_passing_database_error_while_storing_a_batch_retries_the_whole_batch(factory, db_session, monkeypatch):
    calls = []

    def flaky(session, batch):
        calls.append(len(batch))
        if len(calls) == 1:
            raise sa.exc.OperationalError("INSERT INTO documents", {}, Exception("server closed the connection"))
        return ingest.store_many(session, batch)

    monkeypatch.setattr(tasks, "store_many", flaky)
    ids = _queued(factory, ("a.txt", LIBRARIES), ("c.txt", FERRIES))
    assert jobs.run(factory, ids[0], backoff=(0,)) == "done"
    assert calls == [2, 2]
    assert [state for state, _ in _states(factory, ids)] == ["done", "done"]
    assert _count(db_session, Document) == 2


def test_a_batch_the_database_keeps_failing_goes_back_to_the_queue_whole(factory, db_session, monkeypatch):
    def down(session, batch):
        raise sa.exc.OperationalError("INSERT INTO documents", {}, Exception("connection refused"))

    monkeypatch.setattr(tasks, "store_many", down)
    ids = _queued(factory, ("a.txt", LIBRARIES), ("c.txt", FERRIES))
    with pytest.raises(tasks.Retry):
        jobs.run(factory, ids[0], backoff=(0,))
    assert [state for state, _ in _states(factory, ids)] == ["queued", "queued"]
    assert _count(db_session, Document) == 0


def test_a_passing_error_while_taking_the_backlog_along_runs_the_claimed_job_alone(factory, monkeypatch):
    real, calls = records.claim_backlog, []

    def flaky(session, count, max_bytes):
        calls.append(1)
        raise sa.exc.OperationalError("SELECT jobs", {}, Exception("server closed the connection"))

    monkeypatch.setattr(records, "claim_backlog", flaky)
    ids = _queued(factory, ("a.txt", LIBRARIES), ("c.txt", FERRIES))
    assert jobs.run(factory, ids[0], backoff=(0,)) == "done"
    assert calls == [1]
    assert [state for state, _ in _states(factory, ids)] == ["done", "queued"]
    monkeypatch.setattr(records, "claim_backlog", real)
    assert jobs.run(factory, ids[1]) == "done"


def test_in_a_batch_any_other_error_reading_a_file_fails_that_job_alone(factory, db_session, monkeypatch):
    real = tasks.decode_document

    def decode(data, name, **kwargs):
        if name == "b.txt":
            raise OSError(24, "Too many open files")
        return real(data, name, **kwargs)

    monkeypatch.setattr(tasks, "decode_document", decode)
    ids = _queued(factory, ("a.txt", LIBRARIES), ("b.txt", LIBRARIES_AGAIN), ("c.txt", FERRIES))
    assert jobs.run(factory, ids[0]) == "done"
    assert _states(factory, ids) == [("done", "added with 1 claim"), ("failed", "[Errno 24] Too many open files"),
                                     ("done", "added with 2 claims")]


def test_a_passing_database_error_while_storing_a_batch_does_not_extract_it_again(factory, monkeypatch):
    extracted, stores = [], []
    real_prepare = tasks.prepare_apart

    def counted(source):
        extracted.append(source.file_name)
        return real_prepare(source)

    def flaky(session, batch):
        stores.append(1)
        if len(stores) == 1:
            raise sa.exc.OperationalError("COPY claims", {}, Exception("deadlock detected"))
        return ingest.store_many(session, batch)

    monkeypatch.setattr(tasks, "prepare_apart", counted)
    monkeypatch.setattr(tasks, "store_many", flaky)
    ids = _queued(factory, ("a.txt", LIBRARIES), ("c.txt", FERRIES))
    assert jobs.run(factory, ids[0], backoff=(0,)) == "done"
    assert extracted == ["a.txt", "c.txt"] and len(stores) == 2
    with factory() as session:
        assert [session.get(Job, i).attempts for i in ids] == [1, 1]


def test_a_batch_whose_first_job_was_forgotten_meanwhile_still_ends_the_others(factory, monkeypatch):
    ids = _queued(factory, ("photo.txt", b"\x89PNG\r\n\x1a\n" + bytes(64)), ("a.txt", LIBRARIES))
    real = tasks.prepare_apart

    def extract(source):
        # Meanwhile the uploader's page saw its job refused and forgot it, as the upload view does.
        with factory() as other:
            records.forget(other, other.get(Job, ids[0]))
            other.commit()
        return real(source)

    monkeypatch.setattr(tasks, "prepare_apart", extract)
    assert jobs.run(factory, ids[0]) is None
    with factory() as session:
        assert session.get(Job, ids[0]) is None and session.get(Job, ids[1]).state == "done"


def test_a_pdf_is_never_batched_its_text_may_be_far_longer_than_its_bytes(factory):
    ids = _queued(factory, ("a.txt", LIBRARIES), ("scan.PDF", b"%PDF-1.4 not really"), ("c.txt", FERRIES))
    jobs.run(factory, ids[0])
    assert [state for state, _ in _states(factory, ids)] == ["done", "queued", "done"]
    ids = _queued(factory, ("report.pdf", b"%PDF-1.4 not really"), ("d.txt", LIBRARIES_AGAIN))
    jobs.run(factory, ids[0])
    assert [state for state, _ in _states(factory, ids)][1] == "queued"
