"""Browser test harness: a real Claimtrack server and headless Chromium driven by Playwright.

`server` runs the app with werkzeug on a random 127.0.0.1 port over a `fresh_database` with the
seeds ingested and two accounts (REVIEWER and LEAD, password PASSWORD). `browser` is Debian's
Chromium (`/usr/bin/chromium`); without it the tests fail under CI and are skipped elsewhere.
`page` is a new browser context per test whose JavaScript dialogs are recorded in
`page.dialogs` (and dismissed), so a test can assert that untrusted text never ran as script.
Reuse: `from tests.browser.conftest import login` and take the `server` and `page` fixtures.
"""
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from claimtrack import accounts
from claimtrack.database import make_engine, make_sessionmaker
from claimtrack.ingest import ingest
from claimtrack.sources import find_documents, read_document
from webapp import create_app

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SEEDS = Path(__file__).resolve().parents[2] / "seeds"
PASSWORD = "correct horse battery"
REVIEWER, SECOND_REVIEWER, LEAD = "rita", "otto", "lena"


def pytest_collection_modifyitems(items):
    """Every test in this folder is a browser test."""
    for item in items:
        if "/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@dataclass
class Server:
    """A running Claimtrack: its base URL and a way to reach its database directly."""

    url: str
    database_url: str
    sessionmaker: object = field(repr=False)

    def session(self):
        """A new database session on the server's database (commit to make rows visible to it)."""
        return self.sessionmaker()


def _fill(database_url: str) -> object:
    """Ingest the seeds and create the test accounts; return a session factory."""
    sessionmaker = make_sessionmaker(make_engine(database_url))
    with sessionmaker() as session:
        for found in find_documents([SEEDS]):
            ingest(session, read_document(found.path))
        accounts.create_user(session, REVIEWER, PASSWORD, "reviewer")
        accounts.create_user(session, SECOND_REVIEWER, PASSWORD, "reviewer")
        accounts.create_user(session, LEAD, PASSWORD, "lead")
        session.commit()
    return sessionmaker


@pytest.fixture
def server(fresh_database, tmp_path):
    """A real server (werkzeug, threaded) on a random port over a fresh, seeded database."""
    yield from serve(fresh_database, tmp_path)


def serve(database_url: str, tmp_path: Path, **config):
    """Run the app (with `config` over the test settings) on a seeded database; yield its Server, then stop it."""
    sessionmaker = _fill(database_url)
    app = create_app({
        "SECRET_KEY": "browser-test-secret",
        "DATABASE_URL": database_url,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        **config,
    })
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield Server(f"http://127.0.0.1:{httpd.server_port}", database_url, sessionmaker)
    finally:
        httpd.shutdown()
        thread.join(10)
        sessionmaker.kw["bind"].dispose()


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium through Playwright (fails in CI when missing, else skips)."""
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium")
        pytest.skip("apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    """A fresh page in its own context; `page.dialogs` collects any alert/confirm/prompt messages."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.dialogs = []

    def on_dialog(dialog):
        page.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    yield page
    context.close()


def login(page, server: Server, username: str, password: str = PASSWORD) -> None:
    """Log in through the login form."""
    page.goto(f"{server.url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)


def logout(page) -> None:
    """Log out with the button in the top bar."""
    page.click("text=Log out")
    page.wait_for_url("**/login")
