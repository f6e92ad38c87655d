"""The harness itself: the server answers, Chromium logs in, the seeds are there."""


from .conftest import REVIEWER, login, logout


def test_login_and_documents_listed(server, page):
    login(page, server, REVIEWER)
    page.goto(f"{server.url}/documents")
    assert page.locator("#documents tbody tr").count() == 5
    logout(page)
    assert "You are logged out." in page.content()
