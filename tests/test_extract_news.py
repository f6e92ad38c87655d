"""Behavioural tests for English news phenomena as a case table: money, ranges, signs, labels, units, years."""
from __future__ import annotations

import datetime as dt

import pytest

from claimtrack.extract import extract_claims

from .rule_cases import assert_claims, case


def q(quote: str, value: float, value_max: float | None = None, unit: str = "", **more) -> dict:
    """Expected quote, value, upper bound and unit of one claim (plus any other fields)."""
    return {"quote": quote, "value": value, "value_max": value_max, "unit": unit, **more}


def at(text: str, quote: str) -> int:
    """Where `quote` starts in `text`: the offset a later level's `moved_from` names."""
    return text.index(quote)


FALL = "Ticket sales fell from 12,400 tickets to 9,800 tickets in the spring."
RESERVOIR = "The reservoir dropped from 84 percent in March to 61 percent in August."
SALARY = "Her pay went from €41,000 a year before the merger to €38,500."
JET = "Once loaded, the jet's range shrinks from about 7,400 km to 6,900 km."
LEVELS = "The lake sank from 12 m to 9 m and then to 7 m."

NEWS = [
    # currency codes glued to the digits, pound signs, currency after the amount
    case("The yacht was listed at USD10m last week.", q("USD10m", 1e7, unit="USD"), id="usd-glued"),
    case("Annual revenue amounted to EUR50m.", q("EUR50m", 5e7, unit="EUR"), id="eur-glued"),
    case("The bonus was worth up to PS2.7m.", {"value": 2.7e6, "value_max": None, "unit": "GBP"}, id="ps-pound-sign"),
    case("The sisters laundered almost S $1mil through the scheme.",
         {"value": 1e6, "unit": "SGD", "qualifier": "~"}, id="singapore-dollar-mil"),
    case("The villa was valued at $A82,615,680.", {"unit": "AUD"}, id="australian-dollar"),
    case("He bought a notebook for 1,200€ to work remotely.", q("1,200€", 1200.0, unit="EUR"), id="euro-after"),
    case("It is a million dollar house.", {"value": 1e6}, id="a-million-dollar"),
    # ranges with currency on both bounds, per-units, number words and scales
    case("Units are priced from RM120,000 to RM300,000 each.",
         {"value": 120000.0, "value_max": 300000.0, "unit": "MYR"}, id="range-currency-both-bounds"),
    case("The shares will be offered at between $62 and $68 per share.",
         {"value": 62.0, "value_max": 68.0, "unit": "USD/share"}, id="range-per-share"),
    case("Guidance was cut to between $US140 million and $US150 million.", {"value": 1.4e8, "value_max": 1.5e8},
         id="range-us-dollar-millions"),
    case("The deal could be worth $10 to $15 billion.", {"value": 1e10, "value_max": 1.5e10, "unit": "USD"},
         id="range-scale-on-upper-bound"),
    case("There are four to five thousand people.", {"value": 4000.0, "value_max": 5000.0}, id="range-words-scale"),
    case("There are 1 to 2 thousand people.", {"value": 1000.0, "value_max": 2000.0}, id="range-digits-scale"),
    case("Trade could see a five per cent to 20 per cent rebound.", {"value": 5.0, "value_max": 20.0, "unit": "%"},
         id="range-mixed-forms"),
    case("It will take between seven to 10 years.", {"value": 7.0, "value_max": 10.0, "unit": "a"},
         id="range-between-to"),
    case("Over the past three or four years, lenders grew.", {"value": 3.0, "value_max": 4.0, "unit": "a"},
         id="range-or"),
    case("World temperatures dropped by 1 to 1.5 degrees Celsius.",
         {"value": 1.0, "value_max": 1.5, "unit": "degC"}, id="range-celsius"),
    case("It will extend the range from up to 252 miles to 287 miles- and more.",
         {"value": 252.0, "value_max": 287.0, "unit": "mi"}, id="range-from-up-to"),
    case("Copper climbed by 4 percent while nickel slipped by 3.", {"value": 4.0, "unit": "%"},
         {"quote": "3", "value": 3.0, "unit": "%"}, id="parallel-changes-share-a-percentage"),
    case("Copper climbed by 4 percent while stocks held at 3 weeks' use.", {"value": 4.0, "unit": "%"},
         {"quote": "3 weeks", "unit": "week"}, id="parallel-change-needs-two-by-phrases"),
    case("Revenue grew by 5% and the staff grew by 40.", {"unit": "%"}, {"quote": "40", "unit": ""},
         id="parallel-change-of-another-size-stays-bare"),
    case("Exports increased by 5% to 20% of output.", {"value": 5.0, "value_max": None}, {"value": 20.0},
         id="increase-by-then-level-is-not-a-range"),
    # scores are not claims, ranges are
    case("Bristol City came from behind to beat Charlton 2-1 at home.", id="score-beat"),
    case("The semi-final ended 2-2 on aggregate.", id="score-aggregate"),
    case("Thompson's layup tied the game at 89-89.", id="score-tied"),
    case("He left with a 9-2 lead in the ninth inning.", id="score-lead"),
    case("Recovery takes 2-3 days.", {"value": 2.0, "value_max": 3.0, "unit": "d"}, id="range-not-score"),
    # signs: minus, plus, sub-
    case("The frigid atmosphere can dip to minus-130 degrees Fahrenheit.", {"value": -130.0, "unit": "degF"},
         id="minus-word"),
    case("The offense was minus-5 yards.", {"value": -5.0}, id="minus-yards"),
    case("At 1.56pm: Dow +0.2% Nasdaq +0.8%.", q("0.2%", 0.2, unit="%", change="up"),
         q("0.8%", 0.8, unit="%", change="up"), id="plus-sign-is-a-change"),
    case("Demand for sub-300 sq m office space has surged.", {"value": 300.0, "unit": "m2", "qualifier": "<"},
         id="sub-prefix"),
    # decimals, fractions and scientific notation
    case("The team is chasing a .500 record.", {"value": 0.5}, id="leading-point"),
    case("The recipe requires 1/2 pound of chocolate chips.", q("1/2 pound", 0.5, unit="lb"), id="slash-fraction-unit"),
    case("A fluid ounce is 1/16 of a US pint.", {"value": 0.0625, "value_max": None, "unit": "pt"},
         id="slash-fraction-of-unit"),
    case("About 1/3 of voters stayed home.", {"value": pytest.approx(33.33, abs=0.01), "unit": "%"},
         id="slash-fraction-share"),
    case("The shop is open 24/7 for customers.", id="twenty-four-seven"),
    # a part of a round whole is a share of it; a part of any other whole states two counts
    case("Roughly one in five nurses in the region works nights.",
         q("one in five", 20.0, unit="%", measure="nurse share", qualifier="~"), id="one-in-five-share"),
    case("Seven in 10 farmers said they would plant maize.",
         q("Seven in 10", 70.0, unit="%", measure="farmer share"), id="so-many-in-ten-share"),
    case("One out of four households said they would plant maize.",
         q("One out of four", 25.0, unit="%", measure="household share"), id="one-out-of-four-share"),
    case("The survey found 1 in 50 homes had no heating.", q("1 in 50", 2.0, unit="%"), id="one-in-fifty-share"),
    case("The firm won 12 out of 37 tenders.", {"quote": "12", "value": 12.0}, {"quote": "37", "value": 37.0},
         id="part-of-uneven-whole-is-two-counts"),
    case("The club signed 3 in 2021 and 4 in 2022.", {"quote": "3", "value": 3.0}, {"quote": "4", "value": 4.0},
         id="part-in-a-year-is-no-share"),
    case("The speed of light is about 2.998×10^8 meters per second.", {"value": 2.998e8}, id="scientific"),
    # a glued "m": million before counted nouns, metres otherwise
    case("It will boost output to 1.2m tons of ilmenite.", {"value": 1.2e6, "value_max": None, "unit": "t"},
         id="m-million-tons"),
    case("The film had 2.7m combined digital and physical sales.", {"value": 2.7e6}, id="m-million-sales"),
    case("Nearly two-thirds of the 4.3M sales came from discs.", {"quote": "two-thirds"}, {"value": 4.3e6},
         id="capital-m-million"),
    case("The skeleton is 37m (121ft) long.", {"value": 37.0, "value_max": None, "unit": "m"}, {"quote": "121ft"},
         id="m-metres-long"),
    case("Divers found it at a 10m depth.", {"unit": "m"}, id="m-metres-depth"),
    # units of news text
    case("It makes 275 pound-feet of torque.", {"unit": "ft*lbf"}, id="pound-feet"),
    case("Peak torque arrives at 3000 rpm.", {"unit": "rpm"}, id="rpm"),
    case("The SUV returns 23 mpg on the highway.", {"unit": "mi/gal"}, id="mpg"),
    case("The pixel pitch was 352 μm.", {"unit": "µm"}, id="micrometre"),
    case("Panel strength was set to 9 ksi.", {"unit": "ksi"}, id="ksi"),
    case("It offers a 185-hp four-cylinder engine.", {"unit": "hp"}, id="hyphen-hp"),
    case("Vectura shares rose to 164p.", {"unit": "GBP-pence"}, id="pence"),
    case("Watch it in 1080p tonight.", id="video-lines-are-not-pence"),
    case("Nissan is 43.4 percent-owned by Renault.", {"unit": "%"}, id="percent-owned"),
    case("The boot holds 24.5 cubic feet.", {"unit": "ft3"}, id="cubic-feet"),
    case("Revenue rose from $6.78 billion a year earlier.", {"unit": "USD"}, id="a-year-earlier-is-not-per-year"),
    case("Membership costs $99.99 a-year.", {"unit": "USD/a"}, id="a-year-is-per-year"),
    # compound number words
    case("There are twenty-eight thousand six hundred forty-two students.", {"value": 28642.0}, id="compound-words"),
    case("She bought a dozen eggs.", {"value": 12.0}, id="a-dozen"),
    case("Revenue from China grew more than sixfold.", {"unit": "times"}, id="sixfold"),
    # labels, addresses and codes
    case("Properties include 49 Zorro Ranch Road, 358 El Brillo Way and 22 Ave Foch.", id="addresses"),
    case("The category 4 hurricane hit after 12:01 a.m. EDT (0401 GMT).", id="category-and-times"),
    case("Dak Prescott (4) ran in. The car passed ISO 3888-2 tests.", id="shirt-number-and-standard"),
    case("She watched BBC One and the Kick Six replay.", id="names-with-number-words"),
    case("Apple's new iPhone 11 cameras are better.", id="model-number-camel-case"),
    case("The airline grounded two new 737 Max jets.", {"quote": "two", "value": 2.0}, id="model-number-max"),
    case("Reviews of the 11 Pro Max are in.", id="model-number-pro"),
    case("The temple was built between A.D. 1000 and 1260.", id="era-ad"),
    case("Rome was founded in 753 BC by legend.", id="era-bc"),
    case("The airline flies 300 routes.", q("300", 300.0), id="plain-count-stays"),
    case("The downside/upside in the stock is $7/$9 now.", {"value": 7.0, "value_max": 9.0, "unit": "USD"},
         id="slashed-amounts"),
    # years
    case("The 1988 horror film will be remade.", id="year-modifier"),
    case("In 2021 most people worked from home.", id="year-period"),
    case("The survey of 2017 also found problems.", id="year-of"),
    case("The plant employs 2000 people.", q("2000", 2000.0), id="count-that-looks-like-a-year"),
    case("Adults need about 2000 - 2500 Calories.", {"value": 2000.0, "value_max": 2500.0}, id="range-like-years"),
    case("The 2014-15 Highlander offered a 185-hp engine.",
         {"period_start": dt.date(2014, 1, 1), "period_end": dt.date(2015, 12, 31)}, id="model-years-period"),
    case("He played for five NBA teams in the 1970s.",
         {"value": 5.0, "period_start": dt.date(1970, 1, 1), "period_end": dt.date(1979, 12, 31)}, id="decade"),
    case("Between 1600 and 1900 the climate cooled.", id="year-range"),
    # halves as periods, age bands, pronoun "one"
    case("Sales should grow strongly this half.", id="this-half"),
    case("He scored in the second half of the game.", id="second-half"),
    case("Half the condos have sold.", {"value": 50.0, "value_max": None, "unit": "%"}, id="half-share"),
    case("60 per cent of men aged 18 to 34 bet on sports.", {"value": 60.0}, id="age-band"),
    case("They reuse the same one across accounts.", id="the-same-one"),
    case("It turned a landlocked country into a land-linked one and more.", id="pronoun-one"),
    case("She put one hand behind her head.", {"value": 1.0}, id="one-hand"),
    case("Just one year after the visit, the council acted.", id="time-anchor"),
    # qualifier and change shared across a list or a conversion
    case("The Dow lost 190 points, or 0.6%.", {"change": "down"}, {"change": "down"}, id="change-shared-or"),
    case("The engine makes just under 296 hp (224 kW / 300 PS).", {"qualifier": "<"}, {"qualifier": "<"},
         {"qualifier": "<"}, id="qualifier-shared-conversion"),
    case("Tesla fell after plummeting 65% during the rout.", {"change": "down"}, id="plummeting"),
    case("The brand was expected to grow sales by 35 per cent.", {"change": "up"}, id="grow-by"),
    # subjects and measures
    case("The Third Belt and Road Forum was held in Beijing. It announced eight major steps. "
         "China has signed over 230 cooperation documents. China's trade grew. China has built 86 routes.",
         {"quote": "eight", "subject": "China"}, {"quote": "230"}, {"quote": "86"},
         id="subject-from-document-opening"),
    case("Gansu has set up 58 overseas warehouses.", {"measure": "overseas warehouse"}, id="overseas-not-singular"),
    case("By the end of June, the AIIB had approved financing of US$43.6 billion.", {"subject": "AIIB"},
         id="leading-article-dropped"),
    # units left implicit are shared within the sentence
    case("The highest forecast is 84.75 cents, while the lowest is 74.07.", q("84.75 cents", 84.75, unit="USD-cent"),
         q("74.07", 74.07, unit="USD-cent"), id="unit-shared-backwards"),
    case("It lists at 2,435,000 yen ($22,480) for the manual and 2,380,000 ($21,972) for the CVT.",
         {"unit": "JPY"}, {"unit": "USD"}, {"value": 2380000.0, "unit": "JPY"}, {"unit": "USD"},
         id="unit-of-same-size-amount"),
    case("It costs about 8 or $9.", {"value": 8.0, "unit": "USD"}, {"value": 9.0, "unit": "USD"},
         id="unit-shared-forwards"),
    case("He has raised 280 million of the 1.5 billion shekels he needs.", {"value": 2.8e8, "unit": "ILS"},
         {"value": 1.5e9, "unit": "ILS"}, id="unit-shared-of-the"),
    case("The index rose 2% to 3,120 while 40 firms fell.", {"value": 2.0, "unit": "%"},
         {"value": 3120.0, "unit": ""}, {"value": 40.0, "unit": ""}, id="unit-not-shared-other-size"),
    case("It paid $5 million for 4 stores.", {"unit": "USD"}, {"unit": ""}, id="unit-not-shared-counted-noun"),
    # index levels are points
    case("The S&P 500 rose 64.06 points to 4,577.10.", {"value": 64.06, "unit": "point"},
         {"value": 4577.1, "unit": "point"}, id="index-level-points"),
    case("The Dow Jones Industrial Average rose 0.65 per cent to end at 27,349.19.", {"value": 0.65, "unit": "%"},
         {"value": 27349.19, "unit": "point"}, id="index-level-after-percent"),
    case("The team rose 3 places to 112.5 after the game.", {"quote": "3"}, {"value": 112.5, "unit": ""},
         id="level-without-market-cue"),
    # a per-phrase after a bracketed conversion
    case("Shares were tendered to the offer of C $6 (US $4.46) per share in cash.", {"value": 6.0, "unit": "CAD/share"},
         {"value": 4.46, "unit": "USD"}, id="per-share-after-bracket"),
    case("It is a 9 billion shekels ($2.4 billion) a year industry.", {"unit": "ILS/a"}, {"unit": "USD"},
         id="per-year-after-bracket"),
    # units after a modifier, spaced one-letter symbols, suspended hyphens
    case("The defense gave up 517 rushing yards against Kentucky.", {"unit": "yd"}, id="modifier-yards"),
    case("It joins 50 previous years of programming.", {"unit": "a"}, id="modifier-years"),
    case("He will serve three more years.", {"unit": "a"}, id="more-years"),
    case("The tablet comes with a 5 W USB-C charger.", {"unit": "W"}, id="spaced-watt"),
    case("The cell delivers 20 V at peak.", {"unit": "V"}, id="spaced-volt"),
    case("It melts at 12 C under pressure.", {"unit": "degC"}, id="spaced-celsius"),
    case("The SUV gets a 7- or 8-inch touchscreen.", {"value": 7.0, "value_max": None, "unit": "in"},
         {"value": 8.0, "value_max": None, "unit": "in"}, id="suspended-hyphen-or"),
    case("It has a 7- to 8-inch screen.", {"value": 7.0, "value_max": 8.0, "unit": "in"}, id="suspended-hyphen-range"),
    case("It hosts a 52,000 barrel-a-day refinery.", {"unit": "bbl/d"}, id="barrel-a-day"),
    case("Gas was up to US $2.24 per mmBTU.", {"unit": "USD/MMBtu"}, id="per-mmbtu"),
    case("Many died under the age of 5 years.", {"unit": "year of age"}, id="age-of"),
    case("In 2018 it was 2.1 last year.", {"unit": ""}, id="last-year-is-not-a-unit"),
    case("The star is 4 light years away.", {"quote": "4", "unit": ""}, id="light-years-are-not-years"),
    case("They played 5 games in 3 days.", {"unit": ""}, {"unit": "d"}, id="verb-between-is-not-modifier"),
    # orders of magnitude of what is counted are ranges; of time or distance they are manners of speaking
    case("Tens of thousands of nurses walked out on Tuesday.",
         q("Tens of thousands", 1e4, 1e5, qualifier="="), id="magnitude-tens-of-thousands"),
    case("The storm left hundreds of families without power.", q("hundreds", 100.0, 1000.0), id="magnitude-hundreds"),
    case("Repairs will run to hundreds of millions of euros.",
         q("hundreds of millions of euros", 1e8, 1e9, unit="EUR"), id="magnitude-money"),
    case("Scores of volunteers cleared the beach.", q("Scores", 20.0, 200.0), id="magnitude-scores"),
    case("Dozens of flights were cancelled at the airport.", q("Dozens", 12.0, 120.0), id="magnitude-dozens"),
    case("These caves were carved over millions of years.", id="magnitude-of-years-is-no-claim"),
    case("The pipeline runs for hundreds of kilometres under the sea.", id="magnitude-of-distance-is-no-claim"),
    case("Hundreds and thousands were scattered on the cake.", id="magnitude-needs-of"),
    # a movement written from an earlier level to a later one: two levels, the later naming the earlier
    case(FALL, q("12,400", 12400.0, moved_from=None), q("9,800", 9800.0, moved_from=at(FALL, "12,400")),
         id="movement-counts-of-one-thing"),
    case(RESERVOIR, q("84 percent", 84.0, unit="%", moved_from=None),
         q("61 percent", 61.0, unit="%", moved_from=at(RESERVOIR, "84 percent")), id="movement-with-times-between"),
    case(SALARY, {"value": 41000.0, "moved_from": None}, {"value": 38500.0, "moved_from": at(SALARY, "€41,000")},
         id="movement-money-with-a-clause-of-time"),
    case(JET, {"value": 7400.0, "unit": "km", "qualifier": "~"}, {"value": 6900.0, "moved_from": at(JET, "7,400 km")},
         id="movement-hedged-earlier-level"),
    case("Buses run from 6 depots to 14 terminals.", {"value": 6.0, "moved_from": None},
         {"value": 14.0, "moved_from": None}, id="counts-of-two-things-are-no-movement"),
    case("Fees run from $5 to $9 a session.", {"value": 5.0, "value_max": 9.0, "moved_from": None}, id="range-is-no-movement"),
    case("Flights run from 2 airports to 40 airports.", {"value": 2.0, "moved_from": None},
         {"value": 40.0, "moved_from": None}, id="from-place-to-place-is-no-movement"),
    case("Its speed rose from 50 km/h to 60 km within the hour.", {"unit": "km/h", "moved_from": None},
         {"unit": "km", "moved_from": None}, id="movement-needs-the-same-unit"),
    case("Sales rose to $8 million from $6 million.", {"value": 8e6, "moved_from": None},
         {"value": 6e6, "moved_from": None}, id="movement-written-later-level-first-is-not-linked"),
    case("It fell from 3 million tonnes, and 2 million barrels went to 1 million.",
         {"unit": "t", "moved_from": None}, {"unit": "bbl", "moved_from": None}, {"moved_from": None},
         id="movement-needs-one-clause-and-one-unit"),
    case(LEVELS, {"value": 12.0, "moved_from": None}, {"value": 9.0, "moved_from": at(LEVELS, "12 m")},
         {"value": 7.0, "moved_from": None}, id="movement-stops-at-and"),
]


@pytest.mark.parametrize("text, published, expected", NEWS)
def test_news(text, published, expected):
    assert_claims(text, published, expected)


def test_margin_over_a_reference_is_a_measure_of_the_earlier_rate():
    rate, margin = extract_claims("In 2023, exports grew by 3.8%, outpacing the country by 3.2 percentage points.")
    assert margin.measure == f"{rate.measure} margin over country"
