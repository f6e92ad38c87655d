"""Two leads acting on each other at once, on SQLite and PostgreSQL: the team always keeps a lead.

Each lead's request checked, when it began, that its actor was a lead and was not its target; with
no lock, two leads demoting (or deactivating) each other at the same moment both succeeded and left
the team with no one able to manage accounts.
"""
import threading

import pytest
import sqlalchemy as sa

from claimtrack import accounts
from claimtrack.database import make_engine, make_sessionmaker
from models import User
from webapp import create_app
from webapp.db import EXTENSION

from .conftest import PASSWORD, Auth, BufferedClient, csrf_token
from .threads import run_in_threads


def _leads(url: str) -> tuple[int, int]:
    engine = make_engine(url)
    with make_sessionmaker(engine)() as session:
        ids = tuple(accounts.create_user(session, name, PASSWORD, "lead").id for name in ("lena", "lars"))
        session.commit()
    engine.dispose()
    return ids


def _race(url: str, action) -> list[str]:
    """Each lead, in a session of its own, acts on the other at the same moment; returns the outcomes."""
    first, second = _leads(url)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    # On PostgreSQL both requests have read their actor and target before either writes, as two
    # requests that began together would; SQLite's transactions take its write lock as they begin,
    # so there the second request reads what the first committed.
    read_first = engine.dialect.name == "postgresql"

    def work(pair):
        actor_id, target_id = pair
        with sessions() as session:
            if not read_first:
                barrier.wait(timeout=30)
            actor, target = session.get(User, actor_id), session.get(User, target_id)
            if read_first:
                assert actor.role == "lead" and actor.active
                barrier.wait(timeout=30)
            try:
                action(session, target, actor)
                session.commit()
                outcomes.append("done")
            except accounts.AccountError as exc:
                session.rollback()
                outcomes.append(str(exc))

    run_in_threads(work, [(first, second), (second, first)], timeout=60)
    engine.dispose()
    return outcomes


def _active_leads(url: str) -> int:
    engine = make_engine(url)
    with engine.connect() as connection:
        count = connection.scalar(sa.select(sa.func.count()).select_from(User)
                                  .where(User.role == "lead", User.active.is_(True)))
    engine.dispose()
    return count


@pytest.mark.parametrize("action", [
    pytest.param(lambda session, target, actor: accounts.set_role(session, target, "reviewer", actor), id="demote"),
    pytest.param(lambda session, target, actor: accounts.deactivate(session, target, actor), id="deactivate"),
])
def test_two_leads_acting_on_each_other_leave_one_lead(fresh_database, action):
    outcomes = _race(fresh_database, action)
    assert sorted(outcomes) == ["done", "you are no longer an active lead"]
    assert _active_leads(fresh_database) == 1


@pytest.mark.parametrize("page", ["deactivate", "role"])
def test_two_leads_on_the_users_page_at_once_leave_one_lead(fresh_database, tmp_path, page):
    """The same through the pages: neither request fails (no deadlock, no 500). The second is refused:
    by the lock when it began before the first was committed, else because the first ended its session
    (a redirect to the login page)."""
    ids = dict(zip(("lena", "lars"), _leads(fresh_database)))
    app = create_app({"SECRET_KEY": "leads-secret", "DATABASE_URL": fresh_database, "INSTANCE_PATH": str(tmp_path)})
    app.test_client_class = BufferedClient
    clients = {}
    for name in ids:
        client = clients[name] = app.test_client()
        assert Auth(client).login(name).status_code == 302
    barrier = threading.Barrier(2)
    answers: dict[str, int] = {}

    def work(pair):
        actor, target = pair
        client = clients[actor]
        fields = {"csrf_token": csrf_token(client, "/users"), **({"role": "reviewer"} if page == "role" else {})}
        barrier.wait(timeout=30)
        response = client.post(f"/users/{ids[target]}/{page}", data=fields)
        answers[actor] = response.status_code

    try:
        run_in_threads(work, [("lena", "lars"), ("lars", "lena")], timeout=60)
    finally:
        app.extensions[EXTENSION].kw["bind"].dispose()
    assert sorted(answers.values()) in ([302, 303], [303, 303]), answers
    assert _active_leads(fresh_database) == 1
