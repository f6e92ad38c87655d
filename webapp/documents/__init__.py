"""The documents area: what is ingested, each document's text, and adding new ones."""
from flask import Flask

from ..auth.access import add_nav
from .routes import bp


def init_app(app: Flask) -> None:
    """Register the documents blueprint and its menu entry."""
    app.register_blueprint(bp)
    add_nav(app, "Documents", "documents.index")
