"""The leads' dashboard: tallies kept on write, recounted the same, date ranges, the page."""
from collections import Counter
from datetime import date, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from claimtrack import dashboard, review, schema
from claimtrack.database import make_engine
from models import DocumentDay, ReasonDay, ReviewerDay, TimingDay

from .factories import ClaimFactory, DocumentFactory, UserFactory

MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


def _tallies(session) -> dict:
    return {model.__tablename__: sorted(tuple(row) for row in session.execute(sa.select(*model.__table__.c)))
            for model in dashboard.TALLIES}


@pytest.fixture
def worked(db_session):
    """Two reviewers' morning over two documents: decisions 40 s and 90 s apart, a break, rejections."""
    first = DocumentFactory(text="The port moved 66 ships, 16 barges, 5 tugs, 7 ferries and 9 yachts.")
    second = DocumentFactory(text="The county has 66 schools and 16 clinics.")
    claims = [ClaimFactory(document=first, quote_text=q, value=float(q)) for q in ("66", "16", "5", "7", "9")]
    claims += [ClaimFactory(document=second, quote_text=q, value=float(q)) for q in ("66", "16")]
    rosa, otto = UserFactory(username="rosa"), UserFactory(username="otto")
    db_session.flush()
    plan = [(rosa, claims[0], "verify", "", 0), (rosa, claims[1], "reject", "Not a quantity.", 40),
            (rosa, claims[2], "reject", "not a  quantity", 130), (rosa, claims[5], "verify", "", 3600),
            (otto, claims[3], "needs_info", "Which year?", 10), (otto, claims[6], "skip", "", 20),
            (otto, claims[4], "reject", "Duplicate of another claim", 50)]
    for user, claim, decision, note, seconds in plan:
        review.decide(db_session, claim, user, decision, version=claim.version, note=note,
                      now=MONDAY + timedelta(seconds=seconds), check_lease=False)
    db_session.commit()
    return rosa, otto, first, second


def test_dashboard_counts_reviews_as_they_are_written(db_session, worked):
    rosa, otto, first, second = worked
    board = dashboard.build(db_session, dashboard.DateRange(MONDAY.date(), MONDAY.date()))
    by_name = {row.name: row for row in board.reviewers}
    assert by_name["rosa"].kinds == Counter(verify=2, reject=2)
    assert by_name["otto"].kinds == Counter(needs_info=1, skip=1, reject=1)
    # rosa: 40 s and 90 s between decisions, then an hour's break that is not timed.
    assert by_name["rosa"].median_seconds == 40
    # otto's first decision has nothing before it; his reject came 30 s after his skip.
    assert by_name["otto"].median_seconds == 30
    assert board.reasons == [("not a quantity", 2), ("duplicate of another claim", 1)]
    by_document = {row.id: row for row in board.documents}
    assert by_document[first.id].kinds == Counter(verify=1, reject=3, needs_info=1)
    assert by_document[second.id].kinds == Counter(verify=1, skip=1)
    assert board.totals["reject"] == 3 and board.median_seconds == 40  # of 30, 40 and 90 s


def test_dashboard_rebuild_recounts_the_same_tallies(db_session, worked):
    kept = _tallies(db_session)
    assert kept["tally_timing_days"], "decisions were timed"
    assert dashboard.rebuild(db_session) == 7
    assert _tallies(db_session) == kept


def test_dashboard_range_leaves_out_other_days(db_session, worked):
    board = dashboard.build(db_session, dashboard.DateRange(MONDAY.date() + timedelta(days=1), date(2026, 3, 9)))
    assert board.reviewers == [] and board.documents == [] and board.reasons == [] and board.median_seconds is None


def test_dashboard_undo_counts_as_its_own_kind(db_session, worked):
    rosa = worked[0]
    review.undo_own(db_session, rosa, MONDAY + timedelta(seconds=3660))
    db_session.commit()
    board = dashboard.build(db_session, dashboard.DateRange(MONDAY.date(), MONDAY.date()))
    assert {row.name: row for row in board.reviewers}["rosa"].kinds["undo"] == 1


@pytest.mark.parametrize("start, end, message", [
    ("2026-13-01", "", "start must be a date written like 2026-12-01, not '2026-13-01'"),
    ("", "yesterday", "end must be a date written like 2026-12-01, not 'yesterday'"),
    ("2026-03-05", "2026-03-01", "the end date is before the start date"),
    ("2024-01-01", "2026-03-01", "a range covers at most 366 days"),
])
def test_dashboard_range_refused_with_why(start, end, message):
    with pytest.raises(dashboard.RangeError) as refused:
        dashboard.parse_range(start, end, date(2026, 3, 2))
    assert str(refused.value) == message


def test_dashboard_range_defaults_to_the_last_thirty_days():
    assert dashboard.parse_range(None, "", date(2026, 3, 30)) == dashboard.DateRange(date(2026, 3, 1), date(2026, 3, 30))


def test_dashboard_page_for_leads_with_a_clear_400(client, auth, lead, reviewer, worked):
    auth.login("rita")
    assert client.get("/dashboard").status_code == 403
    auth.logout()
    auth.login("lena")
    html = client.get("/dashboard?start=2026-03-02&end=2026-03-02").get_data(as_text=True)
    assert '<tr data-reviewer="rosa"><td>rosa</td><td class="num" data-kind="verify">2</td>' in html
    assert "<td>not a quantity</td><td class=\"num\">2</td>" in html
    bad = client.get("/dashboard?start=2026-03-05&end=2026-03-01")
    assert bad.status_code == 400
    text = bad.get_data(as_text=True)
    assert "Bad date range: the end date is before the start date." in text
    assert 'value="2026-03-05"' in text and 'value="2026-03-01"' in text


def test_dashboard_upgrade_counts_the_reviews_already_there(databases):
    url = databases.create()
    schema.upgrade(url, "0010")
    engine = make_engine(url)
    stamp = "2026-03-02 09:00:00"
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO users (id, username, password_hash, role, active, session_token, created_at) "
            f"VALUES (1, 'rita', 'x', 'reviewer', true, 't', '{stamp}')")
        connection.exec_driver_sql(
            "INSERT INTO documents (id, sha256, file_name, title, author, publisher, source, source_note, media_type,"
            f" text, char_count, extractor_version, ingested_at) VALUES (1, 'x', 'a.txt', 'A', '', '', '', '', "
            f"'text/plain', 'It has 66 cities and 5 ports.', 29, '', '{stamp}')")
        for claim_id, start in ((1, 7), (2, 20)):
            connection.exec_driver_sql(
                "INSERT INTO claims (id, document_id, start, \"end\", quote, prefix, suffix, sentence_start, "
                "sentence_end, value, unit, qualifier, subject, subject_key, measure, measure_variant, kind, "
                "extracted_value, extracted_unit, extracted_qualifier, extracted_subject, extracted_measure, "
                "extracted_kind, measure_text, confidence, extractor_version, status, group_pinned, rank, "
                "rank_reason, conflict_open, version, created_at, updated_at) VALUES "
                f"({claim_id}, 1, {start}, {start + 2}, 'xx', '', '', 0, 29, 1, '', '=', '', '', '', '', 'fact', "
                f"1, '', '=', '', '', 'fact', '', 0.5, '', 'rejected', false, 'normal', '', false, 2, '{stamp}', "
                f"'{stamp}')")
        for review_id, claim_id, when in ((1, 1, "2026-03-02 09:00:00"), (2, 2, "2026-03-02 09:00:45")):
            connection.exec_driver_sql(
                "INSERT INTO reviews (id, claim_id, user_id, decision, note, changes, status_before, status_after, "
                f"created_at) VALUES ({review_id}, {claim_id}, 1, 'reject', 'Not a number', '{{}}', 'pending', "
                f"'rejected', '{when}')")
    engine.dispose()
    schema.upgrade(url)
    engine = make_engine(url)
    with engine.connect() as connection:
        assert connection.execute(sa.select(ReviewerDay.count)).scalars().all() == [2]
        assert connection.execute(sa.select(DocumentDay.count)).scalars().all() == [2]
        assert connection.execute(sa.select(ReasonDay.reason, ReasonDay.count)).all() == [("not a number", 2)]
        assert connection.execute(sa.select(TimingDay.steps)).scalars().all() == [{"45": 1}]
    engine.dispose()


def test_dashboard_rebuild_command_recounts(runner, db_session, worked):
    kept = _tallies(db_session)
    result = runner.invoke(args=["dashboard", "--rebuild"])
    assert result.exit_code == 0, result.output
    assert "counted 7 reviews into the dashboard's tallies" in result.output
    assert _tallies(db_session) == kept
