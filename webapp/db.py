"""One plain SQLAlchemy session per request, closed (and rolled back if uncommitted) on teardown."""
import sqlalchemy.orm as so
from flask import Flask, current_app, g, has_request_context, request

from claimtrack.database import READS_ONLY, make_engine, make_sessionmaker

EXTENSION = "claimtrack.sessionmaker"

# Pages that only read (nothing before them writes either), and the export's stream (`read_only_session`): on SQLite they read beside a writer
# instead of queueing for its lock, so a long write (a large document being stored) delays
# no one's queue or documents page. Their transactions refuse writes.
READ_ONLY_ENDPOINTS = {"queue.dashboard", "documents.index", "documents.show", "claims.index", "export.index",
                       "jobs.index", "jobs.show", "jobs.status", "jobs.download"}


def init_app(app: Flask) -> None:
    """Create the engine and session factory for the app, and close sessions on teardown."""
    app.extensions[EXTENSION] = make_sessionmaker(make_engine(app.config["DATABASE_URL"]))
    app.teardown_appcontext(close_session)


def get_session() -> so.Session:
    """The current request's session, opened on first use."""
    if "db_session" not in g:
        factory = current_app.extensions[EXTENSION]
        reads_only = has_request_context() and request.method in ("GET", "HEAD") and request.endpoint in READ_ONLY_ENDPOINTS
        g.db_session = factory(execution_options={READS_ONLY: True}) if reads_only else factory()
    return g.db_session


def close_session(_exc: BaseException | None = None) -> None:
    """Close the request's session if one was opened."""
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


def end_transaction() -> None:
    """Commit the request's transaction so far, so that slow work after it holds no database lock.

    The session stays usable (objects are not expired on commit) and opens a new transaction
    on its next query.
    """
    if "db_session" in g:
        g.db_session.commit()


def read_only_session() -> so.Session:
    """A session of its own for work that outlives the request (a streamed export), reading beside writers."""
    return current_app.extensions[EXTENSION](execution_options={READS_ONLY: True})
