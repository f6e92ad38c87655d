"""Writing the audit trail."""
from typing import Any

import sqlalchemy.orm as so

from models import AuditEvent, User


def record(
    session: so.Session,
    actor: User | None,
    verb: str,
    object_type: str,
    object_id: int | None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    batch_id: str | None = None,
) -> AuditEvent:
    """Append one audit event to the session (the caller commits)."""
    event = AuditEvent(
        actor_id=actor.id if actor is not None else None,
        verb=verb,
        object_type=object_type,
        object_id=object_id,
        before=before,
        after=after,
        batch_id=batch_id,
    )
    session.add(event)
    return event
