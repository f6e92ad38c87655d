"""Numbers that are not claims: labels, codes, references, formulae, idioms and scores.

Each rule that refuses a number names its reason (one of the constants below), so that
`claimtrack extract --explain` can show reviewers why a number was dropped.
"""
from __future__ import annotations

import re

from .model import Quantity

# Why a number is not a claim: the reasons shown by `claimtrack extract --explain`.
CITATION = "citation"  # "[12]", "[3, 7-9]", "(refs 3, 7)"
CROSS_REFERENCE = "cross-reference"  # "Fig. 3", "Table 2", "Section 4.1", "equation (5)"
IDENTIFIER = "identifier"  # "Covid-19", "No. 21", "clone iPS-7", "OMIM 123456", "sensor 2"
NAME = "name"  # part of a name or title: "Fortune Global 500", "Game 7", "BBC One"
MODEL_NUMBER = "model-number"  # "iPhone 11", "737 Max", "787 Dreamliner"
FORMULA_SUBSCRIPT = "formula-subscript"  # "Ca(NO3)2", "CuSO4·5H2O"
UNIT_EXPONENT = "unit-exponent"  # the 2 of "W m−2", the 1 of "m s^-1"
FORMULA_CONSTANT = "formula-constant"  # "divided by 100", "to the power of 2"
ADDRESS = "address"  # "49 Zorro Ranch Road"
ERA_YEAR = "era-year"  # "753 BC", "A.D. 1000"
TIME_ZONE = "time-zone"  # "10 GMT"
LIST_NUMBER = "list-number"  # "2. The second point"
SCORE = "score"  # "beat Charlton 2-1"
IDIOM = "idiom"  # "one of", "three-dimensional", "the two sides"
SAMPLE_SIZE = "sample-size"  # "(n = 8)": how many were measured, a note on a figure, not a claim
STATISTIC = "statistic"  # "t(23)", "F(2, 45)", "df = 3": the degrees of freedom of a test

# Capitalised words after which a number is still a quantity ("In 2019", "About 40", "March 3").
LABEL_BEFORE_OK = {
    "In", "Over", "About", "Nearly", "Some", "Only", "Just", "By", "Of", "With", "To", "At",
    "From", "Since", "Between", "Around", "Approximately", "Almost", "More", "Less", "Fewer",
    "Up", "Within", "Under", "The", "A", "An", "And", "Another", "Roughly", "Exactly", "All",
    "Among", "These", "Those", "Its", "Their", "Our", "Top", "Total", "For", "On", "As",
    "Nearly", "Only", "Still", "Even", "Almost", "Are", "Is", "Was", "Were", "Has", "Have",
    "After", "Before", "Until", "Above", "Below", "Beyond", "Despite", "Without", "Like", "Each", "Every",
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
# "slipped into the bottom three", "the top five": a place in a table, not a count.
TOP_BOTTOM_BEFORE_RE = re.compile(r"\bthe\s+(?:top|bottom)\s+$", re.I)
# The last member of a list of suspended hyphens ("four-, five- and six-cylinder") is read like the others.
SUSPENDED_LIST_BEFORE_RE = re.compile(r"\w[-‐],?\s+(?:(?:and|or|to)\s+)?$")
CODE_BEFORE_RE = re.compile(r"\+\s*$|#$|\bNo\.?\s*$|\bnumber\s*$")
# Accessions and locators: a SNP ("rs12345678"), a DOI, an arXiv or PubMed number, a genome position
# ("chr7:117,559,590").
ACCESSION_BEFORE_RE = re.compile(
    r"(?<![A-Za-z])rs$|\b(?:arXiv|PMID|PMCID|ISBN|ISSN|chr[\dXYM]{1,2})\s?:\s?$|\b(?:doi\s?:|DOI\s?:|doi\.org/)\s?\S*$")
# A journal's volume and pages before the year ("Nature 586, 378–382 (2020)"): a reference.
JOURNAL_PAGES_BEFORE_RE = re.compile(r"[A-Z][\w.]*\s\d{1,4},\s?$")
YEAR_IN_BRACKETS_AFTER_RE = re.compile(r"(?:[-–]\d+)?\s?\((?:19|20)\d\d\)")
# A named dimensionless number is a measure, and the number after it its value ("a Reynolds number
# of 2300", "Mach number 0.8", "Avogadro's number 6.022 × 10²³").
NAMED_NUMBER_BEFORE_RE = re.compile(
    r"\b(?:Reynolds|Mach|Prandtl|Nusselt|P[eé]clet|Rossby|Froude|Richardson|Weber|Strouhal|Schmidt|Sherwood|Rayleigh|"
    r"Grashof|Biot|Damk[oö]hler|Knudsen|Stokes|Womersley|Ekman|Avogadro['’]?s?|wave|atomic|mass|coordination|"
    r"quantum|refractive|Abbe)\s+number\s*$", re.I)
NEGATIVE_PREFIX_RE = re.compile(r"\b(?:minus|sub)[-–]$", re.I)
SCORE_HALF_BEFORE_RE = re.compile(r"\d\s?[-–]$")
# "ISO 3888-2", and a grade of one letter and two numbers ("C30/37", "S8/10"): the second number is a name.
ACRONYM_CODE_BEFORE_RE = re.compile(r"\b[A-Z]{2,}\s?\d+[-–:/]$|\b[A-Z]\d+/$")
# A scheme or format named by a number and a capitalised acronym ("64-QAM", "8-PSK"), or an alloy and
# its temper ("6061-T6", "2024-T3").
ACRONYM_HYPHEN_AFTER_RE = re.compile(r"-[A-Z]{3,}(?![A-Za-z])|-[A-Z]\d|-[A-Z]{2,}\d")
# The number of a test's tails or a design's factors ("a 2-tailed test", "1-way ANOVA"): a kind, no count.
DESIGN_HYPHEN_AFTER_RE = re.compile(r"[-‐](?:tailed|sided|way)\b", re.I)
SAMPLE_SIZE_BEFORE_RE = re.compile(r"(?<![A-Za-z])[nN]\s?=\s?$")
# The degrees of freedom of a test ("t(23) = 2.1", "F(2, 45)", "χ2(3)", "df = 3"); its p-value is a reported
# figure and stays.
STATISTIC_BEFORE_RE = re.compile(
    r"(?<![A-Za-z])(?:(?:t|F|χ2|χ²)\s?\((?:\s?\d+(?:\.\d+)?\s?,)?\s?|df\s?=\s?)$")
NAME_BRACKET_BEFORE_RE = re.compile(r"[A-Z][\w.]*\s?\($")
ZONE_AFTER_RE = re.compile(r"\s?(?:GMT|UTC|EDT|EST|BST|CET|CEST|PST|PDT|ZIP|zip\s+code)\b")
# "10 + 2" joins codes; "1.31 +0.05/−0.04" is an asymmetric tolerance, read with the number.
PLUS_DIGIT_AFTER_RE = re.compile(r"\s*\+\s*\d(?![\d.]*\}?\s?(?:/|_\{?)?\s?[-−–]\d)")
CAPITAL_LETTER_AFTER_RE = re.compile(r"[A-Z](?![a-z])")
# Capitalised symbols glued to a number that are units or scales, not code letters ("5GB", "4.3M").
CAPITAL_UNIT_AFTER_RE = re.compile(r"(?:GB|MB|TB|KB|GW|MW|kW|TW|GHz|MHz|Hz|HP|PS|M\b|B\b|K\b|L\b|W\b|V\b|T\b|TEU|Gt)")
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
# Symbols of a measure written right before its value ("pH 7.4", "Mw 6.4", "NA 1.4", "mp 132 °C"):
# the number is the measure's value, not part of a name.
MEASURE_SYMBOLS = ("pH", "pOH", "pKa", "pKb", "Mw", "ML", "Ms", "mb", "NA", "mp", "Mp", "m.p.", "bp", "b.p.",
                   "Tc", "Tg", "Tm", "TN", "Kd", "Ki")
MEASURE_SYMBOL_BEFORE_RE = re.compile(r"(?<![\w.])(?:%s)\s$" % "|".join(map(re.escape, MEASURE_SYMBOLS)))
CAMEL_BEFORE_RE = re.compile(r"\b[a-z]{1,3}[A-Z][A-Za-z]+\s$")
PRODUCT_AFTER_RE = re.compile(r"\s(?:Max|Pro|Plus|Mini|Ultra|Lite|Edition|Series|Neo|XL|Turbo)\b")


# A citation: a bracket holding only reference numbers ("[12]", "[3, 7-9]"), or after "ref(s)".
CITATION_OPEN_RE = re.compile(r"\[[\d\s,;–-]*$")
CITATION_CLOSE_RE = re.compile(r"[\d\s,;–-]*\]")
REFS_BEFORE_RE = re.compile(r"\brefs?\.?\s*(?:\d+\s*(?:,|;|–|-|and)\s*)*$", re.I)
# A figure, table, section, equation or page of the document itself ("Figs. 2 and 3", "equation (5)").
CROSS_REFERENCE_BEFORE_RE = re.compile(
    r"\b(?:fig(?:ure)?s?\.?|tables?|tab\.|sections?|sec\.|sect\.|§|eqs?\.|eqns?\.?|equations?|formulae?|chapters?|ch\.|"
    r"appendix|appendices|panels?|pages?|pp?\.|supplementary\s+(?:figure|table|note|section)s?|footnotes?)"
    r"\s*\(?(?:\d+(?:\.\d+)*[a-z]?\)?\s*(?:,|;|–|-|and|or|to)\s*\(?)*$", re.I)
# A letter (a unit symbol or a code) then a minus or a caret glued to the digits ("m−2", "s^-1", "Covid-19").
EXPONENT_BEFORE_RE = re.compile(r"(?<![A-Za-zµμ])([A-Za-zµμ]+)(?:\^[({]?[-−⁻]?|[-−⁻–])$")
# Unit symbols that take exponents in technical notation (an SI prefix and a symbol, or a non-prefixed one).
UNIT_SYMBOL_RE = re.compile(r"[YZEPTGMkhdcmµμunpf]?(?:m|s|g|l|L|W|J|N|K|Pa|Hz|V|A|mol|cd|Gy|Sv|Bq|eV|Wh|t)|min|ha|yr|h|d")
# Digits after a bracketed chemical group ("Ca(NO3)2", "Al2(SO4)3") or a hydrate dot ("CuSO4·5H2O").
FORMULA_GROUP_BEFORE_RE = re.compile(r"[A-Z][a-z]?\d*\([A-Z][A-Za-z\d]*\)$|\([A-Z][a-z]?\d*(?:[A-Z][a-z]?\d*)+\)$")
HYDRATE_BEFORE_RE = re.compile(r"[A-Z][A-Za-z\d]*[·•]$")
ACRONYM_RE = re.compile(r"[A-Z][A-Z\d]+")
# Adverbs hyphenated to a number about someone at another time ("her now-18 month-old", "the then-25 chair").
TIME_PREFIX_RE = re.compile(r"now|then|once", re.I)
# A word naming one of several things counted apart ("sensor 2", "patient 14", "clone 7"): the
# number that follows is its label unless a noun follows it ("sensor 2 readings" stays a label too,
# "station 5 km north" has a unit and never gets here).
INSTANCE_NOUN_BEFORE_RE = re.compile(
    r"\b(?:sensors?|patients?|participants?|subjects?|clones?|strains?|samples?|specimens?|plots?|wells?|probes?|"
    r"stations?|donors?|mice|mouse|rats?|animals?|lots?|batch(?:es)?|isolates?|accessions?|catalog(?:ue)?\s+(?:no\.?|number)|"
    r"cohorts?|arms?|groups?|replicates?|compounds?|runs?|experiments?|electrodes?|nodes?|chips?|boreholes?|transects?|wards?|detectors?|"
    r"(?<!a\s)(?<!per\s)(?:day|week|visit|passage|generation|step|cycle)s?|"
    r"patient\s+no\.?|cell\s+lines?)\s+(?:\d+\s*(?:,|and|or|&)\s*)*$", re.I)
NOUN_AFTER_RE = re.compile(r"\s+(?:of|per|times|percent|per\s*cent)\b", re.I)
# Stock indices whose names hold a number, as lower-cased text writes them ("the sp 500", "ftse 100").
INDEX_NAME_BEFORE_RE = re.compile(
    r"\b(?:s\s?&\s?p|sp|ftse|nikkei|russell|stoxx|cac|dax|asx|nifty|kospi|msci\s+\w+)\s$", re.I)
# A model number names a product with a singular capitalised word after it ("the 787 Dreamliner
# entered service"); a count takes a plural ("300 Google employees") or a following noun.
MODEL_NAME_AFTER_RE = re.compile(
    r"\s(?!(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|January|February|March|April|May|June|"
    r"July|August|September|October|November|December)\b)[A-Z][a-z]{3,}(?<![sS])(?<!ese|ish|ian|can|nch|tch)\b"
    r"(?![-'’&]|\s+[A-Z]|\s+(?!(?:was|is|has|does|its|his|this|thus|as|us|plus)\b)[a-z]+s\b|\s+(?:of|and|or)\b)")
MODEL_NUMBER_RE = re.compile(r"[1-9]\d{2,3}")
FORMULA_OPERATOR_BEFORE_RE = re.compile(
    r"\b(?:divided|multiplied|dividing|multiplying|divide|multiply)\s+(?:it\s+|them\s+|this\s+|that\s+)?by\s+$"
    r"|\b(?:to\s+the\s+power\s+of|raised\s+to)\s+$"
    r"|(?<![\w.])[A-Za-z](?:\s?/\s?[A-Za-z])?\)?\s?[×*/]\s?$"  # "A/B × 100": an operand of symbols
    r"|\([A-Za-z][\w,]*\s?/\s?[A-Za-z][\w,]*\)\s?[×*/]\s?$", re.I)  # "(P_out/P_in) × 100"
# What follows a formula's constant: the end of the clause or the next step, not a counted noun
# ("divided by 4 regions" splits among a count).
FORMULA_OPERAND_AFTER_RE = re.compile(
    r"\s*(?:[,.;:)]|$|(?:and|then|to|plus|minus|times|gives?|yields?|first|again|before|after)\b)", re.I)

def word_label_reason(text: str, tok: str, start: int, end: int, s0: int, before: str) -> str | None:
    """Why a number word is a label or an idiom ("Eight Steps", "one of", "three-dimensional"), or None."""
    low = tok.lower()
    nxt = text[end:end + 30]
    if HYPHEN_WORD_AFTER_RE.match(nxt) and not HYPHEN_MULTIPLE_RE.match(nxt) and not SUSPENDED_LIST_BEFORE_RE.search(before):
        return IDIOM
    if QUOTE_BEFORE_RE.search(before) or HYPHEN_BEFORE_RE.search(before):
        return NAME
    if tok[0].isupper() and start > s0 and CAPITAL_AFTER_RE.match(nxt) and not text[s0:start].strip().endswith((".", ":")):
        return NAME
    if tok[0].isupper() and start > s0:
        prev = CAPITAL_WORD_BEFORE_RE.search(before)
        if prev and prev.group(1) not in LABEL_BEFORE_OK and not text[s0:start].strip().endswith((".", ":")):
            return NAME  # "BBC One", "the Kick Six"
    if (DEFINITE_BEFORE_RE.search(before) or TOP_BOTTOM_BEFORE_RE.search(before)) and low != "one":
        # "these four cultural systems", "the two sides": a definite reference back to things already counted
        return IDIOM
    if low == "one" and PRONOUN_ONE_RE.search(before):
        return IDIOM  # "the same one", "a new one"
    if low == "one" and PRONOUN_ONE_BEFORE_RE.search(before) and PRONOUN_ONE_AFTER_RE.match(nxt):
        return IDIOM  # "into a land-linked one and ...": a pronoun
    if low == "one" and ONE_HAND_RE.match(nxt) and not ON_THE_OTHER_RE.search(before):
        return None
    if low in ("one", "a") and (IDIOM_AFTER_RE.match(nxt) or IDIOM_BEFORE_RE.search(before)):
        return None if SCALE_AFTER_RE.match(nxt) else IDIOM
    return None


def digit_label_reason(text: str, tok: str, start: int, end: int, s0: int, before: str) -> str | None:
    """Why digits are part of a reference, name, code or formula ("[12]", "Fig. 3", "Covid-19", "W m−2"), or None."""
    if CITATION_OPEN_RE.search(before) and CITATION_CLOSE_RE.match(text, end):
        return CITATION
    if REFS_BEFORE_RE.search(before):
        return CITATION
    if CROSS_REFERENCE_BEFORE_RE.search(before):
        return CROSS_REFERENCE
    exponent = EXPONENT_BEFORE_RE.search(before)
    if exponent and not NEGATIVE_PREFIX_RE.search(before) and not TIME_PREFIX_RE.fullmatch(exponent.group(1)):
        return UNIT_EXPONENT if UNIT_SYMBOL_RE.fullmatch(exponent.group(1)) else IDENTIFIER
    if FORMULA_GROUP_BEFORE_RE.search(before) or (
            HYDRATE_BEFORE_RE.search(before) and CAPITAL_LETTER_AFTER_RE.match(text, end)):
        return FORMULA_SUBSCRIPT
    if tok[0] in "-−–" and start > 0 and text[start - 1].isalpha():
        return IDENTIFIER  # "iPS-7": the hyphen joins a code, it is no minus sign
    if CODE_BEFORE_RE.search(before) and not NEGATIVE_PREFIX_RE.search(before) and not NAMED_NUMBER_BEFORE_RE.search(before):
        return IDENTIFIER
    if ACCESSION_BEFORE_RE.search(before):
        return IDENTIFIER
    if JOURNAL_PAGES_BEFORE_RE.search(before) and YEAR_IN_BRACKETS_AFTER_RE.match(text, end):
        return CITATION
    if SAMPLE_SIZE_BEFORE_RE.search(before):
        return SAMPLE_SIZE
    if STATISTIC_BEFORE_RE.search(before):
        return STATISTIC
    if ACRONYM_HYPHEN_AFTER_RE.match(text, end):
        return IDENTIFIER
    if DESIGN_HYPHEN_AFTER_RE.match(text, end):
        return IDIOM
    if SCORE_HALF_BEFORE_RE.search(before):
        return SCORE  # the second half of a score or code whose first number was refused ("Charlton 2-1")
    if LABEL_NOUN_RE.search(before) or ACRONYM_CODE_BEFORE_RE.search(before):
        return NAME  # "category 4", "Game 7", "ISO 3888-2"
    if ERA_BEFORE_RE.search(before) or ERA_AFTER_RE.match(text, end):
        return ERA_YEAR  # "between A.D. 1000 and 1260", "500 BC": years of an era
    if ADDRESS_RE.match(text, end):
        return ADDRESS  # "49 Zorro Ranch Road", "16-18 Industrial Avenue"
    if NAME_BRACKET_BEFORE_RE.search(before) and text[end:end + 1] == ")":
        return NAME  # a shirt or footnote number: "Dak Prescott (4)"
    if ZONE_AFTER_RE.match(text[end:end + 9]):
        return TIME_ZONE
    if PLUS_DIGIT_AFTER_RE.match(text, end):
        return IDENTIFIER
    if CAPITAL_LETTER_AFTER_RE.match(text[end:end + 2]) and not CAPITAL_UNIT_AFTER_RE.match(text[end:end + 4]):
        return IDENTIFIER
    if LIST_NUMBER_AFTER_RE.match(text[end:end + 2]) and (start == s0 or text[s0:start].strip() == "") and len(tok) <= 2:
        return LIST_NUMBER  # list numbering "2. ..."
    return None


def capital_label_reason(text: str, start: int, end: int, s0: int, before: str) -> str | None:
    """Why a bare number belongs to the capitalised name before it ("Fortune Global 500", "OMIM 123456"), or None."""
    if MEASURE_SYMBOL_BEFORE_RE.search(before):
        return None
    if CAMEL_BEFORE_RE.search(before) or PRODUCT_AFTER_RE.match(text, end):
        return MODEL_NUMBER  # "iPhone 11", "two new 737 Max jets"
    if MODEL_NUMBER_RE.fullmatch(text, start, end) and MODEL_NAME_AFTER_RE.match(text, end):
        return MODEL_NUMBER  # "the 787 Dreamliner", "a 911 Carrera"
    if INDEX_NAME_BEFORE_RE.search(before):
        return NAME
    m = CAPITAL_NAME_BEFORE_RE.search(before)
    if not m or m.group(1) in LABEL_BEFORE_OK or m.group(1).rstrip(".") in LABEL_BEFORE_OK:
        return None
    if CURRENCY_CODE_RE.fullmatch(m.group(1)):
        return None
    return IDENTIFIER if ACRONYM_RE.fullmatch(m.group(1)) else NAME


def bare_number_reason(text: str, end: int, before: str) -> str | None:
    """Why a number with no unit names one of several things or is a formula's constant ("sensor 2", "divided by 100")."""
    if INSTANCE_NOUN_BEFORE_RE.search(before) and not NOUN_AFTER_RE.match(text, end):
        return IDENTIFIER
    if FORMULA_OPERATOR_BEFORE_RE.search(before) and FORMULA_OPERAND_AFTER_RE.match(text, end):
        return FORMULA_CONSTANT
    return None


def is_score(text: str, q: Quantity, s0: int) -> bool:
    """True for a match score written as a range ("beat Charlton 2-1", "tied at 89-89", "a 9-2 lead")."""
    quote = text[q.start:q.end]
    if not SCORE_RE.fullmatch(quote):
        return False
    if q.value_max is not None and q.value_max <= q.value:
        return True
    return bool(SCORE_CONTEXT_RE.search(text[max(s0, q.start - 25):q.start]) or SCORE_AFTER_RE.match(text, q.end))
