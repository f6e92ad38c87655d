"""Second review: the policy, the blind second review, agreement, adjudication and undo, on both databases."""
from datetime import date, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from claimtrack import agreement, queue, review, second_review
from models import AuditEvent, Claim, Review, SecondReview

from .factories import ClaimFactory, DocumentFactory, UserFactory

NOW = datetime(2026, 5, 4, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def people(db_session):
    """Two reviewers and two leads."""
    return {name: UserFactory(username=name, role=role) for name, role in
            (("ana", "reviewer"), ("ben", "reviewer"), ("lia", "lead"), ("max", "lead"))}


def _all_need_two(db_session, lead, **scope):
    second_review.set_policy(db_session, lead, now=NOW, share=100, **scope)


def _first(db_session, claim, user, decision="verify", values=None, note=""):
    return review.decide(db_session, claim, user, decision, version=claim.version, now=NOW, values=values,
                         note=note, check_lease=False).review


def _second(db_session, claim, user, decision="verify", values=None, note="", when=NOW):
    given = {**second_review.extracted_values(claim), **(values or {})}
    return second_review.decide_second(db_session, claim, user, decision, values=given, version=claim.version,
                                       now=when, note=note).review


def test_second_review_without_policy_one_review_is_final(db_session, people):
    claim = ClaimFactory()
    _first(db_session, claim, people["ana"])
    assert second_review.standing(db_session, claim.id) is None
    with pytest.raises(review.ReviewError, match="does not await a second review"):
        _second(db_session, claim, people["ben"])


def test_second_review_goes_to_another_reviewer(db_session, people):
    _all_need_two(db_session, people["lia"])
    claim = ClaimFactory()
    _first(db_session, claim, people["ana"])
    row = second_review.standing(db_session, claim.id)
    assert (row.state, row.reason, row.first_user_id) == ("awaiting", "all", people["ana"].id)
    assert queue.lease_next(db_session, people["ana"], NOW) is None
    assert queue.lease_next(db_session, people["ben"], NOW) == claim.id
    assert queue.renew(db_session, claim.id, people["ben"], NOW + timedelta(minutes=5))


def test_second_review_is_blind_to_all_but_the_first_reviewer(db_session, people):
    _all_need_two(db_session, people["lia"])
    claim = ClaimFactory()
    _first(db_session, claim, people["ana"], values={"unit": "km"})
    row = second_review.standing(db_session, claim.id)
    assert second_review.is_blind(row, people["ben"]) and second_review.is_blind(row, people["lia"])
    assert not second_review.is_blind(row, people["ana"])
    # What the second reviewer starts from is the extraction, not the first reviewer's correction.
    assert second_review.extracted_values(claim)["unit"] == "" and claim.unit == "km"
    _second(db_session, claim, people["ben"])
    assert not second_review.is_blind(second_review.standing(db_session, claim.id), people["ben"])


def test_second_review_refused_to_the_first_reviewer(db_session, people):
    _all_need_two(db_session, people["lia"])
    claim = ClaimFactory()
    _first(db_session, claim, people["ana"])
    with pytest.raises(review.ReviewError, match="first decision") as refused:
        _second(db_session, claim, people["ana"])
    assert refused.value.status == 403
    assert second_review.standing(db_session, claim.id).state == "awaiting"


def test_second_review_settles_on_agreement_with_both_names(db_session, people):
    _all_need_two(db_session, people["lia"])
    claim = ClaimFactory()
    _first(db_session, claim, people["ana"], values={"unit": "km"})
    second = _second(db_session, claim, people["ben"], values={"unit": "km"})
    row = second_review.standing(db_session, claim.id)
    assert (row.state, row.disagreements) == ("agreed", [])
    assert (row.first_user_id, row.second_user_id) == (people["ana"].id, people["ben"].id)
    assert second.decision == "second_verify" and second.changes == {"unit": ["", "km"]}
    assert claim.status == "verified" and claim.unit == "km"
    verbs = [e.verb for e in db_session.query(AuditEvent).filter_by(object_type="claim", object_id=claim.id)]
    assert verbs == ["verify", "second_verify"]


@pytest.mark.parametrize(("values", "decision", "expected"), [
    ({"value": 67.0}, "verify", ["value"]),
    ({"value_max": 70.0}, "verify", ["value_max"]),
    ({"unit": "t"}, "verify", ["unit"]),
    ({"qualifier": "~"}, "verify", ["qualifier"]),
    ({"period_start": date(2020, 1, 1)}, "verify", ["period"]),
    ({"subject": "Gansu province"}, "verify", ["subject"]),
    ({"measure": "sister cities"}, "verify", ["measure"]),
    ({"kind": "target"}, "verify", ["kind"]),
    ({}, "reject", ["decision"]),
])
def test_second_review_any_disagreement_goes_to_adjudication(db_session, people, values, decision, expected):
    _all_need_two(db_session, people["lia"])
    claim = ClaimFactory()
    _first(db_session, claim, people["ana"])
    _second(db_session, claim, people["ben"], decision, values, note="not in the source" if decision == "reject" else "")
    row = second_review.standing(db_session, claim.id)
    assert (row.state, row.disagreements) == ("adjudication", expected)
    assert [d.claim.id for d in second_review.disputes(db_session)] == [claim.id]


def test_second_review_adjudication_sets_the_final_decision_and_undo_reopens_it(db_session, people):
    _all_need_two(db_session, people["lia"])
    claim = ClaimFactory()
    _first(db_session, claim, people["ana"], values={"unit": "km"})
    _second(db_session, claim, people["ben"], "reject", {"unit": "t"}, note="a tonnage")
    with pytest.raises(review.ReviewError, match="Choose the first or the second"):
        second_review.adjudicate(db_session, claim, people["lia"], "verify", choices={}, version=claim.version,
                                 now=NOW, note="checked")
    final = second_review.adjudicate(db_session, claim, people["lia"], "verify", choices={"unit": "second"},
                                     version=claim.version, now=NOW, note="the source says tonnes")
    row = second_review.standing(db_session, claim.id)
    assert (row.state, row.final_review_id) == ("adjudicated", final.id)
    assert (claim.status, claim.unit, claim.reviewed_by_id) == ("verified", "t", people["lia"].id)

    review.undo(db_session, final, people["max"], NOW)
    row = second_review.standing(db_session, claim.id)
    assert (row.state, row.final_review_id) == ("adjudication", None)
    assert (claim.status, claim.unit, claim.reviewed_by_id) == ("verified", "km", people["ana"].id)


def test_second_review_adjudication_refused_to_a_lead_who_reviewed(db_session, people):
    _all_need_two(db_session, people["lia"])
    claim = ClaimFactory()
    _first(db_session, claim, people["lia"])
    _second(db_session, claim, people["ben"], "needs_info", note="which year?")
    with pytest.raises(review.ReviewError, match="another lead") as refused:
        second_review.adjudicate(db_session, claim, people["lia"], "verify", choices={}, version=claim.version,
                                 now=NOW, note="fine")
    assert refused.value.status == 403
    with pytest.raises(review.ReviewError, match="Only a lead"):
        second_review.adjudicate(db_session, claim, people["ana"], "verify", choices={}, version=claim.version,
                                 now=NOW, note="fine")


def test_second_review_undo_of_either_review_reopens_correctly(db_session, people):
    _all_need_two(db_session, people["lia"])
    claim = ClaimFactory()
    first = _first(db_session, claim, people["ana"])
    second = _second(db_session, claim, people["ben"])
    assert second_review.standing(db_session, claim.id).state == "agreed"

    review.undo(db_session, second, people["lia"], NOW)
    row = second_review.standing(db_session, claim.id)
    assert (row.state, row.second_user_id) == ("awaiting", None)
    assert claim.status == "verified"
    assert queue.lease_next(db_session, people["ben"], NOW) == claim.id

    review.undo(db_session, first, people["lia"], NOW)
    assert second_review.standing(db_session, claim.id) is None
    assert claim.status == "pending"
    # Decided again, it needs two again; ben holds its lease, so ana first-reviews it.
    queue.release(db_session, claim.id, people["ben"])
    _first(db_session, claim, people["ana"], "reject", note="duplicate")
    assert second_review.standing(db_session, claim.id).first_values["decision"] == "reject"


def test_second_review_reopen_starts_over_and_its_undo_restores(db_session, people):
    _all_need_two(db_session, people["lia"])
    claim = ClaimFactory()
    _first(db_session, claim, people["ana"])
    _second(db_session, claim, people["ben"])
    reopened = review.reopen(db_session, claim, people["lia"], version=claim.version, now=NOW)
    assert second_review.standing(db_session, claim.id) is None
    review.undo(db_session, reopened, people["lia"], NOW)
    row = second_review.standing(db_session, claim.id)
    assert (row.state, row.second_user_id) == ("agreed", people["ben"].id)


def test_second_review_repeat_submission_is_not_recorded_twice(db_session, people):
    _all_need_two(db_session, people["lia"])
    claim = ClaimFactory()
    _first(db_session, claim, people["ana"])
    _second(db_session, claim, people["ben"])
    again = second_review.decide_second(db_session, claim, people["ben"], "verify",
                                        values=second_review.extracted_values(claim), version=claim.version,
                                        now=NOW)
    assert again.duplicate
    assert db_session.query(Review).filter_by(claim_id=claim.id, decision="second_verify").count() == 1


def test_second_review_policy_most_specific_scope_applies(db_session, people):
    document = DocumentFactory()
    _all_need_two(db_session, people["lia"])
    second_review.set_policy(db_session, people["lia"], now=NOW, share=0, document_id=document.id)
    inside, outside = ClaimFactory(document=document), ClaimFactory()
    assert second_review.required_reason(db_session, inside) is None
    assert second_review.required_reason(db_session, outside) == "all"
    second_review.set_policy(db_session, people["lia"], now=NOW, share=100, document_id=document.id, kind="target")
    target = ClaimFactory(document=document, kind="target")
    assert second_review.required_reason(db_session, target) == "all"


def test_second_review_policy_share_draws_that_share(db_session, people):
    drawn = sum(second_review.drawn(claim_id, 10) for claim_id in range(1, 20_001))
    assert 1_800 < drawn < 2_200
    assert [second_review.drawn(7, 10) for _ in range(3)] == [second_review.drawn(7, 10)] * 3
    assert not any(second_review.drawn(i, 0) for i in range(1, 1000))


def test_second_review_conflicts_and_reviewer_added_claims_always_need_two(db_session, people):
    second_review.set_policy(db_session, people["lia"], now=NOW, share=0, conflicts_need_two=True,
                             reviewer_added_need_two=True)
    disputed, plain, added = ClaimFactory(conflict_open=True), ClaimFactory(), ClaimFactory()
    added.origin = "reviewer"
    assert second_review.required_reason(db_session, disputed) == "conflict"
    assert second_review.required_reason(db_session, plain) is None
    assert second_review.required_reason(db_session, added) == "reviewer"


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"share": 101}, "whole percent"),
    ({"share": 10, "kind": "guess"}, "kind must be"),
    ({"share": 10, "document_id": 999_999}, "no document"),
])
def test_second_review_policy_bad_input_changes_nothing(db_session, people, kwargs, message):
    with pytest.raises(second_review.PolicyError, match=message):
        second_review.set_policy(db_session, people["lia"], now=NOW, **kwargs)
    assert second_review.policies(db_session) == []


def test_second_review_policy_only_for_leads(db_session, people):
    with pytest.raises(review.ReviewError, match="Only a lead"):
        second_review.set_policy(db_session, people["ana"], now=NOW, share=10)


def test_second_review_leased_by_another_is_refused(db_session, people):
    _all_need_two(db_session, people["lia"])
    claim = ClaimFactory()
    _first(db_session, claim, people["ana"])
    carl = UserFactory(username="carl")
    assert queue.lease_next(db_session, carl, NOW) == claim.id
    with pytest.raises(review.HeldByOther):
        _second(db_session, claim, people["ben"])
    assert db_session.get(SecondReview, claim.id).state == "awaiting"
    assert db_session.get(Claim, claim.id).status == "verified"


def test_second_review_sole_lead_who_reviewed_adjudicates_as_a_party(db_session, people):
    """With no other active lead, the lead who made a review adjudicates, and it is recorded as a party's."""
    _all_need_two(db_session, people["lia"])
    people["max"].active = False
    claim = ClaimFactory()
    _first(db_session, claim, people["lia"], values={"unit": "km"})
    _second(db_session, claim, people["ben"], "verify", {"unit": "t"})
    assert second_review.impartial_leads(db_session, (people["lia"].id, people["ben"].id)) == 0
    final = second_review.adjudicate(db_session, claim, people["lia"], "verify", choices={"unit": "second"},
                                     version=claim.version, now=NOW, note="the table gives tonnes")
    assert (claim.unit, final.user_id) == ("t", people["lia"].id)
    event = db_session.scalars(sa.select(AuditEvent).where(AuditEvent.verb == "adjudicate")).one()
    assert event.after["adjudicator_was_party"] is True
    report = agreement.report(db_session)
    assert (report.adjudicated, report.adjudicated_by_party) == (1, 1)


def test_second_review_impartial_adjudication_is_not_counted_as_a_party(db_session, people):
    _all_need_two(db_session, people["lia"])
    claim = ClaimFactory()
    _first(db_session, claim, people["ana"], values={"unit": "km"})
    _second(db_session, claim, people["ben"], "verify", {"unit": "t"})
    second_review.adjudicate(db_session, claim, people["max"], "verify", choices={"unit": "first"},
                             version=claim.version, now=NOW, note="kilometres")
    event = db_session.scalars(sa.select(AuditEvent).where(AuditEvent.verb == "adjudicate")).one()
    assert "adjudicator_was_party" not in event.after
    assert (agreement.report(db_session).adjudicated_by_party) == 0
