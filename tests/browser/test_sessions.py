"""Sessions in a real browser: a cookie copied before logout, and the back button after it."""
from .conftest import REVIEWER, login, logout


def test_cookie_copied_before_logout_opens_nothing_after_it(server, page, browser):
    login(page, server, REVIEWER)
    page.goto(f"{server.url}/claims")
    copied = page.context.cookies()
    other = browser.new_context()
    try:
        other.add_cookies(copied)
        thief = other.new_page()
        thief.goto(f"{server.url}/claims")
        assert "/login" not in thief.url
        logout(page)
        thief.goto(f"{server.url}/claims")
        assert "/login" in thief.url and 'name="password"' in thief.content()
        response = thief.request.get(f"{server.url}/export.csv?status=", max_redirects=0)
        assert response.status == 302 and "claim_id" not in response.text()
    finally:
        other.close()


def test_back_button_after_logout_shows_no_claims(server, page):
    login(page, server, REVIEWER)
    response = page.goto(f"{server.url}/claims")
    assert response.headers["cache-control"] == "no-store"
    logout(page)
    page.go_back()
    assert "/login" in page.url or "Please log in" in page.content()
    assert 'href="/claims/' not in page.content()
