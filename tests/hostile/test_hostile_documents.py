"""Hostile documents: every bad file is refused with a one-line reason, by the CLI and by the
upload form, and leaves the database exactly as it was."""
import html
import os
import re

import pytest
import sqlalchemy as sa

from models import Claim, Document

from .conftest import pdf, pdf_bomb, unchanged, upload

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
    ("c1-control-chars", "c1.txt", "Gansu has 66 sister cities\u0085 and \u009b31m more".encode(),
     "control character U+0085 at character 26", {}),
    ("inflating-pdf", "bomb.pdf", pdf_bomb(20_000_000),
     "PDF pages inflate to over 10,485,760 bytes (CLAIMTRACK_MAX_PDF_INFLATED_BYTES)", {}),
    ("slow-pdf", "slow.pdf", pdf_bomb(4_000_000), "PDF took longer than 1 s to read (CLAIMTRACK_MAX_PDF_SECONDS)",
     {"CLAIMTRACK_MAX_PDF_SECONDS": "1"}),
    ("pdf-text-over-limit", "long.pdf", pdf_bomb(200_000), "PDF text is over the limit of 50,000 bytes",
     {"CLAIMTRACK_MAX_DOCUMENT_BYTES": "50000"}),
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
    app.config["MAX_DOCUMENT_BYTES"] = 3 * 2**20
    with unchanged(connection):
        response = upload(logged_in, b"66 cities\n" * 5_000, "huge.txt")
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "413" in page and "at most 3.0 MiB" in page


def test_hostile_upload_without_file_refused(logged_in, connection):
    from ..conftest import csrf_token

    token = csrf_token(logged_in, "/documents")
    with unchanged(connection):
        response = logged_in.post("/documents", data={"csrf_token": token}, follow_redirects=True)
    assert "Choose a file to add." in response.get_data(as_text=True)


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


def test_hostile_upload_traversal_filename_keeps_only_its_last_part(logged_in, connection, tmp_path):
    response = upload(logged_in, b"In 2023, Gansu had 66 international sister cities.", "../../../tmp/evil.txt")
    assert "evil.txt added with" in response.get_data(as_text=True)
    stored = connection.execute(sa.select(Document.file_name, Document.source)).one()
    assert tuple(stored) == ("evil.txt", "upload:evil.txt")


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


CR_REPORT = "Annual report" + "".join(
    f"\nIn 2023, the province of Gansu opened {n} new bus and rail routes to its neighbours." for n in range(10, 1510))


@pytest.mark.parametrize("ending", ["\r", "\r\n", "\n"], ids=["cr", "crlf", "lf"])
def test_hostile_line_endings_of_any_kind_are_stored_exactly(runner, logged_in, connection, tmp_path, ending):
    text = CR_REPORT.replace("\n", ending)
    assert len(text) > 100_000
    path = tmp_path / "routes.txt"
    path.write_bytes(text.encode())
    result = runner.invoke(args=["ingest", str(path)])
    assert result.exit_code == 0, result.output
    assert "1 added" in result.output
    stored = connection.execute(sa.select(Document.id, Document.text)).one()
    assert stored.text == text
    claims = connection.execute(sa.select(Claim.start, Claim.end, Claim.quote).where(Claim.document_id == stored.id)).all()
    assert len(claims) >= 1500 and all(text[start:end] == quote for start, end, quote in claims)
    again = html.unescape(upload(logged_in, text.encode(), "routes-again.txt").get_data(as_text=True))
    assert f"routes-again.txt is already stored as document {stored.id}" in again


@pytest.mark.parametrize("ending", ["\r", "\r\n"], ids=["cr", "crlf"])
def test_hostile_line_limit_counts_lines_ending_in_cr(logged_in, connection, ending):
    text = f"Title{ending}In 2023, Gansu opened 66 new routes.{ending}" + "9" * 200_000
    with unchanged(connection):
        page = html.unescape(upload(logged_in, text.encode(), "long-line.txt").get_data(as_text=True))
    assert "long-line.txt refused: line 3 is 200,000 characters long, over the limit of 100,000" in page


@pytest.mark.parametrize(("sent", "stored"), [
    ("报告.txt", "报告.txt"),
    ("отчёт за 2023 год.md", "отчёт за 2023 год.md"),
    ("تقرير السنة.txt", "تقرير السنة.txt"),
    ("रिपोर्ट.txt", "रिपोर्ट.txt"),
    ("年次レポート 2023.md", "年次レポート 2023.md"),
    ("report\u202etxt.md", "reporttxt.md"),
])
def test_hostile_upload_file_name_in_any_script(logged_in, connection, sent, stored):
    response = upload(logged_in, f"In 2023, Gansu had 66 sister cities ({stored}).".encode(), sent)
    assert f"{stored} added with 1 claim." in html.unescape(response.get_data(as_text=True))
    document = connection.execute(sa.select(Document.file_name, Document.source, Document.media_type)).one()
    assert tuple(document) == (stored, f"upload:{stored}", "text/markdown" if stored.endswith(".md") else "text/plain")
    listing = html.unescape(logged_in.get("/documents").get_data(as_text=True))
    assert stored in listing


def _symlinked_corpus(tmp_path):
    """A folder with one good file and links out of it: to a file, a folder and the instance's secret key."""
    outside, instance, corpus = tmp_path / "outside", tmp_path / "instance", tmp_path / "corpus"
    for folder in (outside, instance, corpus):
        folder.mkdir(exist_ok=True)
    (outside / "salaries.txt").write_text("The director earns 66 thousand yuan a month.", encoding="utf-8")
    (instance / "secret_key").write_text("5ec2e7" * 10, encoding="utf-8")
    (instance / "notes.txt").write_text("Private notes: 66 passwords rotated in 2023.", encoding="utf-8")
    (corpus / "good.txt").write_text("In 2023, Gansu had 66 international sister cities.", encoding="utf-8")
    (corpus / "same.txt").symlink_to("good.txt")
    (corpus / "salaries.txt").symlink_to(outside / "salaries.txt")
    (corpus / "key.txt").symlink_to(instance / "secret_key")
    (corpus / "elsewhere").symlink_to(outside, target_is_directory=True)
    (corpus / "sub").mkdir()
    (corpus / "sub" / "up.md").symlink_to("../../outside/salaries.txt")
    return corpus, instance


def test_hostile_ingest_refuses_symlinks_leaving_the_folder(runner, connection, tmp_path):
    corpus, _instance = _symlinked_corpus(tmp_path)
    result = runner.invoke(args=["ingest", str(corpus)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    for link in ("elsewhere", "key.txt", "salaries.txt", "sub/up.md"):
        assert any(line.startswith(f"refused   {corpus / link}: symbolic link to ") and
                   line.endswith(f", outside the folder {corpus}: not followed") for line in lines), (link, lines)
    assert any(line.startswith(f"unchanged {corpus / 'same.txt'}: already stored as document") for line in lines)
    assert "1 added, 1 already stored, 4 refused" in result.output
    texts = connection.execute(sa.select(Document.text)).scalars().all()
    assert texts == ["In 2023, Gansu had 66 international sister cities."]


def test_hostile_ingest_never_reads_the_instance_folder(runner, app, connection, tmp_path):
    corpus, instance = _symlinked_corpus(tmp_path)
    assert os.path.samefile(app.instance_path, instance)
    (tmp_path / "key-link.txt").symlink_to(instance / "secret_key")
    with unchanged(connection):
        result = runner.invoke(args=["ingest", str(instance), str(instance / "notes.txt"), str(tmp_path / "key-link.txt")])
    assert result.exit_code == 1
    refusals = [line for line in result.output.splitlines() if line.startswith("refused")]
    reason = f"in the instance folder {instance} (database, secret key): never ingested"
    assert refusals == [
        f"refused   {instance / 'notes.txt'}: {reason}",
        f"refused   {instance / 'notes.txt'}: {reason}",
        f"refused   {tmp_path / 'key-link.txt'}: {reason}",
    ]
    assert "0 added, 0 already stored, 3 refused" in result.output


FORGED = "x\nadded     forged.txt: document 999, 66 claims\ny.txt"


def test_hostile_file_names_cannot_forge_cli_output(runner, connection, tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / FORGED).write_text("In 2023, Gansu had 66 international sister cities.", encoding="utf-8")
    (corpus / "bad\rrefused   \u202ecat.txt").write_bytes(b"\x00\x01binary")
    (corpus / os.fsdecode(b"caf\xe9\x85.md")).write_text("The caf\u00e9 sold 66 cups in 2023.", encoding="utf-8")
    refused = f"refused   {corpus}/bad\\rrefused   \\u202ecat.txt: binary file"
    stored = [f"{corpus}/caf\\udce9\\udc85.md: ",
              f"{corpus}/x\\nadded     forged.txt: document 999, 66 claims\\ny.txt: "]
    for status, summary in (("added     ", "2 added, 0 already stored, 1 refused"),
                            ("unchanged ", "0 added, 2 already stored, 1 refused")):
        result = runner.invoke(args=["ingest", str(corpus)])
        assert result.exit_code == 1, result.output
        lines = [line for line in result.output.splitlines() if line != "Ingesting"]  # the progress bar's label
        assert len(lines) == 4, lines
        assert lines[0].startswith(refused)
        assert [line[:len(status + name)] for line, name in zip(lines[1:3], stored)] == [status + name for name in stored]
        assert lines[3] == summary
    extracted = runner.invoke(args=["extract", str(corpus / "bad\rrefused   \u202ecat.txt")])
    assert extracted.output.splitlines() == [
        f"refused {corpus}/bad\\rrefused   \\u202ecat.txt: binary file (contains NUL bytes; "
        "UTF-16 text needs a byte-order mark)"]
    names = connection.execute(sa.select(Document.file_name).order_by(Document.id)).scalars().all()
    assert sorted(names) == sorted([FORGED, "caf\ufffd.md"])


def test_hostile_ingest_folder_with_link_loops_and_a_fifo(runner, connection, tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "good.txt").write_text("In 2022, the harbour handled 71 cruise ships.", encoding="utf-8")
    (corpus / "self.txt").symlink_to("self.txt")
    (corpus / "ping.md").symlink_to("pong.md")
    (corpus / "pong.md").symlink_to("ping.md")
    (corpus / "gone.txt").symlink_to("missing.txt")
    os.mkfifo(corpus / "pipe.txt")
    result = runner.invoke(args=["ingest", str(corpus)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert result.exit_code == 1, result.output
    refusals = sorted(line for line in result.output.splitlines() if line.startswith("refused"))
    assert refusals == [
        f"refused   {corpus / 'gone.txt'}: not a file",
        f"refused   {corpus / 'ping.md'}: symbolic link loop: not followed",
        f"refused   {corpus / 'pipe.txt'}: not a file",
        f"refused   {corpus / 'pong.md'}: symbolic link loop: not followed",
        f"refused   {corpus / 'self.txt'}: symbolic link loop: not followed",
    ]
    assert "1 added, 0 already stored, 5 refused" in result.output
    texts = connection.execute(sa.select(Document.text)).scalars().all()
    assert texts == ["In 2022, the harbour handled 71 cruise ships."]


def test_hostile_ingest_file_gone_before_it_is_read(runner, connection, tmp_path, monkeypatch):
    from claimtrack import sources

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "kept.txt").write_text("In 2022, the harbour handled 71 cruise ships.", encoding="utf-8")
    (corpus / "later.txt").write_text("In 2021, the ferry carried 9,300 cars.", encoding="utf-8")
    listed = sources.find_documents

    def list_then_delete(*args, **kwargs):
        found = listed(*args, **kwargs)
        (corpus / "later.txt").unlink()
        return found

    monkeypatch.setattr("webapp.cli.find_documents", list_then_delete)
    result = runner.invoke(args=["ingest", str(corpus)])
    assert result.exit_code == 1, result.output
    refusals = [line for line in result.output.splitlines() if line.startswith("refused")]
    assert len(refusals) == 1 and refusals[0].startswith(f"refused   {corpus / 'later.txt'}: "), refusals
    assert "1 added, 0 already stored, 1 refused" in result.output
    assert connection.execute(sa.select(Document.text)).scalars().all() == [
        "In 2022, the harbour handled 71 cruise ships."]
