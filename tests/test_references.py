"""Reference sources: importing trusted figures, claims' standing against them, the queue and the one-step resolution."""
from datetime import date, datetime, timezone
from pathlib import Path

import io

import pytest
import sqlalchemy as sa

from claimtrack import conflicts, queue, references, review
from claimtrack.conflicts import ConflictError, StaleGroupError
from claimtrack.ingest import ingest
from claimtrack.sources import find_documents, read_document
from models import (
    REVIEWABLE_FIELDS, AuditEvent, Claim, ConflictGroup, Document, ReferenceFigure, ReferenceSource, Resolution, User,
    utcnow,
)

from .conftest import csrf_token
from .factories import ClaimFactory, DocumentFactory, UserFactory

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
EXAMPLE = SEEDS / "references" / "official_figures.csv"
NOW = datetime(2026, 1, 5, 12, 0, tzinfo=timezone.utc)
HEADER = "entity,measure,period,value,unit,source_url,note\r\n"


def _lead():
    return UserFactory(role="lead")


def _import(session, text: str, name: str = "Statistics office", user=None, url: str = ""):
    return references.import_references(session, text, name, user or _lead(), NOW, url=url)


def _claim(text: str, quote: str, value: float, published: date | None = None, **fields) -> Claim:
    """A claim on `quote` in a new document with `text`."""
    document = DocumentFactory(text=text, published=published)
    return ClaimFactory(document=document, quote_text=quote, value=value, **fields)


def _standing(session, claim: Claim) -> tuple[str, int | None]:
    session.refresh(claim)
    return claim.reference_standing, claim.reference_figure_id


# The example file and the seeds.

@pytest.fixture
def seeded(db_session):
    """The seed documents ingested, as `claimtrack ingest seeds/` stores them."""
    for found in find_documents([SEEDS]):
        ingest(db_session, read_document(found.path))
    db_session.flush()
    return db_session


def _seed_claims(session, standing: str) -> set[tuple[str, str]]:
    return set(session.execute(
        sa.select(Document.file_name, Claim.quote).join(Document).where(Claim.reference_standing == standing)).all())


def test_references_example_file_flags_the_seed_claims_it_contradicts_and_none_it_agrees_with(seeded):
    report = _import(seeded, EXAMPLE.read_text(encoding="utf-8"), "Official statistics")
    assert report.written and report.created == 7 and not report.errors
    # Gansu's sister cities and international air cargo routes: the figures are 69 and 21, and the
    # governor's article (the seed documents disagree with each other there too) says 66 and 16.
    assert _seed_claims(seeded, "contradicts") == {
        ("000_d94bbb72c10ca173.txt", "66"), ("000_d94bbb72c10ca173.txt", "16"),
    }
    assert _seed_claims(seeded, "matches") == {
        ("000_d94bbb72c10ca173.txt", "RMB 1.19 trillion"), ("000_d94bbb72c10ca173.txt", "RMB 6.47 billion"),
        ("000_d94bbb72c10ca173.txt", "RMB 49.17 billion"), ("000_d94bbb72c10ca173.txt", "6.4%"),
        ("001_4ba3201505e0714d.txt", "69"), ("001_4ba3201505e0714d.txt", "21"),
        ("002_62a1d6949960570b.txt", "8,700 km"),
    }
    assert (report.contradicts, report.matches) == (2, 7)
    # Each flagged claim names the figure it disagrees with.
    for claim in seeded.scalars(sa.select(Claim).where(Claim.reference_standing == "contradicts")):
        figure = seeded.get(ReferenceFigure, claim.reference_figure_id)
        assert figure.measure_key == conflicts.compare.fold_case_and_plurals(claim.measure)
        assert figure.value != claim.value


def test_references_example_file_leaves_conflict_detection_as_it_was(seeded):
    before = seeded.execute(sa.select(ConflictGroup.key).where(ConflictGroup.status == "open")).scalars().all()
    _import(seeded, EXAMPLE.read_text(encoding="utf-8"), "Official statistics")
    conflicts.rebuild(seeded)
    after = seeded.execute(sa.select(ConflictGroup.key).where(ConflictGroup.status == "open")).scalars().all()
    assert len(before) == 2 and sorted(after) == sorted(before)


def test_references_example_file_is_not_read_as_a_document():
    found = [f.path for f in find_documents([SEEDS])]
    assert len(found) == 5 and all(path.parent == SEEDS for path in found)


def test_references_seed_document_stored_after_the_import_is_matched(db_session):
    _import(db_session, EXAMPLE.read_text(encoding="utf-8"), "Official statistics")
    for found in find_documents([SEEDS]):
        ingest(db_session, read_document(found.path))
    assert ("001_4ba3201505e0714d.txt", "69") in _seed_claims(db_session, "matches")
    assert ("000_d94bbb72c10ca173.txt", "66") in _seed_claims(db_session, "contradicts")


# Matching, in other words than the seeds'.

def test_references_rephrased_measure_meets_the_claim(db_session):
    claim = _claim("Ruritania's rate of unemployment was 7.9% in 2021.", "7.9%", 7.9, unit="%",
                   subject="Ruritania", measure="rate of unemployment", period_start=date(2021, 1, 1),
                   period_end=date(2021, 12, 31))
    _import(db_session, HEADER + "Ruritania,unemployment rate,2021,7.9,percent,https://stats.example.org/lfs,\r\n")
    assert _standing(db_session, claim)[0] == "matches"


def test_references_other_measure_other_period_or_currency_meet_nothing(db_session):
    urban = _claim("Ruritania has an urban population of 2.1 million.", "2.1 million", 2_100_000,
                   subject="Ruritania", measure="urban population", period_start=date(2020, 1, 1),
                   period_end=date(2020, 12, 31))
    later = _claim("Ruritania had 2.9 million people in 2024.", "2.9 million", 2_900_000,
                   subject="Ruritania", measure="population", period_start=date(2024, 1, 1),
                   period_end=date(2024, 12, 31))
    dollars = _claim("Ruritania's budget was USD 4 billion in 2020.", "USD 4 billion", 4e9, unit="USD",
                     subject="Ruritania", measure="budget", period_start=date(2020, 1, 1), period_end=date(2020, 12, 31))
    _import(db_session, HEADER
            + "Ruritania,population,2020,\"2,480,112\",,https://stats.example.org/census,\r\n"
            + "Ruritania,budget,2020,5000000000,EUR,https://finance.example.org/budget,\r\n")
    assert [_standing(db_session, c)[0] for c in (urban, later, dollars)] == ["", "", ""]


def test_references_values_agree_within_the_claims_stated_precision(db_session):
    period = {"period_start": date(2020, 1, 1), "period_end": date(2020, 12, 31)}
    rounded = _claim("Some 2.5 million people lived in Ruritania in 2020.", "2.5 million", 2_500_000,
                     subject="Ruritania", measure="population", **period)
    wrong = _claim("Ruritania counted 2.7 million inhabitants in 2020.", "2.7 million", 2_700_000,
                   subject="Ruritania", measure="population", **period)
    at_least = _claim("More than 2 million people lived in Ruritania in 2020.", "More than 2 million", 2_000_000,
                      qualifier=">", subject="Ruritania", measure="population", **period)
    _import(db_session, HEADER + "Ruritania,population,2020,\"2,480,112\",,https://stats.example.org/census,\r\n")
    assert [_standing(db_session, c)[0] for c in (rounded, wrong, at_least)] == ["matches", "contradicts", "matches"]


def test_references_units_of_one_dimension_are_converted(db_session):
    claim = _claim("The Ruritanian main line is 62.1 miles long.", "62.1 miles", 62.1, unit="mi",
                   subject="Ruritania", measure="main line length", period_start=date(2022, 1, 1),
                   period_end=date(2022, 12, 31))
    _import(db_session, HEADER + "Ruritania,main line length,2022,100,kilometres,https://rail.example.org/,\r\n")
    assert _standing(db_session, claim)[0] == "matches"


def test_references_unstated_period_meets_the_latest_figure_by_publication(db_session):
    claim = _claim("The Ruritanian capital has 41 sister cities.", "41", 41, published=date(2023, 6, 1),
                   subject="Ruritania", measure="sister cities")
    text = (HEADER + "Ruritania,sister cities,2021,38,,https://mfa.example.org/twinning,\r\n"
            + "Ruritania,sister cities,2023,41,,https://mfa.example.org/twinning,\r\n"
            + "Ruritania,sister cities,2025,45,,https://mfa.example.org/twinning,\r\n")
    _import(db_session, text)
    standing, figure_id = _standing(db_session, claim)
    assert standing == "matches" and db_session.get(ReferenceFigure, figure_id).period_start == date(2023, 1, 1)


def test_references_correction_matches_again(db_session):
    reviewer = UserFactory()
    claim = _claim("Ruritania's rate of unemployment was 9.7% in 2021.", "9.7%", 9.7, unit="%",
                   subject="Ruritania", measure="rate of unemployment", period_start=date(2021, 1, 1),
                   period_end=date(2021, 12, 31))
    _import(db_session, HEADER + "Ruritania,unemployment rate,2021,7.9,%,https://stats.example.org/lfs,\r\n")
    assert _standing(db_session, claim)[0] == "contradicts"
    values = {name: getattr(claim, name) for name in REVIEWABLE_FIELDS} | {"value": 7.9}
    review.decide(db_session, claim, reviewer, "correct", version=claim.version, now=utcnow(), values=values,
                  check_lease=False)
    assert _standing(db_session, claim)[0] == "matches"


# Importing.

def test_references_same_new_source_imported_twice_at_once_is_made_once(fresh_database):
    """Two leads import the same file as a new source at the same moment: one source, its figures once, no error."""
    import threading

    from claimtrack import accounts
    from claimtrack.database import make_engine, make_sessionmaker

    from .conftest import PASSWORD
    from .threads import run_in_threads

    engine = make_engine(fresh_database)
    factory = make_sessionmaker(engine)
    with factory() as session:
        accounts.create_user(session, "lena", PASSWORD, "lead")
        session.commit()
    text = HEADER + "Gansu,international sister cities,2023,66,,https://example.org/a,\n"
    start = threading.Barrier(2, timeout=10)
    reports = []

    def send(_n):
        with factory() as session:
            start.wait()
            lead = session.scalar(sa.select(User).where(User.username == "lena"))
            reports.append(references.import_references(session, text, "Statistics office", lead, NOW))
            session.commit()

    try:
        run_in_threads(send, range(2), timeout=60)
        with factory() as session:
            assert session.scalar(sa.select(sa.func.count()).select_from(ReferenceSource)) == 1
            assert session.scalar(sa.select(sa.func.count()).select_from(ReferenceFigure)) == 1
        assert sorted((r.created, r.unchanged, r.errors) for r in reports) == [(0, 1, []), (1, 0, [])]
    finally:
        engine.dispose()


def test_references_bad_rows_are_each_reported_and_nothing_is_written(db_session):
    text = (HEADER
            + "Ruritania,population,2020,\"2,480,112\",,https://stats.example.org/census,\r\n"
            + "Ruritania,,2020,12,,https://stats.example.org/,\r\n"
            + "Ruritania,exports,2020,lots,USD,https://stats.example.org/,\r\n"
            + "Ruritania,exports,2020-12-31..2020-01-01,5,USD,https://stats.example.org/,\r\n"
            + "Ruritania,area,2020,5,furlongs squared,javascript:alert(1),\r\n"
            + "Ruritania,population,2020,2480112,,https://stats.example.org/census,\r\n")
    report = _import(db_session, text)
    assert not report.written
    reasons = {e.line: e.reason for e in report.errors}
    assert set(reasons) == {3, 4, 5, 6, 7}
    assert "measure is missing" in reasons[3]
    assert "bad value" in reasons[4]
    assert "ends" in reasons[5] and "before it starts" in reasons[5]
    assert "bad unit" in reasons[6] and "bad source_url" in reasons[6]
    assert "same figure" in reasons[7] and "line 2" in reasons[7]
    assert db_session.scalar(sa.select(sa.func.count()).select_from(ReferenceSource)) == 0
    assert db_session.scalar(sa.select(sa.func.count()).select_from(ReferenceFigure)) == 0


@pytest.mark.parametrize("header, reason", [
    ("entity,measure,value,unit,source_url\r\n", "missing column: period"),
    ("entity,measure,period,value,unit,source_url,colour\r\n", "unknown column: colour"),
    ("", "empty"),
])
def test_references_bad_header_is_refused(db_session, header, reason):
    report = _import(db_session, header + "Ruritania,population,2020,1,,https://stats.example.org/\r\n" * bool(header))
    assert not report.written and reason in report.errors[0].reason


def test_references_start_and_end_columns_give_the_period(db_session):
    text = ("entity,measure,period_start,period_end,value,unit,source_url\r\n"
            "Ruritania,exports,2024-01-01,2024-09-30,\"1,250\",USD,https://customs.example.org/\r\n")
    report = _import(db_session, text)
    figure = db_session.scalar(sa.select(ReferenceFigure))
    assert report.written and (figure.period_start, figure.period_end, figure.value) == (
        date(2024, 1, 1), date(2024, 9, 30), 1250.0)


def test_references_reimport_changes_nothing_then_follows_the_file(db_session):
    lead = _lead()
    claim = _claim("Ruritania counted 2.7 million inhabitants in 2020.", "2.7 million", 2_700_000,
                   subject="Ruritania", measure="population", period_start=date(2020, 1, 1),
                   period_end=date(2020, 12, 31))
    first = HEADER + "Ruritania,population,2020,\"2,480,112\",,https://stats.example.org/census,\r\n"
    assert _import(db_session, first, user=lead).created == 1
    assert _standing(db_session, claim)[0] == "contradicts"
    again = _import(db_session, first, user=lead)
    assert (again.created, again.updated, again.unchanged, again.removed) == (0, 0, 1, 0)
    revised = HEADER + "Ruritania,population,2020,\"2,702,000\",,https://stats.example.org/census-revised,\r\n"
    report = _import(db_session, revised, user=lead)
    assert (report.created, report.updated, report.removed, report.matches) == (0, 1, 0, 1)
    assert _standing(db_session, claim)[0] == "matches"
    other = HEADER + "Ruritania,exports,2020,5,USD,https://customs.example.org/,\r\n"
    report = _import(db_session, other, user=lead)
    assert (report.created, report.removed) == (1, 1)
    assert _standing(db_session, claim) == ("", None)
    assert db_session.scalar(sa.select(sa.func.count()).select_from(ReferenceSource)) == 1
    assert db_session.scalar(sa.select(sa.func.count()).where(AuditEvent.object_type == "reference_source")) == 3


def test_references_import_is_for_leads(db_session):
    report = _import(db_session, HEADER + "Ruritania,exports,2020,5,USD,https://customs.example.org/,\r\n",
                     user=UserFactory(role="reviewer"))
    assert not report.written and "leads" in report.errors[0].reason


# The queue.

def test_references_contradicted_claim_comes_first_in_the_queue(db_session):
    reviewer = UserFactory()
    plain = _claim("Ruritania has 12 universities.", "12", 12, subject="Ruritania", measure="universities")
    disputed_a = _claim("Ruritania has 30 museums.", "30", 30, subject="Ruritania", measure="museums")
    disputed_b = _claim("Ruritania has 31 museums.", "31", 31, subject="Ruritania", measure="museums")
    contradicted = _claim("Ruritania has 9 airports.", "9", 9, subject="Ruritania", measure="airports",
                          published=date(2024, 3, 1))
    conflicts.detect_claims(db_session, [c.id for c in (plain, disputed_a, disputed_b, contradicted)])
    assert disputed_a.conflict_open or db_session.get(Claim, disputed_a.id).conflict_open
    _import(db_session, HEADER + "Ruritania,airports,2023,7,,https://aviation.example.org/,\r\n")
    assert queue.lease_next(db_session, reviewer, NOW, order="confidence") == contradicted.id
    assert queue.lease_next(db_session, UserFactory(), NOW, order="confidence") in (disputed_a.id, disputed_b.id)


# Resolving in favour of the reference.

def _disputed(session):
    """Two documents disagreeing on Ruritania's airports, and a reference siding with the second."""
    wrong = _claim("Ruritania has 9 airports.", "9", 9, subject="Ruritania", measure="airports",
                   published=date(2024, 3, 1))
    right = _claim("Ruritania operates 7 airports.", "7", 7, subject="Ruritania", measure="airports",
                   published=date(2024, 5, 1))
    conflicts.detect_claims(session, [wrong.id, right.id])
    _import(session, HEADER + "Ruritania,airports,2023,7,,https://aviation.example.org/airports,Civil aviation yearbook\r\n",
            name="Civil aviation authority")
    session.refresh(wrong)
    return wrong, right, session.get(ConflictGroup, wrong.group_id)


def test_references_lead_resolves_in_favour_of_the_reference_and_can_undo(db_session):
    lead = _lead()
    wrong, right, group = _disputed(db_session)
    assert group.status == "open"
    resolution = conflicts.resolve_by_reference(db_session, lead, group.id, group.version)
    db_session.refresh(wrong)
    db_session.refresh(right)
    db_session.refresh(group)
    assert (wrong.rank, right.rank, group.status) == ("deprecated", "preferred", "resolved")
    assert "Civil aviation authority" in wrong.rank_reason and "https://aviation.example.org/airports" in wrong.rank_reason
    assert wrong.value == 9 and wrong.reference_standing == "contradicts"
    assert resolution.decision == "reference" and "https://aviation.example.org/airports" in resolution.note
    assert resolution.details["references"][0]["source"] == "Civil aviation authority"
    assert not db_session.get(Claim, wrong.id).conflict_open
    conflicts.undo_resolution(db_session, lead, resolution.id)
    db_session.refresh(wrong)
    db_session.refresh(group)
    assert (wrong.rank, wrong.rank_reason, group.status) == ("normal", "", "open")


def test_references_one_step_resolution_is_refused_when_stale_unneeded_or_not_a_lead(db_session):
    wrong, right, group = _disputed(db_session)
    with pytest.raises(ConflictError, match="lead"):
        conflicts.resolve_by_reference(db_session, UserFactory(), group.id, group.version)
    with pytest.raises(StaleGroupError):
        conflicts.resolve_by_reference(db_session, _lead(), group.id, group.version - 1)
    lonely = _claim("Ruritania has 12 universities.", "12", 12, subject="Ruritania", measure="universities")
    conflicts.detect_claims(db_session, [lonely.id])
    db_session.refresh(lonely)
    with pytest.raises(ConflictError, match="nothing to resolve"):
        conflicts.resolve_by_reference(db_session, _lead(), lonely.group_id,
                                       db_session.get(ConflictGroup, lonely.group_id).version)
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Resolution)) == 0


# Pages and commands.

def test_references_claim_page_shows_the_badge_and_the_leads_button(client, auth, db_session, lead, reviewer):
    wrong, right, group = _disputed(db_session)
    db_session.commit()
    auth.login("rita")
    html = client.get(f"/claims/{wrong.id}").get_data(as_text=True)
    assert "contradicts reference" in html and "https://aviation.example.org/airports" in html
    assert "resolve-by-reference" not in html
    assert "matches reference" in client.get(f"/claims/{right.id}").get_data(as_text=True)
    token = csrf_token(client, f"/conflicts/{group.id}")
    refused = client.post(f"/conflicts/{group.id}/resolve-by-reference",
                          data={"csrf_token": token, "version": group.version})
    assert refused.status_code == 403
    auth.logout()
    auth.login("lena")
    html = client.get(f"/claims/{wrong.id}").get_data(as_text=True)
    assert 'id="resolve-by-reference"' in html
    token = csrf_token(client, f"/claims/{wrong.id}")
    done = client.post(f"/conflicts/{group.id}/resolve-by-reference",
                       data={"csrf_token": token, "version": group.version, "claim_id": wrong.id})
    assert done.status_code == 303 and done.headers["Location"].endswith(f"/claims/{wrong.id}")
    html = client.get(f"/claims/{wrong.id}").get_data(as_text=True)
    assert "deprecated" in html and "contradicts reference Civil aviation authority" in html
    group_page = client.get(f"/conflicts/{group.id}").get_data(as_text=True)
    assert "in favour of the reference" in group_page and 'id="resolve-by-reference"' not in group_page


def test_references_upload_page_reports_bad_rows_and_imports_good_files(client, auth, db_session, lead, reviewer):
    auth.login("rita")
    assert client.get("/references").status_code == 403
    auth.logout()
    auth.login("lena")
    token = csrf_token(client, "/references")
    bad = HEADER + "Ruritania,exports,20x0,5,USD,https://customs.example.org/,\r\n"
    response = client.post("/references", data={"csrf_token": token, "name": "Customs",
                                                "file": (io.BytesIO(bad.encode()), "figures.csv")})
    assert response.status_code == 400 and "line 2: bad period" in response.get_data(as_text=True)
    assert db_session.scalar(sa.select(sa.func.count()).select_from(ReferenceSource)) == 0
    good = HEADER + "Ruritania,exports,2020,5,USD,https://customs.example.org/,\r\n"
    response = client.post("/references", data={"csrf_token": token, "name": "Customs",
                                                "url": "https://customs.example.org/",
                                                "file": (io.BytesIO(good.encode()), "figures.csv")})
    assert response.status_code == 303
    page = client.get("/references").get_data(as_text=True)
    assert "Customs" in page and "Imported Customs: 1 new" in page


def test_references_commands_import_list_and_refuse_bad_files(runner, db_session, lead, reviewer, tmp_path):
    path = tmp_path / "figures.csv"
    path.write_text(HEADER + "Ruritania,exports,2020,5,USD,https://customs.example.org/,\r\n", encoding="utf-8")
    refused = runner.invoke(args=["references", "import", str(path), "--name", "Customs", "--user", "rita"])
    assert refused.exit_code != 0 and "not an active lead" in refused.output
    done = runner.invoke(args=["references", "import", str(path), "--name", "Customs", "--user", "lena"])
    assert done.exit_code == 0 and "1 new" in done.output
    again = runner.invoke(args=["references", "import", str(path), "--name", "Customs", "--user", "lena"])
    assert again.exit_code == 0 and "0 new, 0 updated, 1 unchanged" in again.output
    assert "Customs\t1 figures" in runner.invoke(args=["references", "list"]).output
    path.write_text(HEADER + "Ruritania,exports,2020,five,USD,https://customs.example.org/,\r\n", encoding="utf-8")
    bad = runner.invoke(args=["references", "import", str(path), "--name", "Customs", "--user", "lena"])
    assert bad.exit_code == 1 and "line 2: bad value" in bad.output and "nothing was imported" in bad.output
    assert db_session.scalar(sa.select(ReferenceFigure.value)) == 5
    assert runner.invoke(args=["references", "match"]).exit_code == 0


def test_references_api_imports_for_leads_and_refuses_bad_rows(client, db_session, lead, reviewer):
    from claimtrack import tokens

    _, lead_secret = tokens.create(db_session, lead, "script", utcnow())
    _, reviewer_secret = tokens.create(db_session, reviewer, "script", utcnow())
    db_session.commit()
    body = HEADER + "Ruritania,exports,2020,5,USD,https://customs.example.org/,\r\n"

    def post(secret, text, name="Customs"):
        return client.post(f"/api/v1/references?name={name}", data=text.encode(), content_type="text/csv",
                           headers={"Authorization": f"Bearer {secret}"})

    assert post(reviewer_secret, body).status_code == 403
    done = post(lead_secret, body)
    assert done.status_code == 200 and done.json["created"] == 1 and done.json["written"]
    assert post(lead_secret, body).json["unchanged"] == 1
    bad = post(lead_secret, body.replace(",5,", ",five,"))
    assert bad.status_code == 422 and bad.json["rows"][0]["line"] == 2 and "bad value" in bad.json["rows"][0]["reason"]
    assert db_session.scalar(sa.select(ReferenceFigure.value)) == 5


def test_references_rescoped_claim_is_matched_again(db_session):
    from claimtrack.conflicts import Rescope

    wrong, right, group = _disputed(db_session)
    assert wrong.reference_standing == "contradicts"
    conflicts.resolve_group(db_session, UserFactory(), group.id, group.version, "all_right", "different years", rescopes=[
        Rescope(wrong.id, date(2019, 1, 1), date(2019, 12, 31), wrong.subject, wrong.measure),
        Rescope(right.id, date(2023, 1, 1), date(2023, 12, 31), right.subject, right.measure),
    ])
    assert _standing(db_session, wrong) == ("", None)
    assert _standing(db_session, right)[0] == "matches"


def test_references_lone_contradicted_claim_is_resolved_in_favour_of_the_reference(db_session):
    lead = _lead()
    claim = _claim("Ruritania has 9 airports.", "9", 9, subject="Ruritania", measure="airports",
                   published=date(2024, 3, 1))
    conflicts.detect_claims(db_session, [claim.id])
    _import(db_session, HEADER + "Ruritania,airports,2023,7,,https://aviation.example.org/airports,\r\n")
    db_session.refresh(claim)
    group = db_session.get(ConflictGroup, claim.group_id)
    assert group.status == "consistent" and claim.reference_standing == "contradicts"
    conflicts.resolve_by_reference(db_session, lead, group.id, group.version, note="The yearbook counts 7.")
    db_session.refresh(claim)
    db_session.refresh(group)
    assert (claim.rank, group.status) == ("deprecated", "resolved")
    assert db_session.scalar(sa.select(Resolution.note)) == "The yearbook counts 7."
    # Deprecated, it leaves the queue; the reference it contradicts is still shown.
    assert queue.lease_next(db_session, UserFactory(), NOW) is None
    assert references.standing_of(db_session, claim).figure.value == 7


def test_references_entity_written_otherwise_meets_the_claims_of_its_canonical_key(db_session):
    claim = _claim("Ghana's cocoa output reached 800,000 tonnes in 2022.", "800,000 tonnes", 800_000, unit="t",
                   subject="Ghana", measure="cocoa output", period_start=date(2022, 1, 1), period_end=date(2022, 12, 31))
    _import(db_session, HEADER + "Republic of Ghana,cocoa output,2022,\"654,000\",tonnes,https://cocobod.example.org/,\r\n")
    standing, figure_id = _standing(db_session, claim)
    assert standing == "contradicts"
    assert db_session.get(ReferenceFigure, figure_id).subject_key == claim.subject_key == "country:GH"


def test_references_standing_is_hidden_from_a_blind_second_reviewer(db_session):
    from claimtrack.second_review import Blinded

    claim = _claim("Ruritania has 9 airports.", "9", 9, subject="Ruritania", measure="airports")
    _import(db_session, HEADER + "Ruritania,airports,2023,7,,https://aviation.example.org/airports,\r\n")
    db_session.refresh(claim)
    assert claim.reference_standing == "contradicts"
    assert Blinded(claim).reference_standing == "" and Blinded(claim).reference_figure_id is None
