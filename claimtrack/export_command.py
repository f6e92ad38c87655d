"""`claimtrack export`'s options and work, without Flask: the console script runs it on DATABASE_URL.

The app's CLI (`flask --app webapp export`, and the tests' runner) registers the same options
around the app's session (`webapp.export.cli`), so both write the same bytes; the console script
skips building the app, which costs more than a second of an export's start.
"""
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

import click
import sqlalchemy.orm as so

from models import KINDS, STATUSES

from .annotation import annotation_lines
from .claim_filters import CONFLICT_CHOICES, FilterError
from .cli import iso_date
from .export import EXPORT_CONNECTIONS, EXPORT_DEFAULTS, CsvExport, JsonlExport, csvw_metadata, export_filter

HELP = "Write the claims matching the filters (verified, settled ones by default) as CSV, JSON Lines or annotations."


def export_options(command: Callable) -> Callable:
    """The options of `claimtrack export`, in the order `--help` lists them."""
    options = [
        click.option("-o", "--output", default="-", type=click.Path(dir_okay=False, allow_dash=True),
                     help="File to write (default: stdout)."),
        click.option("--q", help="Only claims whose quote, sentence, subject, measure or document title hold "
                                 "every word (or \"quoted phrase\")."),
        click.option("--status", multiple=True, type=click.Choice(STATUSES),
                     help="Claim status; repeat for several (default: verified)."),
        click.option("--document", type=int, help="Only this document's claims (its document number)."),
        click.option("--subject", help="Only claims whose subject starts with this, in any case."),
        click.option("--measure", help="Only claims whose measure starts with this, in any case."),
        click.option("--reviewer", help="Only claims last reviewed by this user (username)."),
        click.option("--kind", type=click.Choice(KINDS), help="Only facts, targets or projections."),
        click.option("--period-from", callback=iso_date, help="Only periods starting on or after YYYY-MM-DD."),
        click.option("--period-to", callback=iso_date, help="Only periods ending on or before YYYY-MM-DD."),
        click.option("--reviewed-from", callback=iso_date, help="Only claims reviewed on or after YYYY-MM-DD (UTC)."),
        click.option("--reviewed-to", callback=iso_date, help="Only claims reviewed on or before YYYY-MM-DD (UTC)."),
        click.option("--conflicts", type=click.Choice(CONFLICT_CHOICES), default=EXPORT_DEFAULTS["conflicts"],
                     show_default=True, help="settled: no deprecated values or disputed groups; all: everything; "
                                             "preferred: only preferred values."),
        click.option("--settled-only", is_flag=True, default=None,
                     help="Leave out claims whose required second review or adjudication is still to do."),
        click.option("--bom", is_flag=True, help="Start with a UTF-8 byte order mark (for Excel)."),
        click.option("--format", type=click.Choice(("csv", "jsonl", "annotations")), default="csv",
                     show_default=True,
                     help="csv: the columns of docs/export.md; jsonl: one JSON object a claim, as `claimtrack import` "
                          "reads; annotations: W3C Web Annotations, one JSON-LD object a line."),
        click.option("--metadata", type=click.Path(dir_okay=False, path_type=Path),
                     help="Also write the CSV's W3C CSVW metadata (columns and datatypes) to this file."),
        click.option("--connections", type=click.IntRange(1, 8), default=EXPORT_CONNECTIONS, show_default=True,
                     help="PostgreSQL: read the CSV over this many connections at once, from one snapshot "
                          "(the same bytes; 1 reads it with one COPY)."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def write_export(session: so.Session, output: str, bom: bool, format: str,  # noqa: A002 - the option is --format
                 metadata: Path | None, connections: int = 1, **filters) -> None:
    """Write the claims matching `filters` read through `session` to `output`, as the options ask."""
    given = {name: value for name, value in filters.items() if value not in (None, ())}
    try:
        export_filters = export_filter(**given)
    except FilterError as exc:
        raise click.UsageError(str(exc)) from None
    if metadata is not None:
        if format != "csv":
            raise click.UsageError("--metadata describes the CSV: use it with --format csv.")
        _write_metadata(metadata, output)
    if format == "annotations":
        with click.open_file(output, "wb") as out:
            for line in annotation_lines(session, export_filters):
                out.write(line.encode("utf-8"))
        return
    if format == "jsonl":
        export = JsonlExport(session, export_filters)
        chunks = (chunk.encode("utf-8") for chunk in export)
    else:
        export = CsvExport(session, export_filters, bom=bom, connections=connections)
        chunks = export.encoded()
    with click.open_file(output, "wb") as out:
        for chunk in chunks:
            out.write(chunk)
    if export.failure:
        click.echo(f"export failed after {export.rows} rows: {export.failure}", err=True)
        sys.exit(1)
    if output != "-":
        click.echo(f"wrote {export.rows} claims to {output}", err=True)


def _write_metadata(path: Path, output: str) -> None:
    """Write the CSVW metadata to `path`, naming the CSV file (relative to the metadata's folder) as its table."""
    # A CSVW url is resolved against the metadata's own address; stdout has none, so the web's name stands in.
    table = "export.csv" if output == "-" else os.path.relpath(Path(output).resolve(), path.resolve().parent)
    path.write_text(json.dumps(csvw_metadata(Path(table).as_posix()), indent=2) + "\n", encoding="utf-8")


@click.command("export", help=HELP)
@export_options
def export_command(**options) -> None:
    """`claimtrack export` on the database at DATABASE_URL (else the instance folder's SQLite file)."""
    from .database import database_url, make_engine, make_sessionmaker

    engine = make_engine(database_url())
    try:
        with make_sessionmaker(engine)() as session:
            write_export(session, **options)
    finally:
        engine.dispose()
