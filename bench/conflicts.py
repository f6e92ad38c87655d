"""Conflict detection at scale: a full rebuild over many claims, and one new document.

usage: python -m bench.conflicts [--claims 1000000] [--url URL] [--no-write]

Fills a fresh database (a temporary SQLite file unless --url names an empty one) with
`bench.generate`'s corpus (subjects and measures restated across documents, about a quarter of
the facts disputed, currencies that must not mix, stated years and quarters), then clears its
conflict groups so detection starts from nothing. Then times, in the same run:

* reference: a plain SELECT of the claim columns detection reads, and a GROUP BY of the keys;
* `claimtrack.conflicts.rebuild` from scratch (every claim placed) and again (nothing to change);
* one new document through `claimtrack.ingest.store`, whose AFTER_STORE hook detects
  incrementally, against the same store without the hook.

It prints the figures and rewrites the "## Conflict detection" section of bench/RESULTS.md.
"""
import argparse
import os
import re
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from bench.generate import generate
from claimtrack import conflicts, ingest
from claimtrack.database import make_engine, make_sessionmaker
from claimtrack.extract import ExtractedClaim
from claimtrack.sources import DocumentSource, Metadata
from models import Claim, ConflictGroup, Document, Resolution

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
SECTION = "## Conflict detection"
# The new document restates this many stored facts (every tenth with another value) and adds ten.
RESTATED = 40


def clear_groups(session) -> None:
    """Forget every conflict group, so the next rebuild places every claim from scratch."""
    session.execute(sa.update(Claim).values(group_id=None, conflict_open=False))
    session.execute(sa.delete(Resolution))
    session.execute(sa.update(ConflictGroup).values(merged_into_id=None))
    session.execute(sa.delete(ConflictGroup))
    session.commit()


def new_document(session) -> ingest.PreparedDocument:
    """A document restating facts already stored: most agree, a few disagree, a few are new."""
    count = session.scalar(sa.select(sa.func.max(Claim.id)))
    ids = range(1, count + 1, max(1, count // RESTATED))
    rows = session.execute(
        sa.select(Claim.subject, Claim.measure, Claim.unit, Claim.value, Claim.quote, Claim.kind, Claim.change)
        .where(Claim.id.in_(ids)).order_by(Claim.id).limit(RESTATED)
    ).all()
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
    source = DocumentSource(text="".join(parts), file_name="bench-new.txt", source="bench",
                            media_type="text/plain", metadata=Metadata(title="Bench new", published=None))
    return ingest.PreparedDocument(source, tuple(claims))


def _load() -> str:
    """The load average now, as `uptime` prints it."""
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def timed(fn):
    """Seconds taken by fn, and its result."""
    t0 = time.perf_counter()
    result = fn()
    return time.perf_counter() - t0, result


def main() -> None:
    """Run the benchmark and record it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=1_000_000)
    parser.add_argument("--url", help="an empty database (default: a temporary SQLite file)")
    parser.add_argument("--no-write", action="store_true", help="print only; leave bench/RESULTS.md alone")
    args = parser.parse_args()
    folder = tempfile.TemporaryDirectory(prefix="claimtrack-bench-")
    url = args.url or f"sqlite:///{folder.name}/bench.db"
    fill_seconds, stats = timed(lambda: generate(url, claims=args.claims))
    print(f"generated in {fill_seconds:.1f}s: {stats.summary()}", file=sys.stderr)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    backend = engine.dialect.name
    documents = stats.documents
    with sessions() as session:
        clear_groups(session)
        if backend == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.exec_driver_sql("VACUUM ANALYZE claims")
        load_before = _load()
        scan_seconds, scanned = timed(lambda: len(session.execute(sa.select(*conflicts.detect.CLAIM_COLUMNS)).all()))
        group_by_seconds, keys = timed(lambda: len(session.execute(
            sa.select(Claim.subject, Claim.measure, Claim.unit, sa.func.count())
            .group_by(Claim.subject, Claim.measure, Claim.unit)).all()))
        session.rollback()
        cold_seconds, cold = timed(lambda: conflicts.rebuild(session))
        session.commit()
        warm_seconds, warm = timed(lambda: conflicts.rebuild(session))
        session.commit()
        ready = new_document(session)
        session.rollback()
        hooks = list(ingest.AFTER_STORE)
        ingest.AFTER_STORE.clear()
        plain_seconds, _ = timed(lambda: ingest.store(session, ready))
        session.rollback()
        ingest.AFTER_STORE.extend(hooks)
        incremental_seconds, result = timed(lambda: ingest.store(session, ready))
        document = session.get(Document, result.document_id)
        detect_seconds, report = timed(lambda: conflicts.detect_document(session, document))
        session.commit()
        open_groups = session.scalar(sa.select(sa.func.count()).where(ConflictGroup.status == "open"))
        load_after = _load()
    engine.dispose()
    figures = {
        "backend": backend, "claims": scanned, "documents": documents, "keys": keys,
        "scan": scan_seconds, "group_by": group_by_seconds, "cold": cold_seconds, "warm": warm_seconds,
        "groups": cold.groups, "open": open_groups, "plain_store": plain_seconds,
        "store_with_detection": incremental_seconds, "detect_document": detect_seconds,
        "incremental_groups": report.groups, "new_claims": len(ready.claims),
        "load_before": load_before, "load_after": load_after,
    }
    for name, value in figures.items():
        print(f"{name}: {value:.3f}" if isinstance(value, float) else f"{name}: {value}")
    if not args.no_write:
        record(figures, args)


def record(f: dict, args) -> None:
    """Rewrite this backend's part of this benchmark's section of bench/RESULTS.md, keeping the rest."""
    command = ".venv/bin/python -m bench.conflicts" + (
        f" --claims {args.claims}" if args.claims != 1_000_000 else "") + (" --url URL" if args.url else "")
    part = f"""### {f['backend']}

{f['claims']:,} claims in {f['documents']:,} documents from `bench.generate` ({f['keys']:,}
subject/measure/unit keys), conflict groups cleared first. Command: `{command}`. Load average
(1, 5, 15 min) before: {f['load_before']}; after: {f['load_after']}.

| Run | Time | Reference in the same run | Ratio |
|---|---|---|---|
| Full detection from scratch (`rebuild`, every claim placed, {f['groups']:,} groups created, {f['open']:,} open) | {f['cold']:.1f} s | plain `SELECT` of the same claim columns: {f['scan']:.1f} s | {f['cold'] / f['scan']:.1f}x |
| Full detection again (nothing changes) | {f['warm']:.1f} s | `GROUP BY subject, measure, unit`: {f['group_by']:.1f} s | {f['warm'] / f['group_by']:.1f}x |
| One new document ({f['new_claims']} claims): `ingest.store` with the detection hook | {f['store_with_detection'] * 1000:.0f} ms | the same store without the hook: {f['plain_store'] * 1000:.0f} ms | {f['store_with_detection'] / f['plain_store']:.1f}x |
| Incremental detection alone for that document ({f['incremental_groups']} groups judged) | {f['detect_document'] * 1000:.0f} ms | full detection above | 1/{f['warm'] / f['detect_document']:,.0f} |

"""
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
    section = re.compile(rf"^{re.escape(SECTION)}\n.*?(?=^## |\Z)", re.S | re.M)
    if not section.search(text):
        text = text.rstrip("\n") + f"\n\n{SECTION}\n\nTargets: full detection over 1M claims <= 60 s; one new document <= 100 ms.\n\n"
    body = section.search(text).group()
    subsection = re.compile(rf"^### {f['backend']}\n.*?(?=^### |\Z)", re.S | re.M)
    body = subsection.sub(lambda _: part, body) if subsection.search(body) else body.rstrip("\n") + "\n\n" + part
    text = section.sub(lambda _: body, text)
    RESULTS.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
