"""Alembic environment: the schema is `models.Base.metadata`; the URL comes from the caller."""
import os
import warnings

from alembic import context

from claimtrack.database import make_engine
from claimtrack.search import TABLE as SEARCH_TABLE
from models import Base

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    return (
        context.get_x_argument(as_dictionary=True).get("url")
        or config.attributes.get("url")
        or os.environ.get("DATABASE_URL")
        or config.get_main_option("sqlalchemy.url")
        or "sqlite:///instance/claimtrack.db"
    )


# SQLite's reflection cannot read expression indexes (uq_users_username_lower) and says so on
# every comparison; Alembic then leaves them out of `alembic check`, which PostgreSQL still covers.
warnings.filterwarnings("ignore", message="Skipped unsupported reflection of expression-based index")
warnings.filterwarnings("ignore", message="autogenerate skipping metadata-specified expression-based index")


def _include_name(name, type_, _parent_names) -> bool:
    """Leave out the search index (claimtrack/search.py): engine-specific tables made by migration 0013."""
    return not (type_ == "table" and name and name.startswith(SEARCH_TABLE))


def _configure(**kwargs) -> None:
    context.configure(
        target_metadata=target_metadata,
        include_name=_include_name,
        render_as_batch=True,
        compare_type=True,
        **kwargs,
    )


def run_migrations_offline() -> None:
    """Emit SQL to stdout instead of running it."""
    _configure(url=_url(), literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run against a live connection, the caller's when it passes one."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(_url())
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # A batch migration copies a table and drops the old one, which rows referencing it
            # would forbid; the pragma only takes effect outside a transaction, so it is set on
            # the driver's connection before SQLAlchemy begins one, and the keys checked after.
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
        _configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
            if sqlite and (dangling := connection.exec_driver_sql("PRAGMA foreign_key_check").all()):
                raise RuntimeError(f"the migration left rows with dangling foreign keys: {dangling[:5]}")
        if sqlite:
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
