"""Storing documents and their extracted claims: the one path every ingest takes.

Split in two so extraction can run in worker processes: `prepare` (in `claimtrack.prepare`)
is pure (text in, claims out) and `store` writes one document and its claims in the caller's
transaction.
"""
import pickle
import subprocess
import sys
from dataclasses import dataclass

import sqlalchemy as sa
import sqlalchemy.orm as so

from models import Claim, Document

from . import conflicts, references, search, triage
from .extract import EXTRACTOR_VERSION, ExtractedClaim
from .extract.entities import subject_key
from .prepare import PreparedDocument, prepare
from .sources import DocumentSource

CONTEXT_CHARS = 32
# Documents longer than this are extracted in a child process by `prepare_apart`; shorter ones
# take less time to extract than a process takes to start.
APART_CHARS = 256 * 1024


@dataclass(frozen=True)
class IngestResult:
    """What happened to one document: `added` or `duplicate`."""

    status: str
    document_id: int
    file_name: str
    claims: int
    skipped: int = 0  # sentences left out because the extractor failed on them


def prepare_apart(source: DocumentSource) -> PreparedDocument:
    """`prepare`, in a child process when the document is long (for servers: uploads).

    Extraction is pure Python: in a threaded server a 5 MiB document would hold the interpreter
    lock for seconds and slow every other request of that process.
    """
    if len(source.text) < APART_CHARS:
        return prepare(source)
    done = subprocess.run([sys.executable, "-m", "claimtrack.extract_child"], input=pickle.dumps(source),
                          capture_output=True)
    if done.returncode != 0:
        last = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:]
        raise RuntimeError(f"extraction in a child process failed: {' '.join(last)}")
    return pickle.loads(done.stdout)


def claim_values(text: str, extracted: ExtractedClaim) -> dict:
    """The columns of a new claim on `text`, holding the extraction both as extracted and as current values."""
    fields = {
        "value": extracted.value,
        "value_max": extracted.value_max,
        "uncertainty": extracted.uncertainty,
        "unit": extracted.unit,
        "qualifier": extracted.qualifier,
        "change": extracted.change,
        "period_start": extracted.period_start,
        "period_end": extracted.period_end,
        "subject": extracted.subject[:200],
        "measure": extracted.measure[:200],
        "kind": extracted.kind,
    }
    return {
        "start": extracted.start,
        "end": extracted.end,
        "quote": extracted.quote,
        "prefix": text[max(0, extracted.start - CONTEXT_CHARS):extracted.start],
        "suffix": text[extracted.end:extracted.end + CONTEXT_CHARS],
        "sentence_start": extracted.sentence_start,
        "sentence_end": extracted.sentence_end,
        "measure_text": extracted.measure_text[:500],
        "measure_variant": extracted.measure_variant[:200],
        "confidence": extracted.confidence,
        "extractor_version": EXTRACTOR_VERSION,
        **fields,
        **{f"extracted_{name}": value for name, value in fields.items()},
        # Given here, not derived by the model's validator from the name alone (a bulk insert runs
        # no validators): the extractor's key also knows which place the name was read as.
        "subject_key": extracted.subject_key or subject_key(fields["subject"]),
        "worth": triage.worth(extracted.quote, extracted.value, extracted.unit, fields["subject"], fields["measure"]),
    }


def find_duplicate(session: so.Session, source: DocumentSource) -> Document | None:
    """The stored document with the same text, if any."""
    return session.scalar(sa.select(Document).where(Document.sha256 == source.sha256))


def store(session: so.Session, prepared: PreparedDocument) -> IngestResult:
    """Add one document and its claims to the session (the caller commits), unless already stored.

    The same text stored at the same moment by someone else is a duplicate too: the insert waits
    for their transaction, then meets the unique SHA-256 and is undone to a savepoint.
    """
    source = prepared.source
    if existing := find_duplicate(session, source):
        return _duplicate(existing)
    meta = source.metadata
    document = Document(
        sha256=source.sha256,
        file_name=source.file_name,
        title=source.title[:500],
        author=meta.author,
        publisher=meta.publisher,
        source=source.source[:1000],
        source_note=meta.source_note,
        media_type=source.media_type,
        published=meta.published,
        text=source.text,
        char_count=len(source.text),
        extractor_version=EXTRACTOR_VERSION,
    )
    rows = [claim_values(source.text, c) for c in prepared.claims]
    try:
        with session.begin_nested():
            session.add(document)
    except sa.exc.IntegrityError:
        if existing := find_duplicate(session, source):
            return _duplicate(existing)
        raise
    if rows:
        # One multi-row INSERT: a long document's claims take a fraction of the time the unit of
        # work needs, and the database's write lock is held that much shorter.
        with search.pipeline_indexed(session, document.id, document.text, document.title):
            session.execute(sa.insert(Claim), [{**row, "document_id": document.id} for row in rows])
    for hook in AFTER_STORE:
        hook(session, document)
    return IngestResult("added", document.id, document.file_name, len(prepared.claims), len(prepared.skipped))


def _duplicate(existing: Document) -> IngestResult:
    """The result for text already stored as `existing`."""
    return IngestResult("duplicate", existing.id, existing.file_name, 0)


def ingest(session: so.Session, source: DocumentSource) -> IngestResult:
    """Extract and store one document (the caller commits)."""
    if existing := find_duplicate(session, source):
        return _duplicate(existing)
    return store(session, prepare(source))


# Work that follows each stored document inside its transaction, so every ingest path runs it.
AFTER_STORE: list = [conflicts.detect_document, references.match_document]
