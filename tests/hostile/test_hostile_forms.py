"""Hostile forms: every review, conflict and query field fed wrong types, absurd values and
oversized text. Refused with the field's error and the database unchanged; never a 500."""
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from claimtrack import accounts, conflicts
from models import Claim, ConflictGroup, Review, utcnow

from ..conftest import PASSWORD, Auth, csrf_token
from ..factories import ClaimFactory, DocumentFactory
from .conftest import unchanged

NOTE_LIMIT = 5000


@pytest.fixture
def claim(db_session):
    document = DocumentFactory(text="Gansu has 66 sister cities and 16 cargo routes in 2023.")
    made = ClaimFactory(document=document, quote_text="66", value=66.0)
    db_session.commit()
    return made


def review_form(client, claim_id: int, **fields) -> dict:
    """The review form as the browser would submit it (opening the page leases the claim)."""
    html = client.get(f"/claims/{claim_id}").get_data(as_text=True)
    version = re.search(r'<input[^>]*name="version"[^>]*value="(\d+)"', html).group(1)
    data = {"csrf_token": csrf_token(client, f"/claims/{claim_id}"), "version": version, "status_seen": "pending",
            "value": "66", "value_max": "", "unit": "", "qualifier": "=", "change": "", "period_start": "",
            "period_end": "", "subject": "Gansu", "measure": "international sister cities", "kind": "fact",
            "note": "", "decision": "verify"}
    data.update(fields)
    return data


# (case id, fields changed, what the reviewer is told)
BAD_REVIEWS = [
    ("value-not-a-number", {"value": "lots"}, "Enter a number such as 1,190,000,000,000"),
    ("value-1e400", {"value": "1e400"}, "Enter a finite number."),
    ("value-nan", {"value": "nan"}, "Enter a number such as 1,190,000,000,000"),
    ("value-minus-infinity", {"value": "-inf"}, "Enter a number such as 1,190,000,000,000"),
    ("value-missing", {"value": ""}, "Enter a number."),
    ("value-only-spaces", {"value": "   "}, "Enter a number."),
    ("value-max-1e400", {"value_max": "1e400"}, "Enter a finite number."),
    ("range-upside-down", {"value": "66", "value_max": "-5"}, "The upper value must not be below the value."),
    ("period-end-before-start", {"period_start": "2024-05-01", "period_end": "2023-01-01"},
     "The period cannot end before it starts."),
    ("period-impossible-date", {"period_start": "2024-02-30"}, "Not a valid date value."),
    ("period-not-a-date", {"period_end": "last year"}, "Not a valid date value."),
    ("qualifier-unknown", {"qualifier": "=="}, "Not a valid choice."),
    ("kind-unknown", {"kind": "opinion"}, "Not a valid choice."),
    ("change-unknown", {"change": "sideways"}, "Not a valid choice."),
    ("unit-too-long", {"unit": "m" * 33}, "Field cannot be longer than 32 characters."),
    ("unit-not-a-unit-code", {"unit": ")", "decision": "correct", "note": "odd unit"},
     "Use a unit code such as km, km2, t, %, pp, CNY or USD."),
    ("subject-too-long", {"subject": "G" * 201}, "Field cannot be longer than 200 characters."),
    ("measure-too-long", {"measure": "m" * 201}, "Field cannot be longer than 200 characters."),
    ("note-over-limit", {"note": "n" * (NOTE_LIMIT + 1)}, f"Field cannot be longer than {NOTE_LIMIT} characters."),
    ("note-10000-chars", {"note": "n" * 10_000, "decision": "reject"}, f"Field cannot be longer than {NOTE_LIMIT} characters."),
    ("reject-without-reason", {"decision": "reject", "note": "   "}, "A reason is required to reject a claim."),
    ("needs-info-without-note", {"decision": "needs_info"}, "A note saying what information is needed is required."),
    ("decision-unknown", {"decision": "delete"}, "Choose verify, reject, needs info, skip or save."),
    ("decision-missing", {"decision": ""}, "Choose verify, reject, needs info, skip or save."),
    ("version-not-a-number", {"version": "abc"}, None),
    ("version-zero", {"version": "0"}, None),
    ("version-negative", {"version": "-1"}, None),
]


@pytest.mark.parametrize(("fields", "message"),
                         [pytest.param(f, m, id=case) for case, f, m in BAD_REVIEWS])
def test_hostile_review_form_refuses_bad_values(logged_in, connection, claim, fields, message):
    data = review_form(logged_in, claim.id, **fields)
    with unchanged(connection):
        response = logged_in.post(f"/claims/{claim.id}", data=data)
    assert response.status_code == 400
    if message:
        assert message in response.get_data(as_text=True)


def test_hostile_review_of_unknown_claim_is_404(logged_in, connection, claim):
    data = review_form(logged_in, claim.id)
    for path in ("/claims/999999", "/claims/2147483648", "/claims/99999999999999999999", "/claims/0"):
        with unchanged(connection):
            assert logged_in.get(path).status_code == 404, path
            response = logged_in.post(path, data=data)
        # Past the id range no rule matches a POST: werkzeug answers 405 (a GET rule exists).
        assert response.status_code in (404, 405), path
        assert str(response.status_code) in response.get_data(as_text=True)


def test_hostile_unknown_conflict_is_404(logged_in, connection):
    token = csrf_token(logged_in, "/conflicts")
    with unchanged(connection):
        for path in ("/conflicts/999999", "/conflicts/99999999999999999999"):
            assert logged_in.get(path).status_code == 404
        response = logged_in.post("/conflicts/999999/resolve", data={
            "csrf_token": token, "version": "1", "decision": "prefer", "note": "x"}, follow_redirects=True)
    assert response.status_code == 404
    assert "No such conflict group." in response.get_data(as_text=True)


def test_hostile_double_reject_recorded_once(logged_in, connection, claim):
    data = review_form(logged_in, claim.id, decision="reject", note="not in the source")
    assert logged_in.post(f"/claims/{claim.id}", data=data).status_code == 303
    with unchanged(connection):
        again = logged_in.post(f"/claims/{claim.id}", data=data, follow_redirects=True)
    assert "That decision was already recorded." in again.get_data(as_text=True)
    assert connection.scalar(sa.select(sa.func.count(Review.id))) == 1


def test_hostile_stale_version_refused(logged_in, connection, claim, db_session):
    data = review_form(logged_in, claim.id, value="67")
    claim.value = 70.0
    db_session.commit()
    with unchanged(connection):
        response = logged_in.post(f"/claims/{claim.id}", data=data)
    assert response.status_code == 409
    assert "was changed" in response.get_data(as_text=True)


def test_hostile_decision_on_another_reviewers_lease_refused(app, logged_in, connection, claim, db_session):
    accounts.create_user(db_session, "otto", PASSWORD, "reviewer")
    db_session.commit()
    otto = app.test_client()
    Auth(otto).login("otto")
    data = review_form(logged_in, claim.id)
    otto.get(f"/claims/{claim.id}")
    with unchanged(connection):
        stolen = otto.post(f"/claims/{claim.id}", data={**data, "csrf_token": csrf_token(otto, "/queue")})
    assert stolen.status_code == 409
    assert "held by rita" in stolen.get_data(as_text=True)


def test_hostile_lease_holder_disappears_claim_returns_after_ttl(app, logged_in, connection, claim, db_session, monkeypatch):
    app.config["LEASE_TTL"] = timedelta(seconds=60)
    accounts.create_user(db_session, "otto", PASSWORD, "reviewer")
    db_session.commit()
    otto = app.test_client()
    Auth(otto).login("otto")
    assert otto.get("/queue/next").headers["Location"] == f"/claims/{claim.id}"
    late = review_form(otto, claim.id)
    assert "Queue empty" in logged_in.get("/queue/next").get_data(as_text=True)
    later = utcnow() + timedelta(seconds=61)
    for module in ("webapp.queue.routes", "webapp.claims.routes"):
        monkeypatch.setattr(f"{module}.utcnow", lambda: later)
    assert logged_in.get("/queue/next").headers["Location"] == f"/claims/{claim.id}"
    decided = logged_in.post(f"/claims/{claim.id}", data=review_form(logged_in, claim.id))
    assert decided.status_code == 303
    with unchanged(connection):
        refused = otto.post(f"/claims/{claim.id}", data=late)
    assert refused.status_code == 409
    assert connection.scalar(sa.select(Claim.status)) == "verified"
    assert connection.scalar(sa.select(sa.func.count(Review.id))) == 1


HOSTILE_QUERY_VALUES = ["abc", "-1", "99999999999999999999", "9" * 5000, "1e400", "nan", "' OR 1=1 --",
                        "2024-13-45", "<script>alert(1)</script>", "%ff%fe", "\u202e\u0661"]
QUERY_PATHS = [
    "/claims?document={v}", "/claims?status={v}", "/claims?after={v}", "/claims?subject={v}",
    "/claims?reviewer={v}", "/claims?reviewed_from={v}", "/claims?reviewed_to={v}",
    "/queue?document={v}", "/queue/next?document={v}", "/queue/next?kind={v}", "/queue/next?measure={v}",
    "/conflicts?page={v}", "/conflicts?status={v}", "/claims/{claim}?document={v}", "/batches/{v}",
    "/documents?next={v}", "/login?next={v}",
]


@pytest.mark.parametrize("path", QUERY_PATHS)
def test_hostile_query_strings_never_500(app, logged_in, connection, claim, path):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    for value in HOSTILE_QUERY_VALUES:
        url = path.replace("{claim}", str(claim.id)).replace("{v}", value)
        response = logged_in.get(url)
        assert response.status_code < 500, url
        assert "<script>alert(1)</script>" not in response.get_data(as_text=True), url


@pytest.mark.parametrize("path", ["/claims?subject=%00", "/queue/next?measure=a%00b", "/batches/%00", "/conflicts?status=%00"])
def test_hostile_nul_in_query_refused(logged_in, connection, claim, path):
    with unchanged(connection):
        response = logged_in.get(path)
    assert response.status_code == 400
    assert "Text cannot contain NUL characters." in response.get_data(as_text=True)


def test_hostile_nul_in_review_form_refused(logged_in, connection, claim):
    data = review_form(logged_in, claim.id, subject="Gan\x00su", decision="correct")
    with unchanged(connection):
        response = logged_in.post(f"/claims/{claim.id}", data=data)
    assert response.status_code == 400
    assert "Text cannot contain NUL characters." in response.get_data(as_text=True)


@pytest.fixture
def conflict(db_session):
    """Two documents disagreeing on Gansu's sister cities: an open conflict group."""
    a = ClaimFactory(document=DocumentFactory(text="Gansu has 66 sister cities.", file_name="a.txt"), quote_text="66", value=66)
    b = ClaimFactory(document=DocumentFactory(text="Gansu hosts 69 sister cities.", file_name="b.txt"), quote_text="69", value=69)
    conflicts.detect_claims(db_session, [a.id, b.id])
    db_session.commit()
    db_session.refresh(a)
    group = db_session.get(ConflictGroup, a.group_id)
    assert group is not None and group.status == "open"
    return group, a, b


# (case id, path under the group, fields, what the reviewer is told)
BAD_CONFLICT_FORMS = [
    ("resolve-version-not-a-number", "resolve", {"version": "abc", "decision": "unresolved", "note": "n"}, None),
    ("resolve-version-huge", "resolve", {"version": "9" * 40, "decision": "unresolved", "note": "n"}, None),
    ("resolve-without-note", "resolve", {"decision": "unresolved", "note": ""}, "A resolution needs a note."),
    ("resolve-note-over-limit", "resolve", {"decision": "unresolved", "note": "n" * 5001}, "Field cannot be longer than 5000 characters."),
    ("resolve-decision-unknown", "resolve", {"decision": "delete", "note": "n"}, "Not a valid choice."),
    ("resolve-preferred-not-a-number", "resolve", {"decision": "prefer", "preferred": "abc", "note": "n"}, None),
    ("resolve-preferred-outside-group", "resolve", {"decision": "prefer", "preferred": "999999", "note": "n", "reason": "typo"}, None),
    ("resolve-preferred-huge", "resolve", {"decision": "prefer", "preferred": "9" * 30, "note": "n", "reason": "typo"}, None),
    ("resolve-scope-claim-not-a-number", "resolve", {"decision": "all_right", "note": "n", "claims-0-claim_id": "abc",
                                                     "claims-0-subject": "Gansu", "claims-0-measure": "cities"}, None),
    ("resolve-scope-period-upside-down", "resolve", {"decision": "all_right", "note": "n", "claims-0-claim_id": "{a}",
                                                     "claims-0-subject": "Gansu", "claims-0-measure": "cities",
                                                     "claims-0-period_start": "2024-01-01", "claims-0-period_end": "2023-01-01"}, None),
    ("merge-unknown-group", "merge", {"other": "999999"}, None),
    ("merge-huge-group", "merge", {"other": "9" * 30}, None),
    ("merge-into-itself", "merge", {"other": "{group}"}, None),
    ("split-unknown-claim", "split", {"claim_id": "999999"}, None),
    ("split-huge-claim", "split", {"claim_id": "9" * 30}, None),
]


@pytest.mark.parametrize(("action", "fields", "message"),
                         [pytest.param(a, f, m, id=case) for case, a, f, m in BAD_CONFLICT_FORMS])
def test_hostile_conflict_forms_refuse_bad_values(app, logged_in, connection, conflict, action, fields, message):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    group, a, _ = conflict
    data = {"csrf_token": csrf_token(logged_in, f"/conflicts/{group.id}"), "version": str(group.version)}
    data.update({k: v.replace("{a}", str(a.id)).replace("{group}", str(group.id)) for k, v in fields.items()})
    with unchanged(connection):
        response = logged_in.post(f"/conflicts/{group.id}/{action}", data=data, follow_redirects=True)
    assert response.status_code in (200, 400, 404, 409), response.status_code
    page = response.get_data(as_text=True)
    assert 'class="flash error"' in page or response.status_code >= 400
    if message:
        assert message in page

