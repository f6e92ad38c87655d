"""Security posture: headers on every kind of response, cookie flags, secrets never logged or
committed, passwords only as hashes, document text inert in CSV exports."""
import csv
import io
import logging
import re
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa

from models import Claim, User
from webapp import create_app

from ..conftest import Auth
from ..factories import ClaimFactory
from .conftest import unchanged, upload

ROOT = Path(__file__).resolve().parents[2]


def _assert_headers(response, path):
    csp = response.headers.get("Content-Security-Policy", "")
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp, path
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp, path
    assert response.headers.get("X-Content-Type-Options") == "nosniff", path
    assert response.headers.get("Referrer-Policy") == "same-origin", path
    assert response.headers.get("X-Frame-Options") == "DENY", path


def test_hostile_headers_on_every_kind_of_response(app, logged_in, db_session):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def boom():
        raise RuntimeError("secret detail")

    app.view_functions["export.index"] = boom

    claim = ClaimFactory()
    db_session.commit()
    anonymous = app.test_client()
    responses = {
        "login": anonymous.get("/login"),
        "redirect to login": anonymous.get("/documents"),
        "documents": logged_in.get("/documents"),
        "document": logged_in.get(f"/documents/{claim.document_id}"),
        "claim": logged_in.get(f"/claims/{claim.id}"),
        "queue": logged_in.get("/queue"),
        "conflicts": logged_in.get("/conflicts"),
        "claims list": logged_in.get("/claims"),
        "csv": logged_in.get("/export.csv"),
        "static": logged_in.get("/static/app.js"),
        "404": logged_in.get("/documents/999999"),
        "403": logged_in.get("/users"),
        "405": logged_in.get("/logout"),
        "400 csrf": logged_in.post("/documents"),
        "500": logged_in.get("/export"),
    }
    for name, response in responses.items():
        _assert_headers(response, name)
    assert responses["500"].status_code == 500
    assert "secret detail" not in responses["500"].get_data(as_text=True)
    assert "Something went wrong on our side." in responses["500"].get_data(as_text=True)
    assert responses["csv"].mimetype == "text/csv"


def test_hostile_pages_carry_no_inline_script(logged_in, db_session):
    claim = ClaimFactory()
    db_session.commit()
    for path in ("/documents", f"/documents/{claim.document_id}", f"/claims/{claim.id}", "/queue", "/conflicts",
                 "/claims", "/export", "/login"):
        page = logged_in.get(path).get_data(as_text=True)
        scripts = re.findall(r"<script\b[^>]*>", page)
        assert all('src="/static/' in tag for tag in scripts), (path, scripts)
        assert not re.search(r"<[^>]*\son[a-z]+\s*=", page), path
        assert not re.search(r"<[^>]*\sstyle\s*=", page), path


@pytest.mark.parametrize("secure", ["1", ""])
def test_hostile_session_cookie_flags(monkeypatch, database_url, tmp_path, secure, reviewer, connection):
    from webapp.db import EXTENSION

    monkeypatch.setenv("CLAIMTRACK_SECURE_COOKIES", secure)
    app = create_app({"SECRET_KEY": "k", "DATABASE_URL": database_url, "INSTANCE_PATH": str(tmp_path)})
    app.extensions[EXTENSION] = sa.orm.sessionmaker(bind=connection, join_transaction_mode="create_savepoint",
                                                    expire_on_commit=False)
    client = app.test_client()
    response = Auth(client).login("rita")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert ("Secure" in cookie) == (secure == "1")


def test_hostile_secrets_never_logged(app, client, runner, connection, caplog, capfd):
    caplog.set_level(logging.DEBUG)
    secret_key = app.config["SECRET_KEY"] = "s3cr3t-signing-key-" + "x" * 20
    password = "hunter2-but-longer"
    created = runner.invoke(args=["create-user", "maria", "--role", "lead"], input=password + "\n")
    assert created.exit_code == 0
    auth = Auth(client)
    assert auth.login("maria", "wrong " + password).status_code == 401
    assert auth.login("maria", password).status_code == 302
    client.get("/documents")
    auth.logout()
    captured = capfd.readouterr()
    everything = caplog.text + created.output + captured.out + captured.err
    assert password not in everything and secret_key not in everything
    stored = connection.execute(sa.select(User.password_hash).where(User.username == "maria")).scalar_one()
    assert stored.startswith(("scrypt:", "pbkdf2:")) and password not in stored


def test_hostile_sqlite_file_holds_no_password(fresh_database, backend, tmp_path):
    if backend != "sqlite":
        pytest.skip("the lost-laptop case is the SQLite file")
    app = create_app({"SECRET_KEY": "k", "DATABASE_URL": fresh_database, "INSTANCE_PATH": str(tmp_path / "i")})
    password = "laptop-password-123"
    assert app.test_cli_runner().invoke(args=["create-user", "maria"], input=password + "\n").exit_code == 0
    app.extensions["claimtrack.sessionmaker"].kw["bind"].dispose()
    database = Path(sa.make_url(fresh_database).database)
    raw = b"".join(p.read_bytes() for p in database.parent.glob(database.name + "*"))
    assert b"maria" in raw and password.encode() not in raw


def test_hostile_secret_key_never_in_repository():
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    files = [ROOT / name for name in tracked.decode().split("\0") if name]
    instance_key = ROOT / "instance" / "secret_key"
    secrets = [instance_key.read_text().strip()] if instance_key.exists() else []
    patterns = [
        re.compile("-----BEGIN [A-Z ]*" + "PRIVATE KEY-----"),
        re.compile(r"SECRET_KEY\s*[=:]\s*['\"][0-9a-f]{32,}['\"]"),
        re.compile(r"\bAKIA" + r"[0-9A-Z]{16}\b"),
    ]
    assert not any(name.startswith("instance/") for name in tracked.decode().split("\0"))
    for path in files:
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        assert not any(s in text for s in secrets), f"{path} holds the instance secret key"
        assert not any(p.search(text) for p in patterns), f"{path} looks like it holds a key"
    for name in ("instance/secret_key", "instance/claimtrack.db"):
        ignored = subprocess.run(["git", "check-ignore", "-q", name], cwd=ROOT)
        assert ignored.returncode == 0, f".gitignore must cover {name}"


def test_hostile_generated_secret_key_is_private(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("CLAIMTRACK_INSTANCE_PATH", str(tmp_path / "inst"))
    key = create_app().config["SECRET_KEY"]
    assert len(key) >= 64
    assert (tmp_path / "inst" / "secret_key").stat().st_mode & 0o077 == 0


FORMULAS = ["=cmd|' /C calc'!A0", "+SUM(1+1)*cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0", "@SUM(1+1)"]


def test_hostile_formula_document_exports_inert(logged_in, connection, db_session):
    text = f"{FORMULAS[0]} Gansu has 66 sister cities.\n" + "\n".join(f"{f} and 16 cargo routes" for f in FORMULAS[1:])
    response = upload(logged_in, text.encode(), "=HYPERLINK(evil).txt")
    assert "added with" in response.get_data(as_text=True)
    connection.execute(sa.update(Claim).values(status="verified"))
    body = logged_in.get("/export.csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert len(rows) > 1
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")) or _is_number(cell), cell


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("query", ["filename=../../etc/passwd", "filename=evil.sh", "name=/etc/shadow",
                                   "download=..%2f..%2fetc%2fpasswd"])
def test_hostile_export_filename_cannot_be_chosen(logged_in, connection, query):
    with unchanged(connection):
        response = logged_in.get(f"/export.csv?{query}")
    assert response.status_code == 400
    assert "Unknown filter" in response.get_data(as_text=True)


def test_hostile_export_download_name_is_fixed(logged_in):
    disposition = logged_in.get("/export.csv").headers["Content-Disposition"]
    assert re.fullmatch(r'attachment; filename="claims-[0-9]{8}\.csv"', disposition), disposition


@pytest.mark.parametrize("padding", [" ", "   ", "\u00a0", " \t", "\n", "\u3000"])
def test_hostile_formula_after_leading_whitespace_exports_inert(logged_in, connection, db_session, padding):
    ClaimFactory(status="verified", subject=f"{padding}=HYPERLINK(\"http://evil.example\")",
                 measure=f"{padding}@SUM(A1)", unit="km")
    db_session.commit()
    rows = list(csv.DictReader(io.StringIO(logged_in.get("/export.csv").get_data(as_text=True))))
    assert rows[0]["subject"] == f"'{padding}=HYPERLINK(\"http://evil.example\")"
    assert rows[0]["measure"] == f"'{padding}@SUM(A1)"
    assert rows[0]["unit"] == "km"


def test_hostile_no_authenticated_response_is_cached(app, logged_in, db_session, lead):
    """Claim data and the CSV must never stay in a shared or browser cache after logout."""
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def boom():
        raise RuntimeError("secret detail")

    app.view_functions["export.index"] = boom
    claim = ClaimFactory()
    db_session.commit()
    as_lead = app.test_client()
    assert Auth(as_lead).login("lena").status_code == 302
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"',
                      logged_in.get("/documents").get_data(as_text=True)).group(1)
    responses = {
        "documents": logged_in.get("/documents"),
        "document": logged_in.get(f"/documents/{claim.document_id}"),
        "claim": logged_in.get(f"/claims/{claim.id}"),
        "claims list": logged_in.get("/claims"),
        "queue": logged_in.get("/queue"),
        "queue next": logged_in.get("/queue/next"),
        "conflicts": logged_in.get("/conflicts"),
        "csv": logged_in.get("/export.csv?status="),
        "lease heartbeat": logged_in.post(f"/claims/{claim.id}/lease", headers={"X-CSRFToken": token}),
        "bad decision": logged_in.post(f"/claims/{claim.id}", data={"csrf_token": token, "decision": "x"}),
        "users": as_lead.get("/users"),
        "404": logged_in.get("/documents/999999"),
        "403": logged_in.get("/users"),
        "405": logged_in.get("/logout"),
        "400 csrf": logged_in.post("/documents"),
        "500": logged_in.get("/export"),
        "login while logged in": logged_in.get("/login"),
        "login page": app.test_client().get("/login"),
    }
    assert responses["csv"].mimetype == "text/csv" and "Gansu" in responses["csv"].get_data(as_text=True)
    for name, response in responses.items():
        assert "no-store" in response.headers.get("Cache-Control", ""), (name, response.status_code)
