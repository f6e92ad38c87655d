"""Reading conflict groups with their claims, for the pages and the command line."""
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, fields, replace
from datetime import date

import sqlalchemy as sa
import sqlalchemy.orm as so

from models import BLIND_STATUS, REVIEWABLE_FIELDS, Claim, ConflictGroup, Document, Resolution, blind_to

from ..documents import SpanInContext, span_in_paragraph
from .compare import CONFLICT_STATUSES


@dataclass(frozen=True)
class MemberView:
    """A claim of a group as the reconciliation pages and the command line show it."""

    id: int
    document_id: int
    doc: str
    title: str
    published: date | None
    start: int
    end: int
    quote: str
    value: float
    value_max: float | None
    unit: str
    qualifier: str
    period_start: date | None
    period_end: date | None
    subject: str
    measure: str
    status: str
    rank: str
    rank_reason: str
    pinned: bool
    conflict_open: bool
    version: int

    def to_json(self) -> dict:
        """The claim as the `claimtrack conflicts` contract prints it."""
        return {
            "doc": self.doc, "start": self.start, "end": self.end, "value": self.value,
            "unit": self.unit, "qualifier": self.qualifier,
            "period_start": self.period_start.isoformat() if self.period_start else None,
            "period_end": self.period_end.isoformat() if self.period_end else None,
        }


# The reviewable fields a member shows: as extracted to a viewer who must review the claim blind.
_SHOWN_REVIEWABLE = tuple(f.name for f in fields(MemberView) if f.name in REVIEWABLE_FIELDS)


def group_members(
    session: so.Session, group_ids: Iterable[int], viewer_id: int | None = None
) -> dict[int, list[MemberView]]:
    """The claims of each group, by document date then position.

    With `viewer_id`, a claim awaiting that user's blind second review shows its values as
    extracted and the status `awaiting_second`, as every other view of it does.
    """
    ids = list(group_ids)
    out: dict[int, list[MemberView]] = {group_id: [] for group_id in ids}
    if not ids:
        return out
    blind = [blind_to(Claim.id, viewer_id).label("blind")] if viewer_id is not None else []
    extracted = [getattr(Claim, f"extracted_{name}") for name in _SHOWN_REVIEWABLE] if blind else []
    rows = session.execute(
        sa.select(
            Claim.group_id, Claim.id, Claim.document_id, Document.file_name, Document.title,
            Document.published, Claim.start, Claim.end, Claim.quote, Claim.value, Claim.value_max,
            Claim.unit, Claim.qualifier, Claim.period_start, Claim.period_end, Claim.subject,
            Claim.measure, Claim.status, Claim.rank, Claim.rank_reason, Claim.group_pinned,
            Claim.conflict_open, Claim.version, *blind, *extracted,
        )
        .join(Document, Document.id == Claim.document_id)
        .where(Claim.group_id.in_(ids))
        .order_by(Claim.group_id, Document.published.nulls_first(), Document.id, Claim.start)
    )
    width = len(fields(MemberView))
    for group_id, *columns in rows:
        member = MemberView(*columns[:width])
        if blind and columns[width]:
            member = replace(member, status=BLIND_STATUS, **dict(zip(_SHOWN_REVIEWABLE, columns[width + 1:])))
        out[group_id].append(member)
    return out


def _status_order():
    return sa.case({status: i for i, status in enumerate(CONFLICT_STATUSES)}, value=ConflictGroup.status, else_=9)


def conflict_page(
    session: so.Session, statuses: tuple[str, ...] = CONFLICT_STATUSES, limit: int = 50, offset: int = 0,
    viewer_id: int | None = None,
) -> tuple[list[tuple[ConflictGroup, list[MemberView]]], bool]:
    """Groups with these statuses, open ones first, with their claims as `viewer_id` may see them; and whether more follow."""
    groups = session.scalars(
        sa.select(ConflictGroup)
        .where(ConflictGroup.status.in_(statuses), ConflictGroup.merged_into_id.is_(None))
        .order_by(_status_order(), ConflictGroup.id)
        .limit(limit + 1)
        .offset(offset)
    ).all()
    page = groups[:limit]
    claims = group_members(session, [g.id for g in page], viewer_id)
    return [(g, claims[g.id]) for g in page], len(groups) > limit


def iter_conflicts(session: so.Session, batch: int = 500) -> Iterator[tuple[ConflictGroup, list[MemberView]]]:
    """Every group in conflict (open, unresolved, resolved: in that order) with its claims."""
    for status in CONFLICT_STATUSES:
        last = 0
        while True:
            groups = session.scalars(
                sa.select(ConflictGroup)
                .where(ConflictGroup.status == status, ConflictGroup.id > last)
                .order_by(ConflictGroup.id)
                .limit(batch)
            ).all()
            if not groups:
                break
            claims = group_members(session, [g.id for g in groups])
            for group in groups:
                yield group, claims[group.id]
            last = groups[-1].id


@dataclass(frozen=True)
class ConflictSummary:
    """How a claim stands in its group, for badges on the queue and the claim page."""

    group_id: int
    status: str
    is_series: bool
    others: tuple[MemberView, ...]


def conflict_summary(session: so.Session, claim: Claim) -> ConflictSummary | None:
    """The conflict a claim is part of (open, unresolved or resolved), or None."""
    if claim.group_id is None:
        return None
    group = session.get(ConflictGroup, claim.group_id)
    if group is None or group.status not in CONFLICT_STATUSES:
        return None
    others = tuple(m for m in group_members(session, [group.id])[group.id] if m.id != claim.id)
    return ConflictSummary(group.id, group.status, group.is_series, others)


# Context shown around a claim's span on the reconciliation page, each side at most.
CONTEXT_CHARS = 400


@dataclass(frozen=True)
class GroupDetail:
    """Everything the reconciliation page shows about one group."""

    group: ConflictGroup
    members: list[MemberView]
    contexts: dict[int, SpanInContext]
    resolutions: list[Resolution]


def group_detail(session: so.Session, group_id: int, viewer_id: int | None = None) -> GroupDetail | None:
    """A group with its claims side by side (as `viewer_id` may see them), each span in its paragraph, and its resolutions."""
    group = session.get(ConflictGroup, group_id)
    if group is None:
        return None
    claims = group_members(session, [group.id], viewer_id)[group.id]
    texts = dict(session.execute(
        sa.select(Document.id, Document.text).where(Document.id.in_({m.document_id for m in claims}))
    ).all()) if claims else {}
    contexts = {}
    for m in claims:
        contexts[m.id] = span_in_paragraph(texts[m.document_id], m.start, m.end, CONTEXT_CHARS)
    return GroupDetail(group, claims, contexts, list(group.resolutions))
