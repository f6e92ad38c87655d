"""Triage: the worth score, the queue orders a lead chooses, and dismissing a filter's claims as one batch."""
from datetime import datetime, timedelta, timezone

import pytest

from claimtrack import queue, review, team, triage
from claimtrack.claim_filters import ClaimFilter
from claimtrack.ingest import ingest
from claimtrack.sources import decode_document
from models import AuditEvent, Claim, Lease, Review

from .factories import ClaimFactory, DocumentFactory, UserFactory

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
TTL = timedelta(minutes=15)


@pytest.mark.parametrize(("quote", "value", "unit", "measure", "vague"), [
    ("four decades", 40, "a", "", True),
    ("two millennia", 2000, "a", "reign", True),
    ("three", 3, "", "reasons", True),
    ("2", 2, "", "reasons", True),
    ("16", 16, "", "cargo routes", False),
    ("6.5%", 6.5, "%", "growth", False),
])
def test_vague_figures_are_told_apart(quote, value, unit, measure, vague):
    assert triage.is_vague(quote, value, unit, measure) is vague


def test_significant_digits_follow_the_written_figure():
    assert [triage.significant_digits(q) for q in ("1.19 trillion", "4,000", "four", "0.045", "12.50")] == [
        3, 1, 0, 2, 4]


def test_worth_puts_complete_specific_large_figures_first():
    complete = triage.worth("1.19 trillion yuan", 1.19e12, "CNY", "Gansu", "gdp")
    smaller = triage.worth("6.5%", 6.5, "%", "Gansu", "gdp growth")
    no_unit = triage.worth("66", 66, "", "Gansu", "sister cities")
    vague = triage.worth("four decades", 40, "a", "the empire", "")
    numeral = triage.worth("3", 3, "", "", "")
    assert complete > smaller > no_unit > vague > numeral


def _queue(db_session, order, claims=4):
    """The claims the queue serves, in order, each to a new reviewer (a reviewer gets their held claim back)."""
    return [queue.lease_next(db_session, UserFactory(), NOW, TTL, order=order) for _ in range(claims)]


def test_queue_orders_open_conflicts_then_worth_then_by_the_lead_choice(db_session):
    document = DocumentFactory(text="It lasted four decades; 1,190 km of road, 66 sister cities and 16 routes.")
    vague = ClaimFactory(document=document, quote_text="four decades", value=40, unit="a", measure="", confidence=0.1)
    road = ClaimFactory(document=document, quote_text="1,190 km", value=1190, unit="km", measure="road",
                        confidence=0.9)
    cities = ClaimFactory(document=document, quote_text="66", value=66, confidence=0.5)
    routes = ClaimFactory(document=document, quote_text="16", value=16, measure="routes", confidence=0.3,
                          conflict_open=True)
    db_session.flush()
    assert _queue(db_session, "worth") == [routes.id, road.id, cities.id, vague.id]
    db_session.query(Lease).delete()
    assert _queue(db_session, "confidence") == [routes.id, vague.id, cities.id, road.id]
    db_session.query(Lease).delete()
    assert _queue(db_session, "document") == [routes.id, vague.id, road.id, cities.id]


def test_lead_sets_the_team_order_which_the_queue_follows(db_session):
    lead, reviewer = UserFactory(role="lead"), UserFactory()
    document = DocumentFactory(text="It lasted four decades and built 1,190 km of road.")
    vague = ClaimFactory(document=document, quote_text="four decades", value=40, unit="a", measure="", confidence=0.1)
    road = ClaimFactory(document=document, quote_text="1,190 km", value=1190, unit="km", confidence=0.9)
    db_session.flush()
    assert team.queue_order(db_session) == "worth"
    assert queue.lease_next(db_session, reviewer, NOW, TTL) == road.id
    assert team.change(db_session, lead, NOW, queue_order="confidence") == {"queue_order": ["worth", "confidence"]}
    assert queue.lease_next(db_session, UserFactory(), NOW, TTL) == vague.id
    with pytest.raises(PermissionError):
        team.change(db_session, reviewer, NOW, queue_order="worth")
    with pytest.raises(team.SettingError):
        team.change(db_session, lead, NOW, queue_order="random")
    assert db_session.query(AuditEvent).filter_by(verb="settings").count() == 1


def test_a_correction_rescores_the_claim(db_session):
    reviewer = UserFactory()
    claim = ClaimFactory(quote_text="66", value=66, measure="")
    db_session.flush()
    before = claim.worth
    review.decide(db_session, claim, reviewer, "correct", version=claim.version, now=NOW,
                  values={"measure": "international sister cities", "unit": "pairs"}, check_lease=False)
    assert claim.worth == triage.worth_of(claim) > before


def _dismissable(db_session):
    document = DocumentFactory(text="It lasted four decades, then two millennia; trade grew 5.9%.")
    claims = [ClaimFactory(document=document, quote_text=q, value=v, unit=u, subject="Rome", measure=m)
              for q, v, u, m in (("four decades", 40, "a", "reign"), ("two millennia", 2000, "a", "reign"),
                                 ("5.9%", 5.9, "%", "trade growth"))]
    db_session.flush()
    return claims


def test_lead_dismisses_a_filter_and_undoes_it_as_a_batch_keeping_claims_changed_since(db_session):
    lead, other = UserFactory(role="lead"), UserFactory(username="orla", role="lead")
    decades, millennia, growth = _dismissable(db_session)
    result = review.dismiss(db_session, ClaimFilter(measure="reign"), lead, "rhetorical durations", NOW)
    assert sorted(result.done) == [decades.id, millennia.id] and result.refused == []
    assert (decades.status, millennia.status, growth.status) == ("rejected", "rejected", "pending")
    events = db_session.query(AuditEvent).filter_by(batch_id=result.batch_id).all()
    assert {e.object_id for e in events} == {decades.id, millennia.id}
    # Someone changes one of them after the dismissal: the undo keeps that one as it is.
    review.reopen(db_session, millennia, other, version=millennia.version, now=NOW + timedelta(minutes=1))
    review.decide(db_session, millennia, other, "verify", version=millennia.version, now=NOW + timedelta(minutes=2),
                  check_lease=False)
    undone = review.undo_batch(db_session, result.batch_id, lead, NOW + timedelta(minutes=3))
    assert undone.done == [decades.id]
    assert undone.refused == [(millennia.id, f"orla changed it since (verify, {NOW + timedelta(minutes=2):%Y-%m-%d %H:%M} UTC).")]
    assert (decades.status, millennia.status) == ("pending", "verified")


def test_dismissal_refuses_without_reason_filter_or_lead_and_changes_nothing(db_session):
    lead, reviewer = UserFactory(role="lead"), UserFactory()
    claims = _dismissable(db_session)
    for user, claim_filter, reason, message in (
        (lead, ClaimFilter(measure="reign"), " ", "A reason is required"),
        (lead, ClaimFilter(), "noise", "Narrow the claims"),
        (lead, ClaimFilter(status=("pending",)), "noise", "Narrow the claims"),
        (lead, ClaimFilter(measure="nothing such"), "noise", "No pending claims match"),
        (reviewer, ClaimFilter(measure="reign"), "noise", "Only a lead"),
    ):
        with pytest.raises(review.ReviewError, match=message):
            review.dismiss(db_session, claim_filter, user, reason, NOW)
    with pytest.raises(review.ReviewError, match="More than 1 pending"):
        review.dismiss(db_session, ClaimFilter(measure="reign"), lead, "noise", NOW, limit=1)
    assert {c.status for c in claims} == {"pending"}
    assert db_session.query(Review).count() == 0


def test_ingested_claims_carry_their_worth(db_session):
    source = decode_document("Gansu's GDP reached 1.19 trillion yuan over four decades.".encode(), "g.txt")
    ingest(db_session, source)
    claims = {c.quote: c for c in db_session.query(Claim)}
    assert claims["1.19 trillion yuan"].worth == triage.worth_of(claims["1.19 trillion yuan"])
    assert claims["1.19 trillion yuan"].worth > claims["four decades"].worth
    assert {c.origin for c in claims.values()} == {"extractor"}
