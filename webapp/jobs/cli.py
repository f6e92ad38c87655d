"""`claimtrack worker` runs queued jobs from Redis; `claimtrack jobs` lists jobs and their states."""
import json
import os
import socket

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext

from claimtrack.jobs import InlineQueue, RedisQueue, describe, tasks
from claimtrack.jobs.records import STATE_LABELS, as_json, orphaned
from models import JOB_KINDS, JOB_STATES, Job

from .. import db
from ..db import get_session, read_only_session
from . import job_queue


def command_queue():
    """The queue a command submits to: Redis when configured, else the command runs each job itself."""
    queue, factory = job_queue(), current_app.extensions[db.EXTENSION]
    if isinstance(queue, RedisQueue):
        # A command that exits at once cannot leave a job to a thread of its own if Redis is down.
        return RedisQueue(current_app.config["REDIS_URL"], factory, current_app.config["JOB_QUEUE"], InlineQueue(factory))
    return queue if isinstance(queue, InlineQueue) else InlineQueue(factory)


@click.command("worker")
@click.option("--burst", is_flag=True, help="Stop once the queue is empty instead of waiting for more jobs.")
@click.option("--name", help="The worker's name in Redis (default: host and process id).")
@with_appcontext
def worker_command(burst: bool, name: str | None):
    """Run queued jobs (uploads, `ingest --enqueue`, conflict rebuilds) from CLAIMTRACK_REDIS_URL."""
    queue = job_queue()
    if not isinstance(queue, RedisQueue):
        raise click.ClickException("claimtrack worker needs CLAIMTRACK_REDIS_URL: without Redis, jobs run in a "
                                   "thread inside the app and inline in the command line")
    from rq import SimpleWorker

    from claimtrack.prepare import prepare
    from claimtrack.sources import DocumentSource

    tasks.configure(current_app.config["DATABASE_URL"])
    # Load the extractor's tables once here: each job runs in a fork of this process and starts warm.
    prepare(DocumentSource(text="Warm-up: 1 claim.", file_name="warm-up.txt", source="", media_type="text/plain"))
    # Jobs queued while Redis was down, or left running by a worker that died, go on the queue again.
    # The ids are read and that transaction ended first: resubmitting reads each job's row on a session of its own.
    left = orphaned(get_session())
    get_session().commit()
    for job_id in left:
        queue.resubmit(job_id)
    # Jobs run in this process, one after another: its database pool and the extractor's tables
    # serve every job, where RQ's default forks a process per job that would open its own
    # connections. A worker that dies mid-job leaves its job to be taken over once stale.
    worker = SimpleWorker([queue.queue], connection=queue.connection,
                          name=name or f"{socket.gethostname()}.{os.getpid()}")
    click.echo(f"worker {worker.name} on queue {queue.queue.name}", err=True)
    worker.work(burst=burst, with_scheduler=True, logging_level="WARNING")


@click.command("jobs")
@click.option("--state", multiple=True, type=click.Choice(JOB_STATES), help="Only jobs in this state; repeat for several.")
@click.option("--kind", type=click.Choice(JOB_KINDS), help="Only jobs of this kind.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--format", "fmt", type=click.Choice(["text", "jsonl"]), default="text", show_default=True)
@with_appcontext
def jobs_command(state: tuple[str, ...], kind: str | None, limit: int, fmt: str):
    """List jobs, newest first, with their state and outcome."""
    query = sa.select(Job).options(sa.orm.defer(Job.payload)).order_by(Job.id.desc()).limit(limit)
    if state:
        query = query.where(Job.state.in_(state))
    if kind:
        query = query.where(Job.kind == kind)
    # Read beside writers: on SQLite a worker storing a large document holds the write lock for a while.
    with read_only_session() as session:
        for job in session.scalars(query):
            if fmt == "jsonl":
                click.echo(json.dumps(as_json(job), ensure_ascii=False))
            else:
                click.echo(f"{job.id:>7}  {job.kind:<9}  {STATE_LABELS[job.state]:<18}  {describe(job)}")
