"""Conflict detection at scale: a full rebuild over many claims, and one new document.

usage: python -m bench.conflicts [--claims 1000000] [--url URL] [--keep]

Fills a fresh database (a temporary SQLite file unless --url names an empty one) with
synthetic claims: many subjects and measures, units that convert (km and miles) and that must
not mix (CNY and USD), periods stated or not, most values agreeing within their precision and
a few percent disagreeing. Then times, in the same run:

* reference: a plain SELECT of the claim columns detection reads, and a GROUP BY of the keys;
* `claimtrack.conflicts.rebuild` from scratch (every claim placed) and again (nothing to change);
* one new document through `claimtrack.ingest.store`, whose AFTER_STORE hook detects
  incrementally, against the same store without the hook.

It prints the figures and rewrites the "## Conflict detection" section of bench/RESULTS.md.
"""
import argparse
import hashlib
import random
import re
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import sqlalchemy as sa

from claimtrack import conflicts, ingest, schema
from claimtrack.database import make_engine, make_sessionmaker
from claimtrack.extract import ExtractedClaim
from claimtrack.sources import DocumentSource, Metadata
from models import Claim, ConflictGroup, Document

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
SECTION = "## Conflict detection"
CLAIMS_PER_DOCUMENT = 50
# Share of values that disagree with their key's true value.
OFF_SHARE = 0.01
UNITS = [("", 1.0, ""), ("", 1.0, ""), ("%", 1.0, "%"), ("km", 1.0, " km"), ("mi", 1 / 1.609344, " miles"),
         ("CNY", 1.0, " yuan"), ("USD", 1.0, " dollars"), ("t", 1.0, " tons")]
MEASURES = ["export", "import", "route", "sister city", "port", "railway length", "highway length", "gdp",
            "population", "enterprise", "project", "investment", "tourist", "flight", "school", "hospital",
            "student", "patent", "cargo throughput", "passenger"]


def _number(value: float, unit: str) -> str:
    """How a document would write the value."""
    if unit == "" and value == int(value):
        return f"{int(value):,}"
    return f"{value:.1f}"


def fill(session, n_claims: int, seed: int = 7) -> int:
    """Insert synthetic documents and claims with bulk Core inserts; return the document count."""
    rng = random.Random(seed)
    n_keys = max(n_claims // 20, 1)
    keys = []
    for k in range(n_keys):
        subject = f"Region {k // 200:05d}"
        measure = f"{MEASURES[k % len(MEASURES)]} {k // len(MEASURES) % 10}"
        unit, factor, spelled = UNITS[k % len(UNITS)]
        keys.append((subject, measure, unit, factor, spelled, rng.uniform(10, 900)))
    documents = (n_claims + CLAIMS_PER_DOCUMENT - 1) // CLAIMS_PER_DOCUMENT
    doc_table, claim_table = Document.__table__, Claim.__table__
    made = 0
    for first_doc in range(0, documents, 2000):
        doc_rows, claim_rows = [], []
        for d in range(first_doc, min(first_doc + 2000, documents)):
            parts, position = [], 0
            for _ in range(min(CLAIMS_PER_DOCUMENT, n_claims - made)):
                subject, measure, unit, factor, spelled, base = keys[rng.randrange(n_keys)]
                year = rng.choice([None, None, 2022, 2023])
                value = base * factor
                if rng.random() < OFF_SHARE:
                    value *= rng.choice([0.7, 1.4])
                value = round(value) if unit == "" else round(value, 1)
                quote = _number(value, unit) + spelled
                sentence = f"{subject} had {quote} of {measure}{f' in {year}' if year else ''}. "
                start = position + len(subject) + 5
                fields = {
                    "value": float(value), "value_max": None, "unit": unit, "qualifier": "=", "change": None,
                    "period_start": date(year, 1, 1) if year else None,
                    "period_end": date(year, 12, 31) if year else None,
                    "subject": subject, "measure": measure, "kind": "fact",
                }
                claim_rows.append({
                    "document_id": d + 1, "start": start, "end": start + len(quote), "quote": quote,
                    "sentence_start": position, "sentence_end": position + len(sentence),
                    "confidence": 0.8, "extractor_version": "bench", **fields,
                    **{f"extracted_{k}": v for k, v in fields.items()},
                })
                parts.append(sentence)
                position += len(sentence)
                made += 1
            text = "".join(parts)
            doc_rows.append({"id": d + 1, "sha256": hashlib.sha256(f"{d}{text}".encode()).hexdigest(),
                             "file_name": f"bench-{d:06d}.txt", "title": f"Bench {d}", "text": text,
                             "char_count": len(text), "published": date(2024, 1, 1)})
        session.execute(sa.insert(doc_table), doc_rows)
        session.execute(sa.insert(claim_table), claim_rows)
        session.commit()
    return documents


def new_document(session) -> DocumentSource:
    """A document restating facts already stored: most agree, a few disagree, a few are new."""
    rows = session.execute(
        sa.select(Claim.subject, Claim.measure, Claim.unit, Claim.value, Claim.quote).order_by(Claim.id).limit(40)
    ).all()
    sentences = [f"{s} had {int(v * 1.5) if u == '' else v * 1.5:.1f}{re.sub(r'^[0-9.,]+', '', q)} of {m}. "
                 if i % 10 == 0 else f"{s} had {q} of {m}. " for i, (s, m, u, v, q) in enumerate(rows)]
    sentences += [f"Newtown had {i + 3} of new measure {i}. " for i in range(10)]
    text = "".join(sentences)
    return DocumentSource(text=text, file_name="bench-new.txt", source="bench", media_type="text/plain",
                          metadata=Metadata(title="Bench new", published=date(2024, 6, 1)))


def prepared(source: DocumentSource, session) -> ingest.PreparedDocument:
    """The new document's claims, built from the stored claims they restate (no extractor needed)."""
    claims, position = [], 0
    for sentence in re.findall(r".*?\. ", source.text):
        subject, rest = sentence.split(" had ", 1)
        quote, measure = rest[:-2].split(" of ", 1)
        number = re.match(r"[0-9.,]+", quote).group()
        unit = session.scalar(sa.select(Claim.unit).where(Claim.subject == subject, Claim.measure == measure).limit(1)) or ""
        start = position + len(subject) + 5
        claims.append(ExtractedClaim(
            start=start, end=start + len(quote), quote=quote, value=float(number.replace(",", "")), value_max=None,
            unit=unit, qualifier="=", change=None, period_start=None, period_end=None, subject=subject,
            measure=measure, measure_text=measure, kind="fact", confidence=0.8,
            sentence_start=position, sentence_end=position + len(sentence),
        ))
        position += len(sentence)
    return ingest.PreparedDocument(source, tuple(claims))


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
    schema.upgrade(url)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    backend = engine.dialect.name
    with sessions() as session:
        fill_seconds, documents = timed(lambda: fill(session, args.claims))
        print(f"filled {args.claims:,} claims in {documents:,} documents in {fill_seconds:.1f}s", file=sys.stderr)
        scan_seconds, scanned = timed(lambda: len(session.execute(sa.select(*conflicts._CLAIM_COLUMNS)).all()))
        group_by_seconds, keys = timed(lambda: len(session.execute(
            sa.select(Claim.subject, Claim.measure, Claim.unit, sa.func.count())
            .group_by(Claim.subject, Claim.measure, Claim.unit)).all()))
        session.rollback()
        cold_seconds, cold = timed(lambda: conflicts.rebuild(session))
        session.commit()
        warm_seconds, warm = timed(lambda: conflicts.rebuild(session))
        session.commit()
        source = new_document(session)
        ready = prepared(source, session)
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
    engine.dispose()
    figures = {
        "backend": backend, "claims": scanned, "documents": documents, "keys": keys,
        "scan": scan_seconds, "group_by": group_by_seconds, "cold": cold_seconds, "warm": warm_seconds,
        "groups": cold.groups, "open": open_groups, "plain_store": plain_seconds,
        "store_with_detection": incremental_seconds, "detect_document": detect_seconds,
        "incremental_groups": report.groups, "new_claims": len(ready.claims),
    }
    for name, value in figures.items():
        print(f"{name}: {value:.3f}" if isinstance(value, float) else f"{name}: {value}")
    if not args.no_write:
        record(figures, args)


def record(f: dict, args) -> None:
    """Rewrite this benchmark's section of bench/RESULTS.md, keeping the others."""
    command = ".venv/bin/python -m bench.conflicts" + (
        f" --claims {args.claims}" if args.claims != 1_000_000 else "") + (" --url URL" if args.url else "")
    section = f"""{SECTION}

`claimtrack.conflicts` on {f['backend']}, {f['claims']:,} synthetic claims in {f['documents']:,} documents
({f['keys']:,} subject/measure/unit keys; km and miles, CNY and USD, stated and unstated years, ~1% of
values off). Machine: 2 cores, 24 GiB, shared. Command: `{command}`.

| Run | Time | Reference in the same run | Ratio |
|---|---|---|---|
| Full detection from scratch (`rebuild`, every claim placed, {f['groups']:,} groups created, {f['open']:,} open) | {f['cold']:.1f} s | plain `SELECT` of the same claim columns: {f['scan']:.1f} s | {f['cold'] / f['scan']:.1f}x |
| Full detection again (nothing changes) | {f['warm']:.1f} s | `GROUP BY subject, measure, unit`: {f['group_by']:.1f} s | {f['warm'] / f['group_by']:.1f}x |
| One new document ({f['new_claims']} claims): `ingest.store` with the detection hook | {f['store_with_detection'] * 1000:.0f} ms | the same store without the hook: {f['plain_store'] * 1000:.0f} ms | {f['store_with_detection'] / f['plain_store']:.1f}x |
| Incremental detection alone for that document ({f['incremental_groups']} groups judged) | {f['detect_document'] * 1000:.0f} ms | full detection above | 1/{f['warm'] / f['detect_document']:,.0f} |

Targets: full detection over 1M claims <= 60 s; one new document <= 100 ms.
"""
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
    pattern = re.compile(rf"^{re.escape(SECTION)}\n.*?(?=^## |\Z)", re.S | re.M)
    text = pattern.sub(section + "\n", text) if pattern.search(text) else text.rstrip("\n") + "\n\n" + section
    RESULTS.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
