"""The queue and review pages over HTTP: roles, CSRF, leases, decisions, stale versions, undo."""
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from claimtrack import accounts, queue, review
from models import AuditEvent, Claim, Lease, Review, utcnow
from webapp.db import TRANSIENT_ATTEMPTS

from .conftest import PASSWORD, csrf_token
from .factories import ClaimFactory, DocumentFactory

_VERSION = re.compile(r'name="version" type="hidden" value="(\d+)"|type="hidden" name="version" value="(\d+)"|id="version" name="version" type="hidden" value="(\d+)"')


def _version(html: str) -> str:
    match = re.search(r'<input[^>]*name="version"[^>]*>', html)
    assert match, "no version field"
    return re.search(r'value="(\d+)"', match.group(0)).group(1)


def _form(client, claim_id: int, **fields) -> dict:
    """The review form of a claim as the browser would submit it, with `fields` changed."""
    html = client.get(f"/claims/{claim_id}").get_data(as_text=True)
    claim_values = {}
    for name in ("value", "value_max", "uncertainty", "unit", "subject", "measure", "period_start", "period_end"):
        match = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
        value = re.search(r'value="([^"]*)"', match.group(0)) if match else None
        claim_values[name] = value.group(1) if value else ""
    data = {"csrf_token": csrf_token(client, f"/claims/{claim_id}"), "version": _version(html),
            "status_seen": "pending", "qualifier": "=", "change": "", "kind": "fact", "note": "", **claim_values}
    data.update(fields)
    return data


@pytest.fixture
def claims(db_session):
    document = DocumentFactory(text="Gansu has 66 sister cities, 16 cargo routes and 5 ports in 2023.")
    # Worth given outright: the queue serves them in this order.
    made = [ClaimFactory(document=document, quote_text=q, value=float(q), confidence=c, worth=w)
            for q, c, w in (("66", 0.1, 3), ("16", 0.2, 2), ("5", 0.3, 1))]
    db_session.commit()
    return made


def test_anonymous_is_sent_to_login(client, claims):
    for path in ("/queue", "/queue/next", f"/claims/{claims[0].id}", "/claims", "/users"):
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login"), path


def test_queue_next_leases_and_redirects_with_filters(client, reviewer, auth, claims):
    auth.login("rita")
    response = client.get(f"/queue/next?document={claims[0].document_id}&measure=international+sister+cities")
    assert response.status_code == 302
    assert response.headers["Location"] == (
        f"/claims/{claims[0].id}?document={claims[0].document_id}&measure=international+sister+cities")
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f'action="/claims/{claims[0].id}?document={claims[0].document_id}&amp;measure=' in html
    assert '<mark class="claim current" id="source-span">66</mark>' in html


def test_queue_empty_page(client, reviewer, auth):
    auth.login("rita")
    response = client.get("/queue/next")
    assert response.status_code == 200
    assert "Queue empty" in response.get_data(as_text=True)


def test_dashboard_shows_progress(client, reviewer, auth, claims):
    auth.login("rita")
    html = client.get("/queue").get_data(as_text=True)
    assert "pending" in html and ">3<" in html


def test_verify_records_review_audit_and_opens_next(client, reviewer, auth, claims, db_session):
    auth.login("rita")
    client.get("/queue/next?kind=fact")
    response = client.post(f"/claims/{claims[0].id}?kind=fact", data={**_form(client, claims[0].id), "decision": "verify"})
    assert response.status_code == 303 and response.headers["Location"] == "/queue/next?kind=fact"
    db_session.expire_all()
    claim = db_session.get(Claim, claims[0].id)
    assert (claim.status, claim.reviewed_by_id) == ("verified", reviewer.id)
    assert db_session.scalar(sa.select(Review.decision).where(Review.claim_id == claim.id)) == "verify"
    assert db_session.scalar(sa.select(AuditEvent.verb).where(AuditEvent.object_id == claim.id)) == "verify"
    assert db_session.get(Lease, claim.id) is None
    assert client.get("/queue/next?kind=fact").headers["Location"].startswith(f"/claims/{claims[1].id}")



class _Aborted(Exception):
    """What the driver raises when PostgreSQL aborts a transaction, by its SQLSTATE."""

    def __init__(self, sqlstate: str | None):
        super().__init__(f"SQLSTATE {sqlstate}")
        self.sqlstate = sqlstate


def _decide_aborted(monkeypatch, times: int, sqlstate: str | None = "40P01") -> list[int]:
    """Make the first `times` decisions write everything and then have their transaction aborted."""
    decide, calls = review.decide, []

    def aborted_after_writing(session, *args, **kwargs):
        outcome = decide(session, *args, **kwargs)
        calls.append(1)
        if len(calls) <= times:
            raise sa.exc.OperationalError("UPDATE conflict_groups ...", {}, _Aborted(sqlstate))
        return outcome

    monkeypatch.setattr(review, "decide", aborted_after_writing)
    return calls


def test_verify_whose_transaction_is_a_deadlock_victim_is_made_again_and_recorded_once(
        client, reviewer, auth, claims, db_session, monkeypatch):
    auth.login("rita")
    form = {**_form(client, claims[0].id), "decision": "verify"}
    calls = _decide_aborted(monkeypatch, times=1)
    response = client.post(f"/claims/{claims[0].id}", data=form)
    assert response.status_code == 303 and len(calls) == 2
    db_session.expire_all()
    assert db_session.get(Claim, claims[0].id).status == "verified"
    assert db_session.scalars(sa.select(Review.decision).where(Review.claim_id == claims[0].id)).all() == ["verify"]
    assert client.get(f"/claims/{claims[0].id}").get_data(as_text=True).count(f"Claim {claims[0].id} verified.") == 1


@pytest.mark.parametrize("times, sqlstate, attempts", [(99, "40001", TRANSIENT_ATTEMPTS), (1, None, 1)])
def test_verify_aborted_on_every_attempt_or_by_another_error_says_nothing_was_saved(
        client, reviewer, auth, claims, db_session, monkeypatch, times, sqlstate, attempts):
    """A serialisation failure each time is given up after the last attempt; any other database error at once."""
    auth.login("rita")
    form = {**_form(client, claims[0].id), "decision": "verify"}
    calls = _decide_aborted(monkeypatch, times=times, sqlstate=sqlstate)
    response = client.post(f"/claims/{claims[0].id}", data=form)
    assert response.status_code == 503 and len(calls) == attempts
    assert "Nothing you submitted was saved" in response.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.get(Claim, claims[0].id).status == "pending"
    assert db_session.scalar(sa.select(sa.func.count(Review.id)).where(Review.claim_id == claims[0].id)) == 0

def test_reject_needs_a_reason(client, reviewer, auth, claims, db_session):
    auth.login("rita")
    response = client.post(f"/claims/{claims[0].id}", data={**_form(client, claims[0].id), "decision": "reject"})
    assert response.status_code == 400
    assert "A reason is required to reject" in response.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.get(Claim, claims[0].id).status == "pending"
    response = client.post(f"/claims/{claims[0].id}", data={
        **_form(client, claims[0].id), "decision": "reject", "note": "not a count"})
    assert response.status_code == 303
    db_session.expire_all()
    assert db_session.get(Claim, claims[0].id).status == "rejected"


def test_correction_keeps_extraction(client, reviewer, auth, claims, db_session):
    auth.login("rita")
    response = client.post(f"/claims/{claims[0].id}", data={
        **_form(client, claims[0].id, value="69", unit="cities"), "decision": "correct"})
    assert response.status_code == 303
    db_session.expire_all()
    claim = db_session.get(Claim, claims[0].id)
    assert (claim.value, claim.extracted_value, claim.unit, claim.status) == (69.0, 66.0, "cities", "pending")
    review = db_session.scalar(sa.select(Review).where(Review.claim_id == claim.id))
    assert review.changes == {"value": [66.0, 69.0], "unit": ["", "cities"]}
    html = client.get(f"/claims/{claim.id}").get_data(as_text=True)
    assert 'id="extracted-value">66<' in html and 'value="69"' in html


def test_uncertainty_shown_and_corrected(client, reviewer, auth, db_session):
    document = DocumentFactory(text="The gap was 5 ± 0.2 K at the edge.")
    claim = ClaimFactory(document=document, quote_text="5 ± 0.2 K", value=5.0, unit="K", uncertainty=0.2)
    db_session.commit()
    auth.login("rita")
    html = client.get(f"/claims/{claim.id}").get_data(as_text=True)
    assert 'id="extracted-uncertainty">0.2<' in html and "Uncertainty (±)" in html
    response = client.post(f"/claims/{claim.id}", data={
        **_form(client, claim.id, uncertainty="0.3"), "decision": "correct"})
    assert response.status_code == 303
    db_session.expire_all()
    claim = db_session.get(Claim, claim.id)
    assert (claim.uncertainty, claim.extracted_uncertainty) == (0.3, 0.2)
    assert db_session.scalar(sa.select(Review.changes).where(Review.claim_id == claim.id)) == {"uncertainty": [0.2, 0.3]}


def test_negative_uncertainty_refused_and_changes_nothing(client, reviewer, auth, claims, db_session):
    auth.login("rita")
    response = client.post(f"/claims/{claims[0].id}", data={
        **_form(client, claims[0].id, uncertainty="-1"), "decision": "correct"})
    assert response.status_code == 400
    assert "The uncertainty cannot be negative." in response.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.get(Claim, claims[0].id).uncertainty is None
    assert db_session.scalar(sa.select(sa.func.count(Review.id))) == 0


def test_bad_values_show_field_errors_and_change_nothing(client, reviewer, auth, claims, db_session):
    auth.login("rita")
    response = client.post(f"/claims/{claims[0].id}", data={
        **_form(client, claims[0].id, value="lots", value_max="", period_start="2024-05-01",
                period_end="2024-01-01"), "decision": "verify"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'id="error-value"' in html and "The period cannot end before it starts." in html
    db_session.expire_all()
    assert db_session.get(Claim, claims[0].id).status == "pending"
    assert db_session.scalar(sa.select(sa.func.count(Review.id))) == 0


def test_stale_version_refused_with_differences(client, reviewer, auth, claims, db_session):
    auth.login("rita")
    data = _form(client, claims[0].id, value="67")
    claim = db_session.get(Claim, claims[0].id)
    claim.value = 70.0
    db_session.commit()
    response = client.post(f"/claims/{claims[0].id}", data={**data, "decision": "verify"})
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "was changed" in html
    assert re.search(r"<td>value</td><td>67</td><td>70</td>", html)
    db_session.expire_all()
    claim = db_session.get(Claim, claims[0].id)
    assert (claim.status, claim.value) == ("pending", 70.0)
    assert db_session.scalar(sa.select(sa.func.count(Review.id))) == 0


def test_double_submit_records_once(client, reviewer, auth, claims, db_session):
    auth.login("rita")
    data = {**_form(client, claims[0].id), "decision": "verify"}
    assert client.post(f"/claims/{claims[0].id}", data=data).status_code == 303
    second = client.post(f"/claims/{claims[0].id}", data=data)
    assert second.status_code == 303
    assert db_session.scalar(sa.select(sa.func.count(Review.id)).where(Review.claim_id == claims[0].id)) == 1


def test_missing_or_forged_csrf_refused(client, reviewer, auth, claims, db_session):
    auth.login("rita")
    data = {**_form(client, claims[0].id), "decision": "verify"}
    assert client.post(f"/claims/{claims[0].id}", data={**data, "csrf_token": "forged"}).status_code == 400
    del data["csrf_token"]
    assert client.post(f"/claims/{claims[0].id}", data=data).status_code == 400
    assert client.post(f"/claims/{claims[0].id}/lease").status_code == 400
    db_session.expire_all()
    assert db_session.get(Claim, claims[0].id).status == "pending"


def test_unknown_ids_are_404(client, reviewer, auth):
    auth.login("rita")
    token = csrf_token(client, "/queue")
    assert client.get("/claims/999999").status_code == 404
    assert client.post("/claims/999999", data={"csrf_token": token, "decision": "verify"}).status_code == 404
    assert client.post("/claims/999999/lease", headers={"X-CSRFToken": token}).status_code == 404
    assert client.get("/batches/nope").status_code == 404


def test_other_reviewers_lease_is_read_only_and_refused(client, reviewer, auth, claims, db_session):
    other = accounts.create_user(db_session, "otto", PASSWORD, "reviewer")
    queue.acquire(db_session, claims[0].id, other, utcnow())
    db_session.commit()
    auth.login("rita")
    html = client.get(f"/claims/{claims[0].id}").get_data(as_text=True)
    assert "held by otto until" in html
    assert 'value="verify"' not in html
    token = csrf_token(client, "/queue")
    data = {**_form(client, claims[1].id), "csrf_token": token, "decision": "verify"}
    data["version"] = "1"
    response = client.post(f"/claims/{claims[0].id}", data=data)
    assert response.status_code == 409
    assert "held by otto" in response.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.get(Claim, claims[0].id).status == "pending"
    response = client.post(f"/claims/{claims[0].id}/lease", headers={"X-CSRFToken": token})
    assert response.status_code == 409 and response.json == {"held": False, "holder": "otto"}


def test_heartbeat_renews_own_lease(client, reviewer, auth, claims, db_session):
    auth.login("rita")
    client.get(f"/claims/{claims[0].id}")
    token = csrf_token(client, "/queue")
    response = client.post(f"/claims/{claims[0].id}/lease", headers={"X-CSRFToken": token})
    assert response.status_code == 200 and response.json["held"] is True


def test_skip_then_needs_info(client, reviewer, auth, claims, db_session):
    auth.login("rita")
    client.get("/queue/next")
    response = client.post(f"/claims/{claims[0].id}", data={**_form(client, claims[0].id), "decision": "skip"})
    assert response.status_code == 303
    assert client.get("/queue/next").headers["Location"] == f"/claims/{claims[1].id}"
    response = client.post(f"/claims/{claims[1].id}", data={
        **_form(client, claims[1].id), "decision": "needs_info", "note": "which year?"})
    assert response.status_code == 303
    db_session.expire_all()
    assert db_session.get(Claim, claims[1].id).status == "needs_info"


def test_logout_releases_leases(client, reviewer, auth, claims, db_session):
    auth.login("rita")
    client.get("/queue/next")
    assert db_session.get(Lease, claims[0].id) is not None
    auth.logout()
    db_session.expire_all()
    assert db_session.get(Lease, claims[0].id) is None


def test_lead_undoes_a_decision(client, reviewer, lead, auth, claims, db_session):
    auth.login("rita")
    client.post(f"/claims/{claims[0].id}", data={
        **_form(client, claims[0].id, value="67"), "decision": "verify"})
    auth.logout()
    auth.login("lena")
    html = client.get(f"/claims/{claims[0].id}").get_data(as_text=True)
    undo = re.search(r'action="/reviews/(\d+)/undo"', html)
    assert undo
    response = client.post(f"/reviews/{undo.group(1)}/undo", data={"csrf_token": csrf_token(client, "/queue")})
    assert response.status_code == 303
    db_session.expire_all()
    claim = db_session.get(Claim, claims[0].id)
    assert (claim.status, claim.value, claim.reviewed_by_id) == ("pending", 66.0, None)
    reviews = db_session.scalars(sa.select(Review).where(Review.claim_id == claim.id).order_by(Review.id)).all()
    assert [r.decision for r in reviews] == ["verify", "undo"] and reviews[1].undoes_id == reviews[0].id
    html = client.get(f"/claims/{claim.id}").get_data(as_text=True)
    assert html.index("<strong>undo</strong>") < html.index("<strong>verify</strong>")


def test_reviewer_cannot_use_lead_routes(client, reviewer, auth, claims):
    auth.login("rita")
    token = csrf_token(client, "/queue")
    assert client.get("/users").status_code == 403
    assert client.post("/users", data={"csrf_token": token}).status_code == 403
    assert client.post("/claims/bulk", data={"csrf_token": token, "claim_id": [claims[0].id],
                                             "decision": "verify"}).status_code == 403
    assert client.post("/reviews/1/undo", data={"csrf_token": token}).status_code == 403
    assert client.post(f"/claims/{claims[0].id}/reopen", data={"csrf_token": token}).status_code == 403
    assert client.post("/batches/x/undo", data={"csrf_token": token}).status_code == 403


def test_claim_page_escapes_document_text(client, reviewer, auth, db_session):
    document = DocumentFactory(text="<script>alert('x')</script> Gansu has 66 <b>cities</b>")
    claim = ClaimFactory(document=document)
    db_session.commit()
    auth.login("rita")
    html = client.get(f"/claims/{claim.id}").get_data(as_text=True)
    assert "<script>alert" not in html and "<b>cities" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html


def test_expired_lease_lets_another_reviewer_decide(client, reviewer, auth, claims, db_session):
    other = accounts.create_user(db_session, "otto", PASSWORD, "reviewer")
    queue.acquire(db_session, claims[0].id, other, utcnow() - timedelta(hours=1), timedelta(minutes=15))
    db_session.commit()
    auth.login("rita")
    assert client.get("/queue/next").headers["Location"] == f"/claims/{claims[0].id}"



def test_claims_list_filters_by_document_number_and_names_it(client, reviewer, auth, claims):
    auth.login("rita")
    html = client.get(f"/claims?document={claims[0].document_id}").get_data(as_text=True)
    assert f'name="document" min="1" size="7" value="{claims[0].document_id}"' in html
    assert 'id="filter-document"' in html
