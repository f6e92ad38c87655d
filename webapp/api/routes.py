"""The API's operations: thin views that authenticate the token, call one service and serialise."""
from dataclasses import replace

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import abort, g, request
from flask_login import current_user
from flask_smorest import Blueprint
from sqlalchemy.orm.exc import StaleDataError

from claimtrack import review, second_review, tokens
from claimtrack.claim_filters import ClaimFilter, Paging, claim_page
from claimtrack.documents import document_page
from models import AuditEvent, Claim, Document, utcnow

from ..db import get_session
from . import schemas

bp = Blueprint("api", __name__, url_prefix="/api/v1", description="Claimtrack's JSON API (personal token required).")


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


@bp.get("/documents")
@bp.arguments(schemas.DocumentQuery, location="query", as_kwargs=True)
@bp.response(200, schemas.DocumentPage)
def list_documents(after: int | None = None):
    """Documents, newest publication first, a page at a time."""
    page = document_page(get_session(), after or None)
    return {"documents": page.documents, "next_after": page.next_after}


@bp.get("/documents/<int:document_id>")
@bp.response(200, schemas.Document)
def get_document(document_id: int):
    """One document with its exact text."""
    return get_session().get(Document, document_id) or abort(404, description="No such document.")


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
    """One claim (as extracted, with no decision, while it awaits your blind second review)."""
    return second_review.as_seen_by(get_session(), current_user, [_claim_or_404(claim_id)])[0]


@bp.get("/claims/<int:claim_id>/reviews")
@bp.response(200, schemas.ReviewList)
def list_reviews(claim_id: int):
    """Every decision, correction and note on the claim, newest first."""
    claim = _claim_or_404(claim_id)
    db = get_session()
    if second_review.hidden_from(db, current_user, [claim.id]):
        return {"reviews": []}  # hidden until you have made your blind second review
    return {"reviews": [_review_row(entry) for entry in review.history(db, claim_id)]}


def _review_row(entry: review.HistoryEntry) -> dict:
    row = {name: getattr(entry.review, name) for name in (
        "id", "decision", "note", "changes", "status_before", "status_after", "batch_id", "undoes_id", "created_at")}
    return {**row, "user": entry.review.user.username, "undone": entry.undone}


@bp.get("/claims/<int:claim_id>/audit")
@bp.response(200, schemas.AuditList)
def list_audit(claim_id: int):
    """The claim's audit trail, oldest first (leads only)."""
    _lead_only()
    claim = _claim_or_404(claim_id)
    if second_review.hidden_from(get_session(), current_user, [claim.id]):
        return {"events": []}  # hidden until you have made your blind second review
    events = get_session().scalars(
        sa.select(AuditEvent).options(so.joinedload(AuditEvent.actor))
        .where(AuditEvent.object_type == "claim", AuditEvent.object_id == claim_id).order_by(AuditEvent.id))
    return {"events": list(events)}


@bp.post("/claims/<int:claim_id>/decision")
@bp.arguments(schemas.Decision)
@bp.response(200, schemas.Claim)
def decide(body: dict, claim_id: int):
    """Verify, reject or mark needs_info a pending claim, by the review page's rules.

    A claim another reviewer holds (a live lease) or that moved on since `version` is a 409 and
    nothing is written; sending the same decision again is recorded once.
    """
    db = get_session()
    claim = review.load_for_update(db, claim_id) or abort(404, description="No such claim.")
    try:
        review.decide(db, claim, current_user, body["decision"], version=body["version"], now=utcnow(),
                      note=body["note"])
        db.commit()
    except StaleDataError:
        db.rollback()
        abort(409, description=f"Claim {claim_id} was changed while you had it open; nothing was saved.")
    except review.ReviewError as exc:
        db.rollback()
        abort(exc.status, description=str(exc))
    return _claim_or_404(claim_id)
