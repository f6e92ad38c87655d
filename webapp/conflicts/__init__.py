"""The conflicts area: claims that disagree across documents, and their reconciliation."""
from flask import Flask

from claimtrack.conflicts import conflict_summary

from ..auth.access import add_nav
from ..db import get_session
from .cli import conflicts_command
from .routes import bp


def init_app(app: Flask) -> None:
    """Register the conflicts blueprint, its menu entry, its command and the badge helper."""
    app.register_blueprint(bp)
    add_nav(app, "Conflicts", "conflicts.index")
    app.cli.add_command(conflicts_command)
    # Any page showing a claim can render `conflicts/_badge.html` with `conflict_for(claim)`.
    app.jinja_env.globals["conflict_for"] = lambda claim: conflict_summary(get_session(), claim)
