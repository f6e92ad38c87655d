"""Second review over HTTP: the policy page, the blind review page, adjudication, the agreement page and CLI."""
import json

import pytest

from claimtrack import accounts, second_review
from models import Claim, Review, SecondReview

from .conftest import PASSWORD, csrf_token, form_fields
from .factories import ClaimFactory, DocumentFactory


@pytest.fixture
def team(db_session, reviewer, lead):
    """rita and otto review, lena leads; every claim needs two reviews."""
    otto = accounts.create_user(db_session, "otto", PASSWORD, "reviewer")
    document = DocumentFactory(text="The harbour handled 48 ships and 7 ferries in the spring of 2024.")
    claims = [ClaimFactory(document=document, quote_text=q, value=float(q), confidence=c, unit="",
                           subject="the harbour", measure=m)
              for q, c, m in (("48", 0.1, "ships"), ("7", 0.2, "ferries"))]
    db_session.commit()
    return {"rita": reviewer, "otto": otto, "lena": lead, "claims": claims}



def _set_policy(client, auth, share="100"):
    auth.login("lena")
    token = csrf_token(client, "/review-policy")
    response = client.post("/review-policy", data={"csrf_token": token, "share": share, "kind": ""})
    assert response.status_code == 303
    auth.logout()


def _first_review(client, auth, decision="verify", **fields):
    """rita takes the next claim and decides it; returns its id."""
    auth.login("rita")
    location = client.get("/queue/next").headers["Location"]
    claim_id = int(location.split("/")[2].split("?")[0])
    html = client.get(location).get_data(as_text=True)
    data = {**form_fields(html, "review-form"), **fields, "decision": decision}
    assert client.post(f"/claims/{claim_id}", data=data).status_code == 303
    auth.logout()
    return claim_id


def _second_review(client, auth, username="otto", decision="verify", expect_status=303, **fields):
    auth.login(username)
    location = client.get("/queue/next").headers["Location"]
    claim_id = int(location.split("/")[2].split("?")[0])
    page = client.get(location)
    assert page.status_code == 302 and page.headers["Location"].startswith(f"/claims/{claim_id}/second")
    html = client.get(page.headers["Location"]).get_data(as_text=True)
    data = {**form_fields(html, "review-form"), **fields, "decision": decision}
    response = client.post(f"/claims/{claim_id}/second", data=data)
    assert response.status_code == expect_status
    auth.logout()
    return claim_id, html


def test_agreement_pages_second_review_is_blind_and_settles_on_agreement(client, auth, team, db_session):
    _set_policy(client, auth)
    claim_id = _first_review(client, auth, unit="t", note="rita's reading")
    claim_id_2, html = _second_review(client, auth, unit="t")
    assert claim_id_2 == claim_id
    assert "rita" not in html and "rita's reading" not in html and 'id="history"' not in html
    assert 'id="field-unit" maxlength="32" name="unit" type="text" value=""' in html
    row = db_session.get(SecondReview, claim_id)
    db_session.refresh(row)
    assert row.state == "agreed"


def test_agreement_pages_first_reviewer_cannot_second_review(client, auth, team):
    _set_policy(client, auth)
    claim_id = _first_review(client, auth)
    auth.login("rita")
    response = client.get(f"/claims/{claim_id}/second")
    assert response.status_code == 302 and response.headers["Location"] == f"/claims/{claim_id}"
    html = client.get(f"/claims/{claim_id}").get_data(as_text=True)
    data = {**form_fields(html, "review-form"), "decision": "verify",
            "csrf_token": csrf_token(client, f"/claims/{claim_id}")}
    response = client.post(f"/claims/{claim_id}/second", data=data)
    assert response.status_code == 403
    assert "another reviewer checks it" in response.get_data(as_text=True)
    # rita's next claim is the other pending one, never her own for a second time.
    assert client.get("/queue/next").headers["Location"] == f"/claims/{team['claims'][1].id}"


def test_agreement_pages_disagreement_goes_to_adjudication(client, auth, team, db_session):
    _set_policy(client, auth)
    claim_id = _first_review(client, auth, unit="t")
    _second_review(client, auth, unit="kt")
    auth.login("otto")
    assert client.get("/adjudication").status_code == 403
    auth.logout()
    auth.login("lena")
    listing = client.get("/adjudication").get_data(as_text=True)
    assert f'href="/adjudication/{claim_id}"' in listing and "unit" in listing
    page = client.get(f"/adjudication/{claim_id}").get_data(as_text=True)
    assert "First: rita" in page and "Second: otto" in page
    assert '<mark class="claim current" id="source-span">48</mark>' in page
    token = csrf_token(client, f"/adjudication/{claim_id}")
    version = form_fields(page, "adjudication-form")["version"]
    missing = client.post(f"/adjudication/{claim_id}", data={"csrf_token": token, "version": version,
                                                              "decision": "verify", "note": "checked"})
    assert missing.status_code == 400 and "Choose the first or the second" in missing.get_data(as_text=True)
    response = client.post(f"/adjudication/{claim_id}", data={
        "csrf_token": token, "version": version, "decision": "verify", "note": "kilotonnes, per the table",
        "choice-unit": "second"})
    assert response.status_code == 303
    claim = db_session.get(Claim, claim_id)
    db_session.refresh(claim)
    assert (claim.status, claim.unit) == ("verified", "kt")
    assert "No claims await adjudication" in client.get("/adjudication").get_data(as_text=True)
    final = db_session.query(Review).filter_by(claim_id=claim_id, decision="adjudicate").one()
    assert final.note == "kilotonnes, per the table"


def test_agreement_pages_dashboard_and_json(client, auth, team):
    _set_policy(client, auth)
    _first_review(client, auth)
    _second_review(client, auth, decision="reject", note="the spring is not a year")
    auth.login("lena")
    html = client.get("/dashboard/agreement").get_data(as_text=True)
    assert "1 claims reviewed twice" in html and 'id="measure-decision"' in html
    data = client.get("/dashboard/agreement?format=json").get_json()
    assert data["reviewed_twice"] == 1 and data["adjudication"] == 1
    assert data["measures"][0]["name"] == "decision" and data["measures"][0]["agreed"] == 0
    assert client.get("/dashboard/agreement?from=2026-13-01").status_code == 400
    auth.logout()
    auth.login("rita")
    assert client.get("/dashboard/agreement").status_code == 403


def test_agreement_pages_policy_bad_input_changes_nothing(client, auth, team, db_session):
    auth.login("lena")
    token = csrf_token(client, "/review-policy")
    for data in ({"share": "150"}, {"share": "ten"}, {"share": "10", "document": "999999"}):
        response = client.post("/review-policy", data={"csrf_token": token, "kind": "", **data})
        assert response.status_code == 400
    assert second_review.policies(db_session) == []
    auth.logout()
    auth.login("rita")
    token = csrf_token(client, "/documents")
    assert client.post("/review-policy", data={"csrf_token": token, "share": "10"}).status_code == 403


def test_agreement_command_text_and_json(runner, team, db_session):
    result = runner.invoke(args=["agreement"])
    assert result.exit_code == 0, result.output
    assert "claims reviewed twice: 0" in result.output
    result = runner.invoke(args=["agreement", "--format", "json", "--from", "2026-01-01", "--to", "2026-12-31"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["date_from"] == "2026-01-01"
    result = runner.invoke(args=["agreement", "--from", "2026-02-30"])
    assert result.exit_code != 0 and "YYYY-MM-DD" in result.output


def test_agreement_pages_adjudication_sent_twice_is_recorded_once_and_says_so(client, auth, team, db_session):
    _set_policy(client, auth)
    claim_id = _first_review(client, auth, unit="t")
    _second_review(client, auth, unit="kt")
    auth.login("lena")
    page = client.get(f"/adjudication/{claim_id}").get_data(as_text=True)
    data = {"csrf_token": csrf_token(client, f"/adjudication/{claim_id}"),
            "version": form_fields(page, "adjudication-form")["version"], "decision": "verify",
            "note": "kilotonnes, per the table", "choice-unit": "second"}
    assert client.post(f"/adjudication/{claim_id}", data=data).status_code == 303
    again = client.post(f"/adjudication/{claim_id}", data=data)
    assert again.status_code == 303
    assert "That adjudication was already recorded." in client.get(again.headers["Location"]).get_data(as_text=True)
    assert db_session.query(Review).filter_by(claim_id=claim_id, decision="adjudicate").count() == 1
    other = client.post(f"/adjudication/{claim_id}", data={**data, "decision": "reject"})
    assert other.status_code == 409
    assert f"Claim {claim_id} does not await adjudication: lena adjudicated it at" in other.get_data(as_text=True)
