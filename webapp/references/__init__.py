"""The references area: trusted figures a lead imports, and claims' standing against them."""
from flask import Flask

from claimtrack.references import standing_of

from ..auth.access import add_nav
from ..db import get_session
from .cli import references_group
from .routes import bp


def init_app(app: Flask) -> None:
    """Register the references blueprint, its lead-only menu entry, its commands and the badge helper."""
    app.register_blueprint(bp)
    add_nav(app, "References", "references.index", lead_only=True)
    app.cli.add_command(references_group)
    # Any page showing a claim can render `references/_badge.html` with `reference_for(claim)`.
    app.jinja_env.globals["reference_for"] = lambda claim: standing_of(get_session(), claim)
