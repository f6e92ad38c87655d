"""Reviewers' decisions on conflict groups: resolutions and their undo, merges and splits."""
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Iterable, Mapping

import sqlalchemy as sa
import sqlalchemy.orm as so

from models import MAX_ROW_ID, Claim, ConflictGroup, ReferenceFigure, Resolution, Review, blind_to, utcnow

from .. import audit, references
from .detect import claim_key, detect_claims
from .errors import AlreadyResolved, AwaitsBlindReview, ConflictError, NotInGroup, StaleGroupError
from .learned import learn, redetect_measures


STALE_MESSAGE = ("This conflict changed since you opened it (another reviewer or a new document): "
                 "nothing was saved.")
STALE_MINE = "You changed this conflict's claims in another tab after this form was loaded: nothing was saved."
# The member fields a stale resolution form is compared on, as reviewers name them.
COMPARED_FIELDS = {"status": "status", "value": "value", "value_max": "upper value", "unit": "unit",
                   "period_start": "period start", "period_end": "period end", "subject": "subject",
                   "measure": "measure", "rank": "rank"}


@dataclass(frozen=True)
class MemberDifference:
    """One field of a member claim where the reviewer's resolution form and the claim now disagree."""

    claim_id: int
    label: str
    yours: object
    now: object


@dataclass(frozen=True)
class MemberChange:
    """The latest review of a member claim that changed since the form was loaded."""

    claim_id: int
    review: Review


# Why a value lost to the preferred one.
DEPRECATION_REASONS = {
    "superseded": "superseded by newer data",
    "wrong_in_source": "wrong in source",
    "extraction_error": "extraction error",
}
# The claim fields a resolution may change, and so the ones its undo restores.
RESOLVED_FIELDS = ("rank", "rank_reason", "period_start", "period_end", "subject", "measure")


@dataclass(frozen=True)
class Rescope:
    """A reviewer's period or scope for one claim, separating values that are all right."""

    claim_id: int
    period_start: date | None
    period_end: date | None
    subject: str
    measure: str


def _snapshot(claim: Claim) -> dict:
    return {
        f: (v.isoformat() if isinstance(v, date) else v)
        for f in RESOLVED_FIELDS
        for v in [getattr(claim, f)]
    }


def _restore(claim: Claim, values: dict) -> None:
    for f in RESOLVED_FIELDS:
        value = values[f]
        setattr(claim, f, date.fromisoformat(value) if f.startswith("period_") and value else value)


def _locked_group(session: so.Session, group_id: int) -> ConflictGroup:
    group = session.get(ConflictGroup, group_id, with_for_update=True, populate_existing=True)
    if group is None:
        raise ConflictError("No such conflict.")
    return group


def _group_claims(session: so.Session, group: ConflictGroup) -> list[Claim]:
    return list(session.scalars(sa.select(Claim).where(Claim.group_id == group.id).order_by(Claim.id)))


def _locked_claims(session: so.Session, group_id: int) -> list[Claim]:
    """The group's claims, freshly read and row-locked (PostgreSQL) so no decision interleaves."""
    return list(session.scalars(
        sa.select(Claim).where(Claim.group_id == group_id).order_by(Claim.id)
        .with_for_update().execution_options(populate_existing=True)
    ))


def _refuse_if_blind(session: so.Session, user, claims: list[Claim]) -> None:
    """A user who must review one of the claims blind cannot resolve their group yet (AwaitsBlindReview)."""
    if not claims:
        return
    blind = session.scalar(sa.select(sa.func.min(Claim.id)).where(Claim.id.in_([c.id for c in claims]),
                                                                  blind_to(Claim.id, user.id)))
    if blind is not None:
        raise AwaitsBlindReview(blind)


def _scope(rescope: Rescope) -> dict:
    """The claim fields a rescope sets, as they would be stored."""
    return {"period_start": rescope.period_start, "period_end": rescope.period_end,
            "subject": rescope.subject.strip()[:200], "measure": rescope.measure.strip()[:200]}


def _check_fresh(session: so.Session, group: ConflictGroup, version: int, claims: list[Claim],
                 seen: Mapping[int, int] | None, rescopes: list[Rescope], user=None) -> None:
    """Raise StaleGroupError if the group or, when `seen` is given, any of `claims` (its members and
    those that left it) moved on, or a claim joined it.

    When every change found is `user`'s own, the message says it came from another tab of theirs.
    """
    changed = [] if seen is None else [c for c in claims if seen.get(c.id) != c.version]
    if group.version == version and not changed and (seen is None or set(seen) == {c.id for c in claims}):
        return
    scopes = {r.claim_id: _scope(r) for r in rescopes}
    differences = [
        MemberDifference(c.id, COMPARED_FIELDS[name], yours, getattr(c, name))
        for c in changed for name, yours in scopes.get(c.id, {}).items() if yours != getattr(c, name)
    ]
    changes = []
    for claim in changed:
        last = session.scalar(
            sa.select(Review).options(so.joinedload(Review.user))
            .where(Review.claim_id == claim.id, Review.decision != "skip").order_by(Review.id.desc()).limit(1)
        )
        if last is not None:
            changes.append(MemberChange(claim.id, last))
            if last.status_before != last.status_after:
                differences.append(MemberDifference(claim.id, "status", last.status_before, claim.status))
            differences.extend(
                MemberDifference(claim.id, COMPARED_FIELDS.get(name, name), before, after)
                for name, (before, after) in last.changes.items()
                if name not in scopes.get(claim.id, {})
            )
    mine = user is not None and changes and all(c.review.user_id == user.id for c in changes)
    raise StaleGroupError(STALE_MINE if mine else STALE_MESSAGE, differences, changes)


def resolve_group(
    session: so.Session,
    user,
    group_id: int,
    version: int,
    decision: str,
    note: str,
    preferred_claim_id: int | None = None,
    reason: str = "",
    rescopes: Iterable[Rescope] = (),
    seen: Mapping[int, int] | None = None,
) -> Resolution:
    """Record a reviewer's resolution of a conflict; on ConflictError the caller rolls back.

    `seen` maps each member claim to the version the reviewer saw: a member decided or
    corrected since, or one that joined or left the group, makes the form stale. Only the
    fields a resolution changes are written, so it never reverts anyone's newer work.
    """
    rescopes = list(rescopes)
    # Claims before the group, the order a decision on a member takes them in.
    claims = _locked_claims(session, group_id)
    group = _locked_group(session, group_id)
    _refuse_if_blind(session, user, claims)
    by_id = {c.id: c for c in claims}
    named = {c.claim_id for c in rescopes} | set(seen or ())
    if decision == "prefer" and preferred_claim_id is not None:
        named.add(preferred_claim_id)
    departed = []
    for claim_id in sorted(named - set(by_id)):
        outside = session.get(Claim, claim_id) if 0 < claim_id <= MAX_ROW_ID else None
        if outside is None:
            continue
        # A claim that left the group since the form was loaded has a newer version than it
        # showed; one named with the version it has now was never in this group.
        if seen is None or seen.get(claim_id, outside.version) == outside.version:
            raise NotInGroup(claim_id, group.id)
        departed.append(outside)
    form = _form_record(version, decision, note, preferred_claim_id, reason, rescopes)
    _refuse_if_recorded(session, user, group, form)
    _check_fresh(session, group, version, [*claims, *departed], seen, rescopes, user)
    if group.status not in ("open", "unresolved"):
        raise ConflictError(f"This group is {group.status}: there is nothing to resolve.")
    note = note.strip()
    if not note:
        raise ConflictError("A resolution needs a note saying why.")
    before = {c.id: _snapshot(c) for c in claims}
    group_before = {"status": group.status, "is_series": group.is_series, "note": group.note}
    active = [c for c in claims if c.status != "rejected" and c.rank != "deprecated"]
    if decision == "prefer":
        preferred = next((c for c in active if c.id == preferred_claim_id), None)
        if preferred is None:
            raise ConflictError("Choose which of the group's values is right.")
        if reason not in DEPRECATION_REASONS:
            raise ConflictError("Say why the other values are wrong.")
        for claim in active:
            if claim is preferred:
                claim.rank, claim.rank_reason = "preferred", ""
            else:
                claim.rank, claim.rank_reason = "deprecated", DEPRECATION_REASONS[reason]
        group.status = "resolved"
    elif decision == "all_right":
        for rescope in rescopes:
            claim = by_id.get(rescope.claim_id)
            if claim is None:
                raise ConflictError(f"Claim {rescope.claim_id} is not in this group.")
            if rescope.period_start and rescope.period_end and rescope.period_end < rescope.period_start:
                raise ConflictError(f"Claim {claim.id}: the period ends before it starts.")
            if not rescope.subject.strip() or not rescope.measure.strip():
                raise ConflictError(f"Claim {claim.id}: subject and measure cannot be empty.")
            for name, value in _scope(rescope).items():
                if getattr(claim, name) != value:
                    setattr(claim, name, value)
        group.status = "resolved"
    elif decision == "unresolved":
        group.status = "unresolved"
        group.note = note
    else:
        raise ConflictError(f"Unknown decision {decision!r}.")
    group.updated_at = utcnow()
    session.flush()
    detect_claims(session, [c.id for c in claims])
    if rescopes:
        # A new period, subject or measure may meet other reference figures.
        references.match_claims(session, [c.id for c in claims])
    if decision == "all_right" and group.status == "open":
        raise ConflictError(
            "These values still disagree for the same period and scope: set the periods (or the "
            "subject or measure) that tell them apart, or choose the right value instead."
        )
    return _record(session, user, group, claims, before, group_before, decision, note,
                   preferred_claim_id if decision == "prefer" else None, extra={"form": form})


def _form_record(version: int, decision: str, note: str, preferred_claim_id: int | None, reason: str,
                 rescopes: list[Rescope]) -> dict:
    """What a resolution form said and the group version it was loaded at, as kept with the resolution."""
    prefer = decision == "prefer"
    return {"group_version": version, "decision": decision, "note": note.strip(),
            "preferred_claim_id": preferred_claim_id if prefer else None, "reason": reason if prefer else "",
            "rescopes": {str(r.claim_id): {k: v.isoformat() if isinstance(v, date) else v for k, v in _scope(r).items()}
                         for r in rescopes}}


def _refuse_if_recorded(session: so.Session, user, group: ConflictGroup, form: dict) -> None:
    """AlreadyResolved when the group's standing resolution is this very form, sent by this user before."""
    latest = session.scalar(sa.select(Resolution).where(Resolution.group_id == group.id)
                            .order_by(Resolution.id.desc()).limit(1))
    if (latest is not None and latest.undone_at is None and latest.user_id == user.id
            and (latest.details or {}).get("form") == form):
        raise AlreadyResolved(latest.id)


def _record(session: so.Session, user, group: ConflictGroup, claims: list[Claim], before: dict, group_before: dict,
            decision: str, note: str, preferred_claim_id: int | None, extra: dict | None = None) -> Resolution:
    """Write a resolution of `group`: each member's fields before and after, a review per member, an audit event."""
    batch_id = str(uuid.uuid4())
    changed = {c.id: (before[c.id], _snapshot(c)) for c in claims}
    resolution = Resolution(
        group_id=group.id, user_id=user.id, decision=decision, preferred_claim_id=preferred_claim_id, note=note,
        details={
            "batch_id": batch_id,
            "group": {"before": group_before, "after": {"status": group.status, "is_series": group.is_series, "note": group.note}},
            "claims": {str(i): {"before": b, "after": a} for i, (b, a) in changed.items()},
            **(extra or {}),
        },
    )
    session.add(resolution)
    for claim in claims:
        b, a = changed[claim.id]
        session.add(Review(
            claim_id=claim.id, user_id=user.id, decision="resolve", note=note, batch_id=batch_id,
            changes={f: [b[f], a[f]] for f in RESOLVED_FIELDS if b[f] != a[f]},
            status_before=claim.status, status_after=claim.status,
        ))
    session.flush()
    audit.record(session, user, "resolve", "conflict_group", group.id,
                 before=group_before, after={"decision": decision, "resolution_id": resolution.id,
                                             "status": group.status}, batch_id=batch_id)
    return resolution


def reference_reason(figure: ReferenceFigure) -> str:
    """Why a value lost to a reference figure: the figure, its source and the page stating it."""
    unit = f" {figure.unit}" if figure.unit else ""
    return (f"contradicts reference {figure.source.name}: {figure.value_text}{unit} for "
            f"{figure.period_label} ({figure.source_url})")[:500]


def resolve_by_reference(session: so.Session, user, group_id: int, version: int, note: str = "") -> Resolution:
    """A lead's one-step resolution in favour of the references: the group's values a reference figure
    contradicts are deprecated with the figure and its source as the reason, those matching one are
    preferred; on ConflictError the caller rolls back.

    The group may have looked consistent (its claims agree with one another, not with the reference):
    it is resolved all the same. Every value and reason is kept, and a lead can undo it like any resolution.
    """
    if not getattr(user, "is_lead", False):
        raise ConflictError("Only a lead resolves a conflict in favour of a reference.")
    claims = _locked_claims(session, group_id)
    group = _locked_group(session, group_id)
    _refuse_if_blind(session, user, claims)
    if group.version != version:
        raise StaleGroupError(STALE_MESSAGE)
    active = [c for c in claims if c.status != "rejected" and c.rank != "deprecated"]
    figures = {f.id: f for f in session.scalars(sa.select(ReferenceFigure).where(
        ReferenceFigure.id.in_({c.reference_figure_id for c in active if c.reference_figure_id is not None})))}
    contradicted = [c for c in active if c.reference_standing == "contradicts" and c.reference_figure_id in figures]
    if not contradicted:
        raise ConflictError(
            "No value of this group contradicts a reference: there is nothing to resolve in its favour.")
    before = {c.id: _snapshot(c) for c in claims}
    group_before = {"status": group.status, "is_series": group.is_series, "note": group.note}
    for claim in active:
        figure = figures.get(claim.reference_figure_id)
        if claim in contradicted:
            claim.rank, claim.rank_reason = "deprecated", reference_reason(figure)
        elif figure is not None and claim.reference_standing == "matches":
            claim.rank, claim.rank_reason = "preferred", ""
    cited = {c.reference_figure_id: figures[c.reference_figure_id] for c in contradicted}
    note = note.strip() or "Resolved in favour of the reference: " + "; ".join(
        f"{f.source.name} ({f.source_url})" for f in cited.values())
    group.status = "resolved"
    group.updated_at = utcnow()
    session.flush()
    detect_claims(session, [c.id for c in claims])
    return _record(session, user, group, claims, before, group_before, "reference", note, None, extra={
        "references": [{"figure_id": f.id, "source": f.source.name, "source_url": f.source_url, "value": f.value,
                        "value_text": f.value_text, "unit": f.unit, "period_start": f.period_start.isoformat(),
                        "period_end": f.period_end.isoformat()} for f in cited.values()],
    })


def undo_resolution(session: so.Session, user, resolution_id: int) -> Resolution:
    """Undo a group's latest resolution, restoring its claims and status; nothing is deleted."""
    resolution = session.get(Resolution, resolution_id)
    if resolution is None:
        raise ConflictError("No such resolution.")
    if resolution.undone_at is not None:
        raise ConflictError("This resolution was already undone.")
    group = _locked_group(session, resolution.group_id)
    latest = session.scalar(
        sa.select(sa.func.max(Resolution.id)).where(Resolution.group_id == group.id, Resolution.undone_at.is_(None))
    )
    if latest != resolution.id:
        raise ConflictError("A later resolution of this group stands: undo that one first.")
    details = resolution.details
    claims = {c.id: c for c in session.scalars(sa.select(Claim).where(Claim.id.in_([int(i) for i in details["claims"]])))}
    for claim_id, states in details["claims"].items():
        if _snapshot(claims[int(claim_id)]) != states["after"]:
            raise ConflictError(
                f"Claim {claim_id} was changed after this resolution: undoing it would lose that change."
            )
    batch_id = str(uuid.uuid4())
    resolve_reviews = {
        r.claim_id: r.id
        for r in session.scalars(sa.select(Review).where(Review.batch_id == details["batch_id"]))
    }
    for claim_id, states in details["claims"].items():
        claim = claims[int(claim_id)]
        _restore(claim, states["before"])
        session.add(Review(
            claim_id=claim.id, user_id=user.id, decision="undo", batch_id=batch_id,
            note=f"undo of resolution {resolution.id}", undoes_id=resolve_reviews.get(claim.id),
            changes={f: [states["after"][f], states["before"][f]] for f in RESOLVED_FIELDS
                     if states["after"][f] != states["before"][f]},
            status_before=claim.status, status_after=claim.status,
        ))
    group_before = details["group"]["before"]
    group.status, group.note = group_before["status"], group_before["note"]
    group.updated_at = utcnow()
    resolution.undone_at, resolution.undone_by_id = utcnow(), user.id
    session.flush()
    detect_claims(session, list(claims))
    references.match_claims(session, list(claims))
    audit.record(session, user, "undo_resolution", "conflict_group", group.id,
                 before={"resolution_id": resolution.id, "status": details["group"]["after"]["status"]},
                 after={"status": group.status}, batch_id=batch_id)
    return resolution


def merge_groups(
    session: so.Session, user, group_id: int, other_id: int, note: str = "", learn_scope: str = ""
) -> ConflictGroup:
    """Merge another group into this one for good: its claims and future claims of its key join.

    With a lead's `learn_scope` ("subject" or "all") the two measures are learned as the same fact.
    """
    if group_id == other_id:
        raise ConflictError("A group cannot be merged with itself.")
    group, other = _locked_group(session, group_id), _locked_group(session, other_id)
    if group.merged_into_id is not None or other.merged_into_id is not None:
        raise ConflictError("That group was already merged into another one.")
    if learn_scope:
        if group.subject_key != other.subject_key and learn_scope == "subject":
            raise ConflictError("These groups are about different subjects: learn it for every subject, or not at all.")
        learn(session, user, group.subject_key, group.measure_key, other.measure_key, True, "merge", learn_scope, note)
    moved = _group_claims(session, other)
    for claim in [*_group_claims(session, group), *moved]:
        claim.group_id, claim.group_pinned = group.id, True
    other.merged_into_id = group.id
    other.status = "consistent"
    group.updated_at = other.updated_at = utcnow()
    session.flush()
    detect_claims(session, [c.id for c in _group_claims(session, group)])
    if learn_scope:
        redetect_measures(session, group.subject_key if learn_scope == "subject" else "",
                          (group.measure_key, other.measure_key))
    audit.record(session, user, "merge", "conflict_group", group.id,
                 before={"merged": other.id, "claims": [c.id for c in moved]},
                 after={"status": group.status, "note": note, "learned": learn_scope})
    return group


def split_claim(
    session: so.Session, user, claim_id: int, note: str = "", learn_scope: str = "", group_id: int | None = None
) -> ConflictGroup:
    """Take a claim out of the group it was wrongly put in, into a group of its own that stays apart.

    With a lead's `learn_scope` ("subject" or "all") the claim's measure and the group's are
    learned as never the same fact. With `group_id` (the group the reviewer is looking at), a
    claim of any other group is refused.
    """
    claim = session.get(Claim, claim_id)
    if claim is not None and group_id is not None and claim.group_id != group_id:
        raise NotInGroup(claim_id, group_id)
    if claim is None or claim.group_id is None:
        raise ConflictError("That claim is in no group.")
    old = _locked_group(session, claim.group_id)
    others = [c.id for c in _group_claims(session, old) if c.id != claim.id]
    if not others:
        raise ConflictError("That claim is alone in its group already.")
    key = claim_key(claim)
    if learn_scope:
        if key is None:
            raise ConflictError("That claim has no subject or measure to learn from.")
        learn(session, user, old.subject_key, key.measure, old.measure_key, False, "split", learn_scope, note)
    new = ConflictGroup(
        key=key.key if key else old.key, block=key.block if key else old.block,
        measure_key=key.measure if key else old.measure_key, subject=claim.subject, measure=claim.measure,
        dimension=key.dimension if key else old.dimension, status="consistent",
    )
    session.add(new)
    session.flush()
    claim.group_id, claim.group_pinned = new.id, True
    old.updated_at = utcnow()
    session.flush()
    detect_claims(session, [claim.id, *others])
    audit.record(session, user, "split", "conflict_group", old.id,
                 before={"claim_id": claim.id}, after={"group_id": new.id, "note": note})
    return new
