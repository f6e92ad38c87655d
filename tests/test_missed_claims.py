"""Claims the extractor missed: a reviewer's selection becomes a pending claim of origin `reviewer`."""
import threading
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from claimtrack import missed, queue
from claimtrack.database import make_engine, make_sessionmaker
from claimtrack.export import CsvExport, export_filter
from claimtrack.ingest import ingest
from claimtrack.review import ReviewError
from claimtrack.sources import decode_document
from models import AuditEvent, Claim, Document, Review, User

from .conftest import form_fields
from .factories import ClaimFactory, DocumentFactory, UserFactory

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
TEXT = ("The harbour of Tallinn handled 21.4 million passengers in 2023.\n"
        "Its ferries, some forty of them, crossed the bay hourly.")
VALUES = {"value": 40.0, "value_max": None, "unit": "", "qualifier": "~", "change": None, "period_start": None,
          "period_end": None, "subject": "Tallinn harbour", "measure": "ferries", "kind": "fact"}


def _span(text: str, quote: str) -> tuple[int, int]:
    start = text.index(quote)
    return start, start + len(quote)


def test_prefill_reads_the_selection_with_the_extractor():
    document = Document(text=TEXT, published=None)
    start, end = _span(TEXT, "21.4 million passengers")
    reading = missed.prefill(document, start, end)
    assert reading.found and reading.values["value"] == 21_400_000
    assert TEXT[reading.sentence_start:reading.sentence_end].startswith("The harbour of Tallinn")
    start, end = _span(TEXT, "some forty")
    assert missed.prefill(document, start, end).values["value"] in (None, 40.0)


def test_a_reviewer_adds_a_missed_claim_which_is_queued_audited_and_exported(db_session):
    document, user = DocumentFactory(text=TEXT), UserFactory()
    start, end = _span(TEXT, "some forty")
    claim = missed.add_claim(db_session, document, user, start=start, end=end, quote="some forty",
                             values=VALUES, now=NOW, note="the extractor skipped spelled-out numbers")
    assert (claim.origin, claim.status, claim.quote, claim.value, claim.qualifier) == (
        "reviewer", "pending", "some forty", 40.0, "~")
    assert TEXT[claim.sentence_start:claim.sentence_end].startswith("Its ferries")
    history = db_session.query(Review).filter_by(claim_id=claim.id).one()
    assert (history.decision, history.user_id, history.status_after) == ("add", user.id, "pending")
    assert db_session.query(AuditEvent).filter_by(verb="add", object_id=claim.id).count() == 1
    assert queue.lease_next(db_session, UserFactory(), NOW, timedelta(minutes=15)) == claim.id
    rows = "".join(CsvExport(db_session, export_filter(status=("pending",)))).split("\r\n")
    assert ",reviewer," in rows[1]


def test_offsets_must_hold_the_quote_and_values_must_fit(db_session):
    document, user = DocumentFactory(text=TEXT), UserFactory()
    start, end = _span(TEXT, "some forty")
    for kwargs, message in (
        ({"start": start + 1, "end": end, "quote": "some forty"}, "does not match"),
        ({"start": 0, "end": len(TEXT) + 5, "quote": TEXT}, "inside the document"),
        ({"start": end, "end": start, "quote": ""}, "inside the document"),
    ):
        with pytest.raises(ReviewError, match=message):
            missed.add_claim(db_session, document, user, values=VALUES, now=NOW, **kwargs)
    long_document = DocumentFactory(text="x" * 400)
    with pytest.raises(ReviewError, match="at most 300"):
        missed.add_claim(db_session, long_document, user, start=0, end=400, quote="x" * 400, values=VALUES, now=NOW)
    for values, message in (({**VALUES, "value": None}, "as a number"), ({**VALUES, "value": float("inf")}, "number"),
                            ({**VALUES, "value_max": 3.0}, "upper value"), ({**VALUES, "kind": "rumour"}, "kind"),
                            ({**VALUES, "unit": "u" * 40}, "unit")):
        with pytest.raises(ReviewError, match=message):
            missed.add_claim(db_session, document, user, start=start, end=end, quote="some forty", values=values,
                             now=NOW)
    assert db_session.query(Claim).count() == 0 and db_session.query(Review).count() == 0


def test_a_span_already_claimed_is_refused_by_name(db_session):
    document, user = DocumentFactory(text=TEXT), UserFactory()
    existing = ClaimFactory(document=document, quote_text="21.4 million", value=21.4e6)
    start, end = _span(TEXT, "21.4 million")
    with pytest.raises(missed.SpanTaken, match=f"Claim {existing.id} already covers this span") as refused:
        missed.add_claim(db_session, document, user, start=start, end=end, quote="21.4 million", values=VALUES,
                         now=NOW)
    assert refused.value.claim_id == existing.id and refused.value.status == 409


def test_added_claims_join_conflict_detection(db_session):
    user = UserFactory()
    ingest(db_session, decode_document(b"The harbour of Tallinn handled 21.4 million passengers in 2023.", "a.txt"))
    document = DocumentFactory(text="Tallinn harbour: about 25 million passengers passed in 2023.")
    found = db_session.query(Claim).one()
    start, end = _span(document.text, "25 million passengers")
    claim = missed.add_claim(db_session, document, user, start=start, end=end, quote="25 million passengers",
                             values={**VALUES, "value": 25e6, "qualifier": "=", "subject": found.subject,
                                     "measure": found.measure, "unit": found.unit,
                                     "period_start": found.period_start, "period_end": found.period_end},
                             now=NOW)
    assert claim.group_id is not None and claim.group_id == found.group_id
    assert claim.conflict_open and found.conflict_open


def test_two_reviewers_adding_one_span_at_once_make_one_claim(fresh_database):
    engine = make_engine(fresh_database)
    sessionmaker = make_sessionmaker(engine)
    with sessionmaker() as session:
        document = Document(sha256="e" * 64, file_name="t.txt", title="T", text=TEXT, char_count=len(TEXT))
        users = [User(username=name, password_hash="x", role="reviewer", session_token=name) for name in ("a", "b")]
        session.add_all([document, *users])
        session.commit()
        document_id, user_ids = document.id, [u.id for u in users]
    start, end = _span(TEXT, "some forty")
    barrier, outcomes = threading.Barrier(2), []

    def add(user_id):
        with sessionmaker() as session:
            barrier.wait()
            try:
                claim = missed.add_claim(session, session.get(Document, document_id), session.get(User, user_id),
                                         start=start, end=end, quote="some forty", values=VALUES, now=NOW)
                session.commit()
                outcomes.append(("added", claim.id))
            except missed.SpanTaken as exc:
                session.rollback()
                outcomes.append(("taken", exc.claim_id))

    threads = [threading.Thread(target=add, args=(user_id,)) for user_id in user_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    with sessionmaker() as session:
        ids = session.scalars(sa.select(Claim.id)).all()
    engine.dispose()
    assert len(ids) == 1
    assert sorted(kind for kind, _ in outcomes) == ["added", "taken"]
    assert {claim_id for _, claim_id in outcomes} == {ids[0]}


def test_add_claim_pages(client, auth, reviewer, db_session):
    document = DocumentFactory(text=TEXT)
    db_session.commit()
    auth.login("rita")
    start, end = _span(TEXT, "21.4 million passengers")
    html = client.get(f"/documents/{document.id}").get_data(as_text=True)
    assert 'id="add-claim"' in html and 'data-text-offset="0"' in html
    response = client.get(f"/documents/{document.id}/claims/new",
                          query_string={"start": start, "end": end, "quote": "21.4 million passengers"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="new-claim-span">21.4 million passengers</mark>' in html
    fields = form_fields(html, "new-claim-form")
    assert fields["value"] == "21,400,000"
    fields["subject"] = "Tallinn harbour"
    response = client.post(f"/documents/{document.id}/claims", data=fields)
    assert response.status_code == 303
    claim = db_session.scalar(sa.select(Claim).where(Claim.origin == "reviewer"))
    assert response.headers["Location"] == f"/claims/{claim.id}" and claim.subject == "Tallinn harbour"
    assert "added by a reviewer" in client.get(f"/claims/{claim.id}").get_data(as_text=True)
    # The same span again: a clear refusal naming the claim, the values kept.
    fields["subject"] = "the port"
    response = client.post(f"/documents/{document.id}/claims", data=fields)
    html = response.get_data(as_text=True)
    assert response.status_code == 409 and f"Claim {claim.id} already covers this span" in html
    assert 'value="the port"' in html
    # Offsets that do not hold the quote, and a value that is not a number.
    bad = client.get(f"/documents/{document.id}/claims/new", query_string={"start": 0, "end": 3, "quote": "abc"})
    assert bad.status_code == 400
    fields.update(value="many", start=str(TEXT.index("some forty")), end=str(TEXT.index("some forty") + 10),
                  quote="some forty")
    response = client.post(f"/documents/{document.id}/claims", data=fields)
    assert response.status_code == 400 and 'value="many"' in response.get_data(as_text=True)
