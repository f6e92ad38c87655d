"""The Claimtrack web application: `create_app()` builds it from the environment."""
from pathlib import Path

import sqlalchemy as sa
from flask import Flask, abort, make_response, render_template, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import (
    BadRequest, HTTPException, InternalServerError, MethodNotAllowed, RequestHeaderFieldsTooLarge, RequestURITooLarge,
    ServiceUnavailable,
)
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from claimtrack.claim_filters import FilterError
from models import MAX_ROW_ID

from . import config, db
from .auth import access

csrf = CSRFProtect()

# Content-Security-Policy without inline script or style: document text is untrusted.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


class RowIdConverter(IntegerConverter):
    """`<int:...>` in every route: numbers past the ids PostgreSQL stores are a 404, not a 500."""

    def __init__(self, url_map, fixed_digits=0, min=None, max=MAX_ROW_ID, signed=False):
        super().__init__(url_map, fixed_digits, min, max, signed)


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app from the environment, with `test_config` overriding settings."""
    instance = Path((test_config or {}).get("INSTANCE_PATH") or config.instance_path())
    app = Flask(__name__, instance_path=str(instance))
    app.url_map.converters["int"] = RowIdConverter
    app.config.from_mapping(config.from_environment(instance, (test_config or {}).get("SECRET_KEY")))
    if test_config:
        app.config.update(test_config)
    # First of all, so an oversized request never reaches the login redirect (which echoes the URL).
    app.before_request(refuse_oversized_requests)
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    app.before_request(refuse_nul_characters)
    app.after_request(set_security_headers)
    if app.config["PROXIES"]:
        # Behind a load balancer the client's address (login rate limits) and scheme come
        # from the proxies' headers; trusting more hops than there are would let clients forge them.
        hops = app.config["PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)
    return app


def register_extensions(app: Flask) -> None:
    """Database sessions, CSRF protection and logins."""
    db.init_app(app)
    csrf.init_app(app)
    access.init_app(app)
    app.extensions["claimtrack.nav"] = []
    app.add_template_filter(grouped_number, "number")
    app.context_processor(lambda: {"config_nav": lambda: app.extensions["claimtrack.nav"]})


def register_blueprints(app: Flask) -> None:
    """Each area of the app is a blueprint with its own routes, forms and templates."""
    from . import (
        agreement, api, auth, claims, conflicts, dashboard, documents, export, guidelines, jobs, queue, references, users,
    )

    for area in (auth, documents, jobs, queue, claims, conflicts, references, dashboard, export, guidelines, users,
                 agreement, api):
        area.init_app(app)


def register_errorhandlers(app: Flask) -> None:
    """Plain error pages that never echo the request back."""

    from .api import is_api_request, problem

    def render_error(error):
        response = make_response(_error_response(error))
        if isinstance(error, MethodNotAllowed) and error.valid_methods:
            # A 405 names the methods the address takes (RFC 9110); the bare page would drop werkzeug's header.
            response.headers["Allow"] = ", ".join(error.valid_methods)
        return response

    def _error_response(error):
        if is_api_request():
            return problem(error if isinstance(error, HTTPException) else InternalServerError())
        code = getattr(error, "code", 500) or 500
        description = getattr(error, "description", "") if code != 500 else ""
        if code == 413:
            # Werkzeug's text names no size: say what the limit is.
            limit = app.config["MAX_DOCUMENT_BYTES"] / 2**20
            description = f"The request is larger than this server accepts: a document may be at most {limit:.1f} MiB."
        if request.accept_mimetypes.best == "application/json" or request.path.startswith("/api/"):
            return {"error": getattr(error, "name", "Error"), "message": description}, code
        return render_template("errors/error.html", code=code, error=error, description=description), code

    for code in (400, 401, 403, 404, 405, 406, 409, 413, 414, 415, 422, 429, 431, 500, 503):
        app.register_error_handler(code, render_error)

    def render_csrf_error(error: CSRFError):
        if request.endpoint not in access.PUBLIC_ENDPOINTS and not current_user.is_authenticated:
            # Logging out in another tab cleared the token: the form was dropped for want of a login.
            return access.to_login()
        error.description = "The form's security token was missing or invalid. Reload the page and try again."
        return render_error(error)

    app.register_error_handler(CSRFError, render_csrf_error)

    def render_filter_error(error: FilterError):
        # Every page's ids, dates and choices are parsed by claim_filters: one answer for all.
        return render_error(BadRequest(f"Bad filter: {error}."))

    app.register_error_handler(FilterError, render_filter_error)

    def render_database_error(error: sa.exc.DBAPIError):
        # The connection is gone (server restarted, network cut, SQLite file unreadable): the
        # request's transaction is lost, so say so plainly; the pool reconnects on the next request.
        app.logger.error("database unavailable during %s %s: %s", request.method, request.path,
                         type(error.orig).__name__)
        db.close_session()
        access.render_as_anonymous()
        return render_error(ServiceUnavailable(
            "The database is unavailable right now. Nothing you submitted was saved; try again in a moment."
        ))

    for error_class in (sa.exc.OperationalError, sa.exc.InterfaceError):
        app.register_error_handler(error_class, render_database_error)


def register_commands(app: Flask) -> None:
    """The `claimtrack` command line (also `flask --app webapp ...`)."""
    from . import cli

    cli.init_app(app)


def refuse_oversized_requests():
    """A 414 for a URL, a 431 for headers, past the sizes the app answers (config.MAX_*)."""
    environ = request.environ
    path = (environ.get("RAW_URI") or environ.get("REQUEST_URI") or environ.get("PATH_INFO", "")).partition("?")[0]
    query = environ.get("QUERY_STRING", "")
    if len(path) + len(query) + (1 if query else 0) > config.MAX_URL_BYTES:
        raise RequestURITooLarge(f"The address is longer than {config.MAX_URL_BYTES:,} bytes.")
    headers = list(request.headers.items())
    if len(headers) > config.MAX_HEADER_FIELDS:
        raise RequestHeaderFieldsTooLarge(f"The request has more than {config.MAX_HEADER_FIELDS} headers.")
    if any(len(name) + len(value) + 2 > config.MAX_HEADER_FIELD_BYTES for name, value in headers):
        raise RequestHeaderFieldsTooLarge(
            f"A request header is longer than {config.MAX_HEADER_FIELD_BYTES:,} bytes (a cookie from another "
            "site on this address, perhaps: clear this site's cookies).")


def refuse_nul_characters():
    """A 400 for NUL characters in the URL, query or form: no text may hold them (PostgreSQL refuses them)."""
    texts = [*(request.view_args or {}).values()]
    for source in (request.args, request.form):
        for name, values in source.lists():
            texts.append(name)
            texts.extend(values)
    if any(isinstance(text, str) and "\x00" in text for text in texts):
        abort(400, description="Text cannot contain NUL characters.")


def grouped_number(value):
    """A number as people read it: 1,190,000,000,000 and 6.47, never 1.19e+12 or 16.0."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return value
    if float(value).is_integer() and abs(value) < 1e18:
        return f"{int(value):,}"
    return f"{value:,.10g}"


def set_security_headers(response):
    """Headers that keep untrusted document text inert, the app out of frames and its pages out of caches."""
    if request.endpoint != "static":
        # Every page but the static files shows claim data or a session's CSRF token: nothing a
        # browser's history or a shared proxy may keep once the user has logged out.
        response.headers["Cache-Control"] = "no-store"
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    return response
