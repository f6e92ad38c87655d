"""The moderation queue: the progress dashboard and "next claim"."""
from flask import Flask

from ..auth.access import add_nav
from .routes import bp


def init_app(app: Flask) -> None:
    """Register the queue blueprint and its navigation entry."""
    app.register_blueprint(bp)
    add_nav(app, "Queue", "queue.dashboard")
