"""The conflicts pages and the `claimtrack conflicts` command."""
import json
from pathlib import Path

import sqlalchemy as sa

from claimtrack import conflicts
from models import Claim, ConflictGroup, Resolution

from .conftest import csrf_token, form_fields
from .factories import ClaimFactory, DocumentFactory

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def _pair(db_session, first_text="Gansu has 66 sister cities.", second_text="Gansu hosts 69 sister cities."):
    a = ClaimFactory(document=DocumentFactory(text=first_text, file_name="a.txt"), quote_text="66", value=66)
    b = ClaimFactory(document=DocumentFactory(text=second_text, file_name="b.txt"), quote_text="69", value=69)
    conflicts.detect_claims(db_session, [a.id, b.id])
    db_session.commit()
    db_session.refresh(a)
    return a, b, db_session.get(ConflictGroup, a.group_id)


def _resolve(client, group, version=None, **fields):
    """Post the group's resolution form as the page has it, with `fields` filled in."""
    data = form_fields(client.get(f"/conflicts/{group.id}").get_data(as_text=True), "resolve-form")
    if version is not None:
        data["version"] = version
    data.update(fields)
    return client.post(f"/conflicts/{group.id}/resolve", data=data)


def test_conflicts_list_shows_open_groups_with_values_and_documents(client, auth, reviewer, db_session):
    _pair(db_session)
    auth.login("rita")
    html = client.get("/conflicts").get_data(as_text=True)
    assert "international sister cities" in html and "open" in html
    assert "a.txt" in html and "b.txt" in html and "69" in html
    assert client.get("/conflicts?status=resolved").get_data(as_text=True).count("b.txt") == 0


def test_conflicts_page_escapes_document_text(client, auth, reviewer, db_session):
    _, _, group = _pair(db_session, first_text="<script>alert(1)</script> Gansu has 66 sister cities.")
    auth.login("rita")
    html = client.get(f"/conflicts/{group.id}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert '<mark class="claim current">66</mark>' in html


def test_conflicts_resolve_prefer_then_lead_undoes(client, auth, reviewer, lead, db_session):
    a, b, group = _pair(db_session)
    auth.login("rita")
    response = _resolve(client, group, decision="prefer", preferred=b.id, reason="superseded", note="newer figure")
    assert response.status_code == 303
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Resolution recorded." in html and 'id="group-status">resolved' in html
    assert "superseded by newer data" in html
    db_session.refresh(group)
    resolution_id = group.resolutions[0].id
    token = csrf_token(client, f"/conflicts/{group.id}")
    assert client.post(f"/conflicts/resolutions/{resolution_id}/undo", data={"csrf_token": token}).status_code == 403
    auth.logout()
    auth.login("lena")
    token = csrf_token(client, f"/conflicts/{group.id}")
    response = client.post(f"/conflicts/resolutions/{resolution_id}/undo", data={"csrf_token": token})
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Resolution undone." in html and 'id="group-status">open' in html


def test_conflicts_resolve_with_stale_version_says_so(client, auth, reviewer, db_session):
    a, b, group = _pair(db_session)
    auth.login("rita")
    stale = form_fields(client.get(f"/conflicts/{group.id}").get_data(as_text=True), "resolve-form")
    _resolve(client, group, decision="unresolved", note="needs the yearbook")
    response = client.post(f"/conflicts/{group.id}/resolve", data={
        **stale, "decision": "prefer", "preferred": a.id, "reason": "superseded", "note": "66"})
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "changed since you opened it" in html
    db_session.refresh(a)
    assert a.rank == "normal"


def test_conflicts_resolve_without_note_is_refused(client, auth, reviewer, db_session):
    a, b, group = _pair(db_session)
    auth.login("rita")
    response = _resolve(client, group, decision="unresolved", note="")
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "A resolution needs a note." in html
    db_session.refresh(group)
    assert group.status == "open"


def test_conflicts_merge_and_split_from_the_page(client, auth, reviewer, db_session):
    a, b, group = _pair(db_session)
    auth.login("rita")
    token = csrf_token(client, f"/conflicts/{group.id}")
    response = client.post(f"/conflicts/{group.id}/split", data={"csrf_token": token, "claim_id": b.id})
    assert "moved to group" in client.get(response.headers["Location"]).get_data(as_text=True)
    db_session.refresh(b)
    other = b.group_id
    assert other != group.id
    token = csrf_token(client, f"/conflicts/{group.id}")
    response = client.post(f"/conflicts/{group.id}/merge", data={"csrf_token": token, "other": other})
    assert "merged into this one" in client.get(response.headers["Location"]).get_data(as_text=True)
    db_session.refresh(b)
    assert b.group_id == group.id


def test_conflicts_cli_lists_seed_conflicts(runner, db_session):
    assert runner.invoke(args=["ingest", str(SEEDS)]).exit_code == 0
    result = runner.invoke(args=["conflicts"])
    assert result.exit_code == 0, result.output
    groups = [json.loads(line) for line in result.output.splitlines()]
    found = {(g["measure"], tuple(sorted(c["value"] for c in g["claims"]))) for g in groups}
    assert ("international sister city", (66.0, 69.0)) in found
    assert ("international air cargo route", (16.0, 21.0)) in found
    values = [c["value"] for g in groups for c in g["claims"]]
    assert 1600.0 not in values and 1e12 not in values
    sister = next(g for g in groups if g["measure"] == "international sister city")
    assert sister["status"] == "open" and set(sister) == {"id", "subject", "subject_key", "measure", "status", "claims"}
    assert len(groups) == 2
    assert sister["subject_key"] == db_session.scalar(sa.select(Claim.subject_key).where(Claim.value == 66.0)) != ""
    assert {c["doc"] for c in sister["claims"]} == {"000_d94bbb72c10ca173.txt", "001_4ba3201505e0714d.txt"}
    assert set(sister["claims"][0]) == {"doc", "start", "end", "value", "unit", "qualifier", "period_start", "period_end"}
    rebuilt = runner.invoke(args=["conflicts", "--rebuild", "--format", "jsonl"])
    assert rebuilt.exit_code == 0
    assert [json.loads(line) for line in rebuilt.stdout.splitlines()] == groups
    queue_head = db_session.scalars(sa.select(Claim).where(Claim.conflict_open)).all()
    assert sorted(c.value for c in queue_head) == [16.0, 21.0, 66.0, 69.0]


def test_conflicts_badge_on_the_claim_page(client, auth, reviewer, db_session):
    a, b, group = _pair(db_session)
    auth.login("rita")
    html = client.get(f"/claims/{a.id}").get_data(as_text=True)
    assert f'href="/conflicts/{group.id}"' in html and "in an open conflict" in html
    assert "1 other value" in html


def test_conflicts_marked_in_the_claims_list(client, auth, reviewer, db_session):
    a, b, group = _pair(db_session)
    auth.login("rita")
    html = client.get("/claims").get_data(as_text=True)
    assert html.count(f'href="/conflicts/{group.id}">open conflict</a>') == 2


def test_conflicts_list_shows_a_few_values_per_group_and_links_the_rest(client, auth, reviewer, db_session):
    made = [ClaimFactory(document=DocumentFactory(text=f"The county has {n} bridges.", file_name=f"d{n}.txt"),
                         quote_text=str(n), value=n, subject="the county", measure="bridge")
            for n in range(40, 49)]
    conflicts.detect_claims(db_session, [c.id for c in made])
    db_session.commit()
    group_id = db_session.get(Claim, made[0].id).group_id
    assert {db_session.get(Claim, c.id).group_id for c in made} == {group_id}
    auth.login("rita")
    html = client.get("/conflicts").get_data(as_text=True)
    row = html[html.index(f'href="/conflicts/{group_id}"'):]
    row = row[:row.index("</tr>")]
    assert row.count('<li class="rank-') == 6
    assert f'<a href="/conflicts/{group_id}">and 3 more claims</a>' in row
    assert all(f"d{n}.txt" in client.get(f"/conflicts/{group_id}").get_data(as_text=True) for n in range(40, 49))


def test_conflicts_resolution_sent_twice_is_recorded_once_and_says_so(client, auth, reviewer, db_session):
    """A double click, or the back button and send again: the very form already recorded is no stale form."""
    a, b, group = _pair(db_session)
    auth.login("rita")
    data = form_fields(client.get(f"/conflicts/{group.id}").get_data(as_text=True), "resolve-form")
    data.update(decision="prefer", preferred=b.id, reason="superseded", note="newer figure")
    assert client.post(f"/conflicts/{group.id}/resolve", data=data).status_code == 303
    again = client.post(f"/conflicts/{group.id}/resolve", data=data)
    assert again.status_code == 303
    html = client.get(again.headers["Location"]).get_data(as_text=True)
    assert "That resolution was already recorded." in html and "nothing was saved" not in html
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Resolution)) == 1
    # The same form with another note is a new resolution attempt on a group that moved on: refused as stale.
    changed = client.post(f"/conflicts/{group.id}/resolve", data={**data, "note": "on second thoughts"})
    assert changed.status_code == 409
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Resolution)) == 1
