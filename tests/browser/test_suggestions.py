"""A lead answers "same fact?" in the browser; the next rebuild and the next ingest keep it; undo withdraws it."""
import sqlalchemy as sa

from claimtrack import conflicts, ingest
from claimtrack.extract import ExtractedClaim
from claimtrack.sources import DocumentSource, Metadata
from models import Claim

from .conftest import LEAD, login


def _store(server, name: str, subject: str, measure: str, quote: str, value: float) -> int:
    """Store a one-sentence document through `ingest.store` (conflict detection included); its claim's id."""
    before = f"{subject} reported {measure} ({name}) of "
    text = f"{before}{quote}."
    claim = ExtractedClaim(
        start=len(before), end=len(before) + len(quote), quote=quote, value=value, value_max=None, unit="MW",
        qualifier="=", change=None, period_start=None, period_end=None, subject=subject, measure=measure,
        measure_text=measure, kind="fact", confidence=0.8, sentence_start=0, sentence_end=len(text),
    )
    source = DocumentSource(text=text, file_name=name, source="test", media_type="text/plain",
                            metadata=Metadata(title=name, published=None))
    with server.session() as session:
        result = ingest.store(session, ingest.PreparedDocument(source, (claim,)))
        session.commit()
        return session.scalar(sa.select(Claim.id).where(Claim.document_id == result.document_id))


def _groups(server, *claim_ids: int) -> list[int]:
    with server.session() as session:
        return [session.get(Claim, i).group_id for i in claim_ids]


def test_suggestion_answered_then_kept_then_undone(server, page):
    first = _store(server, "wind-a.txt", "Sylvania", "wind power capacity", "1,200 MW", 1200)
    second = _store(server, "wind-b.txt", "Sylvania", "installed wind power capacity", "1,450 MW", 1450)
    assert len(set(_groups(server, first, second))) == 2
    login(page, server, LEAD)
    page.goto(f"{server.url}/conflicts")
    page.click("text=same fact?")
    card = page.locator("li.suggestion", has_text="installed wind power capacity")
    assert "1,200 MW" in card.inner_text() and "1,450 MW" in card.inner_text()
    card.locator("input[value=same]").check()
    card.locator("select[name=scope]").select_option("subject")
    card.locator("button", has_text="Answer").click()
    page.wait_for_selector("text=Answer recorded: the same fact.")
    assert page.locator("li.suggestion", has_text="installed wind power capacity").count() == 0
    assert len(set(_groups(server, first, second))) == 1

    with server.session() as session:
        conflicts.rebuild(session)
        session.commit()
    assert len(set(_groups(server, first, second))) == 1
    third = _store(server, "wind-c.txt", "Sylvania", "installed wind power capacity", "1,450 MW", 1450)
    assert len(set(_groups(server, first, second, third))) == 1
    page.goto(f"{server.url}/conflicts")
    row = page.locator("tr.group", has_text="wind power capacity")
    assert "open" in row.inner_text() and "wind-c.txt" in row.inner_text()

    page.goto(f"{server.url}/conflicts/learned")
    lesson = page.locator("tr.lesson", has_text="installed wind power capacity")
    assert "same fact" in lesson.inner_text() and "suggestion" in lesson.inner_text()
    lesson.locator("button", has_text="Undo").click()
    page.wait_for_selector("text=Lesson undone")
    assert "undone" in page.locator("tr.lesson", has_text="installed wind power capacity").inner_text()
    first_group, second_group, third_group = _groups(server, first, second, third)
    assert first_group != second_group == third_group
    page.goto(f"{server.url}/conflicts")
    assert page.locator("tr.group", has_text="wind power capacity").count() == 0
    page.click("text=same fact?")
    assert page.locator("li.suggestion", has_text="installed wind power capacity").count() == 1
    assert page.dialogs == []
