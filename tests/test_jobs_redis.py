"""Background jobs on the real queue: RQ on the Redis server, `claimtrack worker` processes, on both databases.

Redis is TEST_REDIS_URL (default redis://127.0.0.1:6379), in a database number of this run's
own; each test has a queue of its own. Under CI a Redis that cannot be reached fails these
tests; elsewhere they are skipped.
"""
import io
import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from claimtrack import accounts
from claimtrack.database import make_engine
from models import Document, Job
from webapp import create_app

from .conftest import PASSWORD, Auth, csrf_token

pytestmark = pytest.mark.redis

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
# A database number of this run's own, so a developer's queue in database 0 is never touched.
REDIS_DB = 1 + os.getpid() % 15


@pytest.fixture(scope="session")
def redis_server_url() -> str:
    """This run's Redis database, emptied before and after the run (fails under CI when unreachable)."""
    from redis import Redis
    from redis.exceptions import ConnectionError as RedisConnectionError

    base = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379").rstrip("/")
    url = f"{base}/{REDIS_DB}"
    connection = Redis.from_url(url)
    try:
        connection.ping()
    except RedisConnectionError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"Redis at {base} is unreachable under CI: {exc}")
        pytest.skip(f"Redis at {base} is unreachable")
    connection.flushdb()
    yield url
    connection.flushdb()
    connection.close()


@pytest.fixture
def queue_env(redis_server_url, fresh_database, tmp_path) -> dict:
    """The environment of an app server or worker on this test's database and queue."""
    engine = make_engine(fresh_database)
    with sa.orm.Session(engine) as session:
        accounts.create_user(session, "rita", PASSWORD, "reviewer")
        session.commit()
    engine.dispose()
    return {**os.environ, "DATABASE_URL": fresh_database, "CLAIMTRACK_REDIS_URL": redis_server_url,
            "CLAIMTRACK_QUEUE": f"claimtrack-test-{uuid.uuid4().hex[:8]}", "SECRET_KEY": "queue-test-secret",
            "CLAIMTRACK_INSTANCE_PATH": str(tmp_path / "instance")}


def claimtrack(env: dict, *args: str) -> subprocess.Popen:
    """Start `claimtrack ARGS` as its own process, as an operator would."""
    return subprocess.Popen([str(Path(sys.executable).parent / "claimtrack"), *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(process: subprocess.Popen, timeout: float = 300) -> str:
    """Wait for the process; its output, asserting it succeeded."""
    out, err = process.communicate(timeout=timeout)
    assert process.returncode == 0, f"exit {process.returncode}\n{out}\n{err}"
    return out


@pytest.fixture
def corpus(tmp_path) -> Path:
    """A folder of documents: the seeds and a dozen short reports of our own."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    for seed in SEEDS.iterdir():
        if seed.is_file():
            (folder / seed.name).write_bytes(seed.read_bytes())
    for i in range(12):
        (folder / f"mill-{i:02}.txt").write_text(
            f"Olive mill report\n\nIn {2001 + i} the cooperative pressed {1200 + 37 * i:,} tonnes of olives "
            f"and employed {40 + i} people, up {i + 1}% on the year before.\n", encoding="utf-8")
    return folder


def _workers_listening(env: dict, count: int, timeout: float = 120) -> None:
    """Return once `count` workers wait on the test's queue (each has started and registered in Redis)."""
    from redis import Redis
    from rq import Queue, Worker

    redis = Redis.from_url(env["CLAIMTRACK_REDIS_URL"])
    deadline = time.monotonic() + timeout
    while len(Worker.all(queue=Queue(env["CLAIMTRACK_QUEUE"], connection=redis))) < count:
        assert time.monotonic() < deadline, "the workers never started"
        time.sleep(0.1)
    redis.close()


def _all_jobs_finished(url: str, expected: int, timeout: float = 300) -> None:
    engine = make_engine(url)
    deadline = time.monotonic() + timeout
    with engine.connect() as connection:
        while connection.scalar(sa.select(sa.func.count()).select_from(Job).where(Job.finished_at.is_not(None))) < expected:
            assert time.monotonic() < deadline, "the workers did not finish the jobs"
            connection.rollback()
            time.sleep(0.2)
    engine.dispose()


def test_jobs_two_workers_ingesting_one_folder_at_once_store_each_document_once(queue_env, corpus, fresh_database):
    # Two workers wait on the queue; two operators queue the same folder at the same moment.
    workers = [claimtrack(queue_env, "worker", "--name", f"w{i}-{uuid.uuid4().hex[:6]}") for i in range(2)]
    try:
        _workers_listening(queue_env, 2)
        enqueuers = [claimtrack(queue_env, "ingest", str(corpus), "--enqueue") for _ in range(2)]
        outputs = [finish(process) for process in enqueuers]
        files = sorted(path.name for path in corpus.iterdir() if path.suffix in (".txt", ".md", ".html"))
        for output in outputs:
            assert output.splitlines()[-1] == f"{len(files)} queued, 0 refused"
            assert len(re.findall(r"^queued +.*: job \d+$", output, re.M)) == len(files)
        _all_jobs_finished(fresh_database, 2 * len(files))
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)  # RQ's warm shutdown: the job in hand is finished first
    for worker in workers:
        finish(worker)

    engine = make_engine(fresh_database)
    with engine.connect() as connection:
        documents = connection.execute(sa.select(Document.file_name, Document.sha256)).all()
        jobs = connection.execute(sa.select(Job.file_name, Job.state, Job.params, Job.payload, Job.worker)).all()
    engine.dispose()
    assert sorted(name for name, _sha in documents) == files
    assert len({sha for _name, sha in documents}) == len(files)
    assert len(jobs) == 2 * len(files)
    assert {state for _f, state, _p, _b, _w in jobs} == {"done"}
    results = sorted((name, params["result"]) for name, _s, params, _b, _w in jobs)
    assert results == sorted([(name, "added") for name in files] + [(name, "duplicate") for name in files])
    assert all(payload is None for *_rest, payload, _w in jobs)
    assert len({worker for *_rest, worker in jobs}) == 2, "both workers should have taken jobs"

    listing = finish(claimtrack(queue_env, "jobs", "--limit", "100"))
    assert len(listing.splitlines()) == 2 * len(files)
    assert all(" done " in line for line in listing.splitlines())
    # The two workers' checks of documents about one fact took turns: the seeds' two conflicts meet,
    # as they do when one process ingests the folder.
    found = [json.loads(line) for line in finish(claimtrack(queue_env, "conflicts", "--format", "jsonl")).splitlines()]
    assert sorted((g["measure"], sorted(c["value"] for c in g["claims"])) for g in found) == [
        ("international air cargo route", [16.0, 21.0]), ("international sister city", [66.0, 69.0])]



def test_jobs_a_batch_takes_the_entries_of_the_jobs_it_ran_along_off_the_queue(queue_env, tmp_path, fresh_database):
    from redis import Redis
    from rq import Queue
    from rq.job import Job as QueuedJob

    folder = tmp_path / "few"
    folder.mkdir()
    for i in range(5):
        (folder / f"ferry-{i}.txt").write_text(f"In {2010 + i} the ferry carried {900 + i} passengers a day.\n")
    assert finish(claimtrack(queue_env, "ingest", str(folder), "--enqueue")).splitlines()[-1] == "5 queued, 0 refused"
    finish(claimtrack(queue_env, "worker", "--burst"))

    engine = make_engine(fresh_database)
    with engine.connect() as connection:
        jobs = connection.execute(sa.select(Job.id, Job.state).order_by(Job.id)).all()
    engine.dispose()
    assert [state for _id, state in jobs] == ["done"] * 5
    redis = Redis.from_url(queue_env["CLAIMTRACK_REDIS_URL"])
    queue = Queue(queue_env["CLAIMTRACK_QUEUE"], connection=redis)
    # The first job's entry ran the batch; the other four were taken off the queue, not run one by one.
    assert queue.count == 0
    assert queue.finished_job_registry.get_job_ids() == [f"claimtrack-job-{jobs[0].id}"]
    assert [QueuedJob.exists(f"claimtrack-job-{job_id}", connection=redis) for job_id, _ in jobs] == [True] + [False] * 4
    redis.close()

def test_jobs_upload_on_redis_shows_progress_until_a_worker_runs_it(queue_env, monkeypatch):
    for name in ("DATABASE_URL", "CLAIMTRACK_REDIS_URL", "CLAIMTRACK_QUEUE", "SECRET_KEY"):
        monkeypatch.setenv(name, queue_env[name])
    app = create_app({"INSTANCE_PATH": queue_env["CLAIMTRACK_INSTANCE_PATH"], "UPLOAD_WAIT": 0.2})
    client = app.test_client()
    Auth(client).login("rita")
    data = {"csrf_token": csrf_token(client, "/documents"),
            "file": (io.BytesIO(b"In 2022 the ferry carried 81,000 passengers."), "ferry.txt")}
    response = client.post("/documents", data=data, content_type="multipart/form-data")
    assert response.status_code == 303
    job_id = re.fullmatch(r"/jobs/(\d+)", response.headers["Location"])[1]
    assert client.get(f"/jobs/status?ids={job_id}").get_json()["jobs"][0]["state"] == "queued"

    finish(claimtrack(queue_env, "worker", "--burst"))
    status = client.get(f"/jobs/status?ids={job_id}").get_json()["jobs"][0]
    assert (status["state"], status["message"]) == ("done", "ferry.txt added with 1 claim.")
    assert client.get(status["document_url"]).status_code == 200
    from webapp.db import EXTENSION

    app.extensions[EXTENSION].kw["bind"].dispose()


def test_jobs_worker_requeues_jobs_queued_while_redis_was_away(queue_env, fresh_database):
    engine = make_engine(fresh_database)
    with sa.orm.Session(engine) as session:
        # Stored by an app server whose submit to Redis never arrived.
        session.add(Job(kind="conflicts", file_name="all claims", params={}))
        session.commit()
    finish(claimtrack(queue_env, "worker", "--burst"))
    with engine.connect() as connection:
        assert connection.execute(sa.select(Job.state, Job.attempts)).all() == [("done", 1)]
    engine.dispose()


def test_jobs_worker_takes_over_a_job_whose_worker_was_killed(queue_env, fresh_database):
    """kill -9 of a worker mid-job: RQ still says "started"; once the row is stale the next worker runs it."""
    from redis import Redis
    from rq import Queue
    from rq.job import JobStatus

    from claimtrack.jobs import records, tasks
    from models import utcnow

    engine = make_engine(fresh_database)
    with sa.orm.Session(engine) as session:
        job = Job(kind="conflicts", file_name="all claims", params={}, state="checking", attempts=1,
                  worker="gone:1", started_at=utcnow())
        session.add(job)
        session.commit()
        job_id = job.id
        # Its worker took it off the queue, began it and died; nothing touched its row for longer than STALE_AFTER.
        session.execute(sa.update(Job).where(Job.id == job_id)
                        .values(updated_at=utcnow() - records.STALE_AFTER - records.STALE_AFTER))
        session.commit()
    connection = Redis.from_url(queue_env["CLAIMTRACK_REDIS_URL"])
    queue = Queue(queue_env["CLAIMTRACK_QUEUE"], connection=connection)
    held = queue.enqueue(tasks.perform, job_id, job_id=f"claimtrack-job-{job_id}")
    queue.remove(held)
    held.set_status(JobStatus.STARTED)
    connection.close()
    finish(claimtrack(queue_env, "worker", "--burst"))
    with engine.connect() as connection:
        assert connection.execute(sa.select(Job.state, Job.attempts).where(Job.id == job_id)).one() == ("done", 2)
    engine.dispose()


def test_jobs_conflict_rebuild_enqueued_returns_at_once(queue_env, fresh_database):
    out = claimtrack(queue_env, "conflicts", "--rebuild", "--enqueue")
    _stdout, err = out.communicate(timeout=120)
    assert out.returncode == 0 and re.search(r"queued +conflict rebuild: job \d+", err)
    engine = make_engine(fresh_database)
    with engine.connect() as connection:
        assert connection.scalar(sa.select(Job.state)) == "queued"
    finish(claimtrack(queue_env, "worker", "--burst"))
    with engine.connect() as connection:
        assert connection.scalar(sa.select(Job.state)) == "done"
    engine.dispose()
