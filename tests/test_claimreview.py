"""Decided claims as schema.org ClaimReview (JSON-LD): the required properties, the rating scale, blindness."""
from datetime import date, datetime, timezone
from urllib.parse import urlsplit

import pytest

from claimtrack import review, second_review, tokens
from models import utcnow

from .factories import ClaimFactory, DocumentFactory

TEXT = "The port authority reported a record year. The harbour moved 41 ships in 2022, up from 35."
PROBLEM = "application/problem+json"
JSON_LD = "application/ld+json"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


def _absolute(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def assert_valid_claimreview(body: dict) -> None:
    """The properties schema.org's ClaimReview and its readers (Google's fact-check markup) require."""
    assert body["@context"] == "https://schema.org" and body["@type"] == "ClaimReview"
    assert _absolute(body["url"])
    assert isinstance(body["claimReviewed"], str) and body["claimReviewed"].strip()
    rating = body["reviewRating"]
    assert rating["@type"] == "Rating" and isinstance(rating["alternateName"], str) and rating["alternateName"]
    assert all(isinstance(rating[key], int) for key in ("ratingValue", "bestRating", "worstRating"))
    assert rating["worstRating"] <= rating["ratingValue"] <= rating["bestRating"]
    item = body["itemReviewed"]
    assert item["@type"] == "Claim"
    appearance = item["appearance"]
    assert appearance["@type"] == "CreativeWork" and _absolute(appearance["url"]) and appearance["name"]
    assert body["author"]["@type"] == "Person" and body["author"]["name"]
    date.fromisoformat(body["datePublished"])


@pytest.fixture
def token(db_session):
    def make(user):
        _token, secret = tokens.create(db_session, user, "script", utcnow())
        db_session.commit()
        return {"Authorization": f"Bearer {secret}"}

    return make


@pytest.fixture
def ships(db_session):
    document = DocumentFactory(text=TEXT, title="Port annual report", source="https://example.org/port-2022",
                               published=date(2023, 2, 1), author="Port authority")
    claim = ClaimFactory(document=document, quote_text="41", value=41.0, subject="harbour", measure="ships",
                         sentence_start=TEXT.index("The harbour"), sentence_end=len(TEXT))
    db_session.commit()
    return claim


@pytest.mark.parametrize("decision, note, value, name", [
    ("verify", "", 3, "Verified"),
    ("needs_info", "which harbour?", 2, "Needs more information"),
    ("reject", "the figure is for 2021", 1, "Rejected"),
])
def test_claimreview_of_a_decided_claim(client, db_session, reviewer, token, ships, decision, note, value, name):
    review.decide(db_session, ships, reviewer, decision, version=ships.version, now=NOW, note=note, check_lease=False)
    db_session.commit()
    response = client.get(f"/api/v1/claims/{ships.id}/claimreview", headers=token(reviewer))
    assert response.status_code == 200 and response.mimetype == JSON_LD
    body = response.get_json()
    assert_valid_claimreview(body)
    assert body["claimReviewed"] == "The harbour moved 41 ships in 2022, up from 35."
    assert body["itemReviewed"]["text"] == "41"
    assert body["itemReviewed"]["appearance"] == {
        "@type": "CreativeWork", "url": "https://example.org/port-2022", "name": "Port annual report",
        "datePublished": "2023-02-01", "author": {"@type": "Person", "name": "Port authority"}}
    assert body["reviewRating"] == {"@type": "Rating", "ratingValue": value, "bestRating": 3, "worstRating": 1,
                                    "alternateName": name}
    assert body["author"] == {"@type": "Person", "name": "rita"} and body["datePublished"] == "2026-03-01"
    assert body["url"].endswith(f"/api/v1/claims/{ships.id}/claimreview") and body.get("reviewBody", "") == note


def test_claimreview_document_without_web_address_is_named_by_the_api(client, db_session, reviewer, token):
    claim = ClaimFactory(document=DocumentFactory(text=TEXT, source="upload:report.txt"), quote_text="35", value=35.0)
    db_session.flush()
    review.decide(db_session, claim, reviewer, "verify", version=claim.version, now=NOW, check_lease=False)
    db_session.commit()
    body = client.get(f"/api/v1/claims/{claim.id}/claimreview", headers=token(reviewer)).get_json()
    assert_valid_claimreview(body)
    assert body["itemReviewed"]["appearance"]["url"].endswith(f"/api/v1/documents/{claim.document_id}")


def test_claimreview_of_an_undecided_claim_is_409_problem(client, db_session, reviewer, token, ships):
    review.decide(db_session, ships, reviewer, "correct", version=ships.version, now=NOW, values={"value": 42.0},
                  check_lease=False)
    db_session.commit()
    response = client.get(f"/api/v1/claims/{ships.id}/claimreview", headers=token(reviewer))
    assert response.status_code == 409 and response.mimetype == PROBLEM
    assert "no decision yet" in response.get_json()["detail"]
    missing = client.get("/api/v1/claims/2147483647/claimreview", headers=token(reviewer))
    assert missing.status_code == 404 and missing.mimetype == PROBLEM


def test_claimreview_hidden_while_it_awaits_your_blind_second_review(client, db_session, reviewer, lead, token, ships):
    second_review.set_policy(db_session, lead, now=utcnow(), share=100)
    db_session.commit()
    review.decide(db_session, ships, lead, "verify", version=ships.version, now=utcnow(), check_lease=False)
    db_session.commit()
    response = client.get(f"/api/v1/claims/{ships.id}/claimreview", headers=token(reviewer))
    assert response.status_code == 403 and response.mimetype == PROBLEM
    assert "Verified" not in response.get_data(as_text=True)
    mine = client.get(f"/api/v1/claims/{ships.id}/claimreview", headers=token(lead))
    assert mine.status_code == 200 and mine.get_json()["reviewRating"]["alternateName"] == "Verified"


def test_claimreview_needs_a_token(client, ships):
    assert client.get(f"/api/v1/claims/{ships.id}/claimreview").status_code == 401
