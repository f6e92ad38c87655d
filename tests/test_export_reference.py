"""The export's column reference served as a page, rendered from docs/export.md and sanitised."""
from claimtrack import reference


def test_export_reference_page_lists_the_columns(client, reviewer, auth):
    auth.login("rita")
    export = client.get("/export").get_data(as_text=True)
    assert '<a href="/export/columns" id="columns-link">the export reference</a>' in export
    response = client.get("/export/columns")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<h1>Exporting claims as CSV</h1>" in html
    assert "<td><code>document_title</code></td>" in html
    assert "docs/export.md" not in html.split('id="reference"')[0]


def test_export_reference_needs_a_login(client):
    response = client.get("/export/columns")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_export_reference_rendering_drops_script_and_unsafe_links():
    html = reference.render('# Title\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1)) '
                            '<img src=x onerror=alert(1)> [ok](https://example.org)')
    assert "<h1>Title</h1>" in html
    # Raw HTML stays text, and the unsafe link is no link.
    assert "<script" not in html and "<img" not in html and 'href="javascript' not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert '<a href="https://example.org" rel="noopener noreferrer nofollow">ok</a>' in html
