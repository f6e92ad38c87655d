"""Full-text search over claims: quote, sentence, subject, measure and document title.

One interface over each database's own engine. The index is the table `claims_fts`:

* SQLite: an FTS5 table without stored content (`content=''`, rowid = claim id), tokenised by
  `unicode61` (case and diacritics folded);
* PostgreSQL: `claims_fts(claim_id, terms tsvector)` with a GIN index, built with the `simple`
  configuration (case folded, no stemming), so a word finds itself in every language.

Triggers made by migration 0014 keep it in step with the claims on both databases: a claim's
insert (ingest's bulk writes included), a correction of its subject or measure, an undo, and a
change of its document's title; on PostgreSQL ingest writes its new claims' rows itself
(`pipeline_indexed`), since the trigger would cut each sentence out of the stored text again,
one read of a long text per claim. The index is not an ORM model: Alembic leaves `claims_fts*` out
of its comparison (migrations/env.py).

A query is the user's words, never the engine's syntax: each word (or "quoted phrase") must
appear, in any of the five fields; operators, brackets and stray quotes are plain text.

PostgreSQL's planner knows from the index's statistics how common a word is and picks its plan.
SQLite's does not, so `matches(query, session)` first counts the matches, up to COMMON: a rare
search lists its matches once (`id IN (...)`); a common one is probed claim by claim in the
page's order (`EXISTS`), which stops as soon as the page is full instead of listing a million ids.
"""
import re
from contextlib import contextmanager
from dataclasses import dataclass, replace

import sqlalchemy as sa
import sqlalchemy.orm as so
from sqlalchemy.ext.compiler import compiles

from models import Claim

TABLE = "claims_fts"
MAX_QUERY_CHARS = 200
MAX_TERMS = 16
# SQLite: from this many matches on, probing claim by claim (in the queue's order) beats listing
# the matches (at a million claims, listing costs about 3 µs a match, a probe about 150 µs).
# Above the claims list's count limits, so a search alone past it is "more than" without counting.
COMMON = 10_001
_CHUNK = re.compile(r'"([^"]*)"|(\S+)')
# A chunk is searchable when it holds a letter or digit; the rest (punctuation, "*", "-") the
# engines would drop anyway, and an empty phrase means something different to each of them.
_WORD = re.compile(r"[^\W_]")


class SearchError(ValueError):
    """Search text that holds nothing to search for, or too much."""


@dataclass(frozen=True)
class SearchQuery:
    """The phrases a search must all find (each one word or a quoted run of words).

    `seen` is how many claims match, counted up to COMMON (None until counted, on SQLite only).
    """

    phrases: tuple[str, ...]
    seen: int | None = None

    @property
    def common(self) -> bool:
        """Whether the search was counted and matches at least COMMON claims."""
        return self.seen is not None and self.seen >= COMMON

    def expression(self) -> str:
        """The query as FTS5 strings (each phrase quoted, its `"` doubled), so FTS5 reads no operator in it."""
        return " ".join('"' + phrase.replace('"', '""') + '"' for phrase in self.phrases)


def parse_query(text: str) -> SearchQuery:
    """The phrases of the user's search text; a SearchError when there is no word in it or it is too long."""
    if len(text) > MAX_QUERY_CHARS:
        raise SearchError(f"search text must be at most {MAX_QUERY_CHARS} characters")
    phrases = []
    for quoted, bare in _CHUNK.findall(text):
        phrase = " ".join((quoted if quoted else bare.replace('"', "")).split())
        if _WORD.search(phrase) and phrase not in phrases:
            phrases.append(phrase)
    if not phrases:
        raise SearchError("search text must contain a word or a number")
    if len(phrases) > MAX_TERMS:
        raise SearchError(f"search for at most {MAX_TERMS} words or phrases")
    return SearchQuery(tuple(phrases))


class _Matches(sa.sql.expression.ColumnElement):
    """`claims.id IN (claims whose index entry has every phrase)`, compiled per database."""

    type = sa.types.NullType()
    inherit_cache = False

    def __init__(self, query: SearchQuery):
        self.query = query

    @property
    def _from_objects(self):
        return [Claim.__table__]


_FTS = sa.table(TABLE, sa.column("rowid"))


def fts_table() -> sa.TableClause:
    """SQLite: the FTS5 table, for a query that reads it directly."""
    return _FTS


def fts_match(query: SearchQuery) -> sa.ColumnElement[bool]:
    """SQLite: the MATCH condition on claims_fts (FTS5 ANDs the strings, tokenised by the table's tokenizer)."""
    return sa.literal_column(TABLE).op("MATCH")(sa.bindparam("search_text", query.expression(), unique=True))


@compiles(_Matches, "sqlite")
def _sqlite_matches(element: _Matches, compiler, **kw) -> str:
    if element.query.common:
        probe = sa.exists().where(fts_match(element.query), _FTS.c.rowid == Claim.id)
        return compiler.process(probe, **kw)
    return compiler.process(Claim.id.in_(sa.select(_FTS.c.rowid).where(fts_match(element.query))), **kw)


def _tsquery(query: SearchQuery):
    """PostgreSQL: the phrases as one tsquery, each parsed by phraseto_tsquery (which knows no operators)."""
    out = None
    for phrase in query.phrases:
        part = sa.func.phraseto_tsquery(sa.literal_column("'simple'::regconfig"), sa.bindparam(
            "search_phrase", phrase, unique=True))
        out = part if out is None else out.op("&&")(part)
    return out


@compiles(_Matches, "postgresql")
def _postgresql_matches(element: _Matches, compiler, **kw) -> str:
    fts = sa.table(TABLE, sa.column("claim_id"), sa.column("terms"))
    match = sa.select(fts.c.claim_id).where(fts.c.terms.op("@@")(_tsquery(element.query)))
    return compiler.process(Claim.id.in_(match), **kw)


def counted(session: so.Session, query: SearchQuery) -> SearchQuery:
    """On SQLite, `query` with its matches counted up to COMMON (once per session); elsewhere `query`."""
    if session.get_bind().dialect.name != "sqlite":
        return query
    cache = session.info.setdefault("search_counts", {})
    if query.phrases not in cache:
        found = sa.select(_FTS.c.rowid).where(fts_match(query)).limit(COMMON).subquery()
        cache[query.phrases] = session.scalar(sa.select(sa.func.count()).select_from(found))
    return replace(query, seen=cache[query.phrases])


def count_alone(session: so.Session, query: SearchQuery, limit: int) -> int:
    """How many claims match the search alone, counted in the index up to `limit`."""
    if session.get_bind().dialect.name == "sqlite":
        found = sa.select(_FTS.c.rowid).where(fts_match(query))
    else:
        fts = sa.table(TABLE, sa.column("claim_id"), sa.column("terms"))
        found = sa.select(fts.c.claim_id).where(fts.c.terms.op("@@")(_tsquery(query)))
    return session.scalar(sa.select(sa.func.count()).select_from(found.limit(limit).subquery()))


def matches(query: SearchQuery, session: so.Session | None = None) -> sa.ColumnElement[bool]:
    """Condition on Claim: the claim's quote, sentence, subject, measure or document title hold every phrase.

    Given the session, the condition takes the plan that suits how common the search is (SQLite).
    """
    return _Matches(counted(session, query) if session is not None else query)


@contextmanager
def pipeline_indexed(session: so.Session, documents):
    """Insert new documents' claims in the block; on PostgreSQL their search rows are then written from
    the documents' texts in one statement, instead of by the trigger cutting each sentence out of the
    stored text."""
    if session.get_bind().dialect.name != "postgresql":
        yield
        return
    session.execute(sa.text("SELECT set_config('claimtrack.fts_rows', 'pipeline', true)"))
    try:
        yield
    finally:
        session.execute(sa.text("SELECT set_config('claimtrack.fts_rows', '', true)"))
    by_id = {document.id: document for document in documents}
    rows = session.execute(
        sa.select(Claim.id, Claim.document_id, Claim.quote, Claim.sentence_start, Claim.sentence_end, Claim.subject,
                  Claim.measure)
        .where(Claim.document_id.in_(list(by_id)))
    ).all()
    if not rows:
        return
    ids, quotes, sentences, subjects, measures, titles = zip(*(
        (id_, quote, by_id[document_id].text[start:end], subject, measure, by_id[document_id].title)
        for id_, document_id, quote, start, end, subject, measure in rows))
    session.execute(sa.text(
        "INSERT INTO claims_fts (claim_id, terms) "
        "SELECT r.id, claims_fts_terms(r.quote, r.sentence, r.subject, r.measure, r.title) "
        "FROM unnest(CAST(:ids AS integer[]), CAST(:quotes AS text[]), CAST(:sentences AS text[]), "
        "CAST(:subjects AS text[]), CAST(:measures AS text[]), CAST(:titles AS text[])) "
        "AS r(id, quote, sentence, subject, measure, title)"
    ), {"ids": list(ids), "quotes": list(quotes), "sentences": list(sentences),
        "subjects": list(subjects), "measures": list(measures), "titles": list(titles)})
