"""Jobs in the browser: an upload that outlasts its wait is followed live on its job page and the documents page."""
import re

import pytest
from playwright.sync_api import expect

from .conftest import LEAD, REVIEWER, login, serve

JOB_URL = re.compile(r"/jobs/(\d+)$")


def _long_report() -> bytes:
    """About 400 kB of plausible report text: long enough to be extracted in a child process, for seconds."""
    lines = ["Annual statistics of the river authority", ""]
    for i in range(4000):
        lines.append(f"In {1950 + i % 70} the station at mile {i} measured {1000 + 7 * i:,} cubic metres "
                     f"of flow, {i % 90 + 3}% above the year before.")
    return "\n".join(lines).encode("utf-8")


@pytest.fixture
def queued_server(fresh_database, tmp_path):
    """A real server whose uploads never wait: each shows its job page at once."""
    yield from serve(fresh_database, tmp_path, UPLOAD_WAIT=0)


def test_upload_followed_live_on_job_page_and_documents_page(queued_server, page):
    server = queued_server
    login(page, server, REVIEWER)
    page.goto(f"{server.url}/documents")
    page.set_input_files("input[name=file]", files=[
        {"name": "river.txt", "mimeType": "text/plain", "buffer": _long_report()}])
    page.click("section.upload button[type=submit]")
    page.wait_for_url(JOB_URL)
    assert "river.txt is queued for reading" in page.locator(".flashes").inner_text()
    state = page.locator("#jobs .job-state")
    assert state.inner_text() in ("queued", "reading", "extracting claims", "checking conflicts")
    page.evaluate("window.notReloaded = true")
    expect(page.locator("#jobs .job-state")).to_have_text("done", timeout=60_000)
    assert page.evaluate("window.notReloaded") is True, "the page must follow the job without reloading"
    outcome = page.locator("#jobs .job-outcome")
    assert re.fullmatch(r"added with \d+ claims? document \d+", outcome.inner_text().strip())
    outcome.locator("a.job-document").click()
    page.wait_for_url(re.compile(r"/documents/\d+$"))
    assert page.locator("h1").inner_text() == "Annual statistics of the river authority"

    # The documents page lists the upload, done, with its document.
    page.goto(f"{server.url}/documents")
    row = page.locator("#uploads tbody tr")
    assert row.count() == 1
    assert "river.txt" in row.inner_text() and row.locator(".job-state").inner_text() == "done"

    # A second upload is followed on the documents page too, while it runs.
    page.set_input_files("input[name=file]", files=[
        {"name": "river-2.txt", "mimeType": "text/plain", "buffer": _long_report() + b"\nRevised edition of 2024."}])
    page.click("section.upload button[type=submit]")
    page.wait_for_url(JOB_URL)
    page.goto(f"{server.url}/documents")
    first = page.locator("#uploads tbody tr").first
    assert "river-2.txt" in first.inner_text()
    expect(first.locator(".job-state")).to_have_text("done", timeout=60_000)
    assert first.locator("a.job-document").count() == 1


def test_refused_upload_is_shown_with_its_reason_live(queued_server, page):
    server = queued_server
    login(page, server, REVIEWER)
    page.goto(f"{server.url}/documents")
    page.set_input_files("input[name=file]", files=[
        {"name": "photo.txt", "mimeType": "text/plain", "buffer": b"\x89PNG\r\n\x1a\n" + bytes(256)}])
    page.click("section.upload button[type=submit]")
    page.wait_for_url(JOB_URL)
    expect(page.locator("#jobs .job-state")).to_have_text("refused")
    assert page.locator("#jobs .job-outcome").inner_text().startswith("binary file")
    assert page.locator("#jobs a.job-document").count() == 0


def test_lead_rebuilds_conflicts_from_jobs_page(queued_server, page):
    server = queued_server
    login(page, server, LEAD)
    page.goto(f"{server.url}/jobs")
    assert page.locator("#no-jobs").count() == 1
    page.click("#rebuild-form button")
    page.wait_for_url(JOB_URL)
    expect(page.locator("#jobs .job-state")).to_have_text("done", timeout=60_000)
    assert re.match(r"checked \d+ claims in \d+ groups: 2 open conflicts", page.locator("#jobs .job-outcome").inner_text())
    page.goto(f"{server.url}/jobs")
    assert page.locator("#jobs tbody tr").count() == 1
    assert "Conflict rebuild" in page.locator("#jobs tbody tr").inner_text()


def test_reviewer_has_no_rebuild_button(queued_server, page):
    login(page, queued_server, REVIEWER)
    page.goto(f"{queued_server.url}/jobs")
    assert page.locator("#rebuild-form").count() == 0
    assert page.locator("nav a", has_text="Jobs").count() == 1


def test_export_prepared_as_a_job_and_downloaded(queued_server, page):
    server = queued_server
    login(page, server, REVIEWER)
    page.goto(f"{server.url}/export")
    # Every status, so the seeds' pending claims are in it.
    for box in page.locator('form.export-filters input[name="status"]').all():
        box.check()
    page.click("#export-job-form button")
    page.wait_for_url(JOB_URL)
    expect(page.locator("#jobs .job-state")).to_have_text("done", timeout=60_000)
    link = page.locator("#jobs a.job-download")
    expect(link).to_have_text("download CSV")
    with page.expect_download() as caught:
        link.click()
    text = open(caught.value.path(), encoding="utf-8").read()
    rows = text.splitlines()
    assert rows[0].startswith("claim_id,subject,measure,value")
    claims = int(re.search(r"([\d,]+) claims", page.locator("#jobs .job-outcome").inner_text())[1].replace(",", ""))
    assert claims > 20 and len(rows) >= claims + 1
