"""Hostile document text in a real browser: scripts, event handlers and javascript: links stay
inert text on the document, claim and conflict pages."""
import sqlalchemy as sa

from claimtrack.conflicts import detect_document
from claimtrack.ingest import ingest
from claimtrack.sources import decode_document
from models import Claim, Document

from .conftest import REVIEWER, login

PAYLOAD = ('<script>alert(1)</script> <img src=x onerror=alert(2)> '
           '<a href="javascript:alert(3)">click me</a> Gansu has 66 international sister cities.')
OTHER = "Gansu has 69 international sister cities."


def test_hostile_script_in_document_never_runs(server, page):
    with server.session() as session:
        first = ingest(session, decode_document(PAYLOAD.encode(), "hostile.txt"))
        ingest(session, decode_document(OTHER.encode(), "other.txt"))
        for document in session.scalars(sa.select(Document).where(Document.file_name.in_(["hostile.txt", "other.txt"]))):
            detect_document(session, document)
        session.commit()
        claim = session.scalar(sa.select(Claim).where(Claim.document_id == first.document_id, Claim.quote == "66"))
        group_id = claim.group_id
    login(page, server, REVIEWER)
    pages = [f"/documents/{first.document_id}", f"/claims/{claim.id}", "/documents"]
    if group_id is not None:
        pages += [f"/conflicts/{group_id}", "/conflicts"]
    for path in pages:
        page.goto(server.url + path)
        page.wait_for_load_state("load")
        if path.startswith(("/documents/", "/claims/", "/conflicts/")):
            body = page.inner_text("main")
            assert "<script>alert(1)</script>" in body, path
            assert "<img src=x onerror=alert(2)>" in body, path
            assert '<a href="javascript:alert(3)">' in body, path
        assert page.locator("main img").count() == 0, path
        assert page.locator("main a[href^='javascript:']").count() == 0, path
    assert group_id is not None, "the two documents should be in conflict"
    assert page.dialogs == []
