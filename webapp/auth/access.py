"""Who may see what: every page needs a login, lead pages need the lead role."""
from datetime import datetime, timezone
from functools import wraps

from flask import Flask, abort, current_app, flash, g, redirect, request, session, url_for
from flask_login import LoginManager, current_user, login_user

from claimtrack.accounts import load_user
from models import utcnow

from ..db import get_session

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Please log in to continue."
login_manager.session_protection = "basic"

# Endpoints anyone may reach; everything else needs a logged-in user.
PUBLIC_ENDPOINTS = {"auth.login", "static", "api-docs.openapi_json", "api-docs.openapi_redoc"}
# Blueprints that authenticate each request themselves (the API's personal tokens), never by cookie.
TOKEN_BLUEPRINTS = {"api"}


# The session's key holding when its user logged in (seconds since the epoch, UTC).
LOGGED_IN_AT = "logged_in_at"


@login_manager.user_loader
def _load_user(login_id: str):
    return load_user(get_session(), login_id, _logged_in_at(), utcnow(),
                     current_app.config["PERMANENT_SESSION_LIFETIME"])


def _logged_in_at() -> datetime | None:
    """When this session's user logged in, or None for a session without a usable time."""
    seconds = session.get(LOGGED_IN_AT)
    if not isinstance(seconds, int) or isinstance(seconds, bool):
        return None
    try:
        return datetime.fromtimestamp(seconds, timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None


def start_session(user) -> None:
    """Log `user` in on a new session whose lifetime starts now."""
    session.clear()
    login_user(user)
    session[LOGGED_IN_AT] = int(utcnow().timestamp())
    session.permanent = True


def init_app(app: Flask) -> None:
    """Attach Flask-Login and require a login on every non-public endpoint."""
    login_manager.init_app(app)

    @app.before_request
    def require_login():
        if request.endpoint in PUBLIC_ENDPOINTS or request.endpoint is None or request.blueprint in TOKEN_BLUEPRINTS:
            return None
        if current_user.is_authenticated:
            return None
        return to_login()


# Shown at login when a form was sent after its session had ended (logout in another tab or device).
NOT_RECORDED = "You were logged out, so what you sent was not recorded: log in, then send it again."


def to_login():
    """The answer to a request without a login: 401 for the API, else the login page, saying when a form was dropped."""
    if request.path.startswith("/api/"):
        abort(401, description="Log in first.")
    if request.method not in ("GET", "HEAD"):
        flash(NOT_RECORDED, "warning")
    return redirect(url_for("auth.login", next=request.full_path if request.query_string else request.path))


def render_as_anonymous() -> None:
    """Render the rest of this request as if nobody were logged in (the login itself stays).

    For the database-error page: the user's row cannot be loaded, or was loaded through a
    session that is now gone, and reading it would fail again inside the error handler.
    """
    g._login_user = login_manager.anonymous_user()


def lead_required(view):
    """Allow only leads; others get 403."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated or not current_user.is_lead:
            abort(403, description="This page is for team leads.")
        return view(*args, **kwargs)

    return wrapped


def add_nav(app: Flask, label: str, endpoint: str, lead_only: bool = False) -> None:
    """Add an entry to the navigation bar."""
    app.extensions["claimtrack.nav"].append((label, endpoint, lead_only))
