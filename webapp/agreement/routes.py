"""The blind second review, the adjudication queue, the review policy and the agreement page."""
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from claimtrack.claim_filters import ClaimFilter
from claimtrack import queue, review, second_review
from claimtrack.claim_filters import parse_id
from claimtrack.documents import span_in_paragraph
from models import Claim, utcnow

from ..auth.access import lead_required
from ..claims.forms import ReviewForm
from ..claims.routes import CONTEXT_LIMIT
from ..db import get_session, retry_transient
from .forms import AdjudicationForm, DeleteForm, PolicyForm

bp = Blueprint("agreement", __name__)


def _claim_or_404(claim_id: int) -> Claim:
    return get_session().get(Claim, claim_id) or abort(404, description="No such claim.")


def _paragraph(claim: Claim):
    return span_in_paragraph(claim.document.text, claim.start, claim.end, CONTEXT_LIMIT)


# --- the blind second review ----------------------------------------------------------------------

def _render_second(claim: Claim, form: ReviewForm | None = None, status: int = 200, refusal: str | None = None):
    """The blind review page: the claim as extracted, with no first decision and no history; leases it on a plain view."""
    db, now = get_session(), utcnow()
    lease = queue.holder(db, claim.id, now)
    held_by_other = lease is not None and lease.user_id != current_user.id
    lease_limit = None
    if not held_by_other and status == 200:
        try:
            queue.acquire(db, claim.id, current_user, now, current_app.config["LEASE_TTL"],
                          current_app.config["MAX_LEASES"])
            db.commit()
        except queue.LeaseLimit as exc:
            db.rollback()
            lease_limit = exc
    if form is None:
        form = ReviewForm(data=second_review.extracted_values(claim), formdata=None)
        form.version.data = claim.version
    return render_template(
        "agreement/second.html", claim=claim, document=claim.document, form=form, paragraph=_paragraph(claim),
        lease=lease if held_by_other else None, lease_limit=lease_limit, refusal=refusal,
        editable=not held_by_other and lease_limit is None,
        queue_args=ClaimFilter.from_args(request.args).as_args(),
    ), status


@bp.get("/claims/<int:claim_id>/second")
def second(claim_id: int):
    """The blind second review of a claim awaiting one; anyone else goes to the ordinary review page."""
    claim = _claim_or_404(claim_id)
    if not second_review.is_blind(second_review.standing(get_session(), claim.id), current_user):
        return redirect(url_for("claims.show", claim_id=claim.id))
    return _render_second(claim)


@bp.post("/claims/<int:claim_id>/second")
@retry_transient
def decide_second(claim_id: int):
    """Record the blind second review (or skip it) and go on to the next claim."""
    db, now = get_session(), utcnow()
    claim = review.load_for_update(db, claim_id) or abort(404, description="No such claim.")
    decision = request.form.get("decision", "")
    queue_args = ClaimFilter.from_args(request.args).as_args()
    if decision not in (*review.DECISION_STATUS, "skip"):
        abort(400, description="Choose verify, reject, needs info or skip.")
    form = ReviewForm()
    try:
        if decision == "skip":
            second_review.skip_second(db, claim, current_user, now)
            db.commit()
            flash(f"Claim {claim_id} skipped.", "success")
            return redirect(url_for("queue.next_claim", **queue_args), 303)
        if not form.validate_on_submit():
            db.rollback()
            return _render_second(claim, form, 400)
        outcome = second_review.decide_second(db, claim, current_user, decision, values=form.values(),
                                              version=form.version.data, now=now, note=form.note.data or "")
        db.commit()
    except review.ReviewError as exc:
        db.rollback()
        if exc.status == 400 and decision in ("reject", "needs_info"):
            form.note.errors = [str(exc)]
            return _render_second(claim, form, 400)
        return _render_second(claim, form, exc.status, refusal=str(exc))
    if outcome.duplicate:
        flash("That decision was already recorded.", "info")
    else:
        row = second_review.standing(db, claim_id)
        settled = "agrees with the first review" if row.state == "agreed" else "goes to a lead to adjudicate"
        flash(f"Second review of claim {claim_id} recorded: it {settled}.", "success")
    return redirect(url_for("queue.next_claim", **queue_args), 303)


# --- adjudication -------------------------------------------------------------------------------

@bp.get("/adjudication")
@lead_required
def disputes():
    """Claims whose two reviews disagree, for a lead to settle."""
    after = parse_id("after", request.args["after"], minimum=0) if request.args.get("after") else 0
    page = second_review.disputes(get_session(), after=after)
    return render_template("agreement/disputes.html", disputes=page, label=second_review.label)


def _render_adjudication(claim: Claim, form: AdjudicationForm | None = None, status: int = 200,
                         refusal: str | None = None):
    db = get_session()
    row = second_review.standing(db, claim.id)
    if row is None or row.second_review_id is None:
        abort(404, description="This claim has no second review to adjudicate.")
    first, second = second_review.sides(db, row)
    parties = (row.first_user_id, row.second_user_id)
    if form is None:
        form = AdjudicationForm(formdata=None, version=claim.version)
    return render_template(
        "agreement/adjudicate.html", claim=claim, document=claim.document, row=row, first=first, second=second,
        form=form, paragraph=_paragraph(claim), refusal=refusal, label=second_review.label,
        fields=("decision", *second_review.COMPARED_FIELDS), chosen=request.form,
        party=current_user.id in parties, impartial=second_review.impartial_leads(db, parties),
    ), status


@bp.get("/adjudication/<int:claim_id>")
@lead_required
def adjudication(claim_id: int):
    """Both reviews side by side with the source span, and the lead's final decision."""
    return _render_adjudication(_claim_or_404(claim_id))


@bp.post("/adjudication/<int:claim_id>")
@lead_required
@retry_transient
def adjudicate(claim_id: int):
    """Record the lead's final decision on a disputed claim."""
    db = get_session()
    claim = review.load_for_update(db, claim_id) or abort(404, description="No such claim.")
    form = AdjudicationForm()
    if not form.validate_on_submit():
        db.rollback()
        return _render_adjudication(claim, form, 400)
    choices = {name: request.form.get(f"choice-{name}", "") for name in second_review.COMPARED_FIELDS}
    try:
        second_review.adjudicate(db, claim, current_user, form.decision.data, choices=choices,
                                 version=form.version.data, now=utcnow(), note=form.note.data or "")
        db.commit()
    except review.AlreadyAdjudicated as exc:
        db.rollback()
        flash(str(exc), "info")
        return redirect(url_for("agreement.disputes"), 303)
    except review.ReviewError as exc:
        db.rollback()
        return _render_adjudication(_claim_or_404(claim_id), form, exc.status, refusal=str(exc))
    flash(f"Claim {claim_id} adjudicated.", "success")
    return redirect(url_for("agreement.disputes"), 303)


# --- the review policy --------------------------------------------------------------------------

def _render_policy(form: PolicyForm | None = None, status: int = 200, refusal: str | None = None):
    return render_template(
        "agreement/policy.html", policies=second_review.policies(get_session()), refusal=refusal,
        form=form or PolicyForm(formdata=None, share=0), delete_form=DeleteForm(formdata=None),
    ), status


@bp.get("/review-policy")
@lead_required
def policy():
    """The review policies: which share of claims, per scope, needs a second review."""
    return _render_policy()


@bp.post("/review-policy")
@lead_required
def set_policy():
    """Create or replace the policy of one scope."""
    db = get_session()
    form = PolicyForm()
    if not form.validate_on_submit():
        return _render_policy(form, 400)
    try:
        second_review.set_policy(
            db, current_user, now=utcnow(), share=form.share.data, document_id=form.document.data,
            subject=form.subject.data, measure=form.measure.data, kind=form.kind.data or None,
            conflicts_need_two=form.conflicts_need_two.data, reviewer_added_need_two=form.reviewer_added_need_two.data)
        db.commit()
    except second_review.PolicyError as exc:
        db.rollback()
        return _render_policy(form, 400, refusal=str(exc))
    flash("Review policy saved; it applies to decisions from now on.", "success")
    return redirect(url_for("agreement.policy"), 303)


@bp.post("/review-policy/<int:policy_id>/delete")
@lead_required
def delete_policy(policy_id: int):
    """Remove one policy."""
    db = get_session()
    if not DeleteForm().validate_on_submit():
        abort(400, description="Invalid form.")
    try:
        second_review.delete_policy(db, current_user, policy_id)
        db.commit()
    except second_review.PolicyError as exc:
        db.rollback()
        abort(404, description=str(exc))
    flash("Review policy removed.", "success")
    return redirect(url_for("agreement.policy"), 303)


# --- the agreement page -------------------------------------------------------------------------

@bp.get("/dashboard/agreement")
@lead_required
def dashboard():
    """How often first and second reviews agree: per decision and field, per reviewer, in a date range."""
    # Imported here: numpy takes up to a second to load, and only this page needs it.
    from claimtrack import agreement

    date_from = agreement.parse_day("from", request.args.get("from"))
    date_to = agreement.parse_day("to", request.args.get("to"))
    result = agreement.report(get_session(), date_from, date_to)
    if request.args.get("format") == "json":
        return result.as_dict()
    return render_template("agreement/dashboard.html", report=result, label=second_review.label)
