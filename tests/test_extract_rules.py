"""Behavioural and property tests for claimtrack.extract."""
from __future__ import annotations

import datetime as dt
import math

from hypothesis import given, settings, strategies as st

from claimtrack.extract import EXTRACTOR_VERSION, ExtractedClaim, extract_claims, iter_claims

QUALS = {"=", "~", ">", ">=", "<", "<="}


def one(text, published=None, quote=None):
    """The single claim of `text` (or the one whose quote is `quote`)."""
    claims = extract_claims(text, published)
    if quote is not None:
        claims = [c for c in claims if c.quote == quote]
    assert len(claims) == 1, claims
    return claims[0]


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_any_text_is_safe(text):
    for c in iter_claims(text):
        assert 0 <= c.start < c.end <= len(text)
        assert text[c.start:c.end] == c.quote
        assert math.isfinite(c.value)
        assert c.value_max is None or math.isfinite(c.value_max)
        assert c.qualifier in QUALS
        assert 0.0 <= c.confidence <= 1.0
        assert c.sentence_start <= c.start and c.end <= c.sentence_end


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["In 2023, ", "RMB ", "1,172", " one-fifth", " million", " %", " over ",
                                 "ranked 2nd", " respectively", ", and ", "\x00", "\n\n", "between 3 and ",
                                 "US$", "km", " of the ", "Gansu", ".", " 0.7%–2.9%"]), max_size=30))
def test_number_soup_is_safe(parts):
    text = "".join(parts)
    for c in extract_claims(text, dt.date(2024, 5, 1)):
        assert text[c.start:c.end] == c.quote
        assert c.qualifier in QUALS


def test_version_and_json_keys():
    assert EXTRACTOR_VERSION
    c = one("In 2023, Gansu exported 5 trains.", dt.date(2024, 1, 1))
    assert isinstance(c, ExtractedClaim)
    assert set(c.to_json("d.txt")) == {"doc", "start", "end", "text", "value", "value_max", "unit", "qualifier",
                                       "change", "period_start", "period_end", "subject", "subject_key", "measure", "kind",
                                       "confidence"}
    assert c.to_json("d.txt")["period_start"] == "2023-01-01"
    assert c.to_json("d.txt")["subject_key"] == "region:CN-GS"


def test_scale_words_and_currencies():
    assert one("GDP reached RMB 1.19 trillion.").value == 1.19e12
    assert one("GDP reached RMB 1.19 trillion.").unit == "CNY"
    c = one("The province attracted $8.619 million in FDI.")
    assert (c.value, c.unit, c.quote) == (8619000.0, "USD", "$8.619 million")
    assert one("Trade volume was US$19.1 trillion.").unit == "USD"
    assert one("The fine was 10 million euros.").unit == "EUR"
    assert one("A minority population of 2.65 million lives here.").value == 2650000


def test_percent_points_fraction_and_units():
    claims = extract_claims("Exports grew by 3.8% year-on-year, outpacing the country by 3.2 percentage points.")
    assert [(c.value, c.unit) for c in claims] == [(3.8, "%"), (3.2, "pp")]
    assert claims[0].change == "up"
    f = one("It accounts for one-fifth of its total length.")
    assert (f.value, f.unit, f.quote) == (20.0, "%", "one-fifth")
    assert one("The areas cover 183,600 square kilometers.").unit == "km2"
    assert one("The port handled 5 million TEUs.").unit == "TEU"
    assert one("Refunds take within three working days.").unit == "d"


def test_qualifiers():
    assert one("It stretches over 1,600 kilometers.").qualifier == ">"
    assert one("It has nearly 300 songs.").qualifier == "~"
    assert one("It has at least 30 members.").qualifier == ">="
    assert one("Clearance takes within 24 hours.").qualifier == "<="
    assert one("It weighs less than 5 tons.").qualifier == "<"


def test_ranges():
    c = one("Global income may rise by 0.7%–2.9%.")
    assert (c.value, c.value_max, c.unit) == (0.7, 2.9, "%")
    c = one("Prices range from $370,000 to $5.5 million.")
    assert (c.value, c.value_max) == (370000.0, 5500000.0)


def test_ranks_and_number_words():
    c = one("The economy grew 4.5% in 2022, ranking 2nd in China.", quote="2nd")
    assert (c.value, c.unit) == (2.0, "rank")
    c = one("It has become Europe's fourth-largest container port.")
    assert (c.value, c.unit) == (4.0, "rank")
    c = one("They launched three new international air cargo routes.")
    assert (c.value, c.unit) == (3.0, "")
    assert c.confidence < one("They launched 3 new international air cargo routes.").confidence


def test_non_claims_are_ignored():
    text = ("In 2013, the 18th National Congress met. The 14th Five-Year Plan, the Third Belt and Road Forum "
            "and the 31st Lanzhou Investment and Trade Fair were held. This is one of the best ideas; on one hand "
            "no one knows. It follows the \"Eight Steps\" and the \"1+9\" platform with Fortune Global 500 firms "
            "after Covid-19, building a three-dimensional network.")
    assert extract_claims(text, dt.date(2024, 5, 1)) == []


def test_periods_relative_and_carried():
    pub = dt.date(2024, 5, 1)
    c = one("In the first quarter of this year, Gansu's GDP grew by 5.9%.", pub)
    assert (c.period_start, c.period_end) == (dt.date(2024, 1, 1), dt.date(2024, 3, 31))
    c = one("Gansu's foreign trade surged 14.5% YoY in the first nine months of 2024.", pub)
    assert (c.period_start, c.period_end) == (dt.date(2024, 1, 1), dt.date(2024, 9, 30))
    claims = extract_claims("In 2023, exports grew 3.8%. Imports surged by 55%.", pub)
    assert [c.period_start for c in claims] == [dt.date(2023, 1, 1)] * 2
    c = one("By the end of June this year, financing had reached US$43.6 billion.", dt.date(2023, 11, 1))
    assert c.period_end == dt.date(2023, 6, 30)
    c = one("From 2021 to 2023, trade grew at an average annual rate of 11.6%.", pub)
    assert (c.period_start, c.period_end) == (dt.date(2021, 1, 1), dt.date(2023, 12, 31))
    assert one("From January to September, Gansu dispatched 124 trains.", dt.date(2024, 11, 1)).period_end == dt.date(2024, 9, 30)
    assert one("It dispatched 124 trains.", pub).period_start is None


def test_respectively_distributes_measures_and_years():
    text = ("The province's total highway mileage, railroad mileage, and high-speed railroad mileage have reached "
            "158,200 kilometers, 5,765 kilometers, and 1,600 kilometers respectively.")
    claims = extract_claims(text)
    assert len({c.measure for c in claims}) == 3
    text = "In 2022 and 2023, the number of foreign-trade enterprises in the province increased by 16.8% and 11.5%, respectively."
    claims = extract_claims(text, dt.date(2024, 6, 1))
    assert [c.period_start.year for c in claims] == [2022, 2023]
    assert all(c.change == "up" for c in claims)
    text = ("In 2023, 1,172 projects were signed at this fair, totaling RMB 560.77 billion, representing an increase "
            "of 30.51% and 5.58% year-on-year, respectively.")
    c = extract_claims(text)
    assert c[2].measure.startswith(c[0].measure) and c[3].measure.startswith(c[1].measure)
    assert c[2].measure != c[3].measure


def test_measure_normalisation_pairs():
    pub = dt.date(2024, 5, 1)
    a = one("Gansu has forged 66 pairs of international sister city relationships.", pub)
    b = one("Gansu hosts 69 international sister cities.", pub)
    assert a.measure == b.measure and a.subject == b.subject == "Gansu"
    a = one("Gansu launched new routes, bringing the total number of international cargo routes to 16 at its airports "
            "and aviation hubs.", pub)
    b = one("Gansu has expanded its air cargo network, totaling 21 international air freight routes.", pub)
    assert a.measure == b.measure
    rail = one("Gansu has opened 5 international freight routes across the land bridge by train.", pub)
    assert rail.measure != b.measure


def test_same_value_different_measures():
    pub = dt.date(2024, 5, 1)
    text = ("Gansu is a province. The ancient Silk Road, spanning a long way, stretches over 1,600 kilometers within "
            "Gansu Province. The province's total highway mileage and high-speed railroad mileage have reached "
            "158,200 kilometers and 1,600 kilometers respectively. In 2021, Gansu's GDP exceeded RMB one trillion. "
            "In 2023, contracted foreign investment exceeded RMB one trillion.")
    claims = extract_claims(text, pub)
    km = [c for c in claims if c.value == 1600]
    assert len(km) == 2 and km[0].measure != km[1].measure
    tn = [c for c in claims if c.value == 1e12]
    assert len(tn) == 2 and tn[0].measure != tn[1].measure
    assert all(c.subject == "Gansu" for c in claims)


def test_kind_detection():
    assert one("We aim to achieve a passenger throughput of 48 million by 2035.", dt.date(2025, 11, 1)).kind == "target"
    assert one("We should compress customs clearance time to within 24 hours.").kind == "target"
    c = one("It is estimated that by 2030, cooperation will lift 7.6 million people out of poverty.", dt.date(2023, 11, 1))
    assert c.kind == "projection"
    assert one("In 2023, Gansu signed 1,172 projects.").kind == "fact"


def test_streaming_matches_list():
    text = "In 2023, exports grew 3.8%. Imports surged by 55%. " * 50
    assert list(iter_claims(text)) == extract_claims(text)
