"""Behavioural tests for English news phenomena: money, ranges, signs, labels, units, years, subjects."""
from __future__ import annotations

import datetime as dt

from claimtrack.extract import extract_claims


def quants(text, published=None):
    """(quote, value, value_max, unit) of every claim in text."""
    return [(c.quote, c.value, c.value_max, c.unit) for c in extract_claims(text, published)]


def only(text, published=None):
    claims = extract_claims(text, published)
    assert len(claims) == 1, claims
    return claims[0]


def test_currency_codes_glued_and_pound_signs():
    assert quants("The yacht was listed at USD10m last week.") == [("USD10m", 1e7, None, "USD")]
    assert quants("Annual revenue amounted to EUR50m.") == [("EUR50m", 5e7, None, "EUR")]
    assert quants("The bonus was worth up to PS2.7m.")[0][1:] == (2.7e6, None, "GBP")
    c = only("The sisters laundered almost S $1mil through the scheme.")
    assert (c.value, c.unit, c.qualifier) == (1e6, "SGD", "~")
    assert only("The villa was valued at $A82,615,680.").unit == "AUD"
    assert quants("He bought a notebook for 1,200€ to work remotely.") == [("1,200€", 1200.0, None, "EUR")]
    assert only("It is a million dollar house.").value == 1e6


def test_ranges_with_currency_on_both_bounds_and_per_units():
    c = only("Units are priced from RM120,000 to RM300,000 each.")
    assert (c.value, c.value_max, c.unit) == (120000.0, 300000.0, "MYR")
    c = only("The shares will be offered at between $62 and $68 per share.")
    assert (c.value, c.value_max, c.unit) == (62.0, 68.0, "USD/share")
    c = only("Guidance was cut to between $US140 million and $US150 million.")
    assert (c.value, c.value_max) == (1.4e8, 1.5e8)
    c = only("The deal could be worth $10 to $15 billion.")
    assert (c.value, c.value_max, c.unit) == (1e10, 1.5e10, "USD")


def test_ranges_of_number_words_scales_and_mixed_forms():
    assert quants("There are four to five thousand people.")[0][1:3] == (4000.0, 5000.0)
    assert quants("There are 1 to 2 thousand people.")[0][1:3] == (1000.0, 2000.0)
    assert quants("Trade could see a five per cent to 20 per cent rebound.")[0][1:] == (5.0, 20.0, "%")
    assert quants("It will take between seven to 10 years.")[0][1:] == (7.0, 10.0, "a")
    assert quants("Over the past three or four years, lenders grew.")[0][1:] == (3.0, 4.0, "a")
    c = only("World temperatures dropped by 1 to 1.5 degrees Celsius.")
    assert (c.value, c.value_max, c.unit) == (1.0, 1.5, "degC")
    c = only("It will extend the range from up to 252 miles to 287 miles- and more.")
    assert (c.value, c.value_max, c.unit) == (252.0, 287.0, "mi")


def test_increase_by_then_level_is_not_a_range():
    claims = quants("Exports increased by 5% to 20% of output.")
    assert [q[1] for q in claims] == [5.0, 20.0] and claims[0][2] is None


def test_scores_are_not_claims_but_ranges_are():
    assert quants("Bristol City came from behind to beat Charlton 2-1 at home.") == []
    assert quants("The semi-final ended 2-2 on aggregate.") == []
    assert quants("Thompson's layup tied the game at 89-89.") == []
    assert quants("He left with a 9-2 lead in the ninth inning.") == []
    assert quants("Recovery takes 2-3 days.")[0][1:] == (2.0, 3.0, "d")


def test_signs_minus_plus_and_sub():
    c = only("The frigid atmosphere can dip to minus-130 degrees Fahrenheit.")
    assert (c.value, c.unit) == (-130.0, "degF")
    assert only("The offense was minus-5 yards.").value == -5.0
    claims = extract_claims("At 1.56pm: Dow +0.2% Nasdaq +0.8%.")
    assert [(c.value, c.unit, c.change, c.quote) for c in claims] == [(0.2, "%", "up", "0.2%"), (0.8, "%", "up", "0.8%")]
    c = only("Demand for sub-300 sq m office space has surged.")
    assert (c.value, c.unit, c.qualifier) == (300.0, "m2", "<")


def test_decimals_fractions_and_scientific_notation():
    assert only("The team is chasing a .500 record.").value == 0.5
    assert quants("The recipe requires 1/2 pound of chocolate chips.") == [("1/2 pound", 0.5, None, "lb")]
    assert quants("A fluid ounce is 1/16 of a US pint.")[0][1:] == (0.0625, None, "pt")
    c = only("About 1/3 of voters stayed home.")
    assert (round(c.value, 2), c.unit) == (33.33, "%")
    assert quants("The shop is open 24/7 for customers.") == []
    assert only("The speed of light is about 2.998×10^8 meters per second.").value == 2.998e8


def test_glued_m_is_million_before_counted_nouns_and_metres_otherwise():
    assert quants("It will boost output to 1.2m tons of ilmenite.")[0][1:] == (1.2e6, None, "t")
    assert quants("The film had 2.7m combined digital and physical sales.")[0][1] == 2.7e6
    assert quants("Nearly two-thirds of the 4.3M sales came from discs.")[1][1] == 4.3e6
    assert quants("The skeleton is 37m (121ft) long.")[0][1:] == (37.0, None, "m")
    assert quants("Divers found it at a 10m depth.")[0][3] == "m"


def test_news_units():
    assert only("It makes 275 pound-feet of torque.").unit == "ft*lbf"
    assert only("Peak torque arrives at 3000 rpm.").unit == "rpm"
    assert only("The SUV returns 23 mpg on the highway.").unit == "mi/gal"
    assert only("The pixel pitch was 352 μm.").unit == "µm"
    assert only("Panel strength was set to 9 ksi.").unit == "ksi"
    assert only("It offers a 185-hp four-cylinder engine.").unit == "hp"
    assert only("Vectura shares rose to 164p.").unit == "GBP-pence"
    assert quants("Watch it in 1080p tonight.") == []
    assert only("Nissan is 43.4 percent-owned by Renault.").unit == "%"
    assert only("The boot holds 24.5 cubic feet.").unit == "ft3"
    assert only("Revenue rose from $6.78 billion a year earlier.", None).unit == "USD"
    assert only("Membership costs $99.99 a-year.").unit == "USD/a"


def test_compound_number_words_and_a_dozen():
    assert only("There are twenty-eight thousand six hundred forty-two students.").value == 28642.0
    assert only("She bought a dozen eggs.").value == 12.0
    assert only("Revenue from China grew more than sixfold.").unit == "times"


def test_labels_addresses_and_codes_are_not_claims():
    text = ("Properties include 49 Zorro Ranch Road, 358 El Brillo Way and 22 Ave Foch. The category 4 hurricane "
            "hit after 12:01 a.m. EDT (0401 GMT). Dak Prescott (4) ran in. The car passed ISO 3888-2 tests. "
            "She watched BBC One and the Kick Six replay.")
    assert quants(text) == []


def test_year_like_numbers():
    assert quants("The 1988 horror film will be remade.") == []
    assert quants("In 2021 most people worked from home.") == []
    assert quants("The survey of 2017 also found problems.") == []
    assert quants("The plant employs 2000 people.") == [("2000", 2000.0, None, "")]
    assert quants("Adults need about 2000 - 2500 Calories.")[0][1:3] == (2000.0, 2500.0)
    c = only("The 2014-15 Highlander offered a 185-hp engine.")
    assert (c.period_start, c.period_end) == (dt.date(2014, 1, 1), dt.date(2015, 12, 31))
    c = only("He played for five NBA teams in the 1970s.")
    assert (c.value, c.period_start, c.period_end) == (5.0, dt.date(1970, 1, 1), dt.date(1979, 12, 31))
    assert quants("Between 1600 and 1900 the climate cooled.") == []


def test_half_as_a_period_age_bands_and_pronoun_one_are_not_claims():
    assert quants("Sales should grow strongly this half.") == []
    assert quants("He scored in the second half of the game.") == []
    assert quants("Half the condos have sold.")[0][1:] == (50.0, None, "%")
    assert [q[1] for q in quants("60 per cent of men aged 18 to 34 bet on sports.")] == [60.0]
    assert quants("They reuse the same one across accounts.") == []
    assert quants("It turned a landlocked country into a land-linked one and more.") == []
    assert quants("She put one hand behind her head.")[0][1] == 1.0
    assert quants("Just one year after the visit, the council acted.") == []


def test_qualifier_and_change_sharing():
    claims = extract_claims("The Dow lost 190 points, or 0.6%.")
    assert [c.change for c in claims] == ["down", "down"]
    claims = extract_claims("The engine makes just under 296 hp (224 kW / 300 PS).")
    assert [c.qualifier for c in claims] == ["<", "<", "<"]
    assert only("Tesla fell after plummeting 65% during the rout.").change == "down"
    assert only("The brand was expected to grow sales by 35 per cent.").change == "up"


def test_subject_from_document_opening_and_margin_measure():
    text = ("The Third Belt and Road Forum was held in Beijing. It announced eight major steps. "
            "China has signed over 230 cooperation documents. China's trade grew. China has built 86 routes.")
    claims = extract_claims(text)
    assert claims[0].quote == "eight" and claims[0].subject == "China"
    claims = extract_claims("In 2023, exports grew by 3.8%, outpacing the country by 3.2 percentage points.")
    assert claims[1].measure == f"{claims[0].measure} margin over country"


def test_overseas_is_not_singularised():
    c = only("Gansu has set up 58 overseas warehouses.")
    assert c.measure == "overseas warehouse"


def test_leading_article_is_dropped_from_subjects():
    c = only("By the end of June, the AIIB had approved financing of US$43.6 billion.")
    assert c.subject == "AIIB"


def test_units_left_implicit_are_shared_within_the_sentence():
    c = extract_claims("The highest forecast is 84.75 cents, while the lowest is 74.07.")
    assert [(q.value, q.unit) for q in c] == [(84.75, "USD-cent"), (74.07, "USD-cent")]
    c = extract_claims("It lists at 2,435,000 yen ($22,480) for the manual and 2,380,000 ($21,972) for the CVT.")
    assert [(q.value, q.unit) for q in c][2] == (2380000.0, "JPY")  # the amount of the same size, not the dollars
    assert [(q.value, q.unit) for q in extract_claims("It costs about 8 or $9.")] == [(8.0, "USD"), (9.0, "USD")]
    c = extract_claims("He has raised 280 million of the 1.5 billion shekels he needs.")
    assert [(q.value, q.unit) for q in c] == [(2.8e8, "ILS"), (1.5e9, "ILS")]
    # not shared: a number of another size, a counted noun, a percentage
    c = extract_claims("The index rose 2% to 3,120 while 40 firms fell.")
    assert [(q.value, q.unit) for q in c] == [(2.0, "%"), (3120.0, ""), (40.0, "")]
    assert [q.unit for q in extract_claims("It paid $5 million for 4 stores.")] == ["USD", ""]


def test_index_levels_are_points():
    c = extract_claims("The S&P 500 rose 64.06 points to 4,577.10.")
    assert [(q.value, q.unit) for q in c] == [(64.06, "point"), (4577.1, "point")]
    c = extract_claims("The Dow Jones Industrial Average rose 0.65 per cent to end at 27,349.19.")
    assert [(q.value, q.unit) for q in c] == [(0.65, "%"), (27349.19, "point")]
    # without a market cue a bare level stays bare
    assert [q.unit for q in extract_claims("The team rose 3 places to 112.5 after the game.")][-1] == ""


def test_per_phrase_after_a_bracketed_conversion():
    c = extract_claims("Shares were tendered to the offer of C $6 (US $4.46) per share in cash.")
    assert [(q.value, q.unit) for q in c] == [(6.0, "CAD/share"), (4.46, "USD")]
    c = extract_claims("It is a 9 billion shekels ($2.4 billion) a year industry.")
    assert c[0].unit == "ILS/a"


def test_units_after_a_modifier_spaced_symbols_and_suspended_hyphens():
    assert only("The defense gave up 517 rushing yards against Kentucky.").unit == "yd"
    assert only("It joins 50 previous years of programming.").unit == "a"
    assert only("He will serve three more years.").unit == "a"
    assert only("The tablet comes with a 5 W USB-C charger.").unit == "W"
    assert only("The cell delivers 20 V at peak.").unit == "V"
    assert only("It melts at 12 C under pressure.").unit == "degC"
    c = extract_claims("The SUV gets a 7- or 8-inch touchscreen.")
    assert [(q.value, q.value_max, q.unit) for q in c] == [(7.0, None, "in"), (8.0, None, "in")]
    assert [(q.value, q.value_max, q.unit) for q in extract_claims("It has a 7- to 8-inch screen.")] == [(7.0, 8.0, "in")]
    assert only("It hosts a 52,000 barrel-a-day refinery.").unit == "bbl/d"
    assert only("Gas was up to US $2.24 per mmBTU.").unit == "USD/MMBtu"
    assert only("Many died under the age of 5 years.").unit == "year of age"
    # not units: a time anchor, a light year, a verb between number and noun
    assert extract_claims("In 2018 it was 2.1 last year.")[0].unit == ""
    assert only("The star is 4 light years away.").unit != "a"
    assert [q.unit for q in extract_claims("They played 5 games in 3 days.")] == ["", "d"]


def test_model_numbers_era_years_and_slashed_amounts():
    assert quants("Apple's new iPhone 11 cameras are better.") == []
    assert quants("The airline grounded two new 737 Max jets.")[0][1] == 2.0 and len(quants("The airline grounded two new 737 Max jets.")) == 1
    assert quants("Reviews of the 11 Pro Max are in.") == []
    assert quants("The temple was built between A.D. 1000 and 1260.") == []
    assert quants("Rome was founded in 753 BC by legend.") == []
    assert quants("The airline flies 300 routes.")[0][1:] == (300.0, None, "")  # a plain count stays
    c = only("The downside/upside in the stock is $7/$9 now.")
    assert (c.value, c.value_max, c.unit) == (7.0, 9.0, "USD")
    assert quants("The shop is open 24/7 for customers.") == []
