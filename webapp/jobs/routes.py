"""Job pages: the list with live progress, one job, the progress as JSON for the pages' script, and lead actions."""
from datetime import timedelta

import zlib

import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from claimtrack.claim_filters import parse_id
from claimtrack.export import export_filename
from claimtrack.jobs import describe, new_conflicts_job, queued_conflicts_job, visible_jobs
from claimtrack.jobs.records import as_json, retry
from models import Job, utcnow

from ..auth.access import lead_required
from ..db import get_session
from . import job_queue
from .forms import JobActionForm

bp = Blueprint("jobs", __name__)

PAGE_SIZE = 50
# How long a finished upload stays listed on the documents page.
RECENT = timedelta(minutes=30)
# Most jobs one status request may ask about.
MAX_STATUS_IDS = 100
# Bytes of a packed export unpacked at a time.
CHUNK = 256 * 1024


@bp.get("/jobs")
def index():
    """Jobs, newest first: a lead sees everyone's, a reviewer their own."""
    after = parse_id("after", request.args["after"], minimum=1) if request.args.get("after") else None
    jobs = visible_jobs(get_session(), current_user, after=after, limit=PAGE_SIZE + 1)
    next_after = jobs[PAGE_SIZE - 1].id if len(jobs) > PAGE_SIZE else None
    return render_template("jobs/index.html", jobs=jobs[:PAGE_SIZE], next_after=next_after, paged=after is not None,
                           form=JobActionForm())


@bp.get("/jobs/<int:job_id>")
def show(job_id: int):
    """One job and where it stands."""
    return render_template("jobs/show.html", job=_visible(job_id), form=JobActionForm())


@bp.get("/jobs/status")
def status():
    """Where the listed jobs stand (`?ids=1,2,3`), for the pages that follow them without reloading."""
    raw = [part for part in request.args.get("ids", "").split(",") if part]
    if len(raw) > MAX_STATUS_IDS:
        abort(400, description=f"Ask about at most {MAX_STATUS_IDS} jobs at once.")
    ids = {parse_id("ids", part, minimum=1) for part in raw}
    jobs = visible_jobs(get_session(), current_user, ids=ids, limit=MAX_STATUS_IDS) if ids else []
    return {"jobs": [job_json(job) for job in jobs]}


@bp.post("/jobs/conflicts")
@lead_required
def rebuild_conflicts():
    """Queue a full conflict rebuild over every claim."""
    JobActionForm().validate_on_submit() or abort(400, description="The form's security token was missing or invalid.")
    session = get_session()
    waiting = queued_conflicts_job(session)
    if waiting is not None:
        # A double click, or another lead: the rebuild not yet started checks every claim already.
        session.rollback()
        job_queue().submit(waiting.id)  # Harmless if it is on the queue: a job runs once whoever takes it.
        flash(f"A full conflict rebuild is already queued (job {waiting.id}); it checks every claim.", "info")
        return redirect(url_for("jobs.show", job_id=waiting.id), 303)
    job = new_conflicts_job(session, created_by_id=current_user.id)
    session.commit()
    job_queue().submit(job.id)
    flash("A full conflict rebuild is queued.", "info")
    return redirect(url_for("jobs.show", job_id=job.id), 303)


@bp.post("/jobs/<int:job_id>/retry")
@lead_required
def retry_job(job_id: int):
    """Run a failed job again, from its kept bytes."""
    JobActionForm().validate_on_submit() or abort(400, description="The form's security token was missing or invalid.")
    session = get_session()
    job = _visible(job_id)
    if not retry(session, job):
        session.rollback()
        abort(409, description=f"Job {job.id} is {job.state}: only a failed job can be run again.")
    session.commit()
    job_queue().submit(job.id)
    flash(f"Job {job.id} is queued again.", "info")
    return redirect(url_for("jobs.show", job_id=job.id), 303)


@bp.get("/jobs/<int:job_id>/export.csv")
def download(job_id: int):
    """An export job's CSV, unpacked as it is sent."""
    job = _visible(job_id)
    if not downloadable(job):
        abort(404, description=f"Job {job.id} has no export for you to download.")
    packed = get_session().scalar(sa.select(Job.payload).where(Job.id == job.id))

    def unpack():
        inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)  # the gzip container
        for start in range(0, len(packed), CHUNK):
            yield inflate.decompress(packed[start:start + CHUNK])
        yield inflate.flush()

    name = export_filename(job.finished_at.date())
    return Response(unpack(), mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.app_template_global()
def downloadable(job: Job) -> bool:
    """An export job's CSV is its submitter's alone: it was filtered for them (claims awaiting
    their blind second review left out), and another lead may be blind to claims it holds."""
    return job.kind == "export" and job.state == "done" and job.created_by_id == current_user.id


def _visible(job_id: int) -> Job:
    jobs = visible_jobs(get_session(), current_user, ids=[job_id], limit=1)
    return jobs[0] if jobs else abort(404, description="No such job.")


def recent_uploads(limit: int = 10) -> list[Job]:
    """The user's own uploads still running or finished lately, for the documents page."""
    jobs = visible_jobs(get_session(), current_user, unfinished_or_since=utcnow() - RECENT, limit=limit)
    return [job for job in jobs if job.kind == "ingest" and job.created_by_id == current_user.id]


def job_json(job: Job) -> dict:
    """A job as the pages' script reads it: its record and where its document is."""
    url = url_for("documents.show", document_id=job.document_id) if job.document_id else None
    download = url_for("jobs.download", job_id=job.id) if downloadable(job) else None
    return {**as_json(job), "document_url": url, "download_url": download}
