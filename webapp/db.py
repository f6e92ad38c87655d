"""One plain SQLAlchemy session per request, closed (and rolled back if uncommitted) on teardown."""
import functools
import logging
import random
import time

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import Flask, current_app, g, has_request_context, request

from claimtrack.database import READS_ONLY, make_engine, make_sessionmaker

EXTENSION = "claimtrack.sessionmaker"
log = logging.getLogger(__name__)

# Pages that only read (nothing before them writes either), and the export's stream (`read_only_session`): on SQLite they read beside a writer
# instead of queueing for its lock, so a long write (a large document being stored) delays
# no one's queue or documents page. Their transactions refuse writes.
READ_ONLY_ENDPOINTS = {"queue.dashboard", "documents.index", "documents.show", "claims.index", "export.index",
                       "jobs.index", "jobs.show", "jobs.status", "jobs.download"}

# SQLSTATEs of a transaction PostgreSQL rolled back so that a concurrent one could go on: a
# deadlock's victim (40P01) and a serialisation failure (40001). Run again, it sees the other
# transaction committed and either succeeds or is refused for what that one changed.
TRANSIENT_SQLSTATES = frozenset({"40P01", "40001"})
TRANSIENT_ATTEMPTS = 4


def is_transient(error: BaseException) -> bool:
    """True if `error` is PostgreSQL aborting the transaction in favour of a concurrent one."""
    return getattr(getattr(error, "orig", None), "sqlstate", None) in TRANSIENT_SQLSTATES


def retry_transient(view):
    """Run a writing view again, from a fresh transaction, when the database aborted its transaction
    as a deadlock's victim or a serialisation failure, up to TRANSIENT_ATTEMPTS times in all.

    Two reviewers' decisions in one conflict group each hold their own claim and then write the
    other's (the group's placement): PostgreSQL breaks that cycle by aborting one, whose decision
    is then still to be made. Only for views whose every effect is in the request's transaction
    (messages are flashed after the commit), so a run that was rolled back left nothing behind.
    After the last attempt the error goes to the "database unavailable" answer (nothing saved).
    """

    @functools.wraps(view)
    def retried(*args, **kwargs):
        for attempt in range(1, TRANSIENT_ATTEMPTS + 1):
            try:
                return view(*args, **kwargs)
            except sa.exc.DBAPIError as exc:
                if attempt == TRANSIENT_ATTEMPTS or not is_transient(exc):
                    raise
                get_session().rollback()
                # A short random pause, so two victims of one another do not meet again at once.
                time.sleep(random.uniform(0, 0.02 * attempt))
        raise AssertionError("unreachable")

    return retried


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
        g.db_reads_only = reads_only
    return g.db_session


def close_session(exc: BaseException | None = None) -> None:
    """Close the request's session if one was opened (rolling back what it did not commit).

    A page that only reads ends its transaction with COMMIT: the transaction refuses writes, so
    that changes nothing, and a ROLLBACK would make psycopg forget the statements it prepared on
    the connection (it clears them on every rollback), which every later request would then plan
    anew in PostgreSQL.
    """
    session = g.pop("db_session", None)
    reads_only = g.pop("db_reads_only", False)
    if session is None:
        return
    try:
        if reads_only and exc is None and session.in_transaction():
            session.commit()
    except sa.exc.SQLAlchemyError:  # a broken connection, or a failed flush the view caught
        log.debug("ending a read-only transaction failed; rolled back instead", exc_info=True)
    finally:
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
