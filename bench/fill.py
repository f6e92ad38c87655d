"""Fill a database with N synthetic claims fast (Core executemany; COPY on PostgreSQL).

Reusable by any benchmark: `fill(url, claims)` migrates the database at `url` and adds
`claims // PER_DOCUMENT` documents, each with PER_DOCUMENT claims on real spans of its text,
confidences spread over [0, 1) and about 1% of claims in an open conflict. Bulk inserts skip
the ORM's flush checks, so the rows are built to satisfy them (quote == text[start:end]).
"""
import hashlib
import io
import random
from datetime import datetime, timezone

import sqlalchemy as sa

from claimtrack import schema
from claimtrack.database import make_engine
from models import Document

PER_DOCUMENT = 1000
CHUNK = 20_000
CLAIM_COLUMNS = (
    "document_id", "start", "end", "quote", "prefix", "suffix", "sentence_start", "sentence_end",
    "value", "unit", "qualifier", "subject", "measure", "kind",
    "extracted_value", "extracted_unit", "extracted_qualifier", "extracted_subject", "extracted_measure",
    "extracted_kind", "measure_text", "confidence", "extractor_version", "status", "group_pinned", "rank",
    "rank_reason", "conflict_open", "version", "created_at", "updated_at",
)


def _claim_rows(document_ids: list[int], text_length: int, seed: int):
    rng = random.Random(seed)
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    for document_id in document_ids:
        for i in range(PER_DOCUMENT):
            yield (document_id, 2 * i, 2 * i + 1, "7", "", "", 0, text_length, 7.0, "", "=", "Gansu",
                   f"measure {i % 50}", "fact", 7.0, "", "=", "Gansu", f"measure {i % 50}", "fact", "",
                   rng.random(), "bench", "pending", False, "normal", "", rng.random() < 0.01, 1, now, now)


def fill(url: str, claims: int, seed: int = 1) -> None:
    """Migrate `url` and add `claims` pending claims over claims/PER_DOCUMENT documents."""
    schema.upgrade(url)
    engine = make_engine(url)
    text = "7 " * PER_DOCUMENT
    documents = max(1, claims // PER_DOCUMENT)
    try:
        with engine.begin() as connection:
            start = connection.scalar(sa.select(sa.func.coalesce(sa.func.max(Document.id), 0)))
            connection.execute(sa.insert(Document), [
                {"sha256": hashlib.sha256(f"bench {start + i}".encode()).hexdigest(),
                 "file_name": f"bench{start + i}.txt", "title": f"Bench document {start + i}", "author": "",
                 "publisher": "", "source": "", "source_note": "", "media_type": "text/plain", "text": text,
                 "char_count": len(text), "extractor_version": "bench",
                 "ingested_at": datetime.now(timezone.utc)}
                for i in range(1, documents + 1)])
            ids = list(connection.scalars(sa.select(Document.id).where(Document.id > start).order_by(Document.id)))
        rows = _claim_rows(ids, len(text), seed)
        if engine.dialect.name == "postgresql":
            _copy(engine, rows)
        else:
            _executemany(engine, rows)
        with engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")
    finally:
        engine.dispose()


def _executemany(engine: sa.Engine, rows) -> None:
    placeholders = ", ".join("?" for _ in CLAIM_COLUMNS)
    columns = ", ".join(f'"{c}"' for c in CLAIM_COLUMNS)
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("BEGIN")
        batch = []
        for row in rows:
            batch.append(tuple(r.isoformat(" ") if isinstance(r, datetime) else r for r in row))
            if len(batch) == CHUNK:
                cursor.executemany(f"INSERT INTO claims ({columns}) VALUES ({placeholders})", batch)
                batch = []
        if batch:
            cursor.executemany(f"INSERT INTO claims ({columns}) VALUES ({placeholders})", batch)
        cursor.execute("COMMIT")
    finally:
        raw.close()


def _copy(engine: sa.Engine, rows) -> None:
    columns = ", ".join(f'"{c}"' for c in CLAIM_COLUMNS)
    raw = engine.raw_connection()
    try:
        with raw.cursor() as cursor, cursor.copy(f"COPY claims ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        raw.commit()
    finally:
        raw.close()

