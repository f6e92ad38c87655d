"""Background jobs: what was asked (ingest a document, rebuild conflict groups, export), how far it got, how it ended.

The row is the job's record for people (`/jobs`, `claimtrack jobs`); the queue (Redis or a thread
in the app) only carries its id, so every worker on every machine reads the same state.
"""
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from .base import Base, utcnow
from .users import User

JOB_KINDS = ("ingest", "conflicts", "export")
# In the order a job passes them; the last three are final.
JOB_STATES = ("queued", "reading", "extracting", "checking", "writing", "done", "refused", "failed")
ACTIVE_STATES = ("reading", "extracting", "checking", "writing")
FINAL_STATES = ("done", "refused", "failed")


class Job(Base):
    """One background job and its progress; an ingest job holds the document's bytes until it ends."""

    __tablename__ = "jobs"
    __table_args__ = (
        sa.CheckConstraint(sa.column("kind").in_(JOB_KINDS), name="kind"),
        sa.CheckConstraint(sa.column("state").in_(JOB_STATES), name="state"),
        sa.Index("ix_jobs_created_by_id", "created_by_id", "id"),
        sa.Index("ix_jobs_state", "state", "id"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(20))
    state: so.Mapped[str] = so.mapped_column(sa.String(20), default="queued")
    # The uploaded file's name, or what else the job is about, as shown to people.
    file_name: so.Mapped[str] = so.mapped_column(sa.String(500), default="")
    # What the job needs besides the bytes: the document's title, author, publisher, source, date.
    params: so.Mapped[dict] = so.mapped_column(sa.JSON, default=dict)
    # Kept in the database, not on a disk, so a worker on any machine can read it: an upload's
    # bytes (cleared when the job ends) or an export's result (gzip-compressed CSV).
    payload: so.Mapped[bytes | None] = so.mapped_column(sa.LargeBinary)
    document_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("documents.id", ondelete="SET NULL"))
    # One line: what was stored, or why the job was refused or failed.
    outcome: so.Mapped[str] = so.mapped_column(sa.String(500), default="")
    attempts: so.Mapped[int] = so.mapped_column(default=0)
    # The process that ran the latest attempt: host and process id.
    worker: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    created_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    started_at: so.Mapped[datetime | None]
    finished_at: so.Mapped[datetime | None]
    # Touched at every step: a job in a running state whose row stopped changing lost its worker.
    updated_at: so.Mapped[datetime] = so.mapped_column(default=utcnow, onupdate=utcnow)

    created_by: so.Mapped[User | None] = so.relationship()

    @property
    def finished(self) -> bool:
        """Done, refused or failed: nothing more will happen to it."""
        return self.state in FINAL_STATES

    def __repr__(self) -> str:
        return f"<Job {self.id} {self.kind} {self.state}>"
