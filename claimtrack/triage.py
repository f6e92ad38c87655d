"""How much a claim is worth a reviewer's look.

`worth` scores a claim from its fields alone, so it is computed when a claim is stored or
corrected and kept in `Claim.worth`, where an index serves the queue's "worth" order. In
order of weight: how many of subject, measure and unit the claim has; whether the figure is
specific (written in digits and not a bare list numeral) rather than vague ("four decades",
"two millennia", "(3)", "3 reasons"); how many significant digits it was written with; its magnitude.
"""
import math
import re

from models import Claim

# Weights of each part of the score; each part stays below the weight of the one before.
FIELD_WEIGHT = 10_000
SPECIFIC_WEIGHT = 5_000
DIGIT_WEIGHT = 100
MAX_DIGITS = 9
MAX_MAGNITUDE = 99
# A whole number below this without a unit reads as a list numeral or a count in passing.
LIST_NUMERAL_BELOW = 10

_DIGITS = re.compile(r"\d[\d,.\s]*")


def significant_digits(quote: str) -> int:
    """How many significant digits the figure is written with ("1.19 trillion": 3, "4,000": 1, "four": 0)."""
    match = _DIGITS.search(quote or "")
    if match is None:
        return 0
    written = match.group().strip()
    whole, _, fraction = written.replace(",", "").replace(" ", "").partition(".")
    whole = whole.lstrip("0")
    digits = whole + fraction if fraction else whole.rstrip("0")
    return len(digits.lstrip("0")) or (1 if whole or fraction else 0)


def is_vague(quote: str, value: float, unit: str, measure: str) -> bool:
    """True for figures not worth checking: spelled-out numbers and bare small whole numbers."""
    if not any(c.isdigit() for c in quote or ""):
        return True
    return not unit and float(value).is_integer() and abs(value) < LIST_NUMERAL_BELOW


def worth(quote: str, value: float | None, unit: str, subject: str, measure: str) -> int:
    """The claim's worth score: higher is more worth checking (see the module docstring)."""
    value = 0.0 if value is None or not math.isfinite(value) else value
    fields = sum(1 for text in (subject, measure, unit) if (text or "").strip())
    score = fields * FIELD_WEIGHT
    if not is_vague(quote, value, unit, measure):
        score += SPECIFIC_WEIGHT
    score += min(significant_digits(quote), MAX_DIGITS) * DIGIT_WEIGHT
    if value:
        score += min(max(int(math.floor(math.log10(abs(value)))), 0), MAX_MAGNITUDE)
    return score


def worth_of(claim: Claim) -> int:
    """`worth` of a claim's current fields."""
    return worth(claim.quote, claim.value, claim.unit, claim.subject, claim.measure)


def rescore(claim: Claim) -> None:
    """Keep the claim's stored worth in step with its fields (after a correction or an undo)."""
    score = worth_of(claim)
    if claim.worth != score:
        claim.worth = score

