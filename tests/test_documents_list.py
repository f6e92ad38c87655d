"""The documents list pages through every document, newest publication first, undated last."""
import re
from datetime import date

from claimtrack.documents import document_page

from .factories import ClaimFactory, DocumentFactory


def _walk(db_session, limit):
    ids, after = [], None
    while True:
        page = document_page(db_session, after, limit)
        ids += [d.id for d in page.documents]
        if page.next_after is None:
            return ids
        after = page.next_after


def test_document_pages_cover_every_document_once_in_order(db_session):
    published = [date(2024, 1, 5), None, date(2023, 7, 1), date(2024, 1, 5), None, date(2022, 2, 2), date(2023, 7, 1)]
    documents = [DocumentFactory(published=p) for p in published]
    db_session.commit()
    expected = [d.id for d in sorted((d for d in documents if d.published), key=lambda d: (d.published, d.id),
                                     reverse=True)]
    expected += sorted((d.id for d in documents if d.published is None), reverse=True)
    for limit in (1, 2, 3, 50):
        assert _walk(db_session, limit) == expected


def test_document_page_counts_claims_by_status(db_session):
    document = DocumentFactory()
    ClaimFactory(document=document)
    ClaimFactory(document=document, status="verified")
    db_session.commit()
    summary = document_page(db_session).documents[0]
    assert (summary.claims, summary.pending, summary.verified, summary.rejected) == (2, 1, 1, 0)


def test_documents_page_links_to_the_next_page(client, reviewer, auth, db_session, monkeypatch):
    monkeypatch.setattr("claimtrack.documents.PAGE_SIZE", 2)
    for day in range(1, 6):
        DocumentFactory(title=f"Report {day}", published=date(2024, 1, day))
    db_session.commit()
    auth.login("rita")
    html = client.get("/documents").get_data(as_text=True)
    assert "Report 5" in html and "Report 4" in html and "Report 3" not in html
    next_url = re.search(r'href="([^"]+)" id="next-page"', html).group(1).replace("&amp;", "&")
    html = client.get(next_url).get_data(as_text=True)
    assert "Report 3" in html and "Report 2" in html and "Report 5" not in html
    assert "First page" in html


def test_documents_page_shows_each_document_number(client, reviewer, auth, db_session):
    document = DocumentFactory(title="Coastal survey")
    db_session.commit()
    auth.login("rita")
    html = client.get("/documents").get_data(as_text=True)
    assert "<th class=\"num\">Document number</th>" in html
    assert f'<td class="num">{document.id}</td>' in html


def test_document_page_lists_its_claims_in_text_order(client, reviewer, auth, db_session):
    document = DocumentFactory(text="Ostmark counts 12 bridges and 340 ferries.")
    later = ClaimFactory(document=document, quote_text="340", value=340, measure="ferries", status="verified")
    earlier = ClaimFactory(document=document, quote_text="12", value=12, unit="", measure="bridges")
    ClaimFactory(measure="elsewhere")
    db_session.commit()
    auth.login("rita")
    html = client.get(f"/documents/{document.id}").get_data(as_text=True)
    assert f'id="document-number">{document.id}<' in html
    listed = re.search(r'<table class="grid" id="document-claims">(.*?)</table>', html, re.S).group(1)
    rows = re.findall(r'<a href="/claims/(\d+)">\1</a>.*?class="status (\w+)".*?</tr>', listed, re.S)
    assert rows == [(str(earlier.id), "pending"), (str(later.id), "verified")]
    assert "ferries" in listed and "bridges" in listed and "elsewhere" not in listed
