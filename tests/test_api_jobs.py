"""Uploading documents through the API, and following their jobs."""
import io

import sqlalchemy as sa

from claimtrack import accounts, tokens
from models import Document, Job, utcnow

from .conftest import PASSWORD

PROBLEM = "application/problem+json"
HARBOUR = b"Harbour bulletin\n\nIn 2023 the port handled 48,000 containers, up 12% on 2022.\n"


def _bearer(db_session, user) -> dict:
    _token, secret = tokens.create(db_session, user, "script", utcnow())
    db_session.commit()
    return {"Authorization": f"Bearer {secret}"}


def _post(client, headers, data=HARBOUR, name="harbour.txt", **fields):
    return client.post("/api/v1/documents", headers=headers, content_type="multipart/form-data",
                       data={"file": (io.BytesIO(data), name), **fields})


def test_api_upload_stores_document_and_reports_job(client, reviewer, db_session):
    headers = _bearer(db_session, reviewer)
    response = _post(client, headers, title="Harbour", published="2024-01-31", source_url="https://example.org/h")
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert (body["state"], body["outcome"], body["finished"]) == ("done", "added with 2 claims", True)
    assert response.headers["Location"] == f"/api/v1/documents/{body['document_id']}"
    document = client.get(response.headers["Location"], headers=headers).get_json()
    assert (document["title"], document["published"], document["source"]) == ("Harbour", "2024-01-31", "https://example.org/h")
    job = client.get(f"/api/v1/jobs/{body['id']}", headers=headers)
    assert job.status_code == 200 and job.get_json()["document_id"] == body["document_id"]
    assert [j["id"] for j in client.get("/api/v1/jobs", headers=headers).get_json()["jobs"]] == [body["id"]]

    again = _post(client, headers, name="again.txt")
    assert again.status_code == 200
    assert again.get_json()["outcome"] == f"is already stored as document {body['document_id']}; nothing changed"
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Document)) == 1
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Job)) == 1


def test_api_upload_refused_is_a_problem_and_changes_nothing(client, reviewer, db_session):
    headers = _bearer(db_session, reviewer)
    response = _post(client, headers, b"\x89PNG\r\n\x1a\n" + bytes(64), "photo.txt")
    assert response.status_code == 422 and response.mimetype == PROBLEM
    assert response.get_json()["detail"].startswith("photo.txt refused: binary file")
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Job)) == 0


def test_api_upload_bad_fields_are_a_problem(client, reviewer, db_session):
    headers = _bearer(db_session, reviewer)
    missing = client.post("/api/v1/documents", headers=headers, content_type="multipart/form-data", data={})
    assert missing.status_code == 400 and missing.mimetype == PROBLEM
    assert missing.get_json()["errors"]["form"]["file"] == ["Choose a file to add."]
    bad = _post(client, headers, source_url="javascript:alert(1)", published="yesterday")
    assert bad.status_code == 400
    assert set(bad.get_json()["errors"]["form"]) == {"source_url", "published"}
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Job)) == 0


def test_api_upload_needs_token_not_cookie(client, reviewer, auth):
    auth.login("rita")
    response = client.post("/api/v1/documents", content_type="multipart/form-data",
                           data={"file": (io.BytesIO(HARBOUR), "harbour.txt")})
    assert response.status_code == 401 and response.mimetype == PROBLEM


def test_api_jobs_reviewer_sees_own_lead_sees_all(client, reviewer, lead, db_session):
    otto = accounts.create_user(db_session, "otto", PASSWORD, "reviewer")
    db_session.commit()
    mine = _post(client, _bearer(db_session, reviewer)).get_json()["id"]
    theirs = _post(client, _bearer(db_session, otto), b"In 2020 the mill pressed 3,100 tonnes.", "mill.txt").get_json()["id"]
    rita = _bearer(db_session, reviewer)
    assert [j["id"] for j in client.get("/api/v1/jobs", headers=rita).get_json()["jobs"]] == [mine]
    assert client.get(f"/api/v1/jobs/{theirs}", headers=rita).status_code == 404
    lena = _bearer(db_session, lead)
    assert [j["id"] for j in client.get("/api/v1/jobs", headers=lena).get_json()["jobs"]] == [theirs, mine]
    assert client.get("/api/v1/jobs?after=0", headers=lena).status_code == 422
