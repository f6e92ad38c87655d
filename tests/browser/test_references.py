"""A reference file in the browser: a lead uploads it, the claim page shows the badge with the reference's
value and source, the queue starts with a contradicted claim, and the lead resolves in its favour in one step."""
from pathlib import Path

import sqlalchemy as sa

from models import Claim, Document

from .conftest import LEAD, REVIEWER, login, logout

EXAMPLE = Path(__file__).resolve().parents[2] / "seeds" / "references" / "official_figures.csv"


def _claim(server, file_name: str, quote: str) -> Claim:
    with server.session() as session:
        return session.scalar(sa.select(Claim).join(Document).where(Document.file_name == file_name,
                                                                    Claim.quote == quote))


def test_reference_upload_badge_queue_and_one_step_resolution(server, page):
    login(page, server, LEAD)
    page.goto(f"{server.url}/references")
    page.set_input_files("#reference-upload input[name=file]", str(EXAMPLE))
    page.fill("#reference-upload input[name=name]", "Official statistics")
    page.click("#reference-upload button[type=submit]")
    page.wait_for_url("**/references")
    assert "2 claims contradict it, 7 match it" in page.locator(".flash.success").inner_text()
    assert "Official statistics" in page.locator("#reference-sources").inner_text()
    logout(page)

    wrong = _claim(server, "000_d94bbb72c10ca173.txt", "66")
    right = _claim(server, "001_4ba3201505e0714d.txt", "69")

    # A reviewer sees the badge, the reference's value and its source, but no resolution button.
    login(page, server, REVIEWER)
    page.goto(f"{server.url}/claims/{wrong.id}")
    badge = page.locator(f"#reference-badge-{wrong.id}")
    assert badge.inner_text().startswith("contradicts reference: Official statistics gives 69 for 2024")
    assert badge.locator("a.reference-source").get_attribute("href") == "https://fao.gansu.gov.cn/"
    assert page.locator("#resolve-by-reference").count() == 0
    page.goto(f"{server.url}/claims/{right.id}")
    assert page.locator(f"#reference-badge-{right.id}").inner_text().startswith("matches reference")
    # The queue says how many claims a reference contradicts, and hands one out before anything else.
    page.goto(f"{server.url}/queue")
    assert page.locator("#queue-references").inner_text() == "2 pending claims contradict a reference: they come first."
    page.goto(f"{server.url}/queue/next")
    page.wait_for_url("**/claims/*")
    leased = int(page.locator("#review").get_attribute("data-claim-id"))
    with server.session() as session:
        assert session.get(Claim, leased).reference_standing == "contradicts"
    logout(page)

    # The lead resolves the group in favour of the reference from the claim page, in one step.
    login(page, server, LEAD)
    page.goto(f"{server.url}/claims/{wrong.id}")
    page.click("#resolve-by-reference")
    page.wait_for_url(f"**/claims/{wrong.id}")
    assert "Resolved in favour of the reference: 1 value it contradicts deprecated." in page.locator(
        ".flash.success").inner_text()
    assert page.locator("#claim-status").inner_text() == "deprecated"
    assert "fao.gansu.gov.cn" in page.locator("#deprecated-note").inner_text()
    assert page.locator("#resolve-by-reference").count() == 0
    with server.session() as session:
        wrong_now, right_now = session.get(Claim, wrong.id), session.get(Claim, right.id)
        assert (wrong_now.rank, right_now.rank, wrong_now.value) == ("deprecated", "preferred", 66)
        assert wrong_now.group.status == "resolved"
    page.goto(f"{server.url}/conflicts/{wrong.group_id}")
    assert "in favour of the reference" in page.locator(".resolutions").inner_text()
