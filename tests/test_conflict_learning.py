"""Scored matching in the database: suggestions, leads' answers, lessons learned and their undo."""
import pytest
import sqlalchemy as sa

from claimtrack import conflicts
from claimtrack.conflicts import ConflictError
from models import AuditEvent, Claim, ConflictGroup, MatchSuggestion, MeasureEquivalence

from .conftest import csrf_token
from .factories import ClaimFactory, DocumentFactory, UserFactory


def _claim(text: str, quote: str, value: float, **fields) -> Claim:
    return ClaimFactory(document=DocumentFactory(text=text), quote_text=quote, value=value, **fields)


def _detect(session, *claims: Claim) -> None:
    conflicts.detect_claims(session, [c.id for c in claims])
    for claim in claims:
        session.refresh(claim)


def _wind(session, subject="Sylvania"):
    """Two documents on one subject's wind power, in words a little apart, disagreeing."""
    a = _claim(f"{subject} has 1,200 MW of wind power capacity.", "1,200 MW", 1200, unit="MW",
               subject=subject, measure="wind power capacity")
    b = _claim(f"{subject} reports 1,450 MW of installed wind power capacity.", "1,450 MW", 1450, unit="MW",
               subject=subject, measure="installed wind power capacity")
    _detect(session, a, b)
    return a, b


def _pending(session) -> list[MatchSuggestion]:
    return list(session.scalars(sa.select(MatchSuggestion).where(MatchSuggestion.status == "pending")))


def test_learning_words_in_another_order_join_one_group(db_session):
    a = _claim("The unemployment rate is 4.1%.", "4.1%", 4.1, unit="%", subject="Sylvania",
               measure="unemployment rate")
    b = _claim("The rate of unemployment is 6.3%.", "6.3%", 6.3, unit="%", subject="Sylvania",
               measure="rate of unemployment")
    _detect(db_session, a, b)
    assert a.group_id == b.group_id and a.conflict_open
    assert not _pending(db_session)


def test_learning_blocks_keep_subjects_units_and_kinds_apart(db_session):
    a = _claim("Sylvania has 1,200 MW of wind power capacity.", "1,200 MW", 1200, unit="MW",
               subject="Sylvania", measure="wind power capacity")
    b = _claim("Freedonia has 1,900 MW of wind power capacity.", "1,900 MW", 1900, unit="MW",
               subject="Freedonia", measure="wind power capacity")
    c = _claim("Sylvania plans 5,000 MW of wind power capacity.", "5,000 MW", 5000, unit="MW",
               subject="Sylvania", measure="wind power capacity", kind="target")
    d = _claim("Sylvania's wind power capacity is 9,000 USD.", "9,000 USD", 9000, unit="USD",
               subject="Sylvania", measure="wind power capacity")
    _detect(db_session, a, b, c, d)
    assert len({a.group_id, b.group_id, c.group_id, d.group_id}) == 4
    assert not _pending(db_session)


def test_learning_possible_match_is_suggested_once(db_session):
    a, b = _wind(db_session)
    assert a.group_id != b.group_id and not a.conflict_open
    [suggestion] = _pending(db_session)
    assert (suggestion.measure_a, suggestion.measure_b) == ("installed wind power capacity", "wind power capacity")
    assert suggestion.subject_key == a.subject_key != ""
    conflicts.rebuild(db_session)
    assert len(db_session.scalars(sa.select(MatchSuggestion)).all()) == 1


def test_learning_yes_joins_the_groups_for_rebuilds_and_new_documents(db_session):
    lead = UserFactory(role="lead")
    a, b = _wind(db_session)
    [suggestion] = _pending(db_session)
    conflicts.answer_suggestion(db_session, lead, suggestion.id, True, "subject", "same series")
    db_session.refresh(a), db_session.refresh(b)
    assert a.group_id == b.group_id and a.conflict_open and b.conflict_open
    assert db_session.scalar(sa.select(AuditEvent.verb).where(AuditEvent.object_type == "match_suggestion")) \
        == "answer_suggestion"
    conflicts.rebuild(db_session)
    db_session.refresh(a), db_session.refresh(b)
    assert a.group_id == b.group_id
    c = _claim("Sylvania's installed wind power capacity: 1,210 MW.", "1,210 MW", 1210, unit="MW",
               subject="Sylvania", measure="installed wind power capacity")
    _detect(db_session, c)
    assert c.group_id == a.group_id
    # For this subject only: another subject's measures stay apart (and are asked about).
    d, e = _wind(db_session, "Freedonia")
    assert d.group_id != e.group_id and len(_pending(db_session)) == 1


def test_learning_yes_for_every_subject(db_session):
    lead = UserFactory(role="lead")
    _wind(db_session)
    [suggestion] = _pending(db_session)
    conflicts.answer_suggestion(db_session, lead, suggestion.id, True, "all")
    d, e = _wind(db_session, "Freedonia")
    assert d.group_id == e.group_id and d.conflict_open
    assert not _pending(db_session)


def test_learning_no_keeps_them_apart_and_is_not_asked_again(db_session):
    lead = UserFactory(role="lead")
    a, b = _wind(db_session)
    [suggestion] = _pending(db_session)
    conflicts.answer_suggestion(db_session, lead, suggestion.id, False, "subject")
    conflicts.rebuild(db_session)
    db_session.refresh(a), db_session.refresh(b)
    assert a.group_id != b.group_id and not _pending(db_session)
    db_session.refresh(suggestion)
    assert suggestion.status == "different"


def test_learning_undo_splits_them_again_and_asks_again(db_session):
    lead = UserFactory(role="lead")
    a, b = _wind(db_session)
    [suggestion] = _pending(db_session)
    conflicts.answer_suggestion(db_session, lead, suggestion.id, True, "subject")
    lesson = db_session.scalar(sa.select(MeasureEquivalence))
    conflicts.undo_lesson(db_session, lead, lesson.id)
    db_session.refresh(a), db_session.refresh(b)
    assert a.group_id != b.group_id and not a.conflict_open
    assert [s.id for s in _pending(db_session)] == [suggestion.id]
    with pytest.raises(ConflictError, match="already undone"):
        conflicts.undo_lesson(db_session, lead, lesson.id)
    conflicts.rebuild(db_session)
    db_session.refresh(a), db_session.refresh(b)
    assert a.group_id != b.group_id


def test_learning_answers_are_for_leads_and_only_once(db_session):
    a, b = _wind(db_session)
    [suggestion] = _pending(db_session)
    with pytest.raises(ConflictError, match="Only a lead"):
        conflicts.answer_suggestion(db_session, UserFactory(role="reviewer"), suggestion.id, True, "subject")
    lead = UserFactory(role="lead")
    with pytest.raises(ConflictError, match="this subject only or for every subject"):
        conflicts.answer_suggestion(db_session, lead, suggestion.id, True, "planet")
    conflicts.answer_suggestion(db_session, lead, suggestion.id, True, "subject")
    with pytest.raises(ConflictError, match="already answered"):
        conflicts.answer_suggestion(db_session, lead, suggestion.id, False, "subject")
    assert db_session.scalar(sa.select(sa.func.count()).select_from(MeasureEquivalence)) == 1


def test_learning_lead_merge_teaches_other_subjects(db_session):
    lead = UserFactory(role="lead")
    a = _claim("Sylvania has 310 hospitals.", "310", 310, subject="Sylvania", measure="hospitals")
    b = _claim("Sylvania counts 290 medical centres.", "290", 290, subject="Sylvania", measure="medical centres")
    _detect(db_session, a, b)
    assert a.group_id != b.group_id
    conflicts.merge_groups(db_session, lead, a.group_id, b.group_id, "same register", learn_scope="all")
    c = _claim("Freedonia has 41 hospitals.", "41", 41, subject="Freedonia", measure="hospital")
    d = _claim("Freedonia counts 45 medical centres.", "45", 45, subject="Freedonia", measure="medical centre")
    _detect(db_session, c, d)
    assert c.group_id == d.group_id and c.conflict_open


def test_learning_reviewer_merge_teaches_nothing(db_session):
    a = _claim("Sylvania has 310 hospitals.", "310", 310, subject="Sylvania", measure="hospitals")
    b = _claim("Sylvania counts 290 medical centres.", "290", 290, subject="Sylvania", measure="medical centres")
    _detect(db_session, a, b)
    with pytest.raises(ConflictError, match="Only a lead"):
        conflicts.merge_groups(db_session, UserFactory(), a.group_id, b.group_id, learn_scope="subject")
    conflicts.merge_groups(db_session, UserFactory(), a.group_id, b.group_id)
    assert db_session.scalar(sa.select(sa.func.count()).select_from(MeasureEquivalence)) == 0


def test_learning_lead_split_keeps_measures_apart(db_session):
    lead = UserFactory(role="lead")
    a = _claim("Sylvania's unemployment rate is 4.1%.", "4.1%", 4.1, unit="%", subject="Sylvania",
               measure="unemployment rate")
    b = _claim("Sylvania's rate of unemployment is 6.3%.", "6.3%", 6.3, unit="%", subject="Sylvania",
               measure="rate of unemployment")
    _detect(db_session, a, b)
    assert a.group_id == b.group_id
    conflicts.split_claim(db_session, lead, b.id, "youth rate", learn_scope="subject")
    c = _claim("The rate of unemployment: 6.2%.", "6.2%", 6.2, unit="%", subject="Sylvania",
               measure="rate of unemployment")
    _detect(db_session, c)
    db_session.refresh(a), db_session.refresh(b)
    assert c.group_id == b.group_id != a.group_id
    conflicts.rebuild(db_session)
    db_session.refresh(a), db_session.refresh(c)
    assert c.group_id != a.group_id


def test_learning_suggestion_and_lesson_pages(client, auth, lead, reviewer, db_session):
    _wind(db_session)
    db_session.commit()
    auth.login("rita")
    assert "Same fact?" not in client.get("/conflicts").get_data(as_text=True)
    assert client.get("/conflicts/suggestions").status_code == 403
    assert client.get("/conflicts/learned").status_code == 403
    auth.logout()
    auth.login("lena")
    html = client.get("/conflicts").get_data(as_text=True)
    assert "1 suggestion: same fact?" in html and "installed wind power capacity" in html
    [suggestion] = _pending(db_session)
    token = csrf_token(client, "/conflicts")
    refused = client.post(f"/conflicts/suggestions/{suggestion.id}/answer", data={"csrf_token": token})
    assert refused.status_code == 303
    assert "Answer yes or no." in client.get(refused.headers["Location"]).get_data(as_text=True)
    response = client.post(f"/conflicts/suggestions/{suggestion.id}/answer",
                           data={"csrf_token": token, "answer": "same", "scope": "subject", "note": "same"})
    assert response.status_code == 303
    assert "Answer recorded: the same fact." in client.get(response.headers["Location"]).get_data(as_text=True)
    html = client.get("/conflicts/learned").get_data(as_text=True)
    assert "installed wind power capacity <strong>=</strong> wind power capacity" in html
    lesson = db_session.scalar(sa.select(MeasureEquivalence))
    response = client.post(f"/conflicts/learned/{lesson.id}/undo", data={"csrf_token": csrf_token(client, "/conflicts/learned")})
    assert "Lesson undone" in client.get(response.headers["Location"]).get_data(as_text=True)
    db_session.expire_all()
    assert db_session.get(MeasureEquivalence, lesson.id).undone_at is not None
    assert db_session.scalar(sa.select(sa.func.count()).select_from(ConflictGroup).where(ConflictGroup.status == "open")) == 0


def test_learning_same_answer_sent_twice_says_it_was_recorded(client, auth, lead, db_session):
    """A double click on "Answer": the lead's own answer stands, and the page does not say nothing was saved."""
    _wind(db_session)
    [suggestion] = _pending(db_session)
    db_session.commit()
    auth.login("lena")
    data = {"csrf_token": csrf_token(client, "/conflicts/suggestions"), "answer": "same", "scope": "subject",
            "next": "suggestions"}
    first = client.post(f"/conflicts/suggestions/{suggestion.id}/answer", data=data)
    assert "Answer recorded: the same fact." in client.get(first.headers["Location"]).get_data(as_text=True)
    again = client.post(f"/conflicts/suggestions/{suggestion.id}/answer", data=data)
    html = client.get(again.headers["Location"]).get_data(as_text=True)
    assert "That answer was already recorded." in html and "nothing was saved" not in html
    assert db_session.scalar(sa.select(sa.func.count()).select_from(MeasureEquivalence)) == 1
    other = client.post(f"/conflicts/suggestions/{suggestion.id}/answer", data={**data, "answer": "different"})
    assert "already answered" in client.get(other.headers["Location"]).get_data(as_text=True)
