"""Hostile access: forged or missing CSRF tokens, stale and forged sessions, open redirects,
path traversal, unknown ids. Each refused with a clear answer and the database unchanged."""
import html
from urllib.parse import urlsplit

import pytest
from flask.sessions import SecureCookieSessionInterface

from claimtrack import accounts

from ..conftest import Auth, csrf_token
from .conftest import unchanged, upload

GOOD_TEXT = b"In 2023, Gansu had 66 international sister cities."
CSRF_MESSAGE = "The form&#39;s security token was missing or invalid."


def _post_upload(client, token: str | None):
    data = {"file": (__import__("io").BytesIO(GOOD_TEXT), "cities.txt")}
    if token is not None:
        data["csrf_token"] = token
    return client.post("/documents", data=data, content_type="multipart/form-data")


@pytest.mark.parametrize("token", [None, "", "forged", "IjAxMjM0NTY3ODkwMTIzNDU2Nzg5MDEyMzQ1Njc4OSI.ZzZzZw.forgedsignature0000000000"])
def test_hostile_upload_without_valid_csrf_token_refused(logged_in, connection, token):
    with unchanged(connection):
        response = _post_upload(logged_in, token)
    assert response.status_code == 400
    assert CSRF_MESSAGE in response.get_data(as_text=True)


def test_hostile_csrf_token_of_another_session_refused(app, logged_in, connection, lead):
    other = app.test_client()
    Auth(other).login("lena")
    stolen = csrf_token(other, "/documents")
    with unchanged(connection):
        response = _post_upload(logged_in, stolen)
    assert response.status_code == 400
    assert CSRF_MESSAGE in response.get_data(as_text=True)


def test_hostile_logout_without_csrf_token_keeps_session(logged_in):
    response = logged_in.post("/logout")
    assert response.status_code == 400
    assert logged_in.get("/documents").status_code == 200


def test_hostile_login_with_forged_csrf_token_refused(client, reviewer, connection):
    csrf_token(client, "/login")
    with unchanged(connection):
        response = client.post("/login", data={"username": "rita", "password": "correct horse battery",
                                               "csrf_token": "not-the-token"})
    assert response.status_code == 400
    assert CSRF_MESSAGE in response.get_data(as_text=True)
    assert client.get("/documents").status_code == 302


def _is_login_redirect(response) -> bool:
    return response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_hostile_session_signed_with_old_key_is_logged_out(app, logged_in, connection):
    app.secret_key = "a rotated secret key"
    with unchanged(connection):
        assert _is_login_redirect(logged_in.get("/documents"))
        refused = _post_upload(logged_in, "whatever")
    assert _is_login_redirect(refused)
    assert "what you sent was not recorded" in logged_in.get(refused.headers["Location"]).get_data(as_text=True)


def test_hostile_session_of_deactivated_user_is_logged_out(logged_in, reviewer, db_session, connection):
    reviewer.active = False
    db_session.commit()
    with unchanged(connection):
        assert _is_login_redirect(logged_in.get("/documents"))


def test_hostile_session_after_password_change_is_logged_out(app, client, reviewer, db_session, connection):
    Auth(client).login("rita")
    stolen = client.get_cookie("session").value
    accounts.set_password(reviewer, "a brand new password")
    db_session.commit()
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    with unchanged(connection):
        assert _is_login_redirect(thief.get("/documents"))
        assert _is_login_redirect(client.get("/documents"))


def test_hostile_session_after_logout_cannot_be_replayed(app, client, reviewer, connection):
    Auth(client).login("rita")
    assert client.get("/documents").status_code == 200
    Auth(client).logout()
    assert _is_login_redirect(client.get("/documents"))


@pytest.mark.parametrize("user_id", ["1", "1:", "1:guess", "0:x", "-1:x", "abc", "99999999999999999999:x", "9" * 5000 + ":x", "\u0661:x", "1:" + "0" * 32])
def test_hostile_forged_session_cookie_is_anonymous(app, client, reviewer, connection, user_id):
    forged = SecureCookieSessionInterface().get_signing_serializer(app).dumps({"_user_id": user_id, "_fresh": True})
    client.set_cookie("session", forged)
    with unchanged(connection):
        assert _is_login_redirect(client.get("/documents"))


def test_hostile_session_cookie_signed_with_wrong_key_is_anonymous(app, client, reviewer, connection):
    other = type(app)("forger")
    other.secret_key = "guessed key"
    login_id = reviewer.get_id()
    client.set_cookie("session", SecureCookieSessionInterface().get_signing_serializer(other).dumps({"_user_id": login_id}))
    with unchanged(connection):
        assert _is_login_redirect(client.get("/documents"))


@pytest.mark.parametrize("target", [
    "//evil.example/", "///evil.example", "/\\evil.example", "\\\\evil.example", "https:evil.example",
    "javascript:alert(1)", "http://localhost@evil.example", "%2F%2Fevil.example", " //evil.example",
    "/%5Cevil.example", "\t//evil.example", "/\t/evil.example", "/\n/evil.example", "/\r\n/evil.example",
    "/ /evil.example", "/\r\nSet-Cookie: evil=1", "/claims\nLocation: //evil.example", "/claims\x7f",
])
def test_hostile_login_next_never_leaves_the_site(client, reviewer, target):
    token = csrf_token(client)
    response = client.post("/login", query_string={"next": target}, data={
        "username": "rita", "password": "correct horse battery", "csrf_token": token})
    assert response.status_code == 302
    location = response.headers["Location"]
    parts = urlsplit(location)
    assert not parts.scheme and not parts.netloc, location
    assert location.startswith("/") and not location.startswith(("//", "/\\")), location
    assert not any(c in location for c in "\\\t\n\r "), location


@pytest.mark.parametrize("target", ["/\r\nSet-Cookie: evil=1", "/claims\nx", "/claims\x00"])
def test_hostile_login_next_with_control_characters_when_logged_in(logged_in, target):
    """A logged-in user following a crafted login link lands on a page of the site, never on an error."""
    response = logged_in.get("/login", query_string={"next": target})
    assert response.status_code in (302, 400)
    assert "Set-Cookie: evil" not in str(response.headers) and "evil=1" not in response.headers.get("Set-Cookie", "")
    if response.status_code == 302:
        assert response.headers["Location"] == "/documents"


@pytest.mark.parametrize("path", [
    "/static/../../etc/passwd", "/static/..%2f..%2fetc%2fpasswd", "/static/%2e%2e/%2e%2e/etc/passwd",
    "/static/..\\..\\webapp\\config.py", "/static/../config.py", "/static/%2e%2e%5cconfig.py",
])
def test_hostile_static_traversal_is_404(logged_in, path):
    response = logged_in.get(path)
    assert response.status_code == 404
    assert "root:" not in response.get_data(as_text=True)


@pytest.mark.parametrize("path", [
    "/documents/0", "/documents/999999", "/documents/2147483648", "/documents/99999999999999999999",
    "/documents/-1", "/documents/abc", "/documents/1e3", "/documents/%00",
])
def test_hostile_unknown_document_id_is_404(logged_in, connection, path):
    with unchanged(connection):
        response = logged_in.get(path)
    assert response.status_code == 404
    assert "404" in response.get_data(as_text=True)


def test_hostile_error_pages_do_not_echo_the_request(logged_in):
    response = logged_in.get("/documents/<script>alert(1)</script>")
    assert response.status_code == 404
    assert "<script>alert(1)" not in response.get_data(as_text=True)


def test_hostile_anonymous_upload_is_sent_to_login(client, connection):
    token = csrf_token(client, "/login")
    with unchanged(connection):
        response = _post_upload(client, token)
    assert _is_login_redirect(response)


def test_hostile_huge_login_fields_refused(client, reviewer, connection):
    token = csrf_token(client)
    with unchanged(connection):
        response = client.post("/login", data={"username": "r" * 10_000, "password": "p" * 100_000,
                                               "csrf_token": token})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Field cannot be longer than 64 characters." in page
    assert "Field cannot be longer than 256 characters." in page
    assert client.get("/documents").status_code == 302


def test_hostile_empty_login_fields_refused(client, reviewer, connection):
    token = csrf_token(client)
    with unchanged(connection):
        response = client.post("/login", data={"username": "", "password": "", "csrf_token": token})
    assert response.status_code == 400
    assert response.get_data(as_text=True).count("This field is required.") == 2


def test_hostile_duplicate_upload_stored_once(logged_in, connection):
    first = upload(logged_in, GOOD_TEXT, "cities.txt")
    assert "cities.txt added" in first.get_data(as_text=True)
    with unchanged(connection):
        second = upload(logged_in, GOOD_TEXT, "again.txt")
    assert "again.txt is already stored as document" in html.unescape(second.get_data(as_text=True))
