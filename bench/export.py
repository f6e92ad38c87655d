"""CSV export benchmark: claimtrack's streamed export beside the database's own CSV dump.

    .venv/bin/python -m bench.export [--backend postgresql|sqlite|both] [--claims 1000000] [--small 100000]

Fills a throwaway database with synthetic verified claims (bulk COPY on PostgreSQL, executemany
on SQLite), then at --small and at --claims rows times `claimtrack export` (in a child process,
to /dev/null) beside `psql \\copy (SELECT ...) TO STDOUT WITH CSV` or `sqlite3 -csv` of the
same columns, and measures the export's peak memory (RSS and tracemalloc). Writes the
`## CSV export` section of bench/RESULTS.md.
"""
import argparse
import hashlib
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
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import sqlalchemy as sa
import sqlalchemy.orm as so

from claimtrack import schema
from claimtrack.database import make_engine
from claimtrack.export import PAGE_SIZE, CsvExport, ExportFilters, export_query
from models import Claim, Document

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
PG_ADMIN_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
CLAIMS_PER_DOCUMENT = 50
SENTENCE = ("In {year} the {place} authorities reported that {measure} reached {number} {unit}, "
            "up from the previous period, according to the bureau's annual review.")
PLACES = ("Gansu", "Lyon, \"Grand\"", "Zürich", "東京都", "-Delta region", "=SUM(A1)")
MEASURES = ("exports", "sister cities", "cargo routes", "GDP growth", "population", "rainfall")
UNITS = ("tonnes", "pairs", "routes", "%", "people", "mm")
NOTES = ("checked against table 3", "matches the bureau's release, p. 4", "", "verified, rounding as printed")

DOCUMENT_COLUMNS = ("id", "sha256", "file_name", "title", "author", "publisher", "source", "source_note",
                    "media_type", "published", "text", "char_count", "extractor_version", "ingested_at")
CLAIM_COLUMNS = (
    "id", "document_id", "start", "end", "quote", "prefix", "suffix", "sentence_start", "sentence_end",
    "value", "value_max", "unit", "qualifier", "change", "period_start", "period_end", "subject",
    "measure", "kind", "extracted_value", "extracted_value_max", "extracted_unit",
    "extracted_qualifier", "extracted_change", "extracted_period_start", "extracted_period_end",
    "extracted_subject", "extracted_measure", "extracted_kind", "measure_text", "confidence",
    "extractor_version", "status", "reviewed_by_id", "reviewed_at", "group_id", "group_pinned", "rank",
    "rank_reason", "conflict_open", "version", "created_at", "updated_at",
)
REVIEW_COLUMNS = ("id", "claim_id", "user_id", "decision", "note", "changes", "status_before",
                  "status_after", "created_at")


def _document(document_id: int) -> tuple[tuple, list[tuple]]:
    """A synthetic document row and the claim rows on its numbers."""
    sentences, claims, position = [], [], 0
    for k in range(CLAIMS_PER_DOCUMENT):
        claim_id = (document_id - 1) * CLAIMS_PER_DOCUMENT + k + 1
        number = f"{(claim_id * 7919) % 1_000_000 / 8:g}"
        place, measure, unit = (PLACES[claim_id % len(PLACES)], MEASURES[claim_id % len(MEASURES)],
                                UNITS[claim_id % len(UNITS)])
        sentence = SENTENCE.format(year=2000 + claim_id % 24, place=place, measure=measure, number=number,
                                   unit=unit)
        start = position + sentence.index(number)
        claims.append((claim_id, place, measure, float(number), unit, start, start + len(number), number,
                       position, position + len(sentence), 2000 + claim_id % 24))
        sentences.append(sentence)
        position += len(sentence) + 1
    text = " ".join(sentences)
    now = "2024-06-01 12:00:00.000000"
    document = (document_id, hashlib.sha256(text.encode()).hexdigest(), f"doc{document_id}.txt",
                f"Report {document_id}: {PLACES[document_id % len(PLACES)]}", "", "",
                f"https://example.org/reports/{document_id}", "", "text/plain",
                (date(2024, 1, 1) + timedelta(days=document_id % 365)).isoformat(), text, len(text),
                "bench", now)
    rows = []
    for (claim_id, place, measure, value, unit, start, end, quote, s_start, s_end, year) in claims:
        corrected = claim_id % 10 == 0
        reviewed = (datetime(2024, 6, 1, tzinfo=timezone.utc) + timedelta(seconds=claim_id)).strftime(
            "%Y-%m-%d %H:%M:%S.%f")
        rows.append((
            claim_id, document_id, start, end, quote, "", "", s_start, s_end,
            value, None, unit, "=", "up" if claim_id % 3 == 0 else None, f"{year}-01-01", f"{year}-12-31",
            place, measure, "fact", value + 1 if corrected else value, None, unit, "=", None,
            f"{year}-01-01", f"{year}-12-31", place, measure, "fact", measure, 0.9, "bench",
            "verified", 1 + claim_id % 5, reviewed, None, False, "normal", "", False, 2, now, now,
        ))
    return document, rows


def _reviews(claim_rows: list[tuple]) -> list[tuple]:
    return [(row[0], row[0], row[33], "verify", NOTES[row[0] % len(NOTES)], "{}", "pending", "verified", row[34])
            for row in claim_rows]


def fill(url: str, first_document: int, last_document: int) -> None:
    """Add documents first_document..last_document with their claims and one verify review each."""
    engine = make_engine(url)
    with engine.begin() as connection:
        if first_document == 1:
            users = [(i, f"reviewer{i}", "x", "reviewer", True, "t", "2024-01-01 00:00:00.000000")
                     for i in range(1, 6)]
            _insert(connection, "users", ("id", "username", "password_hash", "role", "active", "session_token",
                                          "created_at"), users)
        batch = 400
        for low in range(first_document, last_document + 1, batch):
            documents, claims = [], []
            for document_id in range(low, min(low + batch, last_document + 1)):
                document, rows = _document(document_id)
                documents.append(document)
                claims.extend(rows)
            _insert(connection, "documents", DOCUMENT_COLUMNS, documents)
            _insert(connection, "claims", CLAIM_COLUMNS, claims)
            _insert(connection, "reviews", REVIEW_COLUMNS, _reviews(claims))
        if engine.dialect.name == "postgresql":
            for table in ("users", "documents", "claims", "reviews"):
                connection.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")
    else:
        with engine.connect() as connection:
            connection.exec_driver_sql("ANALYZE")
    engine.dispose()


def _insert(connection, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    raw = connection.connection.driver_connection
    quoted = ", ".join(f'"{c}"' for c in columns)
    if connection.dialect.name == "postgresql":
        with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        raw.executemany(f"INSERT INTO {table} ({quoted}) VALUES ({', '.join('?' * len(columns))})", rows)


def reference_sql(dialect: sa.Dialect) -> str:
    """The export's own query with the sentence cut in SQL: the same columns for the database's dump."""
    query = export_query(ExportFilters())
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
        export = CsvExport(session, ExportFilters())
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


def bench_backend(backend: str, sizes: list[int], trace: bool) -> list[dict]:
    """Fill one database to each size in turn and measure export and reference at each."""
    folder = Path(tempfile.mkdtemp(prefix="claimtrack-bench-export-"))
    url = _create(backend, folder)
    results = []
    try:
        schema.upgrade(url)
        filled = 0
        for size in sizes:
            documents = size // CLAIMS_PER_DOCUMENT
            started = time.perf_counter()
            fill(url, filled + 1, documents)
            print(f"{backend}: filled to {size} claims in {time.perf_counter() - started:.1f}s", file=sys.stderr)
            filled = documents
            reference = run_reference(url)
            timed = run_export(url, trace=False)
            assert timed["rows"] == size and not timed["failure"], timed
            traced = run_export(url, trace=True) if trace else {}
            result = {"backend": backend, "claims": size, "export_s": timed["seconds"],
                      "reference_s": reference, "rss_mb": timed["rss_mb"],
                      "baseline_rss_mb": timed["baseline_rss_mb"], "traced_mb": traced.get("traced_mb")}
            print(json.dumps(result), file=sys.stderr)
            results.append(result)
    finally:
        _drop(backend, url)
        shutil.rmtree(folder, ignore_errors=True)
    return results


def write_results(results: list[dict], command: str) -> None:
    """Replace the `## CSV export` section of bench/RESULTS.md, keeping the others."""
    lines = [
        "## CSV export",
        "",
        f"`claimtrack export` (`claimtrack/export.py`, keyset pages of {PAGE_SIZE:,} "
        f"claims) beside the database's own CSV dump of the same columns and rows, in the same run. "
        f"Machine: 2 cores (shared), 24 GiB, Python {platform.python_version()}, PostgreSQL 15, "
        f"SQLite {sqlite3.sqlite_version}.",
        "Synthetic data: 50 verified claims per ~9 KB document, one verify review each, every "
        "claim reviewed; the default filters (verified, settled) select all of them.",
        "",
        "| backend | claims | export (s) | rows/s | reference | reference (s) | export rate / reference rate | peak RSS (MB) | RSS after imports (MB) | tracemalloc peak (MB) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        reference = "psql `\\copy ... TO STDOUT WITH CSV`" if r["backend"] == "postgresql" else "`sqlite3 -csv`"
        traced = f"{r['traced_mb']:.1f}" if r["traced_mb"] is not None else "-"
        lines.append(
            f"| {r['backend']} | {r['claims']:,} | {r['export_s']:.1f} | {r['claims'] / r['export_s']:,.0f} | "
            f"{reference} | {r['reference_s']:.1f} | **{r['reference_s'] / r['export_s']:.2f}** | "
            f"{r['rss_mb']:.0f} | {r['baseline_rss_mb']:.0f} | {traced} |"
        )
    lines += [
        "", "Command (from the repository root):", "", f"    {command}", "",
        "Notes:",
        "- Export time is the whole `claimtrack export` run in a fresh process writing to /dev/null;",
        "  the reference is `psql -c \"\\copy (...) TO STDOUT WITH CSV HEADER\"` or `sqlite3 -csv -header db`",
        "  running the export's own SELECT (same joins, same latest-note subquery, same filters) with",
        "  the sentence cut in SQL by `substr`, so both produce the same rows and columns.",
        "- Peak RSS includes the interpreter, SQLAlchemy and psycopg (the \"after imports\" column);",
        "  what the export adds is the difference, the same at 100k and 1M claims: memory is flat.",
        "  It is bounded by one page of rows plus the document-text cache (4M characters).",
        "- SQLite's own CSV mode is C end to end; the export formats every cell in Python",
        "  (number round-tripping, formula guard, ISO timestamps), which is why the ratio there is",
        "  far below PostgreSQL's, where the server's per-row work (latest-note lookup, joins,",
        "  substr on the document text) dominates both sides.",
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
