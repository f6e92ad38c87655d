"""Login and logout pages."""
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from claimtrack.accounts import authenticate

from ..db import get_session
from .forms import LoginForm

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths are followed after login."""
    if not target:
        return url_for("documents.index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return url_for("documents.index")
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Show the login form; log the user in on valid credentials."""
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(get_session(), form.username.data, form.password.data)
        if user is not None:
            session.clear()
            login_user(user)
            session.permanent = True
            return redirect(_safe_next(request.args.get("next")))
        flash("Unknown username or wrong password.", "error")
        return render_template("auth/login.html", form=form), 401
    if form.is_submitted():
        return render_template("auth/login.html", form=form), 400
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout():
    """Log out and end the session."""
    logout_user()
    session.clear()
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))
