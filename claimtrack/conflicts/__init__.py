"""Finding claims that state the same fact, and noticing when their values disagree.

Claims are compared within a block: their subject (the entity's key, else the folded name),
the dimension of their unit (lengths together whatever the unit; each currency apart, since
no rate is known), and their kind and direction of change when they are not a plain fact.
Within a block, measures are scored (`compare.measure_similarity`, and what leads taught,
`learned`): a claim joins the group of a measure scoring as the same fact, else starts its own
and, when the score says "possibly", leaves a suggestion for a lead. Reviewers' merges and
splits pin claims where they put them (`Claim.group_pinned`).

Within a group, each claim allows an interval of values: its qualifier ("over 30") and the
precision its quote states ("6.3 million" covers 6,250,000 up to, not including, 6,400,000:
rounded or cut off). Claims whose periods are the same (or unstated) must have intervals that
meet; claims for clearly different periods form a time series, unless levels of adjacent
periods are wildly apart. Only claims from different
documents can disagree: inside one document, the same subject and measure with two numbers is
nearly always a part and its whole ("16 of the 156 key projects"), not a contradiction.
Rejected and deprecated claims never make a conflict.

Detection runs over the groups new documents touch (an `AFTER_STORE` hook) or over
everything (`rebuild`); either way the cost is a few indexed lookups per key, never a
comparison of every claim with every other.

A lead may resolve a group in favour of a trusted reference (`claimtrack.references`): the values a
reference figure contradicts are deprecated with the figure and its source as the reason.

`compare` holds the pure logic (keys, measure scores, intervals, periods), `detect` the placement
and judging of claims, `resolve` the reviewers' decisions on groups, `learned` what leads taught
the detector, `members` the reading of groups for the pages.
"""
from .compare import CONFLICT_STATUSES, dimension_of, stated_step
from .detect import DetectionReport, detect_claims, detect_document, detect_documents, rebuild
from .members import (
    ConflictSummary,
    GroupDetail,
    MemberView,
    conflict_page,
    conflict_summary,
    group_detail,
    group_members,
    iter_conflicts,
)
from .errors import AlreadyAnswered, AlreadyResolved, AwaitsBlindReview, ConflictError, NotInGroup, StaleGroupError
from .learned import SCOPES, answer_suggestion, lessons, pending_count, pending_suggestions, undo_lesson
from .resolve import (
    DEPRECATION_REASONS,
    Rescope,
    merge_groups,
    resolve_by_reference,
    resolve_group,
    split_claim,
    undo_resolution,
)

__all__ = [
    "CONFLICT_STATUSES", "DEPRECATION_REASONS", "ConflictError", "ConflictSummary", "DetectionReport",
    "AlreadyAnswered", "AlreadyResolved", "AwaitsBlindReview", "GroupDetail", "MemberView", "NotInGroup", "Rescope", "StaleGroupError", "conflict_page", "conflict_summary",
    "detect_claims", "detect_document", "detect_documents", "dimension_of", "group_detail", "group_members",
    "iter_conflicts", "merge_groups", "rebuild", "resolve_by_reference", "resolve_group", "split_claim", "stated_step",
    "undo_resolution", "SCOPES", "answer_suggestion", "lessons", "pending_count", "pending_suggestions",
    "undo_lesson",
]
