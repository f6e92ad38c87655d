"""Behavioural and property tests for claimtrack.extract: the core rules as a case table."""
from __future__ import annotations

import datetime as dt
import math

import pytest
from hypothesis import given, settings, strategies as st

from claimtrack.extract import EXTRACTOR_VERSION, ExtractedClaim, extract_claims, iter_claims

from .rule_cases import assert_claims, case

QUALS = {"=", "~", ">", ">=", "<", "<="}
PUB = dt.date(2024, 5, 1)


def year(y: int) -> dict:
    """The period fields of calendar year y."""
    return {"period_start": dt.date(y, 1, 1), "period_end": dt.date(y, 12, 31)}


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_any_text_is_safe(text):
    for c in iter_claims(text):
        assert 0 <= c.start < c.end <= len(text)
        assert text[c.start:c.end] == c.quote
        assert math.isfinite(c.value)
        assert c.value_max is None or (math.isfinite(c.value_max) and c.value_max >= c.value)
        assert c.qualifier in QUALS
        assert 0.0 <= c.confidence <= 1.0
        assert c.sentence_start <= c.start and c.end <= c.sentence_end


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["In 2023, ", "RMB ", "1,172", " one-fifth", " million", " %", " over ",
                                 "ranked 2nd", " respectively", ", and ", "\x00", "\n\n", "between 3 and ",
                                 "US$", "km", " of the ", "Gansu", ".", " 0.7%–2.9%", "Rank ", " Ruritania ",
                                 " 4.25", " 12 ", " Tide height ", "millionThe", " | ", " x 10^", "993", "×10⁻",
                                 "21 029 853", "7,25", "1.204.566"]), max_size=30))
def test_number_soup_is_safe(parts):
    text = "".join(parts)
    for c in extract_claims(text, dt.date(2024, 5, 1)):
        assert text[c.start:c.end] == c.quote
        assert c.qualifier in QUALS
        assert c.value_max is None or c.value_max >= c.value


RULES = [
    # scale words and currencies
    case("GDP reached RMB 1.19 trillion.", {"value": 1.19e12, "unit": "CNY"}, id="trillion-rmb"),
    case("The province attracted $8.619 million in FDI.",
         {"quote": "$8.619 million", "value": 8619000.0, "unit": "USD"}, id="dollar-million"),
    case("Trade volume was US$19.1 trillion.", {"unit": "USD"}, id="us-dollar-sign"),
    case("The fine was 10 million euros.", {"value": 1e7, "unit": "EUR"}, id="euros-after"),
    case("A minority population of 2.65 million lives here.", {"value": 2650000.0}, id="million-bare"),
    # a scale word glued to the next sentence by a page scrape
    case("The town had 2.4 millionVisitors came later.", {"quote": "2.4 million", "value": 2.4e6},
         id="scale-glued-to-next-sentence"),
    case("Output was 7.5 billionThe rest was exported.", {"quote": "7.5 billion", "value": 7.5e9},
         id="billion-glued-to-next-sentence"),
    case("The plan counts 3 millions.", {"quote": "3", "value": 3.0}, id="plural-scale-is-not-glued"),
    case("The mass is 1 x 10^993 kg, beyond any float.", id="exponent-past-float-range-is-dropped"),
    case("The grain weighs 3 x 10^-5 kg.", {"value": pytest.approx(3e-5), "unit": "kg"}, id="negative-exponent"),
    # digits as web pages group them
    case("The reservoir holds 48 250 775 cubic metres.", {"quote": "48 250 775 cubic metres", "value": 48250775.0},
         id="space-grouped-thousands"),
    case("The census counted 3\u00a0402\u00a0118 residents.", {"value": 3402118.0}, id="no-break-space-grouping"),
    case("The trail is 4\u202f500\u00a0km long.", {"value": 4500.0, "unit": "km"}, id="narrow-space-grouping-unit"),
    case("Turnout was 1.204.566 voters.", {"value": 1204566.0}, id="dot-grouped-thousands"),
    case("Unemployment stood at 7,25 % last spring.", {"value": 7.25, "unit": "%"}, id="decimal-comma"),
    case("The fare is 12 345,50 euros.", {"value": 12345.5, "unit": "EUR"}, id="space-group-and-decimal-comma"),
    case("He won 6,520 votes.", {"value": 6520.0}, id="three-digits-after-comma-are-thousands"),
    case("They sold 12 345 and 6 tickets.", {"quote": "12"}, {"quote": "345"}, {"quote": "6"},
         id="one-space-group-is-two-numbers"),
    # percentages, points, fractions, units
    case("Exports grew by 3.8% year-on-year, outpacing the country by 3.2 percentage points.",
         {"value": 3.8, "unit": "%", "change": "up"}, {"value": 3.2, "unit": "pp"}, id="percent-and-points"),
    case("It accounts for one-fifth of its total length.", {"quote": "one-fifth", "value": 20.0, "unit": "%"},
         id="spoken-fraction"),
    case("The areas cover 183,600 square kilometers.", {"unit": "km2"}, id="square-kilometers"),
    case("The port handled 5 million TEUs.", {"unit": "TEU"}, id="teu"),
    case("Refunds take within three working days.", {"unit": "d"}, id="working-days"),
    # qualifiers
    case("It stretches over 1,600 kilometers.", {"qualifier": ">"}, id="over"),
    case("It has nearly 300 songs.", {"qualifier": "~"}, id="nearly"),
    case("It has at least 30 members.", {"qualifier": ">="}, id="at-least"),
    case("Clearance takes within 24 hours.", {"qualifier": "<="}, id="within"),
    case("It weighs less than 5 tons.", {"qualifier": "<"}, id="less-than"),
    # ranges
    case("Global income may rise by 0.7%–2.9%.", {"value": 0.7, "value_max": 2.9, "unit": "%"}, id="percent-range"),
    case("Prices range from $370,000 to $5.5 million.", {"value": 370000.0, "value_max": 5500000.0},
         id="from-to-range"),
    case("Tickets went from €40 to €45 to €52 in two seasons.",
         {"quote": "€40 to €45", "value": 40.0, "value_max": 45.0, "unit": "EUR"},
         {"quote": "€45 to €52", "value": 45.0, "value_max": 52.0, "unit": "EUR"}, {"quote": "two"},
         id="chained-transition-is-two-ranges"),
    case("Output fell from 90 tonnes to 80 tonnes to 75 tonnes.", {"value": 90.0, "value_max": None},
         {"value": 80.0, "value_max": None}, {"value": 75.0, "value_max": None},
         id="falling-chain-is-levels"),
    # a falling transition is two levels, never a range running downwards (the claims table refuses one)
    case("Ticket prices dropped from 45 to 38 dollars after the launch.",
         {"quote": "45", "value": 45.0, "value_max": None, "unit": "USD"},
         {"quote": "38 dollars", "value": 38.0, "value_max": None, "unit": "USD"}, id="falling-transition-one-unit"),
    case("Turnout slid from 61.5 to 58.2 percent between the two votes.",
         {"quote": "61.5", "value": 61.5, "unit": "%"}, {"quote": "58.2 percent", "value": 58.2, "unit": "%"},
         id="falling-transition-percent"),
    case("The share price sank from $12.40 to $9.75 in a week.",
         {"quote": "$12.40", "value": 12.4, "value_max": None}, {"quote": "$9.75", "value": 9.75, "value_max": None},
         id="falling-transition-two-amounts"),
    case("Its debt fell from 40 to 35 million euros.", {"quote": "40", "value": 4e7, "value_max": None, "unit": "EUR"},
         {"quote": "35 million euros", "value": 3.5e7, "value_max": None, "unit": "EUR"},
         id="falling-transition-takes-the-scale-written-once"),
    case("Sales may rise from 18 to 21-23 billion yen.", {"quote": "18", "value": 1.8e10, "value_max": None, "unit": "JPY"},
         {"quote": "21-23 billion yen", "value": 2.1e10, "value_max": 2.3e10, "unit": "JPY"},
         id="transition-into-a-range-is-a-level-and-the-range"),
    case("Rents climbed from 45 to 52 dollars.", {"quote": "45 to 52 dollars", "value": 45.0, "value_max": 52.0,
                                                   "unit": "USD"}, id="rising-transition-one-unit-is-a-range"),
    case("Divers found a 9,000 to-11,000 year-old hearth.",
         {"quote": "9,000 to-11,000 year-old", "value": 9000.0, "value_max": 11000.0, "unit": "year of age"},
         id="range-with-to-glued-to-the-upper-bound"),
    case("The van's range grew from 180 km combined to 210 on the new battery.",
         {"quote": "180 km combined to 210", "value": 180.0, "value_max": 210.0, "unit": "km"},
         id="transition-with-a-word-between-the-bounds"),
    case("Wages rose from 1,200 euros in 2015 to 1,450 euros in 2021.",
         {"value": 1200.0, "value_max": None, **year(2015)}, {"value": 1450.0, "value_max": None, **year(2021)},
         id="dated-bounds-stay-two-dated-levels"),
    case("She went from 14 points on Monday to 9 rebounds.", {"quote": "14 points", "value_max": None}, {"quote": "9"},
         id="bounds-of-different-things-stay-apart"),
    case("Crop losses reached 20 decently large farms.", {"quote": "20", "value": 20.0, "period_start": None},
         id="month-abbreviation-is-a-whole-word"),
    case("The 12 mayors met on 20 Dec 2021.", {"quote": "12", "value": 12.0}, id="month-name-in-a-word-is-no-date"),
    case("The coupe needs 4 seconds for the 0-to-100-km/h sprint.", {"quote": "4 seconds"},
         {"quote": "0-to-100-km/h", "value": 0.0, "value_max": 100.0, "unit": "km/h"}, id="hyphenated-to-range"),
    case("Lows were minus 40 Celsius ,minus 38 Fahrenheit.", {"value": -40.0, "unit": "degC"},
         {"value": -38.0, "unit": "degF"}, id="minus-word-after-a-comma"),
    # ranks and number words
    case("The economy grew 4.5% in 2022, ranking 2nd in China.",
         {"quote": "4.5%"}, {"quote": "2nd", "value": 2.0, "unit": "rank"}, id="ranking-ordinal"),
    case("It has become Europe's fourth-largest container port.", {"value": 4.0, "unit": "rank"},
         id="fourth-largest"),
    case("They launched three new international air cargo routes.", {"value": 3.0, "unit": "", "confidence": 0.6},
         id="number-word-count"),
    case("They launched 3 new international air cargo routes.", {"value": 3.0, "unit": "", "confidence": 0.8},
         id="digit-count-is-surer"),
    # names, ordinals and idioms that are not claims
    case("In 2013, the 18th National Congress met. The 14th Five-Year Plan, the Third Belt and Road Forum "
         "and the 31st Lanzhou Investment and Trade Fair were held.", id="ordinal-names", published=PUB),
    case("This is one of the best ideas; on one hand no one knows.", id="one-idioms"),
    case("It follows the \"Eight Steps\" and the \"1+9\" platform with Fortune Global 500 firms after Covid-19, "
         "building a three-dimensional network.", id="quoted-names-and-codes"),
    # periods: relative, carried, averaged
    case("In the first quarter of this year, Gansu's GDP grew by 5.9%.",
         {"period_start": dt.date(2024, 1, 1), "period_end": dt.date(2024, 3, 31)}, id="first-quarter-this-year",
         published=PUB),
    case("Gansu's foreign trade surged 14.5% YoY in the first nine months of 2024.",
         {"period_start": dt.date(2024, 1, 1), "period_end": dt.date(2024, 9, 30)}, id="first-nine-months",
         published=PUB),
    case("In 2023, exports grew 3.8%. Imports surged by 55%.", year(2023), year(2023), id="period-carried",
         published=PUB),
    case("By the end of June this year, financing had reached US$43.6 billion.",
         {"period_end": dt.date(2023, 6, 30)}, id="by-end-of-june", published=dt.date(2023, 11, 1)),
    case("From 2021 to 2023, trade grew at an average annual rate of 11.6%.",
         {"period_start": dt.date(2021, 1, 1), "period_end": dt.date(2023, 12, 31)}, id="average-annual",
         published=PUB),
    case("From January to September, Gansu dispatched 124 trains.", {"period_end": dt.date(2024, 9, 30)},
         id="january-to-september", published=dt.date(2024, 11, 1)),
    case("It dispatched 124 trains.", {"period_start": None}, id="no-period", published=PUB),
    case("Copper output was put at 4,200 tonnes in March of 2019.",
         {"period_start": dt.date(2019, 3, 1), "period_end": dt.date(2019, 3, 31)}, id="in-month-of-year"),
    case("Freedonia counted 4,100 doctors in June, 2018.",
         {"period_start": dt.date(2018, 6, 1), "period_end": dt.date(2018, 6, 30)}, id="in-month-comma-year",
         published=PUB),
    case("Ticket sales fell 3% in August of last year.",
         {"period_start": dt.date(2023, 8, 1), "period_end": dt.date(2023, 8, 31)}, id="in-month-of-last-year",
         published=PUB),
    # a year-like number dated by a year after it is a value
    case("Median rent was last recorded at 2015 in 2019.", {"value": 2015.0, **year(2019)}, id="value-dated-by-year"),
    case("The index stood at 1990 as of 2021, its record.", {"value": 1990.0, **year(2021)},
         id="value-as-of-year"),
    case("The museum opened in 1998 in Oslo.", id="year-then-place-stays-a-year"),
    # respectively
    case("In 2022 and 2023, the number of foreign-trade enterprises in the province increased by 16.8% and 11.5%, "
         "respectively.", {"change": "up", **year(2022)}, {"change": "up", **year(2023)},
         id="respectively-years", published=dt.date(2024, 6, 1)),
    # what a figure counts
    case("Sylvania has 2.3 million inhabitants, out of which 900,000 live in the capital.",
         {"measure": "population"}, {"quote": "900,000"}, id="out-of-which-is-no-out-of-count"),
    # kind
    case("We aim to achieve a passenger throughput of 48 million by 2035.", {"kind": "target"}, id="aim-target",
         published=dt.date(2025, 11, 1)),
    case("We should compress customs clearance time to within 24 hours.", {"kind": "target"}, id="should-target"),
    case("It is estimated that by 2030, cooperation will lift 7.6 million people out of poverty.",
         {"kind": "projection"}, id="estimated-projection", published=dt.date(2023, 11, 1)),
    case("In 2023, Gansu signed 1,172 projects.", {"kind": "fact"}, id="fact"),
    case("The population of Ruritania is 2.9 million, and is predicted to reach 3.6 million by 2050.",
         {"kind": "fact", "measure": "population"}, {"kind": "projection", "measure": "population"},
         id="each-clause-its-own-modality"),
    case("Imports fell 2% last year, but exports will rise 5%.", {"kind": "fact"},
         {"kind": "projection", "measure": "export growth"}, id="fact-then-will-clause", published=PUB),
    case("Revenue is forecast to rise 4% in 2025, and 6% in 2026.", {"kind": "projection"}, {"kind": "projection"},
         id="verbless-clause-continues-the-forecast"),
    case("Harvests are expected to grow 5% this year, and reach 7% next year.", {"kind": "projection"},
         {"kind": "projection"}, id="shared-verb-continues-the-forecast", published=PUB),
    # flattened tables: a header naming the measure, then rows of rank, name and value
    case("Rank Country Tide range (m) 1 Fundy Bay 16.3 2 Ungava Bay 15.6 3 Severn Estuary 15.0",
         {"quote": "1", "unit": "rank", "subject": "Fundy Bay"},
         {"quote": "16.3", "value": 16.3, "subject": "Fundy Bay", "measure_text": "Tide range (m)"},
         {"quote": "2", "unit": "rank", "subject": "Ungava Bay"},
         {"quote": "15.6", "subject": "Ungava Bay"},
         {"quote": "3", "unit": "rank", "subject": "Severn Estuary"},
         {"quote": "15.0", "value": 15.0, "subject": "Severn Estuary"}, id="table-ranked-rows"),
    case("Rank Country Population 1 Ruritania 4,512,000 2 Freedonia 3,100,250 3 Sylvania 990,400",
         {"quote": "1", "unit": "rank", "subject": "Ruritania"},
         {"value": 4512000.0, "subject": "Ruritania", "measure_text": "Population"},
         {"quote": "2", "unit": "rank"}, {"value": 3100250.0, "subject": "Freedonia"},
         {"quote": "3", "unit": "rank"}, {"value": 990400.0, "subject": "Sylvania"},
         id="table-header-ending-in-a-capital-then-rank"),
    case("Ruritania 12 Sylvania 640 Freedonia 75", id="unranked-integers-with-no-header-are-no-table"),
    case("Average rainfall in mm: Ruritania 1,204.5 | Freedonia 987.25 | Sylvania 640",
         {"value": 1204.5, "subject": "Ruritania", "measure_text": "Average rainfall in mm"},
         {"value": 987.25, "subject": "Freedonia"},
         {"value": 640.0, "subject": "Sylvania"}, id="table-rows-after-colon-header"),
    case("14 Literacy rate – Bosnia and Herzegovina 98.2",
         {"quote": "14", "value": 14.0, "unit": "rank", "subject": "Bosnia and Herzegovina"},
         {"quote": "98.2", "subject": "Bosnia and Herzegovina", "measure_text": "Literacy rate"},
         id="table-list-number-header-row"),
    case("Doctors per 1,000 people 2019 1 Ruritania 5.4 2 Sylvania 4.9",
         {"quote": "1", "unit": "rank"}, {"quote": "5.4", "subject": "Ruritania", **year(2019)},
         {"quote": "2", "unit": "rank"}, {"quote": "4.9", "subject": "Sylvania", **year(2019)},
         id="table-header-with-rate-base-and-year"),
    case("Median house price Sylvania £312,000 Freedonia £298,500",
         {"value": 312000.0, "unit": "GBP", "subject": "Sylvania"},
         {"value": 298500.0, "unit": "GBP", "subject": "Freedonia"}, id="table-currency-values",
         known_miss="a currency sign between the name and the value hides the row"),
    case("Population Ruritania 4,512,000 Freedonia 3,100,250",
         {"value": 4512000.0, "subject": "Ruritania"}, {"value": 3100250.0, "subject": "Freedonia"},
         id="table-header-glued-to-first-name",
         known_miss="a capitalised header directly before the first name cannot be told from it"),
    case("Forest cover (km2) Ruritania 41 250,5 Freedonia 9 870,25",
         {"value": 41250.5, "subject": "Ruritania"}, {"value": 9870.25, "subject": "Freedonia"},
         id="table-values-in-european-format"),
    case("Wheat yields by region.\nRank Region Yield (t/ha)\n1 Upper Vale 8.4\n2 Lowmoor 7.95\nSource: survey.",
         {"quote": "1", "unit": "rank", "subject": "Upper Vale"},
         {"quote": "8.4", "subject": "Upper Vale", "measure_text": "Yield (t/ha)"},
         {"quote": "2", "unit": "rank", "subject": "Lowmoor"},
         {"quote": "7.95", "subject": "Lowmoor", "measure_text": "Yield (t/ha)"}, id="table-one-row-per-line"),
    case("Country | Tea output (kt) | Year\nRuritania | 41.5 | 2019\nSylvania | 38.2 | 2019",
         {"quote": "41.5", "subject": "Ruritania", "measure": "tea output", **year(2019)},
         {"quote": "38.2", "subject": "Sylvania", "measure": "tea output", **year(2019)},
         id="table-cells-with-a-year-column"),
    case("Forest area (% of land area) - Gabon: 91.3 (2021)",
         {"quote": "91.3", "subject": "Gabon", "unit": "%", "measure": "forest area share", **year(2021)},
         id="table-row-with-bracketed-year-and-share-header"),
    case("Rank Country Energy use (kg of oil equivalent per capita) 1 Ruritania 7,210 2 Sylvania 6,985",
         {"quote": "1", "unit": "rank", "measure": "energy use per capita rank"},
         {"quote": "7,210", "measure": "energy use per capita",
          "measure_text": "Energy use (kg of oil equivalent per capita)"},
         {"quote": "2", "unit": "rank"}, {"quote": "6,985", "measure": "energy use per capita"},
         id="table-header-bracket-per-capita"),
    case("Key figures\nExports 4.5\nImports 3.9", id="heading-without-column-names-heads-no-table"),
    case("Life expectancy\n1 Andorra 84.1\n2 Ruritania 83.7",
         {"quote": "1", "unit": "rank"}, {"quote": "84.1", "subject": "Andorra"},
         {"quote": "2", "unit": "rank"}, {"quote": "83.7", "subject": "Ruritania"},
         id="ranked-lines-under-a-plain-heading",
         known_miss="a heading that names no column does not head the row lines below it"),
    case("Year of independence Ruritania 1998 Freedonia 2001", id="table-of-years-is-periods-not-claims"),
    case("The Boeing 737 flew 5.2 hours.", {"quote": "5.2 hours"}, id="prose-is-not-a-table"),
    case("Top aircraft Boeing 737", id="single-integer-row-is-a-model-number"),
    case("Population of Ruritania : 47 , 900,000 , Urban 61.2 percent", {"quote": "47"}, {"quote": "900,000"},
         {"quote": "61.2 percent"}, id="figures-before-rows-are-not-a-header"),
    # the opening noun phrase as subject, when no name is the clause's subject
    case("In 2011 the brewery bottled 84,000 crates of lager.", {"quote": "84,000", "subject": "brewery"},
         id="opening-year-without-comma-is-no-subject"),
    case("By the end of 2019 the hospital trust treated 3,100 patients.",
         {"quote": "3,100", "subject": "hospital trust"}, id="opening-time-phrase-ending-in-a-year"),
    case("Last season the theatre staged 41 plays.", {"quote": "41", "subject": "theatre"},
         id="opening-time-words-come-off"),
    case("The orchard harvested 950 crates and hired 32 pickers.",
         {"quote": "950", "subject": "orchard"}, {"quote": "32", "subject": "orchard"},
         id="past-tense-verb-outside-the-hand-list-ends-the-phrase"),
    case("The skilled welders earned 31 dollars an hour.", {"subject": "skilled welders"},
         id="ed-word-after-a-determiner-is-an-adjective"),
    case("The renovated 1998 ferry terminal handled 2.4 million passengers.",
         {"quote": "2.4 million", "subject": "renovated 1998 ferry terminal"},
         id="year-inside-a-name-stays", known_miss="a year inside a noun phrase is left out of the subject"),
    case("In 2020 alone, the region lost 3,000 jobs.", {"quote": "3,000", "subject": "region"},
         id="comma-after-an-opening-time-and-a-word"),
    case("Last year, the bakery sold 12,000 loaves.", {"quote": "12,000", "subject": "bakery"},
         id="comma-after-opening-time-words"),
    case("In the 1990s the mill lost 4,000 jobs.", {"quote": "4,000", "subject": "mill"},
         id="opening-decade-is-no-subject"),
    case("Between 1850 and 1900 glacier fronts retreated 1.2 km.", {"quote": "1.2 km", "subject": "glacier fronts"},
         id="opening-span-of-years-is-no-subject"),
]


@pytest.mark.parametrize("text, published, expected", RULES)
def test_rule(text, published, expected):
    assert_claims(text, published, expected)


# Pairs of sentences that state the same fact, and pairs that do not, by (subject, measure).
MEASURE_PAIRS = [
    pytest.param("Gansu has forged 66 pairs of international sister city relationships.",
                 "Gansu hosts 69 international sister cities.", True, id="sister-cities"),
    pytest.param("Gansu launched new routes, bringing the total number of international cargo routes to 16 at its "
                 "airports and aviation hubs.",
                 "Gansu has expanded its air cargo network, totaling 21 international air freight routes.", True,
                 id="air-cargo-routes"),
    pytest.param("Gansu has opened 5 international freight routes across the land bridge by train.",
                 "Gansu has expanded its air cargo network, totaling 21 international air freight routes.", False,
                 id="rail-is-not-air"),
    pytest.param("Rank Country Tide range (m) 1 Fundy Bay 16.3", "Tide range (m) 4 Fundy Bay 16.1", True,
                 id="table-rows-of-one-measure"),
]


@pytest.mark.parametrize("first, second, same", MEASURE_PAIRS)
def test_measure_pairs(first, second, same):
    a = [c for c in extract_claims(first, PUB) if c.unit != "rank"]
    b = [c for c in extract_claims(second, PUB) if c.unit != "rank"]
    assert len(a) == len(b) == 1
    assert ((a[0].subject, a[0].measure) == (b[0].subject, b[0].measure)) is same


def test_respectively_distributes_measures():
    text = ("The province's total highway mileage, railroad mileage, and high-speed railroad mileage have reached "
            "158,200 kilometers, 5,765 kilometers, and 1,600 kilometers respectively.")
    assert len({c.measure for c in extract_claims(text)}) == 3
    text = ("In 2023, 1,172 projects were signed at this fair, totaling RMB 560.77 billion, representing an increase "
            "of 30.51% and 5.58% year-on-year, respectively.")
    c = extract_claims(text)
    assert c[2].measure.startswith(c[0].measure) and c[3].measure.startswith(c[1].measure)
    assert c[2].measure != c[3].measure


def test_same_value_different_measures():
    text = ("Gansu is a province. The ancient Silk Road, spanning a long way, stretches over 1,600 kilometers within "
            "Gansu Province. The province's total highway mileage and high-speed railroad mileage have reached "
            "158,200 kilometers and 1,600 kilometers respectively. In 2021, Gansu's GDP exceeded RMB one trillion. "
            "In 2023, contracted foreign investment exceeded RMB one trillion.")
    claims = extract_claims(text, PUB)
    km = [c for c in claims if c.value == 1600]
    assert len(km) == 2 and km[0].measure != km[1].measure
    tn = [c for c in claims if c.value == 1e12]
    assert len(tn) == 2 and tn[0].measure != tn[1].measure
    assert all(c.subject == "Gansu" for c in claims)


def test_version_and_json_keys():
    assert EXTRACTOR_VERSION
    [c] = extract_claims("In 2023, Gansu exported 5 trains.", dt.date(2024, 1, 1))
    assert isinstance(c, ExtractedClaim)
    assert set(c.to_json("d.txt")) == {"doc", "start", "end", "text", "value", "value_max", "unit", "qualifier",
                                       "change", "period_start", "period_end", "subject", "subject_key", "measure",
                                       "measure_variant", "kind", "confidence", "uncertainty", "moved_from"}
    assert c.to_json("d.txt")["period_start"] == "2023-01-01"
    assert c.to_json("d.txt")["subject_key"] == "region:CN-GS"


def test_streaming_matches_list():
    text = "In 2023, exports grew 3.8%. Imports surged by 55%. " * 50
    assert list(iter_claims(text)) == extract_claims(text)


def _crash_on(monkeypatch, marker):
    """Make the quantity rules raise on sentences containing `marker`."""
    from claimtrack.extract import engine

    real = engine.find_quantities

    def find_quantities(text, s0, s1, *rest):
        if marker in text[s0:s1]:
            raise KeyError("rule crashed")
        return real(text, s0, s1, *rest)

    monkeypatch.setattr(engine, "find_quantities", find_quantities)


def test_a_crashing_rule_is_raised_not_swallowed(monkeypatch):
    _crash_on(monkeypatch, "Quux")
    with pytest.raises(KeyError):
        extract_claims("The mill sold 40 looms. Quux sold 12 looms.")


def test_on_error_skips_only_the_failing_sentence_and_reports_its_offset(monkeypatch):
    _crash_on(monkeypatch, "Quux")
    text = "The mill sold 40 looms. Quux sold 12 looms. The yard sold 7 boats."
    failures = []
    claims = list(iter_claims(text, on_error=lambda offset, exc: failures.append((offset, type(exc)))))
    assert [c.quote for c in claims] == ["40", "7"]
    assert failures == [(text.index("Quux"), KeyError)]
