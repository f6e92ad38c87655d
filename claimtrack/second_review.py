"""Second review: the policy saying which claims need two reviews, the blind second review, and adjudication.

Plain Python over a Session; the caller commits. A claim's first decision (verify, reject, needs
info) sets its status as always. If the policy in force wants a second review of it, a
SecondReview row marks it `awaiting`, and the queue hands it to another reviewer, who sees the
claim as extracted, without the first decision or its history, until they decide. Their decision
is a Review (`second_verify`, ...) that changes nothing on the claim; if both decisions and all
compared fields agree the claim is `agreed`, otherwise it waits for a lead's `adjudicate`, which
sets the final status and values. Undo works on these reviews as on any other: after every undo
or reopen the SecondReview row is rebuilt from the claim's reviews that still stand.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Iterable

import sqlalchemy as sa
import sqlalchemy.orm as so

from models import (
    BLIND_STATUS, COMPARED_FIELDS, KINDS, REVIEWABLE_FIELDS, SECOND_DECISIONS, Claim, Document, Review, ReviewPolicy,
    SecondReview, User, blind_to,
)

from . import audit, review
from . import queue as claim_queue

SETTLED_STATES = ("agreed", "adjudicated")
# The claim fields behind each compared field.
FIELD_COLUMNS = {name: (name,) for name in COMPARED_FIELDS} | {"period": ("period_start", "period_end")}


def label(name: str) -> str:
    """A compared field's name as reviewers say it."""
    return {"period": "period", "decision": "decision"}.get(name) or review.FIELD_LABELS.get(name, name)


class PolicyError(ValueError):
    """A policy that cannot be saved; str() says why."""


def is_reviewer_added(claim: Claim) -> bool:
    """True for a claim a reviewer added by hand (`origin = 'reviewer'`), on a schema that records origins."""
    return getattr(claim, "origin", None) == "reviewer"


# --- policy -------------------------------------------------------------------------------------

def scope_of(document_id: int | None, subject: str | None, measure: str | None, kind: str | None) -> str:
    """The one text naming a policy's scope ("" is the whole corpus)."""
    parts = [("document", document_id), ("subject", subject), ("measure", measure), ("kind", kind)]
    return "&".join(f"{name}={value}" for name, value in parts if value not in (None, ""))


def policies(session: so.Session) -> list[ReviewPolicy]:
    """Every policy, the corpus-wide one first, then by scope."""
    return list(session.scalars(sa.select(ReviewPolicy).order_by(ReviewPolicy.scope != "", ReviewPolicy.scope)))


def set_policy(session: so.Session, lead: User, *, now: datetime, share: int, document_id: int | None = None,
               subject: str | None = None, measure: str | None = None, kind: str | None = None,
               conflicts_need_two: bool = False, reviewer_added_need_two: bool = False) -> ReviewPolicy:
    """A lead sets the policy of one scope (creating it or replacing its settings); applies to decisions from now."""
    if not lead.is_lead:
        raise review.ReviewError("Only a lead can set the review policy.", 403)
    subject, measure = (subject or "").strip() or None, (measure or "").strip() or None
    kind = kind or None
    if not 0 <= share <= 100:
        raise PolicyError("The share is a whole percent from 0 to 100.")
    if kind is not None and kind not in KINDS:
        raise PolicyError(f"kind must be one of {', '.join(KINDS)}.")
    if document_id is not None and session.get(Document, document_id) is None:
        raise PolicyError(f"There is no document {document_id}.")
    scope = scope_of(document_id, subject, measure, kind)
    policy = session.scalar(sa.select(ReviewPolicy).where(ReviewPolicy.scope == scope))
    before = _policy_dict(policy) if policy is not None else None
    if policy is None:
        policy = ReviewPolicy(scope=scope, document_id=document_id, subject=subject, measure=measure, kind=kind,
                              share=share, updated_by_id=lead.id, updated_at=now)
        try:
            with session.begin_nested():
                session.add(policy)
        except sa.exc.IntegrityError:
            # Another lead created this scope's policy first: this save replaces theirs, as a later one would.
            policy = session.scalar(sa.select(ReviewPolicy).where(ReviewPolicy.scope == scope)
                                    .execution_options(populate_existing=True))
            before = _policy_dict(policy)
    policy.share, policy.conflicts_need_two = share, conflicts_need_two
    policy.reviewer_added_need_two = reviewer_added_need_two
    policy.updated_by_id, policy.updated_at = lead.id, now
    session.flush()
    audit.record(session, lead, "set_policy", "review_policy", policy.id, before=before, after=_policy_dict(policy))
    return policy


def delete_policy(session: so.Session, lead: User, policy_id: int) -> None:
    """A lead removes a policy; claims in its scope fall back to the next broader one."""
    if not lead.is_lead:
        raise review.ReviewError("Only a lead can change the review policy.", 403)
    policy = session.get(ReviewPolicy, policy_id)
    if policy is None:
        raise PolicyError("No such policy.")
    audit.record(session, lead, "delete_policy", "review_policy", policy.id, before=_policy_dict(policy))
    session.delete(policy)
    session.flush()


def _policy_dict(policy: ReviewPolicy) -> dict[str, Any]:
    return {"scope": policy.scope, "share": policy.share, "conflicts_need_two": policy.conflicts_need_two,
            "reviewer_added_need_two": policy.reviewer_added_need_two}


def _matches(policy: ReviewPolicy, claim: Claim) -> bool:
    return ((policy.document_id is None or policy.document_id == claim.document_id)
            and (policy.subject is None or policy.subject.casefold() == (claim.subject or "").casefold())
            and (policy.measure is None or policy.measure.casefold() == (claim.measure or "").casefold())
            and (policy.kind is None or policy.kind == claim.kind))


def policy_for(session: so.Session, claim: Claim) -> ReviewPolicy | None:
    """The policy that applies to the claim: the most specific matching scope (the oldest on a tie)."""
    matching = [p for p in session.scalars(sa.select(ReviewPolicy).order_by(ReviewPolicy.id)) if _matches(p, claim)]
    return max(matching, key=lambda p: p.specificity, default=None)


def drawn(claim_id: int, share: int) -> bool:
    """Whether the claim falls in a random `share` percent: a uniform hash of its id, so the draw never changes."""
    digest = hashlib.blake2b(str(claim_id).encode(), digest_size=8, person=b"second-review").digest()
    return int.from_bytes(digest, "big") % 10_000 < share * 100


def required_reason(session: so.Session, claim: Claim) -> str | None:
    """Why the policy in force wants a second review of the claim, or None if one review is enough."""
    policy = policy_for(session, claim)
    if policy is None:
        return None
    if policy.conflicts_need_two and claim.conflict_open:
        return "conflict"
    if policy.reviewer_added_need_two and is_reviewer_added(claim):
        return "reviewer"
    if policy.share >= 100:
        return "all"
    return "share" if policy.share > 0 and drawn(claim.id, policy.share) else None


# --- standing -----------------------------------------------------------------------------------

def standing(session: so.Session, claim_id: int, lock: bool = False) -> SecondReview | None:
    """The claim's second-review row, if it needs two reviews (freshly read and row-locked with `lock`)."""
    stmt = sa.select(SecondReview).where(SecondReview.claim_id == claim_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return session.scalar(stmt)


def is_blind(row: SecondReview | None, user: User) -> bool:
    """True while `user` must see the claim without its first decision: it awaits a second review not theirs to skip.

    The one rule of blindness: every view that shows a claim's status, reviewed values, reviewer or
    history asks it, through `hidden_from` and `as_seen_by` for lists of claims.
    """
    return row is not None and row.state == "awaiting" and row.first_user_id != user.id


def hidden_from(session: so.Session, viewer: User, claim_ids: Iterable[int]) -> set[int]:
    """Of `claim_ids`, those whose first review `viewer` must not see (see `is_blind`)."""
    ids = list(set(claim_ids))
    if not ids:
        return set()
    return set(session.scalars(sa.select(Claim.id).where(Claim.id.in_(ids), blind_to(Claim.id, viewer.id))))


class Blinded:
    """A claim as a viewer who must review it blind sees it: the fields as extracted, no decision, no reviewer."""

    status = BLIND_STATUS
    reviewed_by = None
    reviewed_by_id = None
    reviewed_at = None
    corrected_fields: dict[str, tuple[object, object]] = {}
    # Judged on the current values, which may be the first reviewer's correction.
    reference_standing = ""
    reference_figure_id = None

    def __init__(self, claim: Claim):
        self._claim = claim

    def __getattr__(self, name: str) -> Any:
        if name in REVIEWABLE_FIELDS:
            return getattr(self._claim, f"extracted_{name}")
        return getattr(self._claim, name)


def as_seen_by(session: so.Session, viewer: User, claims: list[Claim]) -> list[Claim | Blinded]:
    """`claims` as `viewer` may see them: those awaiting their blind second review wrapped in `Blinded`."""
    hidden = hidden_from(session, viewer, (c.id for c in claims))
    return [Blinded(c) if c.id in hidden else c for c in claims]


def extracted_rows(session: so.Session, claim_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """The reviewable fields as extracted, per claim id (for views that read plain rows, not claims)."""
    ids = list(claim_ids)
    if not ids:
        return {}
    columns = [getattr(Claim, f"extracted_{name}") for name in REVIEWABLE_FIELDS]
    rows = session.execute(sa.select(Claim.id, *columns).where(Claim.id.in_(ids)))
    return {row[0]: dict(zip(REVIEWABLE_FIELDS, row[1:])) for row in rows}


def awaiting(claim_id) -> sa.Exists:
    """SQL: the claim awaits its second review."""
    return sa.exists().where(SecondReview.claim_id == claim_id, SecondReview.state == "awaiting")


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def extracted_values(claim: Claim) -> dict[str, Any]:
    """The reviewable fields as the machine read them: what a blind second reviewer starts from."""
    return {name: getattr(claim, f"extracted_{name}") for name in REVIEWABLE_FIELDS}


def comparable(decision: str, fields: dict[str, Any]) -> dict[str, Any]:
    """A reviewer's decision and values in the form two reviews are compared in (JSON-safe)."""
    plain = {name: _plain(value) for name, value in fields.items()}
    out = {"decision": decision}
    for name in COMPARED_FIELDS:
        if name == "period":
            out[name] = f"{plain['period_start'] or ''}/{plain['period_end'] or ''}"
        else:
            out[name] = plain[name]
    return out


def disagreements(first: dict[str, Any], second: dict[str, Any]) -> list[str]:
    """The names ("decision" and compared fields) on which two reviews differ."""
    return [name for name in ("decision", *COMPARED_FIELDS) if first.get(name) != second.get(name)]


def _live_reviews(session: so.Session, claim_id: int) -> list[Review]:
    """The claim's reviews that still stand (not undone, not undos), since its last standing reopen."""
    reviews = session.scalars(sa.select(Review).where(Review.claim_id == claim_id).order_by(Review.id)).all()
    undone = {r.undoes_id for r in reviews if r.undoes_id is not None}
    live = [r for r in reviews if r.id not in undone and r.decision != "undo"]
    reopens = [i for i, r in enumerate(live) if r.decision == "reopen"]
    return live[reopens[-1] + 1:] if reopens else live


def _values_at(claim: Claim, session: so.Session, upto: Review) -> dict[str, Any]:
    """The claim's reviewable fields (JSON-safe) right after review `upto`, replayed from the extraction."""
    values = {name: _plain(value) for name, value in extracted_values(claim).items()}
    reviews = session.scalars(sa.select(Review).where(Review.claim_id == claim.id, Review.id <= upto.id)
                              .order_by(Review.id)).all()
    undone = {r.undoes_id for r in reviews if r.undoes_id is not None}
    for r in reviews:
        if r.id in undone or r.decision == "undo" or r.decision in SECOND_DECISIONS:
            continue
        for name, (_before, after) in (r.changes or {}).items():
            values[name] = after
    return values


def _second_values(claim: Claim, second: Review) -> dict[str, Any]:
    """What the second reviewer decided: the extraction with their changes, compared form."""
    values = {name: _plain(value) for name, value in extracted_values(claim).items()}
    values.update({name: after for name, (_before, after) in (second.changes or {}).items()})
    return comparable(second.decision.removeprefix("second_"), values)


def rebuild(session: so.Session, claim: Claim, now: datetime) -> SecondReview | None:
    """Bring the claim's second-review row in line with its standing reviews (after a decision, undo or reopen).

    A first decision with no row yet is judged by the policy in force; a row whose first
    decision no longer stands is removed, so the claim is back to a single review.
    """
    live = _live_reviews(session, claim.id)
    first = next((r for r in live if r.decision in review.DECISION_STATUS), None)
    second = next((r for r in live if first is not None and r.id > first.id and r.decision in SECOND_DECISIONS), None)
    final = next((r for r in live if second is not None and r.id > second.id and r.decision == "adjudicate"), None)
    row = standing(session, claim.id)
    if first is None:
        if row is not None:
            session.delete(row)
            session.flush()
        return None
    if row is None or row.first_review_id != first.id:
        reason = required_reason(session, claim) or ("restored" if second is not None else None)
        if reason is None:
            if row is not None:
                session.delete(row)
                session.flush()
            return None
        first_values = comparable(first.decision, _values_at(claim, session, first))
        if row is None:
            row = SecondReview(claim_id=claim.id, first_values=first_values)
            session.add(row)
        row.reason, row.first_review_id, row.first_user_id, row.required_at = reason, first.id, first.user_id, now
        row.first_values = first_values
    if second is None:
        row.state, row.second_review_id, row.second_user_id, row.second_values, row.second_at = (
            "awaiting", None, None, None, None)
        row.disagreements, row.final_review_id, row.settled_at = [], None, None
    else:
        row.second_review_id, row.second_user_id, row.second_at = second.id, second.user_id, second.created_at
        row.second_values = _second_values(claim, second)
        row.disagreements = disagreements(row.first_values, row.second_values)
        row.final_review_id = final.id if final is not None else None
        if final is not None:
            row.state, row.settled_at = "adjudicated", final.created_at
        elif row.disagreements:
            row.state, row.settled_at = "adjudication", None
        else:
            row.state, row.settled_at = "agreed", second.created_at
    if final is None and claim.status != "pending" and claim.reviewed_by_id != first.user_id:
        # An adjudication undone: the claim is the first reviewer's decision again.
        claim.reviewed_by_id, claim.reviewed_at = first.user_id, first.created_at
    session.flush()
    return row


# --- the blind second review ----------------------------------------------------------------------

def decide_second(session: so.Session, claim: Claim, user: User, decision: str, *, values: dict[str, Any],
                  version: int, now: datetime, note: str = "") -> review.Outcome:
    """Record a blind second review: the reviewer's own decision and values, compared with the first."""
    note = (note or "").strip()
    if decision not in review.DECISION_STATUS:
        raise review.ReviewError(f"unknown decision {decision!r}", 400)
    if decision == "reject" and not note:
        raise review.ReviewError("A reason is required to reject a claim.", 400)
    if decision == "needs_info" and not note:
        raise review.ReviewError("A note saying what information is needed is required.", 400)
    if set(values) - set(REVIEWABLE_FIELDS):
        raise review.ReviewError(f"{sorted(set(values) - set(REVIEWABLE_FIELDS))[0]} cannot be corrected", 400)
    row = standing(session, claim.id, lock=True)
    if row is not None and row.state != "awaiting" and row.second_user_id == user.id:
        last = session.get(Review, row.second_review_id)
        if last is not None and last.decision == f"second_{decision}" and last.note == note:
            return review.Outcome(None, duplicate=True)
    if row is None or row.state != "awaiting":
        raise review.ReviewError(f"Claim {claim.id} does not await a second review.")
    if row.first_user_id == user.id:
        raise review.ReviewError("You made the first decision on this claim: another reviewer checks it.", 403)
    if version != claim.version:
        raise review.ReviewError(f"Claim {claim.id} was changed while you had it open; nothing was saved.")
    lease = claim_queue.holder(session, claim.id, now)
    if lease is not None and lease.user_id != user.id:
        raise review.HeldByOther(claim.id, lease.user.username, lease.expires_at)
    shown = {name: _plain(value) for name, value in extracted_values(claim).items()}
    given = {name: _plain(values.get(name, getattr(claim, f"extracted_{name}"))) for name in REVIEWABLE_FIELDS}
    changes = {name: [shown[name], given[name]] for name in REVIEWABLE_FIELDS if shown[name] != given[name]}
    second = Review(claim_id=claim.id, user_id=user.id, decision=f"second_{decision}", note=note, changes=changes,
                    status_before=claim.status, status_after=claim.status, created_at=now)
    session.add(second)
    session.flush()
    claim_queue.release(session, claim.id, user)
    row = rebuild(session, claim, now)
    audit.record(session, user, second.decision, "claim", claim.id, before={"second_review": "awaiting"},
                 after={"second_review": row.state, "disagreements": row.disagreements})
    session.flush()
    return review.Outcome(second)


def skip_second(session: so.Session, claim: Claim, user: User, now: datetime) -> Review:
    """Send a claim awaiting a second review to the back of `user`'s queue; another reviewer may take it."""
    row = standing(session, claim.id)
    if row is None or row.state != "awaiting":
        raise review.ReviewError(f"Claim {claim.id} does not await a second review.")
    claim_queue.skip(session, claim.id, user, now)
    skipped = Review(claim_id=claim.id, user_id=user.id, decision="skip", note="", changes={},
                     status_before=claim.status, status_after=claim.status, created_at=now)
    session.add(skipped)
    audit.record(session, user, "skip", "claim", claim.id)
    session.flush()
    return skipped


# --- adjudication -------------------------------------------------------------------------------

def _field_values(name: str, compared: Any) -> dict[str, Any]:
    """The claim columns behind one compared field's value."""
    if name == "period":
        start, _, end = (compared or "/").partition("/")
        return {"period_start": date.fromisoformat(start) if start else None,
                "period_end": date.fromisoformat(end) if end else None}
    return {name: compared}


def impartial_leads(session: so.Session, parties: tuple[int | None, ...]) -> int:
    """How many active leads made neither of the two reviews: when there is one, only they may adjudicate."""
    return session.scalar(sa.select(sa.func.count()).select_from(User).where(
        User.role == "lead", User.active.is_(True), User.id.not_in([p for p in parties if p is not None]))) or 0


def adjudicate(session: so.Session, claim: Claim, lead: User, decision: str, *, choices: dict[str, str],
               version: int, now: datetime, note: str = "") -> Review:
    """A lead settles two disagreeing reviews: the final decision, and for each disputed field whose value stands."""
    note = (note or "").strip()
    if not lead.is_lead:
        raise review.ReviewError("Only a lead can adjudicate.", 403)
    if decision not in review.DECISION_STATUS:
        raise review.ReviewError("Choose verify, reject or needs info.", 400)
    if not note:
        raise review.ReviewError("A note explaining the decision is required.", 400)
    row = standing(session, claim.id, lock=True)
    if row is not None and row.state == "adjudicated":
        final = session.scalar(sa.select(Review).where(Review.claim_id == claim.id, Review.decision == "adjudicate")
                               .order_by(Review.id.desc()).limit(1))
        if final is not None and final.user_id == lead.id and final.note == note \
                and final.status_after == review.DECISION_STATUS[decision]:
            raise review.AlreadyAdjudicated()
        if final is not None:
            raise review.ReviewError(f"Claim {claim.id} does not await adjudication: {final.user.username} "
                                     f"adjudicated it at {final.created_at:%H:%M} UTC; nothing was saved.")
    if row is None or row.state != "adjudication":
        raise review.ReviewError(f"Claim {claim.id} does not await adjudication.")
    parties = (row.first_user_id, row.second_user_id)
    if lead.id in parties and impartial_leads(session, parties):
        raise review.ReviewError("You reviewed this claim: another lead adjudicates it.", 403)
    if version != claim.version:
        raise review.ReviewError(f"Claim {claim.id} was changed while you had it open; nothing was saved.")
    values: dict[str, Any] = {}
    for name in row.disagreements:
        if name == "decision":
            continue
        choice = choices.get(name)
        if choice not in ("first", "second"):
            raise review.ReviewError(f"Choose the first or the second review's {label(name)}.", 400)
        values.update(_field_values(name, (row.first_values if choice == "first" else row.second_values)[name]))
    merged = {name: values.get(name, getattr(claim, name)) for name in REVIEWABLE_FIELDS}
    if merged["value_max"] is not None and merged["value_max"] < merged["value"]:
        raise review.ReviewError("Those choices put the upper value below the value; choose again.", 400)
    if merged["period_start"] and merged["period_end"] and merged["period_end"] < merged["period_start"]:
        raise review.ReviewError("Those choices make the period end before it starts; choose again.", 400)
    before = review.snapshot(claim)
    changes = review._apply(claim, values)
    status_before = claim.status
    claim.status = review.DECISION_STATUS[decision]
    claim.reviewed_by_id, claim.reviewed_at, claim.updated_at = lead.id, now, now
    final = Review(claim_id=claim.id, user_id=lead.id, decision="adjudicate", note=note, changes=changes,
                   status_before=status_before, status_after=claim.status, created_at=now)
    session.add(final)
    after = review.snapshot(claim)
    if lead.id in parties:
        # The team has no lead who took no part: the adjudication stands, marked as made by a party.
        after["adjudicator_was_party"] = True
    audit.record(session, lead, "adjudicate", "claim", claim.id, before=before, after=after)
    session.flush()
    rebuild(session, claim, now)
    review._regroup(session, claim, changes, status_before)
    return final


@dataclass(frozen=True)
class Dispute:
    """A claim awaiting adjudication, for the leads' list."""

    claim: Claim
    standing: SecondReview
    first_user: str
    second_user: str


def disputes(session: so.Session, after: int = 0, limit: int = 50) -> list[Dispute]:
    """Claims awaiting adjudication, by claim id, a page at a time (keyset on claim id)."""
    first, second = so.aliased(User), so.aliased(User)
    rows = session.execute(
        sa.select(SecondReview, Claim, first.username, second.username)
        .join(Claim, Claim.id == SecondReview.claim_id)
        .join(first, first.id == SecondReview.first_user_id)
        .join(second, second.id == SecondReview.second_user_id)
        .where(SecondReview.state == "adjudication", SecondReview.claim_id > after)
        .order_by(SecondReview.claim_id).limit(limit)
    ).all()
    return [Dispute(claim, row, a, b) for row, claim, a, b in rows]


@dataclass(frozen=True)
class Side:
    """One of the two reviews of a disputed claim, as the adjudication page shows it."""

    review: Review
    values: dict[str, Any]


def sides(session: so.Session, row: SecondReview) -> tuple[Side, Side | None]:
    """The first and second reviews of a claim, with the values each stood for."""
    first = session.scalar(sa.select(Review).options(so.joinedload(Review.user))
                           .where(Review.id == row.first_review_id))
    second = None
    if row.second_review_id is not None:
        second = Side(session.scalar(sa.select(Review).options(so.joinedload(Review.user))
                                     .where(Review.id == row.second_review_id)), row.second_values)
    return Side(first, row.first_values), second
