"""The app shell: factory, configuration, login wall, documents page, errors, headers."""
import io

import sqlalchemy as sa

from models import Document
from webapp import create_app

from .conftest import csrf_token
from .factories import DocumentFactory


def test_factory_reads_database_url_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/env.db")
    monkeypatch.setenv("CLAIMTRACK_INSTANCE_PATH", str(tmp_path / "inst"))
    monkeypatch.delenv("SECRET_KEY", raising=False)
    app = create_app()
    assert app.config["DATABASE_URL"] == f"sqlite:///{tmp_path}/env.db"
    key_file = tmp_path / "inst" / "secret_key"
    assert app.config["SECRET_KEY"] == key_file.read_text().strip()
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert create_app().config["SECRET_KEY"] == app.config["SECRET_KEY"]


def test_default_database_in_instance_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("CLAIMTRACK_INSTANCE_PATH", str(tmp_path))
    assert create_app().config["DATABASE_URL"] == f"sqlite:///{tmp_path}/claimtrack.db"


def test_pages_need_login(client):
    response = client.get("/documents")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_login_wrong_password(client, reviewer, auth):
    response = auth.login("rita", "wrong password")
    assert response.status_code == 401
    assert "Unknown username or wrong password." in response.get_data(as_text=True)


def test_login_without_csrf_token_refused(client, reviewer):
    response = client.post("/login", data={"username": "rita", "password": "correct horse battery"})
    assert response.status_code == 400
    assert "security token" in response.get_data(as_text=True)


def test_login_next_only_follows_local_paths(client, reviewer):
    token = csrf_token(client)
    response = client.post("/login?next=https://evil.example/", data={
        "username": "rita", "password": "correct horse battery", "csrf_token": token})
    assert response.headers["Location"] == "/documents"


def test_documents_page_lists_titles_dates_and_counts(client, reviewer, auth, db_session):
    DocumentFactory(title="Sister cities report", published=__import__("datetime").date(2024, 5, 1))
    db_session.commit()
    auth.login("rita")
    html = client.get("/documents").get_data(as_text=True)
    assert "Sister cities report" in html
    assert "2024-05-01" in html


def test_document_text_renders_as_text(client, reviewer, auth, db_session):
    document = DocumentFactory(text="<script>alert('x')</script> Gansu has 66 cities <b>bold</b>")
    db_session.commit()
    auth.login("rita")
    html = client.get(f"/documents/{document.id}").get_data(as_text=True)
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html


def test_upload_refuses_binary_and_stores_nothing(client, reviewer, auth, db_session):
    auth.login("rita")
    token = csrf_token(client, "/documents")
    response = client.post("/documents", data={
        "csrf_token": token, "file": (io.BytesIO(b"\x00\x01binary"), "x.txt")},
        content_type="multipart/form-data", follow_redirects=True)
    assert "x.txt refused: binary file" in response.get_data(as_text=True)
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Document)) == 0


def test_upload_stores_document(client, reviewer, auth, db_session):
    auth.login("rita")
    token = csrf_token(client, "/documents")
    response = client.post("/documents", data={
        "csrf_token": token, "published": "2024-05-01",
        "file": (io.BytesIO(b"In 2023, Gansu had 66 international sister cities."), "note.txt")},
        content_type="multipart/form-data")
    assert response.status_code == 303
    document = db_session.scalar(sa.select(Document))
    assert document.file_name == "note.txt" and document.published.isoformat() == "2024-05-01"


def test_not_found_page(client, reviewer, auth):
    auth.login("rita")
    response = client.get("/documents/999999")
    assert response.status_code == 404
    assert "No such document." in response.get_data(as_text=True)


def test_security_headers(client):
    response = client.get("/login")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_session_cookie_httponly_samesite(client, reviewer, auth):
    response = auth.login("rita")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_logout(client, reviewer, auth):
    auth.login("rita")
    auth.logout()
    assert client.get("/documents").status_code == 302


def test_span_in_paragraph_trims_at_sentence_edges():
    from claimtrack.documents import span_in_paragraph

    text = "First sentence is long enough. Second one has 16 routes in it. Third sentence follows here.\nNext"
    start = text.index("16")
    context = span_in_paragraph(text, start, start + 2, limit=25)
    assert context.before == "Second one has "
    assert context.quote == "16"
    assert context.after == " routes in it."
    whole = span_in_paragraph(text, start, start + 2)
    assert whole.before + whole.quote + whole.after == text.split("\n")[0]


def _client_address_app(monkeypatch, tmp_path, proxies: str):
    from flask import request

    from webapp.auth import access

    monkeypatch.setenv("CLAIMTRACK_PROXIES", proxies)
    monkeypatch.setattr(access, "PUBLIC_ENDPOINTS", access.PUBLIC_ENDPOINTS | {"client_address"})
    app = create_app({"SECRET_KEY": "k", "DATABASE_URL": f"sqlite:///{tmp_path}/p.db",
                      "INSTANCE_PATH": str(tmp_path)})
    app.add_url_rule("/client-address", "client_address", lambda: f"{request.remote_addr} {request.scheme}")
    return app.test_client()


def test_forwarded_headers_trusted_only_behind_configured_proxies(monkeypatch, tmp_path):
    headers = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}
    direct = _client_address_app(monkeypatch, tmp_path, "0")
    assert direct.get("/client-address", headers=headers).get_data(as_text=True) == "127.0.0.1 http"
    proxied = _client_address_app(monkeypatch, tmp_path, "1")
    assert proxied.get("/client-address", headers=headers).get_data(as_text=True) == "203.0.113.7 https"


def test_numbers_shown_as_people_read_them():
    from webapp import grouped_number

    assert grouped_number(1.19e12) == "1,190,000,000,000"
    assert grouped_number(16.0) == "16"
    assert grouped_number(6.47) == "6.47"
    assert grouped_number(-0.5) == "-0.5"
    assert grouped_number(None) is None


def test_method_not_allowed_names_the_allowed_methods(client, auth, reviewer, db_session):
    """A 405 must say which methods the address takes (RFC 9110), on pages and in the API alike."""
    auth.login("rita")
    page = client.get("/logout")
    assert page.status_code == 405 and "POST" in page.headers["Allow"].split(", ")
    api = client.put("/api/v1/claims/1/decision")
    assert api.status_code == 405 and "POST" in api.headers["Allow"].split(", ")
    assert api.mimetype == "application/problem+json"
