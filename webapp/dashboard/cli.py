"""`claimtrack dashboard --rebuild`: recount the dashboard's daily tallies from the reviews."""
import click
from flask.cli import with_appcontext

from claimtrack import dashboard

from ..db import get_session


@click.command("dashboard")
@click.option("--rebuild", is_flag=True, required=True,
              help="Recount every daily tally from the reviews (after loading reviews around the app).")
@with_appcontext
def dashboard_command(rebuild: bool):
    """Recount the dashboard's daily tallies from the recorded reviews."""
    session = get_session()
    read = dashboard.rebuild(session)
    session.commit()
    click.echo(f"counted {read} reviews into the dashboard's tallies", err=True)
