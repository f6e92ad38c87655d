"""The pure side of conflict detection: measure scores, estimates, and time series against conflicts."""
from datetime import date

import pytest

from claimtrack.conflicts.compare import (
    POSSIBLY_SAME_SCORE, SAME_FACT_SCORE, Learned, Statement, claim_interval, claim_period, evaluate, group_key,
    match_score, measure_similarity, same_variant, variant_key,
)


@pytest.mark.parametrize("a, b", [
    pytest.param("rate of unemployment", "unemployment rate", id="labour-word-order"),
    pytest.param("organisation member", "organization member", id="spelling"),
    pytest.param("installed capacity", "capacity installed", id="energy-order"),
    pytest.param("hospital bed", "hospital bed", id="identical"),
    pytest.param("enrolment in the primary school", "primary school enrolment", id="education-little-words"),
])
def test_compare_same_fact(a, b):
    assert measure_similarity(a, b) >= SAME_FACT_SCORE


@pytest.mark.parametrize("a, b", [
    pytest.param("population", "total population", id="census-total"),
    pytest.param("life expectancy at birth", "life expectancy", id="health-at-birth"),
    pytest.param("international cargo route", "international air cargo route", id="transport-air"),
    pytest.param("wind power capacity", "installed wind power capacity", id="energy-installed"),
])
def test_compare_possibly_same_fact_is_asked(a, b):
    assert POSSIBLY_SAME_SCORE <= measure_similarity(a, b) < SAME_FACT_SCORE


@pytest.mark.parametrize("a, b", [
    pytest.param("pump price for diesel fuel", "pump price for gasoline", id="fuel"),
    pytest.param("county", "country", id="short-words-one-letter-apart"),
    pytest.param("platform 1 length", "platform 2 length", id="numbers"),
    pytest.param("export", "import", id="trade"),
    pytest.param("male population", "female population", id="census-sex"),
    pytest.param("average consumer price change", "end of year change", id="inflation-variants"),
    pytest.param("hospital bed", "hospital nurse", id="health-staff"),
])
def test_compare_different_facts_are_not_asked(a, b):
    assert measure_similarity(a, b) < POSSIBLY_SAME_SCORE


def test_compare_rare_words_weigh_more_than_common_ones():
    common_extra = measure_similarity("rainfall", "the rainfall")
    rare_extra = measure_similarity("rainfall", "monsoon rainfall")
    assert common_extra > rare_extra


def test_compare_learned_equivalence_and_separation_by_subject():
    learned = Learned([("freedonia", "gdp", "gross domestic product", True),
                       ("", "urban population", "population", False)])
    assert match_score(learned, "freedonia", "gross domestic product", "gdp") == 1.0
    assert match_score(learned, "sylvania", "gross domestic product", "gdp") == measure_similarity(
        "gross domestic product", "gdp")
    assert match_score(learned, "sylvania", "population", "urban population") == 0.0


def test_compare_learned_equivalences_chain():
    learned = Learned([("", "gdp", "gross domestic product", True), ("x", "gross domestic product", "output", True)])
    assert learned.canonical("x", "output") == learned.canonical("x", "gdp")
    assert learned.canonical("y", "output") == "output"


def test_compare_blocks_by_subject_key_unit_dimension_kind_and_change():
    written = group_key("Republic of Freedonia", "population", "", "fact", None, "freedonia")
    short = group_key("Freedonia", "population", "", "fact", None, "freedonia")
    assert written.block == short.block == "freedonia|count"
    assert group_key("Freedonia", "population", "", "fact", None).block == "freedonia|count"
    assert group_key("Freedonia", "length", "km", "fact", None).block == group_key("Freedonia", "x", "mi", "fact", None).block
    assert group_key("Freedonia", "population", "", "projection", None).block != written.block
    assert group_key("Freedonia", "population", "", "fact", "up").block != written.block
    assert written.level and not group_key("Freedonia", "inflation", "%", "fact", None).level


def test_compare_a_rise_of_a_growth_rate_states_the_rate():
    rate = group_key("Freedonia", "gdp growth", "%", "fact", None, "freedonia")
    assert group_key("Freedonia", "gdp growth", "%", "fact", "up", "freedonia").block == rate.block
    assert group_key("Freedonia", "gdp growth", "%", "fact", "down", "freedonia").block != rate.block
    # A rise of exports by 5% is no export level of 5%.
    assert group_key("Freedonia", "export", "%", "fact", "up").block != group_key("Freedonia", "export", "%", "fact", None).block


def test_compare_an_age_of_n_years_is_in_years():
    assert group_key("Freedonia", "median age", "year of age", "fact", None).block == \
        group_key("Freedonia", "median age", "a", "fact", None).block


def _claim(doc: int, value: float, quote: str, year: int | None = None, unit: str = "", qualifier: str = "=",
           measure: str = "population", change: str | None = None, month: int | None = None,
           variant: str = "") -> Statement:
    if year is None:
        period = None
    elif month is None:
        period = claim_period(date(year, 1, 1), date(year, 12, 31))
    else:
        period = claim_period(date(year, month, 1), date(year, month, 28))
    return Statement(
        id=doc, document_id=doc, group_id=None, pinned=False, conflict_open=False,
        key=group_key("Freedonia", measure, unit, "fact", change), active=True, eligible=True, period=period,
        bounds=claim_interval(value, None, qualifier, quote, unit, False), subject="Freedonia", measure=measure,
        variant=variant_key(variant),
    )


def test_compare_estimates_within_one_percent_agree():
    assert not evaluate([_claim(1, 45_700_000, "45.7 million"), _claim(2, 45_400_000, "45.4 million")]).conflict
    assert not evaluate([_claim(1, 25_720, "25,720", unit="USD"), _claim(2, 25_770, "25770", unit="USD")]).conflict
    assert evaluate([_claim(1, 13_300_000, "13.3 million"), _claim(2, 12_521_851, "12,521,851")]).conflict


def test_compare_small_counts_stay_exact():
    assert evaluate([_claim(1, 66, "66", measure="sister city"), _claim(2, 67, "67", measure="sister city")]).conflict


@pytest.mark.parametrize("first, second, conflict", [
    pytest.param(_claim(1, 9_356_500, "9,356,500", 2013), _claim(2, 1_600_000, "1.6 million", 2014), True,
                 id="population-six-times-a-year-apart"),
    pytest.param(_claim(1, 89_069, "89,069", 2012), _claim(2, 89_985, "89,985", 2013), False,
                 id="population-grows-a-year-on"),
    pytest.param(_claim(1, 4_460_000, "4.46 million", 1993), _claim(2, 15_000_000, "15 million", 2014), False,
                 id="population-decades-apart"),
    pytest.param(_claim(1, 1_200, "1,200 MW", 2020, unit="MW", measure="wind power capacity"),
                 _claim(2, 9_000, "9,000 MW", 2021, unit="MW", measure="wind power capacity"), True,
                 id="energy-capacity-seven-times-next-year"),
    pytest.param(_claim(1, 39_710, "39,710", 2011, unit="USD", measure="gni per capita"),
                 _claim(2, 42_530, "42530", 2012, unit="USD", measure="gni per capita"), False,
                 id="income-series"),
    pytest.param(_claim(1, 0.5, "0.5%", 2021, unit="%", measure="inflation"),
                 _claim(2, 8.0, "8%", 2022, unit="%", measure="inflation"), False,
                 id="rates-may-jump"),
    pytest.param(_claim(1, 2, "2", 2021, measure="cargo route", change="up"),
                 _claim(2, 12, "12", 2022, measure="cargo route", change="up"), False,
                 id="changes-may-jump"),
    pytest.param(_claim(1, 30_124, "30,124", 2020, month=3, measure="hospital bed"),
                 _claim(2, 100_512, "100,512", 2020, month=9, measure="hospital bed"), True,
                 id="health-months-apart"),
])
def test_compare_series_or_wild_value(first, second, conflict):
    verdict = evaluate([first, second])
    assert verdict.is_series
    assert verdict.conflict is conflict


@pytest.mark.parametrize("first, second, conflict", [
    pytest.param(_claim(1, 199_414, "199,414", 2003, month=7), _claim(2, 212_000, "212,000", 2003), True,
                 id="census-estimate-of-a-month-in-its-year"),
    pytest.param(_claim(1, 17_700_000, "17.7 million", 2013, month=7), _claim(2, 17_522_010, "17,522,010", 2013),
                 False, id="month-in-its-year-agrees"),
    pytest.param(_claim(1, 4_100_000, "4.1 million", 2019, month=3, unit="t", measure="rice harvest"),
                 _claim(2, 48_000_000, "48 million", 2019, unit="t", measure="rice harvest"), False,
                 id="a-month-of-a-flow-is-part-of-its-year"),
])
def test_compare_date_within_a_longer_period(first, second, conflict):
    assert evaluate([first, second]).conflict is conflict


@pytest.mark.parametrize("rough, other, conflict", [
    pytest.param(_claim(1, 100, "about 100", qualifier="~", measure="project"), _claim(2, 108, "108", measure="project"),
                 False, id="one-digit-ten-percent"),
    pytest.param(_claim(1, 445_000, "approximately 445,000", qualifier="~"), _claim(2, 482_000, "482,000"), True,
                 id="three-digits-five-percent"),
    pytest.param(_claim(1, 12_521_851, "approximately 12,521,851", qualifier="~"), _claim(2, 13_300_000, "13.3 million"),
                 True, id="eight-digits-as-an-estimate"),
    pytest.param(_claim(1, 23_000_000, "around 23 million", qualifier="~"), _claim(2, 21_500_000, "21.5 million"),
                 False, id="two-digits-ten-percent"),
])
def test_compare_about_is_as_rough_as_the_figure(rough, other, conflict):
    assert evaluate([rough, other]).conflict is conflict


def test_compare_wild_value_needs_two_documents():
    one_document = [_claim(1, 9_356_500, "9,356,500", 2013), _claim(1, 1_600_000, "1.6 million", 2014)]
    assert not evaluate(one_document).conflict


# (variant as extraction stores it, its key)
VARIANT_KEYS = [
    pytest.param("current us$", "", id="current-is-the-default-basis"),
    pytest.param("us dollars", "", id="only-the-currency"),
    pytest.param("current international $", "", id="ppp-dollars"),
    pytest.param("constant 2015 us$", "2015 constant", id="constant-prices-of-a-year"),
    pytest.param("children per woman", "", id="rate-unit"),
    pytest.param("constant 2010 euros per litre", "2010 constant", id="basis-before-a-rate-unit"),
    pytest.param("harmonised annual average %", "annual average harmonised", id="index-definition"),
    pytest.param("% of labour force", "force labour", id="share-of-what"),
]


@pytest.mark.parametrize("variant, key", VARIANT_KEYS)
def test_compare_variant_key_keeps_what_names_the_variant(variant, key):
    assert variant_key(variant) == key


@pytest.mark.parametrize("a, b, same", [
    pytest.param("current us$", "us dollars", True, id="unit-words-only"),
    pytest.param("", "december on december %", True, id="no-description-matches-any"),
    pytest.param("annual average %", "december on december %", False, id="two-definitions"),
    pytest.param("constant 2015 us$", "current us$", False, id="constant-against-current"),
    pytest.param("constant 2015 us$", "", False, id="constant-against-the-default-basis"),
    pytest.param("constant 2015 us$", "constant 2015 us dollars", True, id="same-base-year"),
])
def test_compare_same_variant(a, b, same):
    assert same_variant(variant_key(a), variant_key(b)) is same


@pytest.mark.parametrize("first, second, conflict", [
    pytest.param(_claim(1, 2.1, "2.1%", 2022, unit="%", measure="inflation", variant="annual average %"),
                 _claim(2, 3.4, "3.4%", 2022, unit="%", measure="inflation", variant="december on december %"),
                 False, id="inflation-two-definitions"),
    pytest.param(_claim(1, 9_100, "9,100", 2020, unit="USD", measure="gdp per capita", variant="constant 2015 us$"),
                 _claim(2, 11_800, "11,800", 2020, unit="USD", measure="gdp per capita", variant="current us$"),
                 False, id="constant-and-current-prices"),
    pytest.param(_claim(1, 9_100, "9,100", 2020, unit="USD", measure="gdp per capita", variant="current us$"),
                 _claim(2, 11_800, "11,800", 2020, unit="USD", measure="gdp per capita", variant="us dollars"),
                 True, id="one-variant-written-two-ways"),
    pytest.param(_claim(1, 2.1, "2.1%", 2022, unit="%", measure="inflation", variant="annual average %"),
                 _claim(2, 3.4, "3.4%", 2022, unit="%", measure="inflation"),
                 True, id="variant-against-a-plain-figure"),
    pytest.param(_claim(1, 9_100_000, "9.1 million", 2020, variant="constant 2015 us$"),
                 _claim(2, 40_000_000, "40 million", 2021, variant="current us$"),
                 False, id="wild-values-of-two-variants"),
])
def test_compare_claims_of_different_variants_are_different_facts(first, second, conflict):
    assert evaluate([first, second]).conflict is conflict
