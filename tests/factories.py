"""factory_boy factories for test data, bound to the current test's session."""
import hashlib
import secrets

import factory
from factory.alchemy import SQLAlchemyModelFactory

from claimtrack import triage
from models import Claim, Document, User

_session = None


def bind(session) -> None:
    """Make the factories add to `session`."""
    global _session
    _session = session


class _Base(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: _session  # noqa: E731
        sqlalchemy_session_persistence = "flush"


class UserFactory(_Base):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    password_hash = "scrypt:unusable"
    role = "reviewer"
    session_token = factory.LazyFunction(lambda: secrets.token_hex(16))


class DocumentFactory(_Base):
    class Meta:
        model = Document

    text = factory.Sequence(lambda n: f"Document {n}: the province has 66 sister cities and 16 cargo routes.")
    sha256 = factory.LazyAttribute(lambda d: hashlib.sha256(d.text.encode()).hexdigest())
    file_name = factory.Sequence(lambda n: f"doc{n}.txt")
    title = factory.Sequence(lambda n: f"Document {n}")
    char_count = factory.LazyAttribute(lambda d: len(d.text))


class ClaimFactory(_Base):
    """A claim on the first occurrence of `quote` in its document's text."""

    class Meta:
        model = Claim
        exclude = ("quote_text",)

    document = factory.SubFactory(DocumentFactory)
    quote_text = "66"
    start = factory.LazyAttribute(lambda c: c.document.text.index(c.quote_text))
    end = factory.LazyAttribute(lambda c: c.start + len(c.quote_text))
    quote = factory.LazyAttribute(lambda c: c.quote_text)
    sentence_start = 0
    sentence_end = factory.LazyAttribute(lambda c: len(c.document.text))
    value = 66.0
    unit = ""
    uncertainty = None
    subject = "Gansu"
    measure = "international sister cities"
    confidence = 0.8
    extracted_value = factory.LazyAttribute(lambda c: c.value)
    extracted_unit = factory.LazyAttribute(lambda c: c.unit)
    extracted_uncertainty = factory.LazyAttribute(lambda c: c.uncertainty)
    extracted_subject = factory.LazyAttribute(lambda c: c.subject)
    extracted_measure = factory.LazyAttribute(lambda c: c.measure)
    worth = factory.LazyAttribute(lambda c: triage.worth(c.quote, c.value, c.unit, c.subject, c.measure))
