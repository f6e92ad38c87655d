"""The API's documentation page renders in the browser with only the app's own script and its strict policy."""


def test_api_docs_page_renders_offline_under_its_policy(server, page):
    violations, outside = [], []
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text else None)
    page.on("requestfinished", lambda request: outside.append(request.url)
            if not request.url.startswith((server.url, "blob:", "data:")) else None)
    page.goto(f"{server.url}/api/v1/docs")
    page.get_by_text("Claimtrack's JSON API").first.wait_for()
    assert page.get_by_text("/api/v1/queue/next").count() >= 1
    assert outside == []
    # ReDoc's own "powered by" logo points at its CDN: the policy blocks it, and nothing else.
    assert all("img-src" in text and "cdn.redoc.ly" in text for text in violations)
