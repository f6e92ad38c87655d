"""Export pages: the filter form and the streamed CSV download."""
from flask import Blueprint, Response, abort, current_app, render_template, request, stream_with_context

from claimtrack.export import CsvExport, ExportFilterError, export_filename
from models import utcnow

from ..db import EXTENSION
from .forms import ExportFilterForm

bp = Blueprint("export", __name__)

# The claims list's page position, carried by its "Export these" link: an export is every
# matching claim, never one page of them.
IGNORED_PARAMETERS = {"after"}


@bp.get("/export")
def index():
    """A form of filters that downloads the matching claims as CSV."""
    return render_template("export/index.html", form=ExportFilterForm(formdata=None))


@bp.get("/export.csv")
def download():
    """The claims matching the query's filters as CSV, streamed as it is read."""
    form = ExportFilterForm(formdata=request.args)
    unknown = sorted(set(request.args) - {field.name for field in form} - IGNORED_PARAMETERS)
    if unknown:
        abort(400, description=f"Unknown filter: {', '.join(unknown)}. See /export for the filters.")
    if not form.validate():
        problems = "; ".join(f"{name}: {' '.join(errors)}" for name, errors in form.errors.items())
        abort(400, description=f"Bad filter: {problems}")
    try:
        filters = form.to_filters()
    except ExportFilterError as exc:
        abort(400, description=f"Bad filter: {exc}")
    bom = form.bom.data

    def generate():
        # The stream outlives the view, so it reads through a session of its own.
        session = current_app.extensions[EXTENSION]()
        try:
            for chunk in CsvExport(session, filters, bom=bom):
                yield chunk.encode("utf-8")
        finally:
            session.close()

    return Response(
        stream_with_context(generate()),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{export_filename(utcnow().date())}"'},
    )
