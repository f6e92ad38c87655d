"""Numbers that are labels, codes, idioms or scores rather than quantities ("Covid-19", "Game 7", "one of")."""
from __future__ import annotations

import re

from .model import Quantity

# Capitalised words after which a number is still a quantity ("In 2019", "About 40", "March 3").
LABEL_BEFORE_OK = {
    "In", "Over", "About", "Nearly", "Some", "Only", "Just", "By", "Of", "With", "To", "At",
    "From", "Since", "Between", "Around", "Approximately", "Almost", "More", "Less", "Fewer",
    "Up", "Within", "Under", "The", "A", "An", "And", "Another", "Roughly", "Exactly", "All",
    "Among", "These", "Those", "Its", "Their", "Our", "Top", "Total", "For", "On", "As",
    "Nearly", "Only", "Still", "Even", "Almost", "Are", "Is", "Was", "Were", "Has", "Have",
} | {m for m in ("January February March April May June July August September October November December".split())}
CURRENCY_CODE_RE = re.compile(r"(?:RMB|USD|CNY|EUR|GBP|JPY|HKD|US)")
IDIOM_BEFORE_RE = re.compile(r"\b(?:no|each|any|every|which|the|this|that|on\s+the|on|at)\s*$", re.I)
IDIOM_AFTER_RE = re.compile(r"\s*(?:of\b|another\b|by\s+one\b|hand\b|day\b|way\b|thing\b|-on-|to\s+one\b|time\b|another)", re.I)
PRONOUN_ONE_RE = re.compile(r"\b(?:the|a|this|that|which|any)\s+(?:same|other|only|right|wrong|new|old|last|big|little|single|latest)\s+$", re.I)
# "one" after "a big", "the new ...": a pronoun when a clause boundary follows.
PRONOUN_ONE_BEFORE_RE = re.compile(r"\b(?:a|an|the)\s+[\w-]+\s+$", re.I)
PRONOUN_ONE_AFTER_RE = re.compile(r"\s*(?:[,.;:)]|(?:and|or|that|which|who)\b|$)")
ONE_HAND_RE = re.compile(r"\s+hand\b")
ON_THE_OTHER_RE = re.compile(r"\bon\s+(?:the\s+)?(?:other\s+)?$", re.I)
SCALE_AFTER_RE = re.compile(r"\s+(?:hundred|thousand|million|billion|trillion|per\s*cent|percent)\b", re.I)
# A number word joined by a hyphen to a word ("three-dimensional"), unless an age or a multiple.
HYPHEN_WORD_AFTER_RE = re.compile(r"[-‐](?!old\b)(?!(?:year|month|week|day)s?[-\s]old)[a-z]", re.I)
HYPHEN_MULTIPLE_RE = re.compile(r"-(?:fold|thirds?|quarters?|fifths?|tenths?|halves)\b", re.I)
QUOTE_BEFORE_RE = re.compile(r"[\"“‘'][ ]?$")
HYPHEN_BEFORE_RE = re.compile(r"\w[-‐]$")
CAPITAL_AFTER_RE = re.compile(r"\s+[A-Z]")
CAPITAL_WORD_BEFORE_RE = re.compile(r"([A-Z][\w&.]*)\s+$")
DEFINITE_BEFORE_RE = re.compile(r"\b(?:the|these|those)\s+$", re.I)
CODE_BEFORE_RE = re.compile(r"[A-Za-z][-–]$|\+\s*$|#$|\bNo\.?\s*$|\bnumber\s*$")
NEGATIVE_PREFIX_RE = re.compile(r"\b(?:minus|sub)[-–]$", re.I)
SCORE_HALF_BEFORE_RE = re.compile(r"\d\s?[-–]$")
ACRONYM_CODE_BEFORE_RE = re.compile(r"\b[A-Z]{2,}\s?\d+[-–:/]$")
NAME_BRACKET_BEFORE_RE = re.compile(r"[A-Z][\w.]*\s?\($")
ZONE_AFTER_RE = re.compile(r"\s?(?:GMT|UTC|EDT|EST|BST|CET|CEST|PST|PDT|ZIP|zip\s+code)\b")
PLUS_DIGIT_AFTER_RE = re.compile(r"\s*\+\s*\d")
CAPITAL_LETTER_AFTER_RE = re.compile(r"[A-Z](?![a-z])")
# Capitalised symbols glued to a number that are units or scales, not code letters ("5GB", "4.3M").
CAPITAL_UNIT_AFTER_RE = re.compile(r"(?:GB|MB|TB|KB|GW|MW|kW|TW|GHz|MHz|Hz|HP|PS|M\b|B\b|K\b|L\b|W\b|V\b|TEU|Gt)")
LIST_NUMBER_AFTER_RE = re.compile(r"\.\s")
CAPITAL_NAME_BEFORE_RE = re.compile(r"([A-Z][\w&/.-]*)\s$")
LABEL_NOUN_RE = re.compile(
    r"\b(?:category|type|grade|phase|stage|tier|version|chapter|section|article|row|gate|room|terminal|platform|"
    r"runway|channel|seat|lane|game|round|class|model|series|season|episode|level|unit|flight|route|highway|interstate)\s+$",
    re.I)
ADDRESS_RE = re.compile(
    r"(?:[-–]\d+)?\s+(?:(?:[A-Z][\w.]*|\d+(?:st|nd|rd|th))\s+){1,3}"
    r"(?:St|Street|Rd|Road|Ave|Avenue|Blvd|Boulevard|Lane|Ln|Drive|Way|Place|Court|Terrace|Square|Parade|Crescent)\b"
    r"|\s+(?:Ave|Avenue|Rue|Via|Calle)\s+[A-Z]")
SCORE_RE = re.compile(r"\d{1,3}\s?[-–]\s?\d{1,3}")
SCORE_CONTEXT_RE = re.compile(
    r"\b(?:beat|beats|won|win|wins|lost|lose|loses|defeated|defeat|victory|drew|draw|tied|tie|ended|finished|"
    r"trailing|trailed|leading|led|score|scored|scoreline)\s+(?:\w+\s+){0,2}$|\bat\s+$", re.I)
SCORE_AFTER_RE = re.compile(r"\s*(?:win|victory|lead|loss|defeat|draw|home|away|on\s+aggregate|down|up\b)", re.I)
ERA_BEFORE_RE = re.compile(r"\b(?:A\.D\.|AD)\s*(?:\d{1,4}\s*(?:and|to|-|–|or)\s*)?$")
ERA_AFTER_RE = re.compile(r"\s*(?:B\.C\.(?:E\.)?|BCE?\b|A\.D\.|AD\b|C\.E\.|CE\b)")
CAMEL_BEFORE_RE = re.compile(r"\b[a-z]{1,3}[A-Z][A-Za-z]+\s$")
PRODUCT_AFTER_RE = re.compile(r"\s(?:Max|Pro|Plus|Mini|Ultra|Lite|Edition|Series|Neo|XL|Turbo)\b")


def word_number_ok(text: str, tok: str, start: int, end: int, s0: int, before: str) -> bool:
    """Filter number words that are labels or idioms ("Eight Steps", "one of", "three-dimensional")."""
    low = tok.lower()
    nxt = text[end:end + 30]
    if HYPHEN_WORD_AFTER_RE.match(nxt) and not HYPHEN_MULTIPLE_RE.match(nxt):
        return False
    if QUOTE_BEFORE_RE.search(before) or HYPHEN_BEFORE_RE.search(before):
        return False
    if tok[0].isupper() and start > s0 and CAPITAL_AFTER_RE.match(nxt) and not text[s0:start].strip().endswith((".", ":")):
        return False
    if tok[0].isupper() and start > s0:
        prev = CAPITAL_WORD_BEFORE_RE.search(before)
        if prev and prev.group(1) not in LABEL_BEFORE_OK and not text[s0:start].strip().endswith((".", ":")):
            return False  # "BBC One", "the Kick Six"
    if DEFINITE_BEFORE_RE.search(before) and low != "one":
        # "these four cultural systems", "the two sides": a definite reference back to things already counted
        return False
    if low == "one" and PRONOUN_ONE_RE.search(before):
        return False  # "the same one", "a new one"
    if low == "one" and PRONOUN_ONE_BEFORE_RE.search(before) and PRONOUN_ONE_AFTER_RE.match(nxt):
        return False  # "into a land-linked one and ...": a pronoun
    if low == "one" and ONE_HAND_RE.match(nxt) and not ON_THE_OTHER_RE.search(before):
        return True
    if low in ("one", "a"):
        if IDIOM_AFTER_RE.match(nxt) or IDIOM_BEFORE_RE.search(before):
            return bool(SCALE_AFTER_RE.match(nxt))
    return True


def is_digit_label(text: str, tok: str, start: int, end: int, s0: int, before: str) -> bool:
    """True for digits that are part of a name or code ("Covid-19", "1+9", "5G", "No. 21")."""
    if CODE_BEFORE_RE.search(before) and not NEGATIVE_PREFIX_RE.search(before):
        return True
    if SCORE_HALF_BEFORE_RE.search(before):
        return True  # the second half of a score or code whose first number was refused ("Charlton 2-1")
    if LABEL_NOUN_RE.search(before) or ACRONYM_CODE_BEFORE_RE.search(before):
        return True  # "category 4", "Game 7", "ISO 3888-2"
    if ERA_BEFORE_RE.search(before) or ERA_AFTER_RE.match(text, end):
        return True  # "between A.D. 1000 and 1260", "500 BC": years of an era
    if ADDRESS_RE.match(text, end):
        return True  # "49 Zorro Ranch Road", "16-18 Industrial Avenue"
    if NAME_BRACKET_BEFORE_RE.search(before) and text[end:end + 1] == ")":
        return True  # a shirt or footnote number: "Dak Prescott (4)"
    if ZONE_AFTER_RE.match(text[end:end + 9]):
        return True
    if PLUS_DIGIT_AFTER_RE.match(text[end:end + 4]):
        return True
    if CAPITAL_LETTER_AFTER_RE.match(text[end:end + 2]) and not CAPITAL_UNIT_AFTER_RE.match(text[end:end + 4]):
        return True
    if LIST_NUMBER_AFTER_RE.match(text[end:end + 2]) and (start == s0 or text[s0:start].strip() == "") and len(tok) <= 2:
        return True  # list numbering "2. ..."
    return False


def is_capital_label(text: str, start: int, end: int, s0: int, before: str) -> bool:
    """True when a bare number follows a capitalised name ("Fortune Global 500", "Game 2")."""
    if CAMEL_BEFORE_RE.search(before) or PRODUCT_AFTER_RE.match(text, end):
        return True  # "iPhone 11", "two new 737 Max jets": a model number
    m = CAPITAL_NAME_BEFORE_RE.search(before)
    if not m or m.group(1) in LABEL_BEFORE_OK or m.group(1).rstrip(".") in LABEL_BEFORE_OK:
        return False
    if CURRENCY_CODE_RE.fullmatch(m.group(1)):
        return False
    return True


def is_score(text: str, q: Quantity, s0: int) -> bool:
    """True for a match score written as a range ("beat Charlton 2-1", "tied at 89-89", "a 9-2 lead")."""
    quote = text[q.start:q.end]
    if not SCORE_RE.fullmatch(quote):
        return False
    if q.value_max is not None and q.value_max <= q.value:
        return True
    return bool(SCORE_CONTEXT_RE.search(text[max(s0, q.start - 25):q.start]) or SCORE_AFTER_RE.match(text, q.end))
