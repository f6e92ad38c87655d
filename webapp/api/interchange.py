"""The API's standard-format operations: a claim as a W3C Web Annotation."""
from flask import Response, json, url_for

from claimtrack.annotation import annotation

from ..db import get_session
from . import interchange_schemas
from .routes import _claim_or_404, bp

JSON_LD = "application/ld+json"


@bp.get("/claims/<int:claim_id>/annotation")
@bp.response(200, interchange_schemas.Annotation, content_type=JSON_LD)
def get_annotation(claim_id: int):
    """The claim as a W3C Web Annotation on its document (JSON-LD)."""
    claim = _claim_or_404(claim_id)
    body = annotation(
        get_session(), claim,
        annotation_iri=url_for("api.get_annotation", claim_id=claim.id, _external=True),
        document_iri=url_for("api.get_document", document_id=claim.document_id, _external=True))
    # Returned as a Response so the media type is JSON-LD's, not flask-smorest's application/json.
    return Response(json.dumps(body), mimetype=JSON_LD)
