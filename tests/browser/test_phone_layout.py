"""At 390 px wide (a phone) no reviewer page scrolls sideways."""
import sqlalchemy as sa

from claimtrack import conflicts
from claimtrack.jobs import new_conflicts_job
from models import Claim, ConflictGroup, Document, MatchSuggestion, User

from .conftest import LEAD, REVIEWER, login

PHONE = {"width": 390, "height": 844}


def _pages(server) -> list[str]:
    with server.session() as session:
        document = session.scalar(sa.select(Document.id).order_by(Document.char_count.desc()).limit(1))
        claim = session.scalar(sa.select(Claim.id).where(Claim.document_id == document).order_by(Claim.id).limit(1))
        group = session.scalar(sa.select(ConflictGroup.id).order_by(ConflictGroup.id).limit(1))
    pages = ["/documents", f"/documents/{document}", "/queue", "/claims", f"/claims/{claim}", "/conflicts",
             "/export", "/export/columns", "/guidelines", "/account"]
    return pages + ([f"/conflicts/{group}"] if group else [])


# The outermost elements reaching past the right edge, to say what overflows.
_WIDE_ELEMENTS = """() => [...document.querySelectorAll("body *")]
  .filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
  .filter((e) => !e.parentElement.closest("*") || e.parentElement.getBoundingClientRect().right
                 <= document.documentElement.clientWidth + 0.5)
  .slice(0, 3).map((e) => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + "." + e.className)"""


def _overflowing(page, server, paths) -> dict[str, tuple[int, list[str]]]:
    """{path: (scroll width, what overflows)} for each page wider than the phone."""
    wide = {}
    for path in paths:
        response = page.goto(f"{server.url}{path}")
        assert response.status == 200, (path, response.status)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            wide[path] = (width, page.evaluate(_WIDE_ELEMENTS))
    return wide


def test_phone_layout_reviewer_pages_do_not_scroll_sideways(server, browser):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    try:
        login(page, server, REVIEWER)
        wide = _overflowing(page, server, _pages(server))
        assert wide == {}
        page.goto(f"{server.url}/queue/next")
        page.wait_for_selector("#review-form")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        assert page.locator(".buttons button[value=verify]").is_visible()
    finally:
        context.close()


def test_phone_layout_lead_pages_do_not_scroll_sideways(server, browser):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    try:
        login(page, server, LEAD)
        assert _overflowing(page, server, [
            "/dashboard", "/users", "/conflicts/suggestions", "/conflicts/learned", "/team", "/guidelines/edit",
            "/review-policy", "/adjudication", "/dashboard/agreement"]) == {}
    finally:
        context.close()


def test_phone_layout_open_conflict_with_its_resolution_form_does_not_scroll_sideways(server, browser):
    """The "all are right" table of periods and scopes sits in a fieldset, which by default grows to fit it."""
    with server.session() as session:
        group = session.scalar(sa.select(ConflictGroup.id).where(ConflictGroup.status == "open").order_by(ConflictGroup.id))
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        login(page, server, LEAD)
        assert _overflowing(page, server, [f"/conflicts/{group}"]) == {}
        page.locator("#resolve-form input[value=all_right]").tap()
        page.locator("#resolve-form input[name$=-subject]").first.scroll_into_view_if_needed()
        box = page.locator("#resolve-form input[name$=-subject]").first.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    finally:
        context.close()


def test_phone_layout_jobs_table_stacks_instead_of_scrolling_inside_itself(server, browser):
    """Each job is a block on a phone: its outcome and submission time are on screen, not past the table's edge."""
    with server.session() as session:
        lead = session.scalar(sa.select(User).where(User.username == LEAD))
        new_conflicts_job(session, created_by_id=lead.id)
        session.commit()
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        login(page, server, LEAD)
        assert _overflowing(page, server, ["/jobs"]) == {}
        table = page.locator("table#jobs")
        assert table.evaluate("t => t.scrollWidth <= t.clientWidth")
        for cell in ("td.job-outcome", "td.date"):
            box = page.locator(f"table#jobs tbody tr {cell}").first.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], cell
        assert "Submitted" in page.locator("table#jobs tbody tr td.date").first.evaluate(
            "td => getComputedStyle(td, '::before').content")
    finally:
        context.close()


def test_phone_layout_learned_lesson_can_be_undone_without_scrolling_sideways(server, browser):
    with server.session() as session:
        lead = session.scalar(sa.select(User).where(User.username == LEAD))
        suggestion = session.scalar(sa.select(MatchSuggestion).where(MatchSuggestion.status == "pending")
                                    .order_by(MatchSuggestion.id))
        conflicts.answer_suggestion(session, lead, suggestion.id, True, "subject", "the same routes")
        session.commit()
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        login(page, server, LEAD)
        assert _overflowing(page, server, ["/conflicts/learned"]) == {}
        undo = page.locator("table.lessons tbody tr").first.locator("button", has_text="Undo")
        box = undo.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        with page.expect_navigation():
            undo.tap()
        assert "Lesson undone" in page.locator(".flashes").inner_text()
    finally:
        context.close()


def test_pages_request_nothing_that_fails(server, browser):
    """Every asset a page asks for (styles, scripts, the tab's icon) is served."""
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    failed: list[tuple[str, int | str]] = []
    page.on("response", lambda response: failed.append((response.url, response.status))
            if response.status >= 400 and response.request.resource_type != "document" else None)
    # A request the next navigation cancels (the tab's icon still loading when the test moves on)
    # did not fail; any other failure (refused, reset, blocked) counts.
    page.on("requestfailed", lambda request: failed.append((request.url, request.failure))
            if request.failure != "net::ERR_ABORTED" else None)
    # The browser's own requests (the tab's icon) show only as console errors.
    page.on("console", lambda message: failed.append((page.url, message.text)) if message.type == "error" else None)
    try:
        login(page, server, LEAD)
        for path in _pages(server) + ["/jobs", "/references", "/dashboard"]:
            assert page.goto(f"{server.url}{path}").status == 200, path
            page.wait_for_load_state("networkidle")
        assert failed == []
    finally:
        context.close()
