"""The Claimtrack schema: one Base, one module per aggregate, all re-exported here."""
from .audit import AuditEvent
from .base import MAX_ROW_ID, Base, UTCDateTime, row_id, utcnow
from .claims import CHANGES, KINDS, ORIGINS, QUALIFIERS, RANKS, REVIEWABLE_FIELDS, STATUSES, Claim
from .conflicts import (
    GROUP_STATUSES, LEARNED_ORIGINS, RESOLUTION_DECISIONS, SUGGESTION_STATUSES, ConflictGroup, MatchSuggestion,
    MeasureEquivalence, Resolution,
)
from .documents import Document
from .guards import InvariantError
from .jobs import ACTIVE_STATES, FINAL_STATES, JOB_KINDS, JOB_STATES, Job
from .queue import Lease, Skip
from .references import REFERENCE_STANDINGS, ReferenceFigure, ReferenceSource
from .reviews import EVIDENCE_METHODS, Review
from .second_review import (
    ANSWER_TYPES, BLIND_STATUS, COMPARED_FIELDS, SECOND_DECISIONS, SECOND_REVIEW_REASONS, SECOND_REVIEW_STATES, ReviewPolicy,
    SecondReview, answer_columns, blind_claim_ids, blind_to,
)
from .tallies import DocumentDay, ReasonDay, ReviewerDay, TimingDay
from .team import Guidelines, TeamSetting
from .tokens import ApiToken
from .users import ROLES, LoginAttempt, User

__all__ = [
    "ApiToken", "AuditEvent", "Base", "CHANGES", "Claim", "ConflictGroup", "Document", "DocumentDay", "EVIDENCE_METHODS",
    "GROUP_STATUSES", "Guidelines",
    "KINDS", "LEARNED_ORIGINS", "Lease", "MatchSuggestion", "MeasureEquivalence", "MAX_ROW_ID", "LoginAttempt", "ORIGINS", "QUALIFIERS", "RANKS", "RESOLUTION_DECISIONS", "REVIEWABLE_FIELDS",
    "InvariantError", "Job", "JOB_KINDS", "JOB_STATES", "ACTIVE_STATES", "FINAL_STATES", "ROLES", "ReasonDay", "Resolution", "Review", "ReviewerDay", "TimingDay", "STATUSES", "SUGGESTION_STATUSES", "Skip", "TeamSetting", "UTCDateTime", "User",
    "row_id", "utcnow",
    "ANSWER_TYPES", "BLIND_STATUS", "COMPARED_FIELDS", "ReviewPolicy", "answer_columns", "SECOND_DECISIONS", "SECOND_REVIEW_REASONS", "SECOND_REVIEW_STATES",
    "SecondReview", "blind_claim_ids", "blind_to",
    "REFERENCE_STANDINGS", "ReferenceFigure", "ReferenceSource",
]
