"""full-text search over claims (FTS5 on SQLite, tsvector with GIN on PostgreSQL); subject and measure in any case

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02

The index `claims_fts` (see claimtrack/search.py) is filled from every existing claim and kept in
step by triggers on claims (insert, a change of quote, subject, measure or sentence, delete) and
on documents (a change of title). On SQLite a later batch migration that rebuilds `claims` or
`documents` drops their triggers with the old table: it must create them again (`_sqlite_triggers`).
"""
from typing import Sequence, Union

from alembic import op

revision: str = "0014"
down_revision: Union[str, Sequence[str], None] = "0013"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def _sentence(claim: str, document: str) -> str:
    """SQL for the claim's sentence cut from its document's text (offsets count characters, from 0)."""
    return f"substr({document}.text, {claim}.sentence_start + 1, {claim}.sentence_end - {claim}.sentence_start)"


def _sqlite_row(claim: str, document: str) -> str:
    return f"{claim}.quote, {_sentence(claim, document)}, {claim}.subject, {claim}.measure, {document}.title"


COLUMNS = "quote, sentence, subject, measure, title"
# Changes of these claim columns change what the index holds for the claim.
INDEXED = ("quote", "subject", "measure", "sentence_start", "sentence_end", "document_id")

SQLITE_TABLE = (
    f"CREATE VIRTUAL TABLE claims_fts USING fts5({COLUMNS}, content='', "
    "tokenize='unicode61 remove_diacritics 2')"
)


def _sqlite_triggers() -> list[str]:
    # A table without stored content forgets a row only when told its exact old values.
    forget_old = (f"INSERT INTO claims_fts(claims_fts, rowid, {COLUMNS}) SELECT 'delete', old.id, "
                  f"{_sqlite_row('old', 'd')} FROM documents d WHERE d.id = old.document_id;")
    index_new = (f"INSERT INTO claims_fts(rowid, {COLUMNS}) SELECT new.id, {_sqlite_row('new', 'd')} "
                 "FROM documents d WHERE d.id = new.document_id;")
    return [
        f"CREATE TRIGGER claims_fts_insert AFTER INSERT ON claims BEGIN {index_new} END",
        f"CREATE TRIGGER claims_fts_update AFTER UPDATE OF {', '.join(INDEXED)} ON claims "
        f"BEGIN {forget_old} {index_new} END",
        f"CREATE TRIGGER claims_fts_delete AFTER DELETE ON claims BEGIN {forget_old} END",
        "CREATE TRIGGER claims_fts_title AFTER UPDATE OF title ON documents WHEN old.title IS NOT new.title BEGIN "
        f"INSERT INTO claims_fts(claims_fts, rowid, {COLUMNS}) SELECT 'delete', c.id, {_sqlite_row('c', 'old')} "
        "FROM claims c WHERE c.document_id = old.id; "
        f"INSERT INTO claims_fts(rowid, {COLUMNS}) SELECT c.id, {_sqlite_row('c', 'new')} "
        "FROM claims c WHERE c.document_id = new.id; END",
    ]


def _terms(claim: str, document: str) -> str:
    return (f"claims_fts_terms({claim}.quote, {_sentence(claim, document)}, {claim}.subject, "
            f"{claim}.measure, {document}.title)")


POSTGRESQL = [
    "CREATE TABLE claims_fts (claim_id integer PRIMARY KEY REFERENCES claims (id) ON DELETE CASCADE, "
    "terms tsvector NOT NULL)",
    "CREATE INDEX ix_claims_fts_terms ON claims_fts USING gin (terms)",
    "CREATE FUNCTION claims_fts_terms(quote text, sentence text, subject text, measure text, title text) "
    "RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE AS "
    "$$ SELECT to_tsvector('simple'::regconfig, concat_ws(' ', quote, sentence, subject, measure, title)) $$",
    # Per statement, so a bulk insert (COPY) joins its claims to their documents once. Cutting
    # sentences out of a long text costs a read of the text per claim (PostgreSQL's substr counts
    # characters from the start), so ingest, which holds the sentences already, writes the rows
    # itself and says so through the transaction setting `claimtrack.fts_rows` (search.py).
    "CREATE FUNCTION claims_fts_insert() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "IF current_setting('claimtrack.fts_rows', true) = 'pipeline' THEN RETURN NULL; END IF; "
    f"INSERT INTO claims_fts (claim_id, terms) SELECT n.id, {_terms('n', 'd')} "
    "FROM new_claims n JOIN documents d ON d.id = n.document_id; RETURN NULL; END $$",
    "CREATE TRIGGER claims_fts_insert AFTER INSERT ON claims REFERENCING NEW TABLE AS new_claims "
    "FOR EACH STATEMENT EXECUTE FUNCTION claims_fts_insert()",
    "CREATE FUNCTION claims_fts_update() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    f"UPDATE claims_fts SET terms = {_terms('NEW', 'd')} FROM documents d "
    "WHERE d.id = NEW.document_id AND claims_fts.claim_id = NEW.id; RETURN NULL; END $$",
    f"CREATE TRIGGER claims_fts_update AFTER UPDATE OF {', '.join(INDEXED)} ON claims FOR EACH ROW WHEN ("
    + " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in INDEXED)
    + ") EXECUTE FUNCTION claims_fts_update()",
    "CREATE FUNCTION claims_fts_title() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    f"UPDATE claims_fts SET terms = {_terms('c', 'NEW')} FROM claims c "
    "WHERE c.document_id = NEW.id AND claims_fts.claim_id = c.id; RETURN NULL; END $$",
    "CREATE TRIGGER claims_fts_title AFTER UPDATE OF title ON documents FOR EACH ROW "
    "WHEN (OLD.title IS DISTINCT FROM NEW.title) EXECUTE FUNCTION claims_fts_title()",
]


def upgrade() -> None:
    """Create the search index over existing claims and its triggers; index subject and measure lower-cased."""
    if op.get_bind().dialect.name == "postgresql":
        for statement in POSTGRESQL:
            op.execute(statement)
        op.execute(f"INSERT INTO claims_fts (claim_id, terms) SELECT c.id, {_terms('c', 'd')} "
                   "FROM claims c JOIN documents d ON d.id = c.document_id")
        op.execute("CREATE INDEX ix_claims_subject_lower ON claims (lower(subject) text_pattern_ops)")
        op.execute("CREATE INDEX ix_claims_measure_lower ON claims (lower(measure) text_pattern_ops)")
    else:
        op.execute(SQLITE_TABLE)
        op.execute(f"INSERT INTO claims_fts(rowid, {COLUMNS}) SELECT c.id, {_sqlite_row('c', 'd')} "
                   "FROM claims c JOIN documents d ON d.id = c.document_id")
        for statement in _sqlite_triggers():
            op.execute(statement)
        op.execute("CREATE INDEX ix_claims_subject_lower ON claims (lower(subject))")
        op.execute("CREATE INDEX ix_claims_measure_lower ON claims (lower(measure))")


def downgrade() -> None:
    """Drop the lower-case indexes, the triggers and the search index."""
    op.execute("DROP INDEX ix_claims_measure_lower")
    op.execute("DROP INDEX ix_claims_subject_lower")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER claims_fts_title ON documents")
        op.execute("DROP TRIGGER claims_fts_update ON claims")
        op.execute("DROP TRIGGER claims_fts_insert ON claims")
        for function in ("claims_fts_title()", "claims_fts_update()", "claims_fts_insert()",
                         "claims_fts_terms(text, text, text, text, text)"):
            op.execute(f"DROP FUNCTION {function}")
        op.execute("DROP TABLE claims_fts")
    else:
        for trigger in ("claims_fts_title", "claims_fts_delete", "claims_fts_update", "claims_fts_insert"):
            op.execute(f"DROP TRIGGER {trigger}")
        op.execute("DROP TABLE claims_fts")
