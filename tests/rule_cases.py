"""Case tables for the extraction rules: one row per sentence, with the claims it must yield."""
from __future__ import annotations

import datetime as dt

import pytest

from claimtrack.extract import extract_claims


def case(text: str, *claims: dict, id: str, published: dt.date | None = None, known_miss: str = ""):
    """A row: `text` yields exactly `claims` in order, each a dict of the fields it must have.

    `known_miss` marks a row the rules still get wrong: it must fail (strict xfail) until fixed.
    """
    marks = [pytest.mark.xfail(strict=True, reason=known_miss)] if known_miss else []
    return pytest.param(text, published, list(claims), id=id, marks=marks)


def assert_claims(text: str, published: dt.date | None, expected: list[dict]) -> None:
    """The claims of `text` are exactly `expected`, compared on the fields each expectation names."""
    claims = extract_claims(text, published)
    got = [{field: getattr(c, field) for field in want} for c, want in zip(claims, expected)]
    assert (got, [c.quote for c in claims[len(expected):]]) == (expected, [])
