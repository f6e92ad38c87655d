"""Uploading a document on /documents, and downloading claims from the export page, in the browser."""
import csv
import io
import re

import sqlalchemy as sa

from claimtrack import review
from models import Claim, ConflictGroup, User, utcnow

from .conftest import REVIEWER, SECOND_REVIEWER, login

DOCUMENT_URL = re.compile(r"/documents/(\d+)$")
HARBOUR = "Harbour bulletin\n\nIn 2023 the port of Lanzhou handled 48,000 containers, up 12% on 2022.\n"

# The columns of docs/export.md, in their documented order.
DOCUMENTED_COLUMNS = [
    "claim_id", "subject", "measure", "value", "value_max", "unit", "qualifier", "change",
    "period_start", "period_end", "kind", "status", "rank", "rank_reason", "conflict_group_id",
    "document_title", "document_source", "document_published", "document_sha256",
    "span_start", "span_end", "quote", "sentence", "extracted_value", "extracted_unit",
    "reviewed_by", "reviewed_at", "review_note",
    "origin", "evidence_url", "evidence_document_id", "evidence_quote", "evidence_checked_on", "evidence_method",
    "resolution_note", "resolved_by", "reviews_required", "reviewed_by_second", "agreement", "uncertainty",
]


def _document_rows(page) -> list[str]:
    return page.locator("#documents tbody tr").all_inner_texts()


def test_upload_text_then_binary(server, page):
    login(page, server, REVIEWER)
    page.goto(f"{server.url}/documents")
    before = _document_rows(page)
    assert len(before) == 5

    page.set_input_files("input[name=file]", files=[
        {"name": "harbour.txt", "mimeType": "text/plain", "buffer": HARBOUR.encode("utf-8")}])
    page.click("section.upload button[type=submit]")
    page.wait_for_url(DOCUMENT_URL)
    assert "harbour.txt added with 2 claims." in page.locator(".flashes").inner_text()
    assert page.locator("h1").inner_text() == "Harbour bulletin"
    assert page.locator("#document-text").inner_text().strip() == HARBOUR.strip()
    assert page.locator("#document-text mark.claim").all_inner_texts() == ["48,000", "12%"]
    assert page.locator("#document-text mark.claim.pending a").count() == 2

    page.goto(f"{server.url}/documents")
    after_text = _document_rows(page)
    assert len(after_text) == 6
    assert any("Harbour bulletin" in row and "harbour.txt" in row for row in after_text)

    # A binary file (NUL bytes) is refused on the documents page; nothing new is listed.
    page.set_input_files("input[name=file]", files=[
        {"name": "photo.txt", "mimeType": "text/plain", "buffer": b"\x89PNG\r\n\x1a\n" + bytes(256)}])
    page.click("section.upload button[type=submit]")
    page.wait_for_selector(".flash.error")
    assert re.search(r"/documents$", page.url)
    assert "photo.txt refused: binary file" in page.locator(".flash.error").inner_text()
    assert _document_rows(page) == after_text
    assert "photo" not in page.locator("#documents").inner_text()
    assert page.dialogs == []


def _read_csv(download) -> list[list[str]]:
    with open(download.path(), encoding="utf-8", newline="") as f:
        text = f.read()
    assert text.endswith("\r\n") and "# export failed" not in text
    return list(csv.reader(io.StringIO(text, newline="")))


def _download(page):
    with page.expect_download() as info:
        page.click("form.export-filters button[type=submit]")
    download = info.value
    assert download.suggested_filename == f"claims-{utcnow().date():%Y%m%d}.csv"
    assert "/export.csv?" in download.url
    return download


def test_export_page_downloads_filtered_csv(server, page):
    with server.session() as session:
        settled = session.scalars(
            sa.select(Claim.id).join(ConflictGroup, Claim.group_id == ConflictGroup.id)
            .where(ConflictGroup.status == "consistent").order_by(Claim.id).limit(2)
        ).all()
        disputed = session.scalar(
            sa.select(Claim.id).join(ConflictGroup, Claim.group_id == ConflictGroup.id)
            .where(ConflictGroup.status == "open").order_by(Claim.id).limit(1)
        )
    mine, theirs = settled

    # Verify one claim on the review page...
    login(page, server, REVIEWER)
    page.goto(f"{server.url}/claims/{mine}")
    page.fill("#review-form textarea[name=note]", "Matches the statistical bulletin.")
    page.click("#review-form button[value=verify]")
    page.wait_for_selector(f"text=Claim {mine} verified.")
    # ...and two more directly: one by another reviewer, one of ours in an open conflict.
    with server.session() as session:
        users = {u.username: u for u in session.scalars(sa.select(User))}
        for claim_id, username in ((theirs, SECOND_REVIEWER), (disputed, REVIEWER)):
            claim = session.get(Claim, claim_id)
            review.decide(session, claim, users[username], "verify", version=claim.version, now=utcnow(),
                          check_lease=False)
        session.commit()

    page.goto(f"{server.url}/export")
    assert page.locator("input[name=status][value=verified]").is_checked()
    assert page.locator("select[name=conflicts]").input_value() == "settled"
    page.fill("input[name=reviewer]", REVIEWER)
    download = _download(page)
    assert f"reviewer={REVIEWER}" in download.url
    rows = _read_csv(download)
    assert rows[0] == DOCUMENTED_COLUMNS
    assert len(rows) == 2, rows
    record = dict(zip(rows[0], rows[1]))
    assert record["claim_id"] == str(mine)
    assert record["status"] == "verified"
    assert record["reviewed_by"] == REVIEWER
    assert record["review_note"] == "Matches the statistical bulletin."
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", record["reviewed_at"])

    # Every reviewer, open conflicts included: the three verified claims, in id order.
    page.goto(f"{server.url}/export")
    page.select_option("select[name=conflicts]", "all")
    rows = _read_csv(_download(page))
    assert rows[0] == DOCUMENTED_COLUMNS
    assert [int(r[0]) for r in rows[1:]] == sorted([mine, theirs, disputed])
    assert {r[rows[0].index("reviewed_by")] for r in rows[1:]} == {REVIEWER, SECOND_REVIEWER}

    # A filter that matches nothing gives the header alone.
    page.goto(f"{server.url}/export")
    page.fill("input[name=subject]", "Atlantis")
    rows = _read_csv(_download(page))
    assert rows == [DOCUMENTED_COLUMNS]
    assert page.dialogs == []
