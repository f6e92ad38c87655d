"""Units and scale: the lexicon of currencies, percentages and physical units, and reading them after a number.

Physical units are canonicalised through pint into plain lookup tables, kept in the table cache
(`tablecache`) keyed by this module's and the symbol table's source and the installed pint, so extraction neither calls nor imports
pint; the project's one pint registry (`registry()`) is built only when something needs it.
"""
from __future__ import annotations

import functools
import math
import re
import sqlite3
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    import pint

from .measures import DETERMINERS, PREPOSITIONS, VERBS
from .model import Quantity
from .numbers import DECADE_WORDS, SCALE_RE, SCALES, WORD_NUMBER, parse_digits, parse_word_number
from . import symbols
from .symbols import NEWS, TECHNICAL, UnitContext, read_symbols
from .tablecache import Tables

# Currency written before the number; longest alternatives first so "US$" beats "$".
CURRENCY_PREFIX = [
    (r"US\s?\$|\$\s?US|USD\s?", "USD"), (r"HK\s?\$|HKD\s?", "HKD"),
    (r"A\s?\$|AU\s?\$|\$A|AUD\s?", "AUD"), (r"C\s?\$|CA\$|CAD\s?", "CAD"), (r"NZ\s?\$|NZD\s?", "NZD"),
    (r"S\s?\$|SGD\s?", "SGD"), (r"R\$", "BRL"), (r"\$", "USD"), (r"€|EUR\s?", "EUR"),
    (r"£|GBP\s?|PS", "GBP"), (r"¥|JPY\s?|Y=", "JPY"), (r"₹|Rs\.?\s?|INR\s?", "INR"),
    (r"RMB\s?|CNY\s?", "CNY"), (r"RM\s?", "MYR"), (r"₩|KRW\s?", "KRW"), (r"CHF\s?", "CHF"),
]
CURRENCY_PREFIX_RE = re.compile(
    "(?:" + "|".join(f"(?P<c{i}>{pat})" for i, (pat, _) in enumerate(CURRENCY_PREFIX)) + r")\s?$"
)
PREFIX_CODES = [code for _, code in CURRENCY_PREFIX]
# The same marks read forwards, for the second bound of a range ("from RM120,000 to RM300,000").
CURRENCY_FWD_RE = re.compile(
    "(?:" + "|".join(f"(?P<c{i}>{pat})" for i, (pat, _) in enumerate(CURRENCY_PREFIX)) + r")\s?(?=[\d.])"
)
# Currency symbols written after the amount ("1,200€").
CURRENCY_SUFFIX_RE = re.compile(r"\s?(?P<sym>€|£|¥)")
SUFFIX_CODES = {"€": "EUR", "£": "GBP", "¥": "JPY"}

# Currency named after the number ("7,199 Chinese yuan", "2.2 billion shekels").
CURRENCY_WORDS = {
    "yuan": "CNY", "chinese yuan": "CNY", "renminbi": "CNY", "rmb": "CNY", "cny": "CNY",
    "dollar": "USD", "dollars": "USD", "us dollar": "USD", "us dollars": "USD", "usd": "USD",
    "u.s. dollars": "USD",
    "australian dollar": "AUD", "australian dollars": "AUD", "canadian dollar": "CAD",
    "canadian dollars": "CAD", "hong kong dollar": "HKD", "hong kong dollars": "HKD",
    "new zealand dollars": "NZD", "singapore dollars": "SGD",
    "euro": "EUR", "euros": "EUR", "eur": "EUR", "pounds sterling": "GBP", "sterling": "GBP",
    "gbp": "GBP", "yen": "JPY", "jpy": "JPY", "won": "KRW", "rupee": "INR", "rupees": "INR",
    "ringgit": "MYR", "shekel": "ILS", "shekels": "ILS", "danish crowns": "DKK",
    "danish kroner": "DKK", "kroner": "DKK", "krone": "DKK", "swiss francs": "CHF",
    "francs": "CHF", "rubles": "RUB", "roubles": "RUB", "pesos": "MXN", "rand": "ZAR",
    "cents": "USD-cent", "cent": "USD-cent", "sen": "MYR-sen",
}
PERCENT_WORDS = {
    "%": "%", "percent": "%", "per cent": "%", "pc": "%", "pct": "%", "per-cent": "%",
    "percentage points": "pp", "percentage point": "pp", "percent points": "pp",
    "basis points": "bp", "basis point": "bp", "bps": "bp",
}

# surface forms -> pint expression.  Case-insensitive long forms.
PINT_WORDS = {
    "kilometer|kilometers|kilometre|kilometres": "km",
    "square kilometres|square kilometers|sq. km|sq km": "km**2",
    "meter|meters|metre|metres": "m", "square metres|square meters|sq m|sqm": "m**2",
    "centimeter|centimeters|centimetre|centimetres": "cm",
    "millimeter|millimeters|millimetre|millimetres": "mm",
    "nanometer|nanometers|nanometre|nanometres": "nm",
    "micrometer|micrometers|micrometre|micrometres|microns": "um",
    "mile|miles": "mi", "square miles|square mile": "mi**2", "yard|yards": "yd",
    "foot|feet": "ft", "square feet|square foot|sq ft": "ft**2", "inch|inches": "inch",
    "hectare|hectares": "ha", "acre|acres": "acre",
    "metric tons|ton|tons|tonne|tonnes": "t", "kilogram|kilograms|kilo|kilos": "kg",
    "gram|grams": "g", "milligram|milligrams": "mg", "lbs": "lb", "ounce|ounces": "oz",
    "gigatonnes|gigatons|gigatonne|gigaton": "Gt", "megatonnes|megatons": "Mt",
    "liter|liters|litre|litres": "l", "milliliter|milliliters|millilitre|millilitres": "ml",
    "gallon|gallons": "gal", "quart|quarts": "quart", "pint|pints": "pint",
    "teaspoon|teaspoons": "teaspoon", "tablespoon|tablespoons": "tablespoon", "dram|drams": "dram",
    "pound-feet|pound-foot|pounds-feet|lb-ft": "lbf*ft", "miles per gallon": "mi/gal",
    "revolutions per minute": "rpm", "barrel-a-day|barrels-a-day|barrel-per-day|barrels-per-day": "bbl/d", "kilopascals": "kPa", "megapascals": "MPa", "pascals": "Pa", "barrel|barrels": "bbl", "cubic metres|cubic meters": "m**3", "cubic feet|cubic foot": "ft**3",
    "hour|hours": "h", "minute|minutes": "min", "second|seconds": "s",
    "calendar days|working days|day|days": "d", "week|weeks": "week", "month|months": "month",
    "year|years": "yr",
    "watt|watts": "W",
    "brake horsepower|horsepower": "hp", "miles per hour": "mi/h",
    "kilometres per hour|kilometers per hour": "km/h", "metres per second|meters per second": "m/s",
    "knots": "kn", "hertz": "Hz", "kilohertz": "kHz", "megahertz": "MHz", "gigahertz": "GHz",
    "gigabytes": "GB", "megabytes": "MB", "terabytes": "TB",
    "degrees celsius|degree celsius|degrees c|degree c|deg c": "degC",
    "degrees fahrenheit|degree fahrenheit|fahrenheit": "degF", "celsius|centigrade": "degC",
    "degrees|degree": "deg", "decibels|decibel": "dB", "gigapascals": "GPa",
    "volts|volt": "V", "amps": "A", "calories": "cal", "kilocalories": "kcal",
    # the same units of the sciences spelt out ("at 300 kelvin", "20 micrograms per millilitre")
    "kelvin|kelvins": "K", "millimolar": "mM", "micromolar": "uM", "nanomolar": "nM", "picomolar": "pM",
    "microgram|micrograms": "ug", "nanogram|nanograms": "ng", "picogram|picograms": "pg",
    "microlitre|microlitres|microliter|microliters": "ul", "mole|moles": "mol", "millimole|millimoles": "mmol",
    "micromole|micromoles": "umol", "millisecond|milliseconds": "ms", "microsecond|microseconds": "us",
    "nanosecond|nanoseconds": "ns", "picosecond|picoseconds": "ps", "femtosecond|femtoseconds": "fs",
    "electronvolt|electronvolts|electron volts|electron-volts": "eV", "joule|joules": "J",
    "kilojoule|kilojoules": "kJ", "newton|newtons": "N", "kilonewton|kilonewtons": "kN", "tesla|teslas": "T",
    "pascal": "Pa", "kilopascal": "kPa", "megapascal": "MPa", "gigapascal": "GPa", "millibar|millibars": "mbar",
    "hectopascal|hectopascals": "hPa", "angstrom|angstroms|ångström|ångströms": "angstrom", "micron": "um",
    "picometre|picometres|picometer|picometers": "pm", "ohm|ohms": "ohm", "sievert|sieverts": "Sv",
    "millisievert|millisieverts": "mSv", "becquerel|becquerels": "Bq",
}
# Power and energy spelt out with each SI prefix ("megawatts", "terawatt hours", "gigawatt-hour").
PINT_WORDS.update({
    f"{word}watt|{word}watts": f"{symbol}W" for word, symbol in (("kilo", "k"), ("mega", "M"), ("giga", "G"), ("tera", "T"))
})
PINT_WORDS.update({
    "|".join(f"{word}watt{joint}{hours}" for joint in (" ", "-") for hours in ("hour", "hours")): f"{symbol}Wh"
    for word, symbol in (("", ""), ("kilo", "k"), ("mega", "M"), ("giga", "G"), ("tera", "T"))
})
# Abbreviations are case-sensitive ("GB" vs "gb" is fine, but "M" and "m" differ).
PINT_ABBREV = {
    "km": "km", "km2": "km**2", "km²": "km**2", "cm": "cm", "mm": "mm", "nm": "nm",
    "mi": "mi", "yd": "yd", "ft": "ft", "kg": "kg", "mg": "mg", "lb": "lb", "oz": "oz",
    "Gt": "Gt", "ml": "ml", "mL": "ml", "kW": "kW", "MW": "MW", "GW": "GW", "TW": "TW",
    "kWh": "kWh", "MWh": "MWh", "GWh": "GWh", "TWh": "TWh", "hp": "hp", "HP": "hp", "bhp": "hp",
    "PS": "hp", "mph": "mi/h", "km/h": "km/h", "kph": "km/h", "km/hr": "km/h", "m/s": "m/s",
    "Hz": "Hz", "kHz": "kHz", "MHz": "MHz", "GHz": "GHz", "Ghz": "GHz", "GB": "GB", "MB": "MB",
    "TB": "TB", "KB": "kB", "Gbps": "Gbit/s", "Mbps": "Mbit/s", "Nm": "N*m", "lb-ft": "lbf*ft",
    "°C": "degC", "°F": "degF", "degF": "degF", "degC": "degC", "dB": "dB", "GPa": "GPa",
    "mAh": "mA*h", "rpm": "rpm", "RPM": "rpm", "r.p.m.": "rpm", "mpg": "mi/gal", "MPG": "mi/gal", "μm": "um", "µm": "um",
    "ksi": "ksi", "psi": "psi", "MPa": "MPa", "kPa": "kPa", "kV": "kV", "kV/cm": "kV/cm", "HZ": "Hz",
    "m.p.h.": "mi/h", "m.p.h": "mi/h", "″": "inch", "lb.-ft.": "lbf*ft", "sq m": "m**2", "m2": "m**2", "m²": "m**2", "hrs": "h", "hr": "h",
    "min": "min", "mins": "min", "sec": "s", "secs": "s", "yrs": "yr", "ha": "ha", "bbl": "bbl", "bpd": "bbl/d", "b/d": "bbl/d",
}
# Only valid when glued to the number ("5m", "45g", "1.0l"): as separate words they are ambiguous.
PINT_GLUED = {"m": "m", "g": "g", "l": "l", "L": "l", "t": "t", "s": "s", "h": "h", "W": "W",
              "V": "V", "in": "inch"}
# Not in pint's registry but standard in the domain.
# A currency named anywhere in a unit description: its words, or its marks ("US$", "€").
DESCRIBED_CURRENCY_RE = re.compile(
    r"(?i:\b(?:%s)\b)|(?:%s)" % ("|".join(sorted(map(re.escape, CURRENCY_WORDS), key=len, reverse=True)),
                                 "|".join(pat for pat, _ in CURRENCY_PREFIX)))
PLAIN_UNITS = {
    "teu|teus|twenty-foot equivalent units": "TEU", "points|point|pts": "point",
    "times": "times", "fold": "times",
}
PER_DENOMINATORS = {
    "year": "yr", "annually": "yr", "annum": "yr", "month": "month", "week": "week",
    "day": "d", "hour": "h", "share": "share", "barrel": "bbl", "gallon": "gal",
    "gram": "g", "square foot": "ft**2", "square metre": "m**2", "square meter": "m**2",
    "tonne": "t", "ton": "t", "person": "person", "kilogram": "kg", "minute": "min",
    "ounce": "oz", "mmbtu": "MMBtu", "sq m": "m**2", "sq ft": "ft**2", "pound": "lb", "century": "century", "decade": "decade",
    "metre": "m", "meter": "m", "litre": "l", "liter": "l", "millilitre": "ml", "milliliter": "ml",
    "microlitre": "ul", "microliter": "ul", "second": "s", "cubic metre": "m**3", "cubic meter": "m**3",
}


def _pint_code(ureg: pint.UnitRegistry, expr: str) -> str:
    """Canonical short symbol of a pint expression ("km**2" -> "km2", "mi/h" -> "mi/h")."""
    text = format(ureg.parse_units(expr), "~")
    text = re.sub(r"\s*\*\*\s*(\d)", r"\1", text)
    return text.replace(" / ", "/").replace(" * ", "*").replace("°", "deg")


# Units standard in the sciences that pint does not define ("80 ppb" of ozone, "3 mJy", "62 emu/g").
EXTRA_DEFINITIONS = ("parts_per_billion = 1e-9 = ppb", "jansky = 1e-26 * watt / meter ** 2 / hertz = Jy",
                     "emu = 1e-3 * ampere * meter ** 2")


@functools.cache
def registry() -> pint.UnitRegistry:
    """The project's one pint registry, built on first use (importing pint and building it takes most of a second)."""
    import pint

    ureg = pint.UnitRegistry()
    for definition in EXTRA_DEFINITIONS:
        ureg.define(definition)
    return ureg


def pint_expression(code: str) -> str:
    """The expression pint parses for a unit code ("km2" -> "km**2", "mW/m2" -> "mW/m**2")."""
    return re.sub(r"(?<=[A-Za-zµΩÅ])(\d)", r"**\1", code)


def _build_tables() -> tuple[dict[str, str], ...]:
    """Resolve every surface form through pint once: word, abbreviation, glued, per-unit and symbol tables."""
    ureg = registry()
    words = {form: _pint_code(ureg, expr) for forms, expr in PINT_WORDS.items() for form in forms.split("|")}
    words |= {form: code for forms, code in PLAIN_UNITS.items() for form in forms.split("|")}
    abbrev = {k: _pint_code(ureg, v) for k, v in PINT_ABBREV.items()}
    glued = {k: _pint_code(ureg, v) for k, v in PINT_GLUED.items()}
    per = {k: v if v in ("share", "person", "MMBtu") else _pint_code(ureg, v) for k, v in PER_DENOMINATORS.items()}
    return words, abbrev, glued, per, symbols.build_symbol_table(ureg, _pint_code)


class BaseUnits(NamedTuple):
    """A unit code in pint's base units: "km2" is 1e6 "meter ** 2"; `offset` for a scale whose zero is not the base's (degC)."""

    units: str
    factor: float
    offset: bool


def _pint_base(code: str) -> BaseUnits | None:
    """`code` converted by pint to its base units, or None when pint does not read it."""
    ureg = registry()
    expression = re.sub(r"([A-Za-z])(\d)", r"\1**\2", code)
    try:
        base = ureg.Quantity(1, expression).to_base_units()
        zero = ureg.Quantity(0, expression).to_base_units().magnitude
    except Exception:  # pint's parser raises many types (even tokenize errors) on odd text
        return None
    return BaseUnits(str(base.units), float(base.magnitude), bool(zero))


def _write_tables(connection: sqlite3.Connection) -> None:
    connection.execute("CREATE TABLE units (tab INTEGER NOT NULL, form TEXT NOT NULL, code TEXT NOT NULL,"
                       " PRIMARY KEY (tab, form))")
    tables = _build_tables()
    connection.executemany("INSERT INTO units VALUES (?, ?, ?)",
                           ((tab, form, code) for tab, table in enumerate(tables) for form, code in table.items()))
    # The base units of every code the tables give, so that comparing two claims' units (conflict
    # detection) does not build pint's registry, which takes a quarter of a second in each process.
    connection.execute("CREATE TABLE bases (code TEXT PRIMARY KEY, units TEXT, factor REAL, offset INTEGER)")
    codes = sorted({code for table in tables for code in table.values()})
    connection.executemany("INSERT INTO bases VALUES (?, ?, ?, ?)",
                           ((code, *(_pint_base(code) or (None, None, None))) for code in codes))


# Keyed by this module and the symbol table's module, and the installed pint.
_TABLES = Tables("units", (Path(__file__), Path(symbols.__file__)), ("pint",), _write_tables)
TABLE_COUNT = 5


def load_tables() -> tuple[dict[str, str], ...]:
    """The tables of `_build_tables`, read from the table cache (built through pint when missing or damaged)."""
    tables: tuple[dict[str, str], ...] = tuple({} for _ in range(TABLE_COUNT))
    # Sorted by form, so the tables (and the alternations built from them) do not depend on build order.
    for tab, form, code in _TABLES.rows("SELECT tab, form, code FROM units ORDER BY tab, form"):
        tables[tab][form] = code
    return tables


WORD_UNITS, ABBREV_UNITS, GLUED_UNITS, PER_UNITS, SYMBOL_UNITS = load_tables()


@functools.lru_cache(maxsize=4096)
def base_units(code: str) -> BaseUnits | None:
    """A unit code in pint's base units (None when pint does not read it): from the table cache for
    the codes extraction gives, through pint for any other (a reviewer's own, say)."""
    rows = _TABLES.rows("SELECT units, factor, offset FROM bases WHERE code = ?", (code,))
    if not rows:
        return _pint_base(code)
    units, factor, offset = rows[0]
    return None if units is None else BaseUnits(units, factor, bool(offset))
# One-letter symbols standing apart from the number ("a 5 W charger", "12 C"): only these three, whose
# letters are rarely anything else after a measurement; "A" (amps/article) and "F" (farad/Fahrenheit)
# are too ambiguous.
SPACED_LETTER_RE = re.compile(r" (?P<u>[WVC])(?=[ ,.;:)]|$)")
SPACED_LETTER_CODES = {"W": "W", "V": "V", "C": "degC"}
# Units that may be separated from their number by one modifier ("517 rushing yards", "50 previous
# years", "three more days"): lengths, areas, masses and durations.
MODIFIED_UNIT_CODES = {"km", "m", "mi", "yd", "ft", "inch", "cm", "mm", "km2", "m2", "mi2", "ft2", "ha", "acre",
                       "t", "kg", "a", "month", "week", "d", "h", "min"}


def _alternation(keys) -> str:
    """Regex alternation of literal keys, longest first so the longest unit wins."""
    return "|".join(re.escape(k).replace(r"\ ", r"\s+") for k in sorted(keys, key=len, reverse=True))


_word_keys = set(WORD_UNITS) | set(CURRENCY_WORDS) | {k for k in PERCENT_WORDS if k[0].isalpha()}
WORD_UNIT_RE = re.compile(rf"\s?(?:{_alternation(_word_keys)})(?!\w|-\w)", re.I)
ABBREV_UNIT_RE = re.compile(rf"\s?(?:{_alternation(ABBREV_UNITS)})(?![\w])")
GLUED_UNIT_RE = re.compile(rf"(?:{_alternation(GLUED_UNITS)})(?![\w])")
PERCENT_SIGN_RE = re.compile(r"\s?(?:%|per\s?cent(?=-\w)|percent(?=-\w))", re.I)
# A plural noun counted (or colony- and plaque-forming units), then a slash and a unit symbol ("cells/mL",
# "beats/min", "CFU/g") or a symbol with a negative exponent ("cells mL−1", "cells cm⁻²").
# The same with the denominator in words ("72 beats per minute", "12 breaths per minute").
COUNTED_PER_WORD_RE = re.compile(r" [a-z]{3,}s(?= per )")
COUNTED_PER_RE = re.compile(r" (?:[a-z]{3,}s|CFU|PFU|cfu|pfu)(?:(?P<slash>/)|(?=[ \u00a0]\S+?(?:[-−⁻]|\^-)))")
AGE_RE = re.compile(r"[\s-](?P<u>year|month|week|day)s?[\s-]old\b", re.I)
PER_RE = re.compile(
    rf"\s?(?:/|\s(?:per|a|an|each)[\s-])(?P<d>{_alternation(PER_DENOMINATORS)})s?\b(?!\s+(?:earlier|ago|before|later|on))"
    r"|\s(?P<adv>annually|a[\s-]year(?!\s+(?:earlier|ago|before|later|on))|per\s+annum)\b",
    re.I,
)


def described_unit(description: str) -> str:
    """The currency or percent a bracketed unit description names ("current international $",
    "US$ per liter", "annual %"), or ""."""
    if "%" in description:
        return "%"
    m = DESCRIBED_CURRENCY_RE.search(description)
    if not m:
        return ""
    mark = m.group().strip()
    return CURRENCY_WORDS.get(mark.lower()) or next((code for pat, code in CURRENCY_PREFIX if re.fullmatch(pat, mark)), "")


def word_unit_code(surface: str) -> str:
    """Canonical code of a unit or currency written as words ("square kilometers" -> "km2")."""
    key = WHITESPACE_RE.sub(" ", surface.strip().lower())
    return WORD_UNITS.get(key) or CURRENCY_WORDS.get(key) or PERCENT_WORDS.get(key, "")


# ---------------------------------------------------------------- reading scale and unit after a number

WHITESPACE_RE = re.compile(r"\s+")
# A full stop after the exponent ends the sentence ("a Q of 1.2 × 10⁶."); only a digit after it continues the number.
# A braced exponent as TeX writes it is the same ("× 10^{-4}", "× 10^(-3)").
SCI_RE = re.compile(r"\s?[×x]\s?10(?:\^[{(](?P<b>[-−]?\d{1,3})[})]|(?:\^|\*\*)?(?P<e>[-−⁻]?[\d⁰¹²³⁴⁵⁶⁷⁸⁹]{1,3})(?!\d|\.\d))")
# "1.5e6", "3E-4": an exponent glued to the digits.
E_NOTATION_RE = re.compile(r"[eE](?P<e>[-+−]?\d{1,3})(?!\w|\.\d)")
# A bare power of ten: "10^5", "10**-3", "10−5" (a true minus), "10⁻⁵", "10⁵".
POWER_OF_TEN_RE = re.compile(r"(?:\^[{(](?P<d>[-−]?\d{1,3})[})]|(?:\^|\*\*)(?P<a>[-−]?\d{1,3})|(?P<b>−\d{1,3})|(?P<c>⁻?[⁰¹²³⁴⁵⁶⁷⁸⁹]+))(?!\d|\.\d)")
# A tolerance: "5 ± 0.2 K", "5 K ± 0.2 K", "3.1 +/- 0.4", and the concise form "5.431(2)".
# An asymmetric one ("1.31 +0.05/−0.04", "1.31^{+0.05}_{−0.04}") is read as its wider side.
PLUS_MINUS_RE = re.compile(
    r"\s?(?:±|\+/-|\+/−|\+-)\s?(?P<n>\d+(?:\.\d+)?)|\s?\(\s?(?:±|\+/-|\+/−)\s?(?P<b>\d+(?:\.\d+)?)\s?\)"
    r"|\s?\^?\{?\+(?P<up>\d+(?:\.\d+)?)\}?\s?(?:/|_\{?)?\s?[-−–](?P<down>\d+(?:\.\d+)?)\}?(?![\d.])")
CONCISE_UNCERTAINTY_RE = re.compile(r"\((?P<n>\d{1,3})\)")
DECIMALS_RE = re.compile(r"\.(\d+)$")
# A dimension: "a 10 × 10 m grid", "2 × 2 μm2" (the unit written once, after the last side).
DIMENSION_RE = re.compile(r"\s?[×x]\s?(?P<n>\d+(?:\.\d+)?)(?![\d.,])")
# A number word hyphenated to "fold" ("a two-fold rise") is a factor like "2-fold".
FOLD_AFTER_HYPHEN_RE = re.compile(r"-fold\b", re.I)
# Units of length and area, the units of a dimension's sides.
LENGTH_CODE_RE = re.compile(r"[kcdmµnpf]?m[23]?|Å|inch|ft|yd|mi")
# A factor: "~6×", "a 3× rise", and a letter x glued to the digits before a word ("a 100x objective").
TIMES_SIGN_RE = re.compile(r"\s?×(?!\s?[\d(])|x(?=\s+[a-z])")
# After a spaced "m", these make it metres even outside technical text ("at 2617 m above sea level").
STRONG_METRE_CUE_RE = re.compile(r"\s+(?:high|tall|long|wide|deep|above|below|thick|across|away|up|down|depth)\b")
# After a spaced "h" or "min", a period it is counted in makes it a duration in any text ("6 h per night").
PER_PERIOD_CUE_RE = re.compile(r"\s+(?:(?:per|a|an|each)\s+(?:night|day|week|month|year|shift|session)\b|daily\b|nightly\b|weekly\b)")
MAX_EXPONENT = sys.float_info.max_10_exp
_SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")
WORD_TAIL_RE = re.compile(rf"\s+(?:and\s+)?(?P<n>{WORD_NUMBER})\b", re.I)
PENCE_RE = re.compile(r"p(?![\w-]|\.\w)")
VIDEO_LINES = {144.0, 240.0, 360.0, 480.0, 540.0, 720.0, 1080.0, 1440.0, 2160.0, 4320.0}
# After a glued "m", these make it metres ("a 10m drop", "37m (121ft)-long"), the rest millions.
METRE_CUES = {"high", "tall", "long", "wide", "deep", "away", "above", "below", "thick", "across", "in", "from",
              "by", "to", "and", "or", "x", "of", "above", "under", "over", "off", "down", "up", "depth",
              "height", "length", "width", "radius", "diameter", "sprint", "race", "dash", "hurdles", "freestyle"}
MILLION_NOUN_RE = re.compile(r"[a-z]+(?:s|people|staff|personnel|cattle)$")
OF_AFTER_RE = re.compile(r"\s+of\b")
WORDS_AFTER_RE = re.compile(r"(?:\s+[a-z][a-z-]*){1,5}")
SHORT_SCALE_END_RE = re.compile(r"[\s,.;)]|$")
US_AFTER_RE = re.compile(r"\s?(?:US|U\.S\.)(?![\w$])")
DECADE_UNIT_RE = re.compile(r"\s?(?:decades?|centuries|century|millenni(?:um|a))\b", re.I)
# A "+" closing the quantity means "or more" ("10+years").
PLUS_AFTER_RE = re.compile(r"\s*\+\b")
POUNDS_RE = re.compile(r"\s?(?:pounds?|lbs?)\b", re.I)
SUSPENDED_RE = re.compile(r"-,?\s+(?:(?:or|to|and)\s+)?\d+(?:\.\d+)?(?=-[A-Za-z])")
MODIFIER_RE = re.compile(r"\s+(?P<w>[a-z]+(?:-[a-z]+)?)(?=\s+[a-z])")
# Words that cannot stand between a number and its unit as a modifier.
NOT_MODIFIERS = DETERMINERS | PREPOSITIONS | {
    "and", "or", "but", "of", "to", "in", "on", "at", "by", "for", "from", "with", "per", "than", "a", "an", "the",
    "light", "is", "are", "was", "were", "be", "been", "has", "have", "had", "times", "percent", "cent", "that",
    "which", "who", "as", "out", "each", "apiece", "plus", "minus", "times", "hundred", "thousand", "million",
    "billion", "trillion", "dozen", "old", "ago", "later", "earlier", "before", "after", "last", "next", "this", "past",
    "coming", "following", "same", "fiscal", "financial"}


def _exponent_of(text: str) -> int:
    """The integer an exponent writes: "8", "−30", "⁻³", "-3"."""
    return int(text.translate(_SUPERSCRIPT).replace("−", "-"))


def _times_ten(value: float, exponent: int) -> float:
    """value × 10^exponent, exact in decimal ("2.3 × 10^5" is 230000.0); inf past the float range
    (the claim is then dropped as not finite)."""
    if exponent > MAX_EXPONENT:
        return math.inf
    return float(f"{value!r}e{exponent}") if math.isfinite(value) else value


def _m_is_million(text: str, pos: int, s1: int) -> bool:
    """After a glued "m" with no currency: million when a counted plural or a unit follows ("1.2m tons")."""
    if OF_AFTER_RE.match(text[pos:pos + 5]):
        return True
    words = WORDS_AFTER_RE.match(text, pos, s1)
    if not words:
        return False
    toks = words.group().split()
    if toks[0] in METRE_CUES:
        return False
    if WORD_UNIT_RE.match(" " + toks[0]):
        return True
    for w in toks:
        if w in METRE_CUES - {"and"} or w in VERBS or w in PREPOSITIONS:
            return False
        if MILLION_NOUN_RE.search(w) and not w.endswith(("ss", "ous", "is")):
            return True
    return False


def currency_prefix(text: str, s0: int, q: Quantity) -> None:
    """Extend q leftwards over a currency symbol or code ("RMB ", "US$", "$")."""
    window = text[max(s0, q.start - 6):q.start]
    m = CURRENCY_PREFIX_RE.search(window)
    if not m:
        return
    abs_start = q.start - len(window) + m.start()
    if abs_start > s0 and text[abs_start - 1].isalpha() and not text[abs_start].isupper():
        return
    if abs_start > s0 and text[abs_start - 1].isalpha() and text[abs_start].isalpha():
        return
    idx = int(m.lastgroup[1:])  # type: ignore[index]
    q.unit = PREFIX_CODES[idx]
    q.currency = True
    q.start = abs_start


def _tolerance(pm: re.Match) -> float:
    """The tolerance a match of PLUS_MINUS_RE writes; the wider side of an asymmetric one."""
    if pm.group("up"):
        return max(parse_digits(pm.group("up")), parse_digits(pm.group("down")))
    return parse_digits(pm.group("n") or pm.group("b"))


def _notation(text: str, s1: int, q: Quantity, ctx: UnitContext) -> int:
    """Read what technical notation writes right after the digits: a concise uncertainty ("5.431(2)"),
    an exponent ("1.5e6", "2.3 × 10^5", "10−5"), a tolerance before the unit ("5 ± 0.2"); the new end."""
    pos = q.end
    concise = CONCISE_UNCERTAINTY_RE.match(text, pos, s1)
    decimals = DECIMALS_RE.search(text, q.start, pos)
    if concise and decimals:
        q.uncertainty = _times_ten(float(concise.group("n")), -len(decimals.group(1)))
        pos = concise.end()
    e = E_NOTATION_RE.match(text, pos, s1)
    sci = SCI_RE.match(text, pos, s1)
    power = POWER_OF_TEN_RE.match(text, pos, s1) if q.raw == 10 and text[q.start:pos] == "10" else None
    if e and q.kind == "dig":
        q.value = _times_ten(q.value, _exponent_of(e.group("e").lstrip("+")))
        pos = e.end()
    elif sci:
        q.value = _times_ten(q.value, _exponent_of(sci.group("e") or sci.group("b")))
        pos = sci.end()
    elif power and (power.group("a") or power.group("d") or ctx.technical or power.group("c")):
        q.value = _times_ten(1.0, _exponent_of(power.group("a") or power.group("d") or power.group("b") or power.group("c")))
        pos = power.end()
    pm = PLUS_MINUS_RE.match(text, pos, s1)
    if pm:
        q.uncertainty = _tolerance(pm)
        pos = pm.end()
        # A bracketed value and tolerance takes the unit after the bracket ("(5 ± 1) meV"), and a power of
        # ten after a tolerance scales both ("5.2 ± 0.3 × 10^−9", "(2.1 ± 0.2) × 10⁻³").
        opened = not (e or sci) and q.start > 0 and text[q.start - 1] == "(" and text[pos:pos + 1] == ")"
        if opened:
            q.start, pos = q.start - 1, pos + 1
        after = SCI_RE.match(text, pos, s1) if not (e or sci) else None
        if after:
            exponent = _exponent_of(after.group("e") or after.group("b"))
            q.value, q.uncertainty = _times_ten(q.value, exponent), _times_ten(q.uncertainty, exponent)
            pos = after.end()
    return pos


def _dimension(text: str, pos: int, s1: int, q: Quantity, ctx: UnitContext) -> int:
    """Past the further sides of a dimension written with one unit ("10 × 10 m"), or pos.

    Sides are lengths: a count times an amount of another kind ("extracted with 3 × 30 mL", "sonicated
    for 3 × 10 s") repeats that amount, which is the value.
    """
    dim = DIMENSION_RE.match(text, pos, s1)
    if not dim:
        return pos
    probe = Quantity(dim.end(), dim.end(), parse_digits(dim.group("n")), kind="dig")
    unit, _ = unit_at(text, dim.end(), s1, probe, ctx)
    if not unit:
        return pos
    if not LENGTH_CODE_RE.fullmatch(unit) and float(q.value).is_integer() and 1 < q.value <= 20:
        q.value = q.raw = probe.value
    return dim.end()


def _sides(text: str, pos: int, s1: int, q: Quantity, ctx: UnitContext) -> int:
    """Past the further sides of a dimension that writes its unit on every side ("10 mm × 5 mm × 1 mm"), or pos."""
    for _ in range(2):
        dim = DIMENSION_RE.match(text, pos, s1)
        if not dim:
            break
        probe = Quantity(dim.start("n"), dim.end(), parse_digits(dim.group("n")), kind="dig")
        unit, end = unit_at(text, dim.end(), s1, probe, ctx)
        if unit != q.unit:
            break
        pos = end
    return pos


def scale_and_unit(text: str, s1: int, q: Quantity, ctx: UnitContext = NEWS) -> None:
    """Extend q rightwards over notation, scale words and a unit; apply them to the value.

    `ctx` says whether the sentence is technical text (short unit symbols are units) or speaks of
    money (short scale letters written apart are scales: "raised 3 m").
    """
    pos = _notation(text, s1, q, ctx)
    pos = _dimension(text, pos, s1, q, ctx)
    for _ in range(2):  # "hundred million"
        m = SCALE_RE.match(text, pos, s1)
        if not m:
            break
        word = (m.group("long") or m.group("short")).lower()
        if m.group("short"):
            glued = not m.group().startswith(" ")
            if not glued and not (ctx.money and not ctx.technical and not STRONG_METRE_CUE_RE.match(text, m.end(), s1)):
                break
            capital = m.group("short") in ("M", "B")  # "4.3M sales": never metres or bytes
            if m.group("short") in ("K", "m", "b") and not q.currency and ctx.symbols:
                break  # "300K", "5m": kelvin and metres in technical text; "2b" labels a compound there
            if word == "m" and glued and not q.currency and not capital and not _m_is_million(text, m.end(), s1):
                break
            if word in ("b", "k") and not q.currency and not capital and not SHORT_SCALE_END_RE.match(text[m.end():m.end() + 1]):
                break
            if word == "mil" and not q.currency:
                break
        q.value *= SCALES[word]
        if q.uncertainty is not None:
            q.uncertainty *= SCALES[word]
        pos = m.end()
        if q.kind == "word" and m.group("long"):
            more = WORD_TAIL_RE.match(text, pos, s1)  # "twenty-eight thousand six hundred forty-two"
            if more and parse_word_number(more.group("n")) < SCALES[word]:
                q.value += parse_word_number(more.group("n"))
                pos = more.end()
    unit, upos = unit_at(text, pos, s1, q, ctx)
    if not unit and not q.currency:
        cs = CURRENCY_SUFFIX_RE.match(text, pos, s1)
        if cs:
            q.unit, q.currency, pos = SUFFIX_CODES[cs.group("sym")], True, cs.end()
    if unit and not (q.currency and unit not in ("", "%")):
        if not q.currency or unit in ("%",):
            q.unit = unit
        pos = _sides(text, upos, s1, q, ctx)
    elif q.currency:
        m = US_AFTER_RE.match(text[pos:pos + 6])
        if m:
            pos += m.end()
    if q.uncertainty is None and q.unit:
        pm = PLUS_MINUS_RE.match(text, pos, s1)
        if pm:  # "5 K ± 0.2 K": the tolerance after the unit, the unit written again or not
            probe = Quantity(pm.end(), pm.end(), 0.0, kind="dig")
            again, again_end = unit_at(text, pm.end(), s1, probe, ctx)
            q.uncertainty = _tolerance(pm)
            if again == "%" and q.unit != "%":  # "32 MHz ±2%": a tolerance relative to the value
                q.uncertainty = abs(q.value) * q.uncertainty / 100
            pos = again_end if again in (q.unit, "%") else pm.end()
    if not q.unit and not q.currency and q.kind == "dig" and ctx.technical:
        counted = COUNTED_PER_RE.match(text, pos, s1)  # "26 beats/min", "200,000 cells/mL": a count per unit
        code, end, _ = read_symbols(text, counted.end(), s1, SYMBOL_UNITS, TECHNICAL) if counted else ("", pos, 0)
        if code and counted.group("slash") and "/" not in code:
            q.unit, pos = f"1/{code}", end
        elif code.startswith("1/") and not counted.group("slash"):
            q.unit, pos = code, end
        if not q.unit and text[pos:pos + 1] == "/":  # "150 × 10^9/L": a count per litre
            code, end, _ = read_symbols(text, pos + 1, s1, SYMBOL_UNITS, TECHNICAL)
            if code and "/" not in code:
                q.unit, pos = f"1/{code}", end
        counted_per = COUNTED_PER_WORD_RE.match(text, pos, s1) if not q.unit else None
        per = PER_RE.match(text, counted_per.end(), s1) if counted_per else None
        denom = per and per.group("d")
        if denom and PER_UNITS.get(denom.lower()) and "per" in per.group().lower():
            q.unit, pos = f"1/{PER_UNITS[denom.lower()]}", per.end()  # "72 beats per minute"
    per = PER_RE.match(text, pos, s1)
    if per and (q.unit or q.currency or (ctx.technical and per.group("d") and "per" in per.group().lower())):
        denom = per.group("d") or "year"
        code = PER_UNITS.get(denom.lower(), PER_UNITS.get(denom.lower().rstrip("s"), ""))
        if code:
            q.unit = f"{q.unit or '1'}/{code}"  # a bare number per day in technical text is a rate, "0.5 per day"
            pos = per.end()
    q.end = pos
    m = PLUS_AFTER_RE.match(text, pos, s1)
    if m:
        q.qualifier = ">="
        q.end = m.end()


def _symbol_unit(text: str, pos: int, hy: int, s1: int, q: Quantity, ctx: UnitContext) -> tuple[str, int]:
    """A unit symbol or compound of the symbol table at pos ("2617 m", "7.8 m s−1"), or ("", pos)."""
    if q.kind != "dig" or (hy and not text[pos + 1:pos + 2].strip()):
        return "", pos
    code, end, terms = read_symbols(text, pos + hy, s1, SYMBOL_UNITS, ctx)
    if not code:
        code, end, terms = read_symbols(text, pos + hy, s1, SYMBOL_UNITS, TECHNICAL)
        strong = (STRONG_METRE_CUE_RE if code == "m" else PER_PERIOD_CUE_RE if code in ("h", "min") else None)
        if not strong or not strong.match(text, end, s1) or ctx.money:
            return "", pos  # but "at 2617 m above sea level" is metres, "6 h per night" hours, in any text
    if not code or (hy and terms > 1):
        return "", pos
    if code == "s" and end == pos + 1 and q.raw is not None and q.raw >= 1000:
        return "", pos  # "1970s": a decade, not seconds
    return code, end


def unit_at(text: str, pos: int, s1: int, q: Quantity, ctx: UnitContext = NEWS) -> tuple[str, int]:
    """The unit starting at pos (code, end offset), or ("", pos)."""
    m = TIMES_SIGN_RE.match(text, pos, s1)
    if m:
        return "times", m.end()
    m = PERCENT_SIGN_RE.match(text, pos, s1)
    if m:
        return "%", m.end()
    m = AGE_RE.match(text, pos, s1)
    if m:
        return f"{m.group('u').lower()} of age", m.end()
    hy = 1 if text[pos:pos + 1] == "-" and (q.kind == "dig" or FOLD_AFTER_HYPHEN_RE.match(text, pos, s1)) else 0
    if hy:
        m = SUSPENDED_RE.match(text, pos, s1)
        if m:  # "a 7- or 8-inch screen": the first number takes the unit written after the second
            code, _ = unit_at(text, m.end(), s1, Quantity(m.end(), m.end(), q.value, kind="dig"), ctx)
            if code:
                return code, pos + 1
    m = WORD_UNIT_RE.match(text, pos + hy, s1)
    if m:
        surface = m.group().strip()
        low = WHITESPACE_RE.sub(" ", surface.lower())
        if low in DECADE_WORDS:
            q.value *= DECADE_WORDS[low]
            return "a", m.end()
        code = word_unit_code(surface)
        if low in ("pounds", "pound"):
            return ("GBP" if q.value >= 1000 else "lb"), m.end()
        if code:
            return code, m.end()
    m = DECADE_UNIT_RE.match(text, pos, s1)
    if m:
        q.value *= DECADE_WORDS[m.group().strip().lower()]
        return "a", m.end()
    sym, sym_end = _symbol_unit(text, pos, hy, s1, q, ctx)
    m = ABBREV_UNIT_RE.match(text, pos + hy, s1)
    if m and not (hy and m.group().startswith(" ")) and m.end() >= sym_end:
        return ABBREV_UNITS[WHITESPACE_RE.sub(" ", m.group().strip())], m.end()
    if sym:
        return sym, sym_end
    if text[pos:pos + 1] != "-":
        m = GLUED_UNIT_RE.match(text, pos, s1)
        if m and q.kind == "dig":
            if m.group() == "s" and q.raw is not None and q.raw >= 1000:
                return "", pos  # "1970s", "2018s": decades and years, not seconds
            return GLUED_UNITS[m.group()], m.end()
        m = PENCE_RE.match(text, pos, s1)
        if m and q.kind == "dig" and q.raw not in VIDEO_LINES:
            return "GBP-pence", m.end()
    m = POUNDS_RE.match(text, pos, s1)
    if m:
        return "lb", m.end()
    if q.currency:
        return "", pos
    m = SPACED_LETTER_RE.match(text, pos, s1)
    if m and q.kind == "dig":
        q.spaced = True
        return SPACED_LETTER_CODES[m.group("u")], m.end()
    m = MODIFIER_RE.match(text, pos, s1)
    if m and m.group("w").lower() not in NOT_MODIFIERS and m.group("w").lower() not in VERBS:
        u = WORD_UNIT_RE.match(text, m.end(), s1)
        if u:
            code = word_unit_code(u.group())
            if code in MODIFIED_UNIT_CODES:
                return code, u.end()  # "517 rushing yards", "50 previous years"
    return "", pos
