"""Hostile interleavings of tabs, reviewers and leases: nobody's work is lost or overwritten
unseen, and nobody can lock others out of the queue."""
import re
from datetime import date

import pytest
import sqlalchemy as sa

from claimtrack import accounts, conflicts
from models import Claim, Lease, Resolution, Review

from ..conftest import PASSWORD, Auth, csrf_token, form_fields
from ..factories import ClaimFactory, DocumentFactory
from .conftest import unchanged


@pytest.fixture
def claims(db_session):
    """Five pending claims in one document, in queue order (by worth, and by confidence too)."""
    document = DocumentFactory(text="The port moved 41 ships, 17 barges, 9 ferries, 3 tugs and 2 cranes last year.")
    made = [ClaimFactory(document=document, quote_text=q, value=float(q), confidence=i / 10, worth=100 - i,
                         subject="the port", measure=m)
            for i, (q, m) in enumerate((("41", "ships"), ("17", "barges"), ("9", "ferries"), ("3", "tugs"),
                                        ("2", "cranes")))]
    db_session.commit()
    return made


@pytest.fixture
def other(app, db_session):
    """A second reviewer, 'otto', logged in with a client of their own."""
    accounts.create_user(db_session, "otto", PASSWORD, "reviewer")
    db_session.commit()
    client = app.test_client()
    Auth(client).login("otto")
    return client


def form_of(html: str) -> dict:
    """The review form's fields as a browser would submit them from this page."""
    data = {"status_seen": "pending", "qualifier": "=", "change": "", "kind": "fact", "note": ""}
    for name in ("csrf_token", "version", "value", "value_max", "unit", "subject", "measure", "period_start",
                 "period_end"):
        tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
        value = re.search(r'value="([^"]*)"', tag.group(0)) if tag else None
        data[name] = value.group(1) if value else ""
    return data


def tab(client, claim_id: int, **fields) -> dict:
    """Open the claim in a new tab and fill its form with `fields`."""
    return {**form_of(client.get(f"/claims/{claim_id}").get_data(as_text=True)), **fields}


def field_value(html: str, name: str) -> str:
    """What the page's form shows in field `name`."""
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', html).group(0)
    return re.search(r'value="([^"]*)"', tag).group(1)


def reviews_of(connection, claim_id: int) -> list[str]:
    return list(connection.scalars(sa.select(Review.decision).where(Review.claim_id == claim_id).order_by(Review.id)))


# Lost or overwritten work: a second tab of the same reviewer.

@pytest.mark.parametrize("second", [
    pytest.param({"decision": "verify", "value": "12345"}, id="verify-other-value"),
    pytest.param({"decision": "reject", "note": "not in the source"}, id="reject"),
    pytest.param({"decision": "needs_info", "note": "which year?"}, id="needs-info"),
    pytest.param({"decision": "verify", "note": "checked against the annual report"}, id="verify-other-note"),
    pytest.param({"decision": "correct", "unit": "ships"}, id="correction"),
])
def test_hostile_second_tab_with_other_values_gets_stale_table(logged_in, connection, claims, second):
    claim = claims[0]
    tab_a = tab(logged_in, claim.id, decision="verify")
    tab_b = tab(logged_in, claim.id, **second)
    assert logged_in.post(f"/claims/{claim.id}", data=tab_a).status_code == 303
    with unchanged(connection):
        response = logged_in.post(f"/claims/{claim.id}", data=tab_b)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "You changed claim" in html and "in another tab" in html
    assert "changed by rita" not in html and "already recorded" not in html
    assert re.search(r"<td>status</td><td>pending</td><td>verified</td>", html)
    for name in ("value", "unit"):
        if name in second:
            assert field_value(html, name) == second[name]
    if "note" in second:
        assert second["note"] in html
    assert "Your values are kept in the form below" in html
    assert "now shows the saved values" not in html
    assert reviews_of(connection, claim.id) == ["verify"]


def test_hostile_second_tab_identical_resubmission_recorded_once(logged_in, connection, claims):
    claim = claims[0]
    tab_a = tab(logged_in, claim.id, decision="correct", value="42", note="typo in the source")
    tab_b = tab(logged_in, claim.id, decision="correct", value="42", note="typo in the source")
    assert logged_in.post(f"/claims/{claim.id}", data=tab_a).status_code == 303
    with unchanged(connection):
        again = logged_in.post(f"/claims/{claim.id}", data=tab_b)
    assert again.status_code == 303
    assert "That decision was already recorded." in logged_in.get(again.headers["Location"]).get_data(as_text=True)
    assert reviews_of(connection, claim.id) == ["correct"]


def test_hostile_second_tab_correction_then_stale_verify_keeps_values_and_can_resubmit(logged_in, connection, claims):
    claim = claims[0]
    tab_a = tab(logged_in, claim.id, decision="correct", value="42")
    tab_b = tab(logged_in, claim.id, decision="verify")
    assert logged_in.post(f"/claims/{claim.id}", data=tab_a).status_code == 303
    with unchanged(connection):
        response = logged_in.post(f"/claims/{claim.id}", data=tab_b)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert re.search(r"<td>value</td><td>41</td><td>42</td>", html)
    assert field_value(html, "value") == "41"
    # The kept form carries the version now stored: sending it again is a deliberate decision.
    again = logged_in.post(f"/claims/{claim.id}", data={**form_of(html), "decision": "verify"})
    assert again.status_code == 303
    stored = connection.execute(sa.select(Claim.status, Claim.value).where(Claim.id == claim.id)).one()
    assert tuple(stored) == ("verified", 41.0)
    assert reviews_of(connection, claim.id) == ["correct", "verify"]


def test_hostile_change_by_another_reviewer_names_them(logged_in, other, connection, claims, db_session):
    claim = claims[0]
    mine = tab(logged_in, claim.id, decision="verify")
    db_session.execute(sa.delete(Lease))
    db_session.commit()
    theirs = tab(other, claim.id, decision="correct", value="40")
    assert other.post(f"/claims/{claim.id}", data=theirs).status_code == 303
    with unchanged(connection):
        response = logged_in.post(f"/claims/{claim.id}", data=mine)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert f"Claim {claim.id} was changed by otto" in html and "another tab" not in html


# Hoarding: a reviewer holds at most MAX_LEASES claims at once.

def test_hostile_hoarding_fourth_claim_is_read_only_and_not_leased(app, logged_in, other, connection, claims):
    assert app.config["MAX_LEASES"] == 3
    for claim in claims[:3]:
        assert 'value="verify"' in logged_in.get(f"/claims/{claim.id}").get_data(as_text=True)
    with unchanged(connection):
        response = logged_in.get(f"/claims/{claims[3].id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Read only: you already hold 3 claims, the most one reviewer may hold at once." in html
    assert 'value="verify"' not in html
    for claim in claims[:3]:
        assert f'href="/claims/{claim.id}"' in html
    held = connection.execute(sa.select(Lease.claim_id, Lease.user_id).order_by(Lease.claim_id)).all()
    assert [c for c, _ in held] == [c.id for c in claims[:3]]
    # Others still find work in the queue.
    assert other.get("/queue/next").headers["Location"] == f"/claims/{claims[3].id}"


def test_hostile_hoarding_heartbeat_cannot_take_a_fourth_lease(logged_in, connection, claims):
    for claim in claims[:3]:
        logged_in.get(f"/claims/{claim.id}")
    token = csrf_token(logged_in, "/queue")
    with unchanged(connection):
        response = logged_in.post(f"/claims/{claims[3].id}/lease", headers={"X-CSRFToken": token})
    assert response.status_code == 409
    assert response.json["held"] is False and response.json["limit"] == 3


def test_hostile_hoarding_queue_next_at_the_limit_says_so(logged_in, connection, claims):
    for claim in claims[:3]:
        logged_in.get(f"/claims/{claim.id}")
    with unchanged(connection):
        response = logged_in.get(f"/queue/next?measure=cranes")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "You already hold 3 claims" in html and "Queue empty" not in html
    assert f'href="/claims/{claims[0].id}"' in html


def test_hostile_hoarding_limit_comes_from_the_environment(monkeypatch, database_url, tmp_path):
    from webapp import create_app

    monkeypatch.setenv("CLAIMTRACK_MAX_LEASES", "5")
    app = create_app({"SECRET_KEY": "x", "DATABASE_URL": database_url, "INSTANCE_PATH": str(tmp_path)})
    assert app.config["MAX_LEASES"] == 5


# GET changes no lease but the one it exists for.

@pytest.mark.parametrize("query", ["document=2147483647", "measure=no+such+measure", "kind=target"])
def test_hostile_queue_next_with_a_filter_matching_nothing_keeps_leases(logged_in, connection, claims, query):
    logged_in.get("/queue/next")
    logged_in.get(f"/claims/{claims[2].id}")
    with unchanged(connection):
        response = logged_in.get(f"/queue/next?{query}")
    assert "Queue empty" in response.get_data(as_text=True)
    assert set(connection.scalars(sa.select(Lease.claim_id))) == {claims[0].id, claims[2].id}


def test_hostile_queue_next_in_another_filter_keeps_the_first_lease(logged_in, connection, claims):
    assert logged_in.get("/queue/next").headers["Location"] == f"/claims/{claims[0].id}"
    assert logged_in.get("/queue/next?measure=tugs").headers["Location"] == f"/claims/{claims[3].id}?measure=tugs"
    assert set(connection.scalars(sa.select(Lease.claim_id))) == {claims[0].id, claims[3].id}


@pytest.mark.parametrize("path", ["/queue", "/claims", "/documents", "/conflicts", "/export", "/claims/{decided}",
                                  "/documents/{document}"])
def test_hostile_other_get_pages_leave_leases_alone(logged_in, connection, claims, db_session, path):
    logged_in.get(f"/claims/{claims[0].id}")
    claims[4].status = "verified"
    db_session.commit()
    url = path.format(decided=claims[4].id, document=claims[0].document_id)
    with unchanged(connection):
        assert logged_in.get(url).status_code == 200, url


# Conflict resolutions never undo a newer decision, nor act through another group's URL.

@pytest.fixture
def conflict(db_session):
    """Two reports disagreeing on the harbour's berths (one group) and two on its cranes (another)."""
    made = [ClaimFactory(document=DocumentFactory(text=text, file_name=name), quote_text=quote, value=float(quote),
                         subject="the harbour", measure=measure)
            for text, name, quote, measure in (
                ("The harbour has 12 berths.", "a.txt", "12", "berths"),
                ("The harbour now counts 14 berths.", "b.txt", "14", "berths"),
                ("The harbour runs 5 cranes.", "c.txt", "5", "cranes"),
                ("The harbour operates 8 cranes.", "d.txt", "8", "cranes"))]
    conflicts.detect_claims(db_session, [c.id for c in made])
    db_session.commit()
    for claim in made:
        db_session.refresh(claim)
    assert made[0].group_id == made[1].group_id != made[2].group_id == made[3].group_id
    return made


def _resolution_form(client, group_id: int, **fields) -> dict:
    form = form_fields(client.get(f"/conflicts/{group_id}").get_data(as_text=True), "resolve-form")
    return {**form, **fields}


def test_hostile_stale_resolution_keeps_a_newer_correction(logged_in, other, connection, conflict):
    a = conflict[0]
    lead_form = _resolution_form(logged_in, a.group_id, decision="all_right", note="different years",
                                 **{"claims-1-period_start": "2024-01-01", "claims-1-period_end": "2024-12-31"})
    correction = tab(other, a.id, decision="correct", period_start="2023-01-01", period_end="2023-12-31")
    assert other.post(f"/claims/{a.id}", data=correction).status_code == 303
    with unchanged(connection):
        response = logged_in.post(f"/conflicts/{a.group_id}/resolve", data=lead_form)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "changed since you opened it" in html
    assert re.search(rf'<td>{a.id}</td><td>period start</td><td><span class="muted">—</span></td><td>2023-01-01</td>', html)
    assert "correct by otto" in html
    kept = form_fields(html, "resolve-form")
    assert kept["note"].strip() == "different years" and kept["claims-1-period_start"] == "2024-01-01"
    assert connection.execute(sa.select(Claim.period_start).where(Claim.id == a.id)).scalar() == date(2023, 1, 1)
    assert connection.scalar(sa.select(sa.func.count(Resolution.id))) == 0


def test_hostile_stale_resolution_after_a_member_is_decided(logged_in, other, connection, conflict):
    a = conflict[0]
    lead_form = _resolution_form(logged_in, a.group_id, decision="prefer", preferred=str(a.id),
                                 reason="superseded", note="the newer report")
    assert other.post(f"/claims/{a.id}", data=tab(other, a.id, decision="reject", note="not a count")).status_code == 303
    with unchanged(connection):
        response = logged_in.post(f"/conflicts/{a.group_id}/resolve", data=lead_form)
    assert response.status_code == 409
    assert re.search(rf"<td>{a.id}</td><td>status</td><td>pending</td><td>rejected</td>", response.get_data(as_text=True))


def test_hostile_resolution_writes_only_the_fields_it_changes(logged_in, connection, conflict):
    a, b = conflict[:2]
    form = _resolution_form(logged_in, a.group_id, decision="all_right", note="one counts berths being built",
                            **{"claims-1-measure": "berths under construction"})
    version_of_a = connection.scalar(sa.select(Claim.version).where(Claim.id == a.id))
    assert logged_in.post(f"/conflicts/{a.group_id}/resolve", data=form).status_code == 303
    assert connection.scalar(sa.select(Claim.version).where(Claim.id == a.id)) == version_of_a
    assert connection.scalar(sa.select(Claim.measure).where(Claim.id == b.id)) == "berths under construction"


def test_hostile_split_through_another_groups_url_is_404(logged_in, connection, conflict):
    a, _, c, _ = conflict
    token = csrf_token(logged_in, f"/conflicts/{a.group_id}")
    with unchanged(connection):
        response = logged_in.post(f"/conflicts/{a.group_id}/split", data={"csrf_token": token, "claim_id": c.id})
    assert response.status_code == 404
    assert f"Claim {c.id} is not in group {a.group_id}." in response.get_data(as_text=True)


@pytest.mark.parametrize("fields", [
    pytest.param({"decision": "prefer", "preferred": "{c}", "reason": "superseded"}, id="prefer"),
    pytest.param({"decision": "all_right", "claims-0-claim_id": "{c}", "claims-0-version": "{c_version}"}, id="rescope"),
])
def test_hostile_resolution_naming_another_groups_claim_is_404(logged_in, connection, conflict, fields):
    a, _, c, _ = conflict
    values = {"c": str(c.id), "c_version": str(c.version)}
    form = _resolution_form(logged_in, a.group_id, note="n", **{k: v.format(**values) for k, v in fields.items()})
    with unchanged(connection):
        response = logged_in.post(f"/conflicts/{a.group_id}/resolve", data=form)
    assert response.status_code == 404
    assert f"Claim {c.id} is not in group {a.group_id}" in response.get_data(as_text=True)
