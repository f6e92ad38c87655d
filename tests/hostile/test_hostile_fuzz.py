"""Property tests on hostile input: the extractor, document decoding and the review form."""
import math

import sqlalchemy as sa

from hypothesis import HealthCheck, given, settings, strategies as st

from claimtrack.extract import iter_claims
from claimtrack.sources import DocumentError, decode_document
from models import QUALIFIERS, Claim

from .test_hostile_forms import claim, review_form  # noqa: F401  (fixture reused)

TRICKY = st.sampled_from(
    list("0123456789.,-+–—%$€£¥₹‰/ \n\t'\"()[]") + ["\u0661", "\u0966", "\uff11", "\u00b2", "\u00bd", "\u0301",
                                                  "\u200b", "\u00a0", "\u202f", "\u2212", "\ufeff", "e", "E", "k",
                                                  "million", "bn", "per cent", "year", "2023", "Q1"]
)
FREE_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=200)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(TRICKY, FREE_TEXT), max_size=40).map("".join))
def test_hostile_fuzz_extractor_spans_stay_valid(text):
    for c in iter_claims(text):
        assert 0 <= c.start < c.end <= len(text)
        assert text[c.start:c.end] == c.quote
        assert math.isfinite(c.value) and (c.value_max is None or math.isfinite(c.value_max))
        assert c.qualifier in QUALIFIERS


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400), st.sampled_from(["a.txt", "a.md", "a.html", "a.pdf", "a", "a.exe"]))
def test_hostile_fuzz_any_bytes_decode_or_refuse_in_one_line(data, name):
    try:
        document = decode_document(data, name)
    except DocumentError as exc:
        assert str(exc) and "\n" not in str(exc)
    else:
        assert document.text.strip() and "\x00" not in document.text


FIELDS = ("value", "value_max", "unit", "qualifier", "change", "period_start", "period_end", "subject",
          "measure", "kind", "note")
ANY_FIELD_TEXT = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["1e400", "-1e400", "nan", "inf", "-0", "0x10", "1_000", "١٢", "2024-02-30", "2024-01-01",
                     "9" * 400, "=", "~", ">=", "up", "down", "fact", "target", "", " ", "<script>"]),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(field=st.sampled_from(FIELDS), text=ANY_FIELD_TEXT)
def test_hostile_fuzz_review_form_field(app, logged_in, connection, claim, field, text):  # noqa: F811
    app.config["PROPAGATE_EXCEPTIONS"] = False
    data = review_form(logged_in, claim.id, **{"decision": "correct", "note": "fuzz", field: text})
    response = logged_in.post(f"/claims/{claim.id}", data=data)
    assert response.status_code in (303, 400), (field, text, response.status_code)
    stored = connection.execute(sa_select_claim(claim.id)).one()
    assert math.isfinite(stored.value) and (stored.value_max is None or stored.value_max >= stored.value)
    assert stored.qualifier in QUALIFIERS
    assert stored.period_start is None or stored.period_end is None or stored.period_end >= stored.period_start
    if response.status_code == 400:
        page = response.get_data(as_text=True)
        # Refused with a reason: beside a field, for the whole decision, or for NUL characters.
        assert 'class="field-error"' in page or 'id="refusal"' in page or "NUL" in page


def sa_select_claim(claim_id: int):
    return sa.select(Claim.value, Claim.value_max, Claim.qualifier, Claim.period_start, Claim.period_end).where(
        Claim.id == claim_id)
