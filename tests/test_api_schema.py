"""Schemathesis over every operation of the API's own OpenAPI document: no 500, no response outside the schema."""
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance, response_headers_conformance, response_schema_conformance, status_code_conformance,
)

from claimtrack import conflicts, review, tokens
from models import utcnow

from .factories import ClaimFactory, DocumentFactory

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]


@pytest.fixture
def api_schema(app):
    """The API's document, read from the running app."""
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


@pytest.fixture
def lead_token(db_session, lead, reviewer):
    """A lead's token, and claims to read: one reviewed (history, audit), one corrected, one pending, two in conflict."""
    document = DocumentFactory(text="Port Ellis had 31 cranes, 12 docks and 4 tugs in 2021.")
    claims = [ClaimFactory(document=document, quote_text=q, value=float(q)) for q in ("31", "12", "4")]
    pair = [ClaimFactory(document=DocumentFactory(text=f"Gansu has {q} sister cities."), quote_text=q, value=float(q))
            for q in ("66", "69")]
    db_session.flush()
    conflicts.detect_claims(db_session, [claim.id for claim in pair])
    review.decide(db_session, claims[0], reviewer, "verify", version=claims[0].version, now=utcnow(), check_lease=False)
    review.decide(db_session, claims[1], reviewer, "correct", version=claims[1].version, now=utcnow(),
                  values={"value": 13.0}, check_lease=False)
    _token, secret = tokens.create(db_session, lead, "schemathesis", utcnow())
    db_session.commit()
    return secret


def test_api_schema_every_operation(app, lead_token):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    methods = {"get", "post", "put", "patch", "delete"}
    assert len(operations) == sum(len(methods & set(item)) for item in schema.raw_schema["paths"].values())
    headers = {"Authorization": f"Bearer {lead_token}"}
    for operation in operations:

        # Few examples per operation, so the run stays part of every `make test`.
        @given(case=operation.as_strategy())
        @settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def check(case):
            case.call_and_validate(headers=headers, checks=CHECKS)

        check()


def test_api_schema_stateful_sequences(app, lead_token):
    """Sequences of calls chained through the resources they return (a document's claims, a claim's reviews...)."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    machine = schema.as_state_machine()
    headers = {"Authorization": f"Bearer {lead_token}"}
    assert machine.bundles, "no links between operations: stateful testing would do nothing"

    calls = []

    class Sequences(machine):
        def get_call_kwargs(self, case):
            calls.append(f"{case.method} {case.path}")
            return {"headers": headers}

        def validate_response(self, response, case, additional_checks=(), **kwargs):
            case.validate_response(response, checks=CHECKS)

    Sequences.run(settings=settings(max_examples=15, stateful_step_count=4, deadline=None, database=None,
                                    suppress_health_check=list(HealthCheck)))
    # Chained calls reached operations that take a resource's id from an earlier answer.
    assert any("{" in call for call in calls), calls[:20]
