"""Document pages: the list, one document's text with its claims marked, upload."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from claimtrack.claim_filters import parse_id
from claimtrack.documents import document_page, document_segments
from claimtrack.ingest import prepare_apart, store
from claimtrack.sources import DocumentError, decode_document, upload_name, with_metadata
from models import Document

from ..db import end_transaction, get_session
from .forms import UploadForm

bp = Blueprint("documents", __name__)


@bp.get("/")
def home():
    """The start page is the documents list."""
    return redirect(url_for("documents.index"))


@bp.get("/documents")
def index():
    """Ingested documents, a page at a time, with their dates and claim counts."""
    return _render_index(UploadForm(formdata=None))


def _render_index(form: UploadForm, status: int = 200):
    after = parse_id("after", request.args["after"], minimum=0) if request.args.get("after") else None
    page = document_page(get_session(), after)
    return render_template(
        "documents/index.html", documents=page.documents, next_after=page.next_after,
        paged=after is not None, form=form,
    ), status


@bp.get("/documents/<int:document_id>")
def show(document_id: int):
    """A document's full text with its claims highlighted and linked."""
    session = get_session()
    document = session.get(Document, document_id) or abort(404, description="No such document.")
    return render_template(
        "documents/show.html", document=document, segments=document_segments(session, document)
    )


@bp.post("/documents")
def upload():
    """Ingest an uploaded file, or say why it was refused without storing anything."""
    form = UploadForm()
    if not form.validate_on_submit():
        # The page again, the typed title, author, publisher and URL kept beside their errors.
        return _render_index(form, 400)
    upload = form.file.data
    name = upload_name(upload.filename or "") or "upload.txt"
    # Reading and extracting a large file takes seconds: on SQLite the login check's transaction
    # holds the write lock (BEGIN IMMEDIATE), and nobody else could write, or even read, meanwhile.
    end_transaction()
    try:
        source = decode_document(upload.read(), name, source=(form.source_url.data or "").strip() or f"upload:{name}")
    except DocumentError as exc:
        flash(f"{name} refused: {exc}", "error")
        return redirect(url_for("documents.index"), 303)
    source = with_metadata(source, title=form.title.data, author=form.author.data, publisher=form.publisher.data,
                           published=form.published.data)
    prepared = prepare_apart(source)
    session = get_session()
    result = store(session, prepared)
    session.commit()
    if result.status == "duplicate":
        flash(f"{name} is already stored as document {result.document_id}; nothing changed.", "info")
    else:
        flash(f"{name} added with {result.claims} claims.", "success")
    return redirect(url_for("documents.show", document_id=result.document_id), 303)
