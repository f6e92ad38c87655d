"""Second review and agreement: the blind second review, adjudication, the review policy and the agreement page."""
from flask import Flask

from ..auth.access import add_nav
from .cli import agreement_command
from .routes import bp


def init_app(app: Flask) -> None:
    """Register the blueprint, the leads' menu entries and the `claimtrack agreement` command."""
    app.register_blueprint(bp)
    add_nav(app, "Adjudication", "agreement.disputes", lead_only=True)
    add_nav(app, "Agreement", "agreement.dashboard", lead_only=True)
    app.cli.add_command(agreement_command)
