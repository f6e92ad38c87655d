"""User management for leads."""
from flask import Flask

from ..auth.access import add_nav
from .routes import bp


def init_app(app: Flask) -> None:
    """Register the users blueprint and its (lead-only) navigation entry."""
    app.register_blueprint(bp)
    add_nav(app, "Users", "users.index", lead_only=True)
