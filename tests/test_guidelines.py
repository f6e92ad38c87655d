"""Reviewing guidelines: versions, safe rendering, the version each review records, the pages."""
from datetime import datetime, timedelta, timezone

import pytest

from claimtrack import guidelines, review, team
from models import AuditEvent

from .conftest import form_fields
from .factories import ClaimFactory, UserFactory

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


def test_every_save_is_a_new_version_and_old_ones_stay(db_session):
    lead = UserFactory(role="lead")
    first = guidelines.save(db_session, lead, "# Rules\n\nCheck the unit.", based_on=None, now=NOW)
    second = guidelines.save(db_session, lead, "# Rules\n\nCheck the unit and the year.", based_on=1,
                             now=NOW + timedelta(minutes=1), note="the year too")
    assert (first.version, second.version) == (1, 2)
    assert guidelines.current_version(db_session) == 2
    assert guidelines.version(db_session, 1).body == "# Rules\n\nCheck the unit."
    assert [v.version for v in guidelines.versions(db_session)] == [2, 1]
    assert db_session.query(AuditEvent).filter_by(verb="guidelines").count() == 2


def test_a_save_based_on_an_old_version_is_refused(db_session):
    lead = UserFactory(role="lead")
    guidelines.save(db_session, lead, "one", based_on=None, now=NOW)
    guidelines.save(db_session, lead, "two", based_on=1, now=NOW)
    with pytest.raises(guidelines.GuidelinesError, match="Version 2 was saved since you opened version 1") as refused:
        guidelines.save(db_session, lead, "three", based_on=1, now=NOW)
    assert refused.value.status == 409 and guidelines.current_version(db_session) == 2


def test_only_leads_write_non_empty_guidelines(db_session):
    with pytest.raises(guidelines.GuidelinesError, match="Only a lead"):
        guidelines.save(db_session, UserFactory(), "text", based_on=None, now=NOW)
    with pytest.raises(guidelines.GuidelinesError, match="cannot be empty"):
        guidelines.save(db_session, UserFactory(role="lead"), "  \n", based_on=None, now=NOW)


def test_rendering_is_safe():
    html = guidelines.render("## Units\n\n<script>alert(1)</script>\n\n[bad](javascript:alert(1)) "
                             "[good](https://example.org) <img src=x onerror=alert(1)> **bold**")
    assert "<h2>Units</h2>" in html and "<strong>bold</strong>" in html
    assert "<script" not in html and "onerror=" not in html.replace("onerror=alert(1)&gt;", "")
    assert 'href="javascript' not in html and 'href="https://example.org"' in html


def test_each_review_records_the_guidelines_in_force(db_session):
    lead, user = UserFactory(role="lead"), UserFactory()
    first, second = ClaimFactory(), ClaimFactory()
    before = review.decide(db_session, first, user, "skip", version=first.version, now=NOW, check_lease=False)
    guidelines.save(db_session, lead, "Check the unit.", based_on=None, now=NOW)
    after = review.decide(db_session, second, user, "verify", version=second.version, now=NOW, check_lease=False)
    assert before.review.guidelines_version is None and after.review.guidelines_version == 1


def test_lead_edits_the_guidelines_and_every_review_page_opens_them(client, auth, lead, reviewer, db_session):
    claim = ClaimFactory()
    db_session.commit()
    auth.login("lena")
    fields = form_fields(client.get("/guidelines/edit").get_data(as_text=True), "guidelines-form")
    fields["body"] = "# House rules\n\nA **unit** is checked against the source."
    assert client.post("/guidelines/edit", data=fields).status_code == 303
    # A second save from the same stale form (based on no version) is refused and keeps the text.
    fields["body"] = "my other text"
    response = client.post("/guidelines/edit", data=fields)
    assert response.status_code == 409 and "my other text" in response.get_data(as_text=True)
    auth.logout()
    auth.login("rita")
    assert client.get("/guidelines/edit").status_code == 403
    html = client.get(f"/claims/{claim.id}").get_data(as_text=True)
    assert 'id="guidelines-dialog"' in html and "<strong>unit</strong>" in html and "version 1" in html
    assert "guidelines_key.js" in html
    assert "<h1>House rules</h1>" in client.get("/guidelines").get_data(as_text=True)
    assert client.get("/guidelines/1").status_code == 200 and client.get("/guidelines/9").status_code == 404


def test_team_page_is_for_leads_and_sets_the_order_and_evidence(client, auth, lead, reviewer, db_session):
    auth.login("rita")
    assert client.get("/team").status_code == 403
    auth.logout()
    auth.login("lena")
    fields = form_fields(client.get("/team").get_data(as_text=True), "team-form")
    assert fields["queue_order"] == "worth"
    fields.update(queue_order="document", evidence_required="y")
    assert client.post("/team", data=fields).status_code == 303
    html = client.get("/team").get_data(as_text=True)
    fields = form_fields(html, "team-form")
    assert fields["queue_order"] == "document" and fields["evidence_required"] == "y"
    assert "then document order" in client.get("/queue").get_data(as_text=True)
    fields["queue_order"] = "random"
    assert client.post("/team", data=fields).status_code == 400


def test_team_form_made_before_another_leads_change_keeps_that_change(client, auth, lead, db_session):
    """Lena loads /team; another lead turns evidence on; lena's save of a new queue order leaves it on."""
    other = UserFactory(role="lead")
    auth.login("lena")
    fields = form_fields(client.get("/team").get_data(as_text=True), "team-form")
    team.change(db_session, other, NOW, evidence_required=True)
    db_session.commit()
    fields["queue_order"] = "document"
    fields.pop("evidence_required", None)  # unticked, as lena saw it
    assert client.post("/team", data=fields).status_code == 303
    assert (team.queue_order(db_session), team.evidence_required(db_session)) == ("document", True)


def test_team_form_changing_what_another_lead_changed_since_is_refused(client, auth, lead, db_session):
    other = UserFactory(role="lead")
    auth.login("lena")
    fields = form_fields(client.get("/team").get_data(as_text=True), "team-form")
    team.change(db_session, other, NOW, queue_order="confidence")
    db_session.commit()
    fields["queue_order"] = "document"
    response = client.post("/team", data=fields)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert f"{other.username} changed the queue order since you opened this page" in html
    assert "nothing was saved" in html
    assert form_fields(html, "team-form")["queue_order"] == "document"
    assert team.queue_order(db_session) == "confidence"
    # Sent again knowing the other lead's choice, it is saved.
    assert client.post("/team", data=form_fields(html, "team-form")).status_code == 303
    assert team.queue_order(db_session) == "document"
