"""User management for leads; each user's own account page and API tokens."""
from flask import Flask

from ..auth.access import add_nav
from .account import bp as account_bp
from .cli import token_group
from .routes import bp


def init_app(app: Flask) -> None:
    """Register the users and account blueprints, their navigation entries and the token commands."""
    app.register_blueprint(bp)
    app.register_blueprint(account_bp)
    add_nav(app, "Users", "users.index", lead_only=True)
    add_nav(app, "Account", "account.index")
    app.cli.add_command(token_group)
