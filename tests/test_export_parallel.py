"""A CSV export read over several PostgreSQL connections (`parallel_copy`) is the one-connection export:
the same bytes, one snapshot whatever is committed meanwhile, and a failure or a reader leaving stops it."""
import os
import subprocess
import sys
import threading
import time
from hashlib import sha256
from pathlib import Path

import pytest
import sqlalchemy as sa

from bench.generate import generate
from claimtrack import export, parallel_copy
from claimtrack.database import make_engine, make_sessionmaker
from claimtrack.export import CsvExport, export_filter
from models import STATUSES, Claim

SCRIPT = Path(sys.executable).parent / "claimtrack"
EVERY_STATUS = {"status": STATUSES}


@pytest.fixture
def corpus(fresh_database):
    """A committed database of 700 generated claims (reviews, notes, conflicts, resolutions), and a session factory."""
    generate(fresh_database, claims=700, seed=4)
    engine = make_engine(fresh_database)
    yield engine, make_sessionmaker(engine)
    engine.dispose()


@pytest.fixture
def sliced(corpus, monkeypatch):
    """The corpus on PostgreSQL, exported in slices of 50 ids: fourteen of them."""
    _postgresql_only(corpus[0])
    monkeypatch.setattr(export, "SLICE_CLAIMS", 50)
    return corpus


def _csv(factory, connections: int, page_size: int = export.PAGE_SIZE, **filters) -> tuple[bytes, int, str | None]:
    with factory() as session:
        run = CsvExport(session, export_filter(**filters), page_size=page_size, connections=connections)
        return b"".join(run.encoded()), run.rows, run.failure


def _postgresql_only(engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite exports on one connection: its transactions take the write lock")


def _under_way(session):
    """An export over three connections, its header and first page read: every connection has begun its slices."""
    chunks = CsvExport(session, export_filter(**EVERY_STATUS), page_size=5, connections=3).encoded()
    next(chunks), next(chunks)
    return chunks


def _copies_running(engine) -> int:
    """COPY statements of this database still running on the server, other than this query's."""
    with engine.connect() as connection:
        return connection.scalar(sa.text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND state = 'active' AND query LIKE 'COPY (%'"))


@pytest.mark.parametrize("filters", [EVERY_STATUS, {}, {**EVERY_STATUS, "conflicts": "all"},
                                     {**EVERY_STATUS, "q": "exports"}, {"status": ("pending",), "kind": "fact"}])
def test_export_over_several_connections_writes_the_one_connection_bytes(corpus, monkeypatch, filters):
    _engine, factory = corpus
    one, rows, failure = _csv(factory, 1, **filters)
    assert failure is None and rows > 0 and one.count(b"\r\n") == rows + 1
    # Slices far smaller than the corpus, and pages smaller than a slice: many of both, and pages cut mid-slice.
    monkeypatch.setattr(export, "SLICE_CLAIMS", 37)
    for connections, page_size in ((2, 11), (3, 5000), (4, 1)):
        assert _csv(factory, connections, page_size, **filters) == (one, rows, None)


def test_export_over_several_connections_cuts_the_id_range_into_slices(corpus, monkeypatch):
    engine, factory = corpus
    _postgresql_only(engine)
    monkeypatch.setattr(export, "SLICE_CLAIMS", 100)
    seen = []
    real = parallel_copy._copy_slices
    monkeypatch.setattr(parallel_copy, "_copy_slices",
                        lambda connection, slices, *args: seen.extend(b for b, _ in slices) or real(connection, slices, *args))
    _csv(factory, 2, **EVERY_STATUS)
    assert sorted(seen) == [(1 + 100 * n, min(701, 101 + 100 * n)) for n in range(7)]
    assert len(seen) == 7


def test_export_over_several_connections_slices_the_ids_there_are_not_the_span(corpus, monkeypatch):
    engine, factory = corpus
    _postgresql_only(engine)
    claims = Claim.__table__
    with engine.begin() as connection:
        # A claim far beyond the others (ids left unused by failed or retried writes, a merge's setval).
        row = connection.execute(sa.select(claims).where(claims.c.id == 5)).mappings().one()
        connection.execute(sa.insert(claims).values({**row, "id": 20_000_000, "subject": "Far away"}))
    monkeypatch.setattr(export, "SLICE_CLAIMS", 100)
    seen = []
    real = parallel_copy._copy_slices
    monkeypatch.setattr(parallel_copy, "_copy_slices",
                        lambda connection, slices, *args: seen.extend(b for b, _ in slices) or real(connection, slices, *args))
    one = _csv(factory, 1, **EVERY_STATUS)
    assert _csv(factory, 2, page_size=13, **EVERY_STATUS) == one and b"Far away" in one[0]
    # 701 claims: seven slices of 100 ids that exist, the seventh ending where the far claim's begins.
    assert sorted(seen) == [*((1 + 100 * n, 101 + 100 * n) for n in range(6)), (601, 20_000_000),
                            (20_000_000, 20_000_001)]


def test_export_over_several_connections_reads_one_snapshot(corpus, monkeypatch):
    engine, factory = corpus
    _postgresql_only(engine)
    monkeypatch.setattr(export, "SLICE_CLAIMS", 50)
    before, rows, _ = _csv(factory, 1, **EVERY_STATUS)
    real = parallel_copy._slices

    def then_a_writer_commits(connection, *args):
        found = real(connection, *args)
        # Once the snapshot is taken, and before the second connection is even opened, a writer
        # changes the last claim's subject and takes the third claim out of the export.
        with engine.begin() as connection:
            last = connection.scalar(sa.select(sa.func.max(Claim.id)))
            connection.execute(sa.update(Claim).where(Claim.id == last).values(subject="Changed meanwhile"))
            connection.execute(sa.update(Claim).where(Claim.id == 3).values(rank="deprecated"))
        return found

    monkeypatch.setattr(parallel_copy, "_slices", then_a_writer_commits)
    with factory() as session:
        run = CsvExport(session, export_filter(**EVERY_STATUS), page_size=10, connections=2)
        during = b"".join(run.encoded())
        assert (run.rows, run.failure) == (rows, None)
    assert during == before
    monkeypatch.setattr(parallel_copy, "_slices", real)
    after, fewer, _ = _csv(factory, 2, **EVERY_STATUS)
    assert b"Changed meanwhile" in after and b"Changed meanwhile" not in before and fewer == rows - 1


def test_export_over_several_connections_reports_a_failed_slice_and_stops(corpus, monkeypatch, caplog):
    engine, factory = corpus
    _postgresql_only(engine)
    monkeypatch.setattr(export, "SLICE_CLAIMS", 100)
    real = export.sql_cells

    def failing_from_the_fourth_slice(filters, sliced=False):
        query = real(filters, sliced)
        # A division by zero the server meets on the slice's first row, as a query cancelled part-way would fail.
        return query.where(sa.case((sa.bindparam("slice_from", 0, type_=sa.Integer) > 300, sa.literal_column("1") / sa.literal_column("0")),
                                   else_=1) == 1)

    monkeypatch.setattr(export, "sql_cells", failing_from_the_fourth_slice)
    body, rows, failure = _csv(factory, 2, page_size=7, **EVERY_STATUS)
    monkeypatch.setattr(export, "sql_cells", real)
    whole, _, _ = _csv(factory, 1, **EVERY_STATUS)
    lines = body.decode().split("\r\n")
    assert failure == "division by zero" and lines[-2] == f"# export failed after {rows} rows: division by zero"
    # Every row written is the whole export's, up to the first failed slice's claims.
    expected = [line for line in whole.decode().split("\r\n")[1:-1] if int(line.split(",")[0]) <= 300]
    assert lines[1:-2] == expected and rows == len(expected)
    assert "CSV export failed" in caplog.text
    assert _copies_running(engine) == 0
    assert not [t for t in threading.enumerate() if t.name.startswith("copy-slice-")]


def test_export_over_several_connections_stops_its_copies_when_the_reader_leaves(sliced):
    engine, factory = sliced
    with factory() as session:
        chunks = _under_way(session)
        # Every connection has a slice under way, and waits for the reader: a download cut off.
        time.sleep(0.5)
        chunks.close()
    assert not [t for t in threading.enumerate() if t.name.startswith("copy-slice-")]
    assert _copies_running(engine) == 0
    assert _csv(factory, 3, **EVERY_STATUS)[2] is None


def test_export_over_several_connections_takes_no_connection_from_the_pool(sliced):
    engine, factory = sliced
    with factory() as session:
        chunks = _under_way(session)
        # Three connections are copying, none of them the pool's (the session gave its own back): the
        # requests and jobs beside an export keep the pool, and none goes back to it with the snapshot's settings.
        assert engine.pool.checkedout() == 0
        assert sum(1 for _ in chunks) > 1
    assert engine.pool.checkedout() == 0
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SHOW transaction_isolation").scalar() == "read committed"
        assert connection.exec_driver_sql("SHOW transaction_read_only").scalar() == "off"


def test_export_command_connections_option(corpus, fresh_database, tmp_path):
    env = {**os.environ, "DATABASE_URL": fresh_database}
    digests = []
    for connections in ("1", "3"):
        done = subprocess.run([str(SCRIPT), "export", "--status", "pending", "--status", "verified",
                               "--connections", connections, "-o", str(tmp_path / f"{connections}.csv")],
                              capture_output=True, text=True, timeout=120, env=env)
        assert done.returncode == 0, done.stderr[-2000:]
        assert done.stderr.startswith("wrote ")
        digests.append(sha256((tmp_path / f"{connections}.csv").read_bytes()).hexdigest())
    assert digests[0] == digests[1]
    refused = subprocess.run([str(SCRIPT), "export", "--connections", "0", "-o", str(tmp_path / "0.csv")],
                             capture_output=True, text=True, timeout=120, env=env)
    assert refused.returncode == 2 and "--connections" in refused.stderr and not (tmp_path / "0.csv").exists()
