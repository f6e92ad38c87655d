"""`claimtrack token`: create, list and revoke a user's personal API tokens."""
import click
from flask.cli import with_appcontext

from claimtrack import accounts, tokens
from models import utcnow

from ..db import get_session


@click.group("token")
def token_group():
    """Personal API tokens (the API at /api/v1 acts with the token's user and role)."""


def _user(username: str):
    user = accounts.find_user(get_session(), username)
    if user is None:
        raise click.ClickException(f"no user {username!r}")
    return user


@token_group.command("create")
@click.argument("username")
@click.option("--name", required=True, help="What the token is for, to recognise it when revoking.")
@with_appcontext
def token_create(username: str, name: str):
    """Create a token for USERNAME and print it: it is shown this once and never stored."""
    session = get_session()
    try:
        token, secret = tokens.create(session, _user(username), name, utcnow())
    except tokens.TokenError as exc:
        raise click.ClickException(str(exc)) from None
    session.commit()
    click.echo(f"created token {token.id} {token.name!r} for {token.user.username} ({token.user.role}); "
               "it is shown only now:", err=True)
    click.echo(secret)


@token_group.command("list")
@click.argument("username")
@with_appcontext
def token_list(username: str):
    """List USERNAME's tokens (id, name, created, last used, revoked); never the tokens themselves."""
    for token in tokens.tokens_of(get_session(), _user(username)):
        when = lambda moment: moment.isoformat(timespec="seconds") if moment else "-"  # noqa: E731
        click.echo(f"{token.id}\t{token.name}\tcreated {when(token.created_at)}\tlast used {when(token.last_used_at)}"
                   f"\trevoked {when(token.revoked_at)}")


@token_group.command("revoke")
@click.argument("username")
@click.option("--name", help="Revoke every active token of USERNAME with this name.")
@click.option("--id", "token_id", type=int, help="Revoke the token with this id.")
@with_appcontext
def token_revoke(username: str, name: str | None, token_id: int | None):
    """Revoke USERNAME's token named --name (or numbered --id): it stops working at once."""
    if (name is None) == (token_id is None):
        raise click.UsageError("give either --name or --id")
    session, user = get_session(), _user(username)
    if token_id is not None:
        found = tokens.find(session, user, token_id)
        chosen = [found] if found is not None and found.active else []
    else:
        chosen = tokens.find_by_name(session, user, name)
    if not chosen:
        raise click.ClickException(f"{user.username} has no active token {'numbered ' + str(token_id) if token_id else repr(name)}")
    now = utcnow()
    for token in chosen:
        tokens.revoke(token, now)
    session.commit()
    click.echo(f"revoked {len(chosen)} token(s) of {user.username}")
