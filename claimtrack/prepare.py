"""Extracting the claims of one document read from a file: pure, no database, safe in a worker process.

`ingest` stores what this returns; `claimtrack extract` prints it.
"""
import logging
from dataclasses import dataclass

from .extract import Dropped, ExtractedClaim, iter_claims
from .sources import DocumentSource

# Skipped sentences are reported in the ingest log, whichever command read the document.
log = logging.getLogger("claimtrack.ingest")


@dataclass(frozen=True)
class PreparedDocument:
    """A document with its claims extracted, ready to store."""

    source: DocumentSource
    claims: tuple[ExtractedClaim, ...]
    skipped: tuple[int, ...] = ()  # start offsets of sentences the extractor failed on
    dropped: tuple[Dropped, ...] = ()  # numbers refused as claims, collected only when asked (explain)


def prepare(source: DocumentSource, explain: bool = False) -> PreparedDocument:
    """Extract the claims of one document (no database; safe in a worker process).

    A sentence the extractor fails on is logged with its document and offset, counted, and
    skipped, so the rest of the document is still stored. With `explain`, the numbers refused as
    claims are kept too, each with the rule that refused it.
    """
    skipped: list[int] = []

    def skip(offset: int, exc: Exception) -> None:
        log.warning("extraction failed in %s at offset %d; sentence skipped", source.file_name, offset, exc_info=exc)
        skipped.append(offset)

    dropped: list[Dropped] = []
    claims = tuple(iter_claims(source.text, source.metadata.published, on_error=skip,
                               on_drop=dropped.append if explain else None))
    return PreparedDocument(source, claims, tuple(skipped), tuple(dropped))
