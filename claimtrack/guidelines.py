"""The team's reviewing guidelines: Markdown written by a lead, versioned, rendered safely.

Every save is a new version (1, 2, 3 ...); old versions stay readable and each review records
the version in force when it was made. They are rendered by `safe_markdown.render`, so they
can hold no script or unsafe link.
"""
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from models import Guidelines, User

from . import audit
from .safe_markdown import render

BODY_MAX = 100_000
NOTE_MAX = 500


class GuidelinesError(ValueError):
    """A refused save; str() says why and `status` is the HTTP status that fits."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def current_version(session: so.Session) -> int | None:
    """The number of the guidelines in force (None before a lead wrote any)."""
    return session.scalar(sa.select(sa.func.max(Guidelines.version)))


def current(session: so.Session) -> Guidelines | None:
    """The guidelines in force."""
    return session.scalar(sa.select(Guidelines).order_by(Guidelines.version.desc()).limit(1))


def version(session: so.Session, number: int) -> Guidelines | None:
    """One version of the guidelines."""
    return session.get(Guidelines, number)


def versions(session: so.Session) -> list[Guidelines]:
    """Every version, newest first, with who wrote it."""
    return list(session.scalars(
        sa.select(Guidelines).options(so.joinedload(Guidelines.created_by)).order_by(Guidelines.version.desc())
    ))


def save(session: so.Session, user: User, body: str, *, based_on: int | None, now: datetime,
         note: str = "") -> Guidelines:
    """A lead saves a new version; refused if another version was saved since the one `based_on`.

    The version number is the primary key, so two leads saving at the same moment cannot both
    become the same version: the second gets the "saved since" refusal, with their text kept by the caller.
    """
    if not user.is_lead:
        raise GuidelinesError("Only a lead can write the guidelines.", 403)
    body = (body or "").replace("\r\n", "\n").strip()
    note = (note or "").strip()
    if not body:
        raise GuidelinesError("The guidelines cannot be empty.")
    if len(body) > BODY_MAX:
        raise GuidelinesError(f"The guidelines must be at most {BODY_MAX:,} characters.")
    if len(note) > NOTE_MAX:
        raise GuidelinesError(f"The note must be at most {NOTE_MAX} characters.")
    latest = current_version(session)
    if latest != based_on:
        raise GuidelinesError(
            f"Version {latest} was saved since you opened version {based_on or 'none'}; nothing was saved. "
            "Your text is kept below: compare it with the new version, then save again.", 409)
    entry = Guidelines(version=(latest or 0) + 1, body=body, note=note, created_by_id=user.id, created_at=now)
    try:
        with session.begin_nested():
            session.add(entry)
    except sa.exc.IntegrityError:
        raise GuidelinesError(
            "Another lead saved a version at the same moment; nothing was saved. "
            "Your text is kept below: compare it with the new version, then save again.", 409) from None
    audit.record(session, user, "guidelines", "guidelines", entry.version, after={"version": entry.version})
    session.flush()
    return entry
