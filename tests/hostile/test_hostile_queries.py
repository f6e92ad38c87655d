"""Hostile query strings and form ids on every page that reads them: superscript and other
non-ASCII digits, numbers past any id, negatives, far or impossible dates, unknown choices,
over-long text and NUL. Each is a 400 that names the parameter, and nothing changes."""
import pytest

from ..conftest import Auth, csrf_token
from ..factories import ClaimFactory
from .conftest import unchanged

# What each parameter is, and the values that must be refused for that kind.
HOSTILE = {
    "id": ["²", "¹²", "\u0661", "５", "99999999999999999999", "2147483648", "-1", "1e3", "0x10", "1.5", "9" * 3000],
    "date": ["9999-12-31", "0001-01-01", "2024-02-30", "2024-13-01", "²⁰²⁴-01-01", "20240102", "2024-W01-1",
             "+2024-01-01", "2024-01-01T00:00", "yesterday"],
    "choice": ["²", "bogus", "' OR 1=1 --", "9" * 3000],
    "text": ["x" * 3000],
}
KINDS = {
    "document": "id", "after": "id", "status": "choice", "kind": "choice", "conflicts": "choice",
    "subject": "text", "measure": "text", "reviewer": "text",
    "reviewed_from": "date", "reviewed_to": "date", "period_from": "date", "period_to": "date",
}
MESSAGES = {"id": "{name} must be a whole number from", "date": "{name}: use YYYY-MM-DD",
            "choice": "{name} must be one of", "text": "{name} must be at most"}
PAGES = {
    "/claims": ["status", "document", "subject", "measure", "reviewer", "reviewed_from", "reviewed_to", "after"],
    "/queue": ["document", "subject", "measure", "kind"],
    "/queue/next": ["document", "subject", "measure", "kind"],
    "/claims/{claim}": ["document", "subject", "measure", "kind"],
    "/documents": ["after"],
    "/export.csv": ["status", "document", "subject", "measure", "reviewer", "kind", "period_from", "period_to",
                    "reviewed_from", "reviewed_to", "conflicts", "after"],
}
CASES = [(page, name) for page, names in PAGES.items() for name in names]


@pytest.fixture
def held(logged_in, db_session):
    """A claim the logged-in reviewer is holding (a dropped or taken lease would show)."""
    claim = ClaimFactory()
    ClaimFactory(document=claim.document)
    db_session.commit()
    assert logged_in.get(f"/claims/{claim.id}").status_code == 200
    return claim


@pytest.mark.parametrize("page, name", CASES, ids=[f"{page}?{name}" for page, name in CASES])
def test_hostile_parameter_values_refused_with_400(app, logged_in, connection, held, page, name):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    kind = KINDS[name]
    path = page.replace("{claim}", str(held.id))
    with unchanged(connection):
        for value in HOSTILE[kind] + ["a\x00b"]:
            response = logged_in.get(path, query_string={name: value})
            text = response.get_data(as_text=True)
            assert response.status_code == 400, (path, name, value[:20], response.status_code)
            expected = "Text cannot contain NUL characters." if "\x00" in value else MESSAGES[kind].format(name=name)
            assert expected in text, (path, name, value[:20])
            assert "text/html" in response.content_type and "claim_id," not in text
            assert "9" * 100 not in text and "x" * 100 not in text


@pytest.mark.parametrize("path", [
    "/claims?document=2147483647", "/claims?after=0", "/claims?reviewed_from=1000-01-01&reviewed_to=2999-12-31",
    "/claims?status=", "/claims?document=", "/claims?subject=%C2%B2", "/documents?after=2147483647",
    "/documents?after=", "/queue?document=2147483647&kind=", "/export.csv?document=2147483647",
    "/export.csv?period_from=1000-01-01&period_to=2999-12-31&status=&conflicts=", "/export.csv?after=%20%207",
])
def test_hostile_parameter_edges_accepted(logged_in, connection, held, path):
    with unchanged(connection):
        response = logged_in.get(path)
    assert response.status_code == 200, path


def test_hostile_bad_values_listed_together(logged_in, held):
    response = logged_in.get("/export.csv?document=²&reviewed_to=9999-12-31&kind=rumour")
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    for name in ("document must be", "reviewed_to: use", "kind must be"):
        assert name in text


@pytest.mark.parametrize("claim_id", ["²", "\u0661", "99999999999999999999", "-1", "1e3", ""])
def test_hostile_bulk_claim_id_refused(app, client, lead, db_session, connection, claim_id):
    claim = ClaimFactory()
    db_session.commit()
    Auth(client).login("lena")
    token = csrf_token(client, "/claims")
    with unchanged(connection):
        response = client.post("/claims/bulk", data={"csrf_token": token, "decision": "verify", "note": "",
                                                     "claim_id": [str(claim.id), claim_id]})
    assert response.status_code == 400
    assert "claim_id must be a whole number from 1 to 2147483647" in response.get_data(as_text=True)


@pytest.mark.parametrize("args, message", [
    (["--document", "99999999999999999999"], "document must be a whole number from 1 to 2147483647"),
    (["--document", "0"], "document must be a whole number"),
    (["--reviewed-to", "9999-12-31"], "reviewed_to: use YYYY-MM-DD"),
    (["--period-from", "0001-01-01"], "period_from: use YYYY-MM-DD"),
    (["--subject", "x" * 300], "subject must be at most 200 characters"),
])
def test_hostile_export_command_values_refused(runner, connection, args, message):
    with unchanged(connection):
        result = runner.invoke(args=["export", *args])
    assert result.exit_code == 2
    assert message in result.output
    assert "claim_id" not in result.output
