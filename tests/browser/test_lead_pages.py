"""The lead's pages in the browser: the claims list (filters, keyset paging, bulk verify and batch
undo) and account management (create, change role, deactivate)."""
import re

import sqlalchemy as sa

from models import Claim, Document, User

from .conftest import LEAD, PASSWORD, REVIEWER, SECOND_REVIEWER, login

BATCH_URL = re.compile(r"/batches/([0-9a-f-]{36})$")


def _column(page, index: int) -> list[str]:
    """The text of one column of the claims table, a cell per row."""
    return [text.strip() for text in page.locator(f"#claims tbody tr td:nth-child({index})").all_inner_texts()]


def _statuses_shown(page) -> list[str]:
    """The status of each listed claim, as shown."""
    return page.locator("#claims tbody tr span.status").all_inner_texts()


def _ids(page) -> list[int]:
    """The claim ids listed, in order (the # column is the 2nd for leads, the 1st for reviewers)."""
    return [int(text) for text in page.locator("#claims tbody tr td.num a").all_inner_texts()]


def _statuses(server, claim_ids) -> dict[int, str]:
    with server.session() as session:
        return dict(session.execute(sa.select(Claim.id, Claim.status).where(Claim.id.in_(claim_ids))).all())


def test_lead_filters_pages_bulk_verifies_and_undoes_the_batch(server, page):
    with server.session() as session:
        gansu = session.scalar(sa.select(sa.func.count()).where(Claim.subject == "Gansu"))
        smallest = session.execute(
            sa.select(Claim.document_id, sa.func.count()).group_by(Claim.document_id).order_by(sa.func.count())
        ).first()
        smallest_title = session.get(Document, smallest[0]).title
    assert gansu > 50, "the seeds should have more than one page of Gansu claims"

    login(page, server, LEAD)
    page.goto(f"{server.url}/claims")

    # Filter by document: only that document's claims, and its title beside the filter.
    page.fill("#claim-filters input[name=document]", str(smallest[0]))
    page.click("#claim-filters button[type=submit]")
    page.wait_for_url(f"**/claims?*document={smallest[0]}*")
    assert page.locator("#claims tbody tr").count() == smallest[1]
    titles = set(_column(page, 11))
    assert len(titles) == 1 and smallest_title.startswith(titles.pop().removesuffix("..."))
    assert smallest_title.startswith(page.locator("#filter-document").inner_text().removesuffix("..."))
    assert page.locator("#next-page").count() == 0

    # Filter by status and subject: a full first page of pending Gansu claims, then the rest.
    page.fill("#claim-filters input[name=document]", "")
    page.select_option("#claim-filters select[name=status]", "pending")
    page.fill("#claim-filters input[name=subject]", "Gansu")
    page.click("#claim-filters button[type=submit]")
    page.wait_for_url(re.compile(r"/claims\?.*subject=Gansu"))
    first_page = _ids(page)
    assert len(first_page) == 50
    assert first_page == sorted(first_page)
    assert set(_column(page, 6)) == {"Gansu"}
    assert set(_statuses_shown(page)) == {"pending"}

    page.click("#next-page")
    page.wait_for_url(re.compile(rf"after={first_page[-1]}(&|$)"))
    second_page = _ids(page)
    assert len(second_page) == gansu - 50
    assert min(second_page) > max(first_page)
    assert set(_column(page, 6)) == {"Gansu"}
    assert page.locator("#next-page").count() == 0
    assert page.locator("text=First page").is_visible()
    # The filters survive paging.
    assert page.locator("#claim-filters input[name=subject]").input_value() == "Gansu"
    assert page.locator("#claim-filters select[name=status]").input_value() == "pending"

    # Select three claims and verify them in bulk with one note.
    chosen = second_page[:3]
    for claim_id in chosen:
        page.check(f"input[name=claim_id][value='{claim_id}']")
    page.select_option("#bulk-form select[name=decision]", "verify")
    page.fill("#bulk-form textarea[name=note]", "Checked against the provincial yearbook.")
    page.click("#bulk-form button:has-text('Apply to selected')")
    page.wait_for_url(BATCH_URL)
    batch_id = BATCH_URL.search(page.url).group(1)
    assert f"3 claims verified as batch {batch_id}." in page.locator(".flashes").inner_text()
    rows = page.locator("#batch tbody tr")
    assert rows.count() == 3
    assert [int(t.split()[0]) for t in page.locator("#batch tbody tr td:nth-child(1)").all_inner_texts()] == chosen
    for i in range(3):
        cells = rows.nth(i).locator("td").all_inner_texts()
        assert cells[1] == "verify" and cells[2] == LEAD and cells[4] == "Checked against the provincial yearbook."
    assert _statuses(server, chosen) == {claim_id: "verified" for claim_id in chosen}

    # The list shows them verified, by the lead.
    page.goto(f"{server.url}/claims?status=verified")
    assert _ids(page) == chosen
    assert all(text.startswith(LEAD) for text in _column(page, 10))

    # Undo the batch: back to pending, in the page and in the database.
    page.goto(f"{server.url}/batches/{batch_id}")
    page.click("button:has-text('Undo this batch')")
    page.wait_for_url(re.compile(r"/claims$"))
    assert f"Undid 3 decisions of batch {batch_id}." in page.locator(".flashes").inner_text()
    page.goto(f"{server.url}/claims?status=verified")
    assert page.locator("#claims tbody").inner_text().strip() == "No claims match."
    page.goto(f"{server.url}/claims?status=pending&subject=Gansu&after={first_page[-1]}")
    assert _ids(page) == second_page
    listed = dict(zip(_ids(page), _statuses_shown(page)))
    assert {claim_id: listed[claim_id] for claim_id in chosen} == {claim_id: "pending" for claim_id in chosen}
    assert _statuses(server, chosen) == {claim_id: "pending" for claim_id in chosen}
    page.goto(f"{server.url}/claims/{chosen[0]}")
    assert page.locator("#claim-status").inner_text() == "pending"
    assert page.dialogs == []


def test_reviewer_sees_claims_list_without_bulk_controls(server, page):
    login(page, server, REVIEWER)
    page.goto(f"{server.url}/claims")
    assert page.locator("#claims tbody tr").count() == 50
    assert page.locator("#next-page").is_visible()
    assert page.locator("input[name=claim_id]").count() == 0
    assert page.locator("#bulk-form select[name=decision]").count() == 0
    assert page.locator("button:has-text('Apply to selected')").count() == 0
    assert page.locator("#claims thead").inner_text().split("\t")[0].strip() == "#"
    # Posting the bulk form anyway is refused.
    token = page.locator("meta[name=csrf-token]").get_attribute("content")
    response = page.request.post(f"{server.url}/claims/bulk",
                                 form={"csrf_token": token, "decision": "verify", "claim_id": "1"})
    assert response.status == 403
    assert _statuses(server, [1]) == {1: "pending"}


def test_lead_manages_users_and_deactivated_user_cannot_log_in(server, page, browser):
    login(page, server, LEAD)
    page.goto(f"{server.url}/users")
    assert page.locator("h1").inner_text() == "Users"

    # Create a reviewer with the form.
    create = page.locator("section.upload form")
    create.locator("input[name=username]").fill("vera")
    create.locator("input[name=password]").fill(PASSWORD)
    create.locator("select[name=role]").select_option("reviewer")
    create.locator("button:has-text('Create')").click()
    page.wait_for_selector("text=Created reviewer vera.")
    assert page.locator("#user-vera td").nth(2).inner_text() == "active"
    assert page.locator("#user-vera select").input_value() == "reviewer"

    # Make the second reviewer a lead.
    row = page.locator(f"#user-{SECOND_REVIEWER}")
    row.locator("select").select_option("lead")
    row.locator("button:has-text('Change')").click()
    page.wait_for_selector(f"text={SECOND_REVIEWER} is now a lead.")
    assert page.locator(f"#user-{SECOND_REVIEWER} select").input_value() == "lead"
    with server.session() as session:
        assert session.scalar(sa.select(User.role).where(User.username == SECOND_REVIEWER)) == "lead"

    # The new reviewer can log in, in a browser of her own.
    other = browser.new_context()
    try:
        vera = other.new_page()
        vera.set_default_timeout(10_000)
        login(vera, server, "vera")
        vera.goto(f"{server.url}/documents")
        assert "vera" in vera.locator(".who").inner_text()

        # Deactivate her.
        page.locator("#user-vera button:has-text('Deactivate')").click()
        page.wait_for_selector("text=Deactivated vera; 0 held claim(s) returned to the queue.")
        assert page.locator("#user-vera td").nth(2).inner_text() == "deactivated"
        assert page.locator("#user-vera td").nth(3).inner_text().strip() == "Reactivate"

        # Her open session ends, and logging in again is refused.
        vera.goto(f"{server.url}/documents")
        assert "/login" in vera.url
        vera.fill("input[name=username]", "vera")
        vera.fill("input[name=password]", PASSWORD)
        vera.click("button[type=submit]")
        vera.wait_for_selector("text=Unknown username or wrong password.")
        assert "/login" in vera.url
        assert vera.locator(".who").count() == 0
    finally:
        other.close()
    assert page.dialogs == []


def test_reviewer_gets_403_on_users(server, page):
    login(page, server, REVIEWER)
    response = page.goto(f"{server.url}/users")
    assert response.status == 403
    assert page.locator("h1").inner_text().startswith("403")
    assert "This page is for team leads." in page.locator("main").inner_text()
    assert page.locator("#users").count() == 0
    assert page.locator("header nav a", has_text="Users").count() == 0
