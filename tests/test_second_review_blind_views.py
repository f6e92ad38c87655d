"""Blindness holds on every view: a claim awaiting someone's blind second review shows them no first decision.

The first reviewer (rita) corrects the unit to "tonnes" and verifies; otto, who must second-review
it, must not find the decision, the correction or rita's name on the claims list, the document
page, a status or reviewer filter, or the API. rita herself, and anyone once the claim is settled,
sees them.
"""
import csv
from datetime import date
import io
import re

import pytest

from claimtrack import accounts, conflicts, review, second_review, tokens
from models import Claim, ConflictGroup, Lease, Review, utcnow

from .conftest import PASSWORD, csrf_token, form_fields
from .factories import ClaimFactory, DocumentFactory

CORRECTED_UNIT = "tonnes"


@pytest.fixture
def awaiting(db_session, reviewer, lead):
    """One claim that rita verified with a corrected unit, now awaiting a second review; otto reviews too."""
    otto = accounts.create_user(db_session, "otto", PASSWORD, "reviewer")
    second_review.set_policy(db_session, lead, now=utcnow(), share=100)
    document = DocumentFactory(text="The port moved 48 units of grain in 2024.")
    claim = ClaimFactory(document=document, quote_text="48", value=48.0, unit="", subject="the port",
                         measure="grain")
    db_session.flush()
    review.decide(db_session, claim, reviewer, "verify", version=claim.version, now=utcnow(),
                  values={"unit": CORRECTED_UNIT}, check_lease=False)
    db_session.commit()
    assert second_review.standing(db_session, claim.id).state == "awaiting"
    return {"claim": claim, "document": document, "rita": reviewer, "otto": otto, "lena": lead}


def _page(client, auth, username: str, path: str) -> str:
    auth.login(username)
    try:
        response = client.get(path)
        assert response.status_code == 200
        return response.get_data(as_text=True)
    finally:
        auth.logout()


def _row_of(html: str, claim_id: int) -> str:
    start = html.index(f'href="/claims/{claim_id}"')
    return html[start:html.index("</tr>", start)]


@pytest.mark.parametrize("path", ["/claims", "/claims?q=grain"])
def test_blind_claims_list_shows_no_first_decision(client, auth, awaiting, path):
    claim = awaiting["claim"]
    otto_row = _row_of(_page(client, auth, "otto", path), claim.id)
    assert "awaiting second" in otto_row
    assert "verified" not in otto_row and CORRECTED_UNIT not in otto_row and "rita" not in otto_row
    rita_row = _row_of(_page(client, auth, "rita", path), claim.id)
    assert "verified" in rita_row and CORRECTED_UNIT in rita_row and "rita" in rita_row


@pytest.mark.parametrize("query", ["status=verified", "reviewer=rita", "reviewed_from=2000-01-01"])
def test_blind_review_filters_do_not_reveal_the_first_decision(client, auth, awaiting, query):
    claim = awaiting["claim"]
    assert f'href="/claims/{claim.id}"' not in _page(client, auth, "otto", f"/claims?{query}")
    assert f'href="/claims/{claim.id}"' in _page(client, auth, "rita", f"/claims?{query}")


def test_blind_document_page_shows_the_claim_as_extracted(client, auth, awaiting):
    claim, document = awaiting["claim"], awaiting["document"]
    otto = _page(client, auth, "otto", f"/documents/{document.id}")
    assert f'id="claim-{claim.id}" class="claim {second_review.BLIND_STATUS}"' in otto
    assert "verified" not in otto and CORRECTED_UNIT not in otto
    rita = _page(client, auth, "rita", f"/documents/{document.id}")
    assert f'id="claim-{claim.id}" class="claim verified"' in rita and CORRECTED_UNIT in rita


def test_blind_ends_once_the_second_review_is_made(client, auth, db_session, awaiting):
    claim = awaiting["claim"]
    given = {**second_review.extracted_values(claim), "unit": CORRECTED_UNIT}
    second_review.decide_second(db_session, claim, awaiting["otto"], "verify", values=given,
                                version=claim.version, now=utcnow())
    db_session.commit()
    row = _row_of(_page(client, auth, "otto", "/claims"), claim.id)
    assert "verified" in row and CORRECTED_UNIT in row


def _api(client, db_session, user, path: str) -> dict:
    _token, secret = tokens.create(db_session, user, "script", utcnow())
    db_session.commit()
    response = client.get(path, headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200
    return response.get_json()


def test_blind_api_shows_the_claim_as_extracted_with_no_history(client, db_session, awaiting):
    claim, otto, rita, lena = awaiting["claim"], awaiting["otto"], awaiting["rita"], awaiting["lena"]
    seen = _api(client, db_session, otto, f"/api/v1/claims/{claim.id}")
    assert (seen["status"], seen["unit"], seen["reviewed_by"], seen["corrected"]) == (
        second_review.BLIND_STATUS, "", None, {})
    listed = {c["id"]: c for c in _api(client, db_session, otto, "/api/v1/claims")["claims"]}
    assert listed[claim.id]["status"] == second_review.BLIND_STATUS
    assert not any(c["id"] == claim.id for c in
                   _api(client, db_session, otto, "/api/v1/claims?status=verified")["claims"])
    for user, path in ((otto, "reviews"), (lena, "audit")):
        _token, secret = tokens.create(db_session, user, "script", utcnow())
        db_session.commit()
        refused = client.get(f"/api/v1/claims/{claim.id}/{path}", headers={"Authorization": f"Bearer {secret}"})
        assert refused.status_code == 403 and "blind second review" in refused.get_json()["detail"]
    own = _api(client, db_session, rita, f"/api/v1/claims/{claim.id}")
    assert (own["status"], own["unit"], own["reviewed_by"]) == ("verified", CORRECTED_UNIT, "rita")
    assert _api(client, db_session, rita, f"/api/v1/claims/{claim.id}/reviews")["reviews"]


def test_blind_csv_export_leaves_the_claim_out(client, auth, awaiting):
    """The export shows every claim's status and values: a claim awaiting your blind review is left out."""
    for username, present in (("otto", False), ("rita", True)):
        rows = list(csv.DictReader(io.StringIO(_page(client, auth, username, "/export.csv?status=").lstrip("\ufeff"))))
        ids = {row["claim_id"] for row in rows}
        assert (str(awaiting["claim"].id) in ids) is present


def test_blind_batch_page_hides_the_decision(client, auth, db_session, awaiting):
    claim = awaiting["claim"]
    other = ClaimFactory(document=awaiting["document"], quote_text="2024", value=2024.0)
    db_session.flush()
    batch_id = "b" * 8
    for target in (claim, other):
        db_session.add(Review(claim_id=target.id, user_id=awaiting["rita"].id, decision="note", note="batch note",
                                     batch_id=batch_id, created_at=utcnow()))
    db_session.commit()
    otto = _page(client, auth, "otto", f"/batches/{batch_id}")
    assert f'href="/claims/{claim.id}"' not in otto and f'href="/claims/{other.id}"' in otto
    assert "1 decision of this batch is hidden: that claim awaits your blind second review." in otto
    rita = _page(client, auth, "rita", f"/batches/{batch_id}")
    assert f'href="/claims/{claim.id}"' in rita and 'id="batch-hidden"' not in rita


def test_blind_search_does_not_find_a_corrected_subject(client, auth, db_session, awaiting):
    claim = ClaimFactory(document=awaiting["document"], quote_text="2024", value=2024.0, subject="the port",
                         measure="grain")
    db_session.flush()
    review.decide(db_session, claim, awaiting["rita"], "verify", version=claim.version, now=utcnow(),
                  values={"subject": "the harbour authority"}, check_lease=False)
    db_session.commit()
    assert second_review.standing(db_session, claim.id).state == "awaiting"
    # Left out of otto's searches altogether: whether a word matched only the correction cannot be told apart.
    assert f'href="/claims/{claim.id}"' not in _page(client, auth, "otto", "/claims?q=authority")
    assert f'href="/claims/{claim.id}"' not in _page(client, auth, "otto", "/claims?q=grain")
    assert f'href="/claims/{awaiting["claim"].id}"' in _page(client, auth, "otto", "/claims?q=grain")
    assert f'href="/claims/{claim.id}"' in _page(client, auth, "rita", "/claims?q=authority")


@pytest.fixture
def awaiting_in_conflict(db_session, reviewer, lead):
    """Two documents disagree (66 and 69); rita corrected the first to 67 and verified it, and it awaits otto's review."""
    otto = accounts.create_user(db_session, "otto", PASSWORD, "reviewer")
    second_review.set_policy(db_session, lead, now=utcnow(), share=100)
    first = ClaimFactory(document=DocumentFactory(text="Gansu has 66 sister cities.", file_name="a.txt"),
                         quote_text="66", value=66.0)
    other = ClaimFactory(document=DocumentFactory(text="Gansu hosts 69 sister cities.", file_name="b.txt"),
                         quote_text="69", value=69.0)
    conflicts.detect_claims(db_session, [first.id, other.id])
    db_session.flush()
    review.decide(db_session, first, reviewer, "verify", version=first.version, now=utcnow(),
                  values={"value": 67.0}, check_lease=False)
    db_session.commit()
    assert second_review.standing(db_session, first.id).state == "awaiting"
    group = db_session.get(ConflictGroup, first.group_id)
    assert group is not None and other.group_id == group.id
    return {"claim": first, "other": other, "group": group, "otto": otto, "rita": reviewer}


def _member_card(html: str, claim_id: int) -> str:
    start = html.index(f'id="member-{claim_id}"')
    return html[start:html.index("</section>", start)]


def test_blind_conflict_pages_show_the_claim_as_extracted(client, auth, awaiting_in_conflict):
    claim, group = awaiting_in_conflict["claim"], awaiting_in_conflict["group"]
    card = _member_card(_page(client, auth, "otto", f"/conflicts/{group.id}"), claim.id)
    assert "66" in card and "67" not in card and "verified" not in card
    assert "awaiting second" in card
    listed = _page(client, auth, "otto", "/conflicts")
    assert "67 —" not in listed and "66 —" in listed
    mine = _member_card(_page(client, auth, "rita", f"/conflicts/{group.id}"), claim.id)
    assert "67" in mine and "verified" in mine


def test_blind_conflict_api_shows_the_claim_as_extracted(client, db_session, awaiting_in_conflict):
    claim, group, otto = awaiting_in_conflict["claim"], awaiting_in_conflict["group"], awaiting_in_conflict["otto"]
    detail = _api(client, db_session, otto, f"/api/v1/conflicts/{group.id}")
    member = next(m for m in detail["members"] if m["id"] == claim.id)
    assert (member["status"], member["value"]) == (second_review.BLIND_STATUS, 66.0)
    listed = _api(client, db_session, otto, "/api/v1/conflicts")
    member = next(m for g in listed["groups"] for m in g["members"] if m["id"] == claim.id)
    assert (member["status"], member["value"]) == (second_review.BLIND_STATUS, 66.0)
    own = _api(client, db_session, awaiting_in_conflict["rita"], f"/api/v1/conflicts/{group.id}")
    member = next(m for m in own["members"] if m["id"] == claim.id)
    assert (member["status"], member["value"]) == ("verified", 67.0)


def test_blind_reviewer_cannot_resolve_the_group_before_their_review(client, auth, db_session, awaiting_in_conflict):
    """Resolving means judging the values they must not see yet, and its form holds them as extracted."""
    claim, other, group = awaiting_in_conflict["claim"], awaiting_in_conflict["other"], awaiting_in_conflict["group"]
    auth.login("otto")
    html = client.get(f"/conflicts/{group.id}").get_data(as_text=True)
    assert 'id="resolve-form"' not in html
    notice = html[html.index('id="resolve-blind"'):]
    assert f'href="/claims/{claim.id}/second"' in notice and "awaits your blind second review" in notice
    response = client.post(f"/conflicts/{group.id}/resolve", data={
        "csrf_token": csrf_token(client, f"/conflicts/{group.id}"), "version": group.version,
        "decision": "prefer", "preferred": other.id, "reason": "superseded", "note": "newer",
        **{f"claims-{i}-{name}": value for i, member in enumerate((claim, other)) for name, value in (
            ("claim_id", member.id), ("version", member.version), ("subject", "Gansu"), ("measure", "sister cities"))}})
    assert response.status_code == 303
    shown = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"Claim {claim.id} awaits your blind second review" in shown, shown[shown.find('class="flash'):][:300]
    db_session.expire_all()
    assert db_session.get(ConflictGroup, group.id).status == "open"
    assert db_session.get(Claim, claim.id).value == 67.0
    _token, secret = tokens.create(db_session, awaiting_in_conflict["otto"], "script", utcnow())
    db_session.commit()
    refused = client.post(f"/api/v1/conflicts/{group.id}/resolve", headers={"Authorization": f"Bearer {secret}"},
                          json={"version": group.version, "decision": "prefer", "preferred_claim_id": other.id,
                                "reason": "superseded", "note": "newer", "claims": []})
    assert refused.status_code == 403 and "blind second review" in refused.get_json()["detail"]
    db_session.expire_all()
    assert db_session.get(ConflictGroup, group.id).status == "open"


def test_review_form_sent_after_the_claim_went_blind_reveals_nothing(client, auth, db_session, reviewer, lead):
    """otto opened the claim while it was pending; rita decided it first, and it awaits otto's blind review now."""
    otto = accounts.create_user(db_session, "otto", PASSWORD, "reviewer")
    second_review.set_policy(db_session, lead, now=utcnow(), share=100)
    claim = ClaimFactory(document=DocumentFactory(text="The port moved 48 units of grain in 2024."),
                         quote_text="48", value=48.0, subject="the port", measure="grain")
    db_session.commit()
    auth.login("otto")
    fields = form_fields(client.get(f"/claims/{claim.id}").get_data(as_text=True), "review-form")
    db_session.query(Lease).delete()
    review.decide(db_session, claim, reviewer, "verify", version=claim.version, now=utcnow(),
                  values={"unit": CORRECTED_UNIT}, note="rita's reason", check_lease=False)
    db_session.commit()
    assert second_review.is_blind(second_review.standing(db_session, claim.id), otto)
    response = client.post(f"/claims/{claim.id}", data={**fields, "decision": "verify"})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/claims/{claim.id}/second")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "now awaits your blind second review: what you sent was not recorded" in page
    for shown in (response.get_data(as_text=True), page):
        assert CORRECTED_UNIT not in shown and "rita" not in shown and "verified" not in shown
    db_session.expire_all()
    assert second_review.standing(db_session, claim.id).state == "awaiting"


@pytest.mark.parametrize("query", ["subject=the+harbour", "subject=the+port", "kind=target", "kind=fact",
                                   "period_from=2020-01-01"])
def test_blind_field_filters_do_not_reveal_a_correction(client, auth, db_session, awaiting, query):
    """Filters read the current values: a claim found or missed only through rita's correction would give it away."""
    claim = ClaimFactory(document=awaiting["document"], quote_text="2024", value=2024.0, subject="the port",
                         measure="grain")
    db_session.flush()
    review.decide(db_session, claim, awaiting["rita"], "verify", version=claim.version, now=utcnow(),
                  values={"subject": "the harbour authority", "kind": "target", "period_start": date(2024, 1, 1),
                          "period_end": date(2024, 12, 31)}, check_lease=False)
    db_session.commit()
    assert second_review.standing(db_session, claim.id).state == "awaiting"
    assert f'href="/claims/{claim.id}"' not in _page(client, auth, "otto", f"/claims?{query}")
    assert f'href="/claims/{claim.id}"' in _page(client, auth, "otto", "/claims?measure=grain")  # not corrected
    found_by_rita = {"subject=the+harbour", "kind=target", "period_from=2020-01-01"}
    assert (f'href="/claims/{claim.id}"' in _page(client, auth, "rita", f"/claims?{query}")) is (query in found_by_rita)


def test_blind_value_sort_places_a_corrected_claim_by_its_value_as_extracted(client, auth, db_session, awaiting):
    """The list shows otto the value as extracted; ordered, or paged from, by the corrected value, the
    claim's place among the others would tell him that, and roughly how, rita corrected it."""
    document = DocumentFactory(text="The quay loaded 10 ships, 20 barges and 30 tugs.")
    corrected = ClaimFactory(document=document, quote_text="10", value=10.0, extracted_value=10.0)
    others = [ClaimFactory(document=document, quote_text=f"{v:.0f}", value=v, extracted_value=v) for v in (20.0, 30.0)]
    db_session.flush()
    review.decide(db_session, corrected, awaiting["rita"], "verify", version=corrected.version, now=utcnow(),
                  values={"value": 99.0}, check_lease=False)
    db_session.commit()
    assert second_review.standing(db_session, corrected.id).state == "awaiting"
    ids = [corrected.id, *(c.id for c in others)]

    def order(username: str, query: str) -> list[int]:
        html = _page(client, auth, username, f"/claims?{query}")
        return sorted((i for i in ids if f'href="/claims/{i}"' in html), key=lambda i: html.index(f'href="/claims/{i}"'))

    def matching(username: str, query: str) -> str:
        return re.search(r"\d+ claims? match(?:es)?", _page(client, auth, username, f"/claims?{query}")).group()

    assert order("otto", "sort=value") == ids
    assert order("otto", "sort=-value") == ids[::-1]
    assert order("otto", f"sort=value&after={corrected.id}") == ids[1:]
    assert order("otto", f"sort=-value&before={corrected.id}") == ids[:0:-1]
    assert matching("otto", "sort=value") == matching("otto", "sort=id")
    assert order("rita", "sort=value") == [*ids[1:], corrected.id]


def test_blind_counts_hold_the_claim_as_pending(client, auth, db_session, awaiting):
    """The documents page, its API and the queue's progress count otto's blind claim as pending: a count
    that moved to verified when rita decided would tell him her decision."""
    document, otto, rita = awaiting["document"], awaiting["otto"], awaiting["rita"]

    def api_counts(user) -> tuple[int, int]:
        [row] = [d for d in _api(client, db_session, user, "/api/v1/documents")["documents"] if d["id"] == document.id]
        return row["pending"], row["verified"]

    def documents_row(username: str) -> list[str]:
        """The row's counts: claims, pending, verified, rejected, needs info."""
        html = _page(client, auth, username, "/documents")
        start = html.index(f'href="/documents/{document.id}"')
        return re.findall(r'<td class="num">(\d+)</td>', html[start:html.index("</tr>", start)])

    def queue_cards(username: str) -> str:
        html = _page(client, auth, username, "/queue")
        return html[:html.index("</table>")]

    assert api_counts(otto) == (1, 0) and api_counts(rita) == (0, 1)
    assert documents_row("otto") == ["1", "1", "0", "0", "0"]
    assert documents_row("rita") == ["1", "0", "1", "0", "0"]
    assert "<strong>1</strong><span>pending</span>" in queue_cards("otto")
    assert "<strong>0</strong><span>pending</span>" in queue_cards("rita")


def test_blind_claim_contradicting_a_reference_still_counts_as_pending_on_the_queue(client, auth, db_session, awaiting):
    claim = awaiting["claim"]
    claim.reference_standing = "contradicts"
    db_session.commit()
    banner = "1 pending claim contradicts a reference"
    assert banner in _page(client, auth, "otto", "/queue")
    assert banner not in _page(client, auth, "rita", "/queue")
