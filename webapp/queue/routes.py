"""Queue pages: progress, and leasing the next claim to the current reviewer."""
from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_login import current_user

from claimtrack import queue, references, team
from claimtrack.claim_filters import ClaimFilter
from models import KINDS, Document, utcnow

from ..db import get_session

bp = Blueprint("queue", __name__)


@bp.get("/queue")
def dashboard():
    """Progress per document and overall, the reviewer's count today, and the queue filters."""
    db = get_session()
    return render_template(
        "queue/dashboard.html",
        progress=queue.progress(db, current_user, utcnow()),
        queue_filter=ClaimFilter.from_args(request.args),
        kinds=KINDS, order=team.QUEUE_ORDERS[team.queue_order(db)],
        contradicted=references.contradicted_pending(db, viewer_id=current_user.id),
    )


@bp.get("/queue/next")
def next_claim():
    """Lease the next claim (within the filters) and open it, or say the queue is empty or why none was leased."""
    db = get_session()
    queue_filter = ClaimFilter.from_args(request.args)
    try:
        claim_id = queue.lease_next(db, current_user, utcnow(), current_app.config["LEASE_TTL"], queue_filter,
                                    current_app.config["MAX_LEASES"])
    except queue.LeaseLimit as exc:
        db.rollback()
        return render_template("queue/limit.html", limit=exc, queue_filter=queue_filter)
    db.commit()
    if claim_id is None:
        document = db.get(Document, queue_filter.document) if queue_filter.document is not None else None
        return render_template("queue/empty.html", queue_filter=queue_filter, document=document)
    return redirect(url_for("claims.show", claim_id=claim_id, **queue_filter.as_args()))
