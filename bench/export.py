"""CSV export benchmark: the `claimtrack export` process beside the database's own CSV dump, as whole processes.

    .venv/bin/python -m bench.export [--backend postgresql|sqlite|both] [--claims 1000000] [--small 100000] [--repeat 3]
    .venv/bin/python -m bench.export --database URL [--database URL ...] [--repeat 3]

Fills a throwaway database per size with `bench.generate`'s corpus, then at --small and at
--claims claims runs, --repeat times and alternately, the console script `claimtrack export -o
/dev/null --status <every status>` (DATABASE_URL set) and `psql -c "\\copy (SELECT ...) TO STDOUT
WITH CSV HEADER"` or `sqlite3 -csv -header` of the same columns and rows, each as a process of
its own, timed from start to exit. The export's peak RSS is its own (wait4's rusage of that one
process). With --database, times the databases given as they are (copies of a generated
corpus) instead. Writes the `## CSV export` section of bench/RESULTS.md.
"""
import argparse
import os
import platform
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

from bench.generate import generate
from claimtrack.database import make_engine
from claimtrack.export import PAGE_SIZE, export_filter, export_query
from models import STATUSES, Claim, Document

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
CLAIMTRACK = Path(sys.executable).parent / "claimtrack"
PG_ADMIN_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
# Every status, and the default conflict rule (settled): the export's filters and the
# disputed-group subquery are exercised, and most of the generated claims are written.
FILTERS = export_filter(status=STATUSES)
EXPORT_ARGS = ["export", "-o", os.devnull, *(arg for status in STATUSES for arg in ("--status", status))]


def reference_sql(dialect: sa.Dialect) -> str:
    """The export's own query with the sentence cut in SQL: the same columns, unformatted, for the database's dump."""
    def columns(selected: tuple) -> list:
        sentence = sa.func.substr(Document.text, Claim.sentence_start + 1, Claim.sentence_end - Claim.sentence_start)
        return [*selected[:22], sentence, *selected[22:-3]]

    query = export_query(FILTERS, columns)
    sql = str(query.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    return re.sub(r"\s+", " ", sql)


def reference_command(url: str) -> list[str]:
    """psql's \\copy or the sqlite3 shell, dumping the export's columns as CSV with a header."""
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "postgresql":
        sql = reference_sql(sa.dialects.postgresql.dialect())
        plain = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
        return ["psql", "-X", "-q", plain, "-c", f"\\copy ({sql}) TO STDOUT WITH CSV HEADER"]
    return ["sqlite3", "-csv", "-header", parsed.database, reference_sql(sa.dialects.sqlite.dialect())]


def run_process(command: list[str], env: dict | None = None) -> dict:
    """Run `command` to the end, stdout to /dev/null: its wall seconds, its own peak RSS (MB) and its stderr."""
    with open(os.devnull, "wb") as devnull:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=devnull, stderr=subprocess.PIPE, env=env)
        stderr = process.stderr.read()
        # wait4 reports the rusage of this one child, whatever else the benchmark ran before.
        _pid, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise RuntimeError(f"{command[0]} exited {process.returncode}: {stderr.decode(errors='replace')[-500:]}")
    return {"seconds": seconds, "rss_mb": usage.ru_maxrss / 1024, "stderr": stderr.decode(errors="replace")}


def run_export(url: str, *options: str) -> dict:
    """The console script `claimtrack export` of every status to /dev/null, on `url`, as its own process."""
    result = run_process([str(CLAIMTRACK), *EXPORT_ARGS, *options], env={**os.environ, "DATABASE_URL": url})
    written = re.search(r"wrote (\d+) claims", result["stderr"])
    result["rows"] = int(written.group(1)) if written else None
    return result


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


def bench_backend(backend: str, sizes: list[int], repeat: int) -> list[dict]:
    """Generate a database of each size; time the export and the reference on it, alternately, `repeat` times."""
    results = []
    for size in sizes:
        folder = Path(tempfile.mkdtemp(prefix="claimtrack-bench-export-"))
        url = _create(backend, folder)
        try:
            stats = generate(url, claims=size)
            print(f"{backend}: {stats.summary()}", file=sys.stderr)
            results.append(bench_database(url, repeat))
        finally:
            _drop(backend, url)
            shutil.rmtree(folder, ignore_errors=True)
    return results


def bench_database(url: str, repeat: int) -> dict:
    """Time the export and the reference on the corpus at `url`, alternately, `repeat` times."""
    rows, claims = _matching(url), _claims(url)
    command = reference_command(url)
    backend = sa.make_url(url).get_backend_name()
    exports, singles, references, rss, loads = [], [], [], [], [_load()]
    for _ in range(repeat):
        reference = run_process(command)
        timed = run_export(url)
        assert timed["rows"] == rows, (timed, rows)
        references.append(reference["seconds"])
        exports.append(timed["seconds"])
        rss.append(timed["rss_mb"])
        if backend == "postgresql":
            # The same export read with one COPY (`--connections 1`), for comparison.
            single = run_export(url, "--connections", "1")
            assert single["rows"] == rows, (single, rows)
            singles.append(single["seconds"])
    loads.append(_load())
    result = {"backend": backend, "claims": claims, "rows": rows, "exports": exports,
              "references": references, "export_s": statistics.median(exports),
              "reference_s": statistics.median(references), "rss_mb": max(rss), "load": loads,
              "singles": singles, "single_s": statistics.median(singles) if singles else None}
    print(result, file=sys.stderr)
    return result


def _claims(url: str) -> int:
    """How many claims the database holds."""
    engine = make_engine(url)
    with engine.connect() as connection:
        count = connection.scalar(sa.select(sa.func.count()).select_from(Claim))
    engine.dispose()
    return count


def _load() -> str:
    """The load average now (1, 5 and 15 minutes), as `uptime` prints it."""
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def write_results(results: list[dict], command: str) -> None:
    """Replace the `## CSV export` section of bench/RESULTS.md, keeping the others."""
    lines = [
        "## CSV export",
        "",
        f"`claimtrack export` beside the database's own CSV dump of the same rows, whole process against "
        f"whole process, in the same run. Machine: 2 cores (shared with other work), 24 GiB, Python "
        f"{platform.python_version()}, PostgreSQL 15, SQLite {sqlite3.sqlite_version}.",
        "Data: `bench.generate`'s corpus at each size (a fresh database per size, or the copies given with --database); the export writes "
        "every status under the default conflict rule (settled), about 82% of the claims.",
        "",
        "| backend | claims | rows written | `claimtrack export` (s) | reference | reference (s) | "
        "**export rate / reference rate** | export peak RSS (MB) | each run: export / reference (s) | "
        "`--connections 1` (s), its ratio | load average before -> after |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        reference = "psql `\\copy (SELECT ...) TO STDOUT WITH CSV HEADER`" if r["backend"] == "postgresql" \
            else "`sqlite3 -csv -header`"
        runs = "; ".join(f"{e:.2f} / {f:.2f}" for e, f in zip(r["exports"], r["references"], strict=True))
        single = "—" if r["single_s"] is None else (
            f"{r['single_s']:.2f} ({'; '.join(f'{x:.2f}' for x in r['singles'])}), {r['reference_s'] / r['single_s']:.2f}")
        lines.append(
            f"| {r['backend']} | {r['claims']:,} | {r['rows']:,} | {r['export_s']:.2f} | {reference} | "
            f"{r['reference_s']:.2f} | **{r['reference_s'] / r['export_s']:.2f}** | {r['rss_mb']:.0f} | {runs} | "
            f"{single} | {r['load'][0]} -> {r['load'][1]} |"
        )
    lines += [
        "", "Command (from the repository root):", "", f"    {command}", "",
        "What is timed:",
        f"- Export: the console script `.venv/bin/claimtrack {' '.join(EXPORT_ARGS)}` (every status listed) with",
        "  DATABASE_URL set, from process start to exit: interpreter start-up, imports, the app, the",
        "  query and the writing. On PostgreSQL it reads over its default two connections, from one snapshot;",
        "  the same command with `--connections 1` (one COPY) runs after each pair, and its own column gives it. Reference: `psql -X -q URL -c \"\\copy (SELECT ...) TO STDOUT WITH CSV",
        "  HEADER\"` or `sqlite3 -csv -header FILE \"SELECT ...\"`, also from start to exit, running the",
        "  export's own SELECT (same joins, latest-note subquery and filters) with the sentence cut by",
        "  `substr`, its cells unformatted (no safe-cell prefix, numbers and times as the database prints them).",
        "  Each pair is run in turn, reference first; the table gives the medians, the ratio is",
        "  reference seconds / export seconds of the medians, and each run is listed.",
        "- Peak RSS is the export process's own (`os.wait4` on that one child), interpreter and app included.",
        "",
    ]
    section = "\n".join(lines) + "\n"
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n\n"
    pattern = re.compile(r"^## CSV export\n.*?(?=^## |\Z)", re.S | re.M)
    text = pattern.sub(section.replace("\\", "\\\\"), text) if pattern.search(text) else text.rstrip("\n") + "\n\n" + section
    RESULTS.write_text(text, encoding="utf-8")


def main() -> None:
    """Parse the command line and run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("postgresql", "sqlite", "both"), default="both")
    parser.add_argument("--claims", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each process per size")
    parser.add_argument("--database", action="append", metavar="URL",
                        help="time on this database as it is (a copy of a generated corpus) instead of generating; "
                             "repeat for several")
    parser.add_argument("--no-write", action="store_true", help="print figures without updating RESULTS.md")
    args = parser.parse_args()
    backends = ("postgresql", "sqlite") if args.backend == "both" else (args.backend,)
    sizes = sorted({args.small, args.claims})
    results = []
    if args.database:
        results = [bench_database(url, args.repeat) for url in args.database]
    for backend in () if args.database else backends:
        results += bench_backend(backend, sizes, args.repeat)
    if not args.no_write:
        write_results(results, ".venv/bin/python -m bench.export " + " ".join(sys.argv[1:]))


if __name__ == "__main__":
    main()
