"""What each kind of job does, step by step, the same whichever queue runs it.

A job is idempotent: it is claimed by one runner at a time (`records.claim`), a document and
the job's "done" are committed in one transaction (a crash before it leaves no partial document
and the job runnable again), and a document already stored is a duplicate, never a second copy.
Under a backlog a runner takes several queued ingest jobs at once and stores them in one such
transaction (`ingest.BATCH_DOCUMENTS`).
Passing database errors (a dropped connection, a serialization failure) are retried here with
backoff; any other error fails the job with its one-line reason.
"""
import gzip
import io
import logging
import os
import threading
import time
from dataclasses import replace
from datetime import date

import sqlalchemy as sa
import sqlalchemy.orm as so

from models import Job

from .. import conflicts, ingest
from ..claim_filters import ClaimFilter
from ..database import make_engine, make_sessionmaker, refresh_statistics
from ..export import EXPORT_CONNECTIONS, EXPORT_DEFAULTS, CsvExport
from ..ingest import IngestResult, prepare_apart, store, store_many
from ..sources import DocumentError, Metadata, decode_document, with_known_metadata, with_metadata
from . import records

log = logging.getLogger("claimtrack.jobs")

# Errors that say nothing about the job, only about the database at that moment.
TRANSIENT = (sa.exc.OperationalError, sa.exc.InterfaceError)
# Seconds to wait before each further attempt after a transient error.
BACKOFF = (0.5, 2.0, 8.0)


class Retry(Exception):
    """The database kept failing past the backoff: the job is back in the queue for a later attempt."""


def run(factory: so.sessionmaker, job_id: int, backoff=BACKOFF, taken_along=None) -> str | None:
    """Run the job `job_id` to its end and return its final state, or None if it was not ours to run.

    An ingest job met with a backlog of queued ones takes some of them along (`records.claim_backlog`)
    and stores them all in one transaction, with one conflict check (`ingest.store_many`); once
    that is committed, `taken_along` (if given) is told the ids of the jobs it ran besides `job_id`.
    """
    ids = _retrying(job_id, backoff, lambda: _claim(factory, job_id))
    if not ids:
        return None
    try:
        if len(ids) == 1:
            return _retrying(job_id, backoff, lambda: _work(factory, job_id))
        states = _run_batch(factory, ids, backoff)
    except Retry:
        for taken in ids:
            _give_back(factory, taken)
        raise
    if taken_along is not None:
        taken_along(ids[1:])
    # None when the job's row is gone: its uploader saw it refused and it was forgotten meanwhile.
    return states.get(job_id)


def _retrying(job_id: int, backoff, step):
    """`step()`, attempted again after each pause of `backoff` while the database fails in passing."""
    for attempt, pause in enumerate((*backoff, None)):
        try:
            return step()
        except TRANSIENT as exc:
            log.warning("job %d: database error (%s), attempt %d", job_id, _one_line(exc), attempt + 1)
            if pause is None:
                raise Retry(f"job {job_id}: the database kept failing: {_one_line(exc)}") from exc
            time.sleep(pause)
    raise AssertionError("unreachable")


def _claim(factory: so.sessionmaker, job_id: int) -> list[int]:
    """The ids of the jobs this runner now holds: `job_id` and, for an ingest job, a share of the backlog."""
    with factory() as session:
        job = records.claim(session, job_id)
        if job is None:
            return []
        budget = ingest.BATCH_BYTES - len(job.payload or b"")
        if job.kind != "ingest" or ingest.BATCH_DOCUMENTS < 2 or budget <= 0 or records.expands(job):
            return [job_id]
        try:
            return [job_id, *records.claim_backlog(session, ingest.BATCH_DOCUMENTS - 1, budget)]
        except TRANSIENT as exc:
            # `job_id` is ours already (its claim is committed): run it alone, never leave it held by nobody.
            log.warning("job %d: could not take queued jobs along (%s); running it alone", job_id, _one_line(exc))
            session.rollback()
            return [job_id]


def _work(factory: so.sessionmaker, job_id: int) -> str:
    """One attempt at the claimed job; every step may run again after a passing error."""
    with factory() as session:
        job = session.get(Job, job_id)
        try:
            WORK[job.kind](session, job)
        except TRANSIENT:
            raise
        except Exception as exc:  # anything else is this job's own failure: record it, keep the worker going
            log.exception("job %d failed", job_id)
            session.rollback()
            job = session.get(Job, job_id, populate_existing=True)
            records.finish(job, "failed", _one_line(exc))
            session.commit()
        return job.state


def _give_back(factory: so.sessionmaker, job_id: int) -> None:
    try:
        with factory() as session:
            records.requeue(session, job_id)
    except TRANSIENT:
        log.warning("job %d: could not be put back in the queue; it counts as stale after %s",
                    job_id, records.STALE_AFTER)


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:400]


def _source(job: Job):
    """The job's bytes as a DocumentSource with the metadata it was given (DocumentError if they cannot be read)."""
    params = job.params or {}
    document = decode_document(job.payload or b"", job.file_name, source=params.get("source", ""))
    published = date.fromisoformat(params["published"]) if params.get("published") else None
    known = params.get("known")
    if known is not None or published is not None:
        metadata = None
        if known is not None:
            metadata = Metadata(**{**known, "published": date.fromisoformat(known["published"]) if known["published"] else None})
        document = with_known_metadata(document, metadata, published)
    if given := params.get("given"):
        document = with_metadata(document, title=given.get("title"), author=given.get("author"),
                                 publisher=given.get("publisher"),
                                 published=date.fromisoformat(given["published"]) if given.get("published") else None)
    return document


def _ingest(session: so.Session, job: Job) -> None:
    try:
        source = _source(job)
    except DocumentError as exc:
        records.finish(job, "refused", str(exc))
        session.commit()
        return
    records.advance(session, job.id, "extracting")
    prepared = prepare_apart(source)
    records.advance(session, job.id, "checking")
    # The document, its claims, their conflict check (store's hooks) and the job's end: one transaction.
    _finish_stored(job, store(session, prepared))
    session.commit()


def _finish_stored(job: Job, result: IngestResult) -> None:
    job.params = {**job.params, "result": result.status}
    if result.status == "duplicate":
        outcome = f"is already stored as document {result.document_id}; nothing changed"
    else:
        outcome = f"added with {result.claims} claim{'' if result.claims == 1 else 's'}"
        if result.skipped:
            outcome += f", {result.skipped} sentences skipped (extraction failed)"
    records.finish(job, "done", outcome, result.document_id)


def _run_batch(factory: so.sessionmaker, ids: list[int], backoff) -> dict[int, str]:
    """Claimed ingest jobs run together; each job's final state (a job whose row is gone has none).

    Step by step as `_ingest`, each step for the whole batch: a job whose file cannot be read is
    refused (or fails, for any other error), one whose extraction fails fails alone, and the rest
    are stored, checked and marked done in one transaction. Extraction runs once: a passing
    database error repeats only the step that met it.
    """
    sources = _retrying(ids[0], backoff, lambda: _read_batch(factory, ids))
    prepared, failed = {}, {}
    for job_id, source in sources.items():
        try:
            prepared[job_id] = prepare_apart(source)
        except Exception as exc:  # this document's own failure: the others go on
            log.exception("job %d failed", job_id)
            failed[job_id] = _one_line(exc)
    return _retrying(ids[0], backoff, lambda: _store_batch(factory, ids, prepared, failed))


def _read_batch(factory: so.sessionmaker, ids: list[int]) -> dict:
    """The batch's documents, read from its jobs' bytes; the jobs that cannot be read end here."""
    with factory() as session:
        sources = {}
        for job in _unfinished(session, ids):
            try:
                sources[job.id] = _source(job)
            except DocumentError as exc:
                records.finish(job, "refused", str(exc))
            except TRANSIENT:
                raise
            except Exception as exc:  # as `_work` fails a job alone on any error of its own
                log.exception("job %d failed", job.id)
                records.finish(job, "failed", _one_line(exc))
        records.advance(session, list(sources), "extracting")  # commits the refusals too
        return sources


def _store_batch(factory: so.sessionmaker, ids: list[int], prepared: dict, failed: dict) -> dict[int, str]:
    """Store the extracted documents of the batch and end their jobs, in one transaction.

    When that store fails for a reason of its own (not the database's passing trouble), each job
    is run again alone, so one bad document fails only itself. Jobs already ended (by an earlier
    attempt's run alone, or forgotten) are left as they are.
    """
    with factory() as session:
        jobs = {job.id: job for job in _unfinished(session, [*prepared, *failed])}
        prepared = {job_id: document for job_id, document in prepared.items() if job_id in jobs}
        records.advance(session, list(prepared), "checking")
        try:
            results = store_many(session, list(prepared.values()))
        except TRANSIENT:
            raise
        except Exception:
            log.exception("jobs %s: storing them together failed; running each alone", list(prepared))
            session.rollback()
            results = None
        if results is not None:
            for job_id, result in zip(prepared, results):
                _finish_stored(jobs[job_id], result)
        for job_id, reason in failed.items():
            if job_id in jobs:
                records.finish(jobs[job_id], "failed", reason)
        session.commit()
        if results is None:
            for job_id in prepared:
                _work(factory, job_id)
        return dict(session.execute(sa.select(Job.id, Job.state).where(Job.id.in_(ids))).all())


def _unfinished(session: so.Session, ids: list[int]) -> list[Job]:
    """The jobs of `ids` still to run, in order (a row deleted meanwhile is skipped)."""
    found = {job.id: job for job in session.scalars(sa.select(Job).where(Job.id.in_(ids)))}
    return [found[i] for i in ids if i in found and not found[i].finished]


def _rebuild_conflicts(session: so.Session, job: Job) -> None:
    report = conflicts.rebuild(session)
    records.finish(job, "done", f"checked {report.claims} claims in {report.groups} groups: "
                                f"{report.in_conflict} open conflicts, {report.reopened} re-opened")
    session.commit()
    refresh_statistics(session.connection())
    session.commit()


def _export(session: so.Session, job: Job) -> None:
    params = job.params or {}
    # As the web download reads it: claims awaiting the submitter's blind second review are left out.
    filters = replace(ClaimFilter.from_query(params.get("query", ""), EXPORT_DEFAULTS), viewer=job.created_by_id,
                      viewer_sees_no_blind=True)
    # Compressed as it is written: a million claims make about 500 MB of CSV and some 50 MB of gzip.
    out = io.BytesIO()
    export = CsvExport(session, filters, bom=bool(params.get("bom")), connections=EXPORT_CONNECTIONS)
    with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=6, mtime=0) as packed:
        for chunk in export.encoded():
            packed.write(chunk)
    job = session.get(Job, job.id, populate_existing=True)
    if export.failure:
        records.finish(job, "failed", f"the export stopped after {export.rows:,} claims: {export.failure}")
    else:
        job.payload = out.getvalue()
        records.finish(job, "done", f"{export.rows:,} claims, {len(job.payload) / 1024:,.0f} kB compressed")
    session.commit()


WORK = {"ingest": _ingest, "conflicts": _rebuild_conflicts, "export": _export}


# --- the database of a worker process (RQ imports `perform` by name and calls it with the job id)

_worker_database = {"url": None, "pid": None, "factory": None}
_worker_lock = threading.Lock()


def configure(database_url: str) -> None:
    """Tell this process's RQ jobs which database to use (`claimtrack worker` calls it before working)."""
    _worker_database.update(url=database_url, pid=None, factory=None)


def _worker_factory() -> so.sessionmaker:
    # Made in the process that runs the job: a connection pool must never cross a fork.
    with _worker_lock:
        if _worker_database["pid"] != os.getpid():
            if not _worker_database["url"]:
                raise RuntimeError("no database configured for jobs: run them with `claimtrack worker`")
            _worker_database.update(pid=os.getpid(), factory=make_sessionmaker(make_engine(_worker_database["url"])))
        return _worker_database["factory"]


def perform(job_id: int) -> str | None:
    """The RQ entry point: run job `job_id` on the configured database."""
    return run(_worker_factory(), job_id, taken_along=_off_the_queue)


def rq_job_id(job_id: int) -> str:
    """The id of a job's entry on the Redis queue: it names the job row."""
    return f"claimtrack-job-{job_id}"


def _off_the_queue(job_ids: list[int]) -> None:
    """Take the entries of jobs a batch ran along off the Redis queue, in one round trip.

    Left there, each would reach a worker only to find its job done; a worker that fetched one
    already finds the same. Redis failing here costs only that, so it is logged, not raised.
    """
    from redis.exceptions import RedisError
    from rq import Queue, get_current_job
    from rq.job import Job as QueuedJob

    current = get_current_job()
    if current is None or not job_ids:
        return
    queue = Queue(current.origin, connection=current.connection)
    try:
        with current.connection.pipeline() as pipe:
            for job_id in job_ids:
                queue.remove(rq_job_id(job_id), pipeline=pipe)
            removed = pipe.execute()
        # Only an entry still queued is forgotten: one a worker has fetched is that worker's to end.
        with current.connection.pipeline() as pipe:
            for job_id, count in zip(job_ids, removed):
                if count:
                    pipe.delete(QueuedJob.key_for(rq_job_id(job_id)))
            pipe.execute()
    except RedisError as exc:
        log.warning("jobs %s are done but still on the Redis queue (%s); their entries will find them done",
                    job_ids, _one_line(exc))
