"""The Claimtrack schema: one Base, one module per aggregate, all re-exported here."""
from .audit import AuditEvent
from .base import MAX_ROW_ID, Base, UTCDateTime, row_id, utcnow
from .claims import CHANGES, KINDS, QUALIFIERS, RANKS, REVIEWABLE_FIELDS, STATUSES, Claim
from .conflicts import GROUP_STATUSES, RESOLUTION_DECISIONS, ConflictGroup, Resolution
from .documents import Document
from .guards import InvariantError
from .queue import Lease, Skip
from .reviews import Review
from .users import ROLES, LoginAttempt, User

__all__ = [
    "AuditEvent", "Base", "CHANGES", "Claim", "ConflictGroup", "Document", "GROUP_STATUSES",
    "KINDS", "Lease", "MAX_ROW_ID", "LoginAttempt", "QUALIFIERS", "RANKS", "RESOLUTION_DECISIONS", "REVIEWABLE_FIELDS",
    "InvariantError", "ROLES", "Resolution", "Review", "STATUSES", "Skip", "UTCDateTime", "User",
    "row_id", "utcnow",
]
