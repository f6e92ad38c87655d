"""`claimtrack conflicts`: list the groups in conflict, optionally after a full detection."""
import json

import click
from flask.cli import with_appcontext

from claimtrack import conflicts

from ..db import get_session


@click.command("conflicts")
@click.option("--format", "fmt", type=click.Choice(["jsonl"]), default="jsonl", show_default=True)
@click.option("--rebuild", is_flag=True, help="Detect conflicts over every claim first (keeps reviewers' merges and splits).")
@click.option("--enqueue", is_flag=True, help="With --rebuild: queue the rebuild for `claimtrack worker` and return at once.")
@click.option("--offline", is_flag=True,
              help="With --rebuild, when nobody is reviewing: on PostgreSQL a rebuild that re-places much of the "
                   "corpus locks the claims table and rebuilds its indexes after writing (faster; pages wait).")
@with_appcontext
def conflicts_command(fmt: str, rebuild: bool, enqueue: bool, offline: bool):
    """Print each group in conflict (open, unresolved, resolved) as a JSON line."""
    session = get_session()
    if offline and (not rebuild or enqueue):
        raise click.UsageError("--offline is for a rebuild run here: give --rebuild, without --enqueue")
    if enqueue:
        if not rebuild:
            raise click.UsageError("--enqueue queues a rebuild: give --rebuild too")
        from claimtrack.jobs import RedisQueue, describe, new_conflicts_job

        from ..jobs.cli import command_queue

        job = new_conflicts_job(session)
        session.commit()
        queue = command_queue()
        queue.submit(job.id)
        if isinstance(queue, RedisQueue):
            click.echo(f"queued    conflict rebuild: job {job.id}", err=True)
            return
        session.refresh(job)
        click.echo(f"{job.state:<9} conflict rebuild: job {job.id}, {describe(job)}", err=True)
    elif rebuild:
        report = conflicts.rebuild(session, offline=offline)
        session.commit()
        click.echo(
            f"checked {report.claims} claims in {report.groups} groups: {report.in_conflict} open conflicts, "
            f"{report.reopened} re-opened",
            err=True,
        )
    for group, members in conflicts.iter_conflicts(session):
        click.echo(json.dumps({
            "id": group.id, "subject": group.subject, "subject_key": group.subject_key, "measure": group.measure,
            "status": group.status,
            "claims": [m.to_json() for m in members],
        }, ensure_ascii=False))
