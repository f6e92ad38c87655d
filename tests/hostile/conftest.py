"""Helpers for the hostile suite: every refusal must leave the database exactly as it was."""
import hashlib
import io
import threading
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from claimtrack import accounts
from claimtrack.database import make_engine
from models import Base
from webapp import create_app
from webapp.db import EXTENSION

from ..conftest import PASSWORD, Auth, csrf_token


def snapshot(bind: sa.Engine | sa.Connection) -> dict[str, tuple[int, str]]:
    """Row count and a SHA-256 of the rows (in primary-key order) of every table."""
    if isinstance(bind, sa.Engine):
        with bind.connect() as connection:
            return snapshot(connection)
    state = {}
    for table in Base.metadata.sorted_tables:
        rows = bind.execute(sa.select(table).order_by(*table.primary_key.columns)).all()
        digest = hashlib.sha256()
        for row in rows:
            digest.update(repr(tuple(row)).encode("utf-8", "surrogatepass"))
        state[table.name] = (len(rows), digest.hexdigest())
    return state


@contextmanager
def unchanged(bind: sa.Engine | sa.Connection):
    """Assert that nothing in any table changed inside the block."""
    before = snapshot(bind)
    yield
    after = snapshot(bind)
    changed = {name: (before[name], after[name]) for name in before if before[name] != after[name]}
    assert not changed, f"database changed: {changed}"


@pytest.fixture
def logged_in(client, reviewer):
    """The test client, logged in as the reviewer 'rita'."""
    response = Auth(client).login("rita")
    assert response.status_code == 302
    return client


@pytest.fixture
def live_app(fresh_database, tmp_path):
    """The real app on a fresh database with two reviewers, errors rendered as users see them."""
    engine = make_engine(fresh_database)
    with sa.orm.Session(engine) as session:
        for name in ("rita", "otto"):
            accounts.create_user(session, name, PASSWORD, "reviewer")
        session.commit()
    engine.dispose()
    app = create_app({
        "SECRET_KEY": "test-secret", "DATABASE_URL": fresh_database,
        "INSTANCE_PATH": str(tmp_path / "instance"), "PROPAGATE_EXCEPTIONS": False,
    })
    yield app
    app.extensions[EXTENSION].kw["bind"].dispose()


def client_of(app, username: str):
    client = app.test_client()
    assert Auth(client).login(username).status_code == 302
    return client


def in_thread(work) -> tuple[threading.Thread, list]:
    """Run `work` in a thread; its result (or exception) lands in the returned list."""
    out: list = []

    def run():
        try:
            out.append(work())
        except BaseException as exc:  # handed to the test, which fails on it
            out.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, out


def upload(client, data: bytes, name: str, **fields):
    """Post the upload form as a browser would and follow the redirect."""
    token = csrf_token(client, "/documents")
    return client.post(
        "/documents",
        data={"csrf_token": token, "file": (io.BytesIO(data), name), **fields},
        content_type="multipart/form-data",
        follow_redirects=True,
    )


def pdf(encrypt_with: str | None = None) -> bytes:
    """A one-page PDF built with pypdf, optionally encrypted with a user password."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    if encrypt_with:
        writer.encrypt(encrypt_with)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def pdf_bomb(inflated: int) -> bytes:
    """A small PDF with one page whose content stream (the same text line repeated) inflates to `inflated` bytes."""
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    writer = PdfWriter()
    page = writer.add_blank_page(612, 792)
    font = writer._add_object(DictionaryObject({
        NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
        NameObject("/BaseFont"): NameObject("/Helvetica"),
    }))
    page[NameObject("/Resources")] = DictionaryObject({NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})})
    line = b"BT /F1 9 Tf 20 700 Td (In 2023 the province opened 66 new routes.) Tj ET\n"
    content = DecodedStreamObject()
    content.set_data(line * (inflated // len(line) + 1))
    page[NameObject("/Contents")] = writer._add_object(content.flate_encode(level=9))
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()
