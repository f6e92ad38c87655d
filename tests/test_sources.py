"""Reading files: accepted formats decode exactly; bad files are refused with one line."""
from datetime import date

import pytest

from claimtrack.sources import DocumentError, decode_document, find_documents, read_document, upload_name

SEEDS = __import__("pathlib").Path(__file__).resolve().parent.parent / "seeds"


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("blob.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary file"),
        ("empty.txt", b"", "empty file"),
        ("blank.txt", b"  \n\t\n", "whitespace only"),
        ("latin1.txt", "caf\xe9 66 cities".encode("latin-1"), "not valid UTF-8: byte 0xe9 at offset 3"),
        ("utf16.txt", "66 cities".encode("utf-16-le"), "binary file"),
        ("control.txt", b"66 cities\x1b[31m", "control character U+001B"),
        ("sheet.xlsx", b"PK\x03\x04", "unsupported file type '.xlsx'"),
        ("broken.pdf", b"%PDF-1.7 garbage", "broken PDF"),
    ],
)
def test_bad_file_refused_with_one_line_reason(name, data, reason):
    with pytest.raises(DocumentError) as error:
        decode_document(data, name)
    assert reason in str(error.value)
    assert "\n" not in str(error.value)


def test_oversized_file_refused(monkeypatch):
    monkeypatch.setenv("CLAIMTRACK_MAX_DOCUMENT_BYTES", "1000")
    with pytest.raises(DocumentError, match="over the limit of 1,000 bytes"):
        decode_document(b"x" * 1001, "big.txt")


def test_overlong_line_refused():
    with pytest.raises(DocumentError, match="line 2 is 200,000 characters long"):
        decode_document(b"title\n" + b"a" * 200_000, "line.txt")


def test_text_kept_exactly():
    data = "Gansu\r\nhas  66\u00a0sister cities \u2014 “quoted”.\n\n".encode()
    assert decode_document(data, "exact.txt").text == data.decode()


def test_utf8_bom_and_utf16_with_bom_accepted():
    assert decode_document(b"\xef\xbb\xbf66 cities", "bom.txt").text == "66 cities"
    assert decode_document("66 cities".encode("utf-16"), "u16.txt").text == "66 cities"


def test_html_converted_to_text_without_script():
    html = b"<html><head><title>Report</title><script>alert(1)</script></head><body><p>Gansu has 66 sister cities.</p><p onclick='x()'>Second</p></body></html>"
    document = decode_document(html, "page.html")
    assert document.text == "Gansu has 66 sister cities.\nSecond"
    assert document.metadata.title == "Report"
    assert "alert" not in document.text


def test_seed_metadata_gives_published_date_and_title():
    document = read_document(SEEDS / "004_f2d86ae013227259.txt")
    assert document.metadata.published == date(2023, 11, 1)
    assert document.title.startswith("Boosting High-Quality Belt and Road")
    assert document.metadata.author == "Zheng Shanjie"


def test_explicit_published_date_wins():
    document = read_document(SEEDS / "001_4ba3201505e0714d.txt", published=date(2024, 12, 1))
    assert document.metadata.published == date(2024, 12, 1)


def test_dateline_gives_published_date_for_unknown_file(tmp_path):
    path = tmp_path / "news.txt"
    path.write_text("Headline\nBy Someone Updated: 2024-01-05\n\nGDP grew 5%.")
    assert read_document(path).metadata.published == date(2024, 1, 5)


def test_find_documents_expands_folders_and_skips_metadata():
    found = find_documents([SEEDS])
    assert [f.path.name for f in found] == sorted(p.name for p in SEEDS.glob("*.txt"))


def test_upload_name_over_255_characters_keeps_its_type():
    """A long name is cut in its stem: cut at the end, "report….txt" became a file of no type and was refused."""
    name = upload_name("r" * 300 + ".txt")
    assert len(name) == 255 and name.endswith(".txt")
    assert upload_name("x" * 300) == "x" * 255
    assert upload_name("short.md") == "short.md"
