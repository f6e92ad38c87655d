"""The review page's keys and forms in a real browser: help is modal, Enter saves a correction,
stepping and undoing one's own decision, numbers with separators, deprecated claims, progress,
the dashboard, the upload form's metadata and the export reference."""
import re
from pathlib import Path

import sqlalchemy as sa

from models import Claim, Document

from .conftest import LEAD, REVIEWER, login

CLAIM_URL = re.compile(r"/claims/(\d+)")


def _claim_id(page) -> int:
    return int(CLAIM_URL.search(page.url).group(1))


def _claim(server, claim_id: int) -> Claim:
    with server.session() as session:
        return session.get(Claim, claim_id)


def _start(page, server) -> int:
    login(page, server, REVIEWER)
    page.goto(f"{server.url}/queue/next")
    page.wait_for_selector("#review-form")
    return _claim_id(page)


def _wait_for_other_claim(page, previous: int) -> int:
    page.wait_for_url(lambda url: (m := CLAIM_URL.search(url)) is not None and int(m.group(1)) != previous)
    page.wait_for_selector("#review-form")
    return _claim_id(page)


def test_keys_help_dialog_swallows_shortcuts(server, page):
    claim_id = _start(page, server)
    page.keyboard.press("?")
    help_dialog = page.locator("#shortcuts")
    assert help_dialog.is_visible()
    for key in ("j", "k", "u", "c", "Enter"):
        assert f"{key}" in help_dialog.inner_text()
    page.keyboard.press("v")
    page.keyboard.press("s")
    page.wait_for_timeout(300)
    assert _claim_id(page) == claim_id and _claim(server, claim_id).status == "pending"
    page.keyboard.press("?")
    assert not help_dialog.is_visible()
    page.keyboard.press("v")
    _wait_for_other_claim(page, claim_id)
    assert _claim(server, claim_id).status == "verified"


def test_keys_enter_in_a_field_saves_the_correction_not_verify(server, page):
    claim_id = _start(page, server)
    page.fill("#field-subject", "Harbour district")
    page.press("#field-subject", "Enter")
    page.wait_for_selector("text=Correction saved.")
    claim = _claim(server, claim_id)
    assert (claim.status, claim.subject) == ("pending", "Harbour district")
    page.fill("#field-measure", "berths")
    page.keyboard.press("Escape")
    page.keyboard.press("c")
    page.wait_for_selector("text=Correction saved.")
    claim = _claim(server, claim_id)
    assert (claim.status, claim.measure) == ("pending", "berths")
    assert _claim_id(page) == claim_id


def test_keys_step_next_and_previous_without_deciding(server, page):
    first = _start(page, server)
    page.keyboard.press("j")
    second = _wait_for_other_claim(page, first)
    assert second > first
    page.keyboard.press("k")
    back = _wait_for_other_claim(page, second)
    assert back < second
    with server.session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Claim).where(Claim.status != "pending")) == 0


def test_keys_undo_own_latest_decision(server, page):
    first = _start(page, server)
    page.keyboard.press("v")
    second = _wait_for_other_claim(page, first)
    assert f"Undo my verify of claim {first}" in page.locator("#undo-mine").inner_text()
    page.keyboard.press("u")
    page.wait_for_selector(f"text=Undid your verify of claim {first}.")
    assert _claim_id(page) == first != second
    assert _claim(server, first).status == "pending"
    assert page.locator("#undo-mine").count() == 0


def test_forms_numbers_show_and_take_separators_exactly(server, page):
    claim_id = _start(page, server)
    with server.session() as session:
        session.execute(sa.update(Claim).where(Claim.id == claim_id).values(value=1190000000000.0, value_max=None))
        session.commit()
    page.reload()
    assert page.locator("#field-value").input_value() == "1,190,000,000,000"
    page.fill("#field-value", "2,500,000.25")
    page.press("#field-value", "Enter")
    page.wait_for_selector("text=Correction saved.")
    assert _claim(server, claim_id).value == 2500000.25
    assert page.locator("#field-value").input_value() == "2,500,000.25"
    page.fill("#field-value", "12,34")
    page.fill("#field-subject", "Kept subject")
    page.press("#field-value", "Enter")
    page.wait_for_selector("#error-value")
    assert "commas only between groups of three digits" in page.locator("#error-value").inner_text()
    assert page.locator("#field-value").input_value() == "12,34"
    assert page.locator("#field-subject").input_value() == "Kept subject"
    assert _claim(server, claim_id).value == 2500000.25


def test_forms_deprecated_claim_says_so_and_is_not_queued(server, page):
    claim_id = _start(page, server)
    left = page.locator("#left-in-queue").inner_text()
    with server.session() as session:
        session.execute(sa.update(Claim).where(Claim.id == claim_id)
                        .values(rank="deprecated", rank_reason="a later release corrects it"))
        session.commit()
    page.reload()
    assert page.locator("#claim-status").inner_text() == "deprecated"
    assert "not in the queue" in page.locator("#deprecated-note").inner_text()
    assert int(page.locator("#left-in-queue").inner_text().rstrip("+").replace(",", "")) == int(left) - 1
    page.goto(f"{server.url}/queue/next")
    page.wait_for_selector("#review-form")
    assert _claim_id(page) != claim_id


def test_progress_counts_on_the_claim_page(server, page):
    first = _start(page, server)
    left = int(page.locator("#left-in-queue").inner_text())
    assert page.locator("#decided-today").inner_text() == "0"
    page.keyboard.press("v")
    _wait_for_other_claim(page, first)
    assert page.locator("#decided-today").inner_text() == "1"
    assert int(page.locator("#left-in-queue").inner_text()) == left - 1


def test_dashboard_shows_the_days_work_and_refuses_a_bad_range(server, page, browser):
    first = _start(page, server)
    page.keyboard.press("r")
    page.keyboard.type("Not a measured quantity")
    page.keyboard.press("Enter")
    _wait_for_other_claim(page, first)
    lead = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    try:
        login(lead, server, LEAD)
        lead.click("nav >> text=Dashboard")
        row = lead.locator(f'#per-reviewer tr[data-reviewer="{REVIEWER}"]')
        assert row.locator('[data-kind="reject"]').inner_text() == "1"
        assert "not a measured quantity" in lead.locator("#reasons").inner_text()
        assert lead.locator("#per-document tbody tr").count() == 1
        lead.fill("#range-start", "2026-03-05")
        lead.fill("#range-end", "2026-03-01")
        with lead.expect_response(lambda r: "/dashboard?" in r.url) as answer:
            lead.click("#dashboard-range button")
        assert answer.value.status == 400
        assert lead.locator("#range-error").inner_text() == "Bad date range: the end date is before the start date."
    finally:
        lead.context.close()


def test_upload_form_metadata_and_export_reference(server, page, tmp_path: Path):
    login(page, server, REVIEWER)
    page.goto(f"{server.url}/documents")
    upload = tmp_path / "harbour.txt"
    upload.write_text("The **Eastern Quay** handled 412 container ships in 2023.\n", encoding="utf-8")
    page.set_input_files("#upload-file", str(upload))
    page.fill("#upload-title", "Harbour report")
    page.fill("#upload-author", "Port Office")
    page.fill("#upload-publisher", "City Press")
    page.fill("#upload-source_url", "not a web address")
    page.click("#upload-form button[type=submit]")
    assert "starting with http:// or https://" in page.locator("#upload-error-source_url").inner_text()
    assert page.locator("#upload-title").input_value() == "Harbour report"
    page.set_input_files("#upload-file", str(upload))
    page.fill("#upload-source_url", "https://example.org/harbour")
    page.click("#upload-form button[type=submit]")
    page.wait_for_selector("h1:text('Harbour report')")
    meta = page.locator("p.meta").inner_text()
    assert "Port Office" in meta and "City Press" in meta
    assert page.locator("#document-source").get_attribute("href") == "https://example.org/harbour"
    assert page.locator(".md-strong").inner_text() == "Eastern Quay"
    with server.session() as session:
        assert session.scalar(sa.select(Document.source).where(Document.title == "Harbour report")) == \
            "https://example.org/harbour"
    page.goto(f"{server.url}/export")
    page.click("#columns-link")
    page.wait_for_selector("#reference h1")
    assert "document_title" in page.locator("#reference").inner_text()
    assert page.dialogs == []
