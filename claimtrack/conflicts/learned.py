"""What leads teach the detector: equivalences and separations of measures, and the suggestions they answer.

A lead's merge, split or answer to a "same fact?" suggestion is kept as a `MeasureEquivalence`
(or a separation) between two folded measures, for one subject or for all; detection reads the
active ones in every rebuild and for every new document. An undo stamps the row and detection
places the claims again without it; nothing is deleted.
"""
from dataclasses import dataclass

import sqlalchemy as sa
import sqlalchemy.orm as so

from models import Claim, ConflictGroup, MatchSuggestion, MeasureEquivalence, utcnow

from .. import audit
from .detect import DetectionReport, detect_claims
from .members import MemberView, group_members
from .errors import AlreadyAnswered, ConflictError

# Where a lesson holds: the subject of the groups it was learned on, or every subject.
SCOPES = {"subject": "for this subject only", "all": "for every subject"}


def _require_lead(user) -> None:
    if not user.is_lead:
        raise ConflictError("Only a lead can teach the detector which measures are the same fact.")


def learn(
    session: so.Session, user, subject_key: str, measure: str, other: str, same: bool, origin: str,
    scope: str, note: str = "",
) -> MeasureEquivalence:
    """Record a lead's word that two measures are (or are never) the same fact; the caller re-detects."""
    _require_lead(user)
    if scope not in SCOPES:
        raise ConflictError("Say whether this holds for this subject only or for every subject.")
    if measure == other:
        raise ConflictError("Both groups have the same measure: there is nothing to learn about it.")
    a, b = sorted((measure, other))
    subject = subject_key if scope == "subject" else ""
    superseded = session.scalars(
        sa.select(MeasureEquivalence).where(
            MeasureEquivalence.subject_key == subject, MeasureEquivalence.measure_a == a,
            MeasureEquivalence.measure_b == b, MeasureEquivalence.undone_at.is_(None),
        ).with_for_update()
    ).all()
    for old in superseded:
        old.undone_at, old.undone_by_id = utcnow(), user.id
    lesson = MeasureEquivalence(subject_key=subject, measure_a=a, measure_b=b, same=same, origin=origin,
                                note=note.strip()[:2000], created_by_id=user.id)
    session.add(lesson)
    session.flush()
    audit.record(session, user, "learn", "measure_equivalence", lesson.id,
                 before={"superseded": [o.id for o in superseded]} if superseded else None,
                 after={"subject_key": subject, "measures": [a, b], "same": same, "origin": origin})
    return lesson


def redetect_measures(session: so.Session, subject_key: str, measures: tuple[str, ...]) -> DetectionReport:
    """Detect again over the groups of these measures, for one subject ("" for every subject)."""
    groups = session.execute(
        sa.select(ConflictGroup.id, ConflictGroup.block).where(ConflictGroup.measure_key.in_(measures))
    ).all()
    ids = [id_ for id_, block in groups if not subject_key or block.partition("|")[0] == subject_key]
    claims = session.scalars(sa.select(Claim.id).where(Claim.group_id.in_(ids))).all() if ids else []
    return detect_claims(session, claims)


def undo_lesson(session: so.Session, user, lesson_id: int) -> MeasureEquivalence:
    """Withdraw a learned equivalence or separation; the suggestion it answered is open again."""
    _require_lead(user)
    lesson = session.get(MeasureEquivalence, lesson_id, with_for_update=True, populate_existing=True)
    if lesson is None:
        raise ConflictError("No such learned equivalence.")
    if lesson.undone_at is not None:
        raise ConflictError("This was already undone (or replaced by a later answer).")
    lesson.undone_at, lesson.undone_by_id = utcnow(), user.id
    reopened = session.scalars(sa.select(MatchSuggestion).where(MatchSuggestion.equivalence_id == lesson.id)).all()
    for suggestion in reopened:
        suggestion.status, suggestion.answered_by_id, suggestion.answered_at = "pending", None, None
        suggestion.equivalence_id = None
    session.flush()
    redetect_measures(session, lesson.subject_key, (lesson.measure_a, lesson.measure_b))
    audit.record(session, user, "undo_learn", "measure_equivalence", lesson.id,
                 before={"same": lesson.same, "measures": [lesson.measure_a, lesson.measure_b]},
                 after={"undone": True, "suggestions_reopened": [s.id for s in reopened]})
    return lesson


def answer_suggestion(
    session: so.Session, user, suggestion_id: int, same: bool, scope: str, note: str = ""
) -> MatchSuggestion:
    """Record a lead's answer to "same fact?", learn it, and place the claims again; the caller commits."""
    _require_lead(user)
    suggestion = session.get(MatchSuggestion, suggestion_id, with_for_update=True, populate_existing=True)
    if suggestion is None:
        raise ConflictError("No such suggestion.")
    if suggestion.status != "pending":
        if suggestion.answered_by_id == user.id and suggestion.status == ("same" if same else "different"):
            raise AlreadyAnswered()
        raise ConflictError("This suggestion was already answered (perhaps by another lead): nothing was saved.")
    lesson = learn(session, user, suggestion.subject_key, suggestion.measure_a, suggestion.measure_b, same,
                   "suggestion", scope, note)
    suggestion.status = "same" if same else "different"
    suggestion.answered_by_id, suggestion.answered_at = user.id, utcnow()
    suggestion.equivalence_id = lesson.id
    session.flush()
    redetect_measures(session, lesson.subject_key, (suggestion.measure_a, suggestion.measure_b))
    audit.record(session, user, "answer_suggestion", "match_suggestion", suggestion.id,
                 before={"status": "pending"}, after={"status": suggestion.status, "lesson_id": lesson.id})
    return suggestion


@dataclass(frozen=True)
class SuggestionSide:
    """One measure of a suggestion, with the group it leads (if any) and that group's claims."""

    measure: str
    group: ConflictGroup | None
    members: list[MemberView]


@dataclass(frozen=True)
class SuggestionView:
    """A pending suggestion with the groups of its two measures, as the conflicts pages show it."""

    suggestion: MatchSuggestion
    sides: tuple[SuggestionSide, SuggestionSide]


def pending_suggestions(
    session: so.Session, limit: int = 20, offset: int = 0, viewer_id: int | None = None
) -> tuple[list[SuggestionView], bool]:
    """Pending suggestions, best scores first, each with its two groups' claims (as `viewer_id` may see them);
    and whether more follow."""
    rows = session.scalars(
        sa.select(MatchSuggestion).where(MatchSuggestion.status == "pending")
        .order_by(MatchSuggestion.score.desc(), MatchSuggestion.id).limit(limit + 1).offset(offset)
    ).all()
    page = rows[:limit]
    # A measure's group is the oldest of its block that was not merged away.
    groups: dict[tuple[str, str], ConflictGroup] = {}
    if page:
        for group in session.scalars(
            sa.select(ConflictGroup)
            .where(ConflictGroup.block.in_({s.block for s in page}), ConflictGroup.merged_into_id.is_(None))
            .order_by(ConflictGroup.id)
        ):
            groups.setdefault((group.block, group.measure_key), group)
    claims = group_members(session, [g.id for g in groups.values()], viewer_id)

    def side(block: str, measure: str) -> SuggestionSide:
        group = groups.get((block, measure))
        return SuggestionSide(measure, group, claims[group.id] if group else [])

    views = [SuggestionView(s, (side(s.block, s.measure_a), side(s.block, s.measure_b))) for s in page]
    return views, len(rows) > limit


def pending_count(session: so.Session) -> int:
    """How many suggestions wait for an answer."""
    return session.scalar(sa.select(sa.func.count()).where(MatchSuggestion.status == "pending"))


def lessons(session: so.Session, limit: int = 200) -> list[MeasureEquivalence]:
    """Learned equivalences and separations, newest first, undone ones included."""
    return list(session.scalars(
        sa.select(MeasureEquivalence).options(so.joinedload(MeasureEquivalence.created_by),
                                              so.joinedload(MeasureEquivalence.undone_by))
        .order_by(MeasureEquivalence.id.desc()).limit(limit)
    ))
