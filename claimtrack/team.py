"""Team settings a lead chooses for everyone: the queue's order and whether a verify needs evidence.

Stored in `team_settings`, one row per setting; a setting never written has its default.
"""
from datetime import datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from models import TeamSetting, User

from . import audit

# The orders the queue can serve (after open conflicts, which always come first).
QUEUE_ORDERS = {
    "worth": "most worth checking first (subject, measure and unit; specific, large figures)",
    "confidence": "lowest extraction confidence first",
    "document": "document order (each document from its start)",
}
DEFAULTS: dict[str, Any] = {"queue_order": "worth", "evidence_required": False}


# Each setting as a message names it.
LABELS = {"queue_order": "the queue order", "evidence_required": "whether a verification must record its evidence"}


class SettingError(ValueError):
    """A setting name or value that cannot be stored."""


class StaleSetting(SettingError):
    """A setting the lead changed was changed by someone else after their form was loaded."""

    def __init__(self, name: str, by: str | None):
        super().__init__(f"{by or 'Someone'} changed {LABELS[name]} since you opened this page, so nothing was "
                         "saved. Your choice is kept below: save again to apply it.")
        self.name = name


def get(session: so.Session, name: str) -> Any:
    """The setting's stored value, or its default."""
    if name not in DEFAULTS:
        raise SettingError(f"unknown setting {name!r}")
    value = session.scalar(sa.select(TeamSetting.value).where(TeamSetting.name == name))
    return DEFAULTS[name] if value is None else value


def queue_order(session: so.Session) -> str:
    """The order the queue serves claims in."""
    order = get(session, "queue_order")
    return order if order in QUEUE_ORDERS else DEFAULTS["queue_order"]


def evidence_required(session: so.Session) -> bool:
    """True if a verification must record what the claim was checked against."""
    return bool(get(session, "evidence_required"))


def _validate(name: str, value: Any) -> Any:
    if name == "queue_order":
        if value not in QUEUE_ORDERS:
            raise SettingError(f"The queue order must be one of {', '.join(QUEUE_ORDERS)}.")
        return value
    if name == "evidence_required":
        if not isinstance(value, bool):
            raise SettingError("Evidence required is yes or no.")
        return value
    raise SettingError(f"unknown setting {name!r}")


def change(session: so.Session, user: User, now: datetime, seen: dict[str, Any] | None = None,
           **values: Any) -> dict[str, Any]:
    """A lead sets team settings; returns {name: [before, after]} for those that changed (audited).

    With `seen` (the values the lead's form was loaded with), a setting left as seen is not
    written, so a form loaded before another lead's change never reverts it; a setting the lead
    changed that someone else changed since raises StaleSetting (the caller rolls back).
    """
    if not user.is_lead:
        raise PermissionError("Only a lead can change team settings.")
    checked = {name: _validate(name, value) for name, value in values.items()}
    if seen is not None:
        checked = {name: value for name, value in checked.items() if name not in seen or seen[name] != value}
    changed = {}
    for name, value in checked.items():
        row = session.get(TeamSetting, name, with_for_update=True)
        before = DEFAULTS[name] if row is None else row.value
        if seen is not None and name in seen and before != seen[name]:
            by = session.get(User, row.updated_by_id) if row is not None and row.updated_by_id else None
            raise StaleSetting(name, by.username if by is not None else None)
        if before == value:
            continue
        if row is None:
            try:
                with session.begin_nested():
                    session.add(TeamSetting(name=name, value=value, updated_by_id=user.id, updated_at=now))
                changed[name] = [before, value]
                continue
            except sa.exc.IntegrityError:
                # Another lead stored this setting first: theirs is overwritten, as a later save would.
                row = session.get(TeamSetting, name, with_for_update=True, populate_existing=True)
        row.value, row.updated_by_id, row.updated_at = value, user.id, now
        changed[name] = [before, value]
    if changed:
        audit.record(session, user, "settings", "team", None,
                     before={n: b for n, (b, _) in changed.items()}, after={n: a for n, (_, a) in changed.items()})
        session.flush()
    return changed
