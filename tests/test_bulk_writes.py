"""The bulk-write helpers change exactly the rows and columns they are given, on both databases."""
import contextlib
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from claimtrack.database import bulk_insert, bulk_update, indexes_set_aside
from models import Claim, ConflictGroup
from tests.factories import ClaimFactory


def _groups(db_session, count: int) -> list[ConflictGroup]:
    made = [ConflictGroup(key=f"k{i}", block="b", measure_key=f"m{i}", subject="s", measure=f"m{i}",
                          dimension="count", status="consistent", is_series=False, note="", version=1)
            for i in range(count)]
    db_session.add_all(made)
    db_session.flush()
    return made


def test_bulk_update_sets_values_expressions_and_update_defaults(db_session):
    first, second, untouched = _groups(db_session, 3)
    old = datetime(2001, 1, 1, tzinfo=timezone.utc)
    db_session.execute(sa.update(ConflictGroup).values(updated_at=old))
    table = ConflictGroup.__table__
    connection = db_session.connection()
    bulk_update(connection, table, "id", [
        {"id": first.id, "status": "open", "is_series": True},
        {"id": second.id, "status": "resolved", "is_series": False},
    ], version=table.c.version + 1)
    db_session.expire_all()
    rows = {g.id: g for g in db_session.scalars(sa.select(ConflictGroup))}
    assert (rows[first.id].status, rows[first.id].is_series, rows[first.id].version) == ("open", True, 2)
    assert (rows[second.id].status, rows[second.id].is_series, rows[second.id].version) == ("resolved", False, 2)
    assert (rows[untouched.id].status, rows[untouched.id].version) == ("consistent", 1)
    # The column's update default is applied to the updated rows only.
    assert rows[first.id].updated_at > old + timedelta(days=1)
    assert rows[second.id].updated_at > old + timedelta(days=1)
    assert rows[untouched.id].updated_at == old


def test_bulk_update_of_claims_keeps_other_columns_and_accepts_nulls(db_session):
    group, = _groups(db_session, 1)
    claims = ClaimFactory.create_batch(3)
    db_session.flush()
    versions = {c.id: c.version for c in claims}
    bulk_update(db_session.connection(), Claim.__table__, "id", [
        {"id": claims[0].id, "group_id": group.id, "conflict_open": True},
        {"id": claims[1].id, "group_id": None, "conflict_open": False},
    ])
    db_session.expire_all()
    after = {c.id: c for c in db_session.scalars(sa.select(Claim).where(Claim.id.in_(versions)))}
    assert (after[claims[0].id].group_id, after[claims[0].id].conflict_open) == (group.id, True)
    assert (after[claims[1].id].group_id, after[claims[1].id].conflict_open) == (None, False)
    assert {c.id: c.version for c in after.values()} == versions
    assert after[claims[2].id].value == claims[2].value


def _claim_indexes(connection) -> list[str]:
    return sorted(connection.execute(sa.text(
        "SELECT pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid = CAST('claims' AS regclass)")).scalars())


def test_indexes_set_aside_are_built_again_as_they_were(db_session, backend):
    claim = ClaimFactory(conflict_open=False)
    db_session.flush()
    connection = db_session.connection()
    if backend == "sqlite":
        with indexes_set_aside(connection, Claim.__table__, 100) as aside:
            assert not aside
        return
    before = _claim_indexes(connection)
    assert any("ix_claims_queue " in d for d in before)
    with indexes_set_aside(connection, Claim.__table__, 1000) as aside:
        assert aside
        # Only the indexes backing constraints stay (the primary key).
        assert [d for d in _claim_indexes(connection)] == [d for d in before if "pk_claims" in d]
        connection.execute(sa.update(Claim.__table__).values(conflict_open=True))
    assert _claim_indexes(connection) == before
    assert connection.execute(sa.text("SHOW lock_timeout")).scalar() == "0"
    db_session.expire_all()
    assert db_session.get(Claim, claim.id).conflict_open is True
    # The rebuilt queue index answers the queue's query.
    assert db_session.scalar(sa.select(Claim.id).where(Claim.conflict_open.is_(True), Claim.id == claim.id)) == claim.id


def test_indexes_set_aside_without_the_lock_changes_nothing(db_session, backend, engine):
    if backend == "sqlite":
        pytest.skip("SQLite keeps its indexes")
    ClaimFactory()
    db_session.flush()
    connection = db_session.connection()
    before = _claim_indexes(connection)
    with engine.connect() as reader:
        reader.execute(sa.text("SELECT count(*) FROM claims")).scalar()
        with indexes_set_aside(connection, Claim.__table__, 100) as aside:
            assert not aside
            assert _claim_indexes(connection) == before
        reader.rollback()
    assert _claim_indexes(connection) == before
    assert connection.execute(sa.text("SHOW lock_timeout")).scalar() == "0"


@pytest.mark.parametrize("offline", [False, True], ids=["lead-rebuild", "offline-rebuild"])
def test_rebuild_sets_the_indexes_aside_only_offline(db_session, backend, monkeypatch, offline):
    from claimtrack.conflicts import detect

    for value in (66.0, 69.0, 66.0):
        ClaimFactory(value=value)
    db_session.flush()
    calls = []
    real = detect.indexes_set_aside

    def recorded(*args, **kwargs):
        calls.append(args[1].name)
        return real(*args, **kwargs)

    # Every placement through the bulk path, as in a rebuild of a large corpus from scratch.
    monkeypatch.setattr(detect, "BULK_UPDATE_ROWS", 0)
    monkeypatch.setattr(detect, "indexes_set_aside", recorded)
    report = detect.rebuild(db_session, offline=offline)
    assert report.claims == 3 and report.in_conflict == 1
    assert calls == (["claims"] if offline and backend == "postgresql" else [])
    assert {c.group_id for c in db_session.scalars(sa.select(Claim))} != {None}


def _claim_constraints(connection) -> list[tuple]:
    return sorted(connection.execute(sa.text(
        "SELECT conname, pg_get_constraintdef(oid), convalidated FROM pg_constraint"
        " WHERE conrelid = CAST('claims' AS regclass)")).all())


def test_foreign_keys_set_aside_are_added_back_and_checked(db_session, backend):
    if backend == "sqlite":
        pytest.skip("SQLite keeps its indexes and keys")
    group, = _groups(db_session, 1)
    claim = ClaimFactory()
    db_session.flush()
    connection = db_session.connection()
    before = _claim_constraints(connection)
    assert ("fk_claims_group_id_conflict_groups", "FOREIGN KEY (group_id) REFERENCES conflict_groups(id)",
            True) in before
    with indexes_set_aside(connection, Claim.__table__, 1000, ("group_id",)) as aside:
        assert aside
        names = [name for name, _, _ in _claim_constraints(connection)]
        assert "fk_claims_group_id_conflict_groups" not in names
        # The other foreign keys stay.
        assert "fk_claims_document_id_documents" in names
        connection.execute(sa.update(Claim.__table__).where(Claim.id == claim.id).values(group_id=group.id))
    assert _claim_constraints(connection) == before


def test_foreign_key_added_back_refuses_a_row_written_without_it(db_session, backend, connection):
    if backend == "sqlite":
        pytest.skip("SQLite keeps its indexes and keys")
    claim = ClaimFactory()
    db_session.flush()
    before, indexes = _claim_constraints(connection), _claim_indexes(connection)
    savepoint = connection.begin_nested()
    with pytest.raises(sa.exc.IntegrityError, match="fk_claims_group_id_conflict_groups"):
        with indexes_set_aside(connection, Claim.__table__, 1000, ("group_id",)):
            connection.execute(sa.update(Claim.__table__).where(Claim.id == claim.id).values(group_id=-1))
    savepoint.rollback()
    assert _claim_constraints(connection) == before
    assert _claim_indexes(connection) == indexes


def test_offline_rebuild_leaves_the_claims_keys_and_indexes_as_they_were(db_session, backend, monkeypatch):
    from claimtrack.conflicts import detect

    if backend == "sqlite":
        pytest.skip("SQLite keeps its indexes and keys")
    for value in (66.0, 69.0, 66.0):
        ClaimFactory(value=value)
    db_session.flush()
    connection = db_session.connection()
    constraints, indexes = _claim_constraints(connection), _claim_indexes(connection)
    work_memory = connection.execute(sa.text("SHOW work_mem")).scalar()
    set_aside = []
    real = detect.indexes_set_aside

    def recorded(*args, **kwargs):
        set_aside.append(args[3:])
        return real(*args, **kwargs)

    monkeypatch.setattr(detect, "BULK_UPDATE_ROWS", 0)
    monkeypatch.setattr(detect, "indexes_set_aside", recorded)
    report = detect.rebuild(db_session, offline=True)
    assert report.in_conflict == 1 and set_aside == [(("group_id",),)]
    assert _claim_constraints(connection) == constraints
    assert _claim_indexes(connection) == indexes
    assert connection.execute(sa.text("SHOW work_mem")).scalar() == work_memory
    assert {c.group_id for c in db_session.scalars(sa.select(Claim))} != {None}


def test_failed_offline_rebuild_rolls_back_to_the_claims_keys_and_indexes(db_session, backend, monkeypatch,
                                                                         connection):
    from claimtrack.conflicts import detect

    if backend == "sqlite":
        pytest.skip("SQLite keeps its indexes and keys")
    for value in (66.0, 69.0):
        ClaimFactory(value=value)
    db_session.commit()
    constraints, indexes = _claim_constraints(connection), _claim_indexes(connection)
    real = detect.indexes_set_aside

    @contextlib.contextmanager
    def failing(*args, **kwargs):
        with real(*args, **kwargs) as aside:
            assert aside
            assert _claim_constraints(connection) != constraints
            yield aside
            raise RuntimeError("the placement write failed")

    monkeypatch.setattr(detect, "BULK_UPDATE_ROWS", 0)
    monkeypatch.setattr(detect, "indexes_set_aside", failing)
    with pytest.raises(RuntimeError, match="placement write failed"):
        detect.rebuild(db_session, offline=True)
    db_session.rollback()
    assert _claim_constraints(connection) == constraints
    assert _claim_indexes(connection) == indexes
    assert {c.group_id for c in db_session.scalars(sa.select(Claim))} == {None}


def test_bulk_insert_of_tuples_passes_them_as_they_are(db_session):
    table = sa.Table("bulk_tuples", sa.MetaData(), sa.Column("t_id", sa.Integer, primary_key=True),
                     sa.Column("t_group", sa.Integer), sa.Column("t_flag", sa.Boolean), prefixes=["TEMPORARY"])
    connection = db_session.connection()
    table.create(connection)
    try:
        bulk_insert(connection, table, [(1, 7, True), (2, None, False)], ["t_id", "t_group", "t_flag"])
        assert connection.execute(sa.select(table).order_by(table.c.t_id)).all() == [(1, 7, True), (2, None, False)]
    finally:
        table.drop(connection)
