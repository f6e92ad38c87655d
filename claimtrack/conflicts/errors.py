"""Why a reviewer's request on conflicts cannot be carried out."""


class ConflictError(ValueError):
    """A reviewer's request on a conflict group that cannot be carried out (message says why)."""


class StaleGroupError(ConflictError):
    """The group changed since the reviewer loaded it."""
