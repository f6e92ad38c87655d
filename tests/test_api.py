"""The JSON API: personal tokens, problem+json errors, keyset paging, its OpenAPI document."""
from datetime import timedelta

import pytest
from openapi_spec_validator import validate

from claimtrack import review, second_review, tokens
from models import ApiToken, utcnow

from .conftest import csrf_token
from .factories import ClaimFactory, DocumentFactory

PROBLEM = "application/problem+json"


@pytest.fixture
def make_token(db_session):
    """A token for a user, as `claimtrack token create` makes it."""

    def make(user, name="script"):
        _token, secret = tokens.create(db_session, user, name, utcnow())
        db_session.commit()
        return secret

    return make


def csrf_token_of(client) -> str:
    """The CSRF token of the account page's forms."""
    return csrf_token(client, "/account")


def bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def claims(db_session):
    """Three claims on one document."""
    document = DocumentFactory(text="The harbour moved 41 ships, 17 barges and 9 ferries in 2022.")
    made = [ClaimFactory(document=document, quote_text=q, value=float(q)) for q in ("41", "17", "9")]
    db_session.commit()
    return made


def test_api_openapi_document_validates(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    assert spec["openapi"] == "3.1.0"
    validate(spec)
    assert {"/api/v1/documents", "/api/v1/claims", "/api/v1/claims/{claim_id}/reviews"} <= set(spec["paths"])


def test_api_docs_page_served_without_login(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    assert "/api/v1/openapi.json" in response.get_data(as_text=True)


def test_api_docs_page_loads_its_script_from_the_app_only(client):
    response = client.get("/api/v1/docs")
    html = response.get_data(as_text=True)
    assert '<script src="/static/vendor/redoc/redoc.standalone.js">' in html and "https://" not in html
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "http" not in policy
    script = client.get("/static/vendor/redoc/redoc.standalone.js")
    assert script.status_code == 200 and b"redoc" in script.get_data()[:2000].lower()


def test_api_without_token_is_401_problem(client, claims):
    response = client.get("/api/v1/claims")
    assert response.status_code == 401
    assert response.mimetype == PROBLEM
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    body = response.get_json()
    assert body["status"] == 401 and body["title"] == "Unauthorized" and "token" in body["detail"]


def test_api_session_cookie_is_not_accepted(client, auth, reviewer, claims):
    auth.login("rita")
    assert client.get("/documents").status_code == 200
    assert client.get("/api/v1/claims").status_code == 401


def test_api_token_reads_claims(client, reviewer, make_token, claims):
    response = client.get("/api/v1/claims", headers=bearer(make_token(reviewer)))
    assert response.status_code == 200
    body = response.get_json()
    assert [c["quote"] for c in body["claims"]] == ["41", "17", "9"]
    assert body["next_after"] is None


def test_api_token_last_used_recorded(client, db_session, reviewer, make_token, claims):
    secret = make_token(reviewer)
    client.get("/api/v1/claims", headers=bearer(secret))
    row = db_session.execute(ApiToken.__table__.select().where(ApiToken.token_hash == tokens.digest(secret))).one()
    assert row.last_used_at is not None


def test_api_token_stored_only_as_hash(db_session, reviewer, make_token):
    secret = make_token(reviewer)
    stored = db_session.execute(ApiToken.__table__.select()).one()
    assert secret not in [str(v) for v in stored] and stored.token_hash == tokens.digest(secret)


def test_api_revoked_token_is_refused(client, db_session, reviewer, make_token, claims):
    secret = make_token(reviewer, "ci")
    assert client.get("/api/v1/claims", headers=bearer(secret)).status_code == 200
    for token in tokens.find_by_name(db_session, reviewer, "ci"):
        tokens.revoke(token, utcnow())
    db_session.commit()
    assert client.get("/api/v1/claims", headers=bearer(secret)).status_code == 401


def test_api_deactivated_user_token_is_refused(client, db_session, reviewer, make_token, claims):
    secret = make_token(reviewer)
    reviewer.active = False
    db_session.commit()
    assert client.get("/api/v1/claims", headers=bearer(secret)).status_code == 401


def test_api_wrong_token_is_refused(client, reviewer, make_token, claims):
    make_token(reviewer)
    assert client.get("/api/v1/claims", headers=bearer("ct_" + "x" * 43)).status_code == 401
    assert client.get("/api/v1/claims", headers={"Authorization": "Basic cml0YTp4"}).status_code == 401


def test_api_audit_is_for_leads_only(client, db_session, reviewer, lead, make_token, claims):
    claim = claims[0]
    review.decide(db_session, claim, reviewer, "verify", version=claim.version, now=utcnow(), check_lease=False)
    db_session.commit()
    refused = client.get(f"/api/v1/claims/{claim.id}/audit", headers=bearer(make_token(reviewer)))
    assert refused.status_code == 403 and refused.mimetype == PROBLEM
    assert refused.get_json()["detail"] == "This page is for team leads."
    allowed = client.get(f"/api/v1/claims/{claim.id}/audit", headers=bearer(make_token(lead)))
    assert allowed.status_code == 200
    assert [e["verb"] for e in allowed.get_json()["events"]] == ["verify"]


def test_api_reviews_of_a_claim(client, db_session, reviewer, make_token, claims):
    claim = claims[1]
    review.decide(db_session, claim, reviewer, "reject", version=claim.version, now=utcnow(),
                  note="the barges were counted twice", check_lease=False)
    db_session.commit()
    body = client.get(f"/api/v1/claims/{claim.id}/reviews", headers=bearer(make_token(reviewer))).get_json()
    assert [(r["decision"], r["user"], r["note"]) for r in body["reviews"]] == [
        ("reject", "rita", "the barges were counted twice")]
    got = client.get(f"/api/v1/claims/{claim.id}", headers=bearer(make_token(reviewer, "2"))).get_json()
    assert got["status"] == "rejected" and got["reviewed_by"] == "rita" and got["version"] == claim.version


def test_api_claims_keyset_paging(client, reviewer, make_token, claims):
    headers = bearer(make_token(reviewer))
    first = client.get("/api/v1/claims?limit=2", headers=headers).get_json()
    assert [c["quote"] for c in first["claims"]] == ["41", "17"]
    second = client.get(f"/api/v1/claims?limit=2&after={first['next_after']}", headers=headers).get_json()
    assert [c["quote"] for c in second["claims"]] == ["9"] and second["next_after"] is None


def test_api_claims_filter_same_as_web(client, db_session, reviewer, make_token, claims):
    review.decide(db_session, claims[2], reviewer, "verify", version=claims[2].version, now=utcnow(), check_lease=False)
    db_session.commit()
    body = client.get("/api/v1/claims?status=verified", headers=bearer(make_token(reviewer))).get_json()
    assert [c["quote"] for c in body["claims"]] == ["9"]


def test_api_bad_filter_is_400_problem_with_web_message(client, auth, reviewer, make_token, claims):
    response = client.get("/api/v1/claims?status=bogus", headers=bearer(make_token(reviewer)))
    assert response.status_code == 400 and response.mimetype == PROBLEM
    detail = response.get_json()["detail"]
    auth.login("rita")
    assert detail in client.get("/claims?status=bogus").get_data(as_text=True)


def test_api_bad_limit_is_422_problem(client, reviewer, make_token, claims):
    response = client.get("/api/v1/claims?limit=0", headers=bearer(make_token(reviewer)))
    assert response.status_code == 422 and response.mimetype == PROBLEM
    assert "limit" in response.get_json()["errors"]["query"]


def test_api_missing_claim_is_404_problem(client, reviewer, make_token):
    response = client.get("/api/v1/claims/999999", headers=bearer(make_token(reviewer)))
    assert response.status_code == 404 and response.mimetype == PROBLEM
    assert response.get_json()["detail"] == "No such claim."


def test_api_documents_list_and_text(client, reviewer, make_token, claims):
    headers = bearer(make_token(reviewer))
    listed = client.get("/api/v1/documents", headers=headers).get_json()
    assert [d["claims"] for d in listed["documents"]] == [3]
    document = client.get(f"/api/v1/documents/{listed['documents'][0]['id']}", headers=headers).get_json()
    assert document["text"] == "The harbour moved 41 ships, 17 barges and 9 ferries in 2022."


def test_api_token_last_used_not_rewritten_within_a_minute(db_session, reviewer):
    token, secret = tokens.create(db_session, reviewer, "x", utcnow())
    first = utcnow()
    tokens.authenticate(db_session, secret, first)
    tokens.authenticate(db_session, secret, first + timedelta(seconds=10))
    assert token.last_used_at == first


@pytest.mark.parametrize("name", ["", " ", "x" * 101, "tab\there"])
def test_api_token_bad_name_refused(db_session, reviewer, name):
    with pytest.raises(tokens.TokenError):
        tokens.create(db_session, reviewer, name, utcnow())


def test_api_token_cli_create_use_revoke(client, runner, reviewer, claims):
    created = runner.invoke(args=["token", "create", "rita", "--name", "nightly"])
    assert created.exit_code == 0, created.output
    secret = created.stdout.strip().splitlines()[-1]
    assert secret.startswith("ct_")
    assert client.get("/api/v1/claims", headers=bearer(secret)).status_code == 200
    listed = runner.invoke(args=["token", "list", "rita"])
    assert "nightly" in listed.output and secret not in listed.output
    revoked = runner.invoke(args=["token", "revoke", "rita", "--name", "nightly"])
    assert revoked.exit_code == 0 and "revoked 1 token(s)" in revoked.output
    assert client.get("/api/v1/claims", headers=bearer(secret)).status_code == 401
    again = runner.invoke(args=["token", "revoke", "rita", "--name", "nightly"])
    assert again.exit_code == 1 and "no active token" in again.output


def test_api_token_cli_unknown_user(runner):
    result = runner.invoke(args=["token", "create", "nobody", "--name", "x"])
    assert result.exit_code == 1 and "no user 'nobody'" in result.output


def test_api_account_page_creates_shows_once_and_revokes(client, auth, reviewer, claims):
    auth.login("rita")
    token = csrf_token_of(client)
    created = client.post("/account/tokens", data={"name": "notebook", "csrf_token": token})
    assert created.status_code == 201
    page = created.get_data(as_text=True)
    secret = page.split('<code>')[1].split('</code>')[0]
    assert client.get("/api/v1/claims", headers=bearer(secret)).status_code == 200
    later = client.get("/account").get_data(as_text=True)
    assert "notebook" in later and secret not in later
    token_id = later.split('id="token-')[1].split('"')[0]
    revoked = client.post(f"/account/tokens/{token_id}/revoke", data={"csrf_token": csrf_token_of(client)})
    assert revoked.status_code == 303
    assert client.get("/api/v1/claims", headers=bearer(secret)).status_code == 401


def test_api_account_cannot_revoke_another_users_token(client, auth, db_session, reviewer, lead, make_token):
    secret = make_token(lead, "lead's")
    auth.login("rita")
    lead_token = tokens.tokens_of(db_session, lead)[0]
    response = client.post(f"/account/tokens/{lead_token.id}/revoke", data={"csrf_token": csrf_token_of(client)})
    assert response.status_code == 404
    assert client.get("/api/v1/documents", headers=bearer(secret)).status_code == 200


def test_api_account_token_name_required(client, auth, db_session, reviewer):
    auth.login("rita")
    response = client.post("/account/tokens", data={"name": "", "csrf_token": csrf_token_of(client)})
    assert response.status_code == 400
    assert tokens.tokens_of(db_session, reviewer) == []


def _decide(client, secret, claim_id, **body):
    return client.post(f"/api/v1/claims/{claim_id}/decision", json=body, headers=bearer(secret))


def test_api_decide_verifies_with_version(client, reviewer, make_token, claims):
    claim = claims[0]
    response = _decide(client, make_token(reviewer), claim.id, decision="verify", version=claim.version)
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "verified" and body["reviewed_by"] == "rita" and body["version"] == claim.version + 1


def test_api_decide_needs_no_csrf_token(app, client, reviewer, make_token, claims):
    app.config["WTF_CSRF_ENABLED"] = True
    response = _decide(client, make_token(reviewer), claims[0].id, decision="verify", version=claims[0].version)
    assert response.status_code == 200


def test_api_decide_stale_version_is_409_and_changes_nothing(client, db_session, reviewer, lead, make_token, claims):
    claim = claims[0]
    seen = claim.version
    assert _decide(client, make_token(lead), claim.id, decision="verify", version=seen).status_code == 200
    response = _decide(client, make_token(reviewer), claim.id, decision="reject", version=seen, note="wrong port")
    assert response.status_code == 409 and response.mimetype == PROBLEM
    assert response.get_json()["detail"] == f"Claim {claim.id} was changed by lena while you had it open; nothing was saved."
    db_session.expire_all()
    assert claim.status == "verified"


def test_api_decide_repeat_is_recorded_once(client, db_session, reviewer, make_token, claims):
    claim, secret = claims[0], make_token(reviewer)
    seen = claim.version
    assert _decide(client, secret, claim.id, decision="verify", version=seen).status_code == 200
    assert _decide(client, secret, claim.id, decision="verify", version=seen).status_code == 200
    assert [entry.review.decision for entry in review.history(db_session, claim.id)] == ["verify"]


def test_api_decide_refused_while_another_reviewer_holds_the_lease(client, db_session, reviewer, lead, make_token, claims):
    from claimtrack import queue

    claim = claims[0]
    queue.acquire(db_session, claim.id, lead, utcnow(), timedelta(minutes=10), 5)
    db_session.commit()
    response = _decide(client, make_token(reviewer), claim.id, decision="verify", version=claim.version)
    assert response.status_code == 409
    assert response.get_json()["detail"].startswith(f"Claim {claim.id} is held by lena until")
    db_session.expire_all()
    assert claim.status == "pending"


def test_api_decide_reject_needs_reason_as_on_the_web(client, reviewer, make_token, claims):
    response = _decide(client, make_token(reviewer), claims[0].id, decision="reject", version=claims[0].version)
    assert response.status_code == 400
    assert response.get_json()["detail"] == "A reason is required to reject a claim."


def test_api_decide_unknown_decision_is_422(client, reviewer, make_token, claims):
    response = _decide(client, make_token(reviewer), claims[0].id, decision="approve", version=1)
    assert response.status_code == 422 and "decision" in response.get_json()["errors"]["json"]


def test_api_correction_saves_the_fields_sent_and_keeps_the_rest(client, db_session, reviewer, make_token, claims):
    claim = claims[0]
    response = _decide(client, make_token(reviewer), claim.id, decision="correct", version=claim.version,
                       value="1,190", unit="t", period_start="2022-01-01", period_end="2022-12-31")
    assert response.status_code == 200
    body = response.get_json()
    assert (body["value"], body["unit"], body["period_start"], body["status"]) == (1190.0, "t", "2022-01-01", "pending")
    assert body["corrected"]["value"] == {"extracted": 41.0, "current": 1190.0}
    assert body["kind"] == claim.kind and body["qualifier"] == claim.qualifier
    assert [entry.review.decision for entry in review.history(db_session, claim.id)] == ["correct"]


def test_api_correction_refused_with_the_review_forms_messages(client, db_session, reviewer, make_token, claims):
    claim = claims[0]
    response = _decide(client, make_token(reviewer), claim.id, decision="correct", version=claim.version,
                       value="12", value_max=3, period_start="2022-05-01", period_end="2022-01-01", unit="k{m}")
    assert response.status_code == 400 and response.mimetype == PROBLEM
    errors = response.get_json()["errors"]["json"]
    assert errors == {"value_max": ["The upper value must not be below the value."],
                      "period_end": ["The period cannot end before it starts."],
                      "unit": ["Use a unit code such as km, km2, t, %, pp, CNY or USD."]}
    db_session.expire_all()
    assert (claim.value, claim.version, claim.status) == (41.0, 1, "pending")


def test_api_correction_of_a_number_as_typed(client, reviewer, make_token, claims):
    response = _decide(client, make_token(reviewer), claims[0].id, decision="correct", version=claims[0].version,
                       value="1,19")
    assert response.status_code == 400
    assert response.get_json()["errors"]["json"]["value"] == [
        "Enter a number such as 1,190,000,000,000 or 6.47 (commas only between groups of three digits)."]


def test_api_correction_on_a_stale_version_is_409(client, db_session, reviewer, lead, make_token, claims):
    claim = claims[0]
    seen = claim.version
    assert _decide(client, make_token(lead), claim.id, decision="correct", version=seen, value=40).status_code == 200
    response = _decide(client, make_token(reviewer), claim.id, decision="correct", version=seen, value=42)
    assert response.status_code == 409 and response.mimetype == PROBLEM
    db_session.expire_all()
    assert claim.value == 40.0


def test_api_needs_info_needs_a_note_and_skip_releases(client, db_session, reviewer, make_token, claims):
    from claimtrack import queue

    secret = make_token(reviewer)
    response = _decide(client, secret, claims[0].id, decision="needs_info", version=claims[0].version)
    assert response.get_json()["detail"] == "A note saying what information is needed is required."
    response = _decide(client, secret, claims[0].id, decision="needs_info", version=claims[0].version, note="Which port?")
    assert response.status_code == 200 and response.get_json()["status"] == "needs_info"
    leased = client.post("/api/v1/queue/next", headers=bearer(secret)).get_json()
    assert leased["id"] == claims[1].id
    response = _decide(client, secret, leased["id"], decision="skip", version=leased["version"])
    assert response.status_code == 200 and response.get_json()["status"] == "pending"
    assert queue.holder(db_session, leased["id"], utcnow()) is None
    assert client.post("/api/v1/queue/next", headers=bearer(secret)).get_json()["id"] == claims[2].id


def test_api_queue_next_leases_and_others_are_kept_out(client, db_session, reviewer, lead, make_token, claims):
    mine, theirs = make_token(reviewer), make_token(lead)
    first = client.post("/api/v1/queue/next", headers=bearer(mine))
    assert first.status_code == 200
    claim_id = first.get_json()["id"]
    assert client.post("/api/v1/queue/next", headers=bearer(mine)).get_json()["id"] == claim_id
    assert client.post("/api/v1/queue/next", headers=bearer(theirs)).get_json()["id"] != claim_id
    response = _decide(client, theirs, claim_id, decision="verify", version=first.get_json()["version"])
    assert response.status_code == 409 and response.get_json()["detail"].startswith(f"Claim {claim_id} is held by rita")
    assert _decide(client, mine, claim_id, decision="verify", version=first.get_json()["version"]).status_code == 200


def test_api_queue_next_empty_is_204(client, reviewer, make_token, claims):
    response = client.post(f"/api/v1/queue/next?document={claims[0].document_id + 1}", headers=bearer(make_token(reviewer)))
    assert response.status_code == 204


def test_api_blind_second_review_hides_the_first_decision(client, db_session, reviewer, lead, make_token, claims):
    from claimtrack import second_review

    second_review.set_policy(db_session, lead, now=utcnow(), share=100)
    db_session.commit()
    claim = claims[0]
    first = _decide(client, make_token(lead), claim.id, decision="verify", version=claim.version, value=40)
    assert first.get_json()["status"] == "verified"
    secret = make_token(reviewer)
    seen = client.get(f"/api/v1/claims/{claim.id}", headers=bearer(secret)).get_json()
    assert (seen["status"], seen["reviewed_by"], seen["value"], seen["corrected"]) == (second_review.BLIND_STATUS, None, 41.0, {})
    for path in (f"/api/v1/claims/{claim.id}/reviews", f"/api/v1/claims/{claim.id}/audit"):
        assert client.get(path, headers=bearer(secret)).status_code == 403
    response = _decide(client, secret, claim.id, decision="reject", version=seen["version"], note="no")
    assert response.status_code == 403 and "verified" not in response.get_json()["detail"]
    assert client.get(f"/api/v1/claims/{claim.id}", headers=bearer(make_token(lead))).get_json()["status"] == "verified"


def _conflict(db_session):
    from claimtrack import conflicts

    a = ClaimFactory(document=DocumentFactory(text="Gansu has 66 sister cities.", file_name="a.txt"), quote_text="66", value=66)
    b = ClaimFactory(document=DocumentFactory(text="Gansu hosts 69 sister cities.", file_name="b.txt"), quote_text="69", value=69)
    conflicts.detect_claims(db_session, [a.id, b.id])
    db_session.commit()
    db_session.refresh(a)
    return a, b, a.group_id


def test_api_conflicts_list_and_get(client, db_session, reviewer, make_token):
    a, b, group_id = _conflict(db_session)
    secret = make_token(reviewer)
    page = client.get("/api/v1/conflicts", headers=bearer(secret)).get_json()
    assert [g["id"] for g in page["groups"]] == [group_id] and page["next_page"] is None
    assert [(m["doc"], m["value"], m["quote"]) for m in page["groups"][0]["members"]] == [("a.txt", 66.0, "66"), ("b.txt", 69.0, "69")]
    assert client.get("/api/v1/conflicts?status=resolved", headers=bearer(secret)).get_json()["groups"] == []
    detail = client.get(f"/api/v1/conflicts/{group_id}", headers=bearer(secret)).get_json()
    assert detail["status"] == "open" and detail["resolutions"] == []
    assert client.get(f"/api/v1/conflicts/{group_id + 99}", headers=bearer(secret)).status_code == 404


def test_api_conflict_resolve_prefer_then_stale_is_409(client, db_session, reviewer, lead, make_token):
    a, b, group_id = _conflict(db_session)
    secret = make_token(reviewer)
    version = client.get(f"/api/v1/conflicts/{group_id}", headers=bearer(secret)).get_json()["version"]
    response = client.post(f"/api/v1/conflicts/{group_id}/resolve", headers=bearer(secret), json={
        "version": version, "decision": "prefer", "preferred_claim_id": b.id, "reason": "superseded", "note": "newer"})
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "resolved" and body["resolutions"][0]["preferred_claim_id"] == b.id
    response = client.post(f"/api/v1/conflicts/{group_id}/resolve", headers=bearer(make_token(lead)), json={
        "version": version, "decision": "unresolved", "note": "not sure"})
    assert response.status_code == 409 and response.mimetype == PROBLEM
    db_session.expire_all()
    assert client.get(f"/api/v1/conflicts/{group_id}", headers=bearer(secret)).get_json()["status"] == "resolved"


def test_api_conflict_resolve_refused_with_the_pages_messages(client, db_session, reviewer, make_token):
    a, b, group_id = _conflict(db_session)
    secret = make_token(reviewer)
    version = client.get(f"/api/v1/conflicts/{group_id}", headers=bearer(secret)).get_json()["version"]
    response = client.post(f"/api/v1/conflicts/{group_id}/resolve", headers=bearer(secret),
                           json={"version": version, "decision": "prefer", "note": ""})
    assert response.status_code == 400
    assert response.get_json()["errors"]["json"] == {"note": ["A resolution needs a note."]}
    response = client.post(f"/api/v1/conflicts/{group_id}/resolve", headers=bearer(secret),
                           json={"version": version, "decision": "prefer", "note": "which?"})
    assert response.status_code == 400 and response.mimetype == PROBLEM
    assert response.get_json()["detail"] == "Choose which of the group's values is right."
    response = client.post(f"/api/v1/conflicts/{group_id}/resolve", headers=bearer(secret), json={
        "version": version, "decision": "all_right", "note": "two scopes",
        "claims": [{"claim_id": a.id, "version": a.version, "period_start": "2022-05-01", "period_end": "2021-01-01"}]})
    assert response.status_code == 400
    assert response.get_json()["detail"] == f"Claim {a.id}: the period ends before it starts."
    db_session.expire_all()
    assert client.get(f"/api/v1/conflicts/{group_id}", headers=bearer(secret)).get_json()["resolutions"] == []


def test_api_export_csv_is_the_web_csv(client, auth, db_session, reviewer, make_token, claims):
    for claim in claims[:2]:
        review.decide(db_session, claim, reviewer, "verify", version=claim.version, now=utcnow(), check_lease=False)
    db_session.commit()
    query = "?status=verified&status=pending&subject=&bom=1"
    api = client.get(f"/api/v1/export.csv{query}", headers=bearer(make_token(reviewer)))
    assert api.status_code == 200 and api.mimetype == "text/csv"
    auth.login("rita")
    web = client.get(f"/export.csv{query}")
    assert api.get_data() == web.get_data()
    assert api.get_data().decode("utf-8-sig").count("\r\n") == 4


def test_api_export_csv_streams_header_before_rows(client, db_session, reviewer, make_token, claims):
    for claim in claims:
        review.decide(db_session, claim, reviewer, "verify", version=claim.version, now=utcnow(), check_lease=False)
    db_session.commit()
    response = client.get("/api/v1/export.csv", headers=bearer(make_token(reviewer)), buffered=False)
    assert response.is_streamed
    chunks = iter(response.response)
    header = next(chunks)
    assert header.startswith(b"claim_id,") and header.count(b"\r\n") == 1
    rest = b"".join(chunks)
    assert rest.count(b"\r\n") == 3
    response.close()


def test_api_export_bad_filter_is_400_problem_with_web_message(client, reviewer, make_token):
    response = client.get("/api/v1/export.csv?colour=red", headers=bearer(make_token(reviewer)))
    assert response.status_code == 400 and response.mimetype == PROBLEM
    assert response.get_json()["detail"] == "Unknown filter: colour. See /export for the filters."
