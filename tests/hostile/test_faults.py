"""Faults: ingest killed midway, the database dropping out under a request.

Each fault must leave no partial document and no orphan claim, and the next attempt must
finish the job exactly once.
"""
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from claimtrack import accounts, ingest, schema
from claimtrack.database import make_engine
from claimtrack.ingest import prepare
from claimtrack.sources import read_document
from models import Claim, Document, Job
from webapp import create_app
from webapp.db import EXTENSION

from ..conftest import PASSWORD, TEST_DATABASE_URL, Auth, Databases
from .conftest import pdf_bomb, unchanged, upload

SEEDS = Path(__file__).resolve().parents[2] / "seeds"

# Runs the real `claimtrack ingest` in a child process, in batches of three documents, SIGKILLing
# itself at the batch holding the KILL_AT-th document: before storing it ("between": the batch
# before is committed) or after its rows are flushed but before the commit ("inside").
KILLER = """
import os, signal, sys
import webapp.cli as cli
from claimtrack import ingest

at, mode, seen = int(os.environ["KILL_AT"]), os.environ["KILL_MODE"], 0
ingest.BATCH_DOCUMENTS = 3

def store_many(session, batch):
    global seen
    seen += len(batch)
    here = seen - len(batch) < at <= seen
    if here and mode == "between":
        os.kill(os.getpid(), signal.SIGKILL)
    results = ingest.store_many(session, batch)
    if here and mode == "inside":
        session.flush()
        os.kill(os.getpid(), signal.SIGKILL)
    return results

cli.store_many = store_many
sys.argv = ["claimtrack", *sys.argv[1:]]
cli.main()
"""


def _corpus(folder: Path, copies: int) -> dict[str, int]:
    """Write `copies` distinct documents built from the seeds; return {file name: claims}."""
    folder.mkdir()
    seeds = sorted(SEEDS.glob("*.txt"))
    expected = {}
    for number in range(copies):
        path = folder / f"report_{number:03d}.txt"
        text = seeds[number % len(seeds)].read_text(encoding="utf-8")
        path.write_text(f"{text}\n\nAnnex {number}: the province opened {number + 10} new routes in 2023.\n",
                        encoding="utf-8")
        expected[path.name] = len(prepare(read_document(path)).claims)
    return expected


def _environment(url: str, tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "fault-test-key",
            "CLAIMTRACK_INSTANCE_PATH": str(tmp_path / "instance")}


def _stored(url: str) -> dict[str, int]:
    """{file name: claims} of every stored document; fails if a file is stored twice."""
    engine = make_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(Document.file_name, sa.func.count(Claim.id))
            .outerjoin(Claim, Claim.document_id == Document.id)
            .group_by(Document.id, Document.file_name)
        ).all()
        orphans = connection.scalar(
            sa.select(sa.func.count()).select_from(Claim).where(~Claim.document_id.in_(sa.select(Document.id)))
        )
    engine.dispose()
    names = [name for name, _ in rows]
    assert len(names) == len(set(names)), f"documents stored twice: {names}"
    assert orphans == 0
    return dict(rows)


def _rerun_finishes(url: str, tmp_path: Path, corpus: Path, expected: dict[str, int]) -> str:
    done = subprocess.run(
        [sys.executable, "-c", "from webapp.cli import main; main()", "ingest", str(corpus)],
        env=_environment(url, tmp_path), capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert _stored(url) == expected
    return done.stdout


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["between", "inside"])
def test_fault_ingest_sigkilled_leaves_whole_documents_and_rerun_finishes(fresh_database, tmp_path, mode):
    expected = _corpus(tmp_path / "corpus", 6)
    killed = subprocess.run(
        [sys.executable, "-c", KILLER, "ingest", str(tmp_path / "corpus")],
        env={**_environment(fresh_database, tmp_path), "KILL_AT": "4", "KILL_MODE": mode},
        capture_output=True, text=True, timeout=300,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    stored = _stored(fresh_database)
    assert stored == {name: expected[name] for name in sorted(expected)[:3]}
    output = _rerun_finishes(fresh_database, tmp_path, tmp_path / "corpus", expected)
    assert "3 added, 3 already stored, 0 refused" in output



# Runs the real `claimtrack ingest` in batches of three, sending itself a Ctrl-C while its first
# batch is being stored.
INTERRUPTER = """
import os, signal, sys
import webapp.cli as cli
from claimtrack import ingest

ingest.BATCH_DOCUMENTS = 3

def store_many(session, batch):
    results = ingest.store_many(session, batch)
    os.kill(os.getpid(), signal.SIGINT)
    return results

cli.store_many = store_many
sys.argv = ["claimtrack", *sys.argv[1:]]
cli.main()
"""


def test_fault_ctrl_c_while_a_batch_is_stored_reports_that_batch_stored(fresh_database, tmp_path):
    _corpus(tmp_path / "corpus", 5)
    done = subprocess.run([sys.executable, "-c", INTERRUPTER, "ingest", str(tmp_path / "corpus")],
                          env=_environment(fresh_database, tmp_path), capture_output=True, text=True, timeout=300)
    assert done.returncode == 130, done.stderr
    stored = sorted(_stored(fresh_database))
    assert len(stored) == 3
    assert [line.split()[1].rsplit("/", 1)[-1].rstrip(":") for line in done.stdout.splitlines()
            if line.startswith("added")] == stored
    assert "interrupted: 3 added, 0 already stored, 0 refused" in done.stderr

@pytest.mark.slow
def test_fault_ingest_sigkilled_at_a_random_moment(fresh_database, tmp_path):
    expected = _corpus(tmp_path / "corpus", 30)
    process = subprocess.Popen(
        [sys.executable, "-c", "from webapp.cli import main; main()", "ingest", str(tmp_path / "corpus")],
        env=_environment(fresh_database, tmp_path), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    engine = make_engine(fresh_database, poolclass=sa.pool.NullPool)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        with engine.connect() as connection:
            if connection.scalar(sa.select(sa.func.count()).select_from(Document)) >= 2:
                break
        time.sleep(0.01)
    engine.dispose()
    process.send_signal(signal.SIGKILL)
    assert process.wait(timeout=30) == -signal.SIGKILL, "ingest ended before it could be killed"
    stored = _stored(fresh_database)
    assert 2 <= len(stored) < len(expected)
    assert all(stored[name] == expected[name] for name in stored), "a document lost some of its claims"
    _rerun_finishes(fresh_database, tmp_path, tmp_path / "corpus", expected)


def _processes_marked(mark: str) -> list[int]:
    """Pids of the live processes whose environment carries `mark` (every descendant of a run inherits it)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            environment = (entry / "environ").read_bytes().split(b"\0") if entry.name.isdigit() else []
        except OSError:
            continue
        if f"INGEST_RUN_MARK={mark}".encode() in environment:
            found.append(int(entry.name))
    return found


# (worker processes, who gets the SIGINT): a terminal's Ctrl-C reaches the whole process group,
# `kill -INT` only the command.
INTERRUPTS = [(4, "group"), (4, "command"), (4, "group"), (4, "command"), (4, "group"), (4, "command"), (1, "group")]


@pytest.mark.slow
def test_fault_ingest_interrupted_stops_its_workers_and_keeps_whole_documents(fresh_database, tmp_path):
    corpus = tmp_path / "corpus"
    expected = _corpus(corpus, 40)
    for number in range(2):
        # Refused at the time limit below, after a PDF reader process has run for a while.
        (corpus / f"scan_{number}.pdf").write_bytes(pdf_bomb(4_000_000 + number))
    interrupted = 0
    for jobs, target in INTERRUPTS:
        mark = uuid.uuid4().hex
        process = subprocess.Popen(
            [sys.executable, "-c", "from webapp.cli import main; main()", "ingest", "--jobs", str(jobs), str(corpus)],
            env={**_environment(fresh_database, tmp_path), "INGEST_RUN_MARK": mark, "CLAIMTRACK_MAX_PDF_SECONDS": "2"},
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
        )
        first = process.stdout.readline()  # the first document is stored (or found stored): the run is under way
        assert first.startswith(("added", "unchanged")), first + process.stderr.read()
        time.sleep(random.uniform(0, 1.5))
        if target == "group":
            os.killpg(process.pid, signal.SIGINT)
        else:
            process.send_signal(signal.SIGINT)
        try:
            _rest, err = process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            pytest.fail(f"ingest --jobs {jobs} did not stop within 10 s of SIGINT to the {target}")
        deadline = time.monotonic() + 3
        while _processes_marked(mark) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _processes_marked(mark) == [], f"processes left behind by ingest --jobs {jobs}"
        if process.returncode == 130:
            interrupted += 1
            assert "interrupted: " in err and "Traceback" not in err, err
        else:
            assert process.returncode == 1, err  # it had finished: the PDFs were refused
        stored = _stored(fresh_database)
        assert all(stored[name] == expected[name] for name in stored), "a document lost some of its claims"
    assert interrupted >= len(INTERRUPTS) // 2, "most runs ended before the interrupt: make the corpus larger"
    for scan in corpus.glob("*.pdf"):
        scan.unlink()
    _rerun_finishes(fresh_database, tmp_path, corpus, expected)


def test_fault_store_failing_before_commit_writes_nothing(runner, connection, tmp_path, monkeypatch):
    corpus = tmp_path / "corpus"
    _corpus(corpus, 3)

    def crash(session, documents):
        if any(document.file_name == "report_001.txt" for document in documents):
            raise RuntimeError("power cut")

    monkeypatch.setattr(ingest, "AFTER_STORE", [crash])
    result = runner.invoke(args=["ingest", str(corpus / "report_001.txt")])
    assert isinstance(result.exception, RuntimeError)
    assert connection.scalar(sa.select(sa.func.count()).select_from(Document)) == 0
    assert connection.scalar(sa.select(sa.func.count()).select_from(Claim)) == 0


# --- The database drops out under a request ---------------------------------------------------

FRIENDLY = "Nothing you submitted was saved"


def _live_app(url: str, tmp_path: Path):
    """The real app on a committed database with a reviewer, errors rendered as users see them."""
    engine = make_engine(url)
    with sa.orm.Session(engine) as session:
        accounts.create_user(session, "rita", PASSWORD, "reviewer")
        session.commit()
    engine.dispose()
    return create_app({
        "SECRET_KEY": "test-secret", "DATABASE_URL": url,
        "INSTANCE_PATH": str(tmp_path / "instance"), "PROPAGATE_EXCEPTIONS": False,
    })


@pytest.fixture
def live_app(fresh_database, tmp_path):
    """The real app on a fresh database of the current backend."""
    app = _live_app(fresh_database, tmp_path)
    yield app
    app.extensions[EXTENSION].kw["bind"].dispose()


@pytest.fixture
def postgres_url(tmp_path):
    """A fresh PostgreSQL database, whatever the backend parameter."""
    if not TEST_DATABASE_URL:
        pytest.skip("needs TEST_DATABASE_URL")
    databases = Databases("postgresql", tmp_path)
    url = databases.create()
    schema.upgrade(url)
    yield url
    databases.drop_all()


class Outage:
    """Makes the app's next matching statement fail as a dropped connection would."""

    def __init__(self, app, backend: str):
        self.engine = app.extensions[EXTENSION].kw["bind"]
        self.backend = backend
        self.armed: str | None = None
        self.fired = 0
        sa.event.listen(self.engine, "before_cursor_execute", self._before)

    def arm(self, statement_prefix: str = "") -> None:
        """Drop the connection under the next statement starting with `statement_prefix`."""
        self.armed = statement_prefix

    def _before(self, connection, _cursor, statement, *_args):
        if self.armed is None or not statement.lstrip().upper().startswith(self.armed):
            return
        self.armed = None
        self.fired += 1
        if self.backend == "sqlite":
            raise sqlite3.OperationalError("disk I/O error")
        terminate(connection.connection.dbapi_connection.info.backend_pid)


def terminate(pid: int | None = None, database: str | None = None) -> None:
    """pg_terminate_backend one test connection, or every other connection to a test database."""
    admin = make_engine(TEST_DATABASE_URL, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin.connect() as connection:
        if pid is not None:
            connection.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        else:
            assert database and database.startswith("claimtrack_test_")
            connection.execute(
                sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = :name AND pid <> pg_backend_pid()"),
                {"name": database},
            )
    admin.dispose()


def test_fault_database_drops_mid_request_then_recovers(live_app, backend):
    client = live_app.test_client()
    assert Auth(client).login("rita").status_code == 302
    outage = Outage(live_app, backend)
    outage.arm("SELECT")
    response = client.get("/documents")
    assert outage.fired == 1
    assert response.status_code == 503
    assert FRIENDLY in response.get_data(as_text=True)
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "no-store"
    again = client.get("/documents")
    assert again.status_code == 200 and "Documents" in again.get_data(as_text=True)


def test_fault_database_drops_during_upload_stores_it_once(live_app, backend, fresh_database):
    client = live_app.test_client()
    Auth(client).login("rita")
    outage = Outage(live_app, backend)
    text = b"In 2023, Gansu had 66 international sister cities."
    outage.arm("INSERT INTO DOCUMENTS")
    # The upload's job meets the dropped connection, rolls back, and stores the document on its next attempt.
    response = upload(client, text, "cities.txt")
    assert outage.fired == 1
    assert "cities.txt added with 1 claim" in response.get_data(as_text=True)
    engine = make_engine(fresh_database, poolclass=sa.pool.NullPool)
    with engine.connect() as connection:
        assert connection.execute(sa.select(Job.state, Job.attempts, Job.payload)).all() == [("done", 1, None)]
    twice = upload(client, text, "cities.txt")
    assert "already stored" in twice.get_data(as_text=True)
    assert _stored(fresh_database) == {"cities.txt": 1}
    engine.dispose()


@pytest.mark.postgres
def test_fault_postgres_connections_killed_between_requests(postgres_url, tmp_path):
    app = _live_app(postgres_url, tmp_path)
    client = app.test_client()
    Auth(client).login("rita")
    assert client.get("/documents").status_code == 200
    terminate(database=sa.make_url(postgres_url).database)
    with unchanged(make_engine(postgres_url, poolclass=sa.pool.NullPool)):
        response = client.get("/documents")
    assert response.status_code == 200, "pool_pre_ping should have replaced the dead connection"
    app.extensions[EXTENSION].kw["bind"].dispose()


def test_fault_database_down_for_good_still_renders_error_page(live_app, backend):
    client = live_app.test_client()
    Auth(client).login("rita")
    engine = live_app.extensions[EXTENSION].kw["bind"]

    def always_fail(*_args):
        raise engine.dialect.loaded_dbapi.OperationalError("unable to open database file")

    sa.event.listen(engine, "before_cursor_execute", always_fail)
    engine.dispose()
    response = client.get("/documents")
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert FRIENDLY in page and "OperationalError" not in page and "unable to open" not in page
    assert response.headers["X-Content-Type-Options"] == "nosniff"
