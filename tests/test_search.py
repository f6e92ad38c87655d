"""Full-text search (`q`) and the any-case prefix filters, on both databases, through every page."""
import csv
import io
from datetime import timedelta

import pytest
import sqlalchemy as sa

from claimtrack import claim_filters, queue, review, search
from claimtrack.claim_filters import ClaimFilter, FilterError, Paging, claim_page
from claimtrack.ingest import ingest
from claimtrack.search import SearchError, parse_query
from claimtrack.sources import DocumentSource, Metadata
from models import Claim, Document, utcnow

from .conftest import csrf_token
from .factories import ClaimFactory, DocumentFactory, UserFactory

NOW = utcnow()
TTL = timedelta(minutes=15)

HARBOUR = ("Dock report for Velmar. The harbour of Velmar handled 412 container ships in 2023. "
           "Freight volume rose 7.5 percent.")


def _found(session, **filters) -> list[int]:
    return list(session.scalars(sa.select(Claim.id).where(*ClaimFilter(**filters).conditions()).order_by(Claim.id)))


@pytest.fixture
def harbour(db_session):
    """Two claims in a document titled 'Quarterly Port Review', and one elsewhere."""
    document = DocumentFactory(text=HARBOUR, title="Quarterly Port Review")
    second = HARBOUR.index("The harbour")
    third = HARBOUR.index("Freight")
    ships = ClaimFactory(document=document, quote_text="412 container ships", sentence_start=second,
                         sentence_end=third - 1, value=412, subject="Velmar Harbour", measure="container ship calls")
    freight = ClaimFactory(document=document, quote_text="7.5 percent", sentence_start=third, sentence_end=len(HARBOUR),
                           value=7.5, unit="%", subject="Velmar", measure="Freight volume growth")
    other = ClaimFactory(subject="Ostmark", measure="population")
    db_session.flush()
    return ships, freight, other


def test_search_finds_each_field_in_any_case(db_session, harbour):
    ships, freight, other = harbour
    assert _found(db_session, q="CONTAINER") == [ships.id]          # quote (and measure)
    assert _found(db_session, q="handled") == [ships.id]            # sentence only
    assert _found(db_session, q="freight") == [freight.id]          # sentence and measure
    assert _found(db_session, q="ostmark") == [other.id]            # subject
    assert _found(db_session, q="quarterly") == [ships.id, freight.id]  # document title
    assert _found(db_session, q="harbour") == [ships.id]            # subject and sentence of one claim
    assert _found(db_session, q="dock") == []                       # the document's first sentence is no claim's


def test_search_needs_every_word_and_keeps_phrases(db_session, harbour):
    ships, freight, _ = harbour
    assert _found(db_session, q="velmar ships") == [ships.id]
    assert _found(db_session, q="velmar population") == []
    assert _found(db_session, q='"port review"') == [ships.id, freight.id]
    assert _found(db_session, q='"review port"') == []


@pytest.mark.parametrize("text", [
    'velmar OR', 'velmar NOT ships', 'NEAR(velmar ships)', 'velmar*', '"velmar', 'velmar"', "-velmar",
    "(velmar)", "velmar & !ships", "velmar | ships", "velmar <-> ships", "'velmar'",
    "^velmar", "velmar + ships", "{velmar}",
])
def test_search_reads_operators_as_plain_text(db_session, harbour, text):
    """Engine syntax is never passed through: every text runs, and finds what its words find."""
    found = _found(db_session, q=text)
    words = [w for w in ("velmar", "ships", "not", "or", "near") if w in text.lower()]
    expected = _found(db_session, q=" ".join(words))
    assert found == expected


def test_search_words_joined_by_punctuation_are_a_phrase(db_session, harbour):
    ships, freight, _ = harbour
    assert _found(db_session, q="velmar:handled") == _found(db_session, q='"velmar handled"') == [ships.id]
    assert _found(db_session, q="velmar:ships") == []
    assert _found(db_session, q="7.5") == [freight.id]


@pytest.mark.parametrize("text, message", [
    ('"*"', "must contain a word"),
    ("- ( ) *", "must contain a word"),
    ("x" * 201, "at most 200 characters"),
    (" ".join(f"w{i}" for i in range(17)), "at most 16"),
])
def test_search_without_words_or_too_long_is_refused(text, message):
    with pytest.raises(SearchError, match=message):
        parse_query(text)
    with pytest.raises(FilterError, match=message):
        ClaimFilter.from_args({"q": text})


def test_search_follows_corrections_and_undo(db_session, harbour):
    ships, _, _ = harbour
    user = UserFactory()
    review.decide(db_session, ships, user, "correct", version=ships.version, now=NOW,
                  values={"subject": "Kalmora Port", "measure": "vessel arrivals"}, check_lease=False)
    db_session.flush()
    assert _found(db_session, q="kalmora") == [ships.id]
    assert _found(db_session, q="arrivals") == [ships.id]
    assert _found(db_session, q="calls") == []
    assert _found(db_session, subject="kalm") == [ships.id]


def test_search_follows_a_new_document_title(db_session, harbour):
    ships, freight, _ = harbour
    document = db_session.get(Document, ships.document_id)
    document.title = "Annual Shipping Digest"
    db_session.flush()
    assert _found(db_session, q="digest") == [ships.id, freight.id]
    assert _found(db_session, q="quarterly") == []


def test_search_finds_claims_stored_by_ingest(db_session):
    text = "Lakeside County recorded 1,250 new homes in 2023.\n"
    result = ingest(db_session, DocumentSource(text, "lakeside.txt", "test", "text/plain",
                                               Metadata(title="Housing Bulletin")))
    db_session.flush()
    assert result.claims >= 1
    found = _found(db_session, q="bulletin homes")
    assert found and set(found) == set(db_session.scalars(
        sa.select(Claim.id).where(Claim.document_id == result.document_id, Claim.quote.contains("1,250"))))


def test_ingest_indexes_each_claims_own_sentence_after_multibyte_text(db_session):
    # Ingest writes the search rows itself on PostgreSQL: each sentence must be cut at the right
    # characters even after text whose characters take several bytes.
    preface = "Ünïcödé préface — naïve café, 東京 und Straße.\n" * 40
    text = preface + "In 2021 the wharf loaded 47 barges. The depot counted 12 cranes in 2022.\n"
    result = ingest(db_session, DocumentSource(text, "wharf.txt", "test", "text/plain", Metadata(title="Port Notes")))
    db_session.flush()
    barges = set(db_session.scalars(sa.select(Claim.id).where(Claim.document_id == result.document_id,
                                                                Claim.quote.contains("47"))))
    assert barges and set(_found(db_session, q="wharf")) == barges
    assert set(_found(db_session, q="depot cranes")) == set(db_session.scalars(
        sa.select(Claim.id).where(Claim.document_id == result.document_id, Claim.quote.contains("12"))))


def test_prefix_filters_match_any_case(db_session, harbour):
    ships, freight, other = harbour
    assert _found(db_session, subject="velmar") == [ships.id, freight.id]
    assert _found(db_session, subject="VELMAR H") == [ships.id]
    assert _found(db_session, subject="elmar") == []
    assert _found(db_session, measure="freight") == [freight.id]
    # LIKE's wildcards are plain characters here.
    assert _found(db_session, measure="%") == _found(db_session, measure="_") == []


def test_queue_leases_only_search_matches(db_session, harbour):
    ships, freight, other = harbour
    user = UserFactory()
    leased = queue.lease_next(db_session, user, NOW, TTL, ClaimFilter(q="velmar"))
    assert leased in (ships.id, freight.id)
    assert queue.lease_next(db_session, UserFactory(), NOW, TTL, ClaimFilter(q="ostmark")) == other.id
    assert queue.lease_next(db_session, UserFactory(), NOW, TTL, ClaimFilter(q="nowhere")) is None


def test_claims_list_search_and_total(client, auth, reviewer, db_session, harbour):
    ships, freight, other = harbour
    db_session.commit()
    auth.login("rita")
    html = client.get("/claims?q=velmar").get_data(as_text=True)
    assert f'href="/claims/{ships.id}"' in html and f'href="/claims/{other.id}"' not in html
    assert "2 claims match." in html
    assert "1 claim matches." in client.get("/claims?q=ostmark").get_data(as_text=True)


@pytest.mark.parametrize("status", ["", "pending"])
def test_claims_list_search_total_is_capped_sooner(client, auth, reviewer, db_session, harbour, monkeypatch, status):
    """A search counts to SEARCH_COUNT_LIMIT, exactly up to it, "more than" past it; other lists count further."""
    ClaimFactory(subject="Velmar", measure="berths")
    db_session.commit()
    monkeypatch.setattr(claim_filters, "SEARCH_COUNT_LIMIT", 2)
    auth.login("rita")
    assert "More than 2 claims match." in client.get(f"/claims?q=velmar&status={status}").get_data(as_text=True)
    exact = client.get(f"/claims?q=quarterly&status={status}").get_data(as_text=True)
    assert "2 claims match." in exact and "More than" not in exact
    everything = client.get(f"/claims?status={status}").get_data(as_text=True)
    assert "4 claims match." in everything and "More than" not in everything


@pytest.mark.parametrize("path", ["/claims", "/queue", "/queue/next", "/export.csv"])
def test_pages_answer_400_to_search_text_without_words(client, auth, reviewer, path):
    auth.login("rita")
    response = client.get(path, query_string={"q": '"()*'})
    assert response.status_code == 400
    assert "must contain a word" in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/claims", "/queue/next", "/export.csv"])
def test_pages_take_operator_text_as_words(client, auth, reviewer, db_session, harbour, path):
    db_session.commit()
    auth.login("rita")
    response = client.get(path, query_string={"q": 'velmar" OR NEAR(ships'})
    assert response.status_code in (200, 302)


def test_export_search_web_and_cli(client, auth, reviewer, runner, db_session, harbour):
    ships, freight, _ = harbour
    db_session.commit()
    auth.login("rita")
    body = client.get("/export.csv?q=velmar&status=").get_data(as_text=True)
    assert [int(row["claim_id"]) for row in csv.DictReader(io.StringIO(body))] == [ships.id, freight.id]
    cli = runner.invoke(args=["export", "--q", "freight", "--status", "pending"])
    assert cli.exit_code == 0, cli.output
    assert [int(row["claim_id"]) for row in csv.DictReader(io.StringIO(cli.stdout))] == [freight.id]
    refused = runner.invoke(args=["export", "--q", "(*)"])
    assert refused.exit_code == 2 and "must contain a word" in refused.output


def test_queue_search_carries_to_the_review_page_and_next(client, auth, reviewer, db_session, harbour):
    ships, freight, _ = harbour
    db_session.commit()
    auth.login("rita")
    first = client.get("/queue/next?q=velmar")
    assert first.status_code == 302 and "q=velmar" in first.headers["Location"]
    claim_id = int(first.headers["Location"].split("/claims/")[1].split("?")[0])
    assert claim_id in (ships.id, freight.id)
    page = client.get(first.headers["Location"])
    token = csrf_token(client, first.headers["Location"])
    claim = db_session.get(Claim, claim_id)
    response = client.post(first.headers["Location"], data={
        "csrf_token": token, "decision": "verify", "version": claim.version, "status_seen": "pending",
        "value": claim.value, "unit": claim.unit, "qualifier": claim.qualifier, "subject": claim.subject,
        "measure": claim.measure, "kind": claim.kind})
    assert page.status_code == 200 and response.status_code == 303
    assert "q=velmar" in response.headers["Location"]
    second = client.get(response.headers["Location"])
    assert second.headers["Location"].split("/claims/")[1].split("?")[0] == str(({ships.id, freight.id} - {claim_id}).pop())


def test_common_searches_take_the_probing_plan_with_the_same_answers(db_session, harbour, monkeypatch):
    """On SQLite a search matching many claims is probed claim by claim; the results do not change."""
    ships, freight, _ = harbour
    rare = {(q, status): claim_page(db_session, ClaimFilter(q=q, status=status))
            for q in ("velmar", "quarterly") for status in ((), ("pending",))}
    monkeypatch.setattr(search, "COMMON", 1)
    db_session.info.pop("search_counts", None)
    for (q, status), page in rare.items():
        common = claim_page(db_session, ClaimFilter(q=q, status=status))
        assert [c.id for c in common.claims] == [c.id for c in page.claims] == [ships.id, freight.id]
        assert (common.total, common.more_than_total) == (page.total, page.more_than_total) == (2, False)
    assert queue.lease_next(db_session, UserFactory(), NOW, TTL, ClaimFilter(q="quarterly")) in (ships.id, freight.id)


def test_search_pages_in_both_directions_and_orders(db_session):
    document = DocumentFactory(text="Velmar " * 5)
    made = [ClaimFactory(document=document, quote_text="Velmar", subject="Velmar") for _ in range(7)]
    ClaimFactory(subject="Ostmark")
    db_session.flush()
    ids = [c.id for c in made]
    for sort, expected in (("id", ids), ("-id", ids[::-1]), ("value", ids)):
        first = claim_page(db_session, ClaimFilter(q="velmar"), Paging(sort=sort), size=3)
        assert [c.id for c in first.claims] == expected[:3] and first.total == 7
        second = claim_page(db_session, ClaimFilter(q="velmar"), Paging(sort=sort, after=first.next_after), size=3)
        assert [c.id for c in second.claims] == expected[3:6]
        back = claim_page(db_session, ClaimFilter(q="velmar"), Paging(sort=sort, before=second.previous_before), size=3)
        assert [c.id for c in back.claims] == expected[:3] and back.previous_before is None
