"""The jobs area: background work (uploads, conflict rebuilds) with its live progress, and the worker commands."""
from flask import Flask, current_app

from claimtrack.jobs import JobQueue, make_queue
from claimtrack.jobs.records import STATE_LABELS

from .. import db
from ..auth.access import add_nav

EXTENSION = "claimtrack.jobs"


def init_app(app: Flask) -> None:
    """Give the app its job queue (RQ when CLAIMTRACK_REDIS_URL is set, else a thread), pages and commands."""
    from .cli import jobs_command, worker_command
    from .routes import bp

    app.extensions[EXTENSION] = make_queue(app.config["REDIS_URL"], app.extensions[db.EXTENSION], app.config["JOB_QUEUE"])
    app.register_blueprint(bp)
    add_nav(app, "Jobs", "jobs.index")
    app.jinja_env.globals["job_state_labels"] = STATE_LABELS
    app.cli.add_command(worker_command)
    app.cli.add_command(jobs_command)


def job_queue() -> JobQueue:
    """The app's job queue."""
    return current_app.extensions[EXTENSION]
