"""Migrations build the schema the models describe, and undo cleanly."""
import sqlalchemy as sa

from claimtrack import schema
from claimtrack.database import make_engine
from models import Base


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_upgrade_check_downgrade_upgrade(databases):
    url = databases.create()
    schema.upgrade(url)
    assert _tables(url) == set(Base.metadata.tables)
    schema.check(url)  # raises if models and migrations drift apart
    schema.downgrade(url, "base")
    assert _tables(url) == set()
    assert schema.current(url) is None
    schema.upgrade(url)
    schema.check(url)
    assert schema.current(url) is not None
