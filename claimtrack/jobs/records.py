"""Job rows: created at the edge (an upload, a command), claimed by exactly one runner, moved step by step."""
import os
import socket
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa
import sqlalchemy.orm as so

from models import ACTIVE_STATES, FINAL_STATES, Job, User, utcnow

from ..sources import PDF_SUFFIXES, Metadata

# A job in a running state whose row has not changed for this long lost its worker (a crash, a
# killed machine): another runner may take it over. Every step touches the row, and the longest
# step (reading a PDF, extracting 5 MiB of text) takes well under a minute.
STALE_AFTER = timedelta(minutes=10)

# Who ran a job, as `claimtrack jobs` shows it: the app or worker process (RQ's forked job processes keep their worker's name).
WORKER_NAME = f"{socket.gethostname()}:{os.getpid()}"

STATE_LABELS = {
    "queued": "queued", "reading": "reading", "extracting": "extracting claims",
    "checking": "checking conflicts", "writing": "writing the CSV", "done": "done", "refused": "refused", "failed": "failed",
}


def new_ingest_job(session: so.Session, data: bytes, file_name: str, *, source: str, created_by_id: int | None = None,
                   known: Metadata | None = None, given: dict | None = None, published: date | None = None) -> Job:
    """A queued job storing `data` as a document (the caller commits, then submits its id).

    `known` is the metadata a file's folder gave (`claimtrack ingest`), `given` what an uploader
    typed (title, author, publisher, published); `published` overrides both dates.
    """
    params = {"source": source}
    if known is not None:
        params["known"] = {"title": known.title, "author": known.author, "publisher": known.publisher,
                           "published": known.published.isoformat() if known.published else None,
                           "source_note": known.source_note}
    if given:
        params["given"] = {key: (value.isoformat() if isinstance(value, date) else value) for key, value in given.items()}
    if published is not None:
        params["published"] = published.isoformat()
    job = Job(kind="ingest", file_name=file_name[:500], params=params, payload=data,
              created_by_id=created_by_id)
    # Not flushed here: a folder's jobs are inserted together when they are committed.
    session.add(job)
    return job


def queued_conflicts_job(session: so.Session) -> Job | None:
    """The oldest full conflict rebuild still waiting to start, if any: it will check every claim as they are then."""
    return session.scalar(sa.select(Job).where(Job.kind == "conflicts", Job.state == "queued").order_by(Job.id).limit(1))


def new_conflicts_job(session: so.Session, created_by_id: int | None = None) -> Job:
    """A queued full conflict rebuild (the caller commits, then submits its id)."""
    job = Job(kind="conflicts", file_name="all claims", params={}, created_by_id=created_by_id)
    session.add(job)
    session.flush()
    return job


def new_export_job(session: so.Session, query: str, *, bom: bool, created_by_id: int) -> Job:
    """A queued CSV export of the claims the filters in `query` (a query string) match, as `created_by_id` may see them."""
    job = Job(kind="export", file_name=query[:500] or "(default filters)", params={"query": query, "bom": bom},
              created_by_id=created_by_id)
    session.add(job)
    session.flush()
    return job


FIRST_STATE = {"ingest": "reading", "conflicts": "checking", "export": "writing"}


def claim(session: so.Session, job_id: int) -> Job | None:
    """Take the job to run it, or None when it is finished or another runner holds it.

    One conditional UPDATE, so of two workers handed the same id (a retry, a requeue, two
    queues) exactly one gets it, on both databases.
    """
    now = utcnow()
    taken = session.execute(
        sa.update(Job)
        .where(Job.id == job_id,
               sa.or_(Job.state == "queued", sa.and_(Job.state.in_(ACTIVE_STATES), Job.updated_at < now - STALE_AFTER)))
        .values(**_taken(now, sa.case(*((Job.kind == kind, state) for kind, state in FIRST_STATE.items()))))
        .execution_options(synchronize_session=False)
    ).rowcount
    session.commit()
    return session.get(Job, job_id, populate_existing=True) if taken else None


def _taken(now, state) -> dict:
    """The columns a runner sets on the jobs it takes (`claim`, `claim_backlog`)."""
    return {"state": state, "attempts": Job.attempts + 1, "started_at": now, "updated_at": now, "outcome": "",
            "worker": WORKER_NAME}


def claim_backlog(session: so.Session, count: int, max_bytes: int) -> list[int]:
    """Take up to `count` more queued ingest jobs, oldest first and of at most `max_bytes` together, to run
    in one batch with a job just claimed; their ids. PDFs are left to run alone (`expands`).

    The same conditional UPDATE as `claim`, so a job is taken by one runner only; on PostgreSQL
    rows another runner is taking at that moment are passed over rather than waited for. The
    queue's own entries for these jobs then find them taken and do nothing.
    """
    candidates = session.execute(
        sa.select(Job.id, sa.func.coalesce(sa.func.length(Job.payload), 0))
        .where(Job.kind == "ingest", Job.state == "queued",
               *(sa.not_(sa.func.lower(Job.file_name).endswith(suffix)) for suffix in PDF_SUFFIXES))
        .order_by(Job.id).limit(count)
        .with_for_update(skip_locked=True)
    ).all()
    wanted, total = [], 0
    for job_id, size in candidates:
        total += size
        if total > max_bytes:
            break
        wanted.append(job_id)
    taken: list[int] = []
    if wanted:
        now = utcnow()
        taken = sorted(session.scalars(
            sa.update(Job).where(Job.id.in_(wanted), Job.state == "queued")
            .values(**_taken(now, FIRST_STATE["ingest"]))
            .returning(Job.id).execution_options(synchronize_session=False)
        ))
    session.commit()
    return taken


def expands(job: Job) -> bool:
    """Whether the job's text may be far longer than its bytes: a PDF's compressed pages (some KB can
    hold megabytes of text). Such a job is never batched, so a batch's bound on bytes bounds its text."""
    return Path(job.file_name).suffix.lower() in PDF_SUFFIXES


def advance(session: so.Session, job_ids: int | list[int], state: str) -> None:
    """Record that the jobs have reached `state` (committed at once, so pages show it)."""
    ids = [job_ids] if isinstance(job_ids, int) else list(job_ids)
    if ids:
        session.execute(sa.update(Job).where(Job.id.in_(ids)).values(state=state, updated_at=utcnow())
                        .execution_options(synchronize_session=False))
    session.commit()


def finish(job: Job, state: str, outcome: str, document_id: int | None = None) -> None:
    """Mark the job ended in `state` with its one-line outcome, in the caller's transaction.

    A done or refused upload's bytes are dropped; a failed one keeps them, to be run again once
    whatever failed is mended. An export's payload is its result, set by the job itself.
    """
    assert state in FINAL_STATES
    job.state, job.outcome = state, outcome[:500]
    if state != "failed" and job.kind == "ingest":
        job.payload = None
    job.document_id = document_id if document_id is not None else job.document_id
    job.finished_at = utcnow()


def requeue(session: so.Session, job_id: int) -> None:
    """Put a job that met a passing error back in the queue state, for a later attempt to claim."""
    session.execute(sa.update(Job).where(Job.id == job_id, Job.state.in_(ACTIVE_STATES))
                    .values(state="queued", updated_at=utcnow()))
    session.commit()


def orphaned(session: so.Session, older_than: timedelta = timedelta(0)) -> list[int]:
    """Ids of jobs nobody is running: queued (before `older_than` ago) or stale in a running state."""
    now = utcnow()
    return list(session.scalars(sa.select(Job.id).where(sa.or_(
        sa.and_(Job.state == "queued", Job.updated_at <= now - older_than),
        sa.and_(Job.state.in_(ACTIVE_STATES), Job.updated_at < now - STALE_AFTER),
    )).order_by(Job.id)))


def visible_jobs(session: so.Session, viewer: User, *, ids=None, after: int | None = None,
                 unfinished_or_since=None, limit: int = 50) -> list[Job]:
    """The jobs `viewer` may see, newest first: a lead sees everyone's, a reviewer their own."""
    query = (sa.select(Job).options(so.defer(Job.payload), so.selectinload(Job.created_by))
             .order_by(Job.id.desc()).limit(limit))
    if not viewer.is_lead:
        query = query.where(Job.created_by_id == viewer.id)
    if ids is not None:
        query = query.where(Job.id.in_(list(ids)))
    if after is not None:
        query = query.where(Job.id < after)
    if unfinished_or_since is not None:
        query = query.where(sa.or_(Job.state.not_in(FINAL_STATES), Job.finished_at >= unfinished_or_since))
    return list(session.scalars(query))


def describe(job: Job) -> str:
    """One sentence on where the job stands, as the flash after an upload and the CLI say it."""
    what = {"ingest": job.file_name, "conflicts": "Conflict rebuild", "export": "Export"}[job.kind]
    if job.state == "done":
        return f"{what} {job.outcome}."
    if job.state in ("refused", "failed"):
        return f"{what} {job.state}: {job.outcome}"
    return f"{what}: {STATE_LABELS[job.state]}."


def changed_nothing(job: Job) -> bool:
    """The job ended without changing anything: refused, or its document was already stored."""
    return job.state == "refused" or (job.state == "done" and (job.params or {}).get("result") == "duplicate")


def forget(session: so.Session, job: Job) -> None:
    """Delete a job that changed nothing once its submitter has been shown why (the caller commits).

    Input that is refused or already stored changes nothing; its row is kept only while nobody
    has seen the outcome, so that one found after the upload page was left is on /jobs.
    """
    assert changed_nothing(job)
    session.delete(job)


def retry(session: so.Session, job: Job) -> bool:
    """Queue a failed job again (the caller commits, then submits it); False if it did not fail.

    One conditional UPDATE, as `claim` is: of two leads (or tabs) pressing "Run again" on the
    job they both saw failed, only the first queues it; the second finds it queued, running or
    done, and changes nothing.
    """
    values = {"state": "queued", "outcome": "", "finished_at": None, "updated_at": utcnow()}
    if job.kind == "export":
        values["payload"] = None
    taken = session.execute(
        sa.update(Job)
        .where(Job.id == job.id, Job.state == "failed", sa.or_(Job.kind != "ingest", Job.payload.is_not(None)))
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.refresh(job)
    return bool(taken)


def as_json(job: Job) -> dict:
    """A job's record as `claimtrack jobs --format jsonl` prints it and the pages read it."""
    return {
        "id": job.id, "kind": job.kind, "state": job.state, "state_label": STATE_LABELS[job.state],
        "file_name": job.file_name, "outcome": job.outcome, "message": describe(job), "finished": job.finished,
        "document_id": job.document_id, "attempts": job.attempts, "worker": job.worker,
        "created_by_id": job.created_by_id,
        "created_at": job.created_at.isoformat(),
        "started_at": job.started_at.isoformat() if job.started_at else None,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
    }
