"""The `claimtrack` command line: ingest, extract, users."""
import json
from pathlib import Path

import sqlalchemy as sa

from models import Claim, Document, User

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def _counts(db_session) -> tuple[int, int]:
    return (
        db_session.scalar(sa.select(sa.func.count()).select_from(Document)),
        db_session.scalar(sa.select(sa.func.count()).select_from(Claim)),
    )


def test_ingest_seeds_twice_second_is_noop(runner, db_session):
    first = runner.invoke(args=["ingest", str(SEEDS)])
    assert first.exit_code == 0, first.output
    assert "5 added, 0 already stored, 0 refused" in first.output
    documents, claims = _counts(db_session)
    assert documents == 5 and claims > 100
    second = runner.invoke(args=["ingest", str(SEEDS)])
    assert second.exit_code == 0
    assert "0 added, 5 already stored, 0 refused: nothing new to store" in second.output
    assert _counts(db_session) == (documents, claims)


def test_ingest_keeps_text_and_metadata(runner, db_session):
    path = SEEDS / "004_f2d86ae013227259.txt"
    assert runner.invoke(args=["ingest", str(path)]).exit_code == 0
    document = db_session.scalar(sa.select(Document))
    assert document.text == path.read_text(encoding="utf-8")
    assert document.published.isoformat() == "2023-11-01"
    for claim in db_session.scalars(sa.select(Claim)):
        assert document.text[claim.start:claim.end] == claim.quote


def test_ingest_stores_a_falling_transition_as_two_levels(runner, db_session, tmp_path):
    path = tmp_path / "prices.txt"
    path.write_text("Diesel fell from 190 to 172 cents overnight. Its stocks shrank from 40 to 35 million tonnes.\n",
                    encoding="utf-8")
    result = runner.invoke(args=["ingest", str(path)])
    assert result.exit_code == 0, result.output
    assert "1 added" in result.output
    claims = db_session.execute(sa.select(Claim.quote, Claim.value, Claim.value_max, Claim.unit).order_by(Claim.start)).all()
    assert [tuple(row) for row in claims] == [
        ("190", 190.0, None, "USD-cent"), ("172 cents", 172.0, None, "USD-cent"),
        ("40", 4e7, None, "t"), ("35 million tonnes", 3.5e7, None, "t")]


def test_ingest_with_jobs_matches_single_process(runner, db_session):
    result = runner.invoke(args=["ingest", "--jobs", "2", str(SEEDS)])
    assert result.exit_code == 0, result.output
    assert "5 added" in result.output


def test_ingest_refuses_bad_files_and_writes_nothing(runner, db_session, tmp_path):
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01\x02binary")
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "latin1.txt").write_bytes("caf\xe9 66".encode("latin-1"))
    result = runner.invoke(args=["ingest", str(tmp_path)])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.startswith("refused")]
    assert len(lines) == 3
    assert any("binary file" in line for line in lines)
    assert any("empty file" in line for line in lines)
    assert any("not valid UTF-8" in line for line in lines)
    assert "0 added, 0 already stored, 3 refused" in result.output
    assert _counts(db_session) == (0, 0)


def test_extract_prints_jsonl_without_database(runner, db_session):
    result = runner.invoke(args=["extract", str(SEEDS / "001_4ba3201505e0714d.txt")])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert rows, "no claims extracted"
    keys = {"doc", "start", "end", "text", "value", "value_max", "unit", "qualifier", "change",
            "period_start", "period_end", "subject", "subject_key", "measure", "measure_variant", "kind",
            "confidence", "uncertainty", "moved_from"}
    assert all(set(row) == keys for row in rows)
    assert {row["doc"] for row in rows} == {"001_4ba3201505e0714d.txt"}
    assert any(row["value"] == 69 for row in rows)
    assert _counts(db_session) == (0, 0)


def test_extract_explain_prints_each_dropped_number_with_its_rule(runner, tmp_path):
    text = "Germination rose by 14% in the wet plots [8]. Mean flux was 4 W m\u22122 in winter.\n"
    path = tmp_path / "study.txt"
    path.write_text(text, encoding="utf-8")
    cite = text.index("[8]") + 1
    plain = runner.invoke(args=["extract", str(path)])
    explained = runner.invoke(args=["extract", str(path), "--format", "jsonl", "--explain"])
    assert plain.exit_code == 0 and explained.exit_code == 0, explained.output
    rows = [json.loads(line) for line in explained.output.splitlines()]
    claims = [row for row in rows if "dropped" not in row]
    assert [json.loads(line) for line in plain.output.splitlines()] == claims
    # The exponent is read as part of the unit ("W m−2"), so it is no claim and nothing to drop.
    assert [(row["text"], row["unit"]) for row in claims] == [("14%", "%"), ("4 W m\u22122", "W/m2")]
    assert [row for row in rows if "dropped" in row] == [
        {"doc": "study.txt", "dropped": True, "start": cite, "end": cite + 1, "text": "8", "reason": "citation"},
    ]
    assert [row["start"] for row in rows] == sorted(row["start"] for row in rows)


def test_extract_jsonl_is_one_line_per_claim_whatever_breaks_lines_in_names(runner, tmp_path):
    # U+2028, U+2029 and U+0085 are valid raw in JSON strings (here in a file name), but str.splitlines()
    # and many line readers end a line there.
    name = "fleet\u2028report\x85 2021\u2029.txt"
    path = tmp_path / name
    path.write_text("The port handled 41 ships in 2021, and 17 barges were sold.\n", encoding="utf-8")
    result = runner.invoke(args=["extract", str(path)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == result.output.count("\n") >= 2
    assert {json.loads(line)["doc"] for line in lines} == {name}


def test_create_user_reads_password_from_stdin(runner, db_session):
    result = runner.invoke(args=["create-user", "maria", "--role", "lead"], input="a long password\n")
    assert result.exit_code == 0, result.output
    user = db_session.scalar(sa.select(User).where(User.username == "maria"))
    assert user.role == "lead"
    assert "a long password" not in user.password_hash


def test_create_user_refuses_short_password(runner, db_session):
    result = runner.invoke(args=["create-user", "maria"], input="short\n")
    assert result.exit_code != 0
    assert "password must be 8 to 256 characters" in result.output
    assert db_session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_create_user_has_no_password_argument(runner):
    result = runner.invoke(args=["create-user", "maria", "--password", "x" * 10])
    assert result.exit_code == 2


def test_demo_users_prints_working_logins(runner, app, client):
    result = runner.invoke(args=["demo-users"])
    assert result.exit_code == 0
    logins = [line.split()[1:4:2] for line in result.output.splitlines() if line.startswith("login:")]
    assert [name for name, _ in logins] == ["reviewer", "lead"]
    from .conftest import Auth

    response = Auth(client).login(*logins[0])
    assert response.status_code == 302


def test_ingest_refreshes_planner_statistics(runner, db_session, backend):
    assert runner.invoke(args=["ingest", str(SEEDS / "001_4ba3201505e0714d.txt")]).exit_code == 0
    if backend == "sqlite":
        tables = {row[0] for row in db_session.execute(sa.text("SELECT tbl FROM sqlite_stat1"))}
    else:
        tables = {row[0] for row in db_session.execute(sa.text(
            "SELECT relname FROM pg_stat_user_tables WHERE last_analyze IS NOT NULL"))}
    assert {"claims", "documents"} <= tables


def _failing_rule(monkeypatch, marker: str) -> None:
    """Make the quantity rules raise on every sentence containing `marker` (a rule that crashes)."""
    from claimtrack.extract import engine

    real = engine.find_quantities

    def find_quantities(text, s0, s1, *rest):
        if marker in text[s0:s1]:
            raise IndexError("rule crashed")
        return real(text, s0, s1, *rest)

    monkeypatch.setattr(engine, "find_quantities", find_quantities)


def test_ingest_skips_a_failing_sentence_logs_and_counts_it(runner, db_session, tmp_path, monkeypatch, caplog):
    _failing_rule(monkeypatch, "Quux")
    text = "The harbour handled 41 ships in May. Quux Harbour then listed 17 cranes. It employs 230 dockers.\n"
    (tmp_path / "harbour.txt").write_text(text, encoding="utf-8")
    with caplog.at_level("WARNING", logger="claimtrack.ingest"):
        result = runner.invoke(args=["ingest", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "2 claims, 1 sentences skipped (extraction failed)" in result.output
    assert "1 added, 0 already stored, 0 refused, 1 sentences skipped" in result.output
    assert sorted(c.quote for c in db_session.scalars(sa.select(Claim))) == ["230", "41"]
    [record] = [r for r in caplog.records if r.name == "claimtrack.ingest"]
    assert "harbour.txt" in record.getMessage() and f"offset {text.index('Quux')}" in record.getMessage()


def test_extract_command_skips_a_failing_sentence_and_logs_it(runner, tmp_path, monkeypatch, caplog):
    _failing_rule(monkeypatch, "Quux")
    path = tmp_path / "harbour.txt"
    path.write_text("Quux Harbour listed 17 cranes. It employs 230 dockers.\n", encoding="utf-8")
    with caplog.at_level("WARNING", logger="claimtrack.ingest"):
        result = runner.invoke(args=["extract", str(path)])
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["text"] for line in result.output.splitlines() if line.startswith("{")] == ["230"]
    assert any("offset 0" in r.getMessage() for r in caplog.records if r.name == "claimtrack.ingest")
