"""Leads manage accounts: create, deactivate or reactivate, change role."""
import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from claimtrack import accounts
from models import User

from ..auth.access import lead_required
from ..db import get_session
from .forms import ConfirmForm, NewUserForm, RoleForm

bp = Blueprint("users", __name__, url_prefix="/users")


def _user_or_404(user_id: int, lock: bool = False) -> User:
    """The user, freshly read; with `lock` (PostgreSQL) its row and the acting lead's are locked in id
    order, so two leads' changes take turns, also when each acts on the other."""
    db = get_session()
    if lock:
        db.scalars(sa.select(User).where(User.id.in_(sorted({user_id, current_user.id}))).order_by(User.id)
                   .with_for_update().execution_options(populate_existing=True)).all()
    return db.get(User, user_id) or abort(404, description="No such user.")


def _unchanged(user: User, state: str):
    """A double click, or another lead first: the account is already so, and nothing is recorded."""
    get_session().rollback()
    flash(f"{user.username} was already {state}; nothing changed.", "info")
    return redirect(url_for("users.index"), 303)


def _render(form: NewUserForm, status: int = 200):
    users = get_session().scalars(sa.select(User).order_by(User.username)).all()
    return render_template("users/index.html", users=users, form=form, role_form=RoleForm,
                           confirm=ConfirmForm(formdata=None)), status


@bp.get("")
@lead_required
def index():
    """Every account with its role and state."""
    return _render(NewUserForm(formdata=None))


@bp.post("")
@lead_required
def create():
    """Create an account."""
    db = get_session()
    form = NewUserForm()
    if not form.validate_on_submit():
        return _render(form, 400)
    try:
        user = accounts.add_user(db, current_user, form.username.data.strip(), form.password.data, form.role.data)
    except accounts.AccountError as exc:
        db.rollback()
        form.username.errors = [str(exc)]
        return _render(form, 400)
    db.commit()
    flash(f"Created {user.role} {user.username}.", "success")
    return redirect(url_for("users.index"), 303)


@bp.post("/<int:user_id>/deactivate")
@lead_required
def deactivate(user_id: int):
    """Deactivate an account: its sessions end and its leased claims go back to the queue."""
    db = get_session()
    if not ConfirmForm().validate_on_submit():
        abort(400, description="Invalid form.")
    user = _user_or_404(user_id, lock=True)
    if not user.active and user.id != current_user.id:
        return _unchanged(user, "deactivated")
    try:
        released = accounts.deactivate(db, user, current_user)
    except accounts.AccountError as exc:
        db.rollback()
        flash(str(exc).capitalize() + ".", "error")
        return redirect(url_for("users.index"), 303)
    db.commit()
    flash(f"Deactivated {user.username}; {released} held claim(s) returned to the queue.", "success")
    return redirect(url_for("users.index"), 303)


@bp.post("/<int:user_id>/activate")
@lead_required
def activate(user_id: int):
    """Let a deactivated account log in again."""
    db = get_session()
    if not ConfirmForm().validate_on_submit():
        abort(400, description="Invalid form.")
    user = _user_or_404(user_id, lock=True)
    if user.active:
        return _unchanged(user, "active")
    try:
        accounts.activate(db, user, current_user)
    except accounts.AccountError as exc:
        db.rollback()
        flash(str(exc).capitalize() + ".", "error")
        return redirect(url_for("users.index"), 303)
    db.commit()
    flash(f"Reactivated {user.username}.", "success")
    return redirect(url_for("users.index"), 303)


@bp.post("/<int:user_id>/role")
@lead_required
def change_role(user_id: int):
    """Make a user a reviewer or a lead."""
    db = get_session()
    user = _user_or_404(user_id)
    form = RoleForm()
    if not form.validate_on_submit():
        abort(400, description="Choose reviewer or lead.")
    try:
        accounts.set_role(db, user, form.role.data, current_user)
    except accounts.AccountError as exc:
        db.rollback()
        flash(str(exc).capitalize() + ".", "error")
        return redirect(url_for("users.index"), 303)
    db.commit()
    flash(f"{user.username} is now a {user.role}.", "success")
    return redirect(url_for("users.index"), 303)
