"""The API's operations: thin views that authenticate the token, call one service and serialise."""
from dataclasses import replace

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import Response, abort, current_app, g, json, request
from flask_login import current_user
from flask_smorest import Blueprint
from flask_smorest import abort as abort_with_messages
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.datastructures import MultiDict
from wtforms import Field, SelectField

from claimtrack import conflicts, importing, queue, references, review, second_review, tokens
from claimtrack.claim_filters import ClaimFilter, Paging, claim_page
from claimtrack.conflicts import CONFLICT_STATUSES, ConflictError, NotInGroup, Rescope, StaleGroupError
from claimtrack.conflicts.resolve import STALE_MESSAGE
from claimtrack.documents import document_page
from claimtrack.jobs import describe, visible_jobs
from claimtrack.jobs import records as jobs_records
from models import REVIEWABLE_FIELDS, AuditEvent, Claim, Document, utcnow

from ..claims.forms import ReviewForm
from ..conflicts.forms import ResolveForm
from ..conflicts.routes import PAGE_SIZE as CONFLICT_PAGE_SIZE
from ..db import get_session
from ..documents.forms import UploadForm
from ..documents.routes import submit_upload
from ..export.routes import csv_download, csvw_response, jsonl_download
from . import schemas

bp = Blueprint("api", __name__, url_prefix="/api/v1", description="Claimtrack's JSON API (personal token required).")

PROBLEM = "application/problem+json"
JOB_PAGE_SIZE = 50
# The body types an import reads, by media type (JSON Lines has gone by several names).
IMPORT_TYPES = {"application/jsonl": "jsonl", "application/x-ndjson": "jsonl", "application/x-jsonlines": "jsonl",
                "text/csv": "csv"}


@bp.before_request
def authenticate_token():
    """Every operation needs `Authorization: Bearer <token>`; the session cookie is never read here."""
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    user = None
    if scheme.lower() == "bearer" and secret.strip():
        db = get_session()
        user = tokens.authenticate(db, secret.strip(), utcnow())
        db.commit()
    if user is None:
        abort(401, description="A valid API token is required: send `Authorization: Bearer <token>`.")
    # Flask-Login reads g._login_user before the cookie: with it set, current_user is the token's user.
    g._login_user = user


def _lead_only() -> None:
    if not current_user.is_lead:
        abort(403, description="This page is for team leads.")


def _claim_or_404(claim_id: int) -> Claim:
    claim = get_session().scalar(
        sa.select(Claim).options(so.joinedload(Claim.reviewed_by)).where(Claim.id == claim_id)
        .execution_options(populate_existing=True))
    return claim or abort(404, description="No such claim.")


def _is_blind(claim: Claim) -> bool:
    # The same query the list and get views use (`as_seen_by`), so the API has one test of blindness.
    return claim.id in second_review.hidden_from(get_session(), current_user, [claim.id])


def _as_seen(claim: Claim):
    """The claim as the current user may see it (as extracted and undecided while it awaits their blind second review)."""
    return second_review.as_seen_by(get_session(), current_user, [claim])[0]


def _not_blind(claim: Claim) -> None:
    if _is_blind(claim):
        abort(403, description=f"Claim {claim.id} awaits your blind second review: its first review is hidden until then.")


@bp.get("/documents")
@bp.arguments(schemas.DocumentQuery, location="query", as_kwargs=True)
@bp.response(200, schemas.DocumentPage)
def list_documents(after: int | None = None):
    """Documents, newest publication first, a page at a time."""
    page = document_page(get_session(), after or None, viewer_id=current_user.id)
    return {"documents": page.documents, "next_after": page.next_after}


@bp.get("/documents/<int:document_id>")
@bp.response(200, schemas.Document)
def get_document(document_id: int):
    """One document with its exact text."""
    return get_session().get(Document, document_id) or abort(404, description="No such document.")


UPLOAD_FIELDS = {
    "file": {"type": "string", "format": "binary", "description": "The document: .txt, .md, .html or .pdf."},
    "title": {"type": "string", "maxLength": 500}, "author": {"type": "string", "maxLength": 255},
    "publisher": {"type": "string", "maxLength": 255},
    "source_url": {"type": "string", "maxLength": 1000, "description": "An absolute http(s) address."},
    "published": {"type": "string", "format": "date"},
}


@bp.post("/documents")
@bp.doc(requestBody={"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"], "properties": UPLOAD_FIELDS}}}})
@bp.response(202, schemas.Job, description="Queued: follow it at the `Location` (/api/v1/jobs/ID).")
@bp.alt_response(201, schema=schemas.Job, description="Stored at once: the document is at the `Location`.")
@bp.alt_response(200, schema=schemas.Job, description="The same text is already stored (`document_id`); nothing changed.")
@bp.alt_response(422, schema=schemas.Problem, content_type=PROBLEM,
                 description="The file cannot be read as a document (the reason in `detail`); nothing changed.")
def upload_document():
    """Upload a document, as the documents page does: it is read, extracted and checked by a background job.

    The answer waits a few seconds (CLAIMTRACK_UPLOAD_WAIT) for the job: a small document is
    stored by then (201), a larger one is still queued or running (202, poll its job).
    """
    form = UploadForm(meta={"csrf": False})
    if not form.validate():
        abort_with_messages(400, messages={"form": form.errors}, message="Some fields are unusable: see errors.")
    job, finished = submit_upload(form)
    body = jobs_records.as_json(job)
    if not finished:
        return body, 202, {"Location": f"/api/v1/jobs/{job.id}"}
    if job.state == "refused":
        abort(422, description=describe(job))
    if job.state == "failed":
        return body, 202, {"Location": f"/api/v1/jobs/{job.id}"}
    location = {"Location": f"/api/v1/documents/{job.document_id}"}
    return (body, 200, location) if jobs_records.changed_nothing(job) else (body, 201, location)


@bp.get("/jobs")
@bp.arguments(schemas.JobQuery, location="query", as_kwargs=True)
@bp.response(200, schemas.JobPage)
def list_jobs(after: int | None = None):
    """Jobs, newest first: a lead's token sees everyone's, a reviewer's their own."""
    found = visible_jobs(get_session(), current_user, after=after, limit=JOB_PAGE_SIZE + 1)
    next_after = found[JOB_PAGE_SIZE - 1].id if len(found) > JOB_PAGE_SIZE else None
    return {"jobs": [jobs_records.as_json(job) for job in found[:JOB_PAGE_SIZE]], "next_after": next_after}


@bp.get("/jobs/<int:job_id>")
@bp.response(200, schemas.Job)
def get_job(job_id: int):
    """One job and where it stands (poll it after an upload answered 202)."""
    found = visible_jobs(get_session(), current_user, ids=[job_id], limit=1)
    return jobs_records.as_json(found[0]) if found else abort(404, description="No such job.")


@bp.get("/claims")
@bp.arguments(schemas.ClaimQuery, location="query", as_kwargs=True)
@bp.response(200, schemas.ClaimPage)
def list_claims(limit: int, after: int | None = None, **_filters):
    """Claims matching the claims list's filters, in id order; page on with `after=next_after`."""
    db = get_session()
    claim_filter = replace(ClaimFilter.from_args(request.args), viewer=current_user.id)
    page = claim_page(db, claim_filter, Paging(after=after or None), size=limit)
    return {"claims": second_review.as_seen_by(db, current_user, page.claims), "next_after": page.next_after}


@bp.get("/claims/<int:claim_id>")
@bp.response(200, schemas.Claim)
def get_claim(claim_id: int):
    """One claim (as extracted and undecided while it awaits your blind second review)."""
    return _as_seen(_claim_or_404(claim_id))


@bp.get("/claims/<int:claim_id>/reviews")
@bp.response(200, schemas.ReviewList)
def list_reviews(claim_id: int):
    """Every decision, correction and note on the claim, newest first."""
    _not_blind(_claim_or_404(claim_id))
    entries = review.history(get_session(), claim_id)
    return {"reviews": [_review_row(entry) for entry in entries]}


def _review_row(entry: review.HistoryEntry) -> dict:
    row = {name: getattr(entry.review, name) for name in (
        "id", "decision", "note", "changes", "status_before", "status_after", "batch_id", "undoes_id", "created_at")}
    return {**row, "user": entry.review.user.username, "undone": entry.undone}


@bp.get("/claims/<int:claim_id>/audit")
@bp.response(200, schemas.AuditList)
def list_audit(claim_id: int):
    """The claim's audit trail, oldest first (leads only)."""
    _lead_only()
    _not_blind(_claim_or_404(claim_id))
    events = get_session().scalars(
        sa.select(AuditEvent).options(so.joinedload(AuditEvent.actor))
        .where(AuditEvent.object_type == "claim", AuditEvent.object_id == claim_id).order_by(AuditEvent.id))
    return {"events": list(events)}


@bp.get("/export.csv")
@bp.arguments(schemas.ExportQuery, location="query", as_kwargs=True)
@bp.response(200, description="The export CSV, streamed as it is read (the same bytes as /export.csv).",
             content_type="text/csv")
def export_csv(**_filters):
    """The claims matching the export's filters as CSV, as /export.csv and `claimtrack export` write it."""
    return csv_download(request.args)


@bp.get("/export.csv-metadata.json")
@bp.response(200, schemas.CsvwMetadata, content_type="application/csvm+json",
             description="W3C CSVW metadata (JSON-LD) of export.csv beside it.")
def export_csv_metadata():
    """The W3C CSVW metadata describing /api/v1/export.csv: its columns, their datatypes and the safe-cell rule."""
    return csvw_response()


@bp.get("/export.jsonl")
@bp.arguments(schemas.JsonlExportQuery, location="query", as_kwargs=True)
@bp.response(200, description="The export's claims as JSON Lines, one object a claim (docs/export.md), streamed.",
             content_type="application/jsonl")
def export_jsonl(**_filters):
    """The claims matching the export's filters as JSON Lines, as `claimtrack export --format jsonl` writes them."""
    return jsonl_download(request.args)


@bp.post("/claims/import")
@bp.arguments(schemas.ImportQuery, location="query", as_kwargs=True)
@bp.doc(requestBody={"required": True, "description": "Claims as JSON Lines (the objects of /api/v1/export.jsonl) "
                                                      "or CSV (the columns of the CSV export).",
                     "content": {media: {"schema": {"type": "string"}} for media in IMPORT_TYPES}})
@bp.response(200, schemas.ImportReport)
@bp.alt_response(422, schema=schemas.ImportProblem, content_type=PROBLEM,
                 description="Some rows are unusable (each in `rows` with its line and reason); nothing was written.")
def import_claims(skip_bad: bool = False):
    """Add the claims of a JSON Lines or CSV body (leads only), checking every row.

    When any row is unusable nothing is written and the answer is a 422 listing each bad row,
    unless `skip_bad`: then the good rows are written and the bad ones listed in `errors`. A row
    whose span already holds a claim with the same values is that claim (`unchanged`), so
    sending the same body again writes nothing.
    """
    _lead_only()
    fmt = IMPORT_TYPES.get(request.mimetype) or abort(
        415, description=f"Send the claims as {' or '.join(IMPORT_TYPES)}.")
    try:
        text = request.get_data().decode("utf-8")
    except UnicodeDecodeError as exc:
        abort(400, description=f"The body is not UTF-8 (bad byte at offset {exc.start}); nothing was imported.")
    db = get_session()
    report = importing.import_claims(db, text, fmt, current_user, utcnow(), skip_bad=skip_bad)
    db.commit()
    if not report.written:
        body = {"type": "about:blank", "title": "Unprocessable Entity", "status": 422,
                "detail": f"{len(report.errors)} of {report.rows} rows are unusable; nothing was imported.",
                "rows": report.as_dict()["errors"]}
        return Response(json.dumps(body), 422, mimetype=PROBLEM)
    return report.as_dict()


@bp.post("/references")
@bp.arguments(schemas.ReferenceImportQuery, location="query", as_kwargs=True)
@bp.doc(requestBody={"required": True, "description": "A reference CSV: entity, measure, period (or period_start "
                                                      "and period_end), value, unit, source_url and note (README).",
                     "content": {"text/csv": {"schema": {"type": "string"}}}})
@bp.response(200, schemas.ReferenceImportReport)
@bp.alt_response(422, schema=schemas.ImportProblem, content_type=PROBLEM,
                 description="Some rows are unusable (each in `rows` with its line and reason); nothing was written.")
def import_references(name: str, url: str = ""):
    """Import a table of trusted figures as the reference source `name` (leads only), as `claimtrack references
    import` does; claims the figures meet are matched again. Any bad row is a 422 and nothing is written."""
    _lead_only()
    if request.mimetype != "text/csv":
        abort(415, description="Send the figures as text/csv.")
    try:
        text = request.get_data().decode("utf-8")
    except UnicodeDecodeError as exc:
        abort(400, description=f"The body is not UTF-8 (bad byte at offset {exc.start}); nothing was imported.")
    db = get_session()
    report = references.import_references(db, text, name, current_user, utcnow(), url=url)
    if not report.written:
        db.rollback()
        body = {"type": "about:blank", "title": "Unprocessable Entity", "status": 422,
                "detail": f"{len(report.errors)} problems in {report.rows} rows; nothing was imported.",
                "rows": report.as_dict()["errors"]}
        return Response(json.dumps(body), 422, mimetype=PROBLEM)
    db.commit()
    return report.as_dict()


@bp.post("/queue/next")
@bp.arguments(schemas.QueueQuery, location="query", as_kwargs=True)
@bp.response(200, schemas.Claim)
@bp.alt_response(204, description="The queue is empty for these filters.")
def queue_next(**_filters):
    """Lease the next claim in the queue (within the claims list's filters) to you, as the queue page does.

    You get back the claim you already hold if one matches; a 409 when you hold as many claims as
    a reviewer may. The lease lasts as on the web and is given up by deciding or skipping.
    """
    db = get_session()
    try:
        claim_id = queue.lease_next(db, current_user, utcnow(), current_app.config["LEASE_TTL"],
                                    ClaimFilter.from_args(request.args), current_app.config["MAX_LEASES"])
    except queue.LeaseLimit as exc:
        db.rollback()
        abort(409, description=f"You already hold {exc.limit} claims: decide or skip one of claims "
                               f"{', '.join(map(str, exc.held))} first.")
    db.commit()
    if claim_id is None:
        return Response(status=204)
    return _as_seen(_claim_or_404(claim_id))


def _as_posted(field: Field) -> str:
    """What a browser sends for a field as the page shows it (a select sends its chosen option's value)."""
    return field.data or "" if isinstance(field, SelectField) else field._value()


def _review_form(claim: Claim, body: dict) -> ReviewForm:
    """The review form as a browser would post it: the claim's current fields, with those in `body` changed.

    Validating it applies the review page's rules with its messages.
    """
    shown = ReviewForm(obj=claim, formdata=None, meta={"csrf": False})
    posted = {name: _as_posted(shown[name]) for name in REVIEWABLE_FIELDS}
    posted |= {name: body[name] for name in REVIEWABLE_FIELDS if name in body}
    posted |= {"version": str(body["version"]), "status_seen": claim.status, "note": body["note"]}
    return ReviewForm(formdata=MultiDict(posted), meta={"csrf": False})


@bp.post("/claims/<int:claim_id>/decision")
@bp.arguments(schemas.Decision)
@bp.response(200, schemas.Claim)
def decide(body: dict, claim_id: int):
    """Verify, reject, mark needs_info, correct or skip a pending claim, by the review page's rules.

    Corrections are checked by the review form, with its messages (a 400 naming each field). A
    claim another reviewer holds (a live lease) or that moved on since `version` is a 409 and
    nothing is written; sending the same decision again is recorded once. A claim awaiting your
    blind second review is refused (403) without saying how it was first decided.
    """
    db = get_session()
    claim = review.load_for_update(db, claim_id) or abort(404, description="No such claim.")
    _not_blind(claim)
    decision = body["decision"]
    form = _review_form(claim, body)
    if not form.validate():
        db.rollback()
        abort_with_messages(400, messages={"json": form.errors},
                            message="Some fields are unusable: see errors.")
    try:
        review.decide(db, claim, current_user, decision, version=body["version"], now=utcnow(),
                      values=None if decision == "skip" else form.values(), note=form.note.data or "",
                      status_seen=claim.status)
        db.commit()
    except StaleDataError:
        db.rollback()
        abort(409, description=f"Claim {claim_id} was changed while you had it open; nothing was saved.")
    except review.ReviewError as exc:
        db.rollback()
        abort(exc.status, description=str(exc))
    return _claim_or_404(claim_id)


@bp.get("/conflicts")
@bp.arguments(schemas.ConflictQuery, location="query", as_kwargs=True)
@bp.response(200, schemas.ConflictPage)
def list_conflicts(page: int, status: str | None = None):
    """Conflict groups with their members, open ones first, as the conflicts page lists them."""
    groups, more = conflicts.conflict_page(get_session(), (status,) if status else CONFLICT_STATUSES,
                                           CONFLICT_PAGE_SIZE, (page - 1) * CONFLICT_PAGE_SIZE, current_user.id)
    return {"groups": [_group_row(group, members) for group, members in groups], "next_page": page + 1 if more else None}


def _group_row(group, members) -> dict:
    return {name: getattr(group, name) for name in ("id", "status", "subject", "measure", "note", "version")} | {
        "members": members}


@bp.get("/conflicts/<int:group_id>")
@bp.response(200, schemas.ConflictGroupDetail)
def get_conflict(group_id: int):
    """One group: its members with their values, documents and spans, and its resolutions."""
    return _group_detail(group_id)


def _group_detail(group_id: int) -> dict:
    detail = conflicts.group_detail(get_session(), group_id, current_user.id) or abort(
        404, description="No such conflict group.")
    return _group_row(detail.group, detail.members) | {"resolutions": detail.resolutions}


def _resolve_form(detail: conflicts.GroupDetail, body: dict) -> ResolveForm:
    """The conflict page's resolution form as a browser would post it: the group as shown, with `body` filled in."""
    given = {member["claim_id"]: member for member in body["claims"]}
    posted = {"version": str(body["version"]), "decision": body["decision"], "note": body["note"],
              "reason": body.get("reason", ""), "preferred": str(body.get("preferred_claim_id") or "")}
    for i, member in enumerate(detail.members):
        shown = {"claim_id": member.id, "version": member.version, "subject": member.subject,
                 "measure": member.measure, "period_start": member.period_start or "",
                 "period_end": member.period_end or ""}
        for name, value in (shown | given.get(member.id, {})).items():
            posted[f"claims-{i}-{name}"] = str(value)
    return ResolveForm(formdata=MultiDict(posted), meta={"csrf": False})


@bp.post("/conflicts/<int:group_id>/resolve")
@bp.arguments(schemas.ConflictResolution)
@bp.response(200, schemas.ConflictGroupDetail)
def resolve_conflict(body: dict, group_id: int):
    """Resolve a group with the conflict page's choices and rules: prefer one value, all are right, or unresolved.

    A group or member changed since `version` (or the member versions sent) is a 409 and nothing is written.
    """
    db = get_session()
    detail = conflicts.group_detail(db, group_id, current_user.id) or abort(404, description="No such conflict group.")
    form = _resolve_form(detail, body)
    if not form.validate():
        abort_with_messages(400, messages={"json": form.errors}, message="Some fields are unusable: see errors.")
    rescopes = [
        Rescope(int(c.claim_id.data), c.period_start.data, c.period_end.data, c.subject.data, c.measure.data)
        for c in form.claims
    ] if form.decision.data == "all_right" else []
    try:
        conflicts.resolve_group(
            db, current_user, group_id, int(form.version.data), form.decision.data, form.note.data,
            preferred_claim_id=form.preferred.data, reason=form.reason.data, rescopes=rescopes,
            seen={int(c.claim_id.data): int(c.version.data) for c in form.claims},
        )
        db.commit()
    except NotInGroup as exc:
        db.rollback()
        abort(404, description=str(exc))
    except conflicts.AwaitsBlindReview as exc:
        db.rollback()
        abort(403, description=str(exc))
    except conflicts.AlreadyResolved:
        db.rollback()  # The same resolution sent again: recorded once, answered as the group now is.
    except StaleGroupError as exc:
        db.rollback()
        abort(409, description=str(exc))
    except StaleDataError:
        db.rollback()
        abort(409, description=STALE_MESSAGE)
    except ConflictError as exc:
        db.rollback()
        abort(400, description=str(exc))
    return _group_detail(group_id)
