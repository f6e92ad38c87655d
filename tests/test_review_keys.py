"""Undoing one's own decision (server-enforced window), stepping through the queue, counts left,
deprecated claims out of the queue, and the review form's numbers, over services and HTTP."""
from datetime import timedelta

import pytest

from claimtrack import queue, review
from models import Claim, utcnow

from .conftest import csrf_token, form_fields
from .factories import ClaimFactory, DocumentFactory, UserFactory


@pytest.fixture
def three(db_session):
    document = DocumentFactory(text="The quay has 66 berths, 16 cranes and 5 tugs.")
    made = [ClaimFactory(document=document, quote_text=q, value=float(q)) for q in ("66", "16", "5")]
    db_session.commit()
    return made


def test_undo_own_within_the_window_only(db_session, three):
    rosa = UserFactory(username="rosa")
    now = utcnow()
    review.decide(db_session, three[0], rosa, "verify", version=1, now=now, check_lease=False)
    with pytest.raises(review.ReviewError) as late:
        review.undo_own(db_session, rosa, now + timedelta(minutes=6))
    assert str(late.value) == "Your last decision was more than 5 minutes ago; a lead can undo it."
    assert review.own_undoable(db_session, rosa, now + timedelta(minutes=6)) is None
    undo = review.undo_own(db_session, rosa, now + timedelta(minutes=4))
    assert undo.undoes_id is not None and three[0].status == "pending"
    with pytest.raises(review.ReviewError) as again:
        review.undo_own(db_session, rosa, now + timedelta(minutes=4))
    assert str(again.value) == f"Your last decision, on claim {three[0].id}, is already undone."


def test_undo_own_refused_once_someone_else_acted(db_session, three):
    rosa, lead = UserFactory(username="rosa"), UserFactory(username="lea", role="lead")
    now = utcnow()
    review.decide(db_session, three[0], rosa, "verify", version=1, now=now, check_lease=False)
    review.reopen(db_session, three[0], lead, version=three[0].version, now=now)
    with pytest.raises(review.ReviewError) as refused:
        review.undo_own(db_session, rosa, now)
    assert str(refused.value) == f"Claim {three[0].id} has changed since your decision; a lead can undo it."


def test_step_lets_go_and_finds_the_neighbours(db_session, three):
    rosa, otto = UserFactory(username="rosa"), UserFactory(username="otto")
    now = utcnow()
    queue.acquire(db_session, three[0].id, rosa, now)
    queue.acquire(db_session, three[1].id, otto, now)
    # The next claim not held by someone else, and this one's lease given up.
    assert queue.step(db_session, three[0].id, rosa, now) == three[2].id
    assert queue.holder(db_session, three[0].id, now) is None
    assert queue.step(db_session, three[2].id, rosa, now, forward=False) == three[0].id
    assert queue.step(db_session, three[2].id, rosa, now) is None


def test_deprecated_claims_are_not_queued_even_after_an_undo(db_session, three):
    rosa = UserFactory(username="rosa")
    now = utcnow()
    assert queue.left_in_queue(db_session) == 3
    review.decide(db_session, three[0], rosa, "verify", version=1, now=now, check_lease=False)
    three[0].rank = "deprecated"
    db_session.flush()
    review.undo_own(db_session, rosa, now)
    assert three[0].status == "pending"
    assert queue.left_in_queue(db_session) == 2
    leased = {queue.lease_next(db_session, rosa, now, max_leases=5) for _ in range(3)}
    assert three[0].id not in leased


def test_left_in_queue_counts_up_to_its_cap(db_session, three):
    assert queue.left_in_queue(db_session, cap=2) == 2


def _review_form(client, claim_id, **changes):
    html = client.get(f"/claims/{claim_id}").get_data(as_text=True)
    fields = form_fields(html, "review-form")
    fields.update(changes)
    return fields


def test_review_form_numbers_with_separators_over_http(client, reviewer, auth, db_session, three):
    auth.login("rita")
    claim = three[0]
    db_session.query(Claim).filter_by(id=claim.id).update({"value": 1190000000000.0})
    db_session.commit()
    fields = _review_form(client, claim.id)
    assert fields["value"] == "1,190,000,000,000"
    response = client.post(f"/claims/{claim.id}", data={**fields, "value": "1,190,000,000,001", "decision": "correct"})
    assert response.status_code == 303
    db_session.expire_all()
    assert db_session.get(Claim, claim.id).value == 1190000000001.0
    fields = _review_form(client, claim.id)
    bad = client.post(f"/claims/{claim.id}", data={**fields, "value": "123456789012345678901", "subject": "Quay",
                                                   "decision": "verify"})
    assert bad.status_code == 400
    html = bad.get_data(as_text=True)
    assert "has more significant digits than a value can keep exactly (15); round it." in html
    assert 'value="123456789012345678901"' in html and 'value="Quay"' in html
    db_session.expire_all()
    assert db_session.get(Claim, claim.id).status == "pending"


def test_undo_mine_over_http(client, reviewer, auth, db_session, three):
    auth.login("rita")
    fields = _review_form(client, three[0].id)
    client.post(f"/claims/{three[0].id}", data={**fields, "decision": "verify"})
    page = client.get(f"/claims/{three[1].id}").get_data(as_text=True)
    assert f"Undo my verify of claim {three[0].id}" in page
    token = csrf_token(client, f"/claims/{three[1].id}")
    response = client.post("/reviews/mine/undo", data={"csrf_token": token, "back": str(three[1].id)})
    assert response.status_code == 303 and response.headers["Location"] == f"/claims/{three[0].id}"
    db_session.expire_all()
    assert db_session.get(Claim, three[0].id).status == "pending"
    again = client.post("/reviews/mine/undo", data={"csrf_token": token, "back": str(three[1].id)})
    assert again.headers["Location"] == f"/claims/{three[1].id}"


def test_stale_resolution_says_another_tab_when_the_change_was_ones_own(db_session):
    from claimtrack import conflicts

    document_a = DocumentFactory(text="Gansu has 66 sister cities.")
    document_b = DocumentFactory(text="Gansu hosts 69 sister cities.")
    a = ClaimFactory(document=document_a, quote_text="66", value=66)
    b = ClaimFactory(document=document_b, quote_text="69", value=69)
    conflicts.detect_claims(db_session, [a.id, b.id])
    db_session.refresh(a)
    group_id, version = a.group_id, a.group.version
    seen = {a.id: a.version, b.id: b.version}
    rosa, otto = UserFactory(username="rosa"), UserFactory(username="otto")
    review.decide(db_session, a, rosa, "correct", version=a.version, now=utcnow(), values={"unit": "cities"},
                  check_lease=False)
    with pytest.raises(conflicts.StaleGroupError) as mine:
        conflicts.resolve_group(db_session, rosa, group_id, version, "prefer", "69 is right",
                                preferred_claim_id=b.id, reason="superseded", seen=seen)
    assert "You changed this conflict's claims in another tab" in str(mine.value)
    with pytest.raises(conflicts.StaleGroupError) as theirs:
        conflicts.resolve_group(db_session, otto, group_id, version, "prefer", "69 is right",
                                preferred_claim_id=b.id, reason="superseded", seen=seen)
    assert "another tab" not in str(theirs.value) and "another reviewer" in str(theirs.value)
