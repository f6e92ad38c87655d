"""A reviewer works the queue by keyboard; a lead undoes; untrusted text stays text."""
import hashlib
import re

import pytest
import sqlalchemy as sa

from models import Claim, Document

from .conftest import LEAD, REVIEWER, login, logout

CLAIM_URL = re.compile(r"/claims/(\d+)")


def _claim_id(page) -> int:
    return int(CLAIM_URL.search(page.url).group(1))


def _next_claim(page, previous: int) -> int:
    page.wait_for_url(lambda url: (m := CLAIM_URL.search(url)) is not None and int(m.group(1)) != previous)
    page.wait_for_selector("#review-form")
    return _claim_id(page)


def _status(server, claim_id: int) -> str:
    with server.session() as session:
        return session.scalar(sa.select(Claim.status).where(Claim.id == claim_id))


def test_reviewer_works_queue_by_keyboard_and_lead_undoes(server, page):
    login(page, server, REVIEWER)
    page.goto(f"{server.url}/queue")
    page.click("#start-reviewing")
    page.wait_for_selector("#review-form")
    first = _claim_id(page)
    assert page.locator("#source-span").is_visible()
    page.screenshot(path="/tmp/claimtrack-review-page.png", full_page=True)

    page.keyboard.press("v")
    second = _next_claim(page, first)
    assert _status(server, first) == "verified"

    page.keyboard.press("r")
    assert page.locator("#key-hint").is_visible()
    page.keyboard.type("Not a quantity about the subject")
    page.keyboard.press("Enter")
    third = _next_claim(page, second)
    assert _status(server, second) == "rejected"

    page.keyboard.press("n")
    page.keyboard.type("Which year is this?")
    page.keyboard.press("Enter")
    fourth = _next_claim(page, third)
    assert _status(server, third) == "needs_info"

    page.keyboard.press("s")
    fifth = _next_claim(page, fourth)
    assert _status(server, fourth) == "pending"

    page.keyboard.press("?")
    assert page.locator("#shortcuts").is_visible()
    page.keyboard.press("Escape")

    # Correct a value: the correction is saved, the extraction still shown beside it.
    extracted = page.locator("#extracted-value").inner_text()
    page.keyboard.press("e")
    page.keyboard.type("12345")
    page.click("#save-correction")
    page.wait_for_selector("text=Correction saved.")
    assert page.locator("#field-value").input_value() == "12,345"
    assert page.locator("#extracted-value").inner_text() == extracted
    assert "correct" in page.locator("#history").inner_text()

    page.keyboard.press("v")
    _next_claim(page, fifth)
    assert _status(server, fifth) == "verified"

    page.goto(f"{server.url}/queue")
    assert page.locator("#mine-today").inner_text() == "4"

    # The history of the rejected claim shows the reason, who and when.
    page.goto(f"{server.url}/claims/{second}")
    history = page.locator("#history").inner_text()
    assert "reject by rita" in history and "Not a quantity about the subject" in history
    logout(page)

    login(page, server, LEAD)
    page.goto(f"{server.url}/claims/{fifth}")
    assert "12,345" in page.locator("#history").inner_text()
    page.click("#history form.undo button")
    page.wait_for_selector("text=Undid the verify of rita.")
    assert page.locator("#claim-status").inner_text() == "pending"
    assert page.locator("#history li").first.inner_text().startswith("undo by lena")
    assert _status(server, fifth) == "pending"
    logout(page)
    assert page.dialogs == []


@pytest.fixture
def hostile_document(server):
    """A document whose text is HTML and script, with one claim on it."""
    text = "<script>alert('pwned')</script> The port handled <b>42</b> ships <img src=x onerror=alert(1)>."
    with server.session() as session:
        document = Document(sha256=hashlib.sha256(text.encode()).hexdigest(), file_name="hostile.txt",
                            title="<i>Hostile</i> title", text=text, char_count=len(text))
        start = text.index("42")
        session.add(Claim(document=document, start=start, end=start + 2, quote="42", sentence_start=0,
                          sentence_end=len(text), value=42.0, extracted_value=42.0, subject="<script>x</script>",
                          extracted_subject="<script>x</script>", confidence=0.5))
        session.commit()
        return document.id, session.scalar(sa.select(Claim.id).where(Claim.document_id == document.id))


def test_document_html_renders_as_text(server, page, hostile_document):
    document_id, claim_id = hostile_document
    login(page, server, REVIEWER)
    page.goto(f"{server.url}/documents/{document_id}")
    assert "<script>alert('pwned')</script>" in page.locator("#document-text").inner_text()
    assert page.locator("h1").inner_text() == "<i>Hostile</i> title"
    page.goto(f"{server.url}/claims/{claim_id}")
    assert "<script>alert('pwned')</script>" in page.locator("#source-paragraph").inner_text()
    assert "<img src=x onerror=alert(1)>" in page.locator("#source-paragraph").inner_text()
    assert page.locator("#extracted-subject").inner_text() == "<script>x</script>"
    page.wait_for_timeout(300)
    assert page.dialogs == []
