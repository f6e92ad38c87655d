"""Reviewers' decisions on claims: verify, reject, needs info, skip, corrections, undo, history.

Plain Python over a Session; the caller commits. Every decision appends a Review and an
AuditEvent; corrections change the current fields only (the `extracted_*` twins never move) and
are kept in `Review.changes` as {field: [before, after]}. Nothing is ever deleted: an undo is a
new Review pointing at the one it reverses.
"""
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
import sqlalchemy.orm as so

from models import EVIDENCE_METHODS, REVIEWABLE_FIELDS, SECOND_DECISIONS, Claim, Document, Review, User

from . import audit, conflicts, guidelines, references, second_review, team, triage
from . import queue as claim_queue
from .claim_filters import ClaimFilter

DECISION_STATUS = {"verify": "verified", "reject": "rejected", "needs_info": "needs_info"}
DECISIONS = (*DECISION_STATUS, "skip", "correct")
# Reviews that change a claim's status or values (or its second review), and so can be undone.
UNDOABLE = (*DECISION_STATUS, "correct", "reopen", *SECOND_DECISIONS, "adjudicate")
# The most claims one dismissal rejects: a lead narrows the search further for more.
DISMISS_LIMIT = 2_000
# Decisions a reviewer may undo themself, within DEFAULT_UNDO_WINDOW of making them.
OWN_UNDOABLE = (*DECISION_STATUS, "correct")
DEFAULT_UNDO_WINDOW = timedelta(minutes=5)
FIELD_LABELS = {
    "value": "value", "value_max": "upper value", "uncertainty": "uncertainty", "unit": "unit", "qualifier": "qualifier",
    "change": "change", "period_start": "period start", "period_end": "period end",
    "subject": "subject", "measure": "measure", "kind": "kind", "status": "status",
}
EVIDENCE_METHOD_LABELS = {
    "stated": "stated in the source", "computed": "computed from the source", "official": "official statistics",
}
EVIDENCE_URL_MAX = 2000
EVIDENCE_QUOTE_MAX = 5000


class ReviewError(ValueError):
    """A refused review action; str() says why and `status` is the HTTP status that fits."""

    status = 409

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        if status is not None:
            self.status = status


class AlreadyAdjudicated(ReviewError):
    """The lead sent the adjudication they had just recorded again (a double click, or back and send)."""

    def __init__(self):
        super().__init__("That adjudication was already recorded.", 200)


@dataclass(frozen=True)
class Difference:
    """One field where the reviewer's form and the stored claim disagree."""

    field: str
    yours: Any
    theirs: Any

    @property
    def label(self) -> str:
        """The field's name as reviewers say it."""
        return FIELD_LABELS.get(self.field, self.field)


class StaleClaim(ReviewError):
    """The claim changed since the reviewer loaded it; nothing was written.

    `mine` says the change was the same reviewer's, from another tab or window.
    """

    def __init__(self, claim: Claim, differences: list[Difference], changed_by: str | None, mine: bool = False):
        if mine:
            message = f"You changed claim {claim.id} in another tab after this form was loaded; nothing was saved."
        else:
            who = f" by {changed_by}" if changed_by else ""
            message = f"Claim {claim.id} was changed{who} while you had it open; nothing was saved."
        super().__init__(message)
        self.claim = claim
        self.differences = differences
        self.changed_by = changed_by
        self.mine = mine


class HeldByOther(ReviewError):
    """Another reviewer holds a live lease on the claim."""

    def __init__(self, claim_id: int, username: str, until: datetime):
        super().__init__(f"Claim {claim_id} is held by {username} until {until:%H:%M} UTC.")
        self.username = username
        self.until = until


class EvidenceError(ReviewError):
    """Evidence that cannot be recorded, or missing where the team requires it; `field` names the culprit."""

    def __init__(self, message: str, field: str):
        super().__init__(message, 400)
        self.field = field


@dataclass(frozen=True)
class Evidence:
    """What a verification was checked against: a web page or a stored document, a passage, a date, a method."""

    url: str = ""
    document_id: int | None = None
    quote: str = ""
    checked_on: date | None = None
    method: str | None = None

    def __bool__(self) -> bool:
        return bool(self.url or self.document_id or self.quote or self.checked_on or self.method)

    def checked(self, session: so.Session, today: date) -> "Evidence":
        """The evidence, trimmed, or an EvidenceError naming the first field that cannot be recorded."""
        url, quote = (self.url or "").strip(), (self.quote or "").strip()
        if len(url) > EVIDENCE_URL_MAX:
            raise EvidenceError(f"The source URL must be at most {EVIDENCE_URL_MAX:,} characters.", "url")
        if url:
            parts = urlsplit(url)
            if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
                raise EvidenceError("The source URL must be a web address starting with http:// or https://.", "url")
        if url and self.document_id is not None:
            raise EvidenceError("Give either a URL or a stored document, not both.", "url")
        if self.document_id is not None and session.get(Document, self.document_id) is None:
            raise EvidenceError(f"There is no stored document {self.document_id}.", "document_id")
        if len(quote) > EVIDENCE_QUOTE_MAX:
            raise EvidenceError(f"The quoted passage must be at most {EVIDENCE_QUOTE_MAX:,} characters.", "quote")
        if self.checked_on is not None and self.checked_on > today:
            raise EvidenceError("The date consulted cannot be in the future.", "checked_on")
        if self.method is not None and self.method not in EVIDENCE_METHODS:
            raise EvidenceError(f"The method must be one of {', '.join(EVIDENCE_METHODS)}.", "method")
        return Evidence(url, self.document_id, quote, self.checked_on, self.method)

    def columns(self) -> dict[str, Any]:
        """The Review columns that hold it."""
        return {"evidence_url": self.url, "evidence_document_id": self.document_id, "evidence_quote": self.quote,
                "evidence_checked_on": self.checked_on, "evidence_method": self.method}


def _checked_evidence(session: so.Session, decision: str, evidence: Evidence | None, now: datetime) -> Evidence:
    """The evidence to record with `decision`: checked, and present when the team requires it for a verify."""
    evidence = evidence or Evidence()
    if evidence and decision != "verify":
        raise EvidenceError("Evidence is recorded with a verification only.", "url")
    evidence = evidence.checked(session, now.astimezone(timezone.utc).date())
    if decision == "verify" and team.evidence_required(session):
        if not (evidence.url or evidence.document_id):
            raise EvidenceError("The team requires evidence to verify: give the source URL or stored document.", "url")
        if not evidence.checked_on:
            raise EvidenceError("The team requires evidence to verify: give the date you consulted the source.",
                                "checked_on")
        if not evidence.method:
            raise EvidenceError("The team requires evidence to verify: say how the figure was determined.", "method")
    return evidence


@dataclass(frozen=True)
class Outcome:
    """What a decision did: the review written, or that it was a repeat of one already recorded."""

    review: Review | None
    duplicate: bool = False


def _plain(value: Any) -> Any:
    """A JSON-safe form of a field value."""
    return value.isoformat() if isinstance(value, date) else value


def snapshot(claim: Claim) -> dict[str, Any]:
    """The claim's status and current reviewable fields, JSON-safe (for the audit trail)."""
    return {"status": claim.status, **{f: _plain(getattr(claim, f)) for f in REVIEWABLE_FIELDS}}


def load_for_update(session: so.Session, claim_id: int) -> Claim | None:
    """The claim, freshly read and row-locked (PostgreSQL) so a decision on it cannot interleave."""
    return session.scalar(
        sa.select(Claim).where(Claim.id == claim_id).with_for_update().execution_options(populate_existing=True)
    )


def differences(claim: Claim, values: dict[str, Any] | None, status: str | None = None) -> list[Difference]:
    """Fields where `values` (what the reviewer submitted) differ from the stored claim."""
    out = []
    if status is not None and status != claim.status:
        out.append(Difference("status", status, claim.status))
    for name, yours in (values or {}).items():
        theirs = getattr(claim, name)
        if yours != theirs:
            out.append(Difference(name, yours, theirs))
    return out


def _last_review(session: so.Session, claim_id: int) -> Review | None:
    return session.scalar(
        sa.select(Review).options(so.joinedload(Review.user))
        .where(Review.claim_id == claim_id).order_by(Review.id.desc()).limit(1)
    )


def _is_repeat(last: Review | None, claim: Claim, version: int, user: User, decision: str,
               values: dict[str, Any] | None, note: str) -> bool:
    """True if `last`, the claim's latest review, is this very submission already recorded.

    That is a double click or a second tab sending the same form: the same reviewer, decision
    and note, made against the version just before the stored one, and values the claim holds
    now. Anything else submitted against that version is a stale form.
    """
    recorded = ("correct", "note") if decision == "correct" else (decision,)
    return (last is not None and last.user_id == user.id and last.decision in recorded
            and claim.version == version + 1 and last.note == note and not differences(claim, values))


def stale(session: so.Session, claim: Claim, user: User, values: dict[str, Any] | None,
          status_seen: str | None) -> StaleClaim:
    """The StaleClaim for a form on `claim` that lost a race: who changed it (you, in another tab?) and what differs."""
    last = _last_review(session, claim.id)
    return StaleClaim(claim, differences(claim, values, status_seen), last.user.username if last else None,
                      mine=last is not None and last.user_id == user.id)


def _check_version(session: so.Session, claim: Claim, version: int, user: User, decision: str,
                   values: dict[str, Any] | None, status_seen: str | None, note: str = "") -> bool:
    """Raise StaleClaim if the claim moved on since `version`; True if this is a repeat submit."""
    if version == claim.version:
        return False
    if _is_repeat(_last_review(session, claim.id), claim, version, user, decision, values, note):
        return True
    raise stale(session, claim, user, values, status_seen)


def _check_lease(session: so.Session, claim: Claim, user: User, now: datetime) -> None:
    lease = claim_queue.holder(session, claim.id, now)
    if lease is not None and lease.user_id != user.id:
        raise HeldByOther(claim.id, lease.user.username, lease.expires_at)


def _apply(claim: Claim, values: dict[str, Any] | None) -> dict[str, list[Any]]:
    """Set the corrected fields on the claim; return {field: [before, after]} for those that changed."""
    changes = {}
    for name, after in (values or {}).items():
        if name not in REVIEWABLE_FIELDS:
            raise ReviewError(f"{name} cannot be corrected", 400)
        before = getattr(claim, name)
        if before != after:
            changes[name] = [_plain(before), _plain(after)]
            setattr(claim, name, after)
    if changes:
        triage.rescore(claim)
    return changes


def _regroup(session: so.Session, claim: Claim, changes: dict, status_before: str) -> None:
    """Re-judge the claim's conflict group when a correction or a rejection can change it, and its
    standing against the references when a correction can."""
    if changes or (status_before == "rejected") != (claim.status == "rejected"):
        conflicts.detect_claims(session, [claim.id])
    if changes:
        references.match_claims(session, [claim.id])


def decide(session: so.Session, claim: Claim, user: User, decision: str, *, version: int, now: datetime,
           values: dict[str, Any] | None = None, note: str = "", status_seen: str | None = None,
           batch_id: str | None = None, check_lease: bool = True, evidence: Evidence | None = None) -> Outcome:
    """Record a decision (verify, reject, needs_info, skip) or a correction on a pending claim.

    `version` is the claim version the reviewer saw; if the claim moved on since, StaleClaim
    is raised, unless the change was this very submission (same reviewer, decision, values and
    note), which makes it a repeat: nothing is recorded twice. Corrections in `values` are
    applied with the decision; `evidence` is what a verify was checked against (EvidenceError
    when it cannot be recorded, or is missing and the team requires it). Each review records
    the guidelines version in force.
    """
    note = (note or "").strip()
    if decision not in DECISIONS:
        raise ReviewError(f"unknown decision {decision!r}", 400)
    if decision == "reject" and not note:
        raise ReviewError("A reason is required to reject a claim.", 400)
    if decision == "needs_info" and not note:
        raise ReviewError("A note saying what information is needed is required.", 400)
    evidence = _checked_evidence(session, decision, evidence, now)
    if _check_version(session, claim, version, user, decision, values, status_seen, note):
        return Outcome(None, duplicate=True)
    if check_lease:
        _check_lease(session, claim, user, now)
    if claim.status != "pending":
        raise ReviewError(f"Claim {claim.id} is already {claim.status.replace('_', ' ')}; a lead can reopen it.")
    if decision == "skip":
        last = _last_review(session, claim.id)
        lease = claim_queue.holder(session, claim.id, now)
        if last is not None and last.user_id == user.id and last.decision == "skip" and lease is None:
            return Outcome(None, duplicate=True)
        claim_queue.skip(session, claim.id, user, now)
        review = Review(claim_id=claim.id, user_id=user.id, decision="skip", note=note, changes={},
                        status_before=claim.status, status_after=claim.status, created_at=now,
                        guidelines_version=guidelines.current_version(session))
        session.add(review)
        audit.record(session, user, "skip", "claim", claim.id, batch_id=batch_id)
        session.flush()
        return Outcome(review)
    before = snapshot(claim)
    changes = _apply(claim, values)
    if decision == "correct" and not changes and not note:
        raise ReviewError("Nothing was changed.", 400)
    status_before = claim.status
    if decision in DECISION_STATUS:
        claim.status = DECISION_STATUS[decision]
        claim.reviewed_by_id = user.id
        claim.reviewed_at = now
    if decision == "correct" and not changes:
        decision = "note"
    claim.updated_at = now
    if decision in DECISION_STATUS:
        claim_queue.release(session, claim.id, user)
    review = Review(claim_id=claim.id, user_id=user.id, decision=decision, note=note, changes=changes,
                    status_before=status_before, status_after=claim.status, batch_id=batch_id, created_at=now,
                    guidelines_version=guidelines.current_version(session), **evidence.columns())
    session.add(review)
    audit.record(session, user, decision, "claim", claim.id, before=before, after=snapshot(claim),
                 batch_id=batch_id)
    session.flush()
    _regroup(session, claim, changes, status_before)
    _after_decision(session, claim, decision, now)
    return Outcome(review)


def _after_decision(session: so.Session, claim: Claim, decision: str, now: datetime) -> None:
    """A first decision may send the claim to a second reviewer, by the policy in force."""
    if decision in DECISION_STATUS:
        second_review.rebuild(session, claim, now)


def reopen(session: so.Session, claim: Claim, user: User, *, version: int, now: datetime, note: str = "") -> Review:
    """A lead puts a decided claim back in the queue."""
    if not user.is_lead:
        raise ReviewError("Only a lead can reopen a claim.", 403)
    _check_version(session, claim, version, user, "reopen", None, None, (note or "").strip())
    if claim.status == "pending":
        raise ReviewError(f"Claim {claim.id} is already pending.")
    before = snapshot(claim)
    review = Review(claim_id=claim.id, user_id=user.id, decision="reopen", note=(note or "").strip(), changes={},
                    status_before=claim.status, status_after="pending", created_at=now)
    claim.status, claim.reviewed_by_id, claim.reviewed_at, claim.updated_at = "pending", None, None, now
    session.add(review)
    audit.record(session, user, "reopen", "claim", claim.id, before=before, after=snapshot(claim))
    session.flush()
    second_review.rebuild(session, claim, now)
    return review


def _undone_ids(session: so.Session, claim_id: int) -> set[int]:
    return set(session.scalars(
        sa.select(Review.undoes_id).where(Review.claim_id == claim_id, Review.undoes_id.is_not(None))
    ))


def undoable_review_id(session: so.Session, claim_id: int) -> int | None:
    """The claim's latest status or value change that has not been undone yet (what undo reverses)."""
    undone = _undone_ids(session, claim_id)
    return _latest_undoable(session.execute(
        sa.select(Review.id, Review.decision).where(Review.claim_id == claim_id, Review.decision.in_(UNDOABLE))
        .order_by(Review.id.desc())
    ), undone)


def _latest_undoable(reviews: Iterable[tuple[int, str]], undone: set[int]) -> int | None:
    """The first of (id, decision), newest first, that undo reverses and that is not undone yet."""
    return next((i for i, decision in reviews if decision in UNDOABLE and i not in undone), None)


def _previous_decider(session: so.Session, claim_id: int, before_id: int) -> Review | None:
    """The decision that set the claim's status before review `before_id`, skipping undone ones."""
    undone = _undone_ids(session, claim_id)
    for review in session.scalars(
        sa.select(Review).where(Review.claim_id == claim_id, Review.id < before_id,
                                Review.decision.in_(tuple(DECISION_STATUS)))
        .order_by(Review.id.desc())
    ):
        if review.id not in undone:
            return review
    return None


def undo(session: so.Session, review: Review, user: User, now: datetime, note: str = "",
         batch_id: str | None = None) -> Review:
    """A lead reverses a decision or correction: status and values go back, recorded as a new review."""
    if not user.is_lead:
        raise ReviewError("Only a lead can undo a decision.", 403)
    if review.decision not in UNDOABLE:
        raise ReviewError(f"A {review.decision} cannot be undone.", 400)
    return _reverse(session, review, user, now, note, batch_id)


def _own_latest(session: so.Session, user: User) -> Review | None:
    """`user`'s latest decision or correction (skips and notes aside)."""
    return session.scalar(
        sa.select(Review).where(Review.user_id == user.id, Review.decision.in_(OWN_UNDOABLE))
        .order_by(Review.created_at.desc(), Review.id.desc()).limit(1)
    )


def _own_undo_refusal(session: so.Session, latest: Review | None, now: datetime, window: timedelta) -> str | None:
    """Why `latest` cannot be undone by its own reviewer now, or None if it can."""
    if latest is None:
        return "You have no decision to undo."
    if latest.created_at < now - window:
        minutes = round(window.total_seconds() / 60)
        return f"Your last decision was more than {minutes} minutes ago; a lead can undo it."
    if latest.id in _undone_ids(session, latest.claim_id):
        return f"Your last decision, on claim {latest.claim_id}, is already undone."
    if undoable_review_id(session, latest.claim_id) != latest.id:
        return f"Claim {latest.claim_id} has changed since your decision; a lead can undo it."
    return None


def own_undoable(session: so.Session, user: User, now: datetime,
                 window: timedelta = DEFAULT_UNDO_WINDOW) -> Review | None:
    """`user`'s latest decision or correction, if they may still undo it themself."""
    latest = _own_latest(session, user)
    return latest if _own_undo_refusal(session, latest, now, window) is None else None


def undo_own(session: so.Session, user: User, now: datetime, window: timedelta = DEFAULT_UNDO_WINDOW) -> Review:
    """A reviewer takes back their own latest decision or correction, made within `window`.

    Only the reviewer's very latest one counts, and only while nobody has acted on the claim
    since; older work is a lead's to undo. Returns the undo review.
    """
    latest = _own_latest(session, user)
    if (refusal := _own_undo_refusal(session, latest, now, window)) is not None:
        raise ReviewError(refusal)
    return _reverse(session, latest, user, now, "undo of my own decision", None)


def _reverse(session: so.Session, review: Review, user: User, now: datetime, note: str,
             batch_id: str | None) -> Review:
    """Reverse `review`, the claim's latest undoable review, recorded as a new review."""
    claim = load_for_update(session, review.claim_id)
    if undoable_review_id(session, claim.id) != review.id:
        raise ReviewError("Only the latest decision on a claim that has not been undone can be undone.")
    before = snapshot(claim)
    changes = {}
    previous = _previous_decider(session, claim.id, review.id)
    # A second review's changes are what its reviewer read, never applied to the claim.
    reverted = {} if review.decision in SECOND_DECISIONS else review.changes
    for name, (was, became) in reverted.items():
        if _plain(getattr(claim, name)) != became:
            raise ReviewError(f"{FIELD_LABELS[name]} has changed since; undo refused.")
        restored = date.fromisoformat(was) if name.startswith("period_") and was else was
        changes[name] = [became, was]
        setattr(claim, name, restored)
    if changes:
        triage.rescore(claim)
    status_before = claim.status
    claim.status = review.status_before or claim.status
    if claim.status == "pending":
        claim.reviewed_by_id, claim.reviewed_at = None, None
    elif review.decision in DECISION_STATUS or review.decision == "reopen":
        claim.reviewed_by_id = previous.user_id if previous else None
        claim.reviewed_at = previous.created_at if previous else None
    claim.updated_at = now
    undo_review = Review(claim_id=claim.id, user_id=user.id, decision="undo", note=(note or "").strip(),
                         changes=changes, status_before=status_before, status_after=claim.status,
                         undoes_id=review.id, batch_id=batch_id, created_at=now)
    session.add(undo_review)
    audit.record(session, user, "undo", "claim", claim.id, before=before, after=snapshot(claim), batch_id=batch_id)
    session.flush()
    _regroup(session, claim, changes, status_before)
    second_review.rebuild(session, claim, now)
    return undo_review


@dataclass
class BatchResult:
    """What a bulk action did: its batch id, the claims it changed and those it left, with why."""

    batch_id: str
    done: list[int]
    refused: list[tuple[int, str]]


def bulk_decide(session: so.Session, claim_ids: list[int], user: User, decision: str, note: str,
                now: datetime) -> BatchResult:
    """A lead verifies or rejects many claims with one note, as one batch that can be undone together."""
    if not user.is_lead:
        raise ReviewError("Bulk decisions are for leads.", 403)
    if decision not in ("verify", "reject"):
        raise ReviewError("Bulk decisions are verify or reject.", 400)
    if not claim_ids:
        raise ReviewError("Select at least one claim.", 400)
    result = BatchResult(str(uuid.uuid4()), [], [])
    for claim_id in sorted(set(claim_ids)):
        claim = load_for_update(session, claim_id)
        if claim is None:
            result.refused.append((claim_id, "no such claim"))
            continue
        try:
            with session.begin_nested():
                decide(session, claim, user, decision, version=claim.version, now=now, note=note,
                       batch_id=result.batch_id)
        except ReviewError as exc:
            if exc.status == 400:
                raise
            result.refused.append((claim_id, str(exc)))
            continue
        result.done.append(claim_id)
    return result


def dismiss(session: so.Session, claim_filter: ClaimFilter, user: User, reason: str, now: datetime,
            limit: int = DISMISS_LIMIT) -> BatchResult:
    """A lead rejects every pending claim a search or filter matches, with one reason, as one undoable batch."""
    if not user.is_lead:
        raise ReviewError("Only a lead can dismiss claims in bulk.", 403)
    if not (reason or "").strip():
        raise ReviewError("A reason is required to dismiss claims.", 400)
    if replace(claim_filter, status=()) == type(claim_filter)():
        raise ReviewError("Narrow the claims with a search or a filter before dismissing them.", 400)
    ids = list(session.scalars(
        sa.select(Claim.id).where(*replace(claim_filter, status=("pending",)).conditions(session=session))
        .order_by(Claim.id).limit(limit + 1)
    ))
    if len(ids) > limit:
        raise ReviewError(f"More than {limit:,} pending claims match; narrow the search to dismiss them.", 400)
    if not ids:
        raise ReviewError("No pending claims match.", 400)
    return bulk_decide(session, ids, user, "reject", reason, now)


def _changed_since(session: so.Session, review: Review) -> str:
    """Why `review` is no longer the claim's latest decision: who changed the claim since, and how."""
    later = session.scalar(
        sa.select(Review).options(so.joinedload(Review.user))
        .where(Review.claim_id == review.claim_id, Review.id > review.id, Review.decision.in_((*UNDOABLE, "undo")))
        .order_by(Review.id.desc()).limit(1)
    )
    if later is None:
        return "its decision is no longer the latest."
    return (f"{later.user.username} changed it since ({later.decision.replace('_', ' ')}, "
            f"{later.created_at:%Y-%m-%d %H:%M} UTC).")


def batch_reviews(session: so.Session, batch_id: str) -> list[Review]:
    """The reviews of one bulk batch in the order they were made, with their reviewers and claims."""
    return list(session.scalars(
        sa.select(Review).options(so.joinedload(Review.user), so.joinedload(Review.claim))
        .where(Review.batch_id == batch_id[:36]).order_by(Review.id)
    ))


def undo_batch(session: so.Session, batch_id: str, user: User, now: datetime) -> BatchResult:
    """A lead undoes every decision of a batch that is still the latest on its claim.

    A claim someone changed since the batch is kept as it is, and `refused` says who changed it.
    """
    if not user.is_lead:
        raise ReviewError("Only a lead can undo a batch.", 403)
    reviews = session.scalars(
        sa.select(Review).where(Review.batch_id == batch_id, Review.decision.in_(UNDOABLE)).order_by(Review.id)
    ).all()
    if not reviews:
        raise ReviewError("No such batch.", 404)
    result = BatchResult(str(uuid.uuid4()), [], [])
    for review in reviews:
        if undoable_review_id(session, review.claim_id) != review.id:
            result.refused.append((review.claim_id, _changed_since(session, review)))
            continue
        try:
            with session.begin_nested():
                undo(session, review, user, now, note=f"undo of batch {batch_id}", batch_id=result.batch_id)
        except ReviewError as exc:
            result.refused.append((review.claim_id, str(exc)))
            continue
        result.done.append(review.claim_id)
    return result


@dataclass(frozen=True)
class HistoryEntry:
    """One line of a claim's history."""

    review: Review
    undone: bool
    undoable: bool


def history(session: so.Session, claim_id: int) -> list[HistoryEntry]:
    """Every review, correction and note on the claim, newest first, with who and when."""
    reviews = session.scalars(
        sa.select(Review).options(so.joinedload(Review.user))
        .where(Review.claim_id == claim_id).order_by(Review.id.desc())
    ).all()
    undone = {r.undoes_id for r in reviews if r.undoes_id is not None}
    latest = _latest_undoable(((r.id, r.decision) for r in reviews), undone)
    return [HistoryEntry(r, r.id in undone, r.id == latest) for r in reviews]
