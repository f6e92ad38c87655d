"""The dashboard page."""
from flask import Blueprint, render_template, request

from claimtrack import dashboard
from models import utcnow

from ..auth.access import lead_required
from ..db import get_session

bp = Blueprint("dashboard", __name__)


@bp.get("/dashboard")
@lead_required
def index():
    """Decisions by kind per reviewer and per document, rejection reasons, median times, open conflicts."""
    start, end = request.args.get("start"), request.args.get("end")
    try:
        days = dashboard.parse_range(start, end, utcnow().date())
    except dashboard.RangeError as exc:
        return render_template("dashboard/index.html", board=None, error=f"Bad date range: {exc}.",
                               start=start or "", end=end or "", kinds=dashboard.KINDS), 400
    board = dashboard.build(get_session(), days)
    return render_template("dashboard/index.html", board=board, error=None, start=days.start.isoformat(),
                           end=days.end.isoformat(), kinds=dashboard.KINDS)
