"""Engines and sessions for SQLite and PostgreSQL, configured the same way everywhere, and bulk writes."""
import contextlib
import os
from pathlib import Path
from typing import Iterable, Iterator

import sqlalchemy as sa
import sqlalchemy.orm as so
from sqlalchemy.dialects import postgresql

# Every process that opens a database session counts the reviews it writes in the dashboard's
# daily tallies: importing the module registers that on Review.
from . import dashboard  # noqa: F401

SQLITE_BUSY_TIMEOUT_MS = 30_000
# SQLite's page cache per connection, in KiB (SQLite's default is 2,000). At a million claims one new
# document's store and detection change some 1,500 pages of the claims table and its indexes: with
# the default cache SQLite spills them to the WAL in the middle of the transaction and reads them
# back, about a third of the detection's CPU time there (bench/RESULTS.md, "Conflict detection").
# The cache takes memory only as pages are used, up to this.
SQLITE_CACHE_KIB = 32 * 1024
# Execution option of a session that only reads: on SQLite it begins DEFERRED, so it neither
# waits for nor blocks the one writer (WAL lets readers run beside it); on both databases its
# transactions refuse writes, so a page marked so cannot write by mistake.
READS_ONLY = "claimtrack_reads_only"


def _configure_sqlite(engine: sa.Engine) -> None:
    """Make SQLite enforce foreign keys, use WAL, cache more pages, and take the write lock at BEGIN.

    pysqlite's own transaction handling defeats SAVEPOINT and emits BEGIN late; the
    documented fix hands BEGIN to SQLAlchemy. BEGIN IMMEDIATE makes concurrent writers
    queue on busy_timeout instead of failing when a read transaction upgrades to a write;
    sessions with the READS_ONLY option begin DEFERRED instead, with writes switched off.
    """

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
        if engine.url.database and engine.url.database != ":memory:":
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(connection):
        if connection.get_execution_options().get(READS_ONLY):
            connection.exec_driver_sql("PRAGMA query_only = ON")
            connection.exec_driver_sql("BEGIN")
        else:
            connection.exec_driver_sql("PRAGMA query_only = OFF")
            connection.exec_driver_sql("BEGIN IMMEDIATE")


def _configure_postgresql(engine: sa.Engine) -> None:
    """Make transactions of READS_ONLY sessions read-only."""

    @sa.event.listens_for(engine, "begin")
    def _on_begin(connection):
        if connection.get_execution_options().get(READS_ONLY):
            connection.exec_driver_sql("SET TRANSACTION READ ONLY")


# The project folder, whose `instance/` holds the SQLite database unless told otherwise.
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def instance_path() -> Path:
    """The instance folder: from the environment, else `instance/` in the project folder."""
    return Path(os.environ.get("CLAIMTRACK_INSTANCE_PATH") or PROJECT_ROOT / "instance").resolve()


def database_url(instance: Path | None = None) -> str:
    """DATABASE_URL from the environment, else the SQLite file in the instance folder."""
    return os.environ.get("DATABASE_URL") or f"sqlite:///{(instance or instance_path()) / 'claimtrack.db'}"


def make_engine(url: str, **kwargs) -> sa.Engine:
    """Create an engine for `url`, creating the folder of a SQLite file if needed."""
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(parsed, **kwargs)
        _configure_sqlite(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    if "poolclass" not in kwargs:
        kwargs.setdefault("pool_size", int(os.environ.get("CLAIMTRACK_DB_POOL_SIZE", "5")))
        kwargs.setdefault("max_overflow", int(os.environ.get("CLAIMTRACK_DB_MAX_OVERFLOW", "10")))
    engine = sa.create_engine(parsed, **kwargs)
    _configure_postgresql(engine)
    return engine


def refresh_statistics(connection: sa.Connection) -> None:
    """Refresh the query planner's statistics after bulk changes.

    PostgreSQL's autovacuum does this on its own in time; SQLite never does, and without
    statistics its planner reads the queue through the status index and sorts (45 ms instead
    of about 1 ms per lease at a million claims).
    """
    connection.exec_driver_sql("ANALYZE")


def make_sessionmaker(engine: sa.Engine) -> so.sessionmaker[so.Session]:
    """A session factory whose objects stay usable after commit (views render after committing)."""
    return so.sessionmaker(engine, expire_on_commit=False)


def take_turn(connection: sa.Connection, key: int) -> None:
    """Hold PostgreSQL's advisory lock `key` until the transaction ends: work under one key takes turns
    across transactions, the second waiting for the first to end and then reading what it committed.
    SQLite takes no lock here: its transactions already take turns (they begin by taking the
    database's write lock)."""
    if connection.dialect.name == "postgresql":
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def reserve_ids(connection: sa.Connection, table: sa.Table, count: int) -> list[int]:
    """`count` unused ids for new rows of `table`, so a bulk insert needs no RETURNING."""
    if connection.dialect.name == "postgresql":
        return list(connection.execute(
            sa.text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :count)"),
            {"table": table.name, "count": count},
        ).scalars())
    # SQLite transactions begin IMMEDIATE: this one holds the write lock, so no one else takes them.
    first = connection.scalar(sa.select(sa.func.coalesce(sa.func.max(table.c.id), 0))) + 1
    return list(range(first, first + count))


def bulk_insert(connection: sa.Connection, table: sa.Table, rows: list, columns: list[str] | None = None) -> None:
    """Insert rows: COPY on PostgreSQL, one executemany on SQLite.

    Rows are dicts with the same keys, converted as the column types bind them; or, with
    `columns`, tuples of those columns' values as the driver takes them (ints, floats, strings,
    bools, None), passed on as they are. Column defaults are not applied: each row gives every
    column that needs a value.
    """
    # SQLAlchemy's executemany builds each row's parameters anew (as long as SQLite takes to store
    # them), and its multi-row INSERTs spend more time building and parsing SQL than PostgreSQL
    # spends storing the rows: the rows go to the driver as tuples, converted as the column
    # types would bind them.
    if columns is None:
        names = list(rows[0])
        processors = [(name, table.c[name].type.bind_processor(connection.dialect)) for name in names]
        converted = (tuple(row[name] if process is None else process(row[name]) for name, process in processors)
                     for row in rows)
    else:
        names, converted = list(columns), iter(rows)
    quote = connection.dialect.identifier_preparer.quote
    listed = ", ".join(quote(name) for name in names)
    if connection.dialect.name != "postgresql":
        connection.exec_driver_sql(
            f"INSERT INTO {quote(table.name)} ({listed}) VALUES ({', '.join('?' * len(names))})", list(converted))
        return
    import psycopg

    cursor = connection.connection.driver_connection.cursor()
    try:
        with cursor, cursor.copy(f"COPY {table.name} ({listed}) FROM STDIN") as copy:
            for row in converted:
                copy.write_row(row)
    except psycopg.OperationalError as exc:
        # Raised by the driver itself, not through SQLAlchemy: given SQLAlchemy's type, so callers that
        # retry a dropped connection or a deadlock (the job runners) recognise this one too.
        raise sa.exc.OperationalError(f"COPY {table.name}", None, exc) from exc


def with_defaults(table: sa.Table, rows: list[dict]) -> list[dict]:
    """The rows with every column they leave out that has a Python-side default given it (`bulk_insert`
    applies none); columns with only a server default are left to the database."""
    if not rows:
        return rows
    given = set(rows[0])
    defaults = {}
    for column in table.columns:
        default = column.default
        if column.name in given or default is None or not (default.is_scalar or default.is_callable):
            continue
        # A callable default is wrapped by SQLAlchemy to take an execution context, which none of ours read.
        defaults[column.name] = default.arg(None) if default.is_callable else default.arg
    return [{**defaults, **row} for row in rows] if defaults else rows


def bulk_update(connection: sa.Connection, table: sa.Table, key: str, rows: list[dict], **also) -> None:
    """Update rows of `table` found by their `key` column, each dict holding that row's key and new
    values (the same columns in every dict), and set `also`'s expressions on each.

    One `UPDATE ... FROM unnest(arrays)` on PostgreSQL, where an executemany is one statement per
    row; one executemany on SQLite, where statements cost no round trip.
    """
    names = list(rows[0])
    if connection.dialect.name != "postgresql":
        _executemany_update(connection, table, key, names, rows, also)
        return
    arrays = [sa.bindparam(f"p_{name}", [row[name] for row in rows], type_=postgresql.ARRAY(table.c[name].type))
              for name in names]
    given = sa.func.unnest(*arrays).table_valued(*names).render_derived(name="given")
    connection.execute(sa.update(table).where(table.c[key] == given.c[key]).values(
        {name: given.c[name] for name in names if name != key} | also))


def _executemany_update(connection: sa.Connection, table: sa.Table, key: str, names: list[str],
                        rows: list[dict], also: dict) -> None:
    """One executemany of a plain `UPDATE ... WHERE key = ?` through the driver, with tuples.

    SQLAlchemy's executemany builds each row's parameters anew and calls each column's update
    default once per row; for the few hundred placements of one document that was most of the
    detection's time on SQLite. Here the statement is written once, the update defaults the
    caller does not set are worked out once, and the rows go to the driver converted as the
    column types would bind them.
    """
    dialect = connection.dialect
    quote = dialect.identifier_preparer.quote
    settable = [name for name in names if name != key]
    assignments = [f"{quote(name)} = ?" for name in settable]
    for name, expression in also.items():
        compiled = sa.literal(expression) if not isinstance(expression, sa.ColumnElement) else expression
        sql = compiled.compile(dialect=dialect, compile_kwargs={"literal_binds": True})
        assignments.append(f"{quote(name)} = {sql}")
    defaults = [column for column in table.c
                if column.onupdate is not None and column.name not in names and column.name not in also]
    fixed = []
    for column in defaults:
        if not column.onupdate.is_scalar and not column.onupdate.is_callable:
            raise ValueError(f"{table.name}.{column.name}: an SQL update default cannot be bulk-applied")
        value = column.onupdate.arg(None) if column.onupdate.is_callable else column.onupdate.arg
        process = column.type.bind_processor(dialect)
        assignments.append(f"{quote(column.name)} = ?")
        fixed.append(value if process is None else process(value))
    processors = [(name, table.c[name].type.bind_processor(dialect)) for name in settable + [key]]
    fixed_tail = tuple(fixed)
    parameters = [
        tuple(row[name] if process is None else process(row[name]) for name, process in processors[:-1])
        + fixed_tail
        + ((row[key] if processors[-1][1] is None else processors[-1][1](row[key])),)
        for row in rows
    ]
    connection.exec_driver_sql(
        f"UPDATE {quote(table.name)} SET {', '.join(assignments)} WHERE {quote(key)} = ?", parameters)


@contextlib.contextmanager
def indexes_set_aside(connection: sa.Connection, table: sa.Table, lock_timeout_ms: int,
                      foreign_keys_of: Iterable[str] = ()) -> Iterator[bool]:
    """Drop `table`'s indexes that back no constraint for the block and build them again after it,
    in the caller's transaction; yields whether it did (never on SQLite, nor without the lock).

    `foreign_keys_of` names columns whose foreign keys are dropped too and added back after the
    block: PostgreSQL then checks every row in one join of the two tables when the key is added,
    where with the key in place each updated row's new value is looked up in the referenced
    table's primary key on its own (943,297 lookups in a rebuild from scratch at a million claims).

    For a statement that rewrites most of a table: with no index to enter each new row version
    in, PostgreSQL writes the heap alone, and building an index afresh from the table is a sort,
    far cheaper than a million insertions into it. DROP INDEX takes the table's ACCESS EXCLUSIVE
    lock, held to the end of the transaction: until the caller commits, no one else reads or
    writes the table (as only the caller could write the rows it updates anyway). The lock is
    asked for under `lock_timeout_ms`, so a long reader delays the caller (and, queued behind
    it, everyone else) at most that long; without it nothing is changed. DDL is transactional:
    if the block or a rebuild of an index fails, the caller's rollback restores the indexes.
    """
    if connection.dialect.name != "postgresql":
        yield False
        return
    quote = connection.dialect.identifier_preparer.quote
    previous = connection.exec_driver_sql("SHOW lock_timeout").scalar()
    connection.exec_driver_sql("SAVEPOINT indexes_set_aside")
    foreign_keys = _foreign_keys(connection, table, foreign_keys_of)
    try:
        connection.exec_driver_sql(f"SET LOCAL lock_timeout = {int(lock_timeout_ms)}")
        connection.exec_driver_sql(f"LOCK TABLE {quote(table.name)} IN ACCESS EXCLUSIVE MODE")
        # Dropping or adding a foreign key also locks the table it references against writes.
        for referenced in sorted({referenced for _, _, referenced in foreign_keys}):
            connection.exec_driver_sql(f"LOCK TABLE {quote(referenced)} IN SHARE ROW EXCLUSIVE MODE")
    except sa.exc.OperationalError as error:
        if getattr(error.orig, "sqlstate", None) != LOCK_NOT_AVAILABLE:
            raise
        connection.exec_driver_sql("ROLLBACK TO SAVEPOINT indexes_set_aside")
        connection.exec_driver_sql("RELEASE SAVEPOINT indexes_set_aside")
        yield False
        return
    connection.execute(sa.text("SELECT set_config('lock_timeout', :value, true)"), {"value": previous})
    connection.exec_driver_sql("RELEASE SAVEPOINT indexes_set_aside")
    definitions = connection.execute(sa.text(
        "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
        " WHERE i.indrelid = CAST(:table AS regclass)"
        " AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)"
        " ORDER BY c.relname"
    ), {"table": table.name}).all()
    for name, _ in definitions:
        connection.exec_driver_sql(f"DROP INDEX {quote(name)}")
    for name, _, _ in foreign_keys:
        connection.exec_driver_sql(f"ALTER TABLE {quote(table.name)} DROP CONSTRAINT {quote(name)}")
    yield True
    memory = connection.exec_driver_sql("SHOW maintenance_work_mem").scalar()
    connection.exec_driver_sql(f"SET LOCAL maintenance_work_mem = '{INDEX_BUILD_MEMORY}'")
    for _, definition in definitions:
        connection.exec_driver_sql(definition)
    connection.execute(sa.text("SELECT set_config('maintenance_work_mem', :value, true)"), {"value": memory})
    if foreign_keys:
        # The check is an anti-join of the two tables: with the server's default 4MB of work
        # memory, hashing a few hundred thousand keys spills to disk in batches.
        work_memory = connection.exec_driver_sql("SHOW work_mem").scalar()
        connection.exec_driver_sql(f"SET LOCAL work_mem = '{FOREIGN_KEY_CHECK_MEMORY}'")
        for name, definition, _ in foreign_keys:
            connection.exec_driver_sql(f"ALTER TABLE {quote(table.name)} ADD CONSTRAINT {quote(name)} {definition}")
        connection.execute(sa.text("SELECT set_config('work_mem', :value, true)"), {"value": work_memory})


def _foreign_keys(connection: sa.Connection, table: sa.Table, columns: Iterable[str]) -> list[tuple[str, str, str]]:
    """The foreign keys of `table` on any of `columns`: (name, definition, referenced table)."""
    columns = list(columns)
    if not columns:
        return []
    return [tuple(row) for row in connection.execute(sa.text(
        "SELECT k.conname, pg_get_constraintdef(k.oid), r.relname"
        " FROM pg_constraint k JOIN pg_class r ON r.oid = k.confrelid"
        " WHERE k.conrelid = CAST(:table AS regclass) AND k.contype = 'f'"
        " AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = k.conrelid AND a.attnum = ANY (k.conkey)"
        " AND a.attname = ANY (:columns))"
        " ORDER BY k.conname"
    ), {"table": table.name, "columns": columns})]


# PostgreSQL's SQLSTATE for a lock not had within lock_timeout.
LOCK_NOT_AVAILABLE = "55P03"
# Sort memory for rebuilding an index (the server's default, 64MB, spills a million rows' sort to disk).
INDEX_BUILD_MEMORY = "256MB"
# Work memory for checking a foreign key added back, enough to hash a million keys in one batch.
FOREIGN_KEY_CHECK_MEMORY = "128MB"
