"""Who runs a job: RQ workers on Redis, one thread inside the app, or the caller itself.

RQ, not Celery or Dramatiq: the jobs are a few plain functions taking a job id, and RQ needs
only Redis, runs them with no broker configuration or serializer to choose, retries with a
backoff schedule, and its workers are one command (`claimtrack worker` wraps `rq worker`).
Every queue's `submit` takes the id of a committed job row; the row, not the queue, is the
job's record, so whichever runs it the pages read the same progress.
"""
import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor

import sqlalchemy as sa
import sqlalchemy.orm as so

from models import ACTIVE_STATES, FINAL_STATES, Job

from . import records, tasks
from .tasks import rq_job_id

log = logging.getLogger("claimtrack.jobs")

DEFAULT_QUEUE = "claimtrack"
# RQ's own attempts after `tasks.run` gave up on a failing database: minutes apart, so a
# restarted server is back before the last one.
RQ_RETRY_INTERVALS = (30, 120, 600)
# Longest a job may run before RQ stops it: a PDF's reading limit and extraction of the largest document.
RQ_JOB_TIMEOUT = 900
# RQ job states in which the job is still on its way to a worker or running.
HELD = ("queued", "started", "deferred", "scheduled")


class JobQueue:
    """Runs submitted jobs; `wait` lets an upload answer at once when its job is quick."""

    def submit(self, job_id: int) -> None:
        """Have the committed job `job_id` run."""
        raise NotImplementedError

    def wait(self, job_id: int, timeout: float) -> bool:
        """Wait up to `timeout` seconds for the job to finish; True if it has."""
        raise NotImplementedError

    def submit_many(self, job_ids: list[int]) -> None:
        """Have each of these committed jobs run, in order."""
        for job_id in job_ids:
            self.submit(job_id)


class InlineQueue(JobQueue):
    """Runs each job at once in the caller (the command line without Redis, and request tests)."""

    def __init__(self, factory: so.sessionmaker):
        self.factory = factory

    def submit(self, job_id: int) -> None:
        """Run the job now."""
        tasks.run(self.factory, job_id)

    def wait(self, job_id: int, timeout: float) -> bool:
        """The job ran in `submit`: it has finished."""
        return True


class ThreadQueue(JobQueue):
    """One worker thread inside the app process: the embedded default, with no Redis to run.

    One thread because on SQLite writers take turns anyway, and extraction of a long document
    runs in a child process (`prepare_apart`), so the thread mostly waits. Jobs left queued by a
    process that stopped are taken up by the next one to start a job (`records.claim` keeps
    two processes from running the same one).
    """

    def __init__(self, factory: so.sessionmaker):
        self.factory = factory
        self._executor: ThreadPoolExecutor | None = None
        self._futures: dict[int, Future] = {}
        self._lock = threading.Lock()

    def submit(self, job_id: int) -> None:
        """Queue the job on the app's worker thread."""
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="claimtrack-job")
                with self.factory() as session:
                    # Older jobs first, as they were submitted; this one is among them.
                    pending = [i for i in records.orphaned(session) if i != job_id]
                for orphan in pending:
                    self._start(orphan)
            self._start(job_id)

    def _start(self, job_id: int) -> None:
        future = self._executor.submit(self._run, job_id)
        self._futures[job_id] = future
        future.add_done_callback(lambda _f: self._futures.pop(job_id, None))

    def _run(self, job_id: int) -> None:
        try:
            tasks.run(self.factory, job_id)
        except tasks.Retry:
            log.error("job %d: the database kept failing; it stays queued for the next start", job_id)
        except Exception:
            # Nobody waits on this thread: the log is where an error outside any job's own steps goes.
            log.exception("job %d could not be run", job_id)

    def wait(self, job_id: int, timeout: float) -> bool:
        """Wait for the thread to finish the job."""
        future = self._futures.get(job_id)
        if future is not None and not _finished_within(future, timeout):
            return False
        return _state(self.factory, job_id) in FINAL_STATES

    def shutdown(self) -> None:
        """Finish the running job and stop (tests; a server's process simply exits)."""
        with self._lock:
            if self._executor is not None:
                self._executor.shutdown(wait=True, cancel_futures=True)
                self._executor = None


def _finished_within(future: Future, timeout: float) -> bool:
    try:
        future.result(timeout)
    except TimeoutError:
        return False
    return True


class RedisQueue(JobQueue):
    """RQ on Redis: jobs run by `claimtrack worker` processes, on this machine or others."""

    def __init__(self, redis_url: str, factory: so.sessionmaker, name: str = DEFAULT_QUEUE,
                 fallback: JobQueue | None = None):
        from redis import Redis
        from rq import Queue

        self.factory = factory
        self.connection = Redis.from_url(redis_url, socket_connect_timeout=5, socket_timeout=30)
        self.queue = Queue(name, connection=self.connection)
        # Who runs a job when Redis cannot be reached: nobody's upload waits on a queue that is down.
        self.fallback = fallback or ThreadQueue(factory)
        self._fell_back: set[int] = set()

    def submit(self, job_id: int) -> None:
        """Put the job on the Redis queue (its RQ id names the job row), or run it here while Redis is down."""
        from redis.exceptions import RedisError

        try:
            self.queue.enqueue(tasks.perform, job_id, job_id=rq_job_id(job_id), job_timeout=RQ_JOB_TIMEOUT,
                               **_rq_options())
        except RedisError as exc:
            log.warning("job %d: Redis unreachable (%s); running it in this process", job_id, exc)
            self._fell_back.add(job_id)
            self.fallback.submit(job_id)

    def submit_many(self, job_ids: list[int]) -> None:
        """Put the jobs on the Redis queue in one round trip (`claimtrack ingest --enqueue` of a folder), or
        run them here while Redis is down."""
        from redis.exceptions import RedisError

        try:
            self.queue.enqueue_many([
                self.queue.prepare_data(tasks.perform, (job_id,), job_id=rq_job_id(job_id), timeout=RQ_JOB_TIMEOUT,
                                        **_rq_options())
                for job_id in job_ids])
        except RedisError as exc:
            log.warning("jobs %s: Redis unreachable (%s); running them in this process", job_ids, exc)
            self._fell_back.update(job_ids)
            self.fallback.submit_many(job_ids)

    def resubmit(self, job_id: int) -> None:
        """Submit an orphaned job (`records.orphaned`) again unless RQ still holds it (queued or waiting to retry).

        A job RQ calls started whose row is in a running state has lost its worker (`orphaned`
        returns a running one only once it is stale): RQ keeps saying "started" after a kill -9
        until its own job timeout passes, so that is no reason to leave the job where it is.
        """
        held = self.queue.fetch_job(rq_job_id(job_id))
        status = held.get_status(refresh=False) if held is not None else None
        if status not in HELD or (status == "started" and _state(self.factory, job_id) in ACTIVE_STATES):
            self.submit(job_id)

    def wait(self, job_id: int, timeout: float) -> bool:
        """Watch the job's row until it finishes or `timeout` passes."""
        if job_id in self._fell_back:
            return self.fallback.wait(job_id, timeout)
        deadline = time.monotonic() + timeout
        while True:
            if _state(self.factory, job_id) in FINAL_STATES:
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(min(0.1, max(0.0, deadline - time.monotonic())))


def _rq_options() -> dict:
    """What RQ keeps of each job and how it retries it, for `enqueue` and `enqueue_many` alike
    (their names for the time limit differ, so each passes that itself)."""
    from rq import Retry

    return {"retry": Retry(max=len(RQ_RETRY_INTERVALS), interval=list(RQ_RETRY_INTERVALS)),
            "result_ttl": 86_400, "failure_ttl": 7 * 86_400}


def _state(factory: so.sessionmaker, job_id: int) -> str | None:
    with factory() as session:
        return session.scalar(sa.select(Job.state).where(Job.id == job_id))


def make_queue(redis_url: str | None, factory: so.sessionmaker, name: str = DEFAULT_QUEUE,
               fallback: type[JobQueue] = ThreadQueue) -> JobQueue:
    """RQ on `redis_url` when one is set, else `fallback` (a thread in the app, inline in the CLI)."""
    if redis_url:
        return RedisQueue(redis_url, factory, name, fallback(factory))
    return fallback(factory)
