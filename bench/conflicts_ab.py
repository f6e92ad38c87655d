"""A/B of conflict detection: two checkouts of the code timed on one corpus, alternated under one load.

usage: python -m bench.conflicts_ab --old TREE [--claims 1000000] [--backend sqlite|postgresql]
           [--rounds 2] [--repeats 5] [--online] [--dir DIR] [--prefix perf_ab] [--reuse] [--keep] [--json FILE]

TREE is another checkout of the project with its own `.venv` (e.g. `git worktree add ../oldkeys
5a0e656 && make -C ../oldkeys install-test`); "new" is this checkout (or `--new`, a copy of it
that later edits cannot reach, run with this interpreter). One corpus is generated with
`bench.generate` (this checkout's), its conflict groups cleared, and two base copies made: "new"
at this checkout's head, "old" migrated down to `--old-revision` (TREE's head). Both are then
rewritten compactly (PostgreSQL `VACUUM FULL`, SQLite `VACUUM`) so neither carries the other's
dropped columns or dead rows. Each round copies each base afresh (a file copy; `CREATE DATABASE
... TEMPLATE`) and runs one worker process per version, in the order old, new and then new, old, so
the machine's load falls on both alike. Each worker, with its version's code, times:

* untimed for the figures below but reported: a warm-up (one store with detection, rolled back),
  which loads what the version loads on first use;
* reference: a plain `SELECT` of the claim columns both detectors read (the same SQL for both);
* `rebuild` from scratch and its commit (every claim placed), then `ANALYZE` (untimed);
* one new document stored after that rebuild (40 restated facts, a tenth with another value, 10
  new ones): `ingest.store` without the detection hook (reference), the same store with the hook,
  and `detect_document` alone on the stored, not yet detected document: the first real
  detection of those claims, never a second pass. Each of the three is repeated `--repeats`
  times, rolled back each time; the first and the median are reported.

With `--online` the rebuild is timed as a lead's (from /jobs, or a plain `claimtrack conflicts
--rebuild`): with the indexes in place, never offline.

The rebuild and the detection alone are timed twice: wall-clock and the worker's CPU time
(`time.process_time`), which the machine's load barely moves (the database's own work, in the
PostgreSQL server, is not in it).

The load average is taken before and after each worker. Results are printed (one JSON line per
worker, then a table); `--json` appends the lines to a file. Databases made here are dropped at
the end unless `--keep`; `--reuse` takes the base copies a kept run left.
"""
import argparse
import inspect
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

HERE = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
PG_PREFIX = "perf_ab"
# The claim columns both versions' detectors read (the new one reads subject_key as well).
SCAN_SQL = (
    "SELECT id, document_id, group_id, group_pinned, conflict_open, status, rank, subject, measure, unit,"
    " kind, change, value, value_max, extracted_value, extracted_value_max, qualifier, quote,"
    " period_start, period_end FROM claims"
)
RESTATED = 40


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _timed(fn):
    t0 = time.perf_counter()
    result = fn()
    return time.perf_counter() - t0, result


def _clocked(fn):
    """Wall and CPU seconds of `fn`: the CPU time of this process, which the machine's load barely moves."""
    c0 = time.process_time()
    seconds, result = _timed(fn)
    return seconds, time.process_time() - c0, result


# --- worker: runs inside the version under test (its own interpreter, its own code) ---------------------

def _new_document(connection):
    """A document restating stored facts (a tenth with another value) and adding ten new ones."""
    from claimtrack import ingest
    from claimtrack.extract import ExtractedClaim
    from claimtrack.sources import DocumentSource, Metadata

    count = connection.scalar(sa.text("SELECT max(id) FROM claims"))
    step = max(1, count // RESTATED)
    rows = connection.execute(sa.text(
        "SELECT subject, measure, unit, value, quote, kind, change FROM claims"
        " WHERE id % :step = 1 ORDER BY id LIMIT :limit"), {"step": step, "limit": RESTATED}).all()
    facts = [(subject, measure, unit, value * 1.5 if i % 10 == 0 else value,
              f"{value * 1.5:g}" if i % 10 == 0 else quote, kind, change)
             for i, (subject, measure, unit, value, quote, kind, change) in enumerate(rows)]
    facts += [("Newtown", f"new measure {i}", "", float(i + 3), str(i + 3), "fact", None) for i in range(10)]
    parts, claims, position = [], [], 0
    for subject, measure, unit, value, quote, kind, change in facts:
        before = f"{subject} reported {measure} of "
        sentence = f"{before}{quote}. "
        start = position + len(before)
        claims.append(ExtractedClaim(
            start=start, end=start + len(quote), quote=quote, value=value, value_max=None, unit=unit,
            qualifier="=", change=change, period_start=None, period_end=None, subject=subject,
            measure=measure, measure_text=measure, kind=kind, confidence=0.8,
            sentence_start=position, sentence_end=position + len(sentence) - 1,
        ))
        parts.append(sentence)
        position += len(sentence)
    source = DocumentSource(text="".join(parts), file_name="bench-ab-new.txt", source="bench-ab",
                            media_type="text/plain", metadata=Metadata(title="Bench A/B new", published=None))
    return ingest.PreparedDocument(source, tuple(claims))


def _group_counts(connection) -> dict:
    return {
        "groups": connection.scalar(sa.text("SELECT count(*) FROM conflict_groups")),
        "open": connection.scalar(sa.text("SELECT count(*) FROM conflict_groups WHERE status = 'open'")),
        "placed": connection.scalar(sa.text("SELECT count(*) FROM claims WHERE group_id IS NOT NULL")),
        "conflict_open": connection.scalar(sa.text("SELECT count(*) FROM claims WHERE conflict_open")),
    }


def _analyze(engine) -> None:
    with engine.begin() as connection:
        connection.exec_driver_sql("ANALYZE")


def worker(url: str, repeats: int, online: bool = False) -> dict:
    """Time one version on one fresh copy of the corpus; return the figures."""
    from claimtrack import conflicts, ingest
    from claimtrack.database import make_engine, make_sessionmaker
    from models import Document

    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    out = {"load_before": _load(), "online": online}
    with sessions() as session:
        ready = _new_document(session.connection())
        session.rollback()
        hooks = list(ingest.AFTER_STORE)

        def warm_up():
            ingest.store(session, ready)
            session.rollback()

        # The first use in a process loads what each version loads lazily (the old one loads its
        # unit registry at import, the new one on first use, with its lemmatiser and word
        # frequencies): timed apart, so the rebuild and the new document time detection alone.
        out["warm_up"], _ = _timed(warm_up)
        out["scan"], out["claims"] = _timed(lambda: len(session.execute(sa.text(SCAN_SQL)).all()))
        session.rollback()

        def rebuild():
            # A version whose rebuild can run offline (nobody reviewing) is timed that way, unless
            # told to time a lead's rebuild: both versions then rebuild as fast as an operator can
            # make them.
            offline = not online and "offline" in inspect.signature(conflicts.rebuild).parameters
            report = conflicts.rebuild(session, **({"offline": True} if offline else {}))
            session.commit()
            return report

        out["rebuild"], out["rebuild_cpu"], report = _clocked(rebuild)
        out["rebuild_groups"] = report.groups
        out.update(_group_counts(session.connection()))
        session.rollback()
        # Statistics as a live database would have them once its groups are placed (the base
        # copies were analysed with no claim in a group), so the planner reads groups by index.
        out["analyze"], _ = _timed(lambda: _analyze(engine))
        plain, hooked, alone, alone_cpu, judged = [], [], [], [], None
        for _ in range(repeats):
            ingest.AFTER_STORE.clear()
            plain.append(_timed(lambda: ingest.store(session, ready))[0])
            session.rollback()
            ingest.AFTER_STORE.extend(hooks)
            hooked.append(_timed(lambda: ingest.store(session, ready))[0])
            after = _group_counts(session.connection())
            session.rollback()
            ingest.AFTER_STORE.clear()
            result = ingest.store(session, ready)
            session.flush()
            document = session.get(Document, result.document_id)
            seconds, cpu, detected = _clocked(lambda: conflicts.detect_document(session, document))
            alone.append(seconds)
            alone_cpu.append(cpu)
            judged = detected.groups
            session.rollback()
            ingest.AFTER_STORE.extend(hooks)
        out.update(store_plain=plain, store_hooked=hooked, detect_alone=alone, detect_alone_cpu=alone_cpu,
                   detect_groups=judged,
                   new_claims=len(ready.claims), after_document=after)
    engine.dispose()
    out["load_after"] = _load()
    return out


# --- driver: prepares the corpus and alternates the versions --------------------------------------------

class Backend:
    """Where the base and working copies live, and how they are copied and dropped."""

    def __init__(self, name: str, folder: Path, prefix: str = PG_PREFIX):
        self.name, self.folder, self.prefix = name, folder, prefix

    def url(self, label: str) -> str:
        if self.name == "sqlite":
            return f"sqlite:///{self.folder / label}.db"
        return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{self.prefix}_{label}"

    def _admin(self, sql: str) -> None:
        engine = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                connection.exec_driver_sql(sql)
        finally:
            engine.dispose()

    def exists(self, label: str) -> bool:
        if self.name == "sqlite":
            return (self.folder / f"{label}.db").exists()
        engine = sa.create_engine(PG_ADMIN_URL)
        try:
            with engine.connect() as connection:
                return bool(connection.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"),
                                              {"n": f"{self.prefix}_{label}"}))
        finally:
            engine.dispose()

    def create(self, label: str) -> None:
        self.drop(label)
        if self.name == "postgresql":
            self._admin(f"CREATE DATABASE {self.prefix}_{label}")

    def copy(self, source: str, label: str) -> None:
        self.drop(label)
        if self.name == "sqlite":
            shutil.copyfile(self.folder / f"{source}.db", self.folder / f"{label}.db")
        else:
            self._admin(f"CREATE DATABASE {self.prefix}_{label} TEMPLATE {self.prefix}_{source}")

    def drop(self, label: str) -> None:
        if self.name == "sqlite":
            for suffix in (".db", ".db-wal", ".db-shm"):
                (self.folder / f"{label}{suffix}").unlink(missing_ok=True)
        else:
            self._admin(f"DROP DATABASE IF EXISTS {self.prefix}_{label} WITH (FORCE)")

    def compact(self, label: str) -> None:
        """Rewrite the database compactly and refresh its statistics, so copies start alike."""
        engine = sa.create_engine(self.url(label), isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                if self.name == "sqlite":
                    connection.exec_driver_sql("VACUUM")
                    connection.exec_driver_sql("ANALYZE")
                    connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
                else:
                    connection.exec_driver_sql("VACUUM FULL")
                    connection.exec_driver_sql("VACUUM ANALYZE")
        finally:
            engine.dispose()


def clear_groups(url: str) -> None:
    """Forget every conflict group, so a rebuild places every claim from scratch."""
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql("UPDATE claims SET group_id = NULL, conflict_open = false"
                                       " WHERE group_id IS NOT NULL OR conflict_open")
            connection.exec_driver_sql("DELETE FROM resolutions")
            connection.exec_driver_sql("UPDATE conflict_groups SET merged_into_id = NULL")
            connection.exec_driver_sql("DELETE FROM conflict_groups")
    finally:
        engine.dispose()


def prepare(backend: Backend, claims: int, old_revision: str, old_python: Path, old_tree: Path) -> dict:
    """Generate the corpus once and make the two base copies; return what was generated."""
    from bench.generate import generate
    from claimtrack import schema

    backend.create("base_new")
    url = backend.url("base_new")
    seconds, stats = _timed(lambda: generate(url, claims=claims))
    print(f"[{backend.name}] generated in {seconds:.0f}s: {stats.summary()}", file=sys.stderr, flush=True)
    clear_groups(url)
    backend.copy("base_new", "base_old")
    schema.downgrade(backend.url("base_old"), old_revision)
    # The old checkout must find its own schema exactly.
    subprocess.run([str(old_python), "-c", "import sys; from claimtrack import schema; schema.check(sys.argv[1])",
                    backend.url("base_old")], cwd=old_tree, env=_env(old_tree), check=True)
    for label in ("base_new", "base_old"):
        backend.compact(label)
    return {"documents": stats.documents, "generate_seconds": round(seconds, 1)}


def _env(tree: Path) -> dict:
    return {**os.environ, "PYTHONPATH": str(tree)}


def run_worker(python: Path, tree: Path, url: str, repeats: int, online: bool = False) -> dict:
    """Run the worker with one version's interpreter and code; return its figures."""
    result = subprocess.run(
        [str(python), str(Path(__file__).resolve()), "--worker", url, "--repeats", str(repeats),
         *(["--online"] if online else [])],
        cwd=tree, env=_env(tree), capture_output=True, text=True,
    )
    if result.returncode:
        raise RuntimeError(f"worker in {tree} failed:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def _ms(values: list[float]) -> str:
    return f"{values[0] * 1000:.0f} / {statistics.median(values) * 1000:.0f}"


def summary(rows: list[dict]) -> str:
    """The rounds as a Markdown table."""
    lines = [
        "| Round | Version | Load before -> after | SELECT | Rebuild | Rebuild CPU | Rebuild / SELECT | Groups (open) |"
        " Store, no hook (first / median ms) | Store + hook | Detection alone | Detection alone CPU |"
        " Hooked / plain (median) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['round']} | {r['version']} | {r['load_before'][0]:.1f} -> {r['load_after'][0]:.1f} |"
            f" {r['scan']:.1f} s | {r['rebuild']:.1f} s | {r['rebuild_cpu']:.2f} s | {r['rebuild'] / r['scan']:.2f}x |"
            f" {r['groups']:,} ({r['open']:,}) | {_ms(r['store_plain'])} | {_ms(r['store_hooked'])} |"
            f" {_ms(r['detect_alone'])} | {_ms(r['detect_alone_cpu'])} |"
            f" {statistics.median(r['store_hooked']) / statistics.median(r['store_plain']):.2f}x |"
        )
    return "\n".join(lines)


def main() -> None:
    """Command line (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--old", type=Path, help="the other checkout (with its own .venv)")
    parser.add_argument("--new", type=Path, default=HERE,
                        help="the checkout timed as new (default: this one), run with this interpreter")
    parser.add_argument("--old-revision", default="0007", help="the other checkout's migration head")
    parser.add_argument("--claims", type=int, default=1_000_000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--dir", type=Path, help="folder for SQLite files (default: a temporary one)")
    parser.add_argument("--reuse", action="store_true", help="use the base copies a --keep run left")
    parser.add_argument("--keep", action="store_true", help="keep the base copies")
    parser.add_argument("--prefix", default=PG_PREFIX, help="PostgreSQL database names start with this")
    parser.add_argument("--json", type=Path, help="append each worker's figures to this file")
    parser.add_argument("--online", action="store_true", help="time a lead's rebuild (indexes in place)")
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.repeats, args.online)))
        return
    if args.old is None:
        parser.error("--old TREE is required")
    folder = args.dir or Path(tempfile.mkdtemp(prefix="claimtrack-ab-"))
    folder.mkdir(parents=True, exist_ok=True)
    backend = Backend(args.backend, folder, args.prefix)
    versions = {"old": (args.old.resolve() / ".venv/bin/python", args.old.resolve()),
                "new": (Path(sys.executable), args.new.resolve())}
    rows = []
    try:
        if args.reuse and backend.exists("base_new") and backend.exists("base_old"):
            corpus = {"reused": True}
        else:
            corpus = prepare(backend, args.claims, args.old_revision, *versions["old"])
        print(f"[{backend.name}] corpus: {corpus}", file=sys.stderr, flush=True)
        for round_ in range(1, args.rounds + 1):
            for version in ("old", "new") if round_ % 2 else ("new", "old"):
                backend.copy(f"base_{version}", version)
                try:
                    figures = run_worker(*versions[version], backend.url(version), args.repeats, args.online)
                finally:
                    backend.drop(version)
                row = {"backend": backend.name, "round": round_, "version": version, **figures}
                print(json.dumps(row), flush=True)
                if args.json:
                    with args.json.open("a", encoding="utf-8") as out:
                        out.write(json.dumps(row) + "\n")
                rows.append(row)
    finally:
        if not args.keep:
            backend.drop("base_new")
            backend.drop("base_old")
            if args.dir is None:
                shutil.rmtree(folder, ignore_errors=True)
    print(summary(rows))


if __name__ == "__main__":
    main()
