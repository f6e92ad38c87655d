"""Document pages: the list with the user's uploads in progress, one document's text with its claims marked, upload."""
from dataclasses import replace

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for

from flask_login import current_user

from claimtrack import missed, second_review
from claimtrack.claim_filters import parse_id
from claimtrack.documents import document_claims, document_page, document_segments, span_in_paragraph
from claimtrack.jobs import describe, new_ingest_job
from claimtrack.jobs.records import changed_nothing, forget
from claimtrack.review import ReviewError
from claimtrack.sources import upload_name
from models import Document, Job, utcnow

from ..db import get_session
from ..jobs import job_queue
from ..jobs.routes import recent_uploads
from .forms import AddClaimForm, UploadForm

bp = Blueprint("documents", __name__)


@bp.get("/")
def home():
    """The start page is the documents list."""
    return redirect(url_for("documents.index"))


@bp.get("/documents")
def index():
    """Ingested documents, a page at a time, with their dates and claim counts."""
    return _render_index(UploadForm(formdata=None))


def _render_index(form: UploadForm, status: int = 200):
    after = parse_id("after", request.args["after"], minimum=0) if request.args.get("after") else None
    page = document_page(get_session(), after, viewer_id=current_user.id)
    return render_template(
        "documents/index.html", documents=page.documents, next_after=page.next_after,
        paged=after is not None, form=form, uploads=recent_uploads(),
    ), status


@bp.get("/documents/<int:document_id>")
def show(document_id: int):
    """A document's full text with its claims highlighted and linked, and the list of its claims beside it."""
    session = get_session()
    document = session.get(Document, document_id) or abort(404, description="No such document.")
    segments, claims = document_segments(session, document), document_claims(session, document)
    hidden = second_review.hidden_from(session, current_user, (c.id for c in claims))
    if hidden:
        # Claims awaiting this reviewer's blind second review show as extracted, with no decision.
        extracted = second_review.extracted_rows(session, hidden)
        segments = [replace(s, status=second_review.BLIND_STATUS) if s.claim_id in hidden else s for s in segments]
        claims = [replace(c, status=second_review.BLIND_STATUS,
                          **{name: extracted[c.id][name] for name in ("value", "value_max", "unit", "subject", "measure")})
                  if c.id in hidden else c for c in claims]
    return render_template("documents/show.html", document=document, segments=segments, claims=claims)


@bp.post("/documents")
def upload():
    """Queue an uploaded file for ingest; show its outcome if it ends within moments, else its progress."""
    form = UploadForm()
    if not form.validate_on_submit():
        # The page again, the typed title, author, publisher and URL kept beside their errors.
        return _render_index(form, 400)
    job, finished = submit_upload(form)
    if not finished:
        flash(f"{job.file_name} is queued for reading; this page follows it until it is stored.", "info")
        return redirect(url_for("jobs.show", job_id=job.id), 303)
    flash(describe(job), {"refused": "error", "failed": "error"}.get(job.state) or
          ("info" if changed_nothing(job) else "success"))
    if job.state == "refused":
        return redirect(url_for("documents.index"), 303)
    if job.state == "failed":
        return redirect(url_for("jobs.show", job_id=job.id), 303)
    return redirect(url_for("documents.show", document_id=job.document_id), 303)


def submit_upload(form: UploadForm) -> tuple[Job, bool]:
    """Queue the validated upload as a job and wait a moment for it: (the job, whether it finished).

    A job that finished without changing anything (refused, or the text already stored) is
    forgotten once returned: its submitter is shown the outcome now, so no row need keep it.
    """
    upload = form.file.data
    name = upload_name(upload.filename or "") or "upload.txt"
    session = get_session()
    job = new_ingest_job(
        session, upload.read(), name, source=(form.source_url.data or "").strip() or f"upload:{name}",
        created_by_id=current_user.id,
        given={"title": form.title.data, "author": form.author.data, "publisher": form.publisher.data,
               "published": form.published.data},
    )
    # Committed before the job runs: on SQLite an open transaction would hold the write lock it needs.
    session.commit()
    queue = job_queue()
    queue.submit(job.id)
    if not queue.wait(job.id, current_app.config["UPLOAD_WAIT"]):
        return job, False
    session.refresh(job)
    if changed_nothing(job):
        forget(session, job)
        session.commit()
    return job, True


def _render_new_claim(document: Document, form: AddClaimForm, status: int = 200, refusal: str | None = None,
                      taken: int | None = None):
    """The page completing a claim on the selected span, its text shown in its paragraph."""
    start, end, text = form.start.data, form.end.data, document.text
    fits = isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text)
    paragraph = span_in_paragraph(text, start, end) if fits and text[start:end] == form.quote.data else None
    return render_template("documents/new_claim.html", document=document, form=form, paragraph=paragraph,
                           refusal=refusal, taken=taken), status


@bp.get("/documents/<int:document_id>/claims/new")
def new_claim(document_id: int):
    """A selected span, checked against the text, with the extractor's reading of it to complete."""
    document = get_session().get(Document, document_id) or abort(404, description="No such document.")
    start = parse_id("start", request.args.get("start", ""), minimum=0)
    end = parse_id("end", request.args.get("end", ""), minimum=0)
    quote = request.args.get("quote", "")
    try:
        missed.check_span(document, start, end, quote)
    except ReviewError as exc:
        abort(400, description=str(exc))
    reading = missed.prefill(document, start, end)
    form = AddClaimForm(formdata=None, data={**reading.values, "start": start, "end": end, "quote": quote})
    taken = missed.existing_claim(get_session(), document.id, start, end)
    if taken is not None:
        return _render_new_claim(document, form, 409, refusal=str(missed.SpanTaken(taken)), taken=taken)
    return _render_new_claim(document, form)


@bp.post("/documents/<int:document_id>/claims")
def add_claim(document_id: int):
    """Store the reviewer's claim on the span, or show why not with their values kept."""
    db = get_session()
    document = db.get(Document, document_id) or abort(404, description="No such document.")
    form = AddClaimForm()
    if not form.validate_on_submit():
        if form.start.errors or form.end.errors or form.quote.errors or form.csrf_token.errors:
            abort(400, description="Select the claim's text in the document, then add it.")
        return _render_new_claim(document, form, 400)
    try:
        claim = missed.add_claim(db, document, current_user, start=form.start.data, end=form.end.data,
                                 quote=form.quote.data, values=form.values(), note=form.note.data or "",
                                 now=utcnow())
        db.commit()
    except missed.SpanTaken as exc:
        db.rollback()
        return _render_new_claim(document, form, 409, refusal=str(exc), taken=exc.claim_id)
    except ReviewError as exc:
        db.rollback()
        return _render_new_claim(document, form, exc.status, refusal=str(exc))
    flash(f"Claim {claim.id} added; it is in the queue for review.", "success")
    return redirect(url_for("claims.show", claim_id=claim.id), 303)
