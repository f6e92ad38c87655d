"""Migrations build the schema the models describe, and undo cleanly."""
import pytest
import sqlalchemy as sa
import sqlalchemy.orm as so

from claimtrack import schema, search
from claimtrack.claim_filters import ClaimFilter
from claimtrack.database import make_engine
from models import Base, Claim, Document, SecondReview


def _all_tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def _tables(url: str) -> set[str]:
    """The tables of the models (the search index's engine-specific tables left out)."""
    return {name for name in _all_tables(url) if not name.startswith(search.TABLE)}


def test_upgrade_check_downgrade_upgrade(databases):
    url = databases.create()
    schema.upgrade(url)
    assert _tables(url) == set(Base.metadata.tables)
    assert search.TABLE in _all_tables(url)
    schema.check(url)  # raises if models and migrations drift apart
    schema.downgrade(url, "base")
    assert _all_tables(url) == set()
    assert schema.current(url) is None
    schema.upgrade(url)
    schema.check(url)
    assert schema.current(url) is not None



def test_upgrade_keeps_existing_claims_and_groups(databases):
    """Migrations that rebuild a table on SQLite must not trip over the rows referencing it."""
    url = databases.create()
    schema.upgrade(url, "0003")
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(Document.__table__.insert(), {
            "id": 1, "sha256": "x", "file_name": "a.txt", "title": "A", "text": "It has 66 cities.", "char_count": 17})
        connection.execute(sa.table("conflict_groups", *map(sa.column, ("id", "key", "subject", "measure",
                                                                        "status", "created_at", "updated_at",
                                                                        "version", "is_series", "note",
                                                                        "dimension"))).insert(),
                           {"id": 1, "key": "k", "subject": "s", "measure": "m", "status": "open", "version": 1,
                            "is_series": False, "note": "", "dimension": "",
                            "created_at": "2025-01-01 00:00:00", "updated_at": "2025-01-01 00:00:00"})
        connection.execute(Claim.__table__.insert(), {
            "id": 1, "document_id": 1, "start": 7, "end": 9, "quote": "66", "sentence_start": 0,
            "sentence_end": 17, "value": 66, "extracted_value": 66, "group_id": 1})
    engine.dispose()
    schema.upgrade(url)
    engine = make_engine(url)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT group_id FROM claims").scalar() == 1
    engine.dispose()


def test_upgrade_refuses_usernames_that_differ_only_in_case(databases):
    url = databases.create()
    schema.upgrade(url, "0007")
    engine = make_engine(url)
    users = sa.table("users", *map(sa.column, ("username", "password_hash", "role", "active", "session_token",
                                                "created_at")))
    with engine.begin() as connection:
        for name in ("Alice", "alice", "bob", "Carol", "CAROL", "dave"):
            connection.execute(users.insert(), {"username": name, "password_hash": "x", "role": "reviewer",
                                                "active": True, "session_token": "t",
                                                "created_at": "2025-01-01 00:00:00"})
    engine.dispose()
    with pytest.raises(RuntimeError) as refused:
        schema.upgrade(url)
    assert "differ only in case: Alice, alice; CAROL, Carol." in str(refused.value)
    assert schema.current(url) == "0007"


def test_upgrade_gives_existing_groups_their_block_and_measure(databases):
    url = databases.create()
    schema.upgrade(url, "0009")
    engine = make_engine(url)
    groups = sa.table("conflict_groups", *map(sa.column, ("id", "key", "subject", "measure", "status", "created_at",
                                                          "updated_at", "version", "is_series", "note", "dimension")))
    with engine.begin() as connection:
        connection.execute(groups.insert(), [
            {"id": i, "key": key, "subject": "s", "measure": "m", "status": "open", "version": 1, "is_series": False,
             "note": "", "dimension": "", "created_at": "2025-01-01 00:00:00", "updated_at": "2025-01-01 00:00:00"}
            for i, key in ((1, "gansu|international sister city|count"), (2, "gansu|gdp growth|%|target|up"))
        ])
    engine.dispose()
    schema.upgrade(url)
    engine = make_engine(url)
    with engine.connect() as connection:
        rows = connection.exec_driver_sql("SELECT block, measure_key FROM conflict_groups ORDER BY id").all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [("gansu|count", "international sister city"), ("gansu|%|target|up", "gdp growth")]
    schema.check(url)


def test_upgrade_indexes_existing_claims_for_search(databases):
    url = databases.create()
    schema.upgrade(url, "0010")
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(Document.__table__.insert(), {
            "id": 1, "sha256": "x", "file_name": "a.txt", "title": "Harbour report", "char_count": 40,
            "text": "Intro. Ships in Velmar docked 66 times."})
        connection.execute(Claim.__table__.insert(), {
            "id": 1, "document_id": 1, "start": 30, "end": 32, "quote": "66", "sentence_start": 7,
            "sentence_end": 39, "value": 66, "extracted_value": 66, "subject": "Velmar", "measure": "dockings"})
    engine.dispose()
    schema.upgrade(url)
    engine = make_engine(url)
    with so.Session(engine) as session:
        def found(q):
            return session.scalars(sa.select(Claim.id).where(*ClaimFilter(q=q).conditions())).all()
        assert found("ships") == found("harbour") == found("DOCKINGS") == [1]
        assert found("intro") == []
    engine.dispose()
    schema.downgrade(url, "0010")
    assert search.TABLE not in _all_tables(url)


def test_upgrade_gives_existing_second_reviews_their_answer_columns(databases):
    url = databases.create()
    schema.upgrade(url, "0019")
    engine = make_engine(url)
    first = {"decision": "verify", "value": 66, "value_max": None, "unit": "km", "qualifier": "=",
             "period": "2020-01-01/", "subject": "Velmar", "measure": "dockings", "kind": "fact"}
    second = {**first, "decision": "reject", "value": 6.5, "unit": "t"}
    users = sa.table("users", *map(sa.column, ("id", "username", "password_hash", "role", "active", "session_token",
                                               "created_at")))
    reviews = sa.table("reviews", *map(sa.column, ("id", "claim_id", "user_id", "decision", "note", "created_at")),
                       sa.column("changes", sa.JSON))
    rows = sa.table("second_reviews", *map(sa.column, ("claim_id", "reason", "state", "first_review_id",
                                                       "first_user_id", "second_review_id", "second_user_id",
                                                       "required_at")), sa.column("disagreements", sa.JSON),
                    sa.column("first_values", SecondReview.first_values.type),
                    sa.column("second_values", SecondReview.second_values.type))
    with engine.begin() as connection:
        connection.execute(Document.__table__.insert(), {
            "id": 1, "sha256": "x", "file_name": "a.txt", "title": "A", "text": "It has 66 km.", "char_count": 13})
        for claim_id in (1, 2):
            connection.execute(Claim.__table__.insert(), {
                "id": claim_id, "document_id": 1, "start": 7, "end": 9, "quote": "66", "sentence_start": 0,
                "sentence_end": 13, "value": 66, "extracted_value": 66})
        connection.execute(users.insert(), [
            {"id": i, "username": name, "password_hash": "x", "role": "reviewer", "active": True,
             "session_token": name, "created_at": "2025-01-01 00:00:00"} for i, name in ((1, "ana"), (2, "ben"))])
        connection.execute(reviews.insert(), [
            {"id": i, "claim_id": claim_id, "user_id": user, "decision": decision, "note": "", "changes": {},
             "created_at": "2025-01-01 00:00:00"}
            for i, claim_id, user, decision in ((1, 1, 1, "verify"), (2, 1, 2, "second_reject"), (3, 2, 1, "verify"))])
        connection.execute(rows.insert(), [
            {"claim_id": 1, "reason": "all", "state": "adjudication", "first_review_id": 1, "first_user_id": 1,
             "second_review_id": 2, "second_user_id": 2, "first_values": first, "second_values": second,
             "disagreements": ["decision", "value", "unit"], "required_at": "2025-01-01 00:00:00"},
            {"claim_id": 2, "reason": "all", "state": "awaiting", "first_review_id": 3, "first_user_id": 1,
             "second_review_id": None, "second_user_id": None, "first_values": first, "second_values": sa.null(),
             "disagreements": [], "required_at": "2025-01-01 00:00:00"}])
    engine.dispose()
    schema.upgrade(url)
    engine = make_engine(url)
    with so.Session(engine) as session:
        settled, waiting = session.scalars(sa.select(SecondReview).order_by(SecondReview.claim_id)).all()
    engine.dispose()
    assert ((settled.first_decision, settled.first_value, settled.first_value_max, settled.first_unit,
             settled.first_period, settled.first_subject, settled.first_kind)
            == ("verify", 66.0, None, "km", "2020-01-01/", "Velmar", "fact"))
    assert (settled.second_decision, settled.second_value, settled.second_unit) == ("reject", 6.5, "t")
    assert (waiting.first_measure, waiting.second_decision, waiting.second_value) == ("dockings", None, None)
    schema.check(url)
