"""Migrations build the schema the models describe, and undo cleanly."""
import pytest
import sqlalchemy as sa
import sqlalchemy.orm as so

from claimtrack import schema, search
from claimtrack.claim_filters import ClaimFilter
from claimtrack.database import make_engine
from models import Base, Claim, Document


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
