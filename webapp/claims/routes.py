"""The review page, decisions, lease heartbeat, undo, the claims list and bulk actions."""
from dataclasses import replace

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError

from claimtrack import queue, review, second_review
from claimtrack.claim_filters import SORT_CHOICES, ClaimFilter, Paging, claim_page, parse_ids
from claimtrack.export import EXPORT_DEFAULTS
from claimtrack.documents import span_in_paragraph
from models import KINDS, STATUSES, Claim, Document, Review, row_id, utcnow

from ..auth.access import lead_required
from ..db import get_session, retry_transient
from .forms import BulkForm, DismissForm, NoteForm, ReviewForm

bp = Blueprint("claims", __name__)

# Context shown around the claim in the review page when its line is very long.
CONTEXT_LIMIT = 1200
# "n left in this queue" counts up to this many, then says "LEFT_CAP+".
LEFT_CAP = 1000


def _claim_or_404(claim_id: int) -> Claim:
    return get_session().get(Claim, claim_id) or abort(404, description="No such claim.")


def _render_review(claim: Claim, form: ReviewForm | None = None, status: int = 200, stale=None, refusal=None):
    """The review page for `claim`, leasing it to the current reviewer when it is free and pending.

    Only a plain view (status 200) takes the lease; past the reviewer's limit the page is read-only.
    """
    db, now = get_session(), utcnow()
    queue_filter = ClaimFilter.from_args(request.args)
    lease = queue.holder(db, claim.id, now)
    held_by_other = lease is not None and lease.user_id != current_user.id
    lease_limit = None
    if claim.status == "pending" and not held_by_other and status == 200:
        try:
            queue.acquire(db, claim.id, current_user, now, current_app.config["LEASE_TTL"],
                          current_app.config["MAX_LEASES"])
            db.commit()
        except queue.LeaseLimit as exc:
            db.rollback()
            lease_limit = exc
    if form is None:
        form = ReviewForm(obj=claim, formdata=None)
        form.status_seen.data = claim.status
    editable = claim.status == "pending" and not held_by_other and lease_limit is None
    return render_template(
        "claims/show.html",
        claim=claim, document=claim.document, form=form,
        paragraph=span_in_paragraph(claim.document.text, claim.start, claim.end, CONTEXT_LIMIT),
        lease=lease if held_by_other else None, lease_limit=lease_limit, editable=editable,
        history=review.history(db, claim.id), queue_args=queue_filter.as_args(),
        note_form=NoteForm(formdata=None, version=claim.version), stale=stale, refusal=refusal,
        labels=review.FIELD_LABELS, left=queue.left_in_queue(db, queue_filter, LEFT_CAP), left_cap=LEFT_CAP,
        decided_today=queue.decided_today(db, current_user, now),
        own_undo=review.own_undoable(db, current_user, now, current_app.config["UNDO_WINDOW"]),
    ), status


def _render_stale(claim_id: int, form: ReviewForm, stale: review.StaleClaim):
    """409: what differs between the reviewer's form and the claim now, with their values kept.

    The kept form carries the version now stored, so sending it again is a decision made
    knowing the differences, not the same stale form refused forever.
    """
    fresh = _reloaded(claim_id)
    form.version.raw_data, form.version.data = None, fresh.version
    form.status_seen.data = fresh.status
    return _render_review(fresh, form, 409, stale=stale)


@bp.get("/claims/<int:claim_id>")
def show(claim_id: int):
    """The review page: the source span in its paragraph, the fields to correct, history and decisions.

    A claim awaiting its blind second review opens the second-review page instead, for all but
    its first reviewer.
    """
    claim = _claim_or_404(claim_id)
    if second_review.is_blind(second_review.standing(get_session(), claim.id), current_user):
        return redirect(url_for("agreement.second", claim_id=claim.id,
                                **ClaimFilter.from_args(request.args).as_args()))
    return _render_review(claim)


@bp.post("/claims/<int:claim_id>")
@retry_transient
def decide(claim_id: int):
    """Record a decision or correction; refuse stale, invalid or leased-elsewhere submissions unchanged."""
    db = get_session()
    claim = review.load_for_update(db, claim_id) or abort(404, description="No such claim.")
    form = ReviewForm()
    decision = request.form.get("decision", "")
    queue_args = ClaimFilter.from_args(request.args).as_args()
    if second_review.is_blind(second_review.standing(db, claim.id), current_user):
        # Decided by someone else since this form was loaded: any answer here (a refusal, a stale
        # table, the history) would show the first review its second reviewer must not see.
        db.rollback()
        flash(f"Claim {claim_id} was decided by another reviewer and now awaits your blind second review: "
              "what you sent was not recorded. Give your review here.", "warning")
        return redirect(url_for("agreement.second", claim_id=claim_id, **queue_args), 303)
    if decision not in review.DECISIONS:
        abort(400, description="Choose verify, reject, needs info, skip or save.")
    if not form.validate_on_submit():
        db.rollback()
        return _render_review(claim, form, 400)
    try:
        outcome = review.decide(
            db, claim, current_user, decision, version=form.version.data, now=utcnow(),
            values=None if decision == "skip" else form.values(), note=form.note.data or "",
            status_seen=form.status_seen.data or None, evidence=form.evidence() if decision == "verify" else None,
        )
        db.commit()
    except review.StaleClaim as exc:
        db.rollback()
        return _render_stale(claim_id, form, exc)
    except StaleDataError:
        db.rollback()
        fresh = _reloaded(claim_id)
        return _render_stale(claim_id, form, review.stale(db, fresh, current_user, form.values(),
                                                          form.status_seen.data or None))
    except review.EvidenceError as exc:
        db.rollback()
        form[{"document_id": "evidence_document"}.get(exc.field, f"evidence_{exc.field}")].errors = [str(exc)]
        return _render_review(_reloaded(claim_id), form, 400)
    except review.ReviewError as exc:
        db.rollback()
        if exc.status == 400 and decision in ("reject", "needs_info"):
            form.note.errors = [str(exc)]
            return _render_review(_reloaded(claim_id), form, 400)
        return _render_review(_reloaded(claim_id), form, exc.status, refusal=str(exc))
    if outcome.duplicate:
        flash("That decision was already recorded.", "info")
    elif decision == "correct":
        flash("Correction saved.", "success")
    else:
        label = {"verify": "verified", "reject": "rejected", "needs_info": "marked needs info",
                 "skip": "skipped"}[decision]
        flash(f"Claim {claim_id} {label}.", "success")
    if decision == "correct":
        return redirect(url_for("claims.show", claim_id=claim_id, **queue_args), 303)
    return redirect(url_for("queue.next_claim", **queue_args), 303)


def _reloaded(claim_id: int) -> Claim:
    db = get_session()
    return db.scalar(sa.select(Claim).where(Claim.id == claim_id).execution_options(populate_existing=True))


@bp.post("/claims/<int:claim_id>/lease")
def renew_lease(claim_id: int):
    """Heartbeat from the review page: keep holding the claim while the reviewer works."""
    db, now = get_session(), utcnow()
    _claim_or_404(claim_id)
    try:
        held = queue.renew(db, claim_id, current_user, now, current_app.config["LEASE_TTL"],
                           current_app.config["MAX_LEASES"])
    except queue.LeaseLimit as exc:
        db.rollback()
        return {"held": False, "holder": None, "limit": exc.limit}, 409
    db.commit()
    lease = queue.holder(db, claim_id, now)
    if not held:
        who = lease.user.username if lease is not None else None
        return {"held": False, "holder": who}, 409
    return {"held": True, "expires_at": lease.expires_at.isoformat()}


@bp.post("/claims/<int:claim_id>/step")
def step(claim_id: int):
    """Pass over this claim to the next (or previous) one in the queue, deciding nothing and letting it go."""
    db = get_session()
    _claim_or_404(claim_id)
    if not NoteForm().validate_on_submit():
        abort(400, description="Invalid form.")
    forward = request.form.get("to") != "previous"
    queue_filter = ClaimFilter.from_args(request.args)
    target = queue.step(db, claim_id, current_user, utcnow(), forward, queue_filter)
    db.commit()
    if target is None:
        flash(f"No {'later' if forward else 'earlier'} claim in this queue.", "info")
        target = claim_id
    return redirect(url_for("claims.show", claim_id=target, **queue_filter.as_args()), 303)


@bp.post("/reviews/mine/undo")
@retry_transient
def undo_mine():
    """A reviewer undoes their own latest decision, within the undo window, and goes back to that claim."""
    db = get_session()
    if not NoteForm().validate_on_submit():
        abort(400, description="Invalid form.")
    try:
        undone = review.undo_own(db, current_user, utcnow(), current_app.config["UNDO_WINDOW"])
        db.commit()
    except review.ReviewError as exc:
        db.rollback()
        flash(str(exc), "error")
        back = row_id(request.form.get("back", ""))
        return redirect(url_for("claims.show", claim_id=back) if back else url_for("queue.dashboard"), 303)
    decision = db.get(Review, undone.undoes_id).decision
    flash(f"Undid your {decision.replace('_', ' ')} of claim {undone.claim_id}.", "success")
    return redirect(url_for("claims.show", claim_id=undone.claim_id), 303)


@bp.post("/claims/<int:claim_id>/reopen")
@lead_required
@retry_transient
def reopen(claim_id: int):
    """A lead puts a decided claim back in the queue."""
    db = get_session()
    claim = review.load_for_update(db, claim_id) or abort(404, description="No such claim.")
    form = NoteForm()
    if not form.validate_on_submit():
        abort(400, description="Invalid form.")
    try:
        review.reopen(db, claim, current_user, version=form.version.data or claim.version, now=utcnow(),
                      note=form.note.data or "")
        db.commit()
    except review.ReviewError as exc:
        db.rollback()
        flash(str(exc), "error")
        return redirect(url_for("claims.show", claim_id=claim_id), 303)
    flash(f"Claim {claim_id} is back in the queue.", "success")
    return redirect(url_for("claims.show", claim_id=claim_id), 303)


@bp.post("/reviews/<int:review_id>/undo")
@lead_required
@retry_transient
def undo(review_id: int):
    """A lead undoes a decision; the undo is itself a review in the history."""
    db = get_session()
    target = db.get(Review, review_id) or abort(404, description="No such review.")
    form = NoteForm()
    if not form.validate_on_submit():
        abort(400, description="Invalid form.")
    try:
        review.undo(db, target, current_user, utcnow(), note=form.note.data or "")
        db.commit()
    except review.ReviewError as exc:
        db.rollback()
        if exc.status != 409:
            abort(exc.status, description=str(exc))
        flash(str(exc), "error")
        return redirect(url_for("claims.show", claim_id=target.claim_id), 303)
    flash(f"Undid the {target.decision.replace('_', ' ')} of {target.user.username}.", "success")
    return redirect(url_for("claims.show", claim_id=target.claim_id), 303)


SORT_LABELS = {
    "id": "number, oldest first", "-id": "number, newest first", "confidence": "confidence, lowest first",
    "-confidence": "confidence, highest first", "value": "value, smallest first", "-value": "value, largest first",
    "document": "document, in text order",
}


def _render_index(bulk_form: BulkForm, selected: frozenset[int] = frozenset(), status: int = 200):
    """The claims list for the request's filters and paging, with the bulk form as given."""
    db = get_session()
    claim_filter, paging = ClaimFilter.from_args(request.args), Paging.from_args(request.args)
    page = claim_page(db, replace(claim_filter, viewer=current_user.id), paging)
    page = replace(page, claims=second_review.as_seen_by(db, current_user, page.claims))
    document = db.get(Document, claim_filter.document) if claim_filter.document is not None else None

    def page_url(endpoint: str = "claims.index", **paging_override) -> str:
        return url_for(endpoint, **claim_filter.as_args(), **paging.as_args(**paging_override))

    return render_template(
        "claims/index.html", page=page, claim_filter=claim_filter, paging=paging, page_url=page_url,
        statuses=STATUSES,
        kinds=KINDS, sorts=[(key, SORT_LABELS[key]) for key in SORT_CHOICES], document=document,
        bulk_form=bulk_form, selected=selected, export_args=claim_filter.as_args(EXPORT_DEFAULTS),
        dismiss_form=DismissForm(formdata=None),
    ), status


@bp.get("/claims")
def index():
    """Claims with filters, search, a sort and keyset paging; leads can select claims for a bulk decision."""
    return _render_index(BulkForm(formdata=None))


@bp.post("/claims/bulk")
@lead_required
@retry_transient
def bulk():
    """Verify or reject the selected claims with one note, as one batch.

    A refused form (no claim selected, a reject without a note) comes back with its selection,
    decision and note kept.
    """
    db = get_session()
    form = BulkForm()
    if not form.validate_on_submit():
        abort(400, description="Invalid bulk form.")
    claim_ids = parse_ids("claim_id", request.form.getlist("claim_id"))
    try:
        result = review.bulk_decide(db, claim_ids, current_user, form.decision.data, form.note.data or "", utcnow())
        db.commit()
    except review.ReviewError as exc:
        db.rollback()
        if exc.status != 400:
            abort(exc.status, description=str(exc))
        form.note.errors = [str(exc)]
        return _render_index(form, frozenset(claim_ids), 400)
    verb = "verified" if form.decision.data == "verify" else "rejected"
    flash(f"{len(result.done)} claims {verb} as batch {result.batch_id}.", "success")
    for claim_id, reason in result.refused:
        flash(f"Claim {claim_id} left unchanged: {reason}", "warning")
    return redirect(url_for("claims.batch", batch_id=result.batch_id), 303)


@bp.post("/claims/dismiss")
@lead_required
@retry_transient
def dismiss():
    """Reject every pending claim the filter matches, with one reason, as one batch that can be undone."""
    db = get_session()
    claim_filter = ClaimFilter.from_args(request.args)
    back = url_for("claims.index", **claim_filter.as_args())
    form = DismissForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(message, "error")
        return redirect(back, 303)
    try:
        result = review.dismiss(db, claim_filter, current_user, form.reason.data, utcnow())
        db.commit()
    except review.ReviewError as exc:
        db.rollback()
        flash(str(exc), "error")
        return redirect(back, 303)
    flash(f"{len(result.done)} claims dismissed (rejected) as batch {result.batch_id}; undo it below.", "success")
    for claim_id, reason in result.refused:
        flash(f"Claim {claim_id} left unchanged: {reason}", "warning")
    return redirect(url_for("claims.batch", batch_id=result.batch_id), 303)


@bp.get("/batches/<batch_id>")
def batch(batch_id: str):
    """The reviews of one bulk batch, with undo for leads."""
    db = get_session()
    reviews = review.batch_reviews(db, batch_id)
    if not reviews:
        abort(404, description="No such batch.")
    # Decisions on claims awaiting this user's blind second review are not theirs to see yet.
    hidden = second_review.hidden_from(db, current_user, {r.claim_id for r in reviews})
    shown = [r for r in reviews if r.claim_id not in hidden]
    return render_template("claims/batch.html", batch_id=batch_id, reviews=shown, hidden=len(reviews) - len(shown),
                           note_form=NoteForm(formdata=None))


@bp.post("/batches/<batch_id>/undo")
@lead_required
@retry_transient
def undo_batch(batch_id: str):
    """A lead undoes a whole batch."""
    db = get_session()
    if not NoteForm().validate_on_submit():
        abort(400, description="Invalid form.")
    try:
        result = review.undo_batch(db, batch_id[:36], current_user, utcnow())
        db.commit()
    except review.ReviewError as exc:
        db.rollback()
        abort(exc.status, description=str(exc))
    flash(f"Undid {len(result.done)} decisions of batch {batch_id}.", "success")
    for claim_id, reason in result.refused:
        flash(f"Claim {claim_id} kept as it is: {reason}", "warning")
    return redirect(url_for("claims.index"), 303)
