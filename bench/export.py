"""CSV export benchmark: claimtrack's streamed export beside the database's own CSV dump.

    .venv/bin/python -m bench.export [--backend postgresql|sqlite|both] [--claims 1000000] [--small 100000]

Fills a throwaway database per size with `bench.generate`'s corpus, then at --small and at
--claims claims times `claimtrack export` of every status (in a child process, to /dev/null) beside `psql \\copy (SELECT ...) TO STDOUT WITH CSV` or `sqlite3 -csv` of the
same columns, and measures the export's peak memory (RSS and tracemalloc). Writes the
`## CSV export` section of bench/RESULTS.md.
"""
import argparse
import json
import os
import platform
import re
import resource
import sqlite3
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
import uuid
from pathlib import Path

import sqlalchemy as sa
import sqlalchemy.orm as so

from bench.generate import generate
from claimtrack.database import make_engine
from claimtrack.export import PAGE_SIZE, CsvExport, export_filter, export_query
from models import STATUSES, Claim, Document

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
PG_ADMIN_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
# Every status, and the default conflict rule (settled): the export's filters and the
# disputed-group subquery are exercised, and most of the generated claims are written.
FILTERS = export_filter(status=STATUSES)


def reference_sql(dialect: sa.Dialect) -> str:
    """The export's own query with the sentence cut in SQL: the same columns for the database's dump."""
    query = export_query(FILTERS)
    columns = list(query.selected_columns)[:-3]
    sentence = sa.func.substr(Document.text, Claim.sentence_start + 1, Claim.sentence_end - Claim.sentence_start)
    query = query.with_only_columns(*columns[:22], sentence, *columns[22:], maintain_column_froms=True)
    sql = str(query.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    return re.sub(r"\s+", " ", sql)


def run_reference(url: str) -> float:
    """Seconds for the database's own CSV dump of the export's columns, to /dev/null."""
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "postgresql":
        sql = reference_sql(sa.dialects.postgresql.dialect())
        plain = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
        command = ["psql", "-X", "-q", plain, "-c", f"\\copy ({sql}) TO STDOUT WITH CSV HEADER"]
    else:
        sql = reference_sql(sa.dialects.sqlite.dialect())
        command = ["sqlite3", "-csv", "-header", parsed.database, sql]
    started = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started


def run_export(url: str, trace: bool) -> dict:
    """Time one export in a child process; its peak RSS and (with trace) tracemalloc peak."""
    command = [sys.executable, "-m", "bench.export", "--child", url] + (["--trace"] if trace else [])
    output = subprocess.run(command, stdout=subprocess.PIPE, check=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def child(url: str, trace: bool) -> None:
    """The export itself, to /dev/null, reporting seconds, rows, peak RSS and traced peak as JSON."""
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if trace:
        tracemalloc.start()
    engine = make_engine(url)
    started = time.perf_counter()
    with so.Session(engine) as session, open(os.devnull, "wb") as out:
        export = CsvExport(session, FILTERS)
        for chunk in export:
            out.write(chunk.encode("utf-8"))
    seconds = time.perf_counter() - started
    traced = tracemalloc.get_traced_memory()[1] if trace else None
    print(json.dumps({"seconds": seconds, "rows": export.rows, "failure": export.failure,
                      "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "baseline_rss_mb": baseline / 1024,
                      "traced_mb": traced / 2**20 if traced is not None else None}))


def _create(backend: str, folder: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{folder / 'bench_export.db'}"
    name = f"claimtrack_bench_export_{uuid.uuid4().hex[:8]}"
    admin = make_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    return sa.make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def _drop(backend: str, url: str) -> None:
    if backend == "postgresql":
        admin = make_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{sa.make_url(url).database}" WITH (FORCE)')


def _matching(url: str) -> int:
    """How many claims the export should write."""
    engine = make_engine(url)
    with engine.connect() as connection:
        count = connection.scalar(sa.select(sa.func.count()).select_from(export_query(FILTERS).subquery()))
    engine.dispose()
    return count


def bench_backend(backend: str, sizes: list[int], trace: bool) -> list[dict]:
    """Generate a database of each size and measure export and reference on it."""
    results = []
    for size in sizes:
        folder = Path(tempfile.mkdtemp(prefix="claimtrack-bench-export-"))
        url = _create(backend, folder)
        try:
            stats = generate(url, claims=size)
            print(f"{backend}: {stats.summary()}", file=sys.stderr)
            rows = _matching(url)
            reference = run_reference(url)
            timed = run_export(url, trace=False)
            assert timed["rows"] == rows and not timed["failure"], timed
            traced = run_export(url, trace=True) if trace else {}
            result = {"backend": backend, "claims": size, "rows": rows, "export_s": timed["seconds"],
                      "reference_s": reference, "rss_mb": timed["rss_mb"],
                      "baseline_rss_mb": timed["baseline_rss_mb"], "traced_mb": traced.get("traced_mb"),
                      "load": _load()}
            print(json.dumps(result), file=sys.stderr)
            results.append(result)
        finally:
            _drop(backend, url)
            shutil.rmtree(folder, ignore_errors=True)
    return results


def _load() -> str:
    """The load average now, as `uptime` prints it."""
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def write_results(results: list[dict], command: str) -> None:
    """Replace the `## CSV export` section of bench/RESULTS.md, keeping the others."""
    lines = [
        "## CSV export",
        "",
        f"`claimtrack export` (`claimtrack/export.py`: one server-side cursor on PostgreSQL, keyset pages "
        f"of {PAGE_SIZE:,} claims on SQLite) beside the database's own CSV dump of the same columns and "
        f"rows, in the same run. Machine: 2 cores (shared), 24 GiB, Python {platform.python_version()}, "
        f"PostgreSQL 15, SQLite {sqlite3.sqlite_version}.",
        "Data: `bench.generate`'s corpus at each size (a fresh database per size); the export writes "
        "every status under the default conflict rule (settled), about 82% of the claims.",
        "",
        "| backend | claims | rows written | export (s) | rows/s | reference | reference (s) | export rate / reference rate | peak RSS (MB) | RSS after imports (MB) | tracemalloc peak (MB) | load average |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        reference = "psql `\\copy ... TO STDOUT WITH CSV`" if r["backend"] == "postgresql" else "`sqlite3 -csv`"
        traced = f"{r['traced_mb']:.1f}" if r["traced_mb"] is not None else "-"
        lines.append(
            f"| {r['backend']} | {r['claims']:,} | {r['rows']:,} | {r['export_s']:.1f} | "
            f"{r['rows'] / r['export_s']:,.0f} | {reference} | {r['reference_s']:.1f} | "
            f"**{r['reference_s'] / r['export_s']:.2f}** | {r['rss_mb']:.0f} | {r['baseline_rss_mb']:.0f} | "
            f"{traced} | {r['load']} |"
        )
    lines += [
        "", "Command (from the repository root):", "", f"    {command}", "",
        "Notes:",
        "- Export time is the whole `claimtrack export` run in a fresh process writing to /dev/null;",
        "  the reference is `psql -c \"\\copy (...) TO STDOUT WITH CSV HEADER\"` or `sqlite3 -csv -header db`",
        "  running the export's own SELECT (same joins, same latest-note subquery, same filters) with",
        "  the sentence cut in SQL by `substr`, so both produce the same rows and columns.",
        "- Peak RSS includes the interpreter, SQLAlchemy and psycopg (the \"after imports\" column);",
        "  what the export adds is the difference. It is bounded by one page of rows plus the",
        "  document-text cache (4M characters), whatever the number of claims.",
        "",
    ]
    section = "\n".join(lines) + "\n"
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n\n"
    pattern = re.compile(r"^## CSV export\n.*?(?=^## |\Z)", re.S | re.M)
    text = pattern.sub(section.replace("\\", "\\\\"), text) if pattern.search(text) else text.rstrip("\n") + "\n\n" + section
    RESULTS.write_text(text, encoding="utf-8")


def main() -> None:
    """Parse the command line and run the benchmark (or, with --child, one export)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("postgresql", "sqlite", "both"), default="both")
    parser.add_argument("--claims", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=100_000)
    parser.add_argument("--no-trace", action="store_true", help="skip the tracemalloc runs")
    parser.add_argument("--no-write", action="store_true", help="print figures without updating RESULTS.md")
    parser.add_argument("--child", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.trace)
        return
    backends = ("postgresql", "sqlite") if args.backend == "both" else (args.backend,)
    results = []
    for backend in backends:
        results += bench_backend(backend, [args.small, args.claims], trace=not args.no_trace)
    if not args.no_write:
        write_results(results, ".venv/bin/python -m bench.export " + " ".join(sys.argv[1:]))


if __name__ == "__main__":
    main()
