"""Ingest throughput: `claimtrack ingest` (extraction + storing) against a raw bulk insert of the same rows.

    python -m bench.ingest [--documents 1000] [--backend sqlite|postgresql|both] [--no-write]

Writes synthetic documents (bench.generate) to files, then on each backend, each into a new
database: `claimtrack ingest --jobs 1` and `--jobs 2` (a subprocess, as a user runs it; its
~1 s start-up included), `claimtrack ingest --enqueue` with two `claimtrack worker --burst`
processes on Redis (whole processes, from the enqueue to the last worker's exit), the store path
alone on claims extracted beforehand (a document to a transaction, and in the batches the
command and the workers use),
and the reference, a bulk insert of the very same document and claim rows (COPY on
PostgreSQL, executemany on SQLite) with no extraction. Section `## Ingest throughput`.
"""
import argparse
import os
import subprocess
import sys
import time
from datetime import datetime, timezone
from hashlib import sha256
from pathlib import Path

import sqlalchemy as sa

from claimtrack import schema
from claimtrack.database import make_engine, make_sessionmaker
from claimtrack.extract import EXTRACTOR_VERSION
from claimtrack.ingest import BATCH_DOCUMENTS, PreparedDocument, claim_values, prepare, store_many
from claimtrack.sources import find_documents, read_document

from . import report
from .generate import CLAIM_COLUMNS, DOCUMENT_COLUMNS, Writer, documents

CLAIMTRACK = Path(sys.executable).with_name("claimtrack")


def write_files(folder: Path, count: int, seed: int = 11) -> list[Path]:
    """Write `count` synthetic documents as .txt files (their datelines give publication dates)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for number, document in enumerate(documents(seed), start=1):
        if number > count:
            break
        path = folder / document.file_name
        path.write_text(document.text, encoding="utf-8")
        paths.append(path)
    return paths


def _counts(url: str) -> tuple[int, int]:
    engine = make_engine(url)
    with engine.connect() as connection:
        counted = (connection.scalar(sa.text("SELECT count(*) FROM documents")),
                   connection.scalar(sa.text("SELECT count(*) FROM claims")))
    engine.dispose()
    return counted


def time_cli(url: str, folder: Path, jobs: int) -> float:
    """Seconds `claimtrack ingest --jobs N folder` takes on a migrated empty database."""
    env = {**os.environ, "DATABASE_URL": url, "CLAIMTRACK_INSTANCE_PATH": str(report.SCRATCH / "instance")}
    started = time.perf_counter()
    subprocess.run([str(CLAIMTRACK), "ingest", "--jobs", str(jobs), str(folder)], env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def time_workers(url: str, folder: Path, workers: int, redis_url: str) -> float:
    """Seconds from `claimtrack ingest --enqueue folder` starting to `workers` RQ workers emptying the queue.

    Whole processes, as an operator runs them: the enqueue (reading every file into its job
    row) and the workers (`claimtrack worker --burst`, started together once the jobs are
    queued, each running its jobs one after another in its own process), start-ups included.
    """
    queue = f"bench-{os.getpid()}-{time.monotonic_ns()}"
    env = {**os.environ, "DATABASE_URL": url, "CLAIMTRACK_INSTANCE_PATH": str(report.SCRATCH / "instance"),
           "CLAIMTRACK_REDIS_URL": redis_url, "CLAIMTRACK_QUEUE": queue}
    started = time.perf_counter()
    subprocess.run([str(CLAIMTRACK), "ingest", "--enqueue", str(folder)], env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    running = [subprocess.Popen([str(CLAIMTRACK), "worker", "--burst"], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(workers)]
    for process in running:
        if process.wait() != 0:
            raise RuntimeError(f"a worker exited with {process.returncode}")
    return time.perf_counter() - started


def time_store(url: str, prepared: list[PreparedDocument], batch: int = 1) -> float:
    """Seconds `ingest.store_many` takes for already-extracted documents, `batch` to a transaction."""
    engine = make_engine(url)
    session = make_sessionmaker(engine)()
    started = time.perf_counter()
    for offset in range(0, len(prepared), batch):
        store_many(session, prepared[offset:offset + batch])
        session.commit()
    elapsed = time.perf_counter() - started
    session.close()
    engine.dispose()
    return elapsed


def _rows(prepared: list[PreparedDocument], timestamp) -> tuple[list[tuple], list[tuple]]:
    """Document and claim rows equal to what `store` writes (through its own `claim_values`), for the bulk reference."""
    now = timestamp(datetime.now(timezone.utc).replace(tzinfo=None))
    document_rows, claim_rows = [], []
    claim_id = 0
    review_state = {"status": "pending", "reviewed_by_id": None, "reviewed_at": None, "group_id": None,
                    "group_pinned": False, "rank": "normal", "rank_reason": "", "conflict_open": False,
                    "version": 1, "created_at": now, "updated_at": now}
    for document_id, document in enumerate(prepared, start=1):
        source, text = document.source, document.source.text
        document_rows.append((
            document_id, sha256(text.encode("utf-8")).hexdigest(), source.file_name, source.title[:500],
            source.metadata.author, source.metadata.publisher, source.source[:1000], source.metadata.source_note,
            source.media_type, source.metadata.published, text, len(text), EXTRACTOR_VERSION, now,
        ))
        for c in document.claims:
            claim_id += 1
            row = {**claim_values(text, c), **review_state, "id": claim_id, "document_id": document_id}
            claim_rows.append(tuple(row[column] for column in CLAIM_COLUMNS))
    return document_rows, claim_rows


def time_bulk(url: str, prepared: list[PreparedDocument], batch: int = 20_000) -> float:
    """Seconds a bulk insert of the same rows takes (row building included), in batches."""
    engine = make_engine(url)
    writer = Writer(engine)
    started = time.perf_counter()
    document_rows, claim_rows = _rows(prepared, writer.timestamp)
    for table, columns, rows in (("documents", DOCUMENT_COLUMNS, document_rows),
                                 ("claims", CLAIM_COLUMNS, claim_rows)):
        for offset in range(0, len(rows), batch):
            writer.begin()
            writer.write(table, columns, rows[offset:offset + batch])
            writer.commit()
    elapsed = time.perf_counter() - started
    writer.close()
    engine.dispose()
    return elapsed


def run(count: int, backends: list[str], redis_url: str) -> str:
    """Measure every way in on each backend; return the markdown table."""
    folder = report.SCRATCH / f"ingest-{count}"
    paths = sorted(folder.glob("*.txt")) if folder.is_dir() else []
    if len(paths) != count:
        for path in paths:
            path.unlink()
        paths = write_files(folder, count)
    started = time.perf_counter()
    prepared = [prepare(read_document(found.path)) for found in find_documents([folder])]
    extract_seconds = time.perf_counter() - started
    claims = sum(len(p.claims) for p in prepared)
    lines = [f"{count:,} synthetic documents, {claims:,} claims extracted "
             f"({sum(len(p.source.text) for p in prepared) / 2**20:.1f} MiB of text). Extraction alone, "
             f"in this process: {extract_seconds:.1f} s = {count / extract_seconds:,.0f} documents/s, "
             f"{claims / extract_seconds:,.0f} claims/s ({report.load()}). On this machine's "
             f"{os.cpu_count()} cores extraction alone bounds any way in at "
             f"{extract_seconds / os.cpu_count():.1f} s, which is the physical limit the ratios below are "
             "to be read against.", "",
             "| backend | way in | seconds | documents/s | claims/s | vs bulk insert | load |",
             "| --- | --- | ---: | ---: | ---: | ---: | --- |"]
    for backend in backends:
        measured = []
        for label, measure in (
            ("bulk insert of the same rows (reference)", lambda url: time_bulk(url, prepared)),
            ("`ingest.store` only (pre-extracted), a document to a transaction", lambda url: time_store(url, prepared)),
            (f"`ingest.store_many` only (pre-extracted), {BATCH_DOCUMENTS} documents to a transaction",
             lambda url: time_store(url, prepared, BATCH_DOCUMENTS)),
            ("`claimtrack ingest --jobs 1`", lambda url: time_cli(url, folder, 1)),
            ("`claimtrack ingest --jobs 2`", lambda url: time_cli(url, folder, 2)),
            ("`ingest --enqueue` + 2 × `claimtrack worker` (RQ, Redis)",
             lambda url: time_workers(url, folder, 2, redis_url)),
        ):
            url = report.scratch_database(backend, "claimtrack_bench_ingest")
            schema.upgrade(url)
            seconds = measure(url)
            stored = _counts(url)
            report.drop_database(url)
            if stored != (count, claims):
                raise RuntimeError(f"{label} on {backend} stored {stored}, expected {(count, claims)}")
            measured.append((label, seconds, report.load()))
            print(f"{backend:10} {label:45} {seconds:7.2f} s", file=sys.stderr)
        reference = measured[0][1]
        for label, seconds, load in measured:
            lines.append(f"| {backend} | {label} | {seconds:.2f} | {count / seconds:,.0f} | "
                         f"{claims / seconds:,.0f} | {reference / seconds:.0%} | {load} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Command line: run the ingest benchmark and record it in RESULTS.md."""
    parser = argparse.ArgumentParser(prog="python -m bench.ingest", description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=1000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14", help="Redis for the workers' queue")
    parser.add_argument("--no-write", action="store_true", help="print the figures without touching RESULTS.md")
    args = parser.parse_args(argv)
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    table = run(args.documents, backends, args.redis_url)
    command = f"python -m bench.ingest --documents {args.documents} --backend {args.backend}"
    body = report.header(command) + "\n" + table + "\n"
    print(body)
    if not args.no_write:
        report.write_section("Ingest throughput", body)


if __name__ == "__main__":
    main()
