"""The team's reviewing guidelines (every page can open them) and the lead's team settings."""
from flask import Flask

from claimtrack import guidelines, team
from claimtrack.review import EVIDENCE_METHOD_LABELS

from ..auth.access import add_nav
from ..db import get_session
from .routes import bp


def init_app(app: Flask) -> None:
    """Register the blueprint, its navigation entries and the guidelines every review page opens with `g`."""
    app.register_blueprint(bp)
    add_nav(app, "Guidelines", "guidelines.show")
    add_nav(app, "Team", "guidelines.team_settings", lead_only=True)
    app.add_template_global(_guidelines_in_force, "guidelines_in_force")
    app.add_template_global(lambda: team.evidence_required(get_session()), "evidence_required")
    app.add_template_global(EVIDENCE_METHOD_LABELS, "evidence_methods")


def _guidelines_in_force():
    """The guidelines in force and their HTML, for the review pages' dialog (None before any is written)."""
    entry = guidelines.current(get_session())
    return None if entry is None else (entry, guidelines.render(entry.body))
