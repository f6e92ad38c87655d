"""Invariants the database cannot express, checked on every ORM flush.

Registered on the Session class at import, so every session (web, CLI, tests) gets them.
Bulk Core inserts bypass them; the code that does those (the benchmark generator) builds
rows from the same extraction and checks spans itself.
"""
import sqlalchemy as sa
import sqlalchemy.orm as so

from .audit import AuditEvent
from .claims import REVIEWABLE_FIELDS, Claim
from .documents import Document
from .reviews import Review

_EXTRACTED = tuple(f"extracted_{f}" for f in REVIEWABLE_FIELDS) + (
    "document_id", "start", "end", "quote", "confidence", "extractor_version",
)
_DOCUMENT_FIXED = ("text", "sha256")


class InvariantError(ValueError):
    """A change that would break one of the schema's invariants."""


def _changed(obj, attrs) -> list[str]:
    state = sa.inspect(obj)
    return [a for a in attrs if state.attrs[a].history.has_changes()]


def _check_span(claim: Claim) -> None:
    document = claim.document
    if document is None:
        raise InvariantError("a claim needs a document")
    if not (0 <= claim.start < claim.end <= len(document.text)):
        raise InvariantError(
            f"claim span {claim.start}:{claim.end} lies outside document {document.id} "
            f"({len(document.text)} characters)"
        )
    if document.text[claim.start:claim.end] != claim.quote:
        raise InvariantError(
            f"claim quote {claim.quote!r} is not the document text at {claim.start}:{claim.end}"
        )


@sa.event.listens_for(so.Session, "before_flush")
def _check_invariants(session: so.Session, flush_context, instances) -> None:
    """Refuse a flush that alters a document's text, an extraction, or the audit trail."""
    for obj in session.new:
        if isinstance(obj, Claim):
            _check_span(obj)
    for obj in session.dirty:
        if isinstance(obj, Document) and (fields := _changed(obj, _DOCUMENT_FIXED)):
            raise InvariantError(f"document {obj.id}: {', '.join(fields)} cannot change after ingest")
        if isinstance(obj, Claim) and (fields := _changed(obj, _EXTRACTED)):
            raise InvariantError(f"claim {obj.id}: extracted fields are fixed ({', '.join(fields)})")
        if isinstance(obj, (AuditEvent, Review)) and session.is_modified(obj):
            raise InvariantError(f"{type(obj).__name__} rows are append-only")
    for obj in session.deleted:
        if isinstance(obj, (AuditEvent, Review, Document, Claim)):
            raise InvariantError(f"{type(obj).__name__} rows are never deleted")
