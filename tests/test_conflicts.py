"""Conflict detection: which claims disagree, and how reviewers' decisions hold."""
from datetime import date

import pytest
import sqlalchemy as sa

from claimtrack import conflicts
from claimtrack.conflicts import ConflictError, Rescope, StaleGroupError
from models import AuditEvent, Claim, ConflictGroup, Review

from .factories import ClaimFactory, DocumentFactory, UserFactory


def _claim(text: str, quote: str, value: float, document=None, **fields) -> Claim:
    """A claim on `quote` in a new document with `text` (or in `document`)."""
    document = document or DocumentFactory(text=text)
    return ClaimFactory(document=document, quote_text=quote, value=value, **fields)


def _detect(session, *claims: Claim) -> None:
    conflicts.detect_claims(session, [c.id for c in claims])


def _group(session, claim: Claim) -> ConflictGroup:
    session.refresh(claim)
    return session.get(ConflictGroup, claim.group_id)


def test_conflicts_different_counts_open_a_conflict(db_session):
    a = _claim("Gansu has 66 sister cities.", "66", 66)
    b = _claim("Gansu hosts 69 sister cities.", "69", 69)
    _detect(db_session, a, b)
    group = _group(db_session, a)
    assert group.status == "open" and b.group_id == group.id
    assert a.conflict_open and b.conflict_open


def test_conflicts_qualifier_agrees(db_session):
    a = _claim("Over 30 routes.", "Over 30", 30, qualifier=">", measure="route")
    b = _claim("It has 35 routes.", "35", 35, measure="route")
    c = _claim("Fewer than 40 routes.", "Fewer than 40", 40, qualifier="<", measure="route")
    _detect(db_session, a, b, c)
    assert _group(db_session, a).status == "consistent"
    d = _claim("It has 28 routes.", "28", 28, measure="route")
    _detect(db_session, d)
    assert _group(db_session, a).status == "open"


def test_conflicts_rounding_agrees_within_stated_precision(db_session):
    a = _claim("A population of 6.3 million.", "6.3 million", 6_300_000, measure="population")
    b = _claim("The census counted 6,368,162 people.", "6,368,162", 6_368_162, measure="population")
    _detect(db_session, a, b)
    assert _group(db_session, a).status == "consistent"
    c = _claim("The census counted 6,468,162 people.", "6,468,162", 6_468_162, measure="population")
    _detect(db_session, c)
    assert _group(db_session, a).status == "open"


def test_conflicts_exact_counts_disagree_by_one(db_session):
    a = _claim("It has 16 routes.", "16", 16, measure="route")
    b = _claim("It has 17 routes.", "17", 17, measure="route")
    _detect(db_session, a, b)
    assert _group(db_session, a).status == "open"


def test_conflicts_approximate_widens_tolerance(db_session):
    a = _claim("About 100 projects.", "About 100", 100, qualifier="~", measure="project")
    b = _claim("It lists 108 projects.", "108", 108, measure="project")
    _detect(db_session, a, b)
    assert _group(db_session, a).status == "consistent"
    c = _claim("It lists 125 projects.", "125", 125, measure="project")
    _detect(db_session, c)
    assert _group(db_session, a).status == "open"


def test_conflicts_units_convert_within_a_dimension(db_session):
    a = _claim("The line is 62.1 miles long.", "62.1 miles", 62.1, unit="mi", measure="railway length")
    b = _claim("The line is 100 km long.", "100 km", 100, unit="km", measure="railway length")
    _detect(db_session, a, b)
    assert _group(db_session, a).status == "consistent" and b.group_id == a.group_id
    c = _claim("The line is 120.5 km long.", "120.5 km", 120.5, unit="km", measure="railway length")
    _detect(db_session, c)
    assert _group(db_session, a).status == "open"


def test_conflicts_currencies_are_never_mixed(db_session):
    a = _claim("Trade reached RMB 100 billion.", "RMB 100 billion", 1e11, unit="CNY", measure="trade")
    b = _claim("Trade reached US$14 billion.", "US$14 billion", 1.4e10, unit="USD", measure="trade")
    _detect(db_session, a, b)
    db_session.refresh(a), db_session.refresh(b)
    assert a.group_id != b.group_id
    assert not a.conflict_open and not b.conflict_open


def test_conflicts_different_periods_form_a_series(db_session):
    a = _claim("In 2022 it had 10 routes.", "10", 10, measure="route",
               period_start=date(2022, 1, 1), period_end=date(2022, 12, 31))
    b = _claim("In 2023 it had 12 routes.", "12", 12, measure="route",
               period_start=date(2023, 1, 1), period_end=date(2023, 12, 31))
    _detect(db_session, a, b)
    group = _group(db_session, a)
    assert group.status == "consistent" and group.is_series
    c = _claim("In 2023 it had 15 routes.", "15", 15, measure="route",
               period_start=date(2023, 1, 1), period_end=date(2023, 12, 31))
    _detect(db_session, c)
    group = _group(db_session, a)
    assert group.status == "open" and group.is_series


def test_conflicts_same_number_different_measure_is_no_conflict(db_session):
    a = _claim("Over 1,600 kilometers of Silk Road.", "1,600 kilometers", 1600, unit="km",
               qualifier=">", measure="ancient silk road length")
    b = _claim("1,600 kilometers of high-speed railway.", "1,600 kilometers", 1600, unit="km",
               measure="high-speed railway length")
    _detect(db_session, a, b)
    db_session.refresh(a), db_session.refresh(b)
    assert a.group_id != b.group_id


def test_conflicts_subject_and_measure_normalised(db_session):
    a = _claim("Gansu has 66 sister cities.", "66", 66, subject="Gansu", measure="International Sister Cities")
    b = _claim("GANSU has 69 sister cities.", "69", 69, subject="GANSU ", measure="international  sister city")
    _detect(db_session, a, b)
    assert _group(db_session, a).id == _group(db_session, b).id


def test_conflicts_within_one_document_do_not_count(db_session):
    document = DocumentFactory(text="16 of the 156 key projects were built here.")
    a = _claim("", "16", 16, document=document, measure="key project")
    b = _claim("", "156", 156, document=document, measure="key project")
    _detect(db_session, a, b)
    assert _group(db_session, a).status == "consistent"


def test_conflicts_rejected_and_deprecated_claims_do_not_count(db_session):
    a = _claim("Gansu has 66 sister cities.", "66", 66)
    b = _claim("Gansu hosts 69 sister cities.", "69", 69, status="rejected")
    c = _claim("Gansu hosts 70 sister cities.", "70", 70, rank="deprecated", rank_reason="extraction error")
    _detect(db_session, a, b, c)
    assert _group(db_session, a).status == "consistent"
    db_session.refresh(b)
    assert b.group_id is None


def test_conflicts_rebuild_matches_incremental(db_session):
    a = _claim("Gansu has 66 sister cities.", "66", 66)
    b = _claim("Gansu hosts 69 sister cities.", "69", 69)
    c = _claim("Over 30 routes.", "Over 30", 30, qualifier=">", measure="route")
    _detect(db_session, a, b, c)
    before = {x.id: (x.group_id, x.conflict_open) for x in (a, b, c)}
    report = conflicts.rebuild(db_session)
    assert report.created == 0
    for x in (a, b, c):
        db_session.refresh(x)
    assert {x.id: (x.group_id, x.conflict_open) for x in (a, b, c)} == before


def test_conflicts_split_survives_rebuild(db_session):
    user = UserFactory()
    a = _claim("Gansu has 66 sister cities.", "66", 66)
    b = _claim("Gansu hosts 69 sister cities.", "69", 69)
    _detect(db_session, a, b)
    old = a.group_id
    new = conflicts.split_claim(db_session, user, b.id, "counts friendship cities too")
    assert _group(db_session, a).status == "consistent"
    conflicts.rebuild(db_session)
    db_session.refresh(a), db_session.refresh(b)
    assert a.group_id == old and b.group_id == new.id and b.group_pinned
    # A newcomer with the same key goes to the original group, not the split-off one.
    c = _claim("Gansu has 67 sister cities.", "67", 67)
    _detect(db_session, c)
    db_session.refresh(c)
    assert c.group_id == old and _group(db_session, a).status == "open"


def test_conflicts_merge_survives_rebuild(db_session):
    user = UserFactory()
    a = _claim("Gansu has 66 sister cities.", "66", 66, measure="sister city")
    b = _claim("Gansu has 69 friendship cities.", "69", 69, measure="friendship city")
    _detect(db_session, a, b)
    assert a.group_id != b.group_id
    group = conflicts.merge_groups(db_session, user, a.group_id, b.group_id, "same thing")
    assert group.status == "open"
    conflicts.rebuild(db_session)
    db_session.refresh(a), db_session.refresh(b)
    assert a.group_id == b.group_id == group.id
    # Later claims of the merged key join the merged group.
    c = _claim("Gansu has 70 friendship cities.", "70", 70, measure="friendship city")
    _detect(db_session, c)
    db_session.refresh(c)
    assert c.group_id == group.id


def _open_pair(db_session):
    a = _claim("Gansu has 66 sister cities.", "66", 66)
    b = _claim("Gansu hosts 69 sister cities.", "69", 69)
    _detect(db_session, a, b)
    return a, b, _group(db_session, a)


def test_conflicts_prefer_deprecates_the_others(db_session):
    user = UserFactory()
    a, b, group = _open_pair(db_session)
    resolution = conflicts.resolve_group(db_session, user, group.id, group.version, "prefer", "newer report",
                                   preferred_claim_id=b.id, reason="superseded")
    db_session.refresh(a), db_session.refresh(b)
    assert group.status == "resolved"
    assert (b.rank, a.rank, a.rank_reason) == ("preferred", "deprecated", "superseded by newer data")
    assert not a.conflict_open and not b.conflict_open
    reviews = db_session.scalars(sa.select(Review).where(Review.decision == "resolve")).all()
    assert {r.claim_id for r in reviews} == {a.id, b.id}
    assert db_session.scalar(sa.select(AuditEvent).where(AuditEvent.verb == "resolve")).object_id == group.id
    assert resolution.details["claims"][str(a.id)]["before"]["rank"] == "normal"


def test_conflicts_new_claim_reopens_resolved_group(db_session):
    user = UserFactory()
    a, b, group = _open_pair(db_session)
    conflicts.resolve_group(db_session, user, group.id, group.version, "prefer", "newer report",
                      preferred_claim_id=b.id, reason="superseded")
    agreeing = _claim("Gansu now has 69 sister cities.", "69", 69)
    _detect(db_session, agreeing)
    assert _group(db_session, a).status == "resolved"
    disagreeing = _claim("Gansu now has 72 sister cities.", "72", 72)
    _detect(db_session, disagreeing)
    db_session.refresh(disagreeing), db_session.refresh(b)
    assert _group(db_session, a).status == "open"
    assert disagreeing.conflict_open and b.conflict_open
    assert db_session.scalar(sa.select(AuditEvent).where(AuditEvent.verb == "reopen")).object_id == group.id


def test_conflicts_undo_restores_ranks_and_status(db_session):
    user, lead = UserFactory(), UserFactory(role="lead")
    a, b, group = _open_pair(db_session)
    resolution = conflicts.resolve_group(db_session, user, group.id, group.version, "prefer", "newer report",
                                   preferred_claim_id=b.id, reason="wrong_in_source")
    conflicts.undo_resolution(db_session, lead, resolution.id)
    db_session.refresh(a), db_session.refresh(b)
    assert (a.rank, a.rank_reason, b.rank) == ("normal", "", "normal")
    assert _group(db_session, a).status == "open" and a.conflict_open
    assert resolution.undone_by_id == lead.id and resolution.undone_at is not None
    undo_reviews = db_session.scalars(sa.select(Review).where(Review.decision == "undo")).all()
    assert len(undo_reviews) == 2 and all(r.undoes_id for r in undo_reviews)
    with pytest.raises(ConflictError, match="already undone"):
        conflicts.undo_resolution(db_session, lead, resolution.id)


def test_conflicts_all_right_needs_separating_periods(db_session):
    user = UserFactory()
    a, b, group = _open_pair(db_session)
    same = [Rescope(c.id, None, None, c.subject, c.measure) for c in (a, b)]
    with pytest.raises(ConflictError, match="still disagree"):
        conflicts.resolve_group(db_session, user, group.id, group.version, "all_right", "both right", rescopes=same)


def test_conflicts_all_right_with_periods_becomes_series(db_session):
    user = UserFactory()
    a, b, group = _open_pair(db_session)
    rescopes = [
        Rescope(a.id, date(2023, 1, 1), date(2023, 12, 31), a.subject, a.measure),
        Rescope(b.id, date(2024, 1, 1), date(2024, 12, 31), b.subject, b.measure),
    ]
    resolution = conflicts.resolve_group(db_session, user, group.id, group.version, "all_right",
                                   "counts from different years", rescopes=rescopes)
    group = _group(db_session, a)
    assert group.status == "resolved" and group.is_series
    assert a.period_start == date(2023, 1, 1) and not a.conflict_open
    conflicts.undo_resolution(db_session, UserFactory(role="lead"), resolution.id)
    db_session.refresh(a)
    assert a.period_start is None and _group(db_session, a).status == "open"


def test_conflicts_all_right_with_scope_splits_the_group(db_session):
    user = UserFactory()
    a, b, group = _open_pair(db_session)
    rescopes = [Rescope(b.id, None, None, "Gansu", "international friendship city")]
    conflicts.resolve_group(db_session, user, group.id, group.version, "all_right", "different scope", rescopes=rescopes)
    db_session.refresh(a), db_session.refresh(b)
    assert a.group_id != b.group_id
    assert not a.conflict_open and not b.conflict_open


def test_conflicts_unresolved_keeps_note_and_leaves_queue_head(db_session):
    user = UserFactory()
    a, b, group = _open_pair(db_session)
    conflicts.resolve_group(db_session, user, group.id, group.version, "unresolved", "needs the 2024 yearbook")
    group = _group(db_session, a)
    assert group.status == "unresolved" and group.note == "needs the 2024 yearbook"
    db_session.refresh(a)
    assert not a.conflict_open
    conflicts.rebuild(db_session)
    assert _group(db_session, a).status == "unresolved"


def test_conflicts_stale_version_is_refused(db_session):
    user = UserFactory()
    a, b, group = _open_pair(db_session)
    version = group.version
    conflicts.resolve_group(db_session, user, group.id, version, "unresolved", "needs a source")
    with pytest.raises(StaleGroupError, match="changed since you opened it"):
        conflicts.resolve_group(db_session, user, group.id, version, "prefer", "66 is right",
                          preferred_claim_id=a.id, reason="superseded")


def test_conflicts_resolution_needs_a_note(db_session):
    a, b, group = _open_pair(db_session)
    with pytest.raises(ConflictError, match="note"):
        conflicts.resolve_group(db_session, UserFactory(), group.id, group.version, "unresolved", "  ")


def test_conflicts_summary_for_badges(db_session):
    a, b, group = _open_pair(db_session)
    db_session.refresh(a)
    summary = conflicts.conflict_summary(db_session, a)
    assert summary.status == "open" and [m.value for m in summary.others] == [69]
    lone = _claim("It has 5 ports.", "5", 5, measure="port")
    _detect(db_session, lone)
    db_session.refresh(lone)
    assert conflicts.conflict_summary(db_session, lone) is None


@pytest.mark.parametrize(("quote", "value", "count", "step"), [
    ("66", 66, True, 0), ("6,368,162", 6368162, True, 0), ("6.3 million", 6.3e6, True, 1e5),
    ("1,600 kilometers", 1600, False, 100), ("43%", 43, False, 1), ("16.1%", 16.1, False, 0.1),
    ("three", 3, True, 0), ("RMB one trillion", 1e12, False, 1e12),
])
def test_conflicts_stated_precision(quote, value, count, step):
    assert conflicts.stated_step(quote, value, count) == pytest.approx(step)


def test_conflicts_rebuild_in_bulk_places_like_row_by_row(db_session, monkeypatch):
    a = _claim("Gansu has 66 sister cities.", "66", 66)
    b = _claim("Gansu hosts 69 sister cities.", "69", 69)
    c = _claim("Over 30 routes.", "Over 30", 30, qualifier=">", measure="route")
    monkeypatch.setattr(conflicts.detect, "BULK_UPDATE_ROWS", 0)
    conflicts.rebuild(db_session)
    for x in (a, b, c):
        db_session.refresh(x)
    assert a.group_id == b.group_id != c.group_id
    assert a.conflict_open and b.conflict_open and not c.conflict_open


def test_conflicts_correction_on_review_regroups_at_once(db_session):
    from claimtrack import review
    from models import utcnow

    a = _claim("Gansu has 66 sister cities.", "66", 66)
    b = _claim("Gansu hosts 69 sister cities.", "69", 69)
    _detect(db_session, a, b)
    assert _group(db_session, a).status == "open"
    user = UserFactory()
    review.decide(db_session, b, user, "correct", version=b.version, now=utcnow(),
                  values={"measure": "international friendship city"}, check_lease=False)
    assert _group(db_session, a).status == "consistent"
    db_session.refresh(a)
    assert not a.conflict_open and b.group_id != a.group_id


def test_conflicts_rejection_on_review_closes_the_conflict(db_session):
    from claimtrack import review
    from models import utcnow

    a = _claim("Gansu has 66 sister cities.", "66", 66)
    b = _claim("Gansu hosts 69 sister cities.", "69", 69)
    _detect(db_session, a, b)
    review.decide(db_session, b, UserFactory(), "reject", version=b.version, now=utcnow(),
                  note="misread", check_lease=False)
    assert _group(db_session, a).status == "consistent"
    db_session.refresh(a)
    assert not a.conflict_open


@pytest.mark.parametrize("unit", [")", "((", "km/", "**", "1/0"])
def test_conflicts_odd_unit_text_is_its_own_dimension(unit):
    assert conflicts.dimension_of(unit).name == f"unit:{unit}"



def test_conflicts_stated_tolerance_widens_agreement(db_session):
    a = _claim("The gap was 5.00 ± 0.30 K.", "5.00 ± 0.30 K", 5.0, unit="K", measure="gap", uncertainty=0.3)
    b = _claim("The gap was 5.25 K.", "5.25 K", 5.25, unit="K", measure="gap")
    _detect(db_session, a, b)
    assert _group(db_session, a).status == "consistent"
    c = _claim("The gap was 5.00 K.", "5.00 K", 5.0, unit="K", measure="gap", subject="Freedonia")
    d = _claim("A gap of 5.25 K.", "5.25 K", 5.25, unit="K", measure="gap", subject="Freedonia")
    _detect(db_session, c, d)
    assert _group(db_session, c).status == "open"
