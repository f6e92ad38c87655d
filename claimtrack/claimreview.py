"""A decided claim as a schema.org ClaimReview (JSON-LD): the sentence reviewed, where it appeared, the verdict.

The verdict is the decision that gave the claim its status, rated on a three-step scale
(RATINGS): fact-checking readers (search engines, ClaimReview aggregators) read `ratingValue`
against `worstRating` and `bestRating`, and show `alternateName`.
"""
from dataclasses import dataclass
from urllib.parse import urlsplit

import sqlalchemy as sa
import sqlalchemy.orm as so

from models import Claim, Document, Review

from .annotation import utc_text
from .export import STATUS_DECISION

CONTEXT = "https://schema.org"


@dataclass(frozen=True)
class Rating:
    """How a decision reads as a schema.org Rating."""

    value: int
    name: str


# Worst to best: a rejected figure, one that needs information before it can be judged, a verified one.
RATINGS = {
    "reject": Rating(1, "Rejected"),
    "needs_info": Rating(2, "Needs more information"),
    "verify": Rating(3, "Verified"),
}
WORST, BEST = min(r.value for r in RATINGS.values()), max(r.value for r in RATINGS.values())


def standing_decision(session: so.Session, claim: Claim) -> Review | None:
    """The review whose decision gave the claim its status (the latest of that decision); None while undecided."""
    decision = STATUS_DECISION.get(claim.status)
    if decision is None:
        return None
    return session.scalar(
        sa.select(Review).options(so.joinedload(Review.user))
        .where(Review.claim_id == claim.id, Review.decision == decision)
        .order_by(Review.created_at.desc(), Review.id.desc()).limit(1))


def _web_address(source: str) -> str | None:
    """The document's source when it is a web address (not a file or `upload:` name)."""
    return source if urlsplit(source).scheme in ("http", "https") else None


def claim_review(session: so.Session, claim: Claim, decision: Review, *, review_iri: str, document_iri: str) -> dict:
    """The ClaimReview of `claim` decided by `decision`, identified by `review_iri`; `document_iri` names the
    document when its source is no web address."""
    document = session.get(Document, claim.document_id)
    sentence = document.text[claim.sentence_start:claim.sentence_end].strip() or claim.quote
    appearance = {"@type": "CreativeWork", "url": _web_address(document.source) or document_iri,
                  "name": document.title or document.file_name}
    if document.published is not None:
        appearance["datePublished"] = document.published.isoformat()
    if document.author:
        appearance["author"] = {"@type": "Person", "name": document.author}
    if document.publisher:
        appearance["publisher"] = {"@type": "Organization", "name": document.publisher}
    rating = RATINGS[decision.decision]
    review = {
        "@context": CONTEXT,
        "@type": "ClaimReview",
        "@id": review_iri,
        "url": review_iri,
        "claimReviewed": sentence,
        "itemReviewed": {"@type": "Claim", "text": claim.quote, "appearance": appearance},
        "reviewRating": {"@type": "Rating", "ratingValue": rating.value, "bestRating": BEST, "worstRating": WORST,
                         "alternateName": rating.name},
        "author": {"@type": "Person", "name": decision.user.username},
        "datePublished": utc_text(decision.created_at)[:10],
    }
    if decision.note:
        review["reviewBody"] = decision.note
    return review
