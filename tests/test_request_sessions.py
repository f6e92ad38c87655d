"""How a request's session ends: a page that only reads commits its read-only transaction (so the
connection keeps the statements psycopg prepared on it), and any other request rolls back what it
did not commit."""
import contextlib

import pytest
import sqlalchemy as sa

from models import Document
from webapp import create_app
from webapp.db import get_session

REPEATED = "SELECT count(*) FROM documents WHERE id > :floor"


@pytest.fixture
def app(fresh_database, tmp_path):
    """An app on a database of its own: its request sessions commit and roll back for real."""
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": fresh_database,
                      "INSTANCE_PATH": str(tmp_path / "instance")})
    yield app
    app.extensions["claimtrack.sessionmaker"].kw["bind"].dispose()


def _document(sha: str) -> Document:
    return Document(sha256=sha * 64, file_name=f"{sha}.txt", title=sha, text="A 1.", char_count=4,
                    media_type="text/plain", extractor_version="x")


def _documents() -> int:
    return get_session().scalar(sa.select(sa.func.count()).select_from(Document))


def _prepared(session) -> int:
    return session.execute(sa.text("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE "
                                   "'SELECT count(*) FROM documents WHERE id > %'")).scalar()


def test_a_read_only_page_keeps_the_connections_prepared_statements(app, backend):
    if backend != "postgresql":
        pytest.skip("psycopg's prepared statements are PostgreSQL's")
    with app.test_request_context("/jobs/status"):
        session = get_session()
        for floor in range(6):  # psycopg prepares a statement the fifth time a connection runs it
            session.execute(sa.text(REPEATED), {"floor": floor})
        assert _prepared(session) == 1
        backend_pid = session.execute(sa.text("SELECT pg_backend_pid()")).scalar()
    with app.test_request_context("/jobs/status"):
        session = get_session()
        assert session.execute(sa.text("SELECT pg_backend_pid()")).scalar() == backend_pid
        assert _prepared(session) == 1
    # A request that may write ends with a rollback when it did not commit, and psycopg then forgets them.
    with app.test_request_context("/claims/1", method="POST"):
        get_session().execute(sa.text("SELECT 1"))
    with app.test_request_context("/jobs/status"):
        assert _prepared(get_session()) == 0


def test_a_request_that_did_not_commit_leaves_nothing_written(app):
    with app.test_request_context("/documents/new", method="POST"):
        session = get_session()
        session.add(_document("0"))
        session.flush()
    with app.test_request_context("/documents"):
        assert _documents() == 0


@pytest.mark.parametrize("caught", [False, True], ids=["the-error-ends-the-page", "the-page-catches-it"])
def test_a_read_only_page_cannot_write_and_still_ends_cleanly(app, caught):
    # A refused write leaves the session needing a rollback: the COMMIT at its end cannot run.
    refused = pytest.raises(sa.exc.DBAPIError)
    with contextlib.nullcontext() if caught else refused, app.test_request_context("/documents"):
        session = get_session()
        session.add(_document("1"))
        with refused if caught else contextlib.nullcontext():
            session.flush()
    with app.test_request_context("/documents"):
        assert _documents() == 0
