"""`claimtrack export`: the same CSV as /export.csv (or JSON Lines, or annotations), to a file or stdout;
`claimtrack import`: claims back in from such a file."""
import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from claimtrack import importing
from claimtrack.cli import printable
from claimtrack.export_command import HELP, export_options, write_export
from models import utcnow

from ..cli import active_lead, read_utf8
from ..db import get_session


@click.command("export", help=HELP)
@export_options
@with_appcontext
def export_command(**options):
    """`claimtrack export` through the app's session (the console script runs it without the app)."""
    write_export(get_session(), **options)


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, allow_dash=True, path_type=Path))
@click.option("--user", "username", required=True,
              help="The lead who adds the claims and records their decisions (username).")
@click.option("--format", type=click.Choice(importing.FORMATS),
              help="jsonl: the objects of `export --format jsonl`; csv: the columns of the CSV export "
                   "(default: csv for a .csv file, else jsonl).")
@click.option("--skip-bad", is_flag=True, help="Write the good rows even when some are bad (those are reported).")
@with_appcontext
def import_command(file: Path, username: str, format: str | None, skip_bad: bool):  # noqa: A002 - the option is --format
    """Add the claims of a JSON Lines or CSV file; nothing is written if a row is bad (unless --skip-bad)."""
    session = get_session()
    user = active_lead(session, username, "imports")
    text = read_utf8(file)
    if format is None:
        format = "csv" if file.suffix.lower() == ".csv" else "jsonl"
    report = importing.import_claims(session, text, format, user, utcnow(), skip_bad=skip_bad)
    session.commit()
    for error in report.errors:
        click.echo(f"line {error.line}: {printable(error.reason)}", err=True)
    if not report.written:
        click.echo(f"{len(report.errors)} bad rows; nothing was imported", err=True)
        sys.exit(1)
    bad = f", {len(report.errors)} bad rows skipped" if report.errors else ""
    click.echo(f"imported {report.created} claims, {report.unchanged} already there{bad}", err=True)
