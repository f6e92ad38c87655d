"""The JSON API at /api/v1/: personal tokens, problem+json errors, an OpenAPI 3.1 document.

The document (/api/v1/openapi.json, browsable at /api/v1/docs) is generated from the views and
their marshmallow schemas by flask-smorest, pinned in pyproject.toml. It was chosen over apiflask
and spectree because it adds documented blueprints to the existing plain Flask app (apiflask
wants its own APIFlask application class, which would change every web page's error handling)
and it is maintained by the marshmallow-code team behind apispec and webargs, whose parsing it
uses (spectree would bring pydantic as a second validation library).
"""
from flask import Flask, Response, json, request
from flask_smorest import Api
from flask_smorest.utils import prepare_response
from werkzeug.exceptions import HTTPException

from . import interchange, schemas  # noqa: F401 - interchange registers its operations on bp
from .routes import PROBLEM, bp

PREFIX = "/api/v1"
# The documentation page runs ReDoc served by the app itself, never from a CDN: its standalone
# bundle (npm redoc 2.1.5, MIT, licence files beside it) is vendored under static/vendor/redoc.
# No PyPI package fits: drf-spectacular-sidecar ships the same bundle but needs Django, and the
# swagger-ui packages' pages start Swagger UI with an inline script, which 'self' would block.
REDOC_PATH = "vendor/redoc/redoc.standalone.js"
# ReDoc sets its styles inline and renders in a blob: worker; everything else is the app's own.
DOCS_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; font-src 'self'; "
    "img-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'"
)


class ProblemApi(Api):
    """flask-smorest's Api, its errors documented as problem+json and rendered by the app's own handlers."""

    ERROR_SCHEMA = schemas.Problem
    DEFAULT_RESPONSE_CONTENT_TYPE = "application/json"

    def _register_error_handlers(self):
        """The app's handlers answer errors (webapp.register_errorhandlers), so the web pages keep theirs."""

    def _register_responses(self):
        """Every error response component is a problem+json document."""
        import http

        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "An error (RFC 9457 problem detail)", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)


def is_api_request() -> bool:
    """True for a request under /api/v1 (token authentication, problem+json errors)."""
    return request.path == PREFIX or request.path.startswith(PREFIX + "/")


def problem(error: HTTPException) -> Response:
    """An RFC 9457 problem+json answer for an HTTP error, with the web pages' message as `detail`."""
    code = error.code or 500
    body = {"type": "about:blank", "title": error.name, "status": code}
    if code != 500 and error.description:
        body["detail"] = error.description
    messages = (getattr(error, "data", None) or {}).get("messages")
    if messages:
        body["errors"] = {location: fields for location, fields in messages.items()}
        body["detail"] = "Some parameters are unusable: see errors."
    response = Response(json.dumps(body), code, mimetype=PROBLEM)
    if code == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="claimtrack"'
    return response


def init_app(app: Flask) -> None:
    """Register the API, its document and its documentation page; token requests need no CSRF token."""
    from .. import csrf

    app.config.setdefault("API_TITLE", "Claimtrack")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.1.0")
    app.config.setdefault("OPENAPI_URL_PREFIX", PREFIX)
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    app.config.setdefault("OPENAPI_REDOC_PATH", "docs")
    app.config.setdefault("OPENAPI_REDOC_URL", f"{app.static_url_path}/{REDOC_PATH}")
    api = ProblemApi(app, spec_kwargs={"security": [{"token": []}]})
    api.spec.components.security_scheme(
        "token", {"type": "http", "scheme": "bearer", "description": "A personal API token (`claimtrack token create`)."})
    api.register_blueprint(bp)
    csrf.exempt(bp)

    @app.after_request
    def docs_page_policy(response):
        if request.endpoint == "api-docs.openapi_redoc":
            response.headers["Content-Security-Policy"] = DOCS_CSP
        return response
