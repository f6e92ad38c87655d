"""Evidence of a verification: recorded, validated, required when a lead says so, shown and exported."""
from datetime import date, datetime, timedelta, timezone

import pytest

from claimtrack import review, team
from claimtrack.conflicts import detect_claims, resolve_group
from claimtrack.export import CsvExport, export_filter
from claimtrack.review import Evidence, EvidenceError
from models import Review

from .conftest import form_fields
from .factories import ClaimFactory, DocumentFactory, UserFactory

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
GOOD = Evidence("https://stats.example.org/table-3", None, "66 pairs of sister cities", date(2026, 2, 27), "official")


def _verify(db_session, claim, user, evidence):
    return review.decide(db_session, claim, user, "verify", version=claim.version, now=NOW, evidence=evidence,
                         check_lease=False)


def test_verify_records_its_evidence(db_session):
    claim, user = ClaimFactory(), UserFactory()
    outcome = _verify(db_session, claim, user, GOOD)
    recorded = outcome.review
    assert (recorded.evidence_url, recorded.evidence_quote, recorded.evidence_checked_on,
            recorded.evidence_method) == (GOOD.url, GOOD.quote, GOOD.checked_on, "official")
    assert recorded.has_evidence and claim.status == "verified"


def test_a_stored_document_can_be_the_evidence(db_session):
    claim, user, source = ClaimFactory(), UserFactory(), DocumentFactory()
    outcome = _verify(db_session, claim, user, Evidence(document_id=source.id, method="stated"))
    assert outcome.review.evidence_document_id == source.id


@pytest.mark.parametrize(("evidence", "field", "message"), [
    (Evidence(url="ftp://example.org/t.csv"), "url", "http:// or https://"),
    (Evidence(url="javascript:alert(1)"), "url", "http:// or https://"),
    (Evidence(url="https://" + "a" * 2000), "url", "at most 2,000"),
    (Evidence(quote="x" * 5001), "quote", "at most 5,000"),
    (Evidence(checked_on=date(2026, 3, 2)), "checked_on", "future"),
    (Evidence(method="guessed"), "method", "must be one of"),
    (Evidence(url="https://example.org", document_id=1), "url", "not both"),
    (Evidence(document_id=2_000_000_000), "document_id", "no stored document"),
])
def test_evidence_that_cannot_be_recorded_is_refused_and_changes_nothing(db_session, evidence, field, message):
    claim, user = ClaimFactory(), UserFactory()
    with pytest.raises(EvidenceError, match=message) as refused:
        _verify(db_session, claim, user, evidence)
    assert refused.value.field == field
    assert claim.status == "pending" and db_session.query(Review).count() == 0


def test_evidence_goes_with_a_verify_only(db_session):
    claim, user = ClaimFactory(), UserFactory()
    with pytest.raises(EvidenceError, match="verification only"):
        review.decide(db_session, claim, user, "reject", version=claim.version, now=NOW, note="wrong",
                      evidence=GOOD, check_lease=False)


def test_required_evidence_refuses_a_bare_verify(db_session):
    claim, user, lead = ClaimFactory(), UserFactory(), UserFactory(role="lead")
    team.change(db_session, lead, NOW, evidence_required=True)
    for evidence, missing in ((None, "source URL"), (Evidence(url="https://example.org"), "date"),
                              (Evidence(url="https://example.org", checked_on=date(2026, 3, 1)), "how the figure")):
        with pytest.raises(EvidenceError, match=missing):
            _verify(db_session, claim, user, evidence)
    assert claim.status == "pending"
    assert _verify(db_session, claim, user, GOOD).review.evidence_method == "official"
    # A reject never needs evidence.
    other = ClaimFactory()
    review.decide(db_session, other, user, "reject", version=other.version, now=NOW, note="a list numeral",
                  check_lease=False)


def test_export_has_the_evidence_and_the_resolution(db_session):
    user, lead = UserFactory(username="vera"), UserFactory(username="lars", role="lead")
    first = ClaimFactory(document=DocumentFactory(), value=66.0)
    second = ClaimFactory(document=DocumentFactory(), value=69.0)
    db_session.flush()
    detect_claims(db_session, [first.id, second.id])
    assert first.group_id is not None and first.group_id == second.group_id
    resolve_group(db_session, lead, first.group_id, first.group.version, "prefer", "the statistics office says 66",
                  preferred_claim_id=first.id, reason="superseded")
    _verify(db_session, first, user, GOOD)
    rows = "".join(CsvExport(db_session, export_filter(status=("verified",), conflicts="all"))).split("\r\n")
    header = rows[0].split(",")
    row = dict(zip(header, rows[1].split(",")))
    assert row["claim_id"] == str(first.id)
    assert (row["origin"], row["evidence_url"], row["evidence_quote"], row["evidence_checked_on"],
            row["evidence_method"]) == ("extractor", GOOD.url, GOOD.quote, "2026-02-27", "official")
    assert (row["resolution_note"], row["resolved_by"]) == ("the statistics office says 66", "lars")


def _claim_page(client, claim_id):
    html = client.get(f"/claims/{claim_id}").get_data(as_text=True)
    return html, form_fields(html, "review-form")


def test_review_page_records_evidence_and_shows_it_in_the_history(client, auth, reviewer, db_session):
    claim = ClaimFactory()
    db_session.commit()
    auth.login("rita")
    html, fields = _claim_page(client, claim.id)
    assert 'id="evidence"' in html
    fields.update(decision="verify", evidence_url=GOOD.url, evidence_quote=GOOD.quote,
                  evidence_checked_on="2026-02-27", evidence_method="official")
    assert client.post(f"/claims/{claim.id}", data=fields).status_code == 303
    html = client.get(f"/claims/{claim.id}").get_data(as_text=True)
    assert f'href="{GOOD.url}"' in html and "official statistics" in html and "2026-02-27" in html


def test_review_page_refuses_a_future_date_keeping_the_form(client, auth, reviewer, db_session):
    claim = ClaimFactory()
    db_session.commit()
    auth.login("rita")
    _, fields = _claim_page(client, claim.id)
    tomorrow = (datetime.now(timezone.utc) + timedelta(days=2)).date().isoformat()
    fields.update(decision="verify", evidence_url="https://example.org/x", evidence_checked_on=tomorrow,
                  value="67")
    response = client.post(f"/claims/{claim.id}", data=fields)
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "cannot be in the future" in html
    assert 'value="https://example.org/x"' in html and 'value="67"' in html
    db_session.expire_all()
    assert claim.status == "pending"
