"""The schema's invariants hold, whatever code path writes."""
import pytest
import sqlalchemy as sa
import sqlalchemy.exc as sa_exc
from sqlalchemy.orm.exc import StaleDataError

from claimtrack.audit import record
from models import AuditEvent, Claim, InvariantError, Review

from .factories import ClaimFactory, DocumentFactory, UserFactory


def test_claim_quote_must_equal_document_text(db_session):
    document = DocumentFactory()
    with pytest.raises(InvariantError, match="is not the document text"):
        ClaimFactory(document=document, quote_text="66", quote="67")


def test_claim_span_must_lie_inside_text(db_session):
    document = DocumentFactory(text="only 5 words in here")
    with pytest.raises(InvariantError, match="outside document"):
        ClaimFactory(document=document, quote_text="5", start=100, end=101)


def test_claim_span_check_constraint_in_database(db_session):
    claim = ClaimFactory()
    db_session.commit()
    with pytest.raises(sa_exc.IntegrityError):
        with db_session.begin_nested():
            db_session.execute(sa.update(Claim).where(Claim.id == claim.id).values(end=claim.start))


def test_claim_qualifier_check_constraint(db_session):
    claim = ClaimFactory()
    db_session.commit()
    with pytest.raises(sa_exc.IntegrityError):
        with db_session.begin_nested():
            db_session.execute(sa.update(Claim).where(Claim.id == claim.id).values(qualifier="!"))


def test_document_text_never_changes(db_session):
    document = DocumentFactory()
    db_session.commit()
    document.text = document.text + " edited"
    with pytest.raises(InvariantError, match="cannot change after ingest"):
        db_session.flush()


def test_document_sha256_unique(db_session):
    DocumentFactory(text="same text 1")
    with pytest.raises(sa_exc.IntegrityError):
        with db_session.begin_nested():
            DocumentFactory(text="same text 1")


def test_extracted_values_never_change(db_session):
    claim = ClaimFactory()
    db_session.commit()
    claim.extracted_value = 67
    with pytest.raises(InvariantError, match="extracted fields are fixed"):
        db_session.flush()


def test_correction_keeps_extraction_beside_it(db_session):
    claim = ClaimFactory(value=66)
    db_session.commit()
    claim.value = 69
    db_session.commit()
    assert claim.extracted_value == 66
    assert claim.corrected_fields == {"value": (66, 69)}


def test_optimistic_lock_refuses_stale_update(db_session, engine, connection):
    claim = ClaimFactory()
    db_session.commit()
    assert claim.version == 1
    # A second session that read version 1, then another writer moved it to 2.
    db_session.execute(
        sa.update(Claim).where(Claim.id == claim.id).values(version=2),
        execution_options={"synchronize_session": False},
    )
    claim.subject = "Lanzhou"
    with pytest.raises(StaleDataError):
        db_session.flush()


def test_audit_events_are_append_only_in_orm(db_session):
    event = record(db_session, None, "ingest", "document", 1, after={"a": 1})
    db_session.commit()
    event.verb = "changed"
    with pytest.raises(InvariantError, match="append-only"):
        db_session.flush()


def test_audit_events_are_append_only_in_database(db_session):
    record(db_session, None, "ingest", "document", 1)
    db_session.commit()
    with pytest.raises(sa_exc.DBAPIError, match="append-only"):
        with db_session.begin_nested():
            db_session.execute(sa.delete(AuditEvent))


def test_reviews_are_append_only_in_database(db_session):
    claim = ClaimFactory()
    user = UserFactory()
    db_session.add(Review(claim=claim, user=user, decision="verify"))
    db_session.commit()
    with pytest.raises(sa_exc.DBAPIError, match="append-only"):
        with db_session.begin_nested():
            db_session.execute(sa.update(Review).values(note="rewritten"))


@pytest.mark.parametrize("table", ["reviews", "audit_events"])
def test_history_cannot_be_truncated(db_session, table):
    claim = ClaimFactory()
    db_session.add(Review(claim=claim, user=UserFactory(), decision="verify"))
    record(db_session, None, "ingest", "document", claim.document_id)
    db_session.commit()
    # SQLite has no TRUNCATE; its whole-table DELETE is the same attack there.
    wipe = "DELETE FROM" if db_session.get_bind().dialect.name == "sqlite" else "TRUNCATE"
    # On PostgreSQL, TRUNCATE of reviews is refused before the trigger runs, since second_reviews refers to them.
    with pytest.raises(sa_exc.DBAPIError, match="append-only|referenced in a foreign key constraint"):
        with db_session.begin_nested():
            db_session.execute(sa.text(f"{wipe} {table}"))
    assert db_session.scalar(sa.select(sa.func.count()).select_from(sa.table(table))) == 1


def test_foreign_keys_enforced(db_session):
    with pytest.raises(sa_exc.IntegrityError):
        with db_session.begin_nested():
            db_session.execute(sa.insert(Review).values(claim_id=999999, user_id=999999, decision="verify",
                                                        note="", changes={}))


def test_timestamps_are_timezone_aware(db_session):
    claim = ClaimFactory()
    db_session.commit()
    db_session.expire_all()
    assert db_session.get(Claim, claim.id).created_at.tzinfo is not None
