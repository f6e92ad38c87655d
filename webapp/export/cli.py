"""`claimtrack export`: the same CSV as /export.csv (or JSON Lines, or annotations), to a file or stdout;
`claimtrack import`: claims back in from such a file."""
import json
import os
import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from claimtrack import importing
from claimtrack.annotation import annotation_lines
from claimtrack.claim_filters import CONFLICT_CHOICES, FilterError
from claimtrack.cli import printable
from claimtrack.export import EXPORT_DEFAULTS, CsvExport, JsonlExport, csvw_metadata, export_filter
from models import KINDS, STATUSES, utcnow

from ..cli import active_lead, iso_date, read_utf8
from ..db import get_session


@click.command("export")
@click.option("-o", "--output", default="-", type=click.Path(dir_okay=False, allow_dash=True),
              help="File to write (default: stdout).")
@click.option("--q", help="Only claims whose quote, sentence, subject, measure or document title hold "
                           "every word (or \"quoted phrase\").")
@click.option("--status", multiple=True, type=click.Choice(STATUSES),
              help="Claim status; repeat for several (default: verified).")
@click.option("--document", type=int, help="Only this document's claims (its document number).")
@click.option("--subject", help="Only claims whose subject starts with this, in any case.")
@click.option("--measure", help="Only claims whose measure starts with this, in any case.")
@click.option("--reviewer", help="Only claims last reviewed by this user (username).")
@click.option("--kind", type=click.Choice(KINDS), help="Only facts, targets or projections.")
@click.option("--period-from", callback=iso_date, help="Only periods starting on or after YYYY-MM-DD.")
@click.option("--period-to", callback=iso_date, help="Only periods ending on or before YYYY-MM-DD.")
@click.option("--reviewed-from", callback=iso_date, help="Only claims reviewed on or after YYYY-MM-DD (UTC).")
@click.option("--reviewed-to", callback=iso_date, help="Only claims reviewed on or before YYYY-MM-DD (UTC).")
@click.option("--conflicts", type=click.Choice(CONFLICT_CHOICES), default=EXPORT_DEFAULTS["conflicts"], show_default=True,
              help="settled: no deprecated values or disputed groups; all: everything; "
                   "preferred: only preferred values.")
@click.option("--settled-only", is_flag=True, default=None,
              help="Leave out claims whose required second review or adjudication is still to do.")
@click.option("--bom", is_flag=True, help="Start with a UTF-8 byte order mark (for Excel).")
@click.option("--format", type=click.Choice(("csv", "jsonl", "annotations")), default="csv", show_default=True,
              help="csv: the columns of docs/export.md; jsonl: one JSON object a claim, as `claimtrack import` reads; "
                   "annotations: W3C Web Annotations, one JSON-LD object a line.")
@click.option("--metadata", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the CSV's W3C CSVW metadata (columns and datatypes) to this file.")
@with_appcontext
def export_command(output: str, bom: bool, format: str, metadata: Path | None,  # noqa: A002 - the option is --format
                   **filters):
    """Write the claims matching the filters (verified, settled ones by default) as CSV, JSON Lines or annotations."""
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
            for line in annotation_lines(get_session(), export_filters):
                out.write(line.encode("utf-8"))
        return
    if format == "jsonl":
        export = JsonlExport(get_session(), export_filters)
    else:
        export = CsvExport(get_session(), export_filters, bom=bom)
    with click.open_file(output, "wb") as out:
        for chunk in export:
            out.write(chunk.encode("utf-8"))
    if export.failure:
        click.echo(f"export failed after {export.rows} rows: {export.failure}", err=True)
        sys.exit(1)
    if output != "-":
        click.echo(f"wrote {export.rows} claims to {output}", err=True)


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


def _write_metadata(path: Path, output: str) -> None:
    """Write the CSVW metadata to `path`, naming the CSV file (relative to the metadata's folder) as its table."""
    # A CSVW url is resolved against the metadata's own address; stdout has none, so the web's name stands in.
    table = "export.csv" if output == "-" else os.path.relpath(Path(output).resolve(), path.resolve().parent)
    path.write_text(json.dumps(csvw_metadata(Path(table).as_posix()), indent=2) + "\n", encoding="utf-8")
