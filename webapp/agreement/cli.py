"""`claimtrack agreement`: the agreement report of the agreement page, as text or JSON."""
import json

import click
from flask.cli import with_appcontext

from claimtrack.claim_filters import FilterError

from ..cli import iso_date
from ..db import get_session


def _number(value: float | None, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _interval(pair: tuple[float, float] | None) -> str:
    return "" if pair is None else f" [{pair[0]:.3f}, {pair[1]:.3f}]"


@click.command("agreement")
@click.option("--from", "date_from", callback=iso_date, help="Only second reviews made on or after YYYY-MM-DD (UTC).")
@click.option("--to", "date_to", callback=iso_date, help="Only second reviews made on or before YYYY-MM-DD (UTC).")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="A table to read, or JSON for scripts.")
@with_appcontext
def agreement_command(date_from, date_to, output_format: str):
    """How often first and blind second reviews agree: per decision and field, and per reviewer."""
    # Imported here: numpy takes up to a second to load, and every other command would wait for it.
    from claimtrack import agreement

    try:
        result = agreement.report(get_session(), date_from, date_to)
    except FilterError as exc:
        raise click.UsageError(str(exc)) from None
    if output_format == "json":
        click.echo(json.dumps(result.as_dict(), indent=2, ensure_ascii=False))
        return
    click.echo(f"claims reviewed twice: {result.reviewed_twice} (agreed {result.agreed}, awaiting adjudication "
               f"{result.adjudication}, adjudicated {result.adjudicated}); awaiting a second review: {result.awaiting}")
    click.echo(f"{'measure':<11}{'level':<10}{'claims':>8}  {'raw agreement':<24}{'kappa':<24}alpha")
    for m in result.measures:
        click.echo(f"{m.name:<11}{m.level:<10}{m.claims:>8}  "
                   f"{_number(m.raw_agreement) + _interval(m.raw_agreement_ci):<24}"
                   f"{_number(m.kappa) + _interval(m.kappa_ci):<24}{_number(m.alpha)}{_interval(m.alpha_ci)}")
    if result.reviewers:
        click.echo("reviewer agreement with the final decision:")
        for r in result.reviewers:
            click.echo(f"  {r.username}: {r.final} of {r.reviews} ({r.share:.0%})")
    click.echo(result.method)
