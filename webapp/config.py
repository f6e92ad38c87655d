"""Settings, read from the environment once when the app is created."""
import os
import secrets
from datetime import timedelta
from pathlib import Path

from claimtrack.database import database_url, instance_path  # noqa: F401 - create_app reads config.instance_path

# Every setting the app reads from the environment, with its meaning (the README lists these;
# a test fails if one is missing there).
ENVIRONMENT = {
    "DATABASE_URL": "SQLAlchemy URL of the database (default: SQLite file in the instance folder)",
    "SECRET_KEY": "key that signs sessions and CSRF tokens (default: generated once, kept in the instance folder)",
    "CLAIMTRACK_INSTANCE_PATH": "folder for the SQLite database and the generated secret key (default: ./instance)",
    "CLAIMTRACK_LEASE_TTL": "seconds a reviewer holds a claim before it returns to the queue (default 900)",
    "CLAIMTRACK_MAX_LEASES": "most claims one reviewer may hold at once; opening more shows them read-only (default 3)",
    "CLAIMTRACK_UNDO_MINUTES": "minutes within which reviewers may undo their own latest decision (default 5)",
    "CLAIMTRACK_SECURE_COOKIES": "1 to mark cookies Secure (set it when serving over HTTPS)",
    "CLAIMTRACK_SESSION_HOURS": "hours a login lasts, however much it is used, before logging in again (default 12)",
    "CLAIMTRACK_MAX_DOCUMENT_BYTES": "largest document accepted, in bytes (default 5242880)",
    "CLAIMTRACK_MAX_LINE_CHARS": "longest line accepted in a document, in characters (default 100000)",
    "CLAIMTRACK_MAX_PDF_SECONDS": "seconds a PDF may take to read before it is refused (default 20)",
    "CLAIMTRACK_MAX_PDF_INFLATED_BYTES": "bytes a PDF's page contents may inflate to before it is refused (default 10485760)",
    "CLAIMTRACK_DB_POOL_SIZE": "PostgreSQL connections kept per process (default 5)",
    "CLAIMTRACK_DB_MAX_OVERFLOW": "extra PostgreSQL connections allowed per process under load (default 10)",
    "CLAIMTRACK_REDIS_URL": "Redis URL of the job queue, e.g. redis://127.0.0.1:6379/0 (default: none; jobs run in a thread inside the app, inline in the CLI)",
    "CLAIMTRACK_QUEUE": "name of the Redis job queue; app servers and their workers must agree (default claimtrack)",
    "CLAIMTRACK_UPLOAD_WAIT": "seconds an upload waits for its job to finish before showing its progress instead (default 3)",
    "CLAIMTRACK_PROXIES": "number of reverse proxies in front of the app whose X-Forwarded-* headers to trust (default 0)",
}


# The largest request the app answers: past these it refuses with its own 414 or 431 page (and
# every security header). `claimtrack serve` sets gunicorn's limits at twice these, gunicorn's
# request-line maximum aside, so only requests far past them meet gunicorn's bare error page.
MAX_URL_BYTES = 4096
MAX_HEADER_FIELDS = 100
MAX_HEADER_FIELD_BYTES = 8190
SERVER_LIMITS = {
    "limit_request_line": 8190,  # the most gunicorn allows: method, URL and protocol
    "limit_request_fields": 2 * MAX_HEADER_FIELDS,
    "limit_request_field_size": 2 * MAX_HEADER_FIELD_BYTES,
}


def _secret_key(folder: Path) -> str:
    """SECRET_KEY from the environment, else one generated once and kept (mode 0600) in `folder`."""
    if key := os.environ.get("SECRET_KEY"):
        return key
    path = folder / "secret_key"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip()


def from_environment(folder: Path, secret_key: str | None = None) -> dict:
    """The app's configuration from environment variables, with defaults."""
    from claimtrack.queue import DEFAULT_MAX_LEASES
    from claimtrack.sources import DEFAULT_MAX_BYTES

    max_bytes = int(os.environ.get("CLAIMTRACK_MAX_DOCUMENT_BYTES", DEFAULT_MAX_BYTES))
    return {
        "SECRET_KEY": secret_key or _secret_key(folder),
        "DATABASE_URL": database_url(folder),
        "LEASE_TTL": timedelta(seconds=int(os.environ.get("CLAIMTRACK_LEASE_TTL", "900"))),
        "MAX_LEASES": max(1, int(os.environ.get("CLAIMTRACK_MAX_LEASES", str(DEFAULT_MAX_LEASES)))),
        "UNDO_WINDOW": timedelta(minutes=int(os.environ.get("CLAIMTRACK_UNDO_MINUTES", "5"))),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": os.environ.get("CLAIMTRACK_SECURE_COOKIES") == "1",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": os.environ.get("CLAIMTRACK_SECURE_COOKIES") == "1",
        # An absolute lifetime: counted from the login, never renewed by using the session.
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=int(os.environ.get("CLAIMTRACK_SESSION_HOURS", "12"))),
        "SESSION_REFRESH_EACH_REQUEST": False,
        # A token per session, not per hour: a reviewer may keep a claim open a long time.
        "WTF_CSRF_TIME_LIMIT": None,
        "MAX_DOCUMENT_BYTES": max_bytes,
        "MAX_CONTENT_LENGTH": max_bytes + 64 * 1024,
        "PROXIES": int(os.environ.get("CLAIMTRACK_PROXIES", "0")),
        "REDIS_URL": os.environ.get("CLAIMTRACK_REDIS_URL") or None,
        "JOB_QUEUE": os.environ.get("CLAIMTRACK_QUEUE") or "claimtrack",
        "UPLOAD_WAIT": float(os.environ.get("CLAIMTRACK_UPLOAD_WAIT", "3")),
    }
