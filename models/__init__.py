"""The Claimtrack schema: one Base, one module per aggregate, all re-exported here."""
from .audit import AuditEvent
from .base import MAX_ROW_ID, Base, UTCDateTime, row_id, utcnow
from .claims import CHANGES, KINDS, QUALIFIERS, RANKS, REVIEWABLE_FIELDS, STATUSES, Claim
from .conflicts import (
    GROUP_STATUSES, LEARNED_ORIGINS, RESOLUTION_DECISIONS, SUGGESTION_STATUSES, ConflictGroup, MatchSuggestion,
    MeasureEquivalence, Resolution,
)
from .documents import Document
from .guards import InvariantError
from .queue import Lease, Skip
from .reviews import Review
from .tokens import ApiToken
from .users import ROLES, LoginAttempt, User

__all__ = [
    "ApiToken", "AuditEvent", "Base", "CHANGES", "Claim", "ConflictGroup", "Document", "GROUP_STATUSES",
    "KINDS", "LEARNED_ORIGINS", "Lease", "MatchSuggestion", "MeasureEquivalence", "MAX_ROW_ID", "LoginAttempt", "QUALIFIERS", "RANKS", "RESOLUTION_DECISIONS", "REVIEWABLE_FIELDS",
    "InvariantError", "ROLES", "Resolution", "Review", "STATUSES", "SUGGESTION_STATUSES", "Skip", "UTCDateTime", "User",
    "row_id", "utcnow",
]
