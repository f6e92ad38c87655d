"""The declarative base shared by every table, and the column types they agree on."""
from datetime import datetime, timezone

import sqlalchemy as sa
import sqlalchemy.orm as so

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(sa.types.TypeDecorator):
    """A timestamp stored as naive UTC and always returned timezone-aware.

    SQLite has no time zones; storing naive UTC on both databases keeps comparisons
    (lease expiry, date filters) identical on SQLite and PostgreSQL.
    """

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware UTC datetime")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        return None if value is None else value.replace(tzinfo=timezone.utc)


# The largest id an INTEGER primary key holds on PostgreSQL: any id from outside (a URL, a
# cookie, a query string) past it names no row, and must not reach the database as a number.
MAX_ROW_ID = 2**31 - 1


def row_id(text: str) -> int | None:
    """The id written in `text` (plain ASCII digits), or None if it cannot name a row."""
    if text.isascii() and text.isdigit() and len(text) <= len(str(MAX_ROW_ID)) and int(text) <= MAX_ROW_ID:
        return int(text)
    return None


def utcnow() -> datetime:
    """Return the current time, timezone-aware, in UTC."""
    return datetime.now(timezone.utc)


class Base(so.DeclarativeBase):
    """The one declarative base: every model, one metadata, stable constraint names."""

    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}
