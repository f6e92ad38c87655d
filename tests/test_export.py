"""CSV export: columns, quoting, safe cells, filters, round trips, web download and CLI."""
import csv
import io
import json
import re
import sys
from pathlib import Path
from datetime import date, datetime, timezone

import csvw
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from claimtrack import export, review, tokens
from claimtrack.claim_filters import FilterError
from claimtrack.importing import RowProblem, parse_row
from claimtrack.export import (
    COLUMNS, FORMULA_TRIGGERS, JSONL_FIELDS, CsvExport, JsonlExport, export_filter, inert_text, plain_decimal,
)
from models import ConflictGroup, Review, utcnow

from .factories import ClaimFactory, DocumentFactory, UserFactory

HEADER = (
    "claim_id,subject,measure,value,value_max,unit,qualifier,change,period_start,period_end,kind,"
    "status,rank,rank_reason,conflict_group_id,document_title,document_source,document_published,"
    "document_sha256,span_start,span_end,quote,sentence,extracted_value,extracted_unit,reviewed_by,"
    "reviewed_at,review_note,origin,evidence_url,evidence_document_id,evidence_quote,evidence_checked_on,"
    "evidence_method,resolution_note,resolved_by,reviews_required,reviewed_by_second,agreement,uncertainty\r\n"
)

TEXT = "Gansu has forged 66 pairs of international sister city relationships. Trade grew by 5.9% in 2023."

# The first claim is corrected (the machine read 69), the second is plain; inert "'=" is the
# qualifier "=" made safe to open in a spreadsheet. Claim ids are filled in (PostgreSQL
# sequences do not roll back between tests).
FULL_EXPORT = HEADER + (
    "{first},Gansu,international sister cities,66,,pairs,'=,,2023-01-01,2023-12-31,fact,verified,"
    "normal,,,\"Gansu, the \"\"open\"\" province\",https://example.org/gansu,2024-05-01,"
    "a5e5b96a8fc368afc455033f5dd27749538ede94475f90da29a659fcce8697db,17,19,66,"
    "Gansu has forged 66 pairs of international sister city relationships.,69,pairs,rita,"
    "2024-05-02T09:30:15Z,checked against table 3,extractor,,,,,,,,1,,single,\r\n"
    "{second},Gansu,trade growth,5.9,,%,'=,up,2023-01-01,2023-12-31,fact,verified,normal,,,"
    "\"Gansu, the \"\"open\"\" province\",https://example.org/gansu,2024-05-01,"
    "a5e5b96a8fc368afc455033f5dd27749538ede94475f90da29a659fcce8697db,84,88,5.9%,"
    "Trade grew by 5.9% in 2023.,5.9,%,rita,2024-05-02T09:31:00Z,,extractor,,,,,,,,1,,single,0.2\r\n"
)

UTC = timezone.utc


def _export(session, bom: bool = False, page_size: int = export.PAGE_SIZE, **filters) -> str:
    return "".join(CsvExport(session, export_filter(**filters), bom=bom, page_size=page_size))


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def _ids(text: str) -> list[int]:
    return [int(row["claim_id"]) for row in _rows(text)]


@pytest.fixture
def gansu(db_session, reviewer):
    """A document with two verified claims reviewed by rita; the first corrected from 69 to 66."""
    rita = reviewer
    document = DocumentFactory(
        text=TEXT, title='Gansu, the "open" province', source="https://example.org/gansu",
        published=date(2024, 5, 1),
    )
    period = {"period_start": date(2023, 1, 1), "period_end": date(2023, 12, 31)}
    first = ClaimFactory(
        document=document, quote_text="66", sentence_start=0, sentence_end=69, value=66.0,
        extracted_value=69.0, unit="pairs", status="verified", reviewed_by=rita,
        reviewed_at=datetime(2024, 5, 2, 9, 30, 15, 250000, tzinfo=UTC), **period,
    )
    second = ClaimFactory(
        document=document, quote_text="5.9%", sentence_start=70, sentence_end=97, value=5.9,
        uncertainty=0.2, unit="%", change="up", measure="trade growth", status="verified", reviewed_by=rita,
        reviewed_at=datetime(2024, 5, 2, 9, 31, tzinfo=UTC), **period,
    )
    db_session.add_all([
        Review(claim=first, user=rita, decision="verify", note="first look",
               created_at=datetime(2024, 5, 2, 9, 0, tzinfo=UTC)),
        Review(claim=first, user=rita, decision="correct", note="checked against table 3",
               created_at=datetime(2024, 5, 2, 9, 30, tzinfo=UTC)),
        Review(claim=first, user=rita, decision="note", note="a later remark, not a decision",
               created_at=datetime(2024, 5, 2, 9, 40, tzinfo=UTC)),
    ])
    db_session.commit()
    return first, second


def _full_export(gansu) -> str:
    first, second = gansu
    return FULL_EXPORT.format(first=first.id, second=second.id)


def test_export_columns_and_values(db_session, gansu):
    assert _export(db_session) == _full_export(gansu)


def test_export_column_order_is_documented_order(db_session, gansu):
    assert HEADER == ",".join(COLUMNS) + "\r\n"


def test_export_no_matching_claims_is_header_only(db_session, gansu):
    assert _export(db_session, status=("rejected",)) == HEADER


def test_export_empty_database_is_header_only(db_session):
    assert _export(db_session) == HEADER


def test_export_bom_prefixes_utf8_signature(db_session):
    assert _export(db_session, bom=True) == "\ufeff" + HEADER


def test_export_quoting_commas_quotes_newlines_non_ascii(db_session):
    text = 'Le "Grand" Lyon, métropole: 1,4 million d’habitants\r\nsur 534 km². 東京 13 960 000.'
    document = DocumentFactory(text=text, title="Métropole, \"Lyon\"\nrapport", source="")
    ClaimFactory(document=document, quote_text="534 km²", subject='Lyon, "Grand"', unit="km²",
                 measure="área\nsuperficie", status="verified", value=534.0)
    ClaimFactory(document=document, quote_text="東京", subject="東京都", measure="人口",
                 status="verified", value=13960000.0)
    db_session.commit()
    output = _export(db_session)
    assert '"Métropole, ""Lyon""\nrapport"' in output
    assert '"Lyon, ""Grand"""' in output
    rows = _rows(output)
    assert [row["subject"] for row in rows] == ['Lyon, "Grand"', "東京都"]
    assert rows[0]["measure"] == "área\nsuperficie"
    assert rows[0]["sentence"] == text
    assert rows[0]["unit"] == "km²"
    assert rows[1]["value"] == "13960000"


def test_export_formula_cells_neutralised(db_session):
    text = "=HYPERLINK(\"http://evil\") -3.5 degrees, +7 and @SUM(1) plus\tTAB"
    document = DocumentFactory(text=text, title="=1+1", source="@evil")
    claim = ClaimFactory(document=document, quote_text="-3.5", subject="+cmd|' /C calc'!A0",
                         measure="-2+3", value=-3.5, extracted_value=-3.5, value_max=-1.25,
                         unit="\tdegrees", rank_reason="\rbad", status="verified", sentence_start=0)
    db_session.commit()
    row = _rows(_export(db_session))[0]
    assert row["document_title"] == "'=1+1"
    assert row["document_source"] == "'@evil"
    assert row["subject"] == "'+cmd|' /C calc'!A0"
    assert row["measure"] == "'-2+3"
    assert row["quote"] == "'-3.5"
    assert row["unit"] == "'\tdegrees"
    assert row["rank_reason"] == "'\rbad"
    assert row["sentence"] == "'" + text
    # Numbers are data, never altered.
    assert (row["value"], row["value_max"], row["extracted_value"]) == ("-3.5", "-1.25", "-3.5")
    assert row["claim_id"] == str(claim.id)


def test_export_numbers_round_trip_through_csv_and_pandas(db_session):
    values = [1190000000000.0, 0.1 + 0.2, -3.5, 1e-7, 123456789.12345679, 2.5e22, 66.0, 1 / 3]
    document = DocumentFactory(text="a number 1 here")
    for value in values:
        ClaimFactory(document=document, quote_text="1", value=value, extracted_value=value,
                     value_max=value * 2 if value > 0 else None, status="verified")
    db_session.commit()
    output = _export(db_session)
    assert "e" not in "".join(row["value"] for row in _rows(output))
    assert [row["value"] for row in _rows(output)][:2] == ["1190000000000", "0.30000000000000004"]
    assert [float(row["value"]) for row in _rows(output)] == values
    frame = pd.read_csv(io.StringIO(output), keep_default_na=False, na_values=[""])
    assert frame["value"].tolist() == values
    assert frame["extracted_value"].tolist() == values
    assert frame["value_max"].dropna().tolist() == [v * 2 for v in values if v > 0]
    assert frame["subject"].tolist() == ["Gansu"] * len(values)


def test_export_format_number_cases():
    assert plain_decimal(1190000000000.0) == "1190000000000"
    assert plain_decimal(-3.5) == "-3.5"
    assert plain_decimal(1e-7) == "0.0000001"
    assert plain_decimal(1.5e-10) == "0.00000000015"
    assert plain_decimal(1e300) == str(int(1e300))
    assert plain_decimal(None) == ""


def test_export_filter_reviewer(db_session, gansu):
    other = ClaimFactory(status="verified", reviewed_by=UserFactory(username="omar"))
    db_session.commit()
    assert _ids(_export(db_session, reviewer="omar")) == [other.id]
    assert _ids(_export(db_session, reviewer="rita")) == [claim.id for claim in gansu]
    assert _ids(_export(db_session, reviewer="nobody")) == []


def test_export_review_note_is_latest_decision(db_session, gansu):
    rows = _rows(_export(db_session))
    assert [row["review_note"] for row in rows] == ["checked against table 3", ""]


def test_export_extracted_values_always_filled(db_session, gansu):
    rows = _rows(_export(db_session))
    assert [(row["value"], row["extracted_value"]) for row in rows] == [("66", "69"), ("5.9", "5.9")]


def _conflict_claims(db_session):
    """Claims in each conflict situation, keyed by name."""
    groups = {status: ConflictGroup(key=f"k|{status}", subject="Gansu", measure="m", status=status)
              for status in ("open", "resolved", "unresolved", "consistent")}
    db_session.add_all(groups.values())
    db_session.flush()
    claims = {
        "alone": ClaimFactory(status="verified"),
        "preferred": ClaimFactory(status="verified", group_id=groups["resolved"].id, rank="preferred"),
        "deprecated": ClaimFactory(status="verified", group_id=groups["resolved"].id, rank="deprecated"),
        "open": ClaimFactory(status="verified", group_id=groups["open"].id, conflict_open=True),
        "unresolved": ClaimFactory(status="verified", group_id=groups["unresolved"].id),
        "consistent": ClaimFactory(status="verified", group_id=groups["consistent"].id),
    }
    db_session.commit()
    return {name: claim.id for name, claim in claims.items()}


@pytest.mark.parametrize("conflicts, expected", [
    ("settled", ["alone", "preferred", "consistent"]),
    ("all", ["alone", "preferred", "deprecated", "open", "unresolved", "consistent"]),
    ("preferred", ["preferred"]),
])
def test_export_filter_conflicts(db_session, conflicts, expected):
    ids = _conflict_claims(db_session)
    assert _ids(_export(db_session, conflicts=conflicts)) == [ids[name] for name in expected]


def _filter_claims(db_session):
    """Claims differing in one attribute each from a verified, unreviewed 2023 fact."""
    other = DocumentFactory()
    base = {"status": "verified", "period_start": date(2023, 1, 1), "period_end": date(2023, 12, 31)}
    claims = {
        "base": ClaimFactory(**base),
        "pending": ClaimFactory(**{**base, "status": "pending"}),
        "needs_info": ClaimFactory(**{**base, "status": "needs_info"}),
        "other_document": ClaimFactory(**base, document=other),
        "other_subject": ClaimFactory(**{**base, "subject": "Gansu Province"}),
        "other_measure": ClaimFactory(**{**base, "measure": "cargo routes"}),
        "target": ClaimFactory(**{**base, "kind": "target"}),
        "q1_2024": ClaimFactory(**{**base, "period_start": date(2024, 1, 1), "period_end": date(2024, 3, 31)}),
        "no_period": ClaimFactory(**{**base, "period_start": None, "period_end": None}),
        "reviewed_may_1": ClaimFactory(**base, reviewed_at=datetime(2024, 5, 1, 23, 59, 59, tzinfo=UTC)),
        "reviewed_may_2": ClaimFactory(**base, reviewed_at=datetime(2024, 5, 2, 0, 0, tzinfo=UTC)),
    }
    db_session.commit()
    return {name: claim.id for name, claim in claims.items()}, other.id


@pytest.mark.parametrize("filters, expected", [
    ({}, ["base", "other_document", "other_subject", "other_measure", "target", "q1_2024",
          "no_period", "reviewed_may_1", "reviewed_may_2"]),
    ({"status": ("pending", "needs_info")}, ["pending", "needs_info"]),
    ({"subject": "Gansu Province"}, ["other_subject"]),
    ({"measure": "cargo routes"}, ["other_measure"]),
    ({"kind": "target"}, ["target"]),
    ({"period_from": date(2024, 1, 1)}, ["q1_2024"]),
    # Subject and measure match any case and a prefix: "gansu" is also "Gansu Province".
    ({"period_to": date(2023, 12, 31), "subject": "gansu"},
     ["base", "other_document", "other_subject", "other_measure", "target", "reviewed_may_1", "reviewed_may_2"]),
    ({"measure": "CARGO"}, ["other_measure"]),
    ({"period_from": date(2023, 1, 1), "period_to": date(2023, 6, 30)}, []),
    ({"reviewed_from": date(2024, 5, 2)}, ["reviewed_may_2"]),
    ({"reviewed_to": date(2024, 5, 1)}, ["reviewed_may_1"]),
    ({"reviewed_from": date(2024, 5, 1), "reviewed_to": date(2024, 5, 2)}, ["reviewed_may_1", "reviewed_may_2"]),
])
def test_export_filter_each(db_session, filters, expected):
    ids, _ = _filter_claims(db_session)
    assert _ids(_export(db_session, **filters)) == [ids[name] for name in expected]


def test_export_filter_document(db_session):
    ids, other = _filter_claims(db_session)
    assert _ids(_export(db_session, document=other)) == [ids["other_document"]]


@pytest.mark.parametrize("filters, message", [
    ({"status": ("approved",)}, "status must be one of"),
    ({"kind": "rumour"}, "kind must be one of"),
    ({"conflicts": "some"}, "conflicts must be one of"),
    ({"period_from": date(2024, 1, 2), "period_to": date(2024, 1, 1)}, "period_to (2024-01-01) is before"),
])
def test_export_filters_refuse_bad_values(filters, message):
    with pytest.raises(FilterError, match=message.replace("(", r"\(").replace(")", r"\)")):
        export_filter(**filters)


def test_export_pages_are_deterministic(db_session):
    for n in range(7):
        ClaimFactory(status="verified", value=n + 0.25, document=DocumentFactory())
    db_session.commit()
    one_page = _export(db_session)
    assert _export(db_session, page_size=2) == one_page == _export(db_session, page_size=3)
    assert len(_rows(one_page)) == 7


def test_export_failure_midway_ends_with_error_row(db_session, monkeypatch, caplog):
    for _ in range(5):
        ClaimFactory(status="verified", document=DocumentFactory())
    db_session.commit()
    calls = {"n": 0}
    real_load = export._DocumentTexts.load

    def failing_load(self, ids):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("connection lost\nsecond line")
        return real_load(self, ids)

    monkeypatch.setattr(export._DocumentTexts, "load", failing_load)
    # The Python cells read document texts page by page (the database's cells: test_export_speed_paths.py).
    run = CsvExport(db_session, export_filter(), page_size=2, reference=True)
    lines = "".join(run).split("\r\n")
    assert lines[-2] == "# export failed after 4 rows: connection lost"
    assert len(lines) == 1 + 4 + 1 + 1
    assert (run.rows, run.failure) == (4, "connection lost")
    assert "CSV export failed after 4 rows" in caplog.text


@given(st.text())
def test_export_cell_writer_round_trips_any_text(text):
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\r\n").writerow([inert_text(text), "next"])
    [cell, after] = next(csv.reader(io.StringIO(buffer.getvalue(), newline="")))
    assert after == "next"
    assert not cell.lstrip().startswith(FORMULA_TRIGGERS)
    if text.startswith(FORMULA_TRIGGERS) or text.lstrip().startswith(("=", "+", "-", "@")):
        assert cell == "'" + text
    else:
        assert cell == text


def test_export_whitespace_before_a_formula_is_what_lstrip_strips():
    # The fast paths test a cell's first character against the whitespace inert_text's lstrip() skips.
    assert export.WHITESPACE == "".join(c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace())


# The web download.

def test_export_web_requires_login(client, db_session, gansu):
    response = client.get("/export.csv")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    assert "claim_id" not in response.get_data(as_text=True)
    assert "text/csv" not in response.content_type


def test_export_web_streams_csv_with_download_headers(client, auth, reviewer, db_session, gansu):
    auth.login("rita")
    response = client.get("/export.csv", buffered=False)
    assert response.status_code == 200
    assert response.is_streamed
    assert response.content_type == "text/csv; charset=utf-8"
    today = datetime.now(UTC).strftime("%Y%m%d")
    assert response.headers["Content-Disposition"] == f'attachment; filename="claims-{today}.csv"'
    assert response.get_data(as_text=True) == _full_export(gansu)


def test_export_web_filters_and_bom(client, auth, reviewer, db_session, gansu):
    auth.login("rita")
    response = client.get("/export.csv?measure=trade+growth&status=verified&bom=1&kind=&document=")
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    assert [row["measure"] for row in _rows(body.decode("utf-8-sig"))] == ["trade growth"]
    plain = client.get("/export.csv?bom=0").get_data()
    assert plain.startswith(b"claim_id,")


def test_export_web_claims_list_link_exports_every_status(client, auth, reviewer, db_session, gansu):
    pending = ClaimFactory(status="pending")
    db_session.commit()
    auth.login("rita")
    query = "status=&document=&subject=&measure=&reviewer=&reviewed_from=&reviewed_to=&after=1"
    response = client.get(f"/export.csv?{query}")
    assert response.status_code == 200
    assert _ids(response.get_data(as_text=True)) == [gansu[0].id, gansu[1].id, pending.id]


@pytest.mark.parametrize("query, message", [
    ("status=approved", "status"),
    ("document=abc", "document"),
    ("kind=rumour", "kind"),
    ("period_from=2024-13-01", "period_from"),
    ("reviewed_from=2024-05-02&reviewed_to=2024-05-01", "reviewed_to (2024-05-01) is before"),
    ("conflicts=maybe", "conflicts"),
    ("stauts=rejected", "Unknown filter: stauts"),
])
def test_export_web_bad_filter_is_400_without_csv(client, auth, reviewer, db_session, gansu, query, message):
    auth.login("rita")
    response = client.get(f"/export.csv?{query}")
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert message in text
    assert "claim_id" not in text
    assert "text/html" in response.content_type


def test_export_page_has_filter_form_and_nav(client, auth, reviewer):
    auth.login("rita")
    html = client.get("/export").get_data(as_text=True)
    assert '<form method="get" action="/export.csv"' in html
    for name in ("status", "document", "subject", "measure", "kind", "reviewer", "period_from", "period_to",
                 "reviewed_from", "reviewed_to", "conflicts", "bom"):
        assert f'name="{name}"' in html
    assert '<a href="/export"' in client.get("/documents").get_data(as_text=True)


# The command line.

def test_export_cli_writes_file(runner, db_session, gansu, tmp_path):
    target = tmp_path / "claims.csv"
    result = runner.invoke(args=["export", "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert target.read_bytes() == _full_export(gansu).encode("utf-8")
    assert "wrote 2 claims" in result.stderr


def test_export_cli_stdout_with_filters_and_bom(runner, db_session, gansu):
    result = runner.invoke(args=["export", "--measure", "trade growth", "--bom"])
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes.startswith(b"\xef\xbb\xbf" + HEADER.encode())
    assert [row["claim_id"] for row in _rows(result.stdout_bytes.decode("utf-8-sig"))] == [str(gansu[1].id)]


def test_export_cli_same_bytes_as_web(runner, client, auth, reviewer, db_session, gansu):
    auth.login("rita")
    web = client.get("/export.csv?reviewed_from=2024-05-02&conflicts=all").get_data()
    cli = runner.invoke(args=["export", "--reviewed-from", "2024-05-02", "--conflicts", "all"]).stdout_bytes
    assert web == cli == _full_export(gansu).encode()


@pytest.mark.parametrize("args, message", [
    (["--status", "approved"], "Invalid value for '--status'"),
    (["--period-from", "2024-02-30"], "use YYYY-MM-DD"),
    (["--period-from", "2024-02-02", "--period-to", "2024-02-01"], "period_to (2024-02-01) is before"),
])
def test_export_cli_bad_filter(runner, db_session, args, message):
    result = runner.invoke(args=["export", *args])
    assert result.exit_code == 2
    assert message in result.output
    assert "claim_id" not in result.output


def test_export_docs_describe_every_column_and_filter(app):
    docs = (Path(__file__).resolve().parent.parent / "docs" / "export.md").read_text(encoding="utf-8")
    for column in COLUMNS:
        assert f"| `{column}` |" in docs, f"column {column} is not documented"
    command = app.cli.commands["export"]
    for option in command.params:
        if option.name != "output":
            assert f"`{option.name}`" in docs, f"filter {option.name} is not documented"
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    assert "docs/export.md" in readme and "claimtrack export" in readme


# JSON Lines.

def _jsonl(db_session, **filters) -> list[dict]:
    return [json.loads(line) for line in "".join(JsonlExport(db_session, export_filter(**filters))).split("\n") if line]


def test_export_jsonl_holds_every_field_to_make_the_claim_again(db_session, gansu):
    first, second = _jsonl(db_session)
    sha256 = gansu[0].document.sha256
    assert list(first) == list(JSONL_FIELDS)
    assert first == {
        "document_sha256": sha256, "start": 17, "end": 19, "quote": "66",
        "value": 66.0, "value_max": None, "uncertainty": None, "unit": "pairs", "qualifier": "=", "change": None,
        "period_start": "2023-01-01", "period_end": "2023-12-31", "subject": "Gansu",
        "measure": "international sister cities", "kind": "fact", "status": "verified",
        "decision": "correct", "note": "checked against table 3", "origin": "extractor",
        "extracted_value": 69.0, "extracted_value_max": None, "extracted_uncertainty": None,
        "extracted_unit": "pairs", "extracted_qualifier": "=", "extracted_change": None,
        "extracted_period_start": None, "extracted_period_end": None, "extracted_subject": "Gansu",
        "extracted_measure": "international sister cities", "extracted_kind": "fact",
    }
    assert TEXT[first["start"]:first["end"]] == first["quote"]
    assert (second["quote"], second["value"], second["uncertainty"], second["change"]) == ("5.9%", 5.9, 0.2, "up")
    assert second["decision"] is None and second["note"] is None


def test_export_jsonl_same_filters_as_csv(db_session, gansu):
    assert [row["quote"] for row in _jsonl(db_session, measure="trade growth")] == ["5.9%"]
    assert _jsonl(db_session, status=("pending",)) == []


def test_export_jsonl_leaves_out_a_decision_since_reopened(db_session, reviewer):
    document = DocumentFactory(text="The port moved 41 ships.")
    claim = ClaimFactory(document=document, quote_text="41", value=41.0)
    db_session.add(Review(claim=claim, user=reviewer, decision="verify", note="looked fine",
                          created_at=datetime(2024, 5, 2, 9, 0, tzinfo=UTC)))
    db_session.commit()
    (row,) = _jsonl(db_session, status=("pending",))
    assert (row["status"], row["decision"], row["note"]) == ("pending", None, None)


def test_export_jsonl_failure_midway_ends_with_a_line_an_import_refuses(db_session, monkeypatch, caplog):
    for _ in range(5):
        ClaimFactory(status="verified", document=DocumentFactory())
    db_session.commit()
    calls = {"n": 0}
    real_record = export.jsonl_record

    def failing_record(row):
        calls["n"] += 1
        if calls["n"] == 5:
            raise RuntimeError("connection lost\nsecond line")
        return real_record(row)

    monkeypatch.setattr(export, "jsonl_record", failing_record)
    run = JsonlExport(db_session, export_filter(), page_size=2)
    lines = "".join(run).split("\n")
    assert len(lines) == 4 + 1 + 1 and lines[-1] == ""
    assert json.loads(lines[-2]) == {"export_failed_after": 4, "reason": "connection lost"}
    assert (run.rows, run.failure) == (4, "connection lost")
    assert "JSON Lines export failed after 4 rows" in caplog.text
    with pytest.raises(RowProblem, match="unknown field: export_failed_after, reason"):
        parse_row(json.loads(lines[-2]))


def test_export_cli_jsonl_same_bytes_as_api(runner, client, db_session, reviewer, gansu):
    _token, secret = tokens.create(db_session, reviewer, "script", utcnow())
    db_session.commit()
    cli = runner.invoke(args=["export", "--format", "jsonl", "--conflicts", "all"])
    assert cli.exit_code == 0, cli.output
    api = client.get("/api/v1/export.jsonl?conflicts=all", headers={"Authorization": f"Bearer {secret}"})
    assert api.status_code == 200 and api.mimetype == "application/jsonl"
    assert api.headers["Content-Disposition"].startswith('attachment; filename="claims-')
    assert api.get_data() == cli.stdout_bytes
    assert [json.loads(line)["quote"] for line in cli.stdout_bytes.decode().splitlines()] == ["66", "5.9%"]


def test_export_jsonl_api_needs_a_token_and_refuses_bad_filters(client, db_session, reviewer, gansu):
    assert client.get("/api/v1/export.jsonl").status_code == 401
    _token, secret = tokens.create(db_session, reviewer, "script", utcnow())
    db_session.commit()
    for query, message in (("colour=red", "Unknown filter: colour"), ("bom=1", "Unknown filter: bom"),
                           ("status=approved", "status")):
        response = client.get(f"/api/v1/export.jsonl?{query}", headers={"Authorization": f"Bearer {secret}"})
        assert response.status_code == 400 and response.mimetype == "application/problem+json"
        assert message in response.get_json()["detail"]


# CSVW metadata.

def _csv_with_every_kind_of_cell(db_session, reviewer) -> str:
    """An export whose cells fill every column: a range, an uncertainty, a period, evidence, a review time."""
    document = DocumentFactory(text="Output rose to 1,190,000,000,000 yuan, =about 5 to 7 per cent.",
                               title="@Report", source="https://example.org/r", published=date(2024, 1, 5))
    claim = ClaimFactory(document=document, quote_text="5 to 7", value=5.0, value_max=7.0, uncertainty=0.0000001,
                         unit="%", subject="-province", period_start=date(2023, 1, 1), period_end=date(2023, 12, 31))
    big = ClaimFactory(document=document, quote_text="1,190,000,000,000", value=1.19e12, unit="CNY")
    db_session.flush()
    review.decide(db_session, claim, reviewer, "verify", version=claim.version, now=utcnow(), check_lease=False,
                  note="+checked", evidence=review.Evidence(url="https://example.org/table", quote="5 to 7",
                                                            checked_on=date(2024, 2, 1), method="stated"))
    review.decide(db_session, big, reviewer, "verify", version=big.version, now=utcnow(), check_lease=False)
    db_session.commit()
    return _export(db_session)


def _parses_as(cell: str, datatype: str) -> bool:
    """Whether a non-empty cell is in the lexical space of its CSVW (XML Schema) datatype."""
    patterns = {
        "integer": r"-?\d+", "double": r"-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?", "date": r"\d{4}-\d{2}-\d{2}",
        "dateTime": r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[-+]\d{2}:\d{2})?", "anyURI": r"\S+", "string": r".*",
    }
    if not re.fullmatch(patterns[datatype], cell, re.DOTALL):
        return False
    if datatype == "date":
        date.fromisoformat(cell)
    if datatype == "dateTime":
        datetime.fromisoformat(cell.replace("Z", "+00:00"))
    return True


def test_export_csvw_metadata_describes_each_column_and_its_cells_parse(db_session, reviewer, tmp_path):
    text = _csv_with_every_kind_of_cell(db_session, reviewer)
    metadata = export.csvw_metadata("claims.csv")
    columns = metadata["tableSchema"]["columns"]
    header, *rows = list(csv.reader(io.StringIO(text, newline="")))
    assert [column["name"] for column in columns] == header == list(COLUMNS)
    assert all(column["titles"] == column["name"] for column in columns)
    filled = set()
    for row in rows:
        for column, cell in zip(columns, row, strict=True):
            if cell:
                filled.add(column["name"])
                assert _parses_as(cell, column["datatype"]), (column, cell)
    assert {"value_max", "uncertainty", "period_start", "reviewed_at", "evidence_url", "evidence_checked_on"} <= filled
    assert "formula" in metadata["notes"][0]["oa:hasBody"]["rdf:value"]
    # The W3C CSVW reference reader takes the file as described, converting every cell to its datatype.
    (tmp_path / "claims.csv").write_text(text, encoding="utf-8", newline="")
    (tmp_path / "claims.csv-metadata.json").write_text(json.dumps(metadata), encoding="utf-8")
    read = list(csvw.Table.from_file(tmp_path / "claims.csv-metadata.json").iterdicts())
    assert [row["claim_id"] for row in read] == [int(row[0]) for row in rows]
    assert read[0]["value_max"] == 7.0 and read[0]["uncertainty"] == 0.0000001 and read[1]["value"] == 1.19e12
    assert str(read[0]["period_start"]).startswith("2023-01-01") and read[0]["reviewed_at"].tzinfo is not None


def test_export_csvw_reader_refuses_a_cell_outside_its_datatype(db_session, reviewer, tmp_path):
    text = _csv_with_every_kind_of_cell(db_session, reviewer)
    metadata = export.csvw_metadata("claims.csv")
    subject = next(c for c in metadata["tableSchema"]["columns"] if c["name"] == "subject")
    subject["datatype"] = "integer"
    (tmp_path / "claims.csv").write_text(text, encoding="utf-8", newline="")
    (tmp_path / "claims.csv-metadata.json").write_text(json.dumps(metadata), encoding="utf-8")
    with pytest.raises(ValueError, match="subject"):
        list(csvw.Table.from_file(tmp_path / "claims.csv-metadata.json").iterdicts())


def test_export_csvw_metadata_served_beside_the_csv(client, auth, db_session, reviewer):
    assert client.get("/export.csv-metadata.json").status_code == 302
    auth.login("rita")
    web = client.get("/export.csv-metadata.json")
    assert web.status_code == 200 and web.mimetype == "application/csvm+json"
    assert web.get_json() == export.csvw_metadata("export.csv")
    _token, secret = tokens.create(db_session, reviewer, "script", utcnow())
    db_session.commit()
    api = client.get("/api/v1/export.csv-metadata.json", headers={"Authorization": f"Bearer {secret}"})
    assert api.status_code == 200 and api.mimetype == "application/csvm+json"
    assert api.get_json()["url"] == "export.csv" and api.get_json()["tableSchema"] == web.get_json()["tableSchema"]


def test_export_cli_writes_csvw_metadata_naming_the_file(runner, db_session, gansu, tmp_path):
    (tmp_path / "meta").mkdir()
    result = runner.invoke(args=["export", "-o", str(tmp_path / "claims.csv"),
                                 "--metadata", str(tmp_path / "meta" / "claims.csv-metadata.json")])
    assert result.exit_code == 0, result.output
    metadata = json.loads((tmp_path / "meta" / "claims.csv-metadata.json").read_text(encoding="utf-8"))
    assert metadata == export.csvw_metadata("../claims.csv")
    read = list(csvw.Table.from_file(tmp_path / "meta" / "claims.csv-metadata.json").iterdicts())
    assert [row["claim_id"] for row in read] == [gansu[0].id, gansu[1].id]
    result = runner.invoke(args=["export", "--format", "jsonl", "--metadata", str(tmp_path / "m.json")])
    assert result.exit_code == 2 and "--metadata describes the CSV" in result.output
