"""Why a reviewer's request on conflicts cannot be carried out."""
from typing import Iterable


class ConflictError(ValueError):
    """A reviewer's request on a conflict group that cannot be carried out (message says why)."""


class StaleGroupError(ConflictError):
    """The group changed since the reviewer loaded it; `differences` are its claims' fields that moved."""

    def __init__(self, message: str, differences: Iterable = (), changes: Iterable = ()):
        super().__init__(message)
        self.differences = list(differences)
        self.changes = list(changes)


class NotInGroup(ConflictError):
    """A form named a claim that is not in the group its URL names."""

    def __init__(self, claim_id: int, group_id: int):
        super().__init__(f"Claim {claim_id} is not in group {group_id}.")


class AwaitsBlindReview(ConflictError):
    """The group holds a claim awaiting the user's blind second review: resolving it would judge the first review unseen."""

    def __init__(self, claim_id: int):
        super().__init__(f"Claim {claim_id} awaits your blind second review: give it before resolving this group.")
        self.claim_id = claim_id


class AlreadyResolved(ConflictError):
    """The very resolution form this user sent was recorded already (a double click, or sent again)."""

    def __init__(self, resolution_id: int):
        super().__init__("That resolution was already recorded.")
        self.resolution_id = resolution_id


class AlreadyAnswered(ConflictError):
    """The lead sent the answer they had already given to a suggestion (a double click, or sent again)."""

    def __init__(self):
        super().__init__("That answer was already recorded.")
