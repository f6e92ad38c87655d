"""Lead pages: users, the claims list with filters and paging, bulk batches and their undo; login limits."""
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from claimtrack import accounts, claim_filters, queue
from claimtrack.claim_filters import ClaimFilter, Paging
from models import Claim, Lease, Review, User, utcnow

from .conftest import PASSWORD, csrf_token
from .factories import ClaimFactory, DocumentFactory


@pytest.fixture
def many_claims(db_session):
    document = DocumentFactory(text="Gansu has 66 sister cities. " * 3)
    made = [ClaimFactory(document=document, confidence=0.1 * i) for i in range(1, 8)]
    db_session.commit()
    return made


def test_lead_creates_user_and_changes_role(client, lead, auth, db_session):
    auth.login("lena")
    token = csrf_token(client, "/users")
    response = client.post("/users", data={"csrf_token": token, "username": "nina", "password": "longenough1",
                                           "role": "reviewer"})
    assert response.status_code == 303
    nina = accounts.find_user(db_session, "nina")
    assert nina.role == "reviewer"
    assert client.post(f"/users/{nina.id}/role", data={"csrf_token": token, "role": "lead"}).status_code == 303
    db_session.expire_all()
    assert db_session.get(User, nina.id).role == "lead"


def test_create_user_bad_values_show_errors(client, lead, auth, db_session):
    auth.login("lena")
    token = csrf_token(client, "/users")
    response = client.post("/users", data={"csrf_token": token, "username": "x y", "password": "short",
                                           "role": "reviewer"})
    assert response.status_code == 400
    assert "Field must be between 8 and 256 characters long." in response.get_data(as_text=True)
    assert accounts.find_user(db_session, "x y") is None


def test_deactivation_ends_sessions_and_releases_leases(app, lead, reviewer, auth, many_claims, db_session):
    reviewer_client = app.test_client()
    from .conftest import Auth
    Auth(reviewer_client).login("rita")
    assert reviewer_client.get("/queue/next").status_code == 302
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Lease)) == 1
    lead_client = app.test_client()
    Auth(lead_client).login("lena")
    token = csrf_token(lead_client, "/users")
    assert lead_client.post(f"/users/{reviewer.id}/deactivate", data={"csrf_token": token}).status_code == 303
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Lease)) == 0
    response = reviewer_client.get("/queue")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_lead_cannot_deactivate_themself(client, lead, auth, db_session):
    auth.login("lena")
    token = csrf_token(client, "/users")
    response = client.post(f"/users/{lead.id}/deactivate", data={"csrf_token": token}, follow_redirects=True)
    assert "You cannot deactivate your own account." in response.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.get(User, lead.id).active


def test_users_unknown_id_404(client, lead, auth):
    auth.login("lena")
    token = csrf_token(client, "/users")
    assert client.post("/users/99999/deactivate", data={"csrf_token": token}).status_code == 404


def test_claims_list_filters_and_keyset_paging(client, reviewer, auth, many_claims, db_session):
    many_claims[0].status = "verified"
    db_session.commit()
    auth.login("rita")
    html = client.get("/claims?status=verified").get_data(as_text=True)
    assert f'href="/claims/{many_claims[0].id}"' in html and f'href="/claims/{many_claims[1].id}"' not in html
    # "Export these" exports what the list shows: deprecated values too, unlike the export's default.
    assert 'href="/export.csv?conflicts=all"' in html
    assert 'name="claim_id"' not in html  # reviewers see no bulk controls
    html = client.get(f"/claims?after={many_claims[3].id}").get_data(as_text=True)
    assert f'href="/claims/{many_claims[4].id}"' in html and f'href="/claims/{many_claims[3].id}"' not in html


def test_claims_list_reports_bad_filters(client, reviewer, auth):
    auth.login("rita")
    html = client.get("/claims?status=bogus&reviewed_from=yesterday").get_data(as_text=True)
    assert "status must be one of" in html and "use YYYY-MM-DD" in html


def test_parse_claim_filter_round_trip():
    parsed = ClaimFilter.from_args({"status": "verified", "document": "3", "reviewed_from": "2024-01-02", "q": "a b"})
    assert parsed.as_args() == {"status": "verified", "document": "3", "reviewed_from": "2024-01-02", "q": "a b"}
    paging = Paging.from_args({"sort": "-value", "after": "9"})
    assert paging.as_args() == {"sort": "-value", "after": "9"}
    assert paging.as_args(after=None) == {"sort": "-value"}


def test_bulk_verify_as_one_batch_then_undo_batch(client, lead, auth, many_claims, db_session):
    auth.login("lena")
    token = csrf_token(client, "/claims")
    ids = [c.id for c in many_claims[:3]]
    response = client.post("/claims/bulk", data={"csrf_token": token, "claim_id": ids, "decision": "verify",
                                                 "note": "checked against the yearbook"})
    assert response.status_code == 303
    batch_id = response.headers["Location"].rsplit("/", 1)[1]
    reviews = db_session.scalars(sa.select(Review).where(Review.batch_id == batch_id)).all()
    assert sorted(r.claim_id for r in reviews) == ids
    db_session.expire_all()
    assert {db_session.get(Claim, i).status for i in ids} == {"verified"}
    html = client.get(f"/batches/{batch_id}").get_data(as_text=True)
    assert "checked against the yearbook" in html
    assert client.post(f"/batches/{batch_id}/undo", data={"csrf_token": token}).status_code == 303
    db_session.expire_all()
    assert {db_session.get(Claim, i).status for i in ids} == {"pending"}
    assert db_session.scalar(sa.select(sa.func.count(Review.id)).where(Review.decision == "undo")) == 3


def test_bulk_reject_needs_a_note(client, lead, auth, many_claims, db_session):
    auth.login("lena")
    token = csrf_token(client, "/claims")
    chosen = [many_claims[0].id, many_claims[2].id]
    response = client.post("/claims/bulk?sort=-confidence", data={"csrf_token": token, "claim_id": chosen,
                                                                   "decision": "reject", "note": ""})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "A reason is required to reject" in html
    # The page comes back as it was, with the selection and the decision kept.
    checked = re.findall(r'<input type="checkbox" name="claim_id" value="(\d+)"[^>]* checked', html)
    assert sorted(map(int, checked)) == chosen
    assert re.search(r'<option selected value="reject">|<option value="reject" selected>', html)
    assert '<option value="-confidence" selected>' in html
    db_session.expire_all()
    assert db_session.get(Claim, many_claims[0].id).status == "pending"


def test_claims_list_total_previous_page_and_sorts(client, reviewer, auth, many_claims, db_session, monkeypatch):
    monkeypatch.setattr(claim_filters, "PAGE_SIZE", 3)
    auth.login("rita")
    ids = [c.id for c in many_claims]

    def shown(html):
        return [int(i) for i in re.findall(r'<td class="num"><a href="/claims/(\d+)">', html)]

    first = client.get("/claims?sort=-confidence").get_data(as_text=True)
    assert "7 claims match." in first and shown(first) == ids[::-1][:3]
    assert 'id="previous-page"' not in first
    after = re.search(r'href="/claims\?sort=-confidence&amp;after=(\d+)" id="next-page"', first).group(1)
    second = client.get(f"/claims?sort=-confidence&after={after}").get_data(as_text=True)
    assert shown(second) == ids[::-1][3:6]
    before = re.search(r'href="/claims\?sort=-confidence&amp;before=(\d+)" id="previous-page"', second).group(1)
    back = client.get(f"/claims?sort=-confidence&before={before}").get_data(as_text=True)
    assert shown(back) == shown(first) and 'id="previous-page"' not in back and 'id="next-page"' in back
    assert shown(client.get("/claims?sort=confidence").get_data(as_text=True)) == ids[:3]
    assert shown(client.get("/claims?sort=document").get_data(as_text=True)) == ids[:3]
    assert client.get("/claims?sort=bogus").status_code == 400
    assert client.get("/claims?after=2&before=4").status_code == 400


def test_claims_list_total_is_capped(client, reviewer, auth, many_claims, monkeypatch):
    monkeypatch.setattr(claim_filters, "COUNT_LIMIT", 5)
    auth.login("rita")
    assert "More than 5 claims match." in client.get("/claims").get_data(as_text=True)


def test_lead_reopens_decided_claim(client, lead, auth, many_claims, db_session):
    many_claims[0].status = "rejected"
    db_session.commit()
    auth.login("lena")
    token = csrf_token(client, f"/claims/{many_claims[0].id}")
    html = client.get(f"/claims/{many_claims[0].id}").get_data(as_text=True)
    version = re.search(r'<input[^>]*name="version"[^>]*value="(\d+)"', html) or re.search(
        r'<input[^>]*value="(\d+)"[^>]*name="version"', html)
    response = client.post(f"/claims/{many_claims[0].id}/reopen", data={"csrf_token": token, "version": version.group(1)})
    assert response.status_code == 303
    db_session.expire_all()
    assert db_session.get(Claim, many_claims[0].id).status == "pending"


def test_failed_logins_are_rate_limited(client, reviewer, auth, db_session):
    for _ in range(accounts.MAX_FAILURES_PER_USERNAME):
        assert auth.login("rita", "wrong password").status_code == 401
    response = auth.login("rita", PASSWORD)
    assert response.status_code == 429
    assert "Too many failed logins. Try again in 15 minutes." in response.get_data(as_text=True)


def test_rate_limit_window_slides(db_session):
    now = utcnow()
    for i in range(accounts.MAX_FAILURES_PER_USERNAME):
        accounts.record_failed_login(db_session, "rita", f"10.0.0.{i}", now - timedelta(minutes=20 - i))
    assert accounts.login_wait(db_session, "rita", "10.0.0.9", now) is None
    for i in range(accounts.MAX_FAILURES_PER_ADDRESS):
        accounts.record_failed_login(db_session, f"user{i}", "10.9.9.9", now)
    assert accounts.login_wait(db_session, "someone", "10.9.9.9", now) == accounts.LOGIN_WINDOW


def test_successful_login_clears_failures(client, reviewer, auth, db_session):
    for _ in range(accounts.MAX_FAILURES_PER_USERNAME - 1):
        auth.login("rita", "wrong password")
    assert auth.login("rita").status_code == 302
    assert accounts.login_wait(db_session, "rita", "127.0.0.1", utcnow()) is None


def test_reviewer_list_does_not_lease(client, reviewer, auth, many_claims, db_session):
    auth.login("rita")
    client.get("/claims")
    assert queue.holder(db_session, many_claims[0].id, utcnow()) is None


@pytest.mark.parametrize("action, active", [("deactivate", False), ("activate", True)])
def test_lead_deactivate_or_activate_sent_twice_records_one_change(client, lead, reviewer, auth, db_session,
                                                                   action, active):
    """A double click, or two leads: the second finds the account already so and says it, recording nothing."""
    from models import AuditEvent

    if active:
        reviewer.active = False
        db_session.commit()
    auth.login("lena")
    token = csrf_token(client, "/users")
    assert client.post(f"/users/{reviewer.id}/{action}", data={"csrf_token": token}).status_code == 303
    again = client.post(f"/users/{reviewer.id}/{action}", data={"csrf_token": token}, follow_redirects=True)
    assert f"rita was already {'active' if active else 'deactivated'}; nothing changed." in again.get_data(as_text=True)
    events = db_session.scalars(sa.select(AuditEvent).where(AuditEvent.verb == action)).all()
    assert [(e.before, e.after) for e in events] == [({"active": not active}, {"active": active})]
