"""In the browser: a second tab's decision, a stale conflict resolution and a hoarding reviewer
never lose or hide anyone's work."""
from datetime import date

import sqlalchemy as sa

from models import Claim, Lease, Resolution, Review, User

from .conftest import LEAD, REVIEWER, SECOND_REVIEWER, login


def _pending_claims(server, count: int) -> list[int]:
    with server.session() as session:
        return list(session.scalars(
            sa.select(Claim.id).where(Claim.status == "pending").order_by(Claim.id).limit(count)
        ))


def test_second_tab_with_another_value_gets_the_stale_table_with_its_values(server, page):
    login(page, server, REVIEWER)
    (claim_id,) = _pending_claims(server, 1)
    tab_a, tab_b = page, page.context.new_page()
    tab_a.goto(f"{server.url}/claims/{claim_id}")
    tab_b.goto(f"{server.url}/claims/{claim_id}")
    with server.session() as session:
        value_before = session.scalar(sa.select(Claim.value).where(Claim.id == claim_id))

    tab_a.keyboard.press("v")
    tab_a.wait_for_url(lambda url: f"/claims/{claim_id}" not in url)

    tab_b.fill("#field-value", "12345")
    tab_b.click("button[name=decision][value=verify]")
    tab_b.wait_for_selector("#stale")
    stale = tab_b.inner_text("#stale")
    assert "You changed claim" in stale and "in another tab" in stale
    assert "Your values are kept in the form below" in stale
    assert "12,345" in tab_b.inner_text("#stale table")
    assert tab_b.input_value("#field-value") == "12345"
    assert "already recorded" not in tab_b.content()
    with server.session() as session:
        assert session.execute(sa.select(Claim.status, Claim.value).where(Claim.id == claim_id)).one() == (
            "verified", value_before)
        assert session.scalar(sa.select(sa.func.count(Review.id)).where(Review.claim_id == claim_id)) == 1
    assert page.dialogs == []


def test_stale_conflict_resolution_keeps_the_newer_correction(server, page, browser):
    with server.session() as session:
        group_id = session.scalar(sa.select(Claim.group_id).where(Claim.measure.like("%sister%"), Claim.value == 66))
        member_ids = list(session.scalars(sa.select(Claim.id).where(Claim.group_id == group_id).order_by(Claim.id)))
    login(page, server, LEAD)
    page.goto(f"{server.url}/conflicts/{group_id}")
    page.check("input[name=decision][value=all_right]")
    rows = page.locator("#resolve-form tbody tr")
    for row, year in zip(rows.all(), (2022, 2024)):
        row.locator("input[name$=period_start]").fill(f"{year}-01-01")
        row.locator("input[name$=period_end]").fill(f"{year}-12-31")
    page.fill("textarea[name=note]", "Counts from different years.")
    corrected = int(rows.nth(0).locator("input[name$=claim_id]").input_value())
    assert corrected in member_ids

    other = browser.new_context()
    try:
        reviewer = other.new_page()
        login(reviewer, server, SECOND_REVIEWER)
        reviewer.goto(f"{server.url}/claims/{corrected}")
        reviewer.fill("#field-period_start", "2023-01-01")
        reviewer.fill("#field-period_end", "2023-12-31")
        reviewer.click("#save-correction")
        reviewer.wait_for_selector("text=Correction saved.")
    finally:
        other.close()

    page.click("text=Record resolution")
    page.wait_for_selector("#stale")
    stale = page.inner_text("#stale")
    assert "changed since you opened it" in stale and "period start" in stale and "2023-01-01" in stale
    assert f"correct by {SECOND_REVIEWER}" in stale
    assert page.input_value("textarea[name=note]") == "Counts from different years."
    with server.session() as session:
        assert session.scalar(sa.select(Claim.period_start).where(Claim.id == corrected)) == date(2023, 1, 1)
        assert session.scalar(sa.select(sa.func.count(Resolution.id))) == 0
    assert page.dialogs == []


def test_hoarding_reviewer_sees_the_fourth_claim_read_only(server, page, browser):
    login(page, server, REVIEWER)
    claims = _pending_claims(server, 4)
    for claim_id in claims[:3]:
        page.goto(f"{server.url}/claims/{claim_id}")
        assert page.locator("button[name=decision][value=verify]").is_visible()
    page.goto(f"{server.url}/claims/{claims[3]}")
    limit = page.inner_text("#lease-limit")
    assert "Read only: you already hold 3 claims" in limit
    assert page.locator("button[name=decision][value=verify]").count() == 0
    assert page.locator("#field-value").is_disabled()
    page.click(f"#lease-limit a[href='/claims/{claims[0]}']")
    page.wait_for_selector("button[name=decision][value=verify]")
    with server.session() as session:
        rita = session.scalar(sa.select(User.id).where(User.username == REVIEWER))
        held = set(session.scalars(sa.select(Lease.claim_id).where(Lease.user_id == rita)))
    assert held == set(claims[:3])

    other = browser.new_context()
    try:
        colleague = other.new_page()
        login(colleague, server, SECOND_REVIEWER)
        colleague.goto(f"{server.url}/queue/next")
        colleague.wait_for_selector("#review-form")
        assert "Queue empty" not in colleague.content()
        assert not any(f"/claims/{c}" in colleague.url for c in claims[:3])
    finally:
        other.close()
    assert page.dialogs == []


def test_read_only_reason_is_in_view_above_the_paragraph(server, page):
    login(page, server, REVIEWER)
    claims = _pending_claims(server, 4)
    for claim_id in claims[:3]:
        page.goto(f"{server.url}/claims/{claim_id}")
    page.set_viewport_size({"width": 900, "height": 420})
    page.goto(f"{server.url}/claims/{claims[3]}")
    assert page.locator("#field-value").is_disabled()
    limit = page.locator("#lease-limit").bounding_box()
    paragraph = page.locator("#source-paragraph").bounding_box()
    assert limit["y"] + limit["height"] <= 420, "the reason the form is read-only is below the fold"
    assert limit["y"] < paragraph["y"]
