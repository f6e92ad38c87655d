"""The benchmark corpus generator writes a valid, realistic database."""
import pytest
import sqlalchemy as sa
import sqlalchemy.orm as so

from bench.generate import PASSWORD, REVIEWERS, generate
from claimtrack import accounts
from claimtrack.database import make_engine, make_sessionmaker
from models import STATUSES, Claim, ConflictGroup, Document, Lease, Resolution, Review


def _session(url):
    engine = make_engine(url)
    return engine, make_sessionmaker(engine)()


def test_generate_writes_exact_spans_and_a_working_mix(fresh_database):
    stats = generate(fresh_database, claims=2_000, seed=3)
    engine, session = _session(fresh_database)
    try:
        assert session.scalar(sa.select(sa.func.count()).select_from(Claim)) == 2_000 == stats.claims
        assert session.scalar(sa.select(sa.func.count()).select_from(Document)) == stats.documents
        for document in session.scalars(sa.select(Document)):
            assert document.char_count == len(document.text)
            for claim in session.scalars(sa.select(Claim).where(Claim.document_id == document.id)):
                assert document.text[claim.start:claim.end] == claim.quote
                assert claim.sentence_start <= claim.start < claim.end <= claim.sentence_end
                assert document.text[claim.sentence_end - 1] == "."
                assert claim.prefix == document.text[max(0, claim.start - 32):claim.start]
                assert claim.suffix == document.text[claim.end:claim.end + 32]

        statuses = dict(session.execute(sa.select(Claim.status, sa.func.count()).group_by(Claim.status)).all())
        assert set(statuses) == set(STATUSES)
        assert 0.45 < statuses["pending"] / 2_000 < 0.75
        decided = 2_000 - statuses["pending"]
        decisions = session.scalar(
            sa.select(sa.func.count()).select_from(Review).where(Review.decision != "correct"))
        assert decisions == decided
        assert session.scalar(
            sa.select(sa.func.count()).select_from(Claim).where(Claim.status != "pending",
                                                               Claim.reviewed_by_id.is_(None))) == 0

        groups = dict(session.execute(
            sa.select(ConflictGroup.status, sa.func.count()).group_by(ConflictGroup.status)).all())
        assert groups.get("open") and groups.get("resolved") and groups.get("consistent")
        in_open_groups = sa.select(ConflictGroup.id).where(ConflictGroup.status == "open")
        assert session.scalar(sa.select(sa.func.count()).select_from(Claim).where(
            Claim.conflict_open != Claim.group_id.in_(in_open_groups))) == 0
        resolution = session.scalar(sa.select(Resolution))
        preferred = session.get(Claim, resolution.preferred_claim_id)
        assert preferred.rank == "preferred" and preferred.group_id == resolution.group_id

        assert session.scalar(sa.select(sa.func.count()).select_from(Lease)) == stats.leases > 0
        assert accounts.authenticate(session, REVIEWERS[0], PASSWORD) is not None
    finally:
        session.close()
        engine.dispose()


def test_generate_leaves_foreign_keys_and_ids_usable(fresh_database):
    generate(fresh_database, claims=300, seed=1)
    engine, session = _session(fresh_database)
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "sqlite":
                assert connection.exec_driver_sql("PRAGMA foreign_key_check").all() == []
            orphans = connection.scalar(sa.text(
                "SELECT count(*) FROM claims c LEFT JOIN documents d ON d.id = c.document_id WHERE d.id IS NULL"))
            assert orphans == 0
        document = session.scalar(sa.select(Document).order_by(Document.id.desc()).limit(1))
        corrected = session.scalar(sa.select(Claim).where(Claim.document_id == document.id).limit(1))
        corrected.value = corrected.value + 1
        session.add(Review(claim=corrected, user_id=1, decision="correct", changes={}))
        session.commit()
        assert corrected.version == 2
    finally:
        session.close()
        engine.dispose()


def test_generate_refuses_a_database_with_documents(fresh_database):
    generate(fresh_database, claims=50, seed=1)
    with pytest.raises(ValueError, match="already holds documents"):
        generate(fresh_database, claims=50, seed=1)


def test_generate_is_repeatable(databases):
    first, second = databases.create(), databases.create()
    generate(first, claims=200, seed=7)
    generate(second, claims=200, seed=7)
    quotes = []
    for url in (first, second):
        engine = make_engine(url)
        with so.Session(engine) as session:
            quotes.append(session.scalars(sa.select(Claim.quote).order_by(Claim.id)).all())
        engine.dispose()
    assert quotes[0] == quotes[1]


def test_generate_leaves_postgresql_vacuumed_and_analysed(fresh_database):
    generate(fresh_database, claims=200, seed=2)
    engine = make_engine(fresh_database)
    try:
        if engine.dialect.name != "postgresql":
            pytest.skip("VACUUM and the visibility map are PostgreSQL's")
        with engine.connect() as connection:
            vacuumed = connection.execute(sa.text(
                "SELECT last_vacuum IS NOT NULL, last_analyze IS NOT NULL FROM pg_stat_user_tables "
                "WHERE relname = 'claims'")).one()
            all_visible = connection.scalar(sa.text(
                "SELECT relallvisible = relpages FROM pg_class WHERE relname = 'claims'"))
        assert tuple(vacuumed) == (True, True)
        assert all_visible
    finally:
        engine.dispose()
