"""The upload form's title, author, publisher and source URL: validated, stored, shown, exported."""
import csv
import io

import pytest
import sqlalchemy as sa

from models import Document

from .conftest import csrf_token

TEXT = b"The harbour handled 412 container ships in 2023, up from 380."


def _upload(client, **fields):
    data = {"csrf_token": csrf_token(client, "/documents"), "file": (io.BytesIO(TEXT), "harbour.txt"), **fields}
    return client.post("/documents", data=data, content_type="multipart/form-data")


def test_upload_metadata_stored_and_shown(client, reviewer, auth, db_session):
    auth.login("rita")
    response = _upload(client, title="Harbour report", author="Port Office", publisher="City Press",
                       source_url="HTTPS://example.org/harbour?year=2023", published="2024-02-01")
    assert response.status_code == 303
    document = db_session.scalar(sa.select(Document))
    assert (document.title, document.author, document.publisher, document.source) == (
        "Harbour report", "Port Office", "City Press", "https://example.org/harbour?year=2023")
    html = client.get(f"/documents/{document.id}").get_data(as_text=True)
    assert "<h1>Harbour report</h1>" in html and "Port Office" in html and "City Press" in html
    assert '<a href="https://example.org/harbour?year=2023" id="document-source" rel="noopener noreferrer nofollow">' in html


def test_upload_metadata_blank_keeps_what_the_file_says(client, reviewer, auth, db_session):
    auth.login("rita")
    assert _upload(client, title=" ", source_url="").status_code == 303
    document = db_session.scalar(sa.select(Document))
    assert document.title == TEXT.decode() and document.source == "upload:harbour.txt"


@pytest.mark.parametrize("url", ["javascript:alert(1)", "example.org/report", "https://", "http://exa mple.org",
                                 "ftp://example.org/x", "http://[::1"])
def test_upload_bad_source_url_refused_form_kept(client, reviewer, auth, db_session, url):
    auth.login("rita")
    response = _upload(client, title="Harbour report", author="Port Office", source_url=url)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Enter the full web address, starting with http:// or https://." in html
    assert 'value="Harbour report"' in html and 'value="Port Office"' in html
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Document)) == 0


def test_upload_title_and_source_url_exported(client, reviewer, lead, auth, db_session):
    auth.login("rita")
    _upload(client, title="Harbour report", source_url="https://example.org/harbour")
    auth.logout()
    auth.login("lena")
    rows = list(csv.DictReader(io.StringIO(client.get("/export.csv?status=pending").get_data(as_text=True))))
    assert rows and {(r["document_title"], r["document_source"]) for r in rows} == {
        ("Harbour report", "https://example.org/harbour")}
