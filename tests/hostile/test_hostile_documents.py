"""Hostile documents: every bad file is refused with a one-line reason, by the CLI and by the
upload form, and leaves the database exactly as it was."""
import html
import re

import pytest
import sqlalchemy as sa

from models import Claim, Document

from .conftest import pdf, unchanged, upload

SCRIPTED = (
    'Gansu has 66 sister cities. <script>alert(1)</script> <img src=x onerror=alert(2)> '
    '<a href="javascript:alert(3)">click</a> <svg onload=alert(4)></svg>'
)

# (case id, file name, content, what the user is told, environment for the case)
BAD_FILES = [
    ("binary", "logo.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "binary file (contains NUL bytes", {}),
    ("nul-bytes", "nul.txt", b"Gansu has 66 sister\x00 cities.", "binary file (contains NUL bytes", {}),
    ("control-chars", "ansi.md", b"Gansu has 66 cities \x1b[31mred\x1b[0m", "control character U+001B at character 20", {}),
    ("invalid-utf8", "latin1.txt", "Caf\xe9 sold 66 cups".encode("latin-1"), "not valid UTF-8: byte 0xe9 at offset 3", {}),
    ("utf16-no-bom", "wide.txt", "Gansu has 66 sister cities.".encode("utf-16-le"), "UTF-16 text needs a byte-order mark", {}),
    ("empty", "empty.txt", b"", "empty file", {}),
    ("whitespace", "blank.txt", b" \n\t\r\n   \n", "the file is empty or whitespace only", {}),
    ("over-size-limit", "big.txt", b"66 cities. " * 200, "file is 2,200 bytes, over the limit of 1,000 bytes",
     {"CLAIMTRACK_MAX_DOCUMENT_BYTES": "1000"}),
    ("200k-char-line", "line.txt", b"Title\n" + b"9" * 200_000, "line 2 is 200,000 characters long, over the limit of 100,000", {}),
    ("encrypted-pdf", "locked.pdf", pdf(encrypt_with="secret"), "encrypted PDF: remove the password", {}),
    ("broken-pdf", "broken.pdf", pdf()[:200], "broken PDF", {}),
    ("not-a-pdf", "fake.pdf", b"%PDF-1.7\nthis is not a pdf at all", "broken PDF", {}),
    ("textless-pdf", "scan.pdf", pdf(), "PDF has no extractable text", {}),
    ("unsupported-type", "payload.exe", b"MZ\x90\x00", "unsupported file type '.exe'", {}),
    ("script-only-html", "empty.html", b"<html><script>alert(1)</script><style>p{}</style></html>",
     "the file is empty or whitespace only", {}),
]


def _cases():
    return [pytest.param(name, data, reason, env, id=case) for case, name, data, reason, env in BAD_FILES]


def _counts(bind) -> tuple[int, int]:
    return (
        bind.scalar(sa.select(sa.func.count()).select_from(Document)),
        bind.scalar(sa.select(sa.func.count()).select_from(Claim)),
    )


@pytest.mark.parametrize(("name", "data", "reason", "env"), _cases())
def test_hostile_ingest_refuses_bad_file(runner, connection, tmp_path, monkeypatch, name, data, reason, env):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    path = tmp_path / name
    path.write_bytes(data)
    with unchanged(connection):
        result = runner.invoke(args=["ingest", str(path)])
    assert result.exit_code == 1
    refusals = [line for line in result.output.splitlines() if line.startswith("refused")]
    assert refusals == [refusals[0]] and f"{path}: " in refusals[0] and reason in refusals[0], result.output
    assert "0 added, 0 already stored, 1 refused" in result.output


@pytest.mark.parametrize(("name", "data", "reason", "env"), _cases())
def test_hostile_upload_refuses_bad_file(logged_in, connection, monkeypatch, name, data, reason, env):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with unchanged(connection):
        response = upload(logged_in, data, name)
    assert response.status_code == 200
    page = html.unescape(response.get_data(as_text=True))
    assert f"{name} refused: " in page and reason in page


@pytest.mark.parametrize(("name", "data", "reason", "env"), _cases())
def test_hostile_extract_refuses_bad_file(runner, connection, tmp_path, monkeypatch, name, data, reason, env):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    path = tmp_path / name
    path.write_bytes(data)
    with unchanged(connection):
        result = runner.invoke(args=["extract", str(path)])
    assert result.exit_code == 1
    assert f"refused {path}: " in result.output and reason in result.output


def test_hostile_ingest_batch_stores_good_files_and_nothing_of_bad_ones(runner, connection, tmp_path):
    for case, name, data, _reason, env in BAD_FILES:
        if not env and name.endswith((".txt", ".md", ".pdf", ".html")):
            (tmp_path / f"{case}-{name}").write_bytes(data)
    (tmp_path / "good.txt").write_text("In 2023, Gansu had 66 international sister cities.", encoding="utf-8")
    result = runner.invoke(args=["ingest", str(tmp_path)])
    assert result.exit_code == 1
    refused = [line for line in result.output.splitlines() if line.startswith("refused")]
    assert len(refused) == len(list(tmp_path.iterdir())) - 1
    assert "1 added" in result.output
    documents = connection.execute(sa.select(Document.file_name)).scalars().all()
    assert documents == ["good.txt"]


def test_hostile_request_over_max_content_length_is_413(logged_in, connection, app):
    app.config["MAX_CONTENT_LENGTH"] = 10_000
    with unchanged(connection):
        response = upload(logged_in, b"66 cities\n" * 5_000, "huge.txt")
    assert response.status_code == 413
    assert "413" in response.get_data(as_text=True)


def test_hostile_upload_without_file_refused(logged_in, connection):
    from ..conftest import csrf_token

    token = csrf_token(logged_in, "/documents")
    with unchanged(connection):
        response = logged_in.post("/documents", data={"csrf_token": token}, follow_redirects=True)
    assert "This field is required." in response.get_data(as_text=True)


@pytest.mark.parametrize("published", ["yesterday", "2024-13-45", "0000-00-00", "2024-02-30", "9" * 400, "'; DROP TABLE documents; --"])
def test_hostile_upload_bad_published_date_refused(logged_in, connection, published):
    with unchanged(connection):
        response = upload(logged_in, b"Gansu has 66 sister cities.", "ok.txt", published=published)
    assert "Not a valid date value." in response.get_data(as_text=True)


@pytest.mark.parametrize("filename", ["../../etc/passwd", "..\\..\\windows\\win.ini", "/etc/shadow", "....//....//etc"])
def test_hostile_upload_traversal_filename_without_type_refused(logged_in, connection, filename):
    with unchanged(connection):
        response = upload(logged_in, b"root:x:0:0:root:/root:/bin/bash", filename)
    page = html.unescape(response.get_data(as_text=True))
    assert re.search(r"\w+ refused: unsupported file type '(\(none\)|\.ini)'", page)
    assert "../" not in page and "..\\" not in page


def test_hostile_upload_traversal_filename_is_flattened(logged_in, connection, tmp_path):
    response = upload(logged_in, b"In 2023, Gansu had 66 international sister cities.", "../../../tmp/evil.txt")
    assert "evil.txt added with" in response.get_data(as_text=True)
    stored = connection.execute(sa.select(Document.file_name, Document.source)).one()
    assert tuple(stored) == ("tmp_evil.txt", "upload:tmp_evil.txt")


def test_hostile_ingest_refuses_non_utf8_metadata(runner, connection, tmp_path):
    (tmp_path / "note.txt").write_text("Gansu has 66 sister cities.", encoding="utf-8")
    (tmp_path / "metadata.json").write_text('[{"file": "note.txt", "published": "not a date"}]')
    with unchanged(connection):
        result = runner.invoke(args=["ingest", str(tmp_path)])
    assert result.exit_code == 1
    assert "bad metadata file" in result.output


def test_hostile_ingest_missing_path_is_usage_error(runner, connection, tmp_path):
    with unchanged(connection):
        result = runner.invoke(args=["ingest", str(tmp_path / "nope.txt")])
    assert result.exit_code == 2
    assert "does not exist" in result.output


@pytest.mark.parametrize("published", ["2024-13-01", "tomorrow", "1e400"])
def test_hostile_ingest_bad_published_option(runner, connection, tmp_path, published):
    (tmp_path / "note.txt").write_text("Gansu has 66 sister cities.", encoding="utf-8")
    with unchanged(connection):
        result = runner.invoke(args=["ingest", "--published", published, str(tmp_path)])
    assert result.exit_code == 2
    assert "use YYYY-MM-DD" in result.output


def test_hostile_markup_in_text_document_renders_inert(logged_in, connection):
    response = upload(logged_in, SCRIPTED.encode(), "scripted.txt")
    page = response.get_data(as_text=True)
    assert "scripted.txt added" in page
    assert connection.scalar(sa.select(Document.text)) == SCRIPTED
    _assert_inert(page)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(2)&gt;" in page


def test_hostile_markup_in_html_document_is_dropped(logged_in, connection):
    page_html = (
        "<html><head><title>Report <script>alert(0)</script></title></head><body>"
        f"<p onclick=\"alert(5)\">Gansu has 66 sister cities.</p><p>{SCRIPTED}</p></body></html>"
    )
    response = upload(logged_in, page_html.encode(), "scripted.html")
    page = response.get_data(as_text=True)
    _assert_inert(page)
    text = connection.scalar(sa.select(Document.text))
    assert "alert(1)" not in text and "onclick" not in text
    assert "Gansu has 66 sister cities." in text


def test_hostile_markup_in_title_and_file_name_renders_inert(logged_in, connection):
    text = "<script>alert(1)</script> report\nGansu has 66 sister cities."
    upload(logged_in, text.encode(), "<img src=x onerror=alert(2)>.txt")
    page = logged_in.get("/documents").get_data(as_text=True)
    _assert_inert(page)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; report" in page


def _assert_inert(page: str) -> None:
    """No markup from a document survives as markup: no script, no handler, no javascript: URL."""
    assert not re.search(r"<script(?![^>]*\bsrc=\"/static/)", page), "inline <script> in page"
    assert not re.search(r"<[a-z]+[^>]*\son[a-z]+\s*=", page, re.I), "event handler attribute in page"
    assert not re.search(r"(href|src|action)\s*=\s*[\"']?\s*javascript:", page, re.I)
    assert "<img" not in page and "<svg" not in page
