"""Login and logout pages."""
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, logout_user

from claimtrack import queue
from claimtrack.accounts import authenticate, begin_login, clear_failed_logins, end_sessions
from models import utcnow

from ..db import get_session
from .access import start_session
from .forms import LoginForm

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths are followed after login."""
    # A control character cannot be in a Location header (CR and LF would end it) nor in a path of ours.
    if not target or any(c < " " or c == "\x7f" for c in target):
        return url_for("documents.index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return url_for("documents.index")
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Show the login form; log the user in on valid credentials; refuse (429) after too many failures."""
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = LoginForm()
    if form.validate_on_submit():
        db, now = get_session(), utcnow()
        address = request.remote_addr or "unknown"
        wait = begin_login(db, form.username.data, address, now)
        if wait is not None:
            db.rollback()
            minutes = max(1, round(wait.total_seconds() / 60))
            flash(f"Too many failed logins. Try again in {minutes} minute{'s' if minutes != 1 else ''}.", "error")
            return render_template("auth/login.html", form=form), 429
        # The attempt is counted (as failed until the password proves right) before checking it.
        db.commit()
        user = authenticate(db, form.username.data, form.password.data)
        if user is not None:
            clear_failed_logins(db, user.username)
            db.commit()
            start_session(user)
            return redirect(_safe_next(request.args.get("next")))
        flash("Unknown username or wrong password.", "error")
        return render_template("auth/login.html", form=form), 401
    if form.is_submitted():
        return render_template("auth/login.html", form=form), 400
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout():
    """Log out, give back the claims this user was holding, and end all of the user's sessions."""
    db = get_session()
    queue.release_all(db, current_user)
    end_sessions(current_user._get_current_object())
    db.commit()
    logout_user()
    session.clear()
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))
