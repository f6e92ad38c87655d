"""The leads' dashboard: who decided what, on which documents, how fast, over a date range."""
from flask import Flask

from ..auth.access import add_nav
from .cli import dashboard_command
from .routes import bp


def init_app(app: Flask) -> None:
    """Register the dashboard blueprint, its lead-only menu entry and its command."""
    app.register_blueprint(bp)
    add_nav(app, "Dashboard", "dashboard.index", lead_only=True)
    app.cli.add_command(dashboard_command)
