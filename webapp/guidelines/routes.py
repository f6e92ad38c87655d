"""Guidelines pages (read, versions, a lead's editor) and the lead's team settings page."""
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from claimtrack import guidelines, team
from models import utcnow

from ..auth.access import lead_required
from ..db import get_session
from .forms import GuidelinesForm, TeamForm

bp = Blueprint("guidelines", __name__)


@bp.get("/guidelines")
def show():
    """The guidelines in force, and every earlier version."""
    db = get_session()
    entries = guidelines.versions(db)
    current = entries[0] if entries else None
    return render_template("guidelines/show.html", entry=current, versions=entries,
                           html=guidelines.render(current.body) if current else None, in_force=True)


@bp.get("/guidelines/<int:number>")
def version(number: int):
    """One version of the guidelines, as it read."""
    db = get_session()
    entry = guidelines.version(db, number) or abort(404, description="No such version of the guidelines.")
    return render_template("guidelines/show.html", entry=entry, versions=guidelines.versions(db),
                           html=guidelines.render(entry.body), in_force=entry.version == guidelines.current_version(db))


@bp.route("/guidelines/edit", methods=["GET", "POST"])
@lead_required
def edit():
    """A lead writes a new version; a save refused (empty, or another version saved since) keeps the text."""
    db = get_session()
    current = guidelines.current(db)
    form = GuidelinesForm()
    if not form.is_submitted():
        form = GuidelinesForm(formdata=None, body=current.body if current else "",
                              based_on=current.version if current else None)
    elif form.validate():
        try:
            entry = guidelines.save(db, current_user, form.body.data, based_on=form.based_on.data, now=utcnow(),
                                    note=form.note.data or "")
            db.commit()
        except guidelines.GuidelinesError as exc:
            db.rollback()
            form.body.errors = [str(exc)]
            if exc.status == 409:
                current = guidelines.current(db)
                form.based_on.raw_data, form.based_on.data = None, current.version if current else None
            return render_template("guidelines/edit.html", form=form, current=current), exc.status
        flash(f"Guidelines saved as version {entry.version}.", "success")
        return redirect(url_for("guidelines.show"), 303)
    else:
        return render_template("guidelines/edit.html", form=form, current=current), 400
    return render_template("guidelines/edit.html", form=form, current=current)


@bp.route("/team", methods=["GET", "POST"])
@lead_required
def team_settings():
    """A lead chooses the queue's order and whether a verify needs evidence, for the whole team."""
    db = get_session()
    form = TeamForm()
    if not form.is_submitted():
        form = TeamForm(formdata=None, queue_order=team.queue_order(db), evidence_required=team.evidence_required(db))
        form.show_seen(form.queue_order.data, form.evidence_required.data)
    elif form.validate():
        try:
            changed = team.change(db, current_user, utcnow(), seen=form.seen(), queue_order=form.queue_order.data,
                                  evidence_required=bool(form.evidence_required.data))
        except team.StaleSetting as exc:
            db.rollback()
            form.show_seen(team.queue_order(db), team.evidence_required(db))
            form[exc.name].errors = [str(exc)]
            return render_template("guidelines/team.html", form=form), 409
        db.commit()
        flash("Team settings saved." if changed else "Nothing was changed.", "success" if changed else "info")
        return redirect(url_for("guidelines.team_settings"), 303)
    else:
        return render_template("guidelines/team.html", form=form), 400
    return render_template("guidelines/team.html", form=form)
