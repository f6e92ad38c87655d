"""Fixtures: one suite, two databases.

Tests that use a database run once on SQLite and, when TEST_DATABASE_URL is set, once more
on PostgreSQL. Each test runs inside a transaction that is rolled back (SQLAlchemy's "join a
Session into an external transaction" recipe); tests that need committed data or several
connections take `fresh_database`, a new empty database migrated to head.
"""
import os
import re
import uuid
from html.parser import HTMLParser
from pathlib import Path

import pytest
import sqlalchemy as sa
import sqlalchemy.orm as so
from hypothesis import settings

from flask.testing import FlaskClient

from claimtrack import accounts, schema
from claimtrack.database import make_engine
from claimtrack.jobs import InlineQueue
from webapp import create_app
from webapp.db import EXTENSION
from webapp.jobs import EXTENSION as JOBS

from . import factories

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
BACKENDS = ["sqlite"] + (["postgresql"] if TEST_DATABASE_URL else [])
PASSWORD = "correct horse battery"

# In CI the property tests replay the same examples every run, so a result never depends on luck;
# on developers' machines they keep exploring new ones.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

if os.environ.get("CI") and not TEST_DATABASE_URL:
    raise pytest.UsageError("CI must set TEST_DATABASE_URL: the suite runs on PostgreSQL too")


class Databases:
    """Creates and drops throwaway databases on one backend."""

    def __init__(self, backend: str, folder: Path):
        self.backend = backend
        self.folder = folder
        self.created: list[str] = []

    def create(self) -> str:
        """A new empty database's URL."""
        name = f"claimtrack_test_{uuid.uuid4().hex[:12]}"
        if self.backend == "sqlite":
            return f"sqlite:///{self.folder / (name + '.db')}"
        admin = make_engine(TEST_DATABASE_URL, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        self.created.append(name)
        return sa.make_url(TEST_DATABASE_URL).set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        """Drop every database this object created."""
        if not self.created:
            return
        admin = make_engine(TEST_DATABASE_URL, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
        with admin.connect() as connection:
            for name in self.created:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request) -> str:
    """The database backend this test runs on: sqlite or postgresql."""
    return request.param


@pytest.fixture(scope="session")
def databases(backend, tmp_path_factory):
    """Factory of throwaway databases on the current backend."""
    factory = Databases(backend, tmp_path_factory.mktemp(f"db-{backend}"))
    yield factory
    factory.drop_all()


@pytest.fixture(scope="session")
def database_url(databases) -> str:
    """The session's shared database, migrated to head (tests roll back their changes)."""
    url = databases.create()
    schema.upgrade(url)
    return url


@pytest.fixture(scope="session")
def engine(database_url):
    """Engine on the shared test database."""
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def connection(engine):
    """A connection in a transaction that is rolled back after the test."""
    with engine.connect() as connection:
        transaction = connection.begin()
        yield connection
        if transaction.is_active:
            transaction.rollback()


def _joined_sessionmaker(connection) -> so.sessionmaker:
    return so.sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)


@pytest.fixture
def db_session(connection):
    """A session inside the test's transaction; its commits become savepoints."""
    session = _joined_sessionmaker(connection)()
    factories.bind(session)
    yield session
    session.close()


@pytest.fixture
def fresh_database(databases) -> str:
    """A new database migrated to head, committed to for real (for CLI, concurrency, browsers)."""
    url = databases.create()
    schema.upgrade(url)
    return url


class BufferedClient(FlaskClient):
    """Reads each response body whole, as a browser does, so no streaming generator (CSV export)
    outlives its request and pops a later request's context when garbage-collected."""

    def open(self, *args, **kwargs):
        kwargs.setdefault("buffered", True)
        return super().open(*args, **kwargs)


@pytest.fixture
def app(database_url, connection, db_session, tmp_path):
    """The app, its request sessions joined to the test's transaction."""
    app = create_app({
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "DATABASE_URL": database_url,
        "INSTANCE_PATH": str(tmp_path / "instance"),
    })
    app.extensions[EXTENSION] = _joined_sessionmaker(connection)
    # Jobs run in the request that submits them, on its connection: a thread of their own would
    # open another and never see the test's uncommitted rows.
    app.extensions[JOBS] = InlineQueue(app.extensions[EXTENSION])
    app.test_client_class = BufferedClient
    return app


@pytest.fixture
def client(app):
    """A test client that keeps no request context between requests, like a browser.

    pytest-flask's `client` opens `with app.test_client()`, which keeps the last request's
    app context (and its `g`, with the logged-in user) pushed, so a second client would see
    the first one's user.
    """
    return app.test_client()


@pytest.fixture
def runner(app):
    """CLI runner on the app."""
    return app.test_cli_runner()


@pytest.fixture
def reviewer(db_session):
    """A reviewer account (password: PASSWORD)."""
    user = accounts.create_user(db_session, "rita", PASSWORD, "reviewer")
    db_session.commit()
    return user


@pytest.fixture
def lead(db_session):
    """A lead account (password: PASSWORD)."""
    user = accounts.create_user(db_session, "lena", PASSWORD, "lead")
    db_session.commit()
    return user


_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client, path: str = "/login") -> str:
    """The CSRF token from a form page, as a browser would read it."""
    html = client.get(path).get_data(as_text=True)
    match = _CSRF.search(html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


class Auth:
    """Logs a test client in and out through the real forms."""

    def __init__(self, client):
        self.client = client

    def login(self, username: str, password: str = PASSWORD):
        """Post the login form."""
        token = csrf_token(self.client, "/login")
        return self.client.post("/login", data={"username": username, "password": password, "csrf_token": token})

    def logout(self):
        """Post the logout form."""
        token = csrf_token(self.client, "/documents")
        return self.client.post("/logout", data={"csrf_token": token})


@pytest.fixture
def auth(client):
    """Log the test client in through the login form."""
    return Auth(client)


@pytest.fixture(autouse=True)
def _push_request_context():
    """Overrides pytest-flask's: each client request must get its own app context and `g`,
    as in production, or the request session and the logged-in user leak between requests."""


class _FormFields(HTMLParser):
    """The fields one form of a page submits: inputs, checked radios and boxes, selects, textareas."""

    def __init__(self, form_id: str):
        super().__init__()
        self.form_id, self.inside, self.fields = form_id, False, {}
        self._select = self._textarea = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form":
            self.inside = attributes.get("id") == self.form_id
        if not self.inside:
            return
        name = attributes.get("name")
        if tag == "input" and name and (attributes.get("type") not in ("radio", "checkbox") or "checked" in attributes):
            self.fields[name] = attributes.get("value") or ""
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and ("selected" in attributes or self._select not in self.fields):
            self.fields[self._select] = attributes.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.fields[name] = ""

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.fields[self._textarea] += data


def form_fields(html: str, form_id: str) -> dict[str, str]:
    """What the form with id `form_id` on the page submits as it stands, as a browser would send it."""
    parser = _FormFields(form_id)
    parser.feed(html)
    return parser.fields
