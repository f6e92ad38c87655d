"""A reviewer reconciles the seeds' sister-city conflict in the browser; a lead undoes it."""
import sqlalchemy as sa

from models import Claim

from .conftest import LEAD, REVIEWER, login, logout


def test_reconciliation_prefer_then_undo(server, page):
    login(page, server, REVIEWER)
    page.goto(f"{server.url}/conflicts")
    row = page.locator("tr.group", has_text="international sister city")
    assert "open" in row.inner_text() and "66" in row.inner_text() and "69" in row.inner_text()
    row.locator("a", has_text="international sister city").click()
    assert page.locator("mark.claim.current").all_inner_texts() == ["66", "69"]
    page.check("input[name=decision][value=prefer]")
    page.locator("input[name=preferred]").nth(1).check()
    page.select_option("select[name=reason]", "superseded")
    page.fill("textarea[name=note]", "The 2024 report counts 69.")
    page.click("text=Record resolution")
    page.wait_for_selector("text=Resolution recorded.")
    assert page.inner_text("#group-status") == "resolved"
    assert "superseded by newer data" in page.inner_text(".side-by-side")
    with server.session() as session:
        ranks = dict(session.execute(sa.select(Claim.value, Claim.rank).where(Claim.value.in_([66, 69]),
                                                                             Claim.measure.like("%sister%"))).all())
    assert ranks == {66.0: "deprecated", 69.0: "preferred"}
    logout(page)
    login(page, server, LEAD)
    page.goto(f"{server.url}/conflicts?status=resolved")
    page.locator("tr.group a", has_text="international sister city").click()
    page.click("button:has-text('Undo')")
    page.wait_for_selector("text=Resolution undone.")
    assert page.inner_text("#group-status") == "open"
    assert page.dialogs == []
