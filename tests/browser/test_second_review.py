"""The whole second-review loop in a browser: policy, first review, blind second review, disagreement, adjudication, agreement."""
import re

import sqlalchemy as sa

from models import Claim, SecondReview

from .conftest import LEAD, REVIEWER, SECOND_REVIEWER, login, logout

SECOND_URL = re.compile(r"/claims/(\d+)/second")


def test_second_review_loop(server, page):
    login(page, server, LEAD)
    page.goto(f"{server.url}/review-policy")
    page.fill("#policy-share", "100")
    page.click("#save-policy")
    page.wait_for_selector("text=Review policy saved")
    assert "the whole corpus" in page.locator("#policies").inner_text()
    logout(page)

    # The first review: rita reads the unit as percentage points and verifies.
    login(page, server, REVIEWER)
    page.goto(f"{server.url}/queue")
    page.click("#start-reviewing")
    page.wait_for_selector("#review-form")
    claim_id = int(re.search(r"/claims/(\d+)", page.url).group(1))
    page.fill("#field-unit", "pp")
    page.fill("#field-note", "read as points")
    page.click("button[name=decision][value=verify]")
    page.wait_for_url(lambda url: f"/claims/{claim_id}" not in url)
    logout(page)

    # The second review: otto gets the same claim first, blind to rita's decision and correction.
    login(page, server, SECOND_REVIEWER)
    page.goto(f"{server.url}/queue")
    page.click("#start-reviewing")
    page.wait_for_url(SECOND_URL)
    assert int(SECOND_URL.search(page.url).group(1)) == claim_id
    assert page.locator("#blind-note").is_visible()
    assert page.locator("#history").count() == 0
    body = page.locator("body").inner_text()
    # As a word: the source text may hold the name inside another ("heritage").
    assert not re.search(rf"\b{REVIEWER}\b", body) and "read as points" not in body
    assert page.locator("#field-unit").input_value() != "pp"
    page.screenshot(path="/tmp/claimtrack-second-review.png", full_page=True)
    page.fill("#field-unit", "km")
    page.click("button[name=decision][value=verify]")
    page.wait_for_selector("text=goes to a lead to adjudicate")
    logout(page)

    # Adjudication: lena sees both reviews beside the source span and keeps rita's unit.
    login(page, server, LEAD)
    page.goto(f"{server.url}/adjudication")
    page.click(f"a[href='/adjudication/{claim_id}']")
    page.wait_for_selector("#adjudication-form")
    both = page.locator("#both-reviews").inner_text()
    assert f"First: {REVIEWER}" in both and f"Second: {SECOND_REVIEWER}" in both
    assert page.locator("#source-span").is_visible()
    page.screenshot(path="/tmp/claimtrack-adjudication.png", full_page=True)
    page.check("#choice-unit-first")
    page.fill("#field-note", "the table gives percentage points")
    page.click("#adjudicate")
    page.wait_for_selector(f"text=Claim {claim_id} adjudicated.")
    with server.session() as session:
        unit, status = session.execute(sa.select(Claim.unit, Claim.status).where(Claim.id == claim_id)).one()
        state = session.scalar(sa.select(SecondReview.state).where(SecondReview.claim_id == claim_id))
    assert (unit, status, state) == ("pp", "verified", "adjudicated")

    # The agreement page counts the pair: the decisions agreed, the units did not.
    page.goto(f"{server.url}/dashboard/agreement")
    assert "1 claims reviewed twice" in page.locator("#agreement-counts").inner_text()
    decision = page.locator("#measure-decision").inner_text()
    unit_row = page.locator("#measure-unit").inner_text()
    assert "1.000" in decision and "0.000" in unit_row
    page.screenshot(path="/tmp/claimtrack-agreement.png", full_page=True)
