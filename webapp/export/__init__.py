"""The export area: verified claims out as CSV, from the browser and the command line."""
from flask import Flask

from ..auth.access import add_nav
from .cli import export_command, import_command
from .routes import bp


def init_app(app: Flask) -> None:
    """Register the export blueprint, its menu entry and the `claimtrack export` and `claimtrack import` commands."""
    app.register_blueprint(bp)
    add_nav(app, "Export", "export.index")
    app.cli.add_command(export_command)
    app.cli.add_command(import_command)
