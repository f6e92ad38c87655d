"""Reference pages: the sources imported, and a lead's upload of one."""
from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_login import current_user

from claimtrack import references
from models import utcnow

from ..auth.access import lead_required
from ..db import get_session
from .forms import UploadForm

bp = Blueprint("references", __name__)


@bp.get("/references")
@lead_required
def index():
    """The reference sources with their figures' count, and the upload form."""
    return render_template("references/index.html", sources=references.sources(get_session()), form=UploadForm())


@bp.post("/references")
@lead_required
def upload():
    """Import an uploaded reference CSV: every bad row with its line and reason, and nothing written, if any is bad."""
    form = UploadForm()
    session = get_session()
    if not form.validate_on_submit():
        return render_template("references/index.html", sources=references.sources(session), form=form), 400
    data = form.file.data.read(current_app.config["MAX_CONTENT_LENGTH"] + 1)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        form.file.errors = [f"The file is not UTF-8 (bad byte at offset {exc.start}): nothing was imported."]
        return render_template("references/index.html", sources=references.sources(session), form=form), 400
    report = references.import_references(session, text, form.name.data, current_user, utcnow(), url=form.url.data or "")
    if not report.written:
        session.rollback()
        return render_template("references/index.html", sources=references.sources(session), form=form,
                               report=report), 400
    session.commit()
    flash(f"Imported {form.name.data.strip()}: {report.created} new, {report.updated} updated, {report.unchanged} "
          f"unchanged, {report.removed} removed figures; {report.contradicts} claims contradict it, "
          f"{report.matches} match it.", "success")
    return redirect(url_for("references.index"), 303)
