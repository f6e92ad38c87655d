"""User accounts: creation, password checks, roles; a lead's changes to them are audited here."""
import functools
import re
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so
from werkzeug.security import check_password_hash, generate_password_hash

from models import ROLES, LoginAttempt, User, row_id

from . import audit
from . import queue as claim_queue

MIN_PASSWORD = 8
MAX_PASSWORD = 256
# Failed logins allowed in a sliding window before further attempts are refused (HTTP 429):
# per username (guessing one account's password) and per client address (spraying many).
LOGIN_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_USERNAME = 5
MAX_FAILURES_PER_ADDRESS = 20
_USERNAME = re.compile(r"^[A-Za-z0-9_.-]{2,64}$")


@functools.cache
def _dummy_hash() -> str:
    """A hash to check against when the user does not exist, so timing does not reveal it (made on first use: scrypt is slow)."""
    return generate_password_hash(secrets.token_hex(16))


class AccountError(ValueError):
    """A refused account change; str() says why."""


def validate_password(password: str) -> None:
    """Refuse passwords that are too short or too long."""
    if not (MIN_PASSWORD <= len(password) <= MAX_PASSWORD):
        raise AccountError(f"password must be {MIN_PASSWORD} to {MAX_PASSWORD} characters")


def create_user(session: so.Session, username: str, password: str, role: str = "reviewer") -> User:
    """Add a user with a hashed password (the caller commits)."""
    if not _USERNAME.match(username):
        raise AccountError("username must be 2-64 letters, digits, '.', '_' or '-'")
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}")
    validate_password(password)
    if (existing := find_user(session, username)) is not None:
        raise AccountError(f"user {existing.username!r} already exists (usernames ignore case)")
    user = User(
        username=username,
        password_hash=generate_password_hash(password),
        role=role,
        session_token=secrets.token_hex(16),
    )
    try:
        # Another request may create the same name (in any case) between the check and here.
        with session.begin_nested():
            session.add(user)
    except sa.exc.IntegrityError:
        raise AccountError(f"user {username!r} already exists (usernames ignore case)") from None
    return user


def end_sessions(user: User) -> None:
    """End every session of this user, on every app server: their cookies carry the old token."""
    user.session_token = secrets.token_hex(16)


def set_password(user: User, password: str) -> None:
    """Change a password and end the user's sessions."""
    validate_password(password)
    user.password_hash = generate_password_hash(password)
    end_sessions(user)


def find_user(session: so.Session, username: str) -> User | None:
    """The user with this username in any case, if any."""
    return session.scalar(sa.select(User).where(sa.func.lower(User.username) == username.lower()))


def authenticate(session: so.Session, username: str, password: str) -> User | None:
    """The active user with these credentials, or None."""
    user = find_user(session, username)
    if user is None:
        check_password_hash(_dummy_hash(), password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.active:
        return None
    return user


def load_user(session: so.Session, login_id: str, logged_in_at: datetime | None, now: datetime,
              lifetime: timedelta) -> User | None:
    """The active user for a login session id ("<id>:<token>"), or None if it is stale or older than `lifetime`."""
    user_id, _, token = login_id.partition(":")
    # A forged or corrupted cookie may carry any string.
    if row_id(user_id) is None:
        return None
    if logged_in_at is None or logged_in_at <= now - lifetime:
        return None
    user = session.get(User, row_id(user_id))
    if user is None or not user.active or not secrets.compare_digest(user.session_token, token):
        return None
    return user


def begin_login(session: so.Session, username: str, address: str, now: datetime) -> timedelta | None:
    """Count a login attempt as failed until it succeeds; or, past the limits, how long to wait.

    Counting before the password is checked, with the username and address serialised, is what
    makes the limit hold when many attempts arrive at once: only MAX_FAILURES_PER_USERNAME of
    them are ever let through to a password check. The caller commits (ending the lock) before
    checking the password, and calls clear_failed_logins on success.
    """
    username, address = username.lower()[:64], address[:64]
    _serialise(session, f"login-username:{username}")
    _serialise(session, f"login-address:{address}")
    wait = login_wait(session, username, address, now)
    if wait is None:
        record_failed_login(session, username, address, now)
    return wait


def _serialise(session: so.Session, key: str) -> None:
    """Hold a lock on `key` until the transaction ends."""
    # SQLite's BEGIN IMMEDIATE already serialises every writing transaction; PostgreSQL needs a
    # lock on the name itself, since the rows that count the attempts are not there yet.
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtextextended(key, 0))))


def login_wait(session: so.Session, username: str, address: str, now: datetime) -> timedelta | None:
    """How long until this username (any case) and address may try again, or None if they may try now."""
    since = now - LOGIN_WINDOW
    waits = []
    for column, key, limit in ((LoginAttempt.username, username.lower()[:64], MAX_FAILURES_PER_USERNAME),
                               (LoginAttempt.address, address[:64], MAX_FAILURES_PER_ADDRESS)):
        recent = session.scalars(
            sa.select(LoginAttempt.attempted_at).where(column == key, LoginAttempt.attempted_at > since)
            .order_by(LoginAttempt.attempted_at.desc()).limit(limit)
        ).all()
        if len(recent) >= limit:
            waits.append(recent[-1] + LOGIN_WINDOW - now)
    return max(waits) if waits else None


def record_failed_login(session: so.Session, username: str, address: str, now: datetime) -> None:
    """Count one failed login against the username and the address; forget attempts past the window."""
    session.execute(sa.delete(LoginAttempt).where(LoginAttempt.attempted_at <= now - LOGIN_WINDOW))
    session.add(LoginAttempt(username=username.lower()[:64], address=address[:64], attempted_at=now))


def clear_failed_logins(session: so.Session, username: str) -> None:
    """Forget a username's failed logins after it logs in successfully."""
    session.execute(sa.delete(LoginAttempt).where(LoginAttempt.username == username.lower()[:64]))


def _hold_as_lead(session: so.Session, actor: User, *users: User) -> None:
    """Lock the rows of the acting lead and of the accounts it acts on, read them afresh, and refuse
    when the actor is no longer an active lead.

    A lead's request checked its role when it began; another lead may have demoted or deactivated it
    since. Locked in id order, two leads acting on each other at once take turns (neither deadlocks),
    and the second finds it can no longer act: the team always keeps a lead. (SQLite's transactions
    already take turns; there the fresh read is what counts.)
    """
    ids = sorted({actor.id, *(u.id for u in users)})
    rows = session.scalars(sa.select(User).where(User.id.in_(ids)).order_by(User.id).with_for_update()
                           .execution_options(populate_existing=True)).all()
    current = next((u for u in rows if u.id == actor.id), None)
    if current is None or current.role != "lead" or not current.active:
        raise AccountError("you are no longer an active lead")


def add_user(session: so.Session, actor: User, username: str, password: str, role: str) -> User:
    """A lead creates an account; recorded in the audit trail (the caller commits)."""
    _hold_as_lead(session, actor)
    user = create_user(session, username, password, role)
    audit.record(session, actor, "create", "user", user.id, after={"username": user.username, "role": user.role})
    return user


def deactivate(session: so.Session, user: User, actor: User) -> int:
    """Deactivate an account, end its sessions and return its leased claims to the queue; returns how many.

    Recorded in the audit trail; the caller commits.
    """
    if user.id == actor.id:
        raise AccountError("you cannot deactivate your own account")
    _hold_as_lead(session, actor, user)
    user.active = False
    end_sessions(user)
    released = claim_queue.release_all(session, user)
    audit.record(session, actor, "deactivate", "user", user.id, before={"active": True}, after={"active": False})
    return released


def activate(session: so.Session, user: User, actor: User) -> None:
    """Let a deactivated account log in again; recorded in the audit trail."""
    _hold_as_lead(session, actor, user)
    user.active = True
    audit.record(session, actor, "activate", "user", user.id, before={"active": False}, after={"active": True})


def set_role(session: so.Session, user: User, role: str, actor: User) -> None:
    """Change a user's role and end their sessions; a lead cannot demote themself (someone must stay able to manage users)."""
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}")
    if user.id == actor.id and role != user.role:
        raise AccountError("you cannot change your own role")
    _hold_as_lead(session, actor, user)
    if role != user.role:
        before = user.role
        user.role = role
        end_sessions(user)
        audit.record(session, actor, "role", "user", user.id, before={"role": before}, after={"role": role})
