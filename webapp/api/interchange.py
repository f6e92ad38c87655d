"""The API's standard-format operations: a claim as a W3C Web Annotation, a decided claim as a schema.org ClaimReview."""
from flask import Response, abort, json, url_for

from claimtrack.annotation import annotation
from claimtrack.claimreview import claim_review, standing_decision

from ..db import get_session
from . import interchange_schemas
from .routes import _claim_or_404, _not_blind, bp

JSON_LD = "application/ld+json"


@bp.get("/claims/<int:claim_id>/annotation")
@bp.response(200, interchange_schemas.Annotation, content_type=JSON_LD)
def get_annotation(claim_id: int):
    """The claim as a W3C Web Annotation on its document (JSON-LD); a 403 while it awaits your blind second review."""
    claim = _claim_or_404(claim_id)
    # The body holds the decision, its reviewer and corrections: hidden as the claim's reviews are.
    _not_blind(claim)
    body = annotation(
        get_session(), claim,
        annotation_iri=url_for("api.get_annotation", claim_id=claim.id, _external=True),
        document_iri=url_for("api.get_document", document_id=claim.document_id, _external=True))
    # Returned as a Response so the media type is JSON-LD's, not flask-smorest's application/json.
    return Response(json.dumps(body), mimetype=JSON_LD)


@bp.get("/claims/<int:claim_id>/claimreview")
@bp.response(200, interchange_schemas.ClaimReview, content_type=JSON_LD)
@bp.alt_response(409, description="The claim has no decision yet (pending).")
def get_claimreview(claim_id: int):
    """The claim's decision as a schema.org ClaimReview (JSON-LD): the sentence, its document, the verdict.

    A claim not yet decided (pending) is a 409; one awaiting your blind second review a 403.
    """
    claim = _claim_or_404(claim_id)
    _not_blind(claim)
    session = get_session()
    decision = standing_decision(session, claim) or abort(
        409, description=f"Claim {claim.id} has no decision yet: only a verified, rejected or needs-info claim has a review.")
    body = claim_review(
        session, claim, decision,
        review_iri=url_for("api.get_claimreview", claim_id=claim.id, _external=True),
        document_iri=url_for("api.get_document", document_id=claim.document_id, _external=True))
    return Response(json.dumps(body), mimetype=JSON_LD)
