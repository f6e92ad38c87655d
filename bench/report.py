"""What every benchmark shares: the machine's description, scratch databases, and RESULTS.md sections."""
import os
import platform
import re
import subprocess
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import sqlalchemy as sa

from claimtrack.database import make_engine

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
# A server where the benchmarks may create and drop their own databases.
PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
SCRATCH = Path(os.environ.get("BENCH_SCRATCH", tempfile.gettempdir())) / "claimtrack_bench"


def load() -> str:
    """The load averages now, as `uptime` prints them."""
    return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def machine() -> str:
    """CPU, memory, Python and PostgreSQL versions of this machine, in one line."""
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    memory = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                  if line.startswith("MemTotal"))
    server = ""
    try:
        engine = make_engine(PG_ADMIN_URL, poolclass=sa.pool.NullPool)
        with engine.connect() as connection:
            server = ", PostgreSQL " + connection.scalar(sa.text("SHOW server_version")).split()[0]
        engine.dispose()
    except sa.exc.OperationalError:
        pass
    return (f"{os.cpu_count()} × {cpu}, {memory / 2**20:.0f} GiB, Python {platform.python_version()}, "
            f"SQLite {__import__('sqlite3').sqlite_version}{server}; machine shared with other users")


def scratch_database(backend: str, name: str) -> str:
    """The URL of a new empty database called `name` (an existing one is dropped first)."""
    if backend == "sqlite":
        SCRATCH.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{SCRATCH / name}.db{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{SCRATCH / name}.db"
    admin = make_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return sa.make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    """Drop a scratch database made by `scratch_database`."""
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{parsed.database}{suffix}").unlink(missing_ok=True)
        return
    admin = make_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')
    admin.dispose()


def commit_id() -> str:
    """The checked-out commit, so figures can be traced to the code that made them."""
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              cwd=RESULTS.parent, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def header(command: str) -> str:
    """The lines every section starts with: when, where, what was run."""
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return (f"Run {stamp} at commit {commit_id()} on {machine()}.\n\n"
            f"```sh\n{command}\n```\n")


def write_section(title: str, body: str) -> None:
    """Replace the `## title` section of RESULTS.md with `body` (appended when new)."""
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    section = f"## {title}\n\n{body.strip()}\n"
    pattern = re.compile(rf"^## {re.escape(title)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _: section + "\n", text, count=1).rstrip() + "\n"
    else:
        text = text.rstrip() + "\n\n" + section
    RESULTS.write_text(text)
