"""Number tokens: digits, number words, fractions, ordinals and scale words."""
from __future__ import annotations

import re

SMALL = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19,
}
TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
}
ORDINAL_WORDS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13,
    "fourteenth": 14, "fifteenth": 15, "sixteenth": 16, "seventeenth": 17,
    "eighteenth": 18, "nineteenth": 19, "twentieth": 20, "thirtieth": 30,
}
# Denominators of spoken fractions; "second" is left out because "one second" is a duration.
DENOMINATORS = {
    "half": 2, "halves": 2, "third": 3, "thirds": 3, "quarter": 4, "quarters": 4,
    "fourth": 4, "fourths": 4, "fifth": 5, "fifths": 5, "sixth": 6, "sixths": 6,
    "seventh": 7, "sevenths": 7, "eighth": 8, "eighths": 8, "ninth": 9, "ninths": 9,
    "tenth": 10, "tenths": 10,
}
SCALES = {
    "hundred": 1e2, "thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12,
    "k": 1e3, "mn": 1e6, "mln": 1e6, "m": 1e6, "bn": 1e9, "b": 1e9, "tn": 1e12, "trn": 1e12,
    "lakh": 1e5, "crore": 1e7, "dozen": 12, "mil": 1e6,
}
# Plural scale words that state an order of magnitude ("tens of thousands of people", "dozens of
# deaths"): each names the range from itself to ten times itself, as news annotation reads them.
MAGNITUDES = {"dozens": 12, "scores": 20, "tens": 10, "hundreds": 1e2, "thousands": 1e3, "millions": 1e6,
              "billions": 1e9, "trillions": 1e12}
DECADE_WORDS = {"decade": 10, "decades": 10, "century": 100, "centuries": 100,
                "millennium": 1000, "millennia": 1000}

_small = "|".join(sorted(SMALL, key=len, reverse=True))
_tens = "|".join(TENS)
_unit_word = "one|two|three|four|five|six|seven|eight|nine"
WORD_NUMBER = (
    rf"(?:(?:{_tens})(?:[- ](?:{_unit_word})\b)?|(?:{_small}))"
    rf"(?:\s+hundred(?:\s+(?:and\s+)?(?:(?:{_tens})(?:-(?:{_unit_word}))?|{_small}))?)?"
)
_ord_words = "|".join(sorted(ORDINAL_WORDS, key=len, reverse=True))
_magnitudes = "|".join(MAGNITUDES)
# "tens of thousands", "hundreds of millions", "thousands": followed by "of" and what is counted.
MAGNITUDE = rf"\b(?:{_magnitudes})(?:\s+of\s+(?:thousands|millions|billions|trillions))?(?=\s+of\s)"
_denoms = "|".join(sorted(DENOMINATORS, key=len, reverse=True))

# Currency marks written flush against the digits ("$US160", "RM3", "USD10m", "$A82"): the digits
# may follow them even though a letter precedes.
_GLUED_PREFIX = "|".join(f"(?<={re.escape(p)})" for p in (
    "$US", "$A", "RM", "PS", "Rs", "USD", "EUR", "GBP", "AUD", "CAD", "NZD", "SGD", "HKD", "INR", "CNY", "RMB",
    "JPY", "CHF", "KRW", "MYR"))

# The digits of a number as web pages write them: "1,172", "21 029 853" (spaces or no-break spaces
# grouping thousands), "1.234.567", "6.47", and a decimal comma of one or two digits ("6,52 %").
_GROUP_SPACE = "\u00a0\u202f\u2009"
DIGITS = (
    r"(?:\d{1,3}(?:,\d{3})+(?!\d|,\d)(?:\.\d+)?"
    rf"|\d{{1,3}}(?:[{_GROUP_SPACE}]\d{{3}})+(?!\d|[{_GROUP_SPACE}]\d)(?:[.,]\d{{1,2}}(?!\d))?"
    r"|\d{1,3}(?:\x20\d{3}){2,}(?!\d|\x20\d)(?:[.,]\d{1,2}(?!\d))?|\d{1,3}\x20\d{3},\d{1,2}(?!\d)"
    r"|\d{1,3}(?:\.\d{3}){2,}(?![\d.]|,\d{3})(?:,\d{1,2}(?!\d))?"
    r"|\d+(?:\.\d+|,\d{1,2}(?![\d,]))?)"
)
_GROUPING_RE = re.compile(rf"[ {_GROUP_SPACE}]")
_DECIMAL_COMMA_RE = re.compile(r",\d{1,2}$")
_WORD_SEP_RE = re.compile(r"[\s-]+")
_OF_SEP_RE = re.compile(r"\s+of\s+")
_SLASH_SEP_RE = re.compile(r"\s?[/⁄]\s?")

# One alternation so a single finditer pass yields every number-like token.
# The leading guard rejects letters inside a word at once (only digits, signs, points and word starts
# can open a number token); it does not change what matches.
NUMBER_RE = re.compile(
    rf"""
    (?=[\d.+\-−–]|(?<!\w)[A-Za-z])
    (?:(?P<frac>\b(?:(?:one|a|two|three|four|five|six|seven|eight|nine)[-\s](?:{_denoms})|half)\b)
  | (?P<ord>(?<![\w.])\d{{1,4}}(?:st|nd|rd|th)\b|\b(?:{_ord_words})\b)
  | (?P<sfrac>(?<![\w./⁄,])\d{{1,2}}\s?[/⁄]\s?\d{{1,3}}(?![\w/⁄.,]|\.\d))
  | (?P<dig>(?:(?<![\w.,])|(?<=,)(?=minus)|{_GLUED_PREFIX})(?:(?:minus[-\s]|[-−–+])(?=\d))?{DIGITS}|(?<![\w.,\d])\.\d+)
  | (?P<vague>{MAGNITUDE})
  | (?P<word>\b(?:{WORD_NUMBER}|a(?=\s+(?:dozen|hundred|thousand|million|billion|trillion)\b))(?:\b|(?=fold\b))))
    """,
    re.I | re.X,
)
# A long scale word may be glued to the next sentence's first word when text is scraped from a page
# ("46.9 millionIn the ...").
SCALE_RE = re.compile(
    r"\s?(?:(?P<long>hundred|thousand|million|billion|trillion|lakh|crore|dozen)(?:\b|(?-i:(?=[A-Z][a-z])))"
    r"|(?P<short>bn|mn|mln|mil|tn|trn|[kmbKMB])(?![a-z]))",
    re.I,
)


def parse_word_number(text: str) -> float:
    """Value of a spelled-out number such as "twenty-five" or "two hundred and ten"."""
    total = 0.0
    current = 0.0
    for tok in _WORD_SEP_RE.split(text.lower()):
        if tok == "a":
            current = 1.0
        elif tok in SMALL:
            current += SMALL[tok]
        elif tok in TENS:
            current += TENS[tok]
        elif tok == "hundred":
            current = (current or 1) * 100
        elif tok == "dozen":
            current = (current or 1) * 12
    return total + current


def parse_magnitude(text: str) -> tuple[float, float]:
    """The range an order-of-magnitude phrase names: "tens of thousands" -> (10,000, 100,000)."""
    words = _OF_SEP_RE.split(text.lower())
    low = 1.0
    for word in words:
        low *= MAGNITUDES[word]
    return low, low * 10


def parse_digits(text: str) -> float:
    """Value of a digit token such as "1,172", "-1.3", "minus-5", "+0.2", ".5", "6.47", "21 029 853" or "6,52"."""
    low = text.lower()
    if low.startswith("minus"):
        return -parse_digits(low[6:])
    body = _GROUPING_RE.sub("", text).replace("−", "-").replace("–", "-")
    if _DECIMAL_COMMA_RE.search(body):
        return float(body.replace(".", "").replace(",", "."))
    body = body.replace(",", "")
    if body.count(".") > 1:
        body = body.replace(".", "")
    return float(body)


def parse_slash_fraction(text: str) -> float:
    """Value of a written fraction such as "1/16" or "3⁄4" (0 denominators give inf, dropped later)."""
    num, den = _SLASH_SEP_RE.split(text)
    return float(num) / float(den) if float(den) else float("inf")


def parse_fraction(text: str) -> float:
    """Percentage value of a spoken fraction ("one-fifth" -> 20, "half" -> 50)."""
    parts = _WORD_SEP_RE.split(text.lower())
    if len(parts) == 1:
        return 50.0
    num = 1.0 if parts[0] in ("a", "one") else float(SMALL.get(parts[0], 1))
    return round(100.0 * num / DENOMINATORS[parts[1]], 6)


def parse_ordinal(text: str) -> float:
    """Value of an ordinal such as "2nd" or "sixth"."""
    low = text.lower()
    if low[0].isdigit():
        return float(low[:-2])
    return float(ORDINAL_WORDS[low])
