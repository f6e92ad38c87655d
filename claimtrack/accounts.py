"""User accounts: creation, password checks, roles."""
import re
import secrets

import sqlalchemy as sa
import sqlalchemy.orm as so
from werkzeug.security import check_password_hash, generate_password_hash

from models import ROLES, User

MIN_PASSWORD = 8
MAX_PASSWORD = 256
MAX_ROW_ID = 2**31 - 1
_USERNAME = re.compile(r"^[A-Za-z0-9_.-]{2,64}$")
# A hash to check against when the user does not exist, so timing does not reveal it.
_DUMMY_HASH = generate_password_hash(secrets.token_hex(16))


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
    if find_user(session, username) is not None:
        raise AccountError(f"user {username!r} already exists")
    user = User(
        username=username,
        password_hash=generate_password_hash(password),
        role=role,
        session_token=secrets.token_hex(16),
    )
    session.add(user)
    session.flush()
    return user


def set_password(user: User, password: str) -> None:
    """Change a password and end the user's other sessions."""
    validate_password(password)
    user.password_hash = generate_password_hash(password)
    user.session_token = secrets.token_hex(16)


def find_user(session: so.Session, username: str) -> User | None:
    """The user with this username, if any."""
    return session.scalar(sa.select(User).where(User.username == username))


def authenticate(session: so.Session, username: str, password: str) -> User | None:
    """The active user with these credentials, or None."""
    user = find_user(session, username)
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.active:
        return None
    return user


def load_user(session: so.Session, login_id: str) -> User | None:
    """The active user for a login session id ("<id>:<token>"), or None if it is stale."""
    user_id, _, token = login_id.partition(":")
    # A forged or corrupted cookie may carry any string; ids past 32 bits would make the
    # database raise instead of finding nobody.
    if not (user_id.isascii() and user_id.isdigit() and int(user_id) <= MAX_ROW_ID):
        return None
    user = session.get(User, int(user_id))
    if user is None or not user.active or not secrets.compare_digest(user.session_token, token):
        return None
    return user
