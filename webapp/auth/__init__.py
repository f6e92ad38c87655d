"""Logging in and out."""
from flask import Flask

from .routes import bp


def init_app(app: Flask) -> None:
    """Register the auth blueprint."""
    app.register_blueprint(bp)
