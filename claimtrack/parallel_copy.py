"""One `COPY (SELECT ...) TO STDOUT` read over several PostgreSQL connections at once, in order.

A CSV export at a million claims is bound by one server process formatting every row: psql's
own `\\copy` of the same query takes as long. Here the claims' id range is cut into slices, each
connection copies every n-th slice, and the slices are passed on in id order, so the output is
byte for byte the one-connection COPY's. As pg_dump's `--jobs` does, every connection reads one
snapshot: the first exports it (`pg_export_snapshot`) and the others take it up (`SET TRANSACTION
SNAPSHOT`) before any reads, so a write committed meanwhile is in no slice or in all of them.

A connection reads ahead of the slice being written by at most `ahead` pages, then waits: memory
stays bounded whatever the size of the export or the speed of its reader. No library does this
for psycopg (pg_dump's parallel mode is in C and writes one file per table).
"""
from __future__ import annotations

import contextlib
import queue
import re
import threading
from collections.abc import Callable, Iterator
from typing import Any

import sqlalchemy as sa

# How long a connection waits to hand over a page before it looks whether the export was stopped.
_PUT_WAIT_SECONDS = 0.2
_END = object()


def copy_in_slices(engine: sa.Engine, table: str, slice_sql: Callable[[int, int], tuple[str, dict]],
                   settings: tuple[str, ...], *, connections: int, slice_rows: int, page_size: int,
                   ahead: int = 2) -> Iterator[tuple[bytes, int]]:
    """The rows of `COPY (slice_sql(lo, hi)) TO STDOUT` over slices of `table`'s ids, in order.

    Each slice holds about `slice_rows` of the ids `table` has, whatever the gaps between them (`_slices`).
    `slice_sql(lo, hi)` gives the query (driver SQL and parameters) of the ids from `lo` up to,
    not including, `hi`, ordered by id; `settings` are statements each connection runs first
    (SET LOCAL ...). Yields `page_size` rows a chunk, each row ended by CRLF, with its row count.
    What is read is what was committed when the first connection began: a caller's own
    uncommitted changes are not in it.
    """
    # Connections of their own, outside the engine's pool: an export neither waits for the pool
    # the requests and jobs beside it share nor hands a connection back to it with its snapshot's settings.
    own = sa.create_engine(engine.url, poolclass=sa.pool.NullPool)
    opened: list[sa.Connection] = []
    stop = threading.Event()
    threads: list[threading.Thread] = []
    finished = False
    try:
        first = _reader(own)
        opened.append(first)
        snapshot = first.exec_driver_sql("SELECT pg_export_snapshot()").scalar_one()
        if not _SNAPSHOT_ID.fullmatch(snapshot):
            raise RuntimeError(f"unexpected snapshot id {snapshot!r}")
        bounds = _slices(first, table, slice_rows)
        for _ in range(min(connections, len(bounds)) - 1):
            other = _reader(own)
            opened.append(other)
            # Before any query of its transaction, as PostgreSQL requires.
            other.exec_driver_sql(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
        for connection in opened:
            for statement in settings:
                connection.exec_driver_sql(statement)
        pages = [queue.Queue(maxsize=ahead) for _ in bounds]
        for number, connection in enumerate(opened):
            mine = range(number, len(bounds), len(opened))
            thread = threading.Thread(target=_copy_slices, name=f"copy-slice-{number}", daemon=True,
                                      args=(connection.connection.driver_connection,
                                            [(bounds[n], pages[n]) for n in mine], slice_sql, page_size, stop))
            thread.start()
            threads.append(thread)
        for slice_pages in pages:
            while (item := slice_pages.get()) is not _END:
                if isinstance(item, BaseException):
                    raise item
                yield item
        finished = True
    finally:
        stop.set()
        if not finished:
            # Stopped part-way (an error, or the reader went away): end the COPYs still running,
            # which would otherwise be read to their end.
            for connection in opened:
                with contextlib.suppress(Exception):
                    connection.connection.driver_connection.cancel_safe(timeout=5)
        for thread in threads:
            thread.join()
        for connection in opened:
            # Each closed on its own: one the server dropped must not keep the others open.
            with contextlib.suppress(Exception):
                if not finished:
                    connection.invalidate()
                connection.close()
        own.dispose()


# What pg_export_snapshot returns ("00000003-0000001B-1"), checked before it is written into SET
# TRANSACTION SNAPSHOT, which takes no parameters.
_SNAPSHOT_ID = re.compile(r"[0-9A-F]+(?:-[0-9A-F]+)+")


def _reader(engine: sa.Engine) -> sa.Connection:
    """A connection whose transaction reads one snapshot and writes nothing."""
    return engine.connect().execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)


def _slices(connection: sa.Connection, table: str, slice_rows: int) -> list[tuple[int, int]]:
    """Half-open id ranges of about `slice_rows` ids each, covering every id of `table` in the snapshot (none if empty)."""
    lowest, highest = connection.exec_driver_sql(f"SELECT min(id), max(id) FROM {table}").one()
    if lowest is None:
        return []
    span = highest - lowest + 1
    # The planner's row count, free to read: ids mostly consecutive (as a sequence gives them) are
    # cut evenly, so a slice holds at most about twice `slice_rows`.
    estimate = connection.execute(sa.text("SELECT reltuples FROM pg_class WHERE oid = CAST(:table AS regclass)"),
                                  {"table": table}).scalar_one()
    if 0 < estimate and span <= 2 * estimate:
        count = max(1, -(-span // slice_rows))
        width = -(-span // count)
        return [(lowest + n * width, min(highest + 1, lowest + (n + 1) * width)) for n in range(count)]
    # Sparse ids (a range left unused, ids set by hand) or no statistics yet: cut at every
    # `slice_rows`-th id there is, a scan of the id index, so no slice is empty and their number
    # follows the rows, not the span.
    starts = connection.execute(sa.text(
        f"SELECT id FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM {table}) AS numbered "
        "WHERE mod(n, :every) = 1 ORDER BY id"), {"every": slice_rows}).scalars().all()
    return list(zip(starts, [*starts[1:], highest + 1]))


def _copy_slices(connection, slices: list[tuple[tuple[int, int], queue.Queue]],
                 slice_sql: Callable[[int, int], tuple[str, dict]], page_size: int, stop: threading.Event) -> None:
    """Copy each slice into its queue of pages, then `_END`; on an error, put the error where the reader is to meet it."""
    current = None
    try:
        for (lowest, highest), pages in slices:
            current = pages
            sql, params = slice_sql(lowest, highest)
            page: list[bytes] = []
            with connection.cursor() as cursor, cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)",
                                                            params) as copy:
                # PostgreSQL sends each row as one message, ending in "\n" where csv.writer ends it in "\r\n".
                for row in copy:
                    page.append(row[:-1])
                    if len(page) == page_size:
                        if not _hand_over(pages, (b"\r\n".join(page) + b"\r\n", len(page)), stop):
                            return
                        page = []
            if page and not _hand_over(pages, (b"\r\n".join(page) + b"\r\n", len(page)), stop):
                return
            if not _hand_over(pages, _END, stop):
                return
    except Exception as exc:  # noqa: BLE001 - handed to the reader, which reports it
        if current is not None:
            _hand_over(current, exc, stop)


def _hand_over(pages: queue.Queue, item: Any, stop: threading.Event) -> bool:
    """Put `item` for the reader, waiting while its queue is full; False once the export is stopped."""
    while not stop.is_set():
        try:
            pages.put(item, timeout=_PUT_WAIT_SECONDS)
            return True
        except queue.Full:
            continue
    return False
