"""The user's own account page: their role and their personal API tokens."""
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from claimtrack import tokens
from models import utcnow

from ..db import get_session
from .forms import ConfirmForm, TokenForm

bp = Blueprint("account", __name__, url_prefix="/account")


def _render(form: TokenForm, status: int = 200, secret: str | None = None):
    return render_template("users/account.html", tokens=tokens.tokens_of(get_session(), current_user),
                           form=form, confirm=ConfirmForm(formdata=None), secret=secret), status


@bp.get("")
def index():
    """The user's account and API tokens."""
    return _render(TokenForm(formdata=None))


@bp.post("/tokens")
def create_token():
    """Create a token and show it this once (the page is not cached: Cache-Control no-store)."""
    db = get_session()
    form = TokenForm()
    if not form.validate_on_submit():
        return _render(form, 400)
    try:
        token, secret = tokens.create(db, current_user, form.name.data, utcnow())
    except tokens.TokenError as exc:
        db.rollback()
        form.name.errors = [str(exc).capitalize() + "."]
        return _render(form, 400)
    db.commit()
    return _render(TokenForm(formdata=None), 201, secret=secret)


@bp.post("/tokens/<int:token_id>/revoke")
def revoke_token(token_id: int):
    """Revoke one of the user's tokens at once."""
    db = get_session()
    token = tokens.find(db, current_user, token_id) or abort(404, description="No such token.")
    if not ConfirmForm().validate_on_submit():
        abort(400, description="Invalid form.")
    if tokens.revoke(token, utcnow()):
        db.commit()
        flash(f"Token {token.name!r} revoked.", "success")
    else:
        flash(f"Token {token.name!r} was already revoked.", "info")
    return redirect(url_for("account.index"), 303)
