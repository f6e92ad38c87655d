"""Claims: the review page, decisions, history and undo, the claims list and bulk actions."""
from flask import Flask

from ..auth.access import add_nav
from .routes import bp


def init_app(app: Flask) -> None:
    """Register the claims blueprint and its navigation entry."""
    app.register_blueprint(bp)
    add_nav(app, "Claims", "claims.index")
