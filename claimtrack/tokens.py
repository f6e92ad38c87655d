"""Personal API tokens: create (the secret shown once), authenticate, revoke.

A token is 32 random bytes (URL-safe base64) behind a `ct_` prefix, so a leaked one is
recognisable in logs; only its sha256 is stored, which is enough for a secret of that
entropy (no slow hash needed: nobody can guess it from the digest).
"""
import hashlib
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so

from models import ApiToken, User

PREFIX = "ct_"
MAX_NAME = 100
# How stale `last_used_at` may get: writing it on every request would make each read a write.
LAST_USED_GRANULARITY = timedelta(minutes=1)


class TokenError(ValueError):
    """A refused token change; str() says why."""


def digest(secret: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def create(session: so.Session, user: User, name: str, now: datetime) -> tuple[ApiToken, str]:
    """A new token for `user` and its secret, which is never available again (the caller commits)."""
    name = name.strip()
    if not name or len(name) > MAX_NAME or not name.isprintable():
        raise TokenError(f"a token's name must be 1 to {MAX_NAME} printable characters")
    if not user.active:
        raise TokenError(f"user {user.username!r} is deactivated")
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user=user, name=name, token_hash=digest(secret), created_at=now)
    session.add(token)
    session.flush()
    return token, secret


def authenticate(session: so.Session, secret: str, now: datetime) -> User | None:
    """The active user an unrevoked token belongs to, noting when it was used; None otherwise."""
    if not secret.startswith(PREFIX) or len(secret) > 200:
        return None
    token = session.scalar(
        sa.select(ApiToken).options(so.joinedload(ApiToken.user)).where(ApiToken.token_hash == digest(secret)))
    if token is None or not token.active or not token.user.active:
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_GRANULARITY:
        token.last_used_at = now
    return token.user


def tokens_of(session: so.Session, user: User) -> list[ApiToken]:
    """The user's tokens, newest first, revoked ones included."""
    return list(session.scalars(
        sa.select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())))


def find(session: so.Session, user: User, token_id: int) -> ApiToken | None:
    """One of the user's tokens by id (another user's is None)."""
    return session.scalar(sa.select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user.id))


def find_by_name(session: so.Session, user: User, name: str) -> list[ApiToken]:
    """The user's unrevoked tokens with this name."""
    return list(session.scalars(sa.select(ApiToken).where(
        ApiToken.user_id == user.id, ApiToken.name == name.strip(), ApiToken.revoked_at.is_(None))))


def revoke(token: ApiToken, now: datetime) -> bool:
    """Revoke a token at once; False when it was already revoked (the caller commits)."""
    if token.revoked_at is not None:
        return False
    token.revoked_at = now
    return True
