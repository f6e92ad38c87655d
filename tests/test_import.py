"""Importing claims from JSON Lines and CSV: row-by-row errors, all or nothing, idempotent, the round trip."""
import json
from datetime import datetime, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa

from claimtrack import accounts, importing, review, tokens
from claimtrack.database import make_engine, make_sessionmaker
from claimtrack.export import CsvExport, JsonlExport, export_filter
from claimtrack.ingest import ingest, store
from claimtrack.prepare import PreparedDocument
from claimtrack.sources import read_document
from models import AuditEvent, Claim, Review, User, utcnow

from .conftest import PASSWORD
from .factories import ClaimFactory, DocumentFactory

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
TEXT = "The harbour of Tallinn handled 21.4 million passengers in 2023. Its 41 ferries crossed the bay."
PROBLEM = "application/problem+json"


@pytest.fixture
def harbour(db_session):
    """A document with no claims yet."""
    document = DocumentFactory(text=TEXT, title="Tallinn harbour")
    db_session.commit()
    return document


def _row(document, quote: str = "41", **fields) -> dict:
    start = TEXT.index(quote)
    return {"document_sha256": document.sha256, "start": start, "end": start + len(quote), "quote": quote,
            "value": 41.0, "subject": "Tallinn harbour", "measure": "ferries", **fields}


def _lines(*rows: dict) -> str:
    return "".join(json.dumps(row) + "\n" for row in rows)


def _import(db_session, lead, text: str, fmt: str = "jsonl", **kwargs) -> importing.ImportReport:
    report = importing.import_claims(db_session, text, fmt, lead, NOW, **kwargs)
    db_session.commit()
    return report


def _claims(db_session) -> list[Claim]:
    return list(db_session.scalars(sa.select(Claim).order_by(Claim.id)))


# The module.

def test_import_jsonl_makes_each_claim_with_its_values_status_and_extraction(db_session, lead, harbour):
    rows = [
        _row(harbour, extracted_value=40.0, status="verified", decision="verify", note="checked the annual report",
             origin="extractor", period_start="2023-01-01", period_end="2023-12-31"),
        _row(harbour, "21.4 million", value=21_400_000.0, unit="", measure="passengers", qualifier="~"),
    ]
    report = _import(db_session, lead, _lines(*rows))
    assert (report.rows, report.created, report.unchanged, report.errors, report.written) == (2, 2, 0, [], True)
    ferries, passengers = _claims(db_session)
    assert (ferries.document_id, ferries.quote, ferries.value, ferries.extracted_value) == (harbour.id, "41", 41.0, 40.0)
    assert (ferries.status, ferries.origin, ferries.reviewed_by_id) == ("verified", "extractor", lead.id)
    assert ferries.period_end.isoformat() == "2023-12-31" and ferries.subject_key
    decisions = [(r.decision, r.note, r.changes) for r in db_session.scalars(
        sa.select(Review).where(Review.claim_id == ferries.id).order_by(Review.id))]
    assert decisions == [("add", "Imported.", {}), ("verify", "checked the annual report", {"value": [40.0, 41.0]})]
    assert (passengers.status, passengers.origin, passengers.qualifier) == ("pending", "reviewer", "~")
    assert passengers.extracted_value == passengers.value == 21_400_000.0


def test_import_reports_every_bad_row_and_writes_nothing(db_session, lead, harbour):
    text = "\n".join([
        json.dumps(_row(harbour)),
        json.dumps(_row(harbour, document_sha256="0" * 64)),
        json.dumps(_row(harbour, end=len(TEXT) + 5)),
        json.dumps({**_row(harbour), "quote": "42"}),
        json.dumps(_row(harbour, value="many")),
        json.dumps(_row(harbour, colour="red")),
        "{not json",
        json.dumps(_row(harbour, "21.4 million", value=21.4e6, status="rejected")),
        json.dumps(_row(harbour, "21.4 million", value=21.4e6, status="verified", decision="reject")),
        json.dumps(_row(harbour, "21.4 million", value=2.0, value_max=1.0)),
    ]) + "\n"
    report = _import(db_session, lead, text)
    assert not report.written and report.created == 0
    reasons = {error.line: error.reason for error in report.errors}
    assert sorted(reasons) == [2, 3, 4, 5, 6, 7, 8, 9, 10]
    assert reasons[2].startswith("document unknown: no document has sha256 000")
    assert reasons[3].startswith("span ") and "outside the document's text" in reasons[3]
    assert reasons[4] == "quote '42' does not match the text at 68:70 ('41')"
    assert reasons[5] == "bad value: 'many' is not a number"
    assert reasons[6] == "unknown field: colour"
    assert reasons[7].startswith("not JSON")
    assert reasons[8] == "A reason is required to reject a claim."
    assert reasons[9] == "decision reject does not give status verified"
    assert reasons[10] == "The upper value must be a number not below the value."
    assert _claims(db_session) == []
    assert db_session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == 0


def test_import_deeply_nested_json_is_a_bad_row_not_a_crash(db_session, lead, harbour, client, lead_token):
    text = _lines(_row(harbour)) + "[" * 100_000 + "\n" + '{"a": ' * 50_000 + "\n"
    report = _import(db_session, lead, text)
    assert not report.written and _claims(db_session) == []
    assert [(e.line, e.reason) for e in report.errors] == [(2, "not JSON: nested too deeply"),
                                                          (3, "not JSON: nested too deeply")]
    response = client.post("/api/v1/claims/import", data=text, content_type="application/jsonl", headers=lead_token)
    assert response.status_code == 422 and response.json["rows"][0] == {"line": 2, "reason": "not JSON: nested too deeply"}


def test_import_refuses_more_rows_than_it_takes(db_session, lead, harbour, monkeypatch):
    monkeypatch.setattr(importing, "MAX_ROWS", 1)
    report = _import(db_session, lead, _lines(_row(harbour), _row(harbour, "21.4 million", value=21.4e6)))
    assert [(e.line, e.reason) for e in report.errors] == [(2, "too many rows: an import takes at most 1")]
    assert _claims(db_session) == []


def test_import_by_document_id(db_session, lead, harbour):
    row = _row(harbour)
    del row["document_sha256"]
    report = _import(db_session, lead, _lines({**row, "document_id": harbour.id}, {**row, "document_id": 2147483647}))
    assert [(e.line, e.reason) for e in report.errors] == [(2, "document unknown: there is no document 2147483647")]
    report = _import(db_session, lead, _lines({**row, "document_id": harbour.id}))
    assert report.created == 1 and _claims(db_session)[0].document_id == harbour.id


def test_import_skip_bad_writes_the_good_rows(db_session, lead, harbour):
    report = _import(db_session, lead, _lines(_row(harbour), _row(harbour, kind="guess")), skip_bad=True)
    assert report.written and report.created == 1
    assert [(e.line, e.reason) for e in report.errors] == [(2, "bad kind: 'guess' is not one of fact, target, projection")]
    assert [claim.quote for claim in _claims(db_session)] == ["41"]


def test_import_same_file_twice_changes_nothing(db_session, lead, harbour):
    text = _lines(_row(harbour, status="needs_info", note="which year?"),
                  _row(harbour, "21.4 million", value=21.4e6, subject=" Tallinn  harbour "))
    assert _import(db_session, lead, text).created == 2
    before = [(c.id, c.version, c.status) for c in _claims(db_session)]
    reviews = db_session.scalar(sa.select(sa.func.count()).select_from(Review))
    again = _import(db_session, lead, text)
    assert (again.created, again.unchanged, again.errors) == (0, 2, [])
    assert [(c.id, c.version, c.status) for c in _claims(db_session)] == before
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Review)) == reviews


def test_import_same_file_twice_at_once_makes_each_claim_once(fresh_database, monkeypatch):
    """Two leads send the same file at the same moment: each claim is made once, the second import finds it made."""
    import threading

    from claimtrack import missed

    from .threads import run_in_threads

    engine = make_engine(fresh_database)
    factory = make_sessionmaker(engine)
    with factory() as session:
        accounts.create_user(session, "lena", PASSWORD, "lead")
        document = DocumentFactory.build(text=TEXT, title="Tallinn harbour")
        session.add(document)
        session.commit()
        text = _lines(_row(document, status="verified"))
    # Both imports pause just before making the claim, so each would see the span free if nothing
    # kept the second from looking until the first had committed.
    both_checked = threading.Barrier(2, timeout=3)
    add_claim = missed.add_claim

    def paused(*args, **kwargs):
        try:
            both_checked.wait()
        except threading.BrokenBarrierError:
            pass
        return add_claim(*args, **kwargs)

    monkeypatch.setattr(missed, "add_claim", paused)
    reports = []

    def send(_n):
        with factory() as session:
            lead = session.scalar(sa.select(User).where(User.username == "lena"))
            reports.append(importing.import_claims(session, text, "jsonl", lead, NOW))
            session.commit()

    try:
        run_in_threads(send, range(2), timeout=60)
        with factory() as session:
            assert session.scalar(sa.select(sa.func.count()).select_from(Claim)) == 1
        assert sorted((r.created, r.unchanged, r.errors) for r in reports) == [(0, 1, []), (1, 0, [])]
    finally:
        engine.dispose()


def test_import_refuses_other_values_on_a_claimed_span(db_session, lead, harbour):
    claim = ClaimFactory(document=harbour, quote_text="41", value=41.0, subject="Tallinn harbour", measure="ferries")
    db_session.commit()
    report = _import(db_session, lead, _lines(_row(harbour, value=14.0)))
    assert [(e.line, e.reason) for e in report.errors] == [
        (1, f"claim {claim.id} already covers this span with other values (value: stored 41.0, here 14.0)")]
    assert _import(db_session, lead, _lines(_row(harbour))).unchanged == 1


def test_import_csv_of_the_csv_export(db_session, lead, reviewer, harbour):
    claim = ClaimFactory(document=harbour, quote_text="41", value=41.0, subject="=Tallinn", measure="ferries")
    db_session.flush()
    review.decide(db_session, claim, reviewer, "verify", version=claim.version, now=NOW, values={"value": 42.0},
                  note="per the port", check_lease=False)
    # The same text with a line added at its end: the offsets hold, the sha256 is another.
    copy = DocumentFactory(text=TEXT + "\n")
    db_session.commit()
    csv_text = "".join(CsvExport(db_session, export_filter())).replace(harbour.sha256, copy.sha256)
    assert "'=Tallinn" in csv_text
    report = _import(db_session, lead, csv_text, "csv")
    assert (report.created, report.errors) == (1, [])
    made = db_session.scalar(sa.select(Claim).where(Claim.document_id == copy.id))
    assert (made.subject, made.value, made.extracted_value, made.qualifier) == ("=Tallinn", 42.0, 41.0, "=")
    assert (made.status, made.origin) == ("verified", "extractor")
    assert db_session.scalar(sa.select(Review.note).where(Review.claim_id == made.id, Review.decision == "verify")) \
        == "per the port"


def test_import_csv_unknown_column_and_bad_cells(db_session, lead, harbour):
    report = _import(db_session, lead, "span_start,colour\r\n1,red\r\n", "csv")
    assert [(e.line, e.reason) for e in report.errors] == [(1, "unknown column: colour")]
    text = ("document_sha256,span_start,span_end,quote,value\r\n"
            f"{harbour.sha256},68,70,41,41\r\n"
            f"{harbour.sha256},68,70,\"4\n1\",41\r\n"
            f"{harbour.sha256},x,70,41,41\r\n")
    report = _import(db_session, lead, text, "csv")
    assert [(e.line, e.reason) for e in report.errors] == [
        (3, "quote '4\\n1' does not match the text at 68:70 ('41')"), (5, "bad start: 'x' is not a whole number")]


# The command line.

def test_import_cli_writes_the_file_and_reports(runner, db_session, lead, harbour, tmp_path):
    path = tmp_path / "claims.jsonl"
    path.write_text(_lines(_row(harbour)), encoding="utf-8")
    result = runner.invoke(args=["import", str(path), "--user", "lena"])
    assert result.exit_code == 0, result.output
    assert "imported 1 claims, 0 already there" in result.stderr
    result = runner.invoke(args=["import", str(path), "--user", "lena"])
    assert "imported 0 claims, 1 already there" in result.stderr
    assert len(_claims(db_session)) == 1


def test_import_cli_bad_rows_exit_1_and_write_nothing(runner, db_session, lead, harbour, tmp_path):
    path = tmp_path / "claims.jsonl"
    path.write_text(_lines(_row(harbour), _row(harbour, "21.4 million", value=None)), encoding="utf-8")
    result = runner.invoke(args=["import", str(path), "--user", "lena"])
    assert result.exit_code == 1
    assert "line 2: value is missing" in result.stderr and "nothing was imported" in result.stderr
    assert _claims(db_session) == []
    result = runner.invoke(args=["import", str(path), "--user", "lena", "--skip-bad"])
    assert result.exit_code == 0 and "1 bad rows skipped" in result.stderr
    assert len(_claims(db_session)) == 1


def test_import_cli_csv_by_suffix_and_format_option(runner, db_session, lead, harbour, tmp_path):
    path = tmp_path / "claims.txt"
    path.write_text(f"document_sha256,span_start,span_end,quote,value\r\n{harbour.sha256},68,70,41,41\r\n")
    result = runner.invoke(args=["import", str(path), "--user", "lena", "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert [c.quote for c in _claims(db_session)] == ["41"]


def test_import_cli_needs_a_lead_and_utf8(runner, db_session, reviewer, lead, tmp_path):
    path = tmp_path / "claims.jsonl"
    path.write_bytes(b"\xff\xfe{}")
    result = runner.invoke(args=["import", str(path), "--user", "rita"])
    assert result.exit_code == 2 and "not an active lead" in result.output
    result = runner.invoke(args=["import", str(path), "--user", "lena"])
    assert result.exit_code == 1 and "not UTF-8 (bad byte at offset 0)" in result.stderr


# The API.

@pytest.fixture
def lead_token(db_session, lead):
    _token, secret = tokens.create(db_session, lead, "script", utcnow())
    db_session.commit()
    return {"Authorization": f"Bearer {secret}"}


def test_import_api_writes_jsonl_and_reports(client, db_session, lead_token, harbour):
    response = client.post("/api/v1/claims/import", data=_lines(_row(harbour)), headers=lead_token,
                           content_type="application/jsonl")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json() == {"rows": 1, "created": 1, "unchanged": 0, "written": True, "errors": []}
    assert [c.quote for c in _claims(db_session)] == ["41"]


def test_import_api_bad_rows_are_a_422_problem_and_write_nothing(client, db_session, lead_token, harbour):
    body = _lines(_row(harbour), {**_row(harbour), "quote": "ferries"})
    response = client.post("/api/v1/claims/import", data=body, headers=lead_token, content_type="application/jsonl")
    assert response.status_code == 422 and response.mimetype == PROBLEM
    problem = response.get_json()
    assert problem["status"] == 422 and problem["detail"] == "1 of 2 rows are unusable; nothing was imported."
    assert problem["rows"] == [{"line": 2, "reason": problem["rows"][0]["reason"]}]
    assert "does not match the text" in problem["rows"][0]["reason"]
    assert _claims(db_session) == []
    response = client.post("/api/v1/claims/import?skip_bad=1", data=body, headers=lead_token,
                           content_type="application/jsonl")
    assert response.status_code == 200 and response.get_json()["created"] == 1
    assert response.get_json()["errors"][0]["line"] == 2


def test_import_api_csv_body(client, db_session, lead_token, harbour):
    body = f"document_sha256,span_start,span_end,quote,value\r\n{harbour.sha256},68,70,41,41\r\n"
    response = client.post("/api/v1/claims/import", data=body, headers=lead_token, content_type="text/csv")
    assert response.status_code == 200 and response.get_json()["created"] == 1


def test_import_api_is_for_leads_with_a_known_body_type(client, db_session, reviewer, lead_token, harbour):
    _token, secret = tokens.create(db_session, reviewer, "script", utcnow())
    db_session.commit()
    response = client.post("/api/v1/claims/import", data=_lines(_row(harbour)),
                           headers={"Authorization": f"Bearer {secret}"}, content_type="application/jsonl")
    assert response.status_code == 403 and response.mimetype == PROBLEM
    response = client.post("/api/v1/claims/import", data="<claims/>", headers=lead_token, content_type="text/xml")
    assert response.status_code == 415 and response.mimetype == PROBLEM
    response = client.post("/api/v1/claims/import", data=b"\xff", headers=lead_token, content_type="text/csv")
    assert response.status_code == 400 and "UTF-8" in response.get_json()["detail"]
    assert _claims(db_session) == []


# The round trip.

def _seed_documents() -> list[PreparedDocument]:
    return [PreparedDocument(read_document(path), ()) for path in sorted(SEEDS.glob("*.txt"))]


def _review_some(session, user) -> None:
    """Verify, correct, reject and ask about a few of the seeds' claims, as reviewers do."""
    claims = list(session.scalars(sa.select(Claim).order_by(Claim.id)))[::5][:40]
    for i, claim in enumerate(claims):
        values = {"value": claim.value + 1, "subject": claim.subject + " (corrected)"} if i % 3 == 0 else None
        decision = ("verify", "reject", "needs_info", "correct")[i % 4]
        if decision == "correct" and values is None:
            values = {"measure": "corrected measure"}
        review.decide(session, claim, user, decision, version=claim.version, now=NOW, values=values,
                      note=f"note {i}" if decision != "verify" or i % 2 else "", check_lease=False)
    session.commit()


@pytest.mark.parametrize("filters", [{}, {"status": (), "conflicts": "all"}], ids=["verified", "everything"])
def test_import_round_trip_export_import_export_is_byte_identical(db_session, lead, fresh_database, filters):
    for prepared in _seed_documents():
        ingest(db_session, prepared.source)
    db_session.commit()
    _review_some(db_session, lead)
    exported = "".join(JsonlExport(db_session, export_filter(**filters)))
    assert exported.count("\n") > (100 if filters else 5)
    standing = {(row["status"], row["decision"], row["value"] != row["extracted_value"])
                for row in map(json.loads, exported.splitlines())}
    assert ("verified", "verify", True) in standing
    if filters:
        assert {("rejected", "reject", False), ("needs_info", "needs_info", False), ("pending", "correct", False),
                ("pending", None, False)} <= standing

    engine = make_engine(fresh_database)
    try:
        with make_sessionmaker(engine)() as target:
            for prepared in _seed_documents():
                store(target, prepared)
            importer = accounts.create_user(target, "lena", PASSWORD, "lead")
            target.commit()
            assert target.scalar(sa.select(sa.func.count()).select_from(Claim)) == 0
            report = importing.import_claims(target, exported, "jsonl", importer, NOW)
            target.commit()
            assert report.errors == [] and report.created == exported.count("\n")
            again = "".join(JsonlExport(target, export_filter(**filters)))
            assert again == exported
            assert importing.import_claims(target, exported, "jsonl", importer, NOW).created == 0
    finally:
        engine.dispose()


def test_import_names_every_unusable_field_of_a_row(db_session, lead, harbour):
    report = _import(db_session, lead, _lines(_row(harbour, value=None, period_end="2023-13-01", change="sideways",
                                                    extracted_qualifier="about")))
    assert [(e.line, e.reason) for e in report.errors] == [(1, (
        "value is missing; bad change: 'sideways' is not one of up, down; "
        "bad period_end: '2023-13-01' is not a date; "
        "bad extracted_qualifier: 'about' is not one of =, ~, >, >=, <, <="))]
