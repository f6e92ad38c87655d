"""Finding claims in the browser: search on /claims and /queue, filters in any case, the claims
list's total, pages and sorts, select-all and a refused bulk action, and a document's claim list."""
import re

import sqlalchemy as sa

from claimtrack.claim_filters import ClaimFilter
from models import Claim, Document

from .conftest import LEAD, REVIEWER, login

CLAIM_URL = re.compile(r"/claims/(\d+)(\?|$)")


def _count(server, **filters) -> int:
    with server.session() as session:
        return session.scalar(sa.select(sa.func.count()).select_from(Claim).where(*ClaimFilter(**filters).conditions()))


def _ids(page) -> list[int]:
    return [int(text) for text in page.locator("#claims tbody tr td.num a").all_inner_texts()]


def _claim(server, claim_id: int) -> Claim:
    with server.session() as session:
        claim = session.get(Claim, claim_id)
        session.expunge(claim)
        return claim


def _matching_ids(server, **filters) -> set[int]:
    with server.session() as session:
        return set(session.scalars(sa.select(Claim.id).where(*ClaimFilter(**filters).conditions())))


def test_search_on_the_claims_list(server, page):
    expected = _count(server, q="gansu")
    assert 50 < expected < 10_000
    login(page, server, REVIEWER)
    page.goto(f"{server.url}/claims")
    page.fill("#claim-filters input[name=q]", "GANSU")
    page.click("#claim-filters button[type=submit]")
    page.wait_for_url(re.compile(r"/claims\?.*q=GANSU"))
    assert page.locator("#total").inner_text() == f"{expected:,} claims match."
    shown = _ids(page)
    assert len(shown) == 50 and set(shown) <= _matching_ids(server, q="gansu")
    # Operators and stray quotes are words, never an error page.
    page.fill("#claim-filters input[name=q]", 'gansu" OR (')
    page.click("#claim-filters button[type=submit]")
    page.wait_for_load_state()
    assert "claims match" in page.locator("#total").inner_text() or "claim matches" in page.locator("#total").inner_text()
    page.fill("#claim-filters input[name=q]", '"*"')
    page.click("#claim-filters button[type=submit]")
    page.wait_for_load_state()
    assert "search text must contain a word or a number" in page.content()
    assert page.dialogs == []


def test_filters_match_any_case_and_a_prefix(server, page):
    gansu = _count(server, subject="Gansu")
    assert gansu > 0 and _count(server, subject="gan") == gansu
    login(page, server, REVIEWER)
    page.goto(f"{server.url}/claims?subject=gansu&measure=")
    assert page.locator("#total").inner_text() == f"{gansu:,} claims match."
    with server.session() as session:
        measure = session.scalar(sa.select(Claim.measure).where(Claim.measure != "").limit(1))
    page.goto(f"{server.url}/claims")
    page.fill("#claim-filters input[name=measure]", measure[:3].upper())
    page.click("#claim-filters button[type=submit]")
    page.wait_for_load_state()
    shown = page.locator("#claims tbody tr td:nth-child(6)").all_inner_texts()
    assert shown and all(text.lower().startswith(measure[:3].lower()) for text in shown)

    # The queue: a lower-case subject finds the pending Gansu claims instead of "Queue empty".
    page.goto(f"{server.url}/queue")
    page.fill(".queue-filters input[name=subject]", "gansu")
    page.click("#start-reviewing")
    page.wait_for_url(CLAIM_URL)
    claim_id = int(CLAIM_URL.search(page.url).group(1))
    assert _claim(server, claim_id).subject.lower().startswith("gansu")


def test_reviewing_the_matches_of_a_search_from_the_queue(server, page):
    matches = _matching_ids(server, q="gansu growth", status=("pending",))
    assert len(matches) >= 2
    login(page, server, REVIEWER)
    page.goto(f"{server.url}/queue")
    page.fill(".queue-filters input[name=q]", "gansu growth")
    page.click("#start-reviewing")
    page.wait_for_url(CLAIM_URL)
    first = int(CLAIM_URL.search(page.url).group(1))
    assert first in matches
    page.click("button[value=verify]")
    page.wait_for_url(lambda url: CLAIM_URL.search(url) and int(CLAIM_URL.search(url).group(1)) != first)
    second = int(CLAIM_URL.search(page.url).group(1))
    assert second in matches and "q=gansu+growth" in page.url
    assert _claim(server, first).status == "verified"


def test_claims_list_total_pages_sorts_and_select_all(server, page):
    total = _count(server)
    login(page, server, LEAD)
    page.goto(f"{server.url}/claims")
    assert page.locator("#total").inner_text() == f"{total:,} claims match."
    assert page.locator("#previous-page").count() == 0

    page.select_option("#sort", "-value")
    page.click("#claim-filters button[type=submit]")
    page.wait_for_url(re.compile(r"sort=-value"))
    values = [_claim(server, claim_id).value for claim_id in _ids(page)]
    assert values == sorted(values, reverse=True)
    first_page = _ids(page)
    page.click("#next-page")
    page.wait_for_url(re.compile(r"after="))
    second_page = _ids(page)
    assert not set(first_page) & set(second_page)
    assert min(values) >= max(_claim(server, claim_id).value for claim_id in second_page)
    page.click("#previous-page")
    page.wait_for_url(re.compile(r"before="))
    assert _ids(page) == first_page
    assert page.locator("#previous-page").count() == 0

    # Select all on the page, then a reject without a note: refused, selection and decision kept.
    page.check("#select-all")
    boxes = page.locator('#claims input[name="claim_id"]')
    assert boxes.count() == 50 and all(boxes.nth(i).is_checked() for i in range(boxes.count()))
    boxes.nth(0).uncheck()
    assert page.locator("#select-all").evaluate("box => box.indeterminate")
    page.select_option("#bulk-form select[name=decision]", "reject")
    page.click("#bulk-form button[type=submit]")
    page.wait_for_selector("#bulk-error")
    assert "reason is required" in page.locator("#bulk-error").inner_text().lower()
    assert page.locator("#bulk-form select[name=decision]").input_value() == "reject"
    boxes = page.locator('#claims input[name="claim_id"]')
    checked = [int(boxes.nth(i).get_attribute("value")) for i in range(boxes.count()) if boxes.nth(i).is_checked()]
    assert checked == first_page[1:]
    assert page.locator("#sort").input_value() == "-value"
    with server.session() as session:
        assert session.scalar(sa.select(sa.func.count()).where(Claim.status == "rejected")) == 0


def test_document_page_lists_its_claims(server, page):
    with server.session() as session:
        document_id, count = session.execute(
            sa.select(Claim.document_id, sa.func.count()).group_by(Claim.document_id)
            .order_by(sa.func.count().desc())).first()
        title = session.get(Document, document_id).title
    login(page, server, REVIEWER)
    page.goto(f"{server.url}/documents")
    row = page.locator("#documents tbody tr", has_text=title)
    assert row.locator("td").first.inner_text() == str(document_id)
    page.goto(f"{server.url}/documents/{document_id}")
    assert page.locator("#document-number").inner_text() == str(document_id)
    rows = page.locator("#document-claims tbody tr")
    assert rows.count() == count == page.locator("#document-text mark.claim").count()
    assert set(page.locator("#document-claims .status").all_inner_texts()) == {"pending"}
    assert page.locator("#document-claims").is_visible() and page.locator("#document-text").is_visible()
    claim_id = rows.nth(1).locator("td").first.inner_text()
    rows.nth(1).locator("td").first.locator("a").click()
    page.wait_for_url(re.compile(rf"/claims/{claim_id}$"))
    assert page.dialogs == []
