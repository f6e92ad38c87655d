"""Unit lexicon: currencies, percentages and physical units mapped to canonical codes.

Physical units are canonicalised through pint once, at import, into a plain lookup table so
the extraction hot path never calls pint.
"""
from __future__ import annotations

import re

import pint

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
    "watt|watts": "W", "kilowatt|kilowatts": "kW", "megawatt|megawatts": "MW",
    "gigawatt|gigawatts": "GW", "kilowatt hours|kilowatt-hours": "kWh",
    "brake horsepower|horsepower": "hp", "miles per hour": "mi/h",
    "kilometres per hour|kilometers per hour": "km/h", "metres per second|meters per second": "m/s",
    "knots": "kn", "hertz": "Hz", "kilohertz": "kHz", "megahertz": "MHz", "gigahertz": "GHz",
    "gigabytes": "GB", "megabytes": "MB", "terabytes": "TB",
    "degrees celsius|degree celsius|degrees c|degree c|deg c": "degC",
    "degrees fahrenheit|degree fahrenheit|fahrenheit": "degF", "celsius|centigrade": "degC",
    "degrees|degree": "deg", "decibels|decibel": "dB", "gigapascals": "GPa",
    "volts|volt": "V", "amps": "A", "calories": "cal", "kilocalories": "kcal",
}
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
    "mAh": "mA*h", "rpm": "rpm", "RPM": "rpm", "mpg": "mi/gal", "MPG": "mi/gal", "μm": "um", "µm": "um",
    "ksi": "ksi", "psi": "psi", "MPa": "MPa", "kPa": "kPa", "kV": "kV", "kV/cm": "kV/cm", "HZ": "Hz",
    "m.p.h.": "mi/h", "m.p.h": "mi/h", "″": "inch", "lb.-ft.": "lbf*ft", "sq m": "m**2", "m2": "m**2", "m²": "m**2", "hrs": "h", "hr": "h",
    "min": "min", "mins": "min", "sec": "s", "secs": "s", "yrs": "yr", "ha": "ha", "bbl": "bbl", "bpd": "bbl/d", "b/d": "bbl/d",
}
# Only valid when glued to the number ("5m", "45g", "1.0l"): as separate words they are ambiguous.
PINT_GLUED = {"m": "m", "g": "g", "l": "l", "L": "l", "t": "t", "s": "s", "h": "h", "W": "W",
              "V": "V", "in": "inch"}
# Not in pint's registry but standard in the domain.
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
}


def _pint_code(ureg: pint.UnitRegistry, expr: str) -> str:
    """Canonical short symbol of a pint expression ("km**2" -> "km2", "mi/h" -> "mi/h")."""
    text = format(ureg.parse_units(expr), "~")
    text = re.sub(r"\s*\*\*\s*(\d)", r"\1", text)
    return text.replace(" / ", "/").replace(" * ", "*").replace("°", "deg")


def _build_tables() -> tuple[dict[str, str], dict[str, str], dict[str, str], dict[str, str]]:
    """Resolve every surface form through pint once: word, abbreviation, glued and per-unit tables."""
    ureg = pint.UnitRegistry()
    words = {form: _pint_code(ureg, expr) for forms, expr in PINT_WORDS.items() for form in forms.split("|")}
    words |= {form: code for forms, code in PLAIN_UNITS.items() for form in forms.split("|")}
    abbrev = {k: _pint_code(ureg, v) for k, v in PINT_ABBREV.items()}
    glued = {k: _pint_code(ureg, v) for k, v in PINT_GLUED.items()}
    per = {k: v if v in ("share", "person", "MMBtu") else _pint_code(ureg, v) for k, v in PER_DENOMINATORS.items()}
    return words, abbrev, glued, per


WORD_UNITS, ABBREV_UNITS, GLUED_UNITS, PER_UNITS = _build_tables()
TIME_CODES = {"h", "min", "s", "d", "week", "month", "yr"}
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
AGE_RE = re.compile(r"[\s-](?P<u>year|month|week|day)s?[\s-]old\b", re.I)
PER_RE = re.compile(
    rf"\s?(?:/|\s(?:per|a|an|each)[\s-])(?P<d>{_alternation(PER_DENOMINATORS)})s?\b(?!\s+(?:earlier|ago|before|later|on))"
    r"|\s(?P<adv>annually|a[\s-]year(?!\s+(?:earlier|ago|before|later|on))|per\s+annum)\b",
    re.I,
)


def word_unit_code(surface: str) -> str:
    """Canonical code of a unit or currency written as words ("square kilometers" -> "km2")."""
    key = re.sub(r"\s+", " ", surface.strip().lower())
    return WORD_UNITS.get(key) or CURRENCY_WORDS.get(key) or PERCENT_WORDS.get(key, "")


def is_time_unit(code: str) -> bool:
    """True for duration units (used to tell "24 hours" from a count)."""
    return code in TIME_CODES
