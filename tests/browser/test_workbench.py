"""The reviewer's workbench in a real browser: a missed claim from a selection, evidence on a verify,
the guidelines on `g`, and a lead's dismissal of a filter's claims with its undo."""
import re
from datetime import datetime, timezone

import sqlalchemy as sa

from claimtrack import accounts, review
from claimtrack.ingest import ingest
from claimtrack.sources import decode_document
from models import Claim, Document, Review

from .conftest import LEAD, REVIEWER, login, logout

TEXT = ("Harbour report.\n"
        "The port of Kotka handled 14.2 million tonnes of cargo in 2022, and some thirty cranes worked it.")
CLAIM_URL = re.compile(r"/claims/(\d+)")


def _document(server, text: str = TEXT, extract: bool = False) -> int:
    """A document of our own: extracted like an upload, or stored bare (no claims)."""
    with server.session() as session:
        if extract:
            document_id = ingest(session, decode_document(text.encode(), "kotka.txt")).document_id
        else:
            document = Document(sha256=f"{abs(hash(text)):064d}"[:64], file_name="kotka.txt", title="Kotka",
                                text=text, char_count=len(text))
            session.add(document)
            session.flush()
            document_id = document.id
        session.commit()
    return document_id


def _select(page, selector: str, node_index: int, start: int, end: int) -> None:
    """Select characters [start, end) of the element's `node_index`-th text node, as a reader's drag would."""
    page.evaluate(
        """([selector, index, start, end]) => {
             const root = document.querySelector(selector);
             const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
             let node = walker.nextNode();
             for (let i = 0; i < index; i++) node = walker.nextNode();
             const range = document.createRange();
             range.setStart(node, start);
             range.setEnd(node, end);
             const selection = window.getSelection();
             selection.removeAllRanges();
             selection.addRange(range);
           }""",
        [selector, node_index, start, end])


def test_reviewer_adds_a_missed_claim_from_a_selection(server, page):
    document_id = _document(server)
    login(page, server, REVIEWER)
    page.goto(f"{server.url}/documents/{document_id}")
    assert not page.locator("#add-claim").is_visible()
    start = TEXT.index("some thirty cranes")
    # A double click takes the space after the word too: the span is the text alone.
    _select(page, "#document-text", 0, start, start + len("some thirty cranes "))
    page.wait_for_selector("#add-claim", state="visible")
    assert page.locator("#add-claim-selection").inner_text() == "some thirty cranes"
    page.click("#add-claim-button")
    page.wait_for_selector("#new-claim-form")
    assert page.locator("#new-claim-span").inner_text() == "some thirty cranes"
    page.fill("#field-value", "30")
    page.select_option("#field-qualifier", "~")
    page.fill("#field-subject", "port of Kotka")
    page.fill("#field-measure", "cranes")
    page.click("#add-claim-save")
    page.wait_for_url(CLAIM_URL)
    assert "added by a reviewer" in page.locator(".meta").first.inner_text()
    assert page.locator("#source-span").inner_text() == "some thirty cranes"
    claim_id = int(CLAIM_URL.search(page.url).group(1))
    with server.session() as session:
        claim = session.get(Claim, claim_id)
        assert (claim.origin, claim.status, claim.start, claim.value, claim.subject) == (
            "reviewer", "pending", start, 30.0, "port of Kotka")
        assert session.scalar(sa.select(Review.decision).where(Review.claim_id == claim_id)) == "add"
    # The same span from another tab: a clear refusal that names the claim.
    page.goto(f"{server.url}/documents/{document_id}/claims/new?start={start}&end={start + 18}"
              f"&quote=some+thirty+cranes")
    assert f"Claim {claim_id} already covers this span" in page.locator("#refusal").inner_text()


def test_reviewer_adds_a_claim_from_the_claim_pages_paragraph(server, page):
    text = "Dock news.\nThe port of Hamina handled 9.1 million tonnes in 2022 with twelve tugs on duty."
    document_id = _document(server, text, extract=True)
    with server.session() as session:
        first = session.scalar(sa.select(Claim.id).where(Claim.document_id == document_id).order_by(Claim.start))
    login(page, server, REVIEWER)
    page.goto(f"{server.url}/claims/{first}")
    start = text.index("twelve tugs")
    # The paragraph is: text before the claim, the claim's mark, then the rest (the third text node).
    after_node_start = text.index("9.1 million tonnes") + len("9.1 million tonnes")
    with server.session() as session:
        span_end = session.get(Claim, first).end
    assert span_end == after_node_start
    _select(page, "#source-paragraph", 2, start - span_end, start - span_end + len("twelve tugs"))
    page.click("#add-claim-button")
    page.wait_for_selector("#new-claim-form")
    assert page.locator("#new-claim-span").inner_text() == "twelve tugs"
    page.fill("#field-value", "12")
    page.fill("#field-measure", "tugs")
    page.click("#add-claim-save")
    page.wait_for_url(CLAIM_URL)
    assert page.locator("#source-span").inner_text() == "twelve tugs"


def _open_next(page, server) -> int:
    page.goto(f"{server.url}/queue/next")
    page.wait_for_selector("#review-form")
    return int(CLAIM_URL.search(page.url).group(1))


def test_verify_records_evidence_and_required_evidence_keeps_the_form(server, page):
    login(page, server, LEAD)
    page.goto(f"{server.url}/team")
    page.check("#field-evidence-required")
    page.click("#save-team")
    page.wait_for_selector("text=Team settings saved.")
    logout(page)
    login(page, server, REVIEWER)
    claim_id = _open_next(page, server)
    assert page.locator("#evidence-required").is_visible()
    page.fill("#field-evidence-url", "https://stats.example.org/cargo")
    page.fill("#field-note", "checked the table")
    page.click("button[value=verify]")
    page.wait_for_selector("#error-evidence_checked_on")
    assert "date you consulted" in page.locator("#error-evidence_checked_on").inner_text()
    assert page.locator("#field-evidence-url").input_value() == "https://stats.example.org/cargo"
    assert page.locator("#field-note").input_value() == "checked the table"
    with server.session() as session:
        assert session.get(Claim, claim_id).status == "pending"
    page.fill("#field-evidence-quote", "Table 3: cargo handled")
    page.fill("#field-evidence-checked-on", "2026-01-15")
    page.select_option("#field-evidence-method", "official")
    page.click("button[value=verify]")
    page.wait_for_url(lambda url: f"/claims/{claim_id}" not in url)
    page.goto(f"{server.url}/claims/{claim_id}")
    history = page.locator("#history").inner_text()
    assert "https://stats.example.org/cargo" in history and "official statistics" in history
    assert "2026-01-15" in history and "Table 3: cargo handled" in history


def test_guidelines_open_with_g_and_each_review_records_their_version(server, page):
    login(page, server, LEAD)
    page.goto(f"{server.url}/guidelines/edit")
    page.fill("#field-body", "# Our rules\n\nCheck the **unit** against the source.\n\n<script>alert(1)</script>")
    page.click("#save-guidelines")
    page.wait_for_selector("text=Guidelines saved as version 1.")
    logout(page)
    login(page, server, REVIEWER)
    claim_id = _open_next(page, server)
    assert not page.locator("#guidelines-dialog").is_visible()
    page.keyboard.press("g")
    page.wait_for_selector("#guidelines-dialog", state="visible")
    assert page.locator("#guidelines-dialog-body strong").inner_text() == "unit"
    assert "<script>alert(1)</script>" in page.locator("#guidelines-dialog-body").inner_text()
    # No review key reaches the claim while the guidelines are open.
    page.keyboard.press("v")
    page.wait_for_timeout(300)
    assert f"/claims/{claim_id}" in page.url
    page.keyboard.press("g")
    page.wait_for_selector("#guidelines-dialog", state="hidden")
    page.keyboard.press("v")
    page.wait_for_url(lambda url: f"/claims/{claim_id}" not in url)
    with server.session() as session:
        assert session.scalar(sa.select(Review.guidelines_version).where(
            Review.claim_id == claim_id, Review.decision == "verify")) == 1
    assert page.dialogs == []


def test_lead_dismisses_a_filters_claims_and_undoes_the_batch(server, page):
    text = "Old tales.\nThe city stood for two millennia and four decades, and its walls had three gates."
    document_id = _document(server, text, extract=True)
    with server.session() as session:
        ids = session.scalars(sa.select(Claim.id).where(Claim.document_id == document_id).order_by(Claim.id)).all()
    assert len(ids) >= 2
    login(page, server, LEAD)
    page.goto(f"{server.url}/claims?document={document_id}")
    page.fill("#field-dismiss-reason", "rhetorical durations and list numerals")
    page.click("#dismiss-button")
    page.wait_for_url(re.compile(r"/batches/"))
    assert f"{len(ids)} claims dismissed" in page.locator(".flashes").inner_text()
    with server.session() as session:
        assert set(session.scalars(sa.select(Claim.status).where(Claim.id.in_(ids)))) == {"rejected"}
        # Another lead reopens and verifies one of them meanwhile.
        other = accounts.create_user(session, "orla", "correct horse battery", "lead")
        kept = session.get(Claim, ids[0])
        now = datetime.now(timezone.utc)
        review.reopen(session, kept, other, version=kept.version, now=now)
        review.decide(session, kept, other, "verify", version=kept.version, now=now, check_lease=False)
        session.commit()
    page.click("text=Undo this batch")
    page.wait_for_url(f"{server.url}/claims")
    flashes = page.locator(".flashes").inner_text()
    assert f"Undid {len(ids) - 1} decisions" in flashes
    assert f"Claim {ids[0]} kept as it is: orla changed it since (verify" in flashes
    with server.session() as session:
        statuses = dict(session.execute(sa.select(Claim.id, Claim.status).where(Claim.id.in_(ids))).all())
    assert statuses[ids[0]] == "verified" and {statuses[i] for i in ids[1:]} == {"pending"}
