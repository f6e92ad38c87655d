"""The `claimtrack` command line: database, ingest, extraction, users, server."""
import gc
import multiprocessing
import secrets
import signal
import sys
from contextlib import contextmanager
from datetime import date
from functools import partial
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from claimtrack import accounts, ingest, schema
from claimtrack.cli import extract_command, iso_date, printable
from claimtrack.database import refresh_statistics
from claimtrack.ingest import PreparedDocument, prepare, store_many
from claimtrack.jobs import InlineQueue
from claimtrack.sources import (
    DocumentError, FoundFile, find_documents, limits, metadata_for, read_document, valid_text,
)

from .config import SERVER_LIMITS
from .db import get_session


def _prepare_file(found: FoundFile, published: date | None) -> PreparedDocument | str:
    """Read and extract one file; return the refusal reason instead of raising (runs in workers)."""
    if found.refusal:
        return found.refusal
    try:
        return prepare(read_document(found.path, published))
    except DocumentError as exc:
        return str(exc)


@contextmanager
def _interrupts_deferred():
    """Hold Ctrl-C back until the block ends: a document is stored whole, and workers start unstoppable by it."""
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def _worker_ignores_interrupts() -> None:
    """Pool initializer: Ctrl-C reaches the whole process group, but only the parent decides how to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


@click.group("db")
def db_group():
    """Create and migrate the database."""


@db_group.command("upgrade")
@click.option("--revision", default="head", show_default=True)
@with_appcontext
def db_upgrade(revision: str):
    """Migrate the database to the latest schema."""
    schema.upgrade(current_app.config["DATABASE_URL"], revision)
    click.echo(f"database at revision {schema.current(current_app.config['DATABASE_URL'])}")


@db_group.command("downgrade")
@click.argument("revision")
@with_appcontext
def db_downgrade(revision: str):
    """Migrate the database down to REVISION ("base" empties it)."""
    schema.downgrade(current_app.config["DATABASE_URL"], revision)
    click.echo(f"database at revision {schema.current(current_app.config['DATABASE_URL'])}")


@db_group.command("current")
@with_appcontext
def db_current():
    """Print the database's schema revision."""
    click.echo(schema.current(current_app.config["DATABASE_URL"]) or "(empty database)")


@click.command("ingest")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--published", callback=iso_date, help="Publication date (YYYY-MM-DD) for all the files.")
@click.option("--jobs", "-j", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Worker processes for extraction; documents are stored a batch at a time, one transaction each.")
@click.option("--enqueue", is_flag=True,
              help="Queue one job per document for `claimtrack worker` (CLAIMTRACK_REDIS_URL) and return at once.")
@with_appcontext
def ingest_command(paths: tuple[Path, ...], published: date | None, jobs: int, enqueue: bool):
    """Store documents (files or folders of .txt, .md, .html, .pdf) and extract their claims."""
    files = find_documents(list(paths), private=[Path(current_app.instance_path)])
    if enqueue:
        _enqueue(files, published)
        return
    session = get_session()
    added = duplicates = refused = skipped = 0
    interrupted = False
    pool = None
    pending: list[tuple[str, PreparedDocument]] = []
    pending_chars = 0

    def store_pending():
        """Store the files read so far in one transaction (`ingest.store_many`) and say what became of each."""
        nonlocal added, duplicates, skipped, pending_chars
        # A Ctrl-C meanwhile is held until the batch is committed and reported, so the summary counts it.
        with _interrupts_deferred():
            results = store_many(session, [prepared for _, prepared in pending])
            session.commit()
            for (name, _), result in zip(pending, results):
                if result.status == "duplicate":
                    duplicates += 1
                    click.echo(f"unchanged {name}: already stored as document {result.document_id}")
                else:
                    added += 1
                    skipped += result.skipped
                    note = f", {result.skipped} sentences skipped (extraction failed)" if result.skipped else ""
                    click.echo(f"added     {name}: document {result.document_id}, {result.claims} claims{note}")
            pending.clear()
            pending_chars = 0

    if jobs > 1:
        with _interrupts_deferred():
            pool = multiprocessing.Pool(jobs, initializer=_worker_ignores_interrupts)
    try:
        try:
            prepare_file = partial(_prepare_file, published=published)
            results = pool.imap(prepare_file, files) if pool else map(prepare_file, files)
            with click.progressbar(zip(files, results), length=len(files), label="Ingesting",
                                   file=sys.stderr, hidden=len(files) < 2) as bar:
                for found, prepared in bar:
                    name = printable(found.path)
                    if isinstance(prepared, str):
                        refused += 1
                        click.echo(f"refused   {name}: {printable(prepared)}", err=True)
                        continue
                    pending.append((name, prepared))
                    pending_chars += len(prepared.source.text)
                    if len(pending) >= ingest.BATCH_DOCUMENTS or pending_chars >= ingest.BATCH_BYTES:
                        store_pending()
                if pending:
                    store_pending()
            if added:
                refresh_statistics(session.connection())
                session.commit()
        except KeyboardInterrupt:
            interrupted = True
        finally:
            # The run is ending either way: a Ctrl-C from here on would only cut the workers' cleanup and the
            # report short (processes left behind, a traceback instead of the summary), so it is dropped.
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
            if pool:
                pool.terminate()
                pool.join()
        if interrupted:
            session.rollback()
            click.echo(f"interrupted: {added} added, {duplicates} already stored, {refused} refused; "
                       "the files after those were not stored", err=True)
            sys.exit(130)
        summary = f"{added} added, {duplicates} already stored, {refused} refused"
        if skipped:
            summary += f", {skipped} sentences skipped"
        if added == 0 and refused == 0:
            summary += ": nothing new to store"
        click.echo(summary)
    finally:
        signal.sigtimedwait({signal.SIGINT}, 0)
        if RUN_AS_COMMAND["yes"]:
            # The process ends with this command: a Ctrl-C from now on would only turn the exit
            # status it has earned (0, or 1 for refused files) into "killed by SIGINT".
            signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    if refused:
        sys.exit(1)


# `ingest --enqueue` commits its job rows and hands them to the queue this many (or this many bytes
# of files) at a time: one transaction and one Redis round trip for each such batch.
ENQUEUE_BATCH = 100
ENQUEUE_BYTES = 16 * 1024 * 1024


def _enqueue(files: list[FoundFile], published: date | None) -> None:
    """Queue an ingest job per file (its bytes and folder metadata go with it); without Redis, run each here."""
    from claimtrack.jobs import new_ingest_job
    from claimtrack.jobs.records import changed_nothing, forget
    from models import Job

    from .jobs.cli import command_queue

    queue = command_queue()
    session = get_session()
    queued = refused = 0
    pending: list[tuple[str, Job]] = []

    def hand_over():
        """Commit the jobs made so far in one transaction and submit them together."""
        nonlocal queued, refused
        session.commit()
        queue.submit_many([job.id for _, job in pending])
        for name, job in pending:
            if not isinstance(queue, InlineQueue):
                queued += 1
                click.echo(f"queued    {name}: job {job.id}")
                continue
            session.refresh(job)
            if job.state == "refused":
                refused += 1
                click.echo(f"refused   {name}: {printable(job.outcome)}", err=True)
            elif changed_nothing(job):
                click.echo(f"unchanged {name}: already stored as document {job.document_id}")
            else:
                click.echo(f"{job.state:<9} {name}: job {job.id}, {printable(job.outcome)}")
            if changed_nothing(job):
                forget(session, job)
                session.commit()
            queued += job.state != "refused"
        pending.clear()

    pending_bytes = 0
    for found in files:
        name = printable(found.path)
        refusal = found.refusal or _unreadable(found.path)
        if refusal:
            refused += 1
            click.echo(f"refused   {name}: {printable(refusal)}", err=True)
            continue
        try:
            data = found.path.read_bytes()
        except OSError as exc:
            refused += 1
            click.echo(f"refused   {name}: cannot read: {printable(exc.strerror)}", err=True)
            continue
        job = new_ingest_job(session, data, valid_text(found.path.name), source=valid_text(str(found.path)),
                             known=metadata_for(found.path), published=published)
        pending.append((name, job))
        pending_bytes += len(data)
        if len(pending) >= ENQUEUE_BATCH or pending_bytes >= ENQUEUE_BYTES:
            hand_over()
            pending_bytes = 0
    if pending:
        hand_over()
    if isinstance(queue, InlineQueue):
        click.echo(f"{queued} jobs ran here, {refused} refused (no CLAIMTRACK_REDIS_URL: no queue to hand them to)")
    else:
        click.echo(f"{queued} queued, {refused} refused")
    if refused:
        sys.exit(1)


def _unreadable(path: Path) -> str:
    """Why the file cannot be queued ("" if it can): the checks `read_document` makes before reading."""
    if not path.is_file():
        return "not a file"
    max_bytes, _ = limits()
    if path.stat().st_size > max_bytes:
        return f"file is {path.stat().st_size:,} bytes, over the limit of {max_bytes:,} bytes"
    return ""


def active_lead(session, username: str, purpose: str):
    """The active lead named `username`, or a usage error saying that `purpose` is for team leads."""
    user = accounts.find_user(session, username)
    if user is None or not user.is_active or not user.is_lead:
        raise click.UsageError(f"{username!r} is not an active lead: {purpose} are for team leads.")
    return user


def read_utf8(file: Path) -> str:
    """The text of FILE ("-" for stdin), or exit 1 saying where it is not UTF-8 (nothing is imported)."""
    data = click.get_binary_stream("stdin").read() if str(file) == "-" else file.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        click.echo(f"{printable(str(file))}: not UTF-8 (bad byte at offset {exc.start}); nothing was imported", err=True)
        sys.exit(1)


def _read_password(prompt: bool) -> str:
    """A password from an interactive prompt (typed twice) or the first line of stdin."""
    if prompt:
        return click.prompt("Password", hide_input=True, confirmation_prompt=True)
    line = sys.stdin.readline()
    return line.rstrip("\r\n")


@click.command("create-user")
@click.argument("username")
@click.option("--role", type=click.Choice(["reviewer", "lead"]), default="reviewer", show_default=True)
@with_appcontext
def create_user_command(username: str, role: str):
    """Create a user; the password is prompted for, or read from stdin when piped."""
    password = _read_password(sys.stdin.isatty())
    session = get_session()
    try:
        accounts.create_user(session, username, password, role)
    except accounts.AccountError as exc:
        raise click.ClickException(str(exc)) from None
    session.commit()
    click.echo(f"created {role} {username}")


@click.command("demo-users")
@with_appcontext
def demo_users_command():
    """Create (or reset) a demo reviewer and a demo lead with fresh passwords, and print the logins."""
    session = get_session()
    logins = []
    for username, role in (("reviewer", "reviewer"), ("lead", "lead")):
        password = secrets.token_urlsafe(9)
        user = accounts.find_user(session, username)
        if user is None:
            accounts.create_user(session, username, password, role)
        else:
            accounts.set_password(user, password)
            user.active, user.role = True, role
        logins.append((username, password, role))
    session.commit()
    for username, password, role in logins:
        click.echo(f"login: {username} / {password}   ({role})")


def settled(app: Flask) -> Flask:
    """The app with everything made while starting it moved out of the garbage collector's sight.

    A server process keeps its modules, templates and tables for life; without this, each full
    collection walks all of them again, and those walks were the slow requests' spikes.
    """
    gc.collect()
    gc.freeze()
    return app


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64))
@click.option("--threads", default=4, show_default=True, type=click.IntRange(1, 64))
def serve_command(host: str, port: int, workers: int, threads: int):
    """Serve the app with gunicorn (production server)."""
    from gunicorn.app.base import BaseApplication

    from . import create_app

    class Server(BaseApplication):
        def load_config(self):
            for key, value in {
                "bind": f"{host}:{port}", "workers": workers, "threads": threads,
                "worker_class": "gthread", "accesslog": "-", "timeout": 120, **SERVER_LIMITS,
            }.items():
                self.cfg.set(key, value)

        def load(self):
            return settled(create_app())

    click.echo(f"Claimtrack serving on http://{host}:{port} ({workers} workers x {threads} threads)")
    Server().run()


def init_app(app: Flask) -> None:
    """Register the commands on the app's CLI."""
    for command in (db_group, ingest_command, extract_command, create_user_command,
                    demo_users_command, serve_command):
        app.cli.add_command(command)


# Whether this process is the `claimtrack` command itself (set by `main`), not a caller of its commands (tests).
RUN_AS_COMMAND = {"yes": False}


def main() -> None:
    """The Flask CLI with every command (`claimtrack.cli.main` hands it all but the app-less ones)."""
    from . import create_app

    RUN_AS_COMMAND["yes"] = True
    FlaskGroup(create_app=create_app, add_default_commands=False, add_version_option=False,
               help="Claimtrack: extract, review and reconcile quantitative claims.")(prog_name="claimtrack")
