"""Background jobs without Redis: job rows, their steps, retries, the in-app thread, the pages and the commands."""
import io
import json
import re
import threading

import pytest
import sqlalchemy as sa

from claimtrack import accounts, jobs
from claimtrack.database import make_engine, make_sessionmaker
from claimtrack.jobs import InlineQueue, ThreadQueue, records, tasks
from claimtrack.sources import Metadata
from models import Claim, Document, Job, utcnow

from .conftest import PASSWORD, Auth, csrf_token

HARBOUR = b"Harbour bulletin\n\nIn 2023 the port handled 48,000 containers, up 12% on 2022.\n"
MILL = b"Mill report\n\nThe mill pressed 3,200 tonnes of olives in 2021.\n"


class StoppedQueue(jobs.JobQueue):
    """A queue whose worker is busy elsewhere: jobs stay queued until `drain`."""

    def __init__(self, factory):
        self.factory, self.submitted = factory, []

    def submit(self, job_id):
        self.submitted.append(job_id)

    def wait(self, job_id, timeout):
        return False

    def drain(self):
        for job_id in self.submitted:
            tasks.run(self.factory, job_id, backoff=())


@pytest.fixture
def factory(app):
    """The session factory the app's requests use (joined to the test's transaction)."""
    from webapp.db import EXTENSION

    return app.extensions[EXTENSION]


def _job(factory, data=HARBOUR, name="harbour.txt", **kwargs) -> int:
    with factory() as session:
        job = jobs.new_ingest_job(session, data, name, source=f"upload:{name}", **kwargs)
        session.commit()
        return job.id


def _get(factory, job_id) -> Job:
    with factory() as session:
        return session.get(Job, job_id)


def test_jobs_ingest_stores_document_and_ends_done(factory, db_session):
    job_id = _job(factory, given={"title": "Harbour", "author": "Port Office", "publisher": "", "published": None})
    assert jobs.run(factory, job_id) == "done"
    job = _get(factory, job_id)
    document = db_session.get(Document, job.document_id)
    assert (document.title, document.author, document.text) == ("Harbour", "Port Office", HARBOUR.decode())
    assert job.outcome == "added with 2 claims" and job.payload is None and job.attempts == 1
    assert job.finished_at is not None and jobs.describe(job) == "harbour.txt added with 2 claims."
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Claim)) == 2


def test_jobs_ingest_known_metadata_and_published_date(factory, db_session):
    from datetime import date

    job_id = _job(factory, MILL, "mill.txt", known=Metadata(title="Olive mill", author="Co-op",
                                                            published=date(2022, 3, 1)), published=date(2022, 5, 1))
    jobs.run(factory, job_id)
    document = db_session.get(Document, _get(factory, job_id).document_id)
    assert (document.title, document.author, document.published) == ("Olive mill", "Co-op", date(2022, 5, 1))


def test_jobs_finished_job_is_not_run_again(factory, db_session):
    job_id = _job(factory)
    assert jobs.run(factory, job_id) == "done"
    assert jobs.run(factory, job_id) is None
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Document)) == 1
    assert _get(factory, job_id).attempts == 1


def test_jobs_same_text_twice_is_a_duplicate_not_a_copy(factory, db_session):
    first, second = _job(factory), _job(factory, name="again.txt")
    jobs.run(factory, first)
    jobs.run(factory, second)
    job = _get(factory, second)
    assert job.state == "done" and job.document_id == _get(factory, first).document_id
    assert records.changed_nothing(job) and not records.changed_nothing(_get(factory, first))
    assert jobs.describe(job) == f"again.txt is already stored as document {job.document_id}; nothing changed."
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Document)) == 1


@pytest.mark.parametrize(("data", "name", "reason"), [
    (b"\x89PNG\r\n\x1a\n" + bytes(64), "photo.txt", "binary file"),
    (b"", "empty.txt", "empty file"),
    (b"Hello", "notes.docx", "unsupported file type"),
])
def test_jobs_unreadable_file_is_refused_with_its_reason(factory, db_session, data, name, reason):
    job_id = _job(factory, data, name)
    assert jobs.run(factory, job_id) == "refused"
    job = _get(factory, job_id)
    assert job.outcome.startswith(reason) and job.payload is None and job.document_id is None
    assert jobs.describe(job).startswith(f"{name} refused: {reason}")
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Document)) == 0


def test_jobs_passing_database_error_is_retried(factory, db_session, monkeypatch):
    real_store, calls = tasks.store, []

    def flaky_store(session, prepared):
        calls.append(1)
        if len(calls) == 1:
            raise sa.exc.OperationalError("INSERT INTO documents", {}, Exception("server closed the connection"))
        return real_store(session, prepared)

    monkeypatch.setattr(tasks, "store", flaky_store)
    job_id = _job(factory)
    assert jobs.run(factory, job_id, backoff=(0,)) == "done"
    assert len(calls) == 2 and _get(factory, job_id).attempts == 1
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Document)) == 1


def test_jobs_database_failing_past_backoff_puts_job_back(factory, monkeypatch):
    def down(session, prepared):
        raise sa.exc.OperationalError("INSERT INTO documents", {}, Exception("connection refused"))

    monkeypatch.setattr(tasks, "store", down)
    job_id = _job(factory)
    with pytest.raises(tasks.Retry, match="the database kept failing"):
        jobs.run(factory, job_id, backoff=(0, 0))
    job = _get(factory, job_id)
    assert job.state == "queued" and job.payload == HARBOUR
    monkeypatch.undo()
    assert jobs.run(factory, job_id) == "done" and _get(factory, job_id).attempts == 2


def test_jobs_other_error_fails_job_keeps_bytes_and_can_run_again(factory, db_session, monkeypatch):
    def broken(source):
        raise ValueError("extractor broke\non two lines")

    monkeypatch.setattr(tasks, "prepare_apart", broken)
    job_id = _job(factory)
    assert jobs.run(factory, job_id) == "failed"
    job = _get(factory, job_id)
    assert job.outcome == "extractor broke on two lines" and job.payload == HARBOUR
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Document)) == 0
    monkeypatch.undo()
    with factory() as session:
        job = session.get(Job, job_id)
        assert records.retry(session, job)
        session.commit()
        assert not records.retry(session, session.get(Job, _job(factory, MILL, "mill.txt")))
    assert jobs.run(factory, job_id) == "done"


def test_jobs_two_tabs_running_a_failed_job_again_run_it_once(committed, backend, monkeypatch):
    """Both tabs read the job as failed; the second to press "Run again" must not queue it a second time."""
    if backend == "sqlite":
        pytest.skip("SQLite's writing transactions begin IMMEDIATE: the second tab's request waits for the first")
    def broken(source):
        raise ValueError("extractor broke")

    monkeypatch.setattr(tasks, "prepare_apart", broken)
    job_id = _job(committed)
    assert jobs.run(committed, job_id, backoff=()) == "failed"
    monkeypatch.undo()
    with committed() as first_tab, committed() as second_tab:
        first, second = first_tab.get(Job, job_id), second_tab.get(Job, job_id)
        assert first.state == second.state == "failed" and first.payload and second.payload
        assert records.retry(first_tab, first)
        first_tab.commit()
        assert jobs.run(committed, job_id, backoff=()) == "done"
        assert not records.retry(second_tab, second), "the job was run again already"
        second_tab.commit()
    job = _get(committed, job_id)
    assert job.state == "done" and job.outcome.startswith("added with")
    assert jobs.run(committed, job_id, backoff=()) is None
    with committed() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Document)) == 1


def test_jobs_running_job_is_taken_over_only_once_stale(factory, db_session):
    job_id = _job(factory)
    with factory() as session:
        assert records.claim(session, job_id) is not None
        assert records.claim(session, job_id) is None, "a running job belongs to its runner"
        session.execute(sa.update(Job).where(Job.id == job_id)
                        .values(updated_at=utcnow() - records.STALE_AFTER - records.STALE_AFTER))
        session.commit()
        assert records.orphaned(session) == [job_id]
    assert jobs.run(factory, job_id) == "done" and _get(factory, job_id).attempts == 2


def test_jobs_conflict_rebuild_job(factory, db_session):
    for data, name in ((b"In 2023 Gansu had 66 international sister cities.", "a.txt"),
                       (b"In 2023 Gansu had 69 international sister cities.", "b.txt")):
        jobs.run(factory, _job(factory, data, name))
    with factory() as session:
        job_id = jobs.new_conflicts_job(session).id
        session.commit()
    assert jobs.run(factory, job_id) == "done"
    job = _get(factory, job_id)
    assert re.fullmatch(r"checked 2 claims in \d+ groups: 1 open conflicts, 0 re-opened", job.outcome)
    assert jobs.describe(job).startswith("Conflict rebuild checked 2 claims")


@pytest.fixture
def committed(fresh_database):
    """A session factory on a fresh committed database with a reviewer (threads need real commits)."""
    engine = make_engine(fresh_database)
    factory = make_sessionmaker(engine)
    with factory() as session:
        accounts.create_user(session, "rita", PASSWORD, "reviewer")
        session.commit()
    yield factory
    engine.dispose()


def test_jobs_thread_queue_runs_jobs_and_picks_up_orphans(committed):
    orphan = _job(committed, MILL, "mill.txt")  # queued by a process that stopped before running it
    queue = ThreadQueue(committed)
    try:
        fresh = _job(committed)
        queue.submit(fresh)
        assert queue.wait(fresh, 60)
        assert queue.wait(orphan, 60)
    finally:
        queue.shutdown()
    with committed() as session:
        assert sorted(session.scalars(sa.select(Document.file_name))) == ["harbour.txt", "mill.txt"]
        assert set(session.scalars(sa.select(Job.state))) == {"done"}


def test_jobs_two_thread_queues_run_each_job_once(committed):
    ids = [_job(committed, f"In {2000 + i} the mill pressed {i + 1},000 tonnes.".encode(), f"m{i}.txt") for i in range(6)]
    queues = [ThreadQueue(committed), ThreadQueue(committed)]
    try:
        start = threading.Barrier(2)

        def submit_all(queue):
            start.wait()
            for job_id in ids:
                queue.submit(job_id)

        threads = [threading.Thread(target=submit_all, args=(q,)) for q in queues]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for queue in queues:
            for job_id in ids:
                queue.wait(job_id, 60)
    finally:
        for queue in queues:
            queue.shutdown()
    with committed() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Document)) == 6
        assert session.execute(sa.select(Job.state, Job.attempts)).all() == [("done", 1)] * 6


# --- pages


def _upload(client, data=HARBOUR, name="harbour.txt"):
    form = {"csrf_token": csrf_token(client, "/documents"), "file": (io.BytesIO(data), name)}
    return client.post("/documents", data=form, content_type="multipart/form-data")


def test_jobs_upload_past_its_wait_shows_the_job_then_its_document(app, client, reviewer, auth, factory):
    from webapp.jobs import EXTENSION

    queue = app.extensions[EXTENSION] = StoppedQueue(factory)
    auth.login("rita")
    response = _upload(client)
    assert response.status_code == 303
    job_id = int(re.fullmatch(r"/jobs/(\d+)", response.headers["Location"])[1])
    page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert "harbour.txt is queued for reading" in page and 'class="job-state queued"' in page
    assert "Your uploads" in client.get("/documents").get_data(as_text=True)
    status = client.get(f"/jobs/status?ids={job_id}").get_json()["jobs"][0]
    assert (status["state"], status["finished"], status["document_url"]) == ("queued", False, None)
    queue.drain()
    status = client.get(f"/jobs/status?ids={job_id}").get_json()["jobs"][0]
    assert (status["state"], status["state_label"], status["finished"]) == ("done", "done", True)
    assert status["message"] == "harbour.txt added with 2 claims."
    assert status["document_url"] == f"/documents/{status['document_id']}"
    page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert f'href="/documents/{status["document_id"]}"' in page


def test_jobs_refusal_found_later_stays_listed(app, client, reviewer, auth, factory):
    from webapp.jobs import EXTENSION

    queue = app.extensions[EXTENSION] = StoppedQueue(factory)
    auth.login("rita")
    _upload(client, b"\x00\x01binary", "photo.txt")
    queue.drain()
    page = client.get("/jobs").get_data(as_text=True)
    assert "refused" in page and "binary file" in page


def test_jobs_reviewer_sees_own_jobs_lead_sees_all(app, client, reviewer, lead, auth, factory, db_session):
    otto = accounts.create_user(db_session, "otto", PASSWORD, "reviewer")
    db_session.commit()
    mine = _job(factory, created_by_id=reviewer.id)
    theirs = _job(factory, MILL, "mill.txt", created_by_id=otto.id)
    auth.login("rita")
    page = client.get("/jobs").get_data(as_text=True)
    assert "harbour.txt" in page and "mill.txt" not in page
    assert client.get(f"/jobs/{theirs}").status_code == 404
    assert [j["id"] for j in client.get(f"/jobs/status?ids={mine},{theirs}").get_json()["jobs"]] == [mine]
    assert "Rebuild conflict groups" not in page
    assert client.post("/jobs/conflicts", data={"csrf_token": csrf_token(client, "/jobs")}).status_code == 403
    Auth(client).logout()
    auth.login("lena")
    page = client.get("/jobs").get_data(as_text=True)
    assert "harbour.txt" in page and "mill.txt" in page and "otto" in page and "rita" in page
    assert client.get(f"/jobs/{theirs}").status_code == 200


@pytest.mark.parametrize("ids", ["x", "1,,2,abc", ",".join(["1"] * 101), "99999999999"])
def test_jobs_status_bad_ids_refused(client, reviewer, auth, ids):
    auth.login("rita")
    response = client.get(f"/jobs/status?ids={ids}")
    assert response.status_code == 400


def test_jobs_lead_queues_rebuild_and_runs_failed_job_again(app, client, lead, auth, factory, monkeypatch):
    auth.login("lena")
    response = client.post("/jobs/conflicts", data={"csrf_token": csrf_token(client, "/jobs")})
    assert response.status_code == 303
    job_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert _get(factory, job_id).state == "done"
    assert "checked 0 claims in 0 groups" in client.get(f"/jobs/{job_id}").get_data(as_text=True)

    monkeypatch.setattr(tasks, "prepare_apart", lambda source: 1 / 0)
    failed = _job(factory)
    jobs.run(factory, failed)
    monkeypatch.undo()
    page = client.get(f"/jobs/{failed}").get_data(as_text=True)
    assert "failed" in page and "division by zero" in page and "Run again" in page
    response = client.post(f"/jobs/{failed}/retry", data={"csrf_token": csrf_token(client, f"/jobs/{failed}")})
    assert response.status_code == 303 and _get(factory, failed).state == "done"
    again = client.post(f"/jobs/{failed}/retry", data={"csrf_token": csrf_token(client, f"/jobs/{failed}")})
    assert again.status_code == 409 and "only a failed job can be run again" in again.get_data(as_text=True)


# --- commands


def test_jobs_ingest_enqueue_without_redis_runs_each_job_here(runner, tmp_path, db_session):
    (tmp_path / "harbour.txt").write_bytes(HARBOUR)
    (tmp_path / "copy.txt").write_bytes(HARBOUR)
    (tmp_path / "photo.txt").write_bytes(b"\x00binary")
    result = runner.invoke(args=["ingest", str(tmp_path), "--enqueue"])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert any(re.fullmatch(rf"done +{re.escape(str(tmp_path / 'copy.txt'))}: job \d+, added with 2 claims", line)
               for line in lines)
    assert any(line.startswith(f"unchanged {tmp_path / 'harbour.txt'}: already stored as document") for line in lines)
    assert any(line.startswith(f"refused   {tmp_path / 'photo.txt'}: binary file") for line in lines)
    assert lines[-1] == "2 jobs ran here, 1 refused (no CLAIMTRACK_REDIS_URL: no queue to hand them to)"
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Document)) == 1
    # What changed nothing left no job behind.
    assert db_session.execute(sa.select(Job.file_name, Job.state)).all() == [("copy.txt", "done")]

    listed = runner.invoke(args=["jobs", "--format", "jsonl"])
    assert listed.exit_code == 0
    record = json.loads(listed.output)
    assert (record["kind"], record["state"], record["file_name"], record["outcome"]) == (
        "ingest", "done", "copy.txt", "added with 2 claims")
    text = runner.invoke(args=["jobs", "--state", "failed"])
    assert text.exit_code == 0 and text.output == ""


def test_jobs_conflicts_rebuild_enqueue_without_redis(runner):
    result = runner.invoke(args=["conflicts", "--rebuild", "--enqueue"])
    assert result.exit_code == 0, result.output
    assert re.search(r"done +conflict rebuild: job \d+, Conflict rebuild checked 0 claims", result.output)
    bad = runner.invoke(args=["conflicts", "--enqueue"])
    assert bad.exit_code == 2 and "give --rebuild too" in bad.output


def test_jobs_worker_needs_redis(runner):
    result = runner.invoke(args=["worker", "--burst"])
    assert result.exit_code == 1 and "claimtrack worker needs CLAIMTRACK_REDIS_URL" in result.output


def test_jobs_command_lists_jobs_while_a_worker_is_writing(committed, fresh_database, tmp_path):
    """`claimtrack jobs` only reads: it answers at once while a worker holds a write open (a large document being stored)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    job_id = _job(committed)
    engine = make_engine(fresh_database)
    env = {**os.environ, "DATABASE_URL": fresh_database, "SECRET_KEY": "jobs-command-test",
           "CLAIMTRACK_INSTANCE_PATH": str(tmp_path / "instance")}
    env.pop("CLAIMTRACK_REDIS_URL", None)
    try:
        with engine.connect() as writer:
            writer.execute(sa.update(Job).where(Job.id == job_id).values(state="checking", updated_at=utcnow()))
            listed = subprocess.run([str(Path(sys.executable).parent / "claimtrack"), "jobs"], env=env,
                                    capture_output=True, text=True, timeout=20)
            writer.rollback()
    finally:
        engine.dispose()
    assert listed.returncode == 0, listed.stderr
    assert re.search(rf"^\s*{job_id}\s+ingest\s+queued\s+harbour.txt: queued.$", listed.stdout, re.M), listed.stdout


# --- exports


def _seed_verified(db_session, reviewer):
    from claimtrack import review

    from .factories import ClaimFactory, DocumentFactory

    document = DocumentFactory(text="The harbour moved 41 ships, 17 barges and =9 ferries in 2022.")
    claims = [ClaimFactory(document=document, quote_text=q, value=float(q.strip("=")), subject="=cmd|calc")
              for q in ("41", "17", "=9")]
    db_session.flush()
    for claim in claims[:2]:
        review.decide(db_session, claim, reviewer, "verify", version=claim.version, now=utcnow(), check_lease=False)
    db_session.commit()
    return claims


def test_jobs_export_job_gives_the_same_csv_as_the_download(client, reviewer, auth, db_session, factory):
    _seed_verified(db_session, reviewer)
    auth.login("rita")
    direct = client.get("/export.csv?status=verified&status=pending&bom=1").get_data()
    page = client.get("/export").get_data(as_text=True)
    assert 'id="export-job-form"' in page
    response = client.post("/export/jobs", data={"csrf_token": csrf_token(client, "/export"),
                                                 "query": "status=verified&status=pending&bom=1"})
    assert response.status_code == 303
    job_id = int(re.fullmatch(r"/jobs/(\d+)", response.headers["Location"])[1])
    job = _get(factory, job_id)
    assert (job.kind, job.state, job.outcome.split(",")[0]) == ("export", "done", "3 claims")
    status = client.get(f"/jobs/status?ids={job_id}").get_json()["jobs"][0]
    assert status["download_url"] == f"/jobs/{job_id}/export.csv"
    assert 'class="job-download"' in client.get(f"/jobs/{job_id}").get_data(as_text=True)
    download = client.get(status["download_url"])
    assert download.status_code == 200 and download.mimetype == "text/csv"
    assert re.fullmatch(r'attachment; filename="claims-\d{8}\.csv"', download.headers["Content-Disposition"])
    assert download.get_data() == direct and direct.startswith("\ufeffclaim_id,".encode())
    assert b"'=cmd|calc" in direct


def test_jobs_export_job_with_bad_filters_is_refused_and_queues_nothing(client, reviewer, auth, db_session):
    auth.login("rita")
    token = csrf_token(client, "/export")
    for query in ("status=bogus", "document=abc", "nonsense=1"):
        response = client.post("/export/jobs", data={"csrf_token": token, "query": query})
        assert response.status_code == 400, query
    assert client.post("/export/jobs", data={"query": ""}).status_code == 400
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Job)) == 0


def test_jobs_export_download_is_its_submitters_alone(client, reviewer, lead, auth, db_session, factory):
    otto = accounts.create_user(db_session, "otto", PASSWORD, "reviewer")
    _seed_verified(db_session, reviewer)
    with factory() as session:
        job_id = records.new_export_job(session, "", bom=False, created_by_id=reviewer.id).id
        session.commit()
    jobs.run(factory, job_id)
    auth.login("otto")
    assert client.get(f"/jobs/{job_id}/export.csv").status_code == 404
    Auth(client).logout()
    # A lead sees the job, but its CSV was filtered for its submitter: a lead may be blind to claims in it.
    auth.login("lena")
    assert b"download CSV" not in client.get("/jobs").get_data()
    assert client.get(f"/jobs/{job_id}/export.csv").status_code == 404
    Auth(client).logout()
    auth.login(reviewer.username)
    assert b"download CSV" in client.get("/jobs").get_data()
    assert client.get(f"/jobs/{job_id}/export.csv").get_data().count(b"\r\n") == 3  # header and two verified
    not_export = _job(factory)
    assert client.get(f"/jobs/{not_export}/export.csv").status_code == 404
    del otto


def test_jobs_redis_unreachable_runs_the_job_here(factory, db_session):
    from claimtrack.jobs import RedisQueue

    queue = RedisQueue("redis://127.0.0.1:1/0", factory, "claimtrack-test", InlineQueue(factory))
    job_id = _job(factory)
    queue.submit(job_id)
    assert queue.wait(job_id, 5)
    assert _get(factory, job_id).state == "done"
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Document)) == 1


def test_jobs_rebuild_asked_for_while_one_waits_in_the_queue_is_that_one(client, lead, auth, factory):
    """A double click, or a second lead: a full rebuild not yet started already covers every claim."""
    with factory() as session:
        waiting = jobs.new_conflicts_job(session, created_by_id=lead.id).id
        session.commit()
    auth.login("lena")
    response = client.post("/jobs/conflicts", data={"csrf_token": csrf_token(client, "/jobs")})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/jobs/{waiting}")
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"A full conflict rebuild is already queued (job {waiting}); it checks every claim." in html
    with factory() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Job).where(Job.kind == "conflicts")) == 1
