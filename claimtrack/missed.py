"""Claims the extractor missed: a reviewer selects a span of a document and adds it as a claim.

The span is the reviewer's selection, checked against the stored text (`text[start:end]` must
be the quote they saw). The fields are first filled by running the extractor on the selection's
paragraph and taking its reading of the span (or of the selection alone); the reviewer completes
them. The claim is `origin = reviewer`, pending, in the same queue and conflict detection as an
extracted one, and its adding is a review ("add") in its history and an audit event.
"""
import math
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from models import CHANGES, KINDS, ORIGINS, QUALIFIERS, REVIEWABLE_FIELDS, Claim, Document, Review, User

from . import audit, conflicts, guidelines, references, triage
from .extract import EXTRACTOR_VERSION, ExtractedClaim, extract_claims
from .extract.sentences import iter_sentences
from .ingest import CONTEXT_CHARS
from .review import ReviewError, snapshot

# The longest selection a claim may be made of (it travels in a URL), and how far around it the extractor reads.
MAX_SPAN = 300
CONTEXT_LIMIT = 3000
TEXT_LIMITS = {"unit": 32, "subject": 200, "measure": 200}
NOTE_MAX = 5000


class SpanTaken(ReviewError):
    """A claim on exactly this span exists already: `claim_id` is it."""

    def __init__(self, claim_id: int, just_now: bool = False):
        message = (f"Claim {claim_id} was just added on this span by another reviewer; nothing was added."
                   if just_now else f"Claim {claim_id} already covers this span; nothing was added.")
        super().__init__(message, 409)
        self.claim_id = claim_id


@dataclass(frozen=True)
class Prefill:
    """The extractor's reading of a selection: the form's starting values, and where its sentence lies."""

    values: dict[str, Any]
    sentence_start: int
    sentence_end: int
    found: bool
    confidence: float = 0.5
    measure_text: str = ""


def check_span(document: Document, start: int, end: int, quote: str) -> None:
    """Raise ReviewError (400) unless [start, end) is a non-empty span of the document holding exactly `quote`."""
    if not 0 <= start < end <= len(document.text):
        raise ReviewError(f"The selection must lie inside the document's text (0 to {len(document.text):,}).", 400)
    if end - start > MAX_SPAN:
        raise ReviewError(f"Select at most {MAX_SPAN} characters for one claim.", 400)
    if document.text[start:end] != quote:
        raise ReviewError("The selection does not match the document's text at those offsets; "
                          "select the text again.", 400)
    if not quote.strip():
        raise ReviewError("Select the text of the claim, not only spaces.", 400)


def _paragraph(text: str, start: int, end: int) -> tuple[int, int]:
    first = max(text.rfind("\n", 0, start) + 1, start - CONTEXT_LIMIT)
    last = text.find("\n", end)
    last = min(len(text) if last < 0 else last, end + CONTEXT_LIMIT)
    return first, last


def _values(found: ExtractedClaim) -> dict[str, Any]:
    return {name: getattr(found, name) for name in REVIEWABLE_FIELDS}


def prefill(document: Document, start: int, end: int) -> Prefill:
    """The extractor's reading of text[start:end], in its paragraph; empty values when it reads no number there."""
    text = document.text
    first, last = _paragraph(text, start, end)
    sentence = next(((first + s.start, first + s.end) for s in iter_sentences(text[first:last])
                     if first + s.start <= start < first + s.end), (start, end))
    sentence = (min(sentence[0], start), max(sentence[1], end))
    overlapping = [c for c in extract_claims(text[first:last], document.published)
                   if c.start + first < end and c.end + first > start]
    if overlapping:
        best = max(overlapping, key=lambda c: (min(c.end + first, end) - max(c.start + first, start), -c.start))
    else:
        best = next(iter(extract_claims(text[start:end], document.published)), None)
    if best is None:
        empty = {name: None for name in REVIEWABLE_FIELDS}
        empty.update(unit="", qualifier="=", subject="", measure="", kind="fact")
        return Prefill(empty, *sentence, found=False)
    return Prefill(_values(best), *sentence, found=True, confidence=best.confidence,
                   measure_text=best.measure_text[:500])


def _check_values(values: dict[str, Any]) -> None:
    """Raise ReviewError (400) for fields a claim cannot hold."""
    value = values.get("value")
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
        raise ReviewError("Enter the claim's value as a number.", 400)
    value_max = values.get("value_max")
    if value_max is not None and (not math.isfinite(value_max) or value_max < value):
        raise ReviewError("The upper value must be a number not below the value.", 400)
    uncertainty = values.get("uncertainty")
    if uncertainty is not None and (not math.isfinite(uncertainty) or uncertainty < 0):
        raise ReviewError("The uncertainty must be a number not below 0.", 400)
    if values.get("qualifier") not in QUALIFIERS:
        raise ReviewError(f"The qualifier must be one of {' '.join(QUALIFIERS)}.", 400)
    if values.get("change") not in (None, *CHANGES):
        raise ReviewError("The change must be up, down or none.", 400)
    if values.get("kind") not in KINDS:
        raise ReviewError(f"The kind must be one of {', '.join(KINDS)}.", 400)
    for name, limit in TEXT_LIMITS.items():
        if len(values.get(name) or "") > limit:
            raise ReviewError(f"The {name} must be at most {limit} characters.", 400)
    period_start, period_end = values.get("period_start"), values.get("period_end")
    for day in (period_start, period_end):
        if day is not None and not isinstance(day, date):
            raise ReviewError("Periods are dates.", 400)
    if period_start and period_end and period_end < period_start:
        raise ReviewError("The period cannot end before it starts.", 400)


def existing_claim(session: so.Session, document_id: int, start: int, end: int) -> int | None:
    """The claim on exactly this span of the document, if there is one."""
    return session.scalar(sa.select(Claim.id).where(
        Claim.document_id == document_id, Claim.start == start, Claim.end == end).order_by(Claim.id).limit(1))


def _clean_values(values: dict[str, Any]) -> dict[str, Any]:
    """The reviewable fields of `values`, text trimmed; ReviewError (400) for fields a claim cannot hold."""
    values = {name: values.get(name) for name in REVIEWABLE_FIELDS}
    for name in TEXT_LIMITS:
        values[name] = (values[name] or "").strip()
    _check_values(values)
    return values


def add_claim(session: so.Session, document: Document, user: User, *, start: int, end: int, quote: str,
              values: dict[str, Any], now: datetime, note: str = "", extracted: dict[str, Any] | None = None,
              origin: str = "reviewer") -> Claim:
    """Add the reviewer's claim on text[start:end] (pending, origin reviewer) and detect its conflicts.

    Its `extracted_*` fields hold the extractor's reading of the span, or the reviewer's values
    when the extractor read no number there; an import that knows what the extractor read gives
    it as `extracted`, and who found the claim as `origin`. Raises ReviewError for a span or
    values that cannot be stored, SpanTaken when a claim already covers exactly this span (also
    when another reviewer adds it at the same moment); the caller commits.
    """
    check_span(document, start, end, quote)
    if origin not in ORIGINS:
        raise ReviewError(f"The origin must be one of {', '.join(ORIGINS)}.", 400)
    values = _clean_values(values)
    if extracted is not None:
        extracted = _clean_values(extracted)
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise ReviewError(f"The note must be at most {NOTE_MAX:,} characters.", 400)
    if (taken := existing_claim(session, document.id, start, end)) is not None:
        raise SpanTaken(taken)
    read = prefill(document, start, end)
    if extracted is None:
        extracted = read.values if read.found else values
    text = document.text
    claim = Claim(
        start=start, end=end, quote=quote,
        prefix=text[max(0, start - CONTEXT_CHARS):start], suffix=text[end:end + CONTEXT_CHARS],
        sentence_start=read.sentence_start, sentence_end=read.sentence_end,
        measure_text=read.measure_text, confidence=read.confidence,
        extractor_version=EXTRACTOR_VERSION if read.found else "", origin=origin,
        **values, **{f"extracted_{name}": extracted[name] for name in REVIEWABLE_FIELDS},
        worth=triage.worth(quote, values["value"], values["unit"], values["subject"], values["measure"]),
        created_at=now, updated_at=now,
    )
    try:
        with session.begin_nested():
            session.add(claim)
            claim.document = document
    except sa.exc.IntegrityError:
        # The partial unique index on reviewers' spans: someone added this span since our check.
        if (taken := existing_claim(session, document.id, start, end)) is not None:
            raise SpanTaken(taken, just_now=True) from None
        raise
    session.add(Review(claim_id=claim.id, user_id=user.id, decision="add", note=note, changes={},
                       status_before=None, status_after="pending", created_at=now,
                       guidelines_version=guidelines.current_version(session)))
    audit.record(session, user, "add", "claim", claim.id, after={**snapshot(claim), "origin": origin,
                                                               "start": start, "end": end})
    session.flush()
    conflicts.detect_claims(session, [claim.id])
    references.match_claims(session, [claim.id])
    return claim
