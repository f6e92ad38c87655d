"""Export pages: the filter form and the streamed CSV download."""
from dataclasses import replace

from urllib.parse import parse_qsl

from flask import Blueprint, Response, abort, flash, json, redirect, render_template, request, stream_with_context, url_for
from flask_login import current_user

from markupsafe import Markup
from werkzeug.datastructures import MultiDict

from claimtrack import reference
from claimtrack.claim_filters import ClaimFilter, Paging
from claimtrack.export import CSVW_MEDIA_TYPE, EXPORT_DEFAULTS, CsvExport, JsonlExport, csvw_metadata, export_filename
from claimtrack.jobs.records import new_export_job
from models import utcnow

from ..db import get_session, read_only_session
from ..jobs import job_queue
from .forms import ExportFilterForm, ExportJobForm

bp = Blueprint("export", __name__)

# Whether to start the file with a UTF-8 byte order mark; not a filter of the claims.
BOM = "bom"
FALSE_WORDS = ("", "0", "false", "no", "off")


@bp.get("/export")
def index():
    """A form of filters that downloads the matching claims as CSV."""
    return render_template("export/index.html", form=ExportFilterForm(formdata=None), job_form=ExportJobForm())


@bp.get("/export/columns")
def columns():
    """The export's reference (docs/export.md): every column, filter and format rule, as a page."""
    html = reference.page("export") or abort(404, description="The export reference is not installed here.")
    return render_template("export/columns.html", reference=Markup(html))


@bp.get("/export.csv")
def download():
    """The claims matching the query's filters as CSV, streamed as it is read."""
    return csv_download(request.args)


def _export_filters(args: MultiDict, options: tuple[str, ...] = ()) -> ClaimFilter:
    """The export's filter for these query parameters and the current user; 400 when one is unusable or unknown."""
    # The claims list's page position (sort, after, before) is ignored: an export is every
    # matching claim in id order, never one page of them.
    unknown = sorted(set(args) - set(ClaimFilter.PARAMETERS) - set(Paging.PARAMETERS) - set(options))
    if unknown:
        abort(400, description=f"Unknown filter: {', '.join(unknown)}. See /export for the filters.")
    Paging.from_args(args)  # refused when unusable, like every other parameter
    # A claim awaiting the user's blind second review is not theirs to see decided: it is left out.
    return replace(ClaimFilter.from_args(args, EXPORT_DEFAULTS), viewer=current_user.id, viewer_sees_no_blind=True)


@bp.post("/export/jobs")
def queue_export():
    """Prepare the export of these filters as a background job, for a download too large to wait on."""
    form = ExportJobForm()
    if not form.validate_on_submit():
        abort(400, description="The form's security token was missing or invalid. Reload the page and try again.")
    query = form.query.data or ""
    _export_filters(MultiDict(parse_qsl(query, keep_blank_values=True)), (BOM,))  # a 400 when unusable
    session = get_session()
    job = new_export_job(session, query, bom=_wants_bom(MultiDict(parse_qsl(query))), created_by_id=current_user.id)
    session.commit()
    job_queue().submit(job.id)
    flash("The export is being prepared; its download appears here when it is written.", "info")
    return redirect(url_for("jobs.show", job_id=job.id), 303)


def _wants_bom(args: MultiDict) -> bool:
    return args.get(BOM, "").strip().lower() not in FALSE_WORDS


@bp.get("/export.csv-metadata.json")
def metadata():
    """The W3C CSVW metadata of /export.csv: its columns, their datatypes and the safe-cell rule."""
    return csvw_response()


def csvw_response() -> Response:
    """The CSVW metadata of the export CSV beside the requested address (its `url` is `export.csv`, relative)."""
    return Response(json.dumps(csvw_metadata("export.csv"), indent=2), mimetype=CSVW_MEDIA_TYPE)


def csv_download(args: MultiDict) -> Response:
    """The export CSV for these query parameters (filters and `bom`) as a streamed download; 400 when unusable."""
    filters = _export_filters(args, (BOM,))
    bom = _wants_bom(args)

    def generate():
        # The stream outlives the view, so it reads through a session of its own.
        session = read_only_session()
        try:
            yield from CsvExport(session, filters, bom=bom).encoded()
        finally:
            session.close()

    return Response(
        stream_with_context(generate()),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{export_filename(utcnow().date())}"'},
    )


def jsonl_download(args: MultiDict) -> Response:
    """The export's claims as JSON Lines (docs/export.md) for these filters, streamed; 400 when unusable."""
    filters = _export_filters(args)

    def generate():
        session = read_only_session()
        try:
            for chunk in JsonlExport(session, filters):
                yield chunk.encode("utf-8")
        finally:
            session.close()

    return Response(
        stream_with_context(generate()),
        mimetype="application/jsonl",
        headers={"Content-Disposition": f'attachment; filename="{export_filename(utcnow().date(), "jsonl")}"'},
    )
