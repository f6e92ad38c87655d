"""What every file import reports of a row it refuses: claims (`importing`) and reference figures (`references`)."""
from dataclasses import dataclass


class RowProblem(ValueError):
    """A row that cannot be imported; str() says why."""


@dataclass(frozen=True)
class RowError:
    """One row refused: its line in the file (its first line, for a CSV record over several) and why."""

    line: int
    reason: str
