"""The `claimtrack` console script: commands that need no app run without loading Flask or a database.

`extract` only reads files and prints claims, so it is run from here and starts in a fraction
of a second; `export` reads the database at DATABASE_URL without building the app. Every other
command, and `--help`, is handed to the Flask CLI (`webapp.cli`), which also registers `extract`
and `export`, so `flask --app webapp extract` and the command list agree.
"""
import json
import re
import sys
from datetime import date
from pathlib import Path

import click

# What a file name may not put on a terminal: controls (a newline would forge an output line),
# line separators, bidirectional overrides and the lone surrogates of undecodable bytes.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def printable(value: object) -> str:
    """`value` as text that stays on one output line and shows what it is: unprintable characters escaped."""
    return _UNPRINTABLE.sub(
        lambda match: match.group().encode("unicode_escape", "backslashreplace").decode("ascii"), str(value)
    )


def iso_date(_ctx, _param, value: str | None) -> date | None:
    """Click callback: a YYYY-MM-DD option as a date."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("use YYYY-MM-DD") from None


@click.command("extract")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--published", callback=iso_date, help="Resolve relative dates against this date (YYYY-MM-DD).")
@click.option("--format", "fmt", type=click.Choice(["jsonl"]), default="jsonl", show_default=True)
@click.option("--explain", is_flag=True,
              help='Also print each number dropped as a non-claim: {"dropped": true, ..., "reason": RULE}.')
def extract_command(files: tuple[Path, ...], published: date | None, fmt: str, explain: bool):
    """Print the claims found in FILES as JSON lines, without touching any database."""
    # Here, not at the top: `export` shares this module's helpers and needs no extractor.
    from .prepare import prepare
    from .sources import DocumentError, read_document

    failed = False
    for path in files:
        try:
            prepared = prepare(read_document(path, published), explain=explain)
        except DocumentError as exc:
            click.echo(f"refused {printable(path)}: {printable(exc)}", err=True)
            failed = True
            continue
        rows = sorted([*prepared.claims, *prepared.dropped], key=lambda row: row.start)
        for row in rows:
            click.echo(json_line(row.to_json(path.name)))
    if failed:
        sys.exit(1)


# Characters that str.splitlines() and many line readers take for line ends; JSON allows them raw
# in strings, but one JSON value per line must survive any line reader.
_LINE_BREAKS = {ord(c): f"\\u{ord(c):04x}" for c in "\x85\u2028\u2029"}


def json_line(value) -> str:
    """`value` as one line of JSON, non-ASCII text kept readable, every line-breaking character escaped."""
    return json.dumps(value, ensure_ascii=False).translate(_LINE_BREAKS)


def _export_command() -> click.Command:
    """The export command, imported on its use (it loads SQLAlchemy and the models)."""
    from .export_command import export_command

    return export_command


# Commands that need neither the app nor its configuration, each imported only when it is run:
# `extract` needs no database, and `export` only the models and DATABASE_URL.
APPLESS_COMMANDS = {"extract": lambda: extract_command, "export": _export_command}


def main() -> None:
    """Entry point of the `claimtrack` console script."""
    args = sys.argv[1:]
    if args and args[0] in APPLESS_COMMANDS:
        APPLESS_COMMANDS[args[0]]().main(args[1:], prog_name=f"claimtrack {args[0]}")
        return
    from webapp.cli import main as app_main

    app_main()
