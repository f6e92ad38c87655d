"""Hostile sessions and logins: copied cookies after logout, role change or deactivation, sessions
that never expire, usernames that differ only in case, and bursts of wrong passwords at once."""
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import sqlalchemy as sa
import sqlalchemy.exc as sa_exc
from flask.sessions import SecureCookieSessionInterface

import claimtrack.accounts
import webapp.auth.access
from claimtrack import accounts
from claimtrack.database import make_engine
from models import Claim, User, utcnow
from webapp import create_app
from webapp.db import EXTENSION

from ..conftest import PASSWORD, Auth, csrf_token
from ..factories import ClaimFactory
from .conftest import unchanged


def _is_login_redirect(response) -> bool:
    return response.status_code == 302 and response.headers["Location"].startswith("/login")


def _thief_with_copy_of(app, client):
    """Another browser holding a copy of `client`'s session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def _verify(client, claim, token):
    return client.post(f"/claims/{claim.id}", data={
        "csrf_token": token, "decision": "verify", "version": claim.version, "status_seen": "pending",
        "value": "66", "unit": "", "qualifier": "=", "subject": claim.subject, "measure": claim.measure,
        "kind": "fact"})


def test_hostile_cookie_copied_before_logout_cannot_be_replayed(app, client, reviewer, db_session, connection):
    claim = ClaimFactory()
    db_session.commit()
    Auth(client).login("rita")
    token = csrf_token(client, f"/claims/{claim.id}")
    thief = _thief_with_copy_of(app, client)
    assert thief.get("/documents").status_code == 200
    Auth(client).logout()
    with unchanged(connection):
        assert _is_login_redirect(thief.get("/documents"))
        assert _is_login_redirect(thief.get(f"/claims/{claim.id}"))
        assert _is_login_redirect(_verify(thief, claim, token))
        assert _is_login_redirect(thief.get("/export.csv?status="))
    assert db_session.get(Claim, claim.id).status == "pending"


def test_hostile_logout_ends_the_users_other_sessions(app, client, reviewer, connection):
    laptop, phone = client, app.test_client()
    Auth(laptop).login("rita")
    Auth(phone).login("rita")
    assert phone.get("/queue").status_code == 200
    Auth(laptop).logout()
    with unchanged(connection):
        assert _is_login_redirect(phone.get("/queue"))
    assert Auth(phone).login("rita").status_code == 302
    assert phone.get("/queue").status_code == 200


@pytest.mark.parametrize("change", ["deactivate", "role"])
def test_hostile_lead_change_ends_the_users_sessions(app, client, reviewer, lead, connection, change):
    Auth(client).login("rita")
    thief = _thief_with_copy_of(app, client)
    as_lead = app.test_client()
    Auth(as_lead).login("lena")
    token = csrf_token(as_lead, "/users")
    data = {"csrf_token": token, "role": "lead"} if change == "role" else {"csrf_token": token}
    assert as_lead.post(f"/users/{reviewer.id}/{change}", data=data).status_code == 303
    with unchanged(connection):
        assert _is_login_redirect(client.get("/documents"))
        assert _is_login_redirect(thief.get("/documents"))
    assert as_lead.get("/users").status_code == 200


def test_hostile_role_resubmitted_unchanged_keeps_the_session(app, client, reviewer, lead):
    Auth(client).login("rita")
    as_lead = app.test_client()
    Auth(as_lead).login("lena")
    token = csrf_token(as_lead, "/users")
    assert as_lead.post(f"/users/{reviewer.id}/role", data={"csrf_token": token, "role": "reviewer"}).status_code == 303
    assert client.get("/documents").status_code == 200


def test_hostile_logout_on_one_server_ends_the_session_on_every_server(fresh_database, tmp_path):
    engine = make_engine(fresh_database)
    with sa.orm.Session(engine) as session:
        accounts.create_user(session, "rita", PASSWORD, "reviewer")
        session.commit()
    engine.dispose()
    servers = [create_app({"SECRET_KEY": "shared-secret", "DATABASE_URL": fresh_database,
                           "INSTANCE_PATH": str(tmp_path / f"instance{n}")}) for n in (1, 2)]
    try:
        first = servers[0].test_client()
        Auth(first).login("rita")
        second = _thief_with_copy_of(servers[1], first)
        assert second.get("/queue").status_code == 200
        Auth(first).logout()
        assert _is_login_redirect(second.get("/queue"))
    finally:
        for server in servers:
            server.extensions[EXTENSION].kw["bind"].dispose()


class Clock:
    """The time the app's login checks see, moved by the test."""

    def __init__(self):
        self.now = utcnow()

    def __call__(self):
        return self.now


def test_hostile_session_ends_after_its_lifetime_however_much_it_is_used(app, client, reviewer, monkeypatch,
                                                                        connection):
    clock = Clock()
    monkeypatch.setattr(webapp.auth.access, "utcnow", clock)
    Auth(client).login("rita")
    for _ in range(11):
        clock.now += timedelta(hours=1)
        assert client.get("/queue").status_code == 200
    clock.now += timedelta(minutes=59)
    assert client.get("/queue").status_code == 200
    clock.now += timedelta(minutes=2)
    with unchanged(connection):
        assert _is_login_redirect(client.get("/queue"))
    assert Auth(client).login("rita").status_code == 302
    assert client.get("/queue").status_code == 200


def test_hostile_session_lifetime_is_a_setting(monkeypatch, tmp_path):
    monkeypatch.setenv("CLAIMTRACK_SESSION_HOURS", "2")
    app = create_app({"SECRET_KEY": "x", "DATABASE_URL": "sqlite://", "INSTANCE_PATH": str(tmp_path)})
    assert app.config["PERMANENT_SESSION_LIFETIME"] == timedelta(hours=2)
    assert app.config["SESSION_REFRESH_EACH_REQUEST"] is False


@pytest.mark.parametrize("logged_in_at", [None, "yesterday", 10**30, -(10**30), True, 1.5])
def test_hostile_session_without_a_usable_login_time_is_anonymous(app, client, reviewer, connection, logged_in_at):
    """Cookies made before sessions carried their login time, or damaged, do not log anyone in."""
    data = {"_user_id": reviewer.get_id(), "_fresh": True}
    if logged_in_at is not None:
        data["logged_in_at"] = logged_in_at
    client.set_cookie("session", SecureCookieSessionInterface().get_signing_serializer(app).dumps(data))
    with unchanged(connection):
        assert _is_login_redirect(client.get("/documents"))


# Usernames that differ only in case.

def test_hostile_username_differing_only_in_case_refused(app, client, reviewer, lead, connection):
    Auth(client).login("lena")
    token = csrf_token(client, "/users")
    with unchanged(connection):
        response = client.post("/users", data={"csrf_token": token, "username": "RITA",
                                               "password": "another long password", "role": "lead"})
    assert response.status_code == 400
    assert "user &#39;rita&#39; already exists (usernames ignore case)" in response.get_data(as_text=True)


def test_hostile_username_case_is_unique_in_the_database(db_session, reviewer):
    with pytest.raises(sa_exc.IntegrityError):
        with db_session.begin_nested():
            db_session.add(User(username="Rita", password_hash="x", role="lead", session_token="t"))
            db_session.flush()
    assert db_session.scalar(sa.select(sa.func.count()).select_from(User)) == 1


def test_hostile_login_in_another_case_is_the_same_account(client, reviewer):
    assert Auth(client).login("RiTa").status_code == 302
    assert "rita" in client.get("/queue").get_data(as_text=True)


def test_hostile_failed_logins_count_for_every_spelling(client, reviewer, connection):
    for spelling in ("Rita", "RITA", "rita", "rItA", "RITa"):
        assert Auth(client).login(spelling, "wrong password").status_code == 401
    response = Auth(client).login("rita")
    assert response.status_code == 429
    assert client.get("/documents").status_code == 302


@pytest.fixture
def burst_app(fresh_database, tmp_path, monkeypatch):
    """The real app on a committed database with a reviewer; password checks counted."""
    engine = make_engine(fresh_database)
    with sa.orm.Session(engine) as session:
        accounts.create_user(session, "rita", PASSWORD, "reviewer")
        session.commit()
    engine.dispose()
    app = create_app({"SECRET_KEY": "test-secret", "DATABASE_URL": fresh_database, "WTF_CSRF_ENABLED": False,
                      "INSTANCE_PATH": str(tmp_path / "instance")})
    checks = []
    lock = threading.Lock()
    real_check = claimtrack.accounts.check_password_hash

    def counted_check(hashed, password):
        with lock:
            checks.append(password)
        return real_check(hashed, password)

    monkeypatch.setattr(claimtrack.accounts, "check_password_hash", counted_check)
    app.checks = checks
    yield app
    app.extensions[EXTENSION].kw["bind"].dispose()


@pytest.mark.parametrize("spellings", [("rita",), ("rita", "Rita", "RITA")])
def test_hostile_simultaneous_wrong_passwords_get_at_most_the_limit_checked(burst_app, spellings):
    attempts = 40
    barrier = threading.Barrier(attempts)

    def attempt(n):
        client = burst_app.test_client()
        barrier.wait(timeout=30)
        return client.post("/login", data={"username": spellings[n % len(spellings)],
                                           "password": f"wrong password {n}"}).status_code

    with ThreadPoolExecutor(attempts) as pool:
        statuses = list(pool.map(attempt, range(attempts)))
    assert len(burst_app.checks) == accounts.MAX_FAILURES_PER_USERNAME
    assert statuses.count(401) == accounts.MAX_FAILURES_PER_USERNAME
    assert statuses.count(429) == attempts - accounts.MAX_FAILURES_PER_USERNAME
    right = burst_app.test_client().post("/login", data={"username": "rita", "password": PASSWORD})
    assert right.status_code == 429


def test_hostile_simultaneous_accounts_differing_in_case_one_created(fresh_database):
    engine = make_engine(fresh_database)
    barrier = threading.Barrier(2)

    def create(name):
        with sa.orm.Session(engine) as session:
            barrier.wait(timeout=30)
            try:
                accounts.create_user(session, name, PASSWORD, "reviewer")
                session.commit()
                return "created"
            except accounts.AccountError as exc:
                return str(exc)

    with ThreadPoolExecutor(2) as pool:
        outcomes = sorted(pool.map(create, ["Bob", "bob"]))
    with engine.connect() as connection:
        names = connection.execute(sa.select(User.username)).scalars().all()
    engine.dispose()
    assert len(names) == 1 and names[0].lower() == "bob"
    assert outcomes[0] == "created"
    assert "already exists (usernames ignore case)" in outcomes[1]


@pytest.mark.parametrize("ended_by", ["this browser", "another device"])
def test_hostile_form_sent_after_logout_says_it_was_not_recorded(app, client, reviewer, db_session, connection,
                                                                 ended_by):
    claim = ClaimFactory()
    db_session.commit()
    Auth(client).login("rita")
    token = csrf_token(client, f"/claims/{claim.id}")
    if ended_by == "this browser":
        Auth(client).logout()  # another tab of the same browser logs out
    else:
        elsewhere = app.test_client()
        Auth(elsewhere).login("rita")
        Auth(elsewhere).logout()
    with unchanged(connection):
        response = _verify(client, claim, token)
        assert _is_login_redirect(response)
        assert response.headers["Location"] == f"/login?next=/claims/{claim.id}"
        page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "You were logged out, so what you sent was not recorded: log in, then send it again." in page
    assert db_session.get(Claim, claim.id).status == "pending"
