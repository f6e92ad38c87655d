"""Claims as W3C Web Annotations: selectors that find the quote in the stored text, the review as the body."""
import json

from claimtrack import review, tokens
from claimtrack.annotation import selectors
from models import utcnow

from .factories import ClaimFactory, DocumentFactory

LONG_TEXT = ("In its annual report the port authority said the harbour moved 41 ships in 2022, "
             "up from 35 the year before, while the number of ferries fell.")


def _quote_found(text: str, selectors: list[dict]) -> None:
    quote, position = selectors
    assert quote["type"] == "TextQuoteSelector" and position["type"] == "TextPositionSelector"
    start, end = position["start"], position["end"]
    assert text[start:end] == quote["exact"]
    assert text[:start].endswith(quote["prefix"]) and text[end:].startswith(quote["suffix"])
    # The quote with its context occurs once, so a reader without offsets finds the same place.
    assert text.count(quote["prefix"] + quote["exact"] + quote["suffix"]) == 1


def test_annotation_selectors_locate_quote(client, db_session, reviewer):
    document = DocumentFactory(text=LONG_TEXT)
    claim = ClaimFactory(document=document, quote_text="35", value=35.0, subject="harbour", measure="ships")
    db_session.commit()
    _token, secret = tokens.create(db_session, reviewer, "script", utcnow())
    db_session.commit()
    response = client.get(f"/api/v1/claims/{claim.id}/annotation", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200 and response.mimetype == "application/ld+json"
    body = response.get_json()
    assert body["@context"] == "http://www.w3.org/ns/anno.jsonld" and body["type"] == "Annotation"
    assert body["target"]["source"].endswith(f"/api/v1/documents/{document.id}")
    quote = body["target"]["selector"][0]
    assert quote["exact"] == "35" and len(quote["prefix"]) == 32 and len(quote["suffix"]) == 32
    _quote_found(LONG_TEXT, body["target"]["selector"])
    assert body["motivation"] == "describing" and "decision" not in body["body"]


def test_annotation_body_is_review(client, db_session, reviewer):
    document = DocumentFactory(text=LONG_TEXT)
    claim = ClaimFactory(document=document, quote_text="41", value=41.0, subject="harbour", measure="ships")
    db_session.commit()
    review.decide(db_session, claim, reviewer, "correct", version=claim.version, now=utcnow(),
                  values={"value": 42.0}, check_lease=False)
    db_session.commit()
    _token, secret = tokens.create(db_session, reviewer, "script", utcnow())
    db_session.commit()
    body = client.get(f"/api/v1/claims/{claim.id}/annotation",
                      headers={"Authorization": f"Bearer {secret}"}).get_json()
    assert body["motivation"] == "assessing"
    assert body["body"]["decision"] == "correct" and body["body"]["reviewer"] == reviewer.username
    assert body["body"]["value"] == "42" and body["body"]["reviewed_at"].endswith("Z")
    _quote_found(LONG_TEXT, body["target"]["selector"])


def test_annotation_selectors_at_text_edges():
    quote, position = selectors("41 ships", 0, 2)
    assert quote == {"type": "TextQuoteSelector", "exact": "41", "prefix": "", "suffix": " ships"}
    assert position == {"type": "TextPositionSelector", "start": 0, "end": 2}


def test_annotation_unknown_claim_is_problem(client, db_session, reviewer):
    _token, secret = tokens.create(db_session, reviewer, "script", utcnow())
    db_session.commit()
    response = client.get("/api/v1/claims/999999/annotation", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 404 and response.mimetype == "application/problem+json"


def test_annotation_export_command_writes_json_lines(runner, db_session, reviewer):
    document = DocumentFactory(text=LONG_TEXT)
    verified = ClaimFactory(document=document, quote_text="41", value=41.0)
    ClaimFactory(document=document, quote_text="35", value=35.0)
    db_session.commit()
    review.decide(db_session, verified, reviewer, "verify", version=verified.version, now=utcnow(), check_lease=False)
    db_session.commit()
    result = runner.invoke(args=["export", "--format", "annotations"])
    assert result.exit_code == 0, result.output
    lines = result.stdout_bytes.decode().splitlines()
    assert len(lines) == 1
    body = json.loads(lines[0])
    assert body["target"]["source"] == f"urn:sha256:{document.sha256}"
    assert body["body"]["decision"] == "verify"
    _quote_found(LONG_TEXT, body["target"]["selector"])


def test_annotation_hidden_while_it_awaits_your_blind_second_review(client, db_session, reviewer, lead):
    from claimtrack import second_review

    second_review.set_policy(db_session, lead, now=utcnow(), share=100)
    claim = ClaimFactory(document=DocumentFactory(text=LONG_TEXT), quote_text="41", value=41.0)
    db_session.commit()
    review.decide(db_session, claim, lead, "verify", version=claim.version, now=utcnow(), check_lease=False)
    db_session.commit()
    _token, secret = tokens.create(db_session, reviewer, "script", utcnow())
    db_session.commit()
    response = client.get(f"/api/v1/claims/{claim.id}/annotation", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 403 and response.mimetype == "application/problem+json"
    assert "verify" not in response.get_data(as_text=True)
