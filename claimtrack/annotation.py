"""A claim as a W3C Web Annotation (JSON-LD): its span on the document, its review as the body.

The target carries a TextQuoteSelector (the exact quote with up to CONTEXT_CHARS of text
either side) and a TextPositionSelector (character offsets into the stored document text),
so a reader holding the same text can find the quote with either.
"""
import json
from collections.abc import Iterator
from datetime import datetime, timezone

import sqlalchemy as sa
import sqlalchemy.orm as so

from models import Claim, Document, Review

from .claim_filters import ClaimFilter
from .export import DECISIONS, plain_decimal

CONTEXT = "http://www.w3.org/ns/anno.jsonld"
CONTEXT_CHARS = 32
PAGE_SIZE = 500


def utc_text(moment: datetime) -> str:
    """A stored time (naive UTC on SQLite, aware on PostgreSQL) as ISO 8601 UTC to the second."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment.isoformat(timespec="seconds") + "Z"


def latest_decision(session: so.Session, claim_id: int) -> Review | None:
    """The review whose decision stands for the claim (the latest verify, reject, needs info or correct)."""
    return session.scalar(
        sa.select(Review).options(so.joinedload(Review.user))
        .where(Review.claim_id == claim_id, Review.decision.in_(DECISIONS))
        .order_by(Review.created_at.desc(), Review.id.desc()).limit(1))


def selectors(text: str, start: int, end: int) -> list[dict]:
    """The quote and position selectors of `text[start:end]`, cut from the text itself."""
    return [
        {"type": "TextQuoteSelector", "exact": text[start:end],
         "prefix": text[max(0, start - CONTEXT_CHARS):start], "suffix": text[end:end + CONTEXT_CHARS]},
        {"type": "TextPositionSelector", "start": start, "end": end},
    ]


def review_body(claim: Claim, decision: Review | None) -> dict:
    """The body: the claim's values as reviewed, and the decision with its reviewer and time if there is one."""
    body = {
        "purpose": "assessing" if decision else "describing",
        "status": claim.status,
        "subject": claim.subject,
        "measure": claim.measure,
        "value": plain_decimal(claim.value),
        "unit": claim.unit,
    }
    if claim.value_max is not None:
        body["value_max"] = plain_decimal(claim.value_max)
    if decision is not None:
        body["decision"] = decision.decision
        body["corrected"] = decision.changes or {}
        body["note"] = decision.note
        body["reviewer"] = decision.user.username
        body["reviewed_at"] = utc_text(decision.created_at)
    return body


def annotation(session: so.Session, claim: Claim, *, annotation_iri: str, document_iri: str) -> dict:
    """The Web Annotation of `claim`, identified by `annotation_iri`, targeting `document_iri`."""
    document = session.get(Document, claim.document_id)
    decision = latest_decision(session, claim.id)
    return {
        "@context": CONTEXT,
        "id": annotation_iri,
        "type": "Annotation",
        "motivation": "assessing" if decision else "describing",
        "created": utc_text(claim.created_at),
        "body": review_body(claim, decision),
        "target": {
            "source": document_iri,
            "selector": selectors(document.text, claim.start, claim.end),
        },
    }


def annotation_lines(session: so.Session, filters: ClaimFilter, page_size: int = PAGE_SIZE) -> Iterator[str]:
    """The claims matching `filters` as JSON Lines of annotations, by claim id, a page at a time.

    Outside a request there is no URL to name things by: the document is `urn:sha256:<hex>`
    (its sha256, the same in every database), the annotation `urn:claimtrack:claim:<id>`.
    """
    after = 0
    while True:
        page = session.scalars(
            sa.select(Claim).where(Claim.id > after, *filters.conditions(scan_by_id=True))
            .order_by(Claim.id).limit(page_size)).all()
        for claim in page:
            document = session.get(Document, claim.document_id)
            body = annotation(session, claim, annotation_iri=f"urn:claimtrack:claim:{claim.id}",
                              document_iri=f"urn:sha256:{document.sha256}")
            yield json.dumps(body, ensure_ascii=False, sort_keys=True) + "\n"
        if len(page) < page_size:
            return
        after = page[-1].id
