"""Storing documents and their extracted claims: the one path every ingest takes.

Split in two so extraction can run in worker processes: `prepare` (in `claimtrack.prepare`)
is pure (text in, claims out) and `store_many` writes a batch of documents and their claims in
the caller's transaction (`store`, one document).
"""
import pickle
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
import sqlalchemy.orm as so

from models import Claim, Document

from . import conflicts, references, search, triage
from .database import bulk_insert, with_defaults
from .extract import EXTRACTOR_VERSION, ExtractedClaim
from .extract.entities import subject_key
from .prepare import PreparedDocument, prepare
from .sources import DocumentSource

CONTEXT_CHARS = 32
# Documents longer than this are extracted in a child process by `prepare_apart`; shorter ones
# take less time to extract than a process takes to start.
APART_CHARS = 256 * 1024
# A backlog is stored this many documents, of at most this many bytes together, to a transaction
# (`store_many`: one conflict check per batch). The byte bound keeps a batch's extraction short, so
# no document waits long behind the others of its batch.
BATCH_DOCUMENTS = 20
BATCH_BYTES = 512 * 1024


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
    """Add one document and its claims to the session (the caller commits), unless already stored."""
    return store_many(session, [prepared])[0]


def store_many(session: so.Session, batch: Sequence[PreparedDocument]) -> list[IngestResult]:
    """Add these documents and their claims to the session (the caller commits); a result for each, in order.

    The batch is written set by set: the new documents, then every claim of theirs in one COPY
    (one executemany on SQLite), their search rows, and one conflict check and one reference match
    over all of them (`AFTER_STORE`), so a backlog of small documents costs a few round trips per batch
    instead of some twenty per document. A text already stored, or twice in the batch, is a
    duplicate of the first copy. The same text stored at the same moment by someone else is a
    duplicate too: the insert waits for their transaction, meets the unique SHA-256 and is undone
    to a savepoint.
    """
    batch = list(batch)
    stored = {d.sha256: d for d in session.scalars(
        sa.select(Document).where(Document.sha256.in_({p.source.sha256 for p in batch})))} if batch else {}
    new: dict[str, tuple[Document, PreparedDocument]] = {}
    # In the batch's order, so documents are numbered as their files came. Two batches holding the same
    # new texts in opposite orders could wait on each other's unique index entries: PostgreSQL ends
    # that deadlock and the job runner retries the batch.
    for prepared in batch:
        sha = prepared.source.sha256
        if sha not in stored and sha not in new:
            new[sha] = (_document(prepared.source), prepared)
    documents = [document for document, _ in new.values()]
    try:
        with session.begin_nested():
            session.add_all(documents)
    except sa.exc.IntegrityError:
        # Someone else committed one of these texts meanwhile: add them one at a time to see which.
        documents = []
        for sha, (document, prepared) in list(new.items()):
            fresh = _document(prepared.source)
            try:
                with session.begin_nested():
                    session.add(fresh)
            except sa.exc.IntegrityError:
                if (existing := find_duplicate(session, prepared.source)) is None:
                    raise
                stored[sha] = existing
                del new[sha]
                continue
            new[sha] = (fresh, prepared)
            documents.append(fresh)
    rows = [{**claim_values(prepared.source.text, c), "document_id": document.id}
            for document, prepared in new.values() for c in prepared.claims]
    if rows:
        # COPY on PostgreSQL, one executemany on SQLite: the batch's claims take a fraction of the time
        # the unit of work (or even a multi-row INSERT) needs, and the write lock is held that much shorter.
        with search.pipeline_indexed(session, documents):
            bulk_insert(session.connection(), Claim.__table__, with_defaults(Claim.__table__, rows))
    if documents:
        for hook in AFTER_STORE:
            hook(session, documents)
    results = []
    for prepared in batch:
        sha = prepared.source.sha256
        if sha in new and new[sha][1] is prepared:
            document = new[sha][0]
            results.append(IngestResult("added", document.id, document.file_name, len(prepared.claims),
                                        len(prepared.skipped)))
        else:
            results.append(_duplicate(stored.get(sha) or new[sha][0]))
    return results


def _document(source: DocumentSource) -> Document:
    meta = source.metadata
    return Document(
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


def _duplicate(existing: Document) -> IngestResult:
    """The result for text already stored as `existing`."""
    return IngestResult("duplicate", existing.id, existing.file_name, 0)


def ingest(session: so.Session, source: DocumentSource) -> IngestResult:
    """Extract and store one document (the caller commits)."""
    if existing := find_duplicate(session, source):
        return _duplicate(existing)
    return store(session, prepare(source))


# Work that follows each stored batch of new documents inside its transaction, so every ingest
# path runs it: each hook takes the session and the list of new documents.
AFTER_STORE: list = [conflicts.detect_documents, references.match_documents]
