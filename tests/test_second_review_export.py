"""The export's second-review columns and `settled_only`, from the library, the web and the CLI."""
import csv
import io
from datetime import datetime, timezone

import pytest

from claimtrack import export, review, second_review

from .conftest import PASSWORD
from .factories import ClaimFactory, DocumentFactory, UserFactory

NOW = datetime(2026, 7, 1, 8, 0, tzinfo=timezone.utc)


def _rows(text: str) -> dict[int, dict[str, str]]:
    return {int(row["claim_id"]): row for row in csv.DictReader(io.StringIO(text, newline=""))}


def _export(session, **filters) -> str:
    return "".join(export.CsvExport(session, export.export_filter(**filters)))


@pytest.fixture
def standings(db_session, reviewer, lead):
    """Four verified claims: one single review, one agreed, one awaiting adjudication, one awaiting its second review."""
    otto = UserFactory(username="otto")
    document = DocumentFactory(text="The port counted 10 cranes, 20 tugs, 30 barges and 40 berths last year.")
    single = ClaimFactory(document=document, quote_text="10", value=10.0)
    review.decide(db_session, single, reviewer, "verify", version=single.version, now=NOW, check_lease=False)
    second_review.set_policy(db_session, lead, now=NOW, share=100)
    claims = {"single": single}
    for name, quote, second_unit in (("agreed", "20", ""), ("disputed", "30", "t"), ("awaiting", "40", None)):
        claim = ClaimFactory(document=document, quote_text=quote, value=float(quote))
        review.decide(db_session, claim, reviewer, "verify", version=claim.version, now=NOW, check_lease=False)
        if second_unit is not None:
            values = {**second_review.extracted_values(claim), "unit": second_unit}
            second_review.decide_second(db_session, claim, otto, "verify", values=values, version=claim.version,
                                        now=NOW)
        claims[name] = claim
    db_session.commit()
    return claims


def test_export_second_review_columns(db_session, standings):
    rows = _rows(_export(db_session))
    cells = {name: (rows[c.id]["reviews_required"], rows[c.id]["reviewed_by_second"], rows[c.id]["agreement"])
             for name, c in standings.items()}
    assert cells == {"single": ("1", "", "single"), "agreed": ("2", "otto", "agreed"),
                     "disputed": ("2", "otto", ""), "awaiting": ("2", "", "")}


def test_export_settled_only_leaves_out_claims_short_of_their_policy(db_session, standings, lead):
    rows = _rows(_export(db_session, settled_only=True))
    assert set(rows) == {standings["single"].id, standings["agreed"].id}
    disputed = standings["disputed"]
    umpire = UserFactory(username="uma", role="lead")
    second_review.adjudicate(db_session, disputed, umpire, "verify", choices={"unit": "first"},
                             version=disputed.version, now=NOW, note="no unit in the text")
    rows = _rows(_export(db_session, settled_only=True))
    assert rows[disputed.id]["agreement"] == "adjudicated"
    assert standings["awaiting"].id not in rows


def test_export_settled_only_on_the_web_and_cli(client, auth, runner, db_session, standings):
    auth.login("rita", PASSWORD)
    response = client.get("/export.csv?settled_only=1")
    assert response.status_code == 200
    assert set(_rows(response.get_data(as_text=True))) == {standings["single"].id, standings["agreed"].id}
    assert len(_rows(client.get("/export.csv?settled_only=0").get_data(as_text=True))) == 4
    refused = client.get("/export.csv?settled_only=maybe")
    assert refused.status_code == 400 and "settled_only must be 1 or 0" in refused.get_data(as_text=True)
    result = runner.invoke(args=["export", "--settled-only"])
    assert result.exit_code == 0, result.output
    assert set(_rows(result.output)) == {standings["single"].id, standings["agreed"].id}
