"""`claimtrack references`: import a reference file, list the sources, match every claim again."""
import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from claimtrack import references
from claimtrack.cli import printable
from models import utcnow

from ..cli import active_lead, read_utf8
from ..db import get_session


@click.group("references")
def references_group():
    """Reference sources: trusted figures claims are checked against."""


@references_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, allow_dash=True, path_type=Path))
@click.option("--name", required=True, help="The source's name; importing under it again replaces its figures.")
@click.option("--url", default="", help="The source's page (an http(s) address).")
@click.option("--user", "username", required=True, help="The lead who imports it (username).")
@with_appcontext
def import_command(file: Path, name: str, url: str, username: str):
    """Import a reference CSV; nothing is written if a row is bad (each is reported with its line)."""
    session = get_session()
    user = active_lead(session, username, "reference imports")
    text = read_utf8(file)
    report = references.import_references(session, text, name, user, utcnow(), url=url)
    if not report.written:
        session.rollback()
        for error in report.errors:
            click.echo(f"line {error.line}: {printable(error.reason)}" if error.line else printable(error.reason),
                       err=True)
        click.echo(f"{len(report.errors)} problems; nothing was imported", err=True)
        sys.exit(1)
    session.commit()
    click.echo(f"imported {report.rows} figures as {printable(name.strip())}: {report.created} new, "
               f"{report.updated} updated, {report.unchanged} unchanged, {report.removed} removed; "
               f"{report.contradicts} claims contradict it, {report.matches} match it", err=True)


@references_group.command("list")
@with_appcontext
def list_command():
    """Print each reference source: its name, figures, address and last import."""
    for source, figures in references.sources(get_session()):
        click.echo(f"{printable(source.name)}\t{figures} figures\t{printable(source.url)}\t"
                   f"{source.imported_at.isoformat()} by {source.imported_by.username}")


@references_group.command("match")
@with_appcontext
def match_command():
    """Match every claim against the reference figures again (after leads taught detection new measures)."""
    session = get_session()
    report = references.match_all(session)
    session.commit()
    click.echo(f"checked {report.claims} claims: {report.contradicts} contradict a reference, {report.matches} match "
               f"one, {report.changed} changed", err=True)
