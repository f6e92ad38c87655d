"""Lookup tables derived from installed packages, built once and kept as SQLite files in the user cache.

Extraction looks words and names up in tables that take most of a second to derive from the
packages that hold them (simplemma's lemmas, pycountry's and GeoNames' places, pint's units). Each table file is
named by a hash of the module that builds it and of the installed packages it is built from, so
editing either, or installing another version, builds it anew. A lookup is one indexed read: no
table is loaded whole, and the packages are not imported once the file exists.
"""
from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

import platformdirs

log = logging.getLogger(__name__)

COMPLETE = "complete"  # the `meta` row a build writes last: a file without it is unfinished or damaged


def package_stamp(name: str) -> str:
    """Where the installed package `name` is and when it was written, found without importing it."""
    # Reading the version through importlib.metadata costs more than the lookups it guards;
    # installing any version writes the package's files anew, with a new time.
    origin = Path(importlib.util.find_spec(name).origin)
    stat = origin.stat()
    return f"{origin}:{stat.st_mtime_ns}:{stat.st_size}"


def cache_file(name: str, sources: Iterable[Path], packages: Iterable[str]) -> Path:
    """The file of table `name`, built by the modules at `sources` from `packages`."""
    key = hashlib.sha256()
    for source in sources:
        key.update(source.read_bytes())
    for package in packages:
        key.update(package_stamp(package).encode())
    return Path(platformdirs.user_cache_dir("claimtrack")) / f"{name}-{key.hexdigest()[:20]}.sqlite"


class Tables:
    """A read-only connection to one table file, shared by the threads of a process and reopened after a fork."""

    def __init__(self, name: str, sources: tuple[Path, ...], packages: tuple[str, ...],
                 build: Callable[[sqlite3.Connection], None]) -> None:
        self.name, self.sources, self.packages, self.build = name, sources, packages, build
        self._lock = threading.Lock()
        self._pid = 0
        self._connection: sqlite3.Connection | None = None

    def file(self) -> Path:
        """Where this table file is kept."""
        return cache_file(self.name, self.sources, self.packages)

    def rows(self, sql: str, parameters: tuple = ()) -> list[tuple]:
        """All rows of one query."""
        with self._lock:
            return self._connect().execute(sql, parameters).fetchall()

    def _connect(self) -> sqlite3.Connection:
        if self._connection is None or self._pid != os.getpid():
            # A connection inherited through fork belongs to the parent: open our own.
            self._connection, self._pid = self._open(), os.getpid()
        return self._connection

    def _open(self) -> sqlite3.Connection:
        """The cached file, read-only; built (in memory when the cache folder cannot be written) when missing or damaged."""
        path = self.file()
        if path.is_file():
            try:
                return _check(_read_only(path))
            except sqlite3.DatabaseError as exc:
                log.info("%s tables at %s unreadable (%s): built again", self.name, path, exc)
        try:
            _build_file(path, self.build)
        except OSError as exc:
            # A read-only home still extracts, only without the start-up saving.
            log.info("%s tables not cached at %s: %s", self.name, path, exc)
            connection = sqlite3.connect(":memory:", check_same_thread=False)
            _build_into(connection, self.build)
            return connection
        return _check(_read_only(path))


def _read_only(path: Path) -> sqlite3.Connection:
    # immutable: the file is never written once in place (a rebuild replaces it), so no locking is needed.
    return sqlite3.connect(f"{path.as_uri()}?mode=ro&immutable=1", uri=True, check_same_thread=False)


def _check(connection: sqlite3.Connection) -> sqlite3.Connection:
    """The connection, once its file is known to be a finished build (else sqlite3.DatabaseError)."""
    try:
        done = connection.execute("SELECT value FROM meta WHERE name = ?", (COMPLETE,)).fetchone()
        if done is None:
            raise sqlite3.DatabaseError("build not finished")
    except sqlite3.DatabaseError:
        connection.close()
        raise
    return connection


def _build_into(connection: sqlite3.Connection, build: Callable[[sqlite3.Connection], None]) -> None:
    connection.execute("CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)")
    build(connection)
    connection.execute("INSERT INTO meta VALUES (?, '1')", (COMPLETE,))
    connection.commit()


def _build_file(path: Path, build: Callable[[sqlite3.Connection], None]) -> None:
    """Build into a file aside and rename it into place, so a concurrent reader sees a whole file or none."""
    import tempfile

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.stem, suffix=".tmp")
    os.close(fd)
    try:
        connection = sqlite3.connect(temporary)
        try:
            connection.execute("PRAGMA journal_mode = OFF")
            _build_into(connection, build)
        finally:
            connection.close()
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
