"""Sentence-by-sentence claim extraction: quantities, then their context."""
from __future__ import annotations

import datetime as dt
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterator

from . import measures as M
from .model import ExtractedClaim
from .numbers import (
    DECADE_WORDS, NUMBER_RE, SCALE_RE, SCALES, WORD_NUMBER, parse_digits, parse_fraction, parse_ordinal,
    parse_slash_fraction, parse_word_number,
)
from .periods import Period, find_periods
from .sentences import Sentence, iter_sentences
from .units import (
    ABBREV_UNIT_RE, AGE_RE, CURRENCY_FWD_RE, CURRENCY_PREFIX_RE, CURRENCY_SUFFIX_RE, GLUED_UNIT_RE, GLUED_UNITS, PER_RE, PER_UNITS,
    PERCENT_SIGN_RE, PREFIX_CODES, SUFFIX_CODES, WORD_UNIT_RE, ABBREV_UNITS, MODIFIED_UNIT_CODES, SPACED_LETTER_CODES,
    SPACED_LETTER_RE, word_unit_code,
)

EXTRACTOR_VERSION = "rules-1.2"

QUALIFIER_RE = re.compile(
    r"(?:(?P<ge>\bat\s+least|\bno\s+(?:less|fewer)\s+than|\bnot\s+less\s+than|\ba\s+minimum\s+of|\bminimum\s+of)"
    r"|(?P<le>\bwithin|\bup\s+to|\bat\s+most|\bno\s+more\s+than|\bnot\s+more\s+than|\ba\s+maximum\s+of|\bas\s+(?:many|much)\s+as|\bcapped\s+at)"
    r"|(?P<lt>\b(?:just\s+)?(?:less\s+than|under|below|fewer\s+than|lower\s+than)|\bsub-?)"
    r"|(?P<gt>\b(?:just\s+|well\s+)?(?:over|more\s+than|above|exceed(?:ed|s|ing)?|surpass(?:ed|es|ing)?|beyond|in\s+excess\s+of|upwards\s+of|topped|greater\s+than|higher\s+than|north\s+of|over\s+than))"
    r"|(?P<ap>\b(?:about|around|approximately|approx\.|nearly|almost|roughly|some|close\s+to|circa|an\s+estimated|estimated|an\s+average\s+of|on\s+average)|~))"
    r"(?:\s+(?:RMB|US|USD|the|a|an))?\s*$",
    re.I,
)
QUALIFIER_AFTER_RE = re.compile(r"\s*(?:(?P<ge>or\s+more|or\s+above|\+)|(?P<le>or\s+less|or\s+fewer|or\s+below))\b", re.I)
_FILL = r"(?:by|of|at|some|about|nearly|almost|around|roughly|approximately|more\s+than|over|just|a|an|further|average|annual|annually|rate|year[- ]on[- ]year|yoy|y-o-y|another|additional|sharp|sharply|remarkable|significant|steady|total|nearly|respectively)"
CHANGE_LEFT_RE = re.compile(
    r"\b(?:(?P<up>increase[sd]?|increasing|rose|rise[sn]?|rising|grew|grow(?:s|n|ing)?|growths?|up|gain(?:s|ed|ing)?|jump(?:s|ed|ing)?|surge[sd]?|surging|climb(?:s|ed|ing)?|soar(?:s|ed|ing)?|advance[sd]?|advancing|added|adding|boost(?:s|ed|ing)?|expand(?:s|ed|ing)|raised?|raising|widened|hike[sd]?|hiking|rall(?:y|ied|ies|ying)|edged\s+up|ticked\s+up|higher|outpacing|outpaced)"
    r"|(?P<down>decrease[sd]?|decreasing|fell|fall(?:s|en|ing)?|drop(?:s|ped)?|dropping|decline[sd]?|declining|down|lost|loses|losing|slid|sliding|slip(?:s|ped|ping)?|plunge[sd]?|plunging|plummet(?:s|ed|ing)?|tumble[sd]?|tumbling|shed|shedding|sank|sinking|slump(?:s|ed|ing)?|dip(?:s|ped|ping)?|eased|easing|edged\s+down|shr[aiu]nk|shrinking|contract(?:s|ed|ing)|cut(?:ting)?|reduced?|reducing|lower|narrowed|minus))"
    rf"(?:(?:\s+{_FILL})*|(?:\s+(?!by\b)[a-z]+){{1,3}}\s+by)\s*$",
    re.I,
)
CHANGE_AFTER_RE = re.compile(
    r"\s*(?:year[- ]on[- ]year\s+|yoy\s+|y-o-y\s+)?(?:(?P<up>increase|rise|growth|gain|jump|surge|hike|higher)|(?P<down>decrease|decline|drop|fall|loss|reduction|contraction|lower))\b",
    re.I,
)
RANK_LEFT_RE = re.compile(r"\b(?:rank(?:s|ed|ing)?|placed|came(?:\s+in)?|finish(?:ed|ing)?)\s+(?:(?:the|joint|in|at)\s+)*$", re.I)
RANK_RIGHT_RE = re.compile(
    r"(?:[\s-](?:place|position|spot)\b|-\w+est\b|\s+(?:largest|biggest|highest|lowest|best|busiest|richest|fastest)\b)",
    re.I,
)
LABEL_BEFORE_OK = {
    "In", "Over", "About", "Nearly", "Some", "Only", "Just", "By", "Of", "With", "To", "At",
    "From", "Since", "Between", "Around", "Approximately", "Almost", "More", "Less", "Fewer",
    "Up", "Within", "Under", "The", "A", "An", "And", "Another", "Roughly", "Exactly", "All",
    "Among", "These", "Those", "Its", "Their", "Our", "Top", "Total", "For", "On", "As",
    "Nearly", "Only", "Still", "Even", "Almost", "Are", "Is", "Was", "Were", "Has", "Have",
} | {m for m in ("January February March April May June July August September October November December".split())}
IDIOM_BEFORE_RE = re.compile(r"\b(?:no|each|any|every|which|the|this|that|on\s+the|on|at)\s*$", re.I)
IDIOM_AFTER_RE = re.compile(r"\s*(?:of\b|another\b|by\s+one\b|hand\b|day\b|way\b|thing\b|-on-|to\s+one\b|time\b|another)", re.I)
KIND_PROJECTION_RE = re.compile(
    r"\b(?:it\s+is\s+(?:estimated|expected|projected|forecast|predicted)|(?:is|are)\s+(?:expected|projected|forecast|estimated|predicted|likely)\s+to|will\s+likely|forecasts?|projections?|projected|predicts?|anticipated)\b",
    re.I,
)
KIND_TARGET_RE = re.compile(
    r"\b(?:aim(?:s|ed|ing)?\s+to|target(?:s|ed)?|goal|strive[sd]?\s+to|striving\s+to|(?-i:plan(?:s|ned)?)\s+to|seek(?:s)?\s+to|endeavou?r(?:ing)?\s+to|pledge[sd]?|commit(?:ted|s)?\s+to|should|must|need(?:s)?\s+to|shall|we\s+will|compress)\b",
    re.I,
)
WILL_RE = re.compile(r"\bwill\b", re.I)
PRESCAN_CHARS = 20000
COMPARE_AFTER_RE = re.compile(r"\s+(?:higher|lower|more|less|above|below|faster|slower)\s+(?:than\s+)?(?P<ref>(?:the\s+)?[a-z][\w-]*(?:\s+[a-z][\w-]*){0,2})", re.I)
COMPARE_RE = re.compile(
    r"\b(?:outpac\w*|outperform\w*|ahead\s+of|higher\s+than|lower\s+than|above|below|exceed\w*)\s+"
    r"(?P<ref>(?:the\s+)?[\w\s-]{0,40}?)\s*(?:by\s+)?(?:about\s+|nearly\s+|some\s+)?$", re.I)
POSSESSOR_RE = re.compile(r"((?:[A-Z][\w-]+\s+)*[A-Z][\w-]+)[’']s\b")
TIME_ANCHOR_RE = re.compile(r"\s+(?:after|later|ago|before|earlier)\b", re.I)
AGED_RE = re.compile(r"\b(?:aged|ages)\s+(?:between\s+)?(?:\d+\s*(?:to|-|–|and)\s*)?$", re.I)
HALF_PERIOD_RE = re.compile(r"\b(?:first|second|this|last|next|latter|other|back|front|opening|closing)\s+$", re.I)
PRONOUN_ONE_RE = re.compile(r"\b(?:the|a|this|that|which|any)\s+(?:same|other|only|right|wrong|new|old|last|big|little|single|latest)\s+$", re.I)
LABEL_NOUN_RE = re.compile(
    r"\b(?:category|type|grade|phase|stage|tier|version|chapter|section|article|row|gate|room|terminal|platform|"
    r"runway|channel|seat|lane|game|round|class|model|series|season|episode|level|unit|flight|route|highway|interstate)\s+$",
    re.I)
ADDRESS_RE = re.compile(
    r"(?:[-–]\d+)?\s+(?:(?:[A-Z][\w.]*|\d+(?:st|nd|rd|th))\s+){1,3}"
    r"(?:St|Street|Rd|Road|Ave|Avenue|Blvd|Boulevard|Lane|Ln|Drive|Way|Place|Court|Terrace|Square|Parade|Crescent)\b"
    r"|\s+(?:Ave|Avenue|Rue|Via|Calle)\s+[A-Z]")
SCORE_CONTEXT_RE = re.compile(
    r"\b(?:beat|beats|won|win|wins|lost|lose|loses|defeated|defeat|victory|drew|draw|tied|tie|ended|finished|"
    r"trailing|trailed|leading|led|score|scored|scoreline)\s+(?:\w+\s+){0,2}$|\bat\s+$", re.I)
SCORE_AFTER_RE = re.compile(r"\s*(?:win|victory|lead|loss|defeat|draw|home|away|on\s+aggregate|down|up\b)", re.I)
SHARE_RE = re.compile(r"\b(?:account(?:ed|s|ing)?\s+for|compris(?:ing|ed|es)|made\s+up|represent(?:ed|ing|s)?)\s+(?:\w+\s+){0,3}$", re.I)
RESPECTIVELY_RE = re.compile(r"\brespectively\b", re.I)
CONVERSION_GAP_RE = re.compile(r"\s*(?:\(\s*|/\s*|,\s*or\s+)")
COORD_GAP_RE = re.compile(r"\s*(?:,\s*(?:and\s+)?|and\s+|&\s+)\s*$")
RANGE_GAP_RE = re.compile(r"\s*(?:-|–|—|to|and|through|or|up\s+to)\s*|/(?=\$)")
AVERAGE_RE = re.compile(r"\baverage\s+annual\b|\bannual\s+average\b|\bCAGR\b|\bon\s+average\b", re.I)
BOUND_GAP_RE = re.compile(r"[\s,]*(?:(?:year[- ]on[- ]year|yoy|y-o-y|respectively|as\s+of|in|for|during|at|by|on|of|over|since|through)\s+)*(?:the\s+)?", re.I)
TOTALING_RE = re.compile(r"\b(?:totall?ing|worth|valued\s+at|amounting\s+to|with\s+a\s+(?:total\s+)?value\s+of)\s+(?:\w+\s+)?$", re.I)
PARTICIPLE_RE = re.compile(r"\s+(?:were|was|have\s+been|has\s+been|had\s+been)\s+([a-z]+ed)\b")
GENERIC_HEADS = {"growth", "growths", "increase", "rise", "decline", "drop", "share", "proportion",
                 "rate", "level", "figure", "average", "annual", "total", "gain", "change", "it", "this"}
DIMENSION_WORDS = {"km": "length", "m": "length", "mi": "length", "km2": "area", "m2": "area",
                   "t": "weight", "kg": "weight", "h": "duration", "d": "duration", "min": "duration",
                   "a": "duration", "month": "duration", "week": "duration"}
_WS_RE = re.compile(r"\s+")
SCI_RE = re.compile(r"\s?[×x]\s?10(?:\^|\*\*)?(?P<e>[-−⁻]?[\d⁰¹²³⁴⁵⁶⁷⁸⁹]{1,3})(?![\d.])")
_SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")
WORD_TAIL_RE = re.compile(rf"\s+(?:and\s+)?(?P<n>{WORD_NUMBER})\b", re.I)
PENCE_RE = re.compile(r"p(?![\w-]|\.\w)")
VIDEO_LINES = {144.0, 240.0, 360.0, 480.0, 540.0, 720.0, 1080.0, 1440.0, 2160.0, 4320.0}
# After a glued "m", these make it metres ("a 10m drop", "37m (121ft)-long"), the rest millions.
METRE_CUES = {"high", "tall", "long", "wide", "deep", "away", "above", "below", "thick", "across", "in", "from",
              "by", "to", "and", "or", "x", "of", "above", "under", "over", "off", "down", "up", "depth",
              "height", "length", "width", "radius", "diameter", "sprint", "race", "dash", "hurdles", "freestyle"}
MILLION_NOUN_RE = re.compile(r"[a-z]+(?:s|people|staff|personnel|cattle)$")


def _exponent(text: str) -> int:
    """Integer exponent of "8", "−30" or "⁻³"."""
    return int(text.translate(_SUPERSCRIPT).replace("−", "-"))


def _m_is_million(text: str, pos: int, s1: int) -> bool:
    """After a glued "m" with no currency: million when a counted plural or a unit follows ("1.2m tons")."""
    if re.match(r"\s+of\b", text[pos:pos + 5]):
        return True
    words = re.compile(r"(?:\s+[a-z][a-z-]*){1,5}").match(text, pos, s1)
    if not words:
        return False
    toks = words.group().split()
    if toks[0] in METRE_CUES:
        return False
    if WORD_UNIT_RE.match(" " + toks[0]):
        return True
    for w in toks:
        if w in METRE_CUES - {"and"} or w in M.VERBS or w in M.PREPOSITIONS:
            return False
        if MILLION_NOUN_RE.search(w) and not w.endswith(("ss", "ous", "is")):
            return True
    return False


@dataclass
class _Quantity:
    """A quantity being assembled for one sentence."""

    start: int
    end: int
    value: float
    value_max: float | None = None
    unit: str = ""
    kind: str = "dig"  # dig | word | frac | ord
    currency: bool = False
    qualifier: str = "="
    change: str | None = None
    period: tuple[dt.date | None, dt.date | None] = (None, None)
    measure_text: str = ""
    measure: str = ""
    subject: str = ""
    guessed_subject: bool = False
    confidence: float = 0.9
    raw: float | None = None  # value of the number token alone, before scale words
    spaced: bool = False  # unit is a one-letter symbol written apart ("5 W"): checked like a bare number
    drop: bool = False  # recognised but not a claim (a sports score): consumed, not emitted


@dataclass
class _DocState:
    """What carries across sentences: publication date, subject tally, paragraph period."""

    published: dt.date | None
    subjects: Counter = field(default_factory=Counter)
    carry: tuple[dt.date | None, dt.date | None] | None = None
    prescanned_to: int = 0  # sentences before this offset were tallied up front

    def default_subject(self) -> str:
        """Most frequent proper-noun subject so far."""
        return self.subjects.most_common(1)[0][0] if self.subjects else ""


def iter_claims(text: str, published: dt.date | None = None) -> Iterator[ExtractedClaim]:
    """Yield the claims of `text` sentence by sentence (memory does not grow with the text)."""
    if not isinstance(text, str):
        return
    state = _DocState(published if isinstance(published, dt.date) else None)
    _prescan_subjects(text, state)
    for sent in iter_sentences(text):
        try:
            claims = _sentence_claims(text, sent, state)
        except (ValueError, IndexError, KeyError, OverflowError, RecursionError):
            # A malformed sentence must not stop the document; it simply yields nothing.
            continue
        yield from claims


def _tally_subjects(text: str, s0: int, s1: int, state: _DocState) -> None:
    """Count the proper-noun subjects of one sentence (clause subjects and possessors)."""
    subj = M.clause_subject(text, s0, s1)
    if subj and not M.is_anaphor(subj) and not M.is_title_name(subj) and not M.is_event_name(subj):
        state.subjects[subj] += 1
    for m in POSSESSOR_RE.finditer(text, s0, s1):
        if not M.is_title_name(m.group(1)) and not M.is_event_name(m.group(1)):
            state.subjects[m.group(1)] += 1


def _prescan_subjects(text: str, state: _DocState) -> None:
    """Tally subjects over the document's opening (bounded), so the first claims of a document get the
    subject the document is about rather than whichever name happened to come first."""
    limit = min(len(text), PRESCAN_CHARS)
    end = 0
    for sent in iter_sentences(text[:limit]):
        if sent.end >= limit and limit < len(text):
            break
        _tally_subjects(text, sent.start, sent.end, state)
        end = sent.end
    state.prescanned_to = end


def extract_claims(text: str, published: dt.date | None = None) -> list[ExtractedClaim]:
    """All claims of `text` as a list."""
    return list(iter_claims(text, published))


def _overlaps(spans: list[tuple[int, int]], s: int, e: int) -> bool:
    """True when [s, e) overlaps any span."""
    return any(a < e and s < b for a, b in spans)


def _sentence_claims(text: str, sent: Sentence, state: _DocState) -> list[ExtractedClaim]:
    """Claims of one sentence, updating the document state."""
    s0, s1 = sent.start, sent.end
    if sent.new_paragraph:
        state.carry = None
    periods = find_periods(text, s0, s1, state.published)
    masks = [(p.start, p.end) for p in periods]
    if s0 >= state.prescanned_to:
        _tally_subjects(text, s0, s1, state)
    quants = _find_quantities(text, s0, s1, masks)
    if not quants:
        _update_carry(state, periods)
        return []
    _share_units(text, s0, s1, quants)
    for q in quants:
        _qualify(text, s0, s1, q)
    _coordinate(text, quants)
    sentence = text[s0:s1]
    kind = _kind(sentence, periods, state.published)
    for q in quants:
        _assign_period(text, s0, q, periods, state, quants)
        _assign_measure(text, s0, s1, q, quants, periods, state, sentence)
    if RESPECTIVELY_RE.search(sentence):
        _respectively(text, s0, quants, periods)
    _update_carry(state, periods)
    out = []
    for q in quants:
        if not math.isfinite(q.value) or (q.value_max is not None and not math.isfinite(q.value_max)):
            continue
        out.append(ExtractedClaim(
            start=q.start, end=q.end, quote=text[q.start:q.end], value=q.value, value_max=q.value_max,
            unit=q.unit, qualifier=q.qualifier, change=q.change, period_start=q.period[0],
            period_end=q.period[1], subject=q.subject, measure=q.measure, measure_text=q.measure_text,
            kind=kind, confidence=round(max(0.05, min(0.99, q.confidence)), 2),
            sentence_start=s0, sentence_end=s1,
        ))
    return out


def _update_carry(state: _DocState, periods: list[Period]) -> None:
    """Remember the sentence's last resolved period for the following sentences of the paragraph."""
    for p in periods:
        if p.role in ("point", "list", "by_end") and p.begin:
            state.carry = (p.begin, p.finish)


# ---------------------------------------------------------------- quantities

def _find_quantities(text: str, s0: int, s1: int, masks: list[tuple[int, int]]) -> list[_Quantity]:
    """Every quantity expression of the sentence, in order, with value and unit."""
    out: list[_Quantity] = []
    consumed = 0
    for m in NUMBER_RE.finditer(text, s0, s1):
        if m.start() < consumed or _overlaps(masks, m.start(), m.end()):
            continue
        q = _build(text, m, s0, s1, out)
        if q is None:
            continue
        if _overlaps(masks, q.start, q.end):
            continue
        if q.value_max is None and out and _is_range_tail(text, out[-1], q):
            continue
        consumed = q.end
        if not q.drop:
            out.append(q)
    return out


def _is_range_tail(text: str, prev: _Quantity, q: _Quantity) -> bool:
    """True when q is the already-merged upper bound of the previous range."""
    return prev.value_max is not None and q.start < prev.end


def _build(text: str, m: re.Match, s0: int, s1: int, prior: list[_Quantity]) -> _Quantity | None:
    """Assemble the quantity around one number token, or None when it is not a claim."""
    kind = m.lastgroup or "dig"
    tok = m.group()
    start, end = m.span()
    before = text[max(s0, start - 40):start]
    if kind == "ord":
        return _rank(text, m, s0, s1, prior)
    if kind == "sfrac":
        return _slash_fraction(text, m, s1)
    if AGED_RE.search(before):
        return None  # "men aged 18 to 34": an age band describing who is counted
    if kind == "frac":
        if re.match(r"[-‐]\w", text[end:end + 2]) or re.search(r"[-‐]$", before):
            return None
        if not re.search(r"[-\s]", tok):  # bare "half"
            if HALF_PERIOD_RE.search(before):
                return None  # "the second half", "this half": a period, not a share
            if not re.match(r"\s*(?:of|the|a|an|its|their|his|her|our|those|these|that)\b|\s*[,.;)]", text[end:end + 10], re.I):
                return None
        elif not re.search(r"-", tok) and not re.match(r"\s*(?:of|the)\b|\s*[,.;)]", text[end:end + 6], re.I):
            return None
        return _Quantity(start, end, parse_fraction(tok), unit="%", kind="frac", confidence=0.75)
    if kind == "word":
        if not _word_ok(text, tok, start, end, s0, before):
            return None
        value = parse_word_number(tok)
    else:
        if _digit_label(text, tok, start, end, s0, before):
            return None
        value = parse_digits(tok)
        if tok.startswith("+"):
            start += 1  # the sign is kept as a change, not in the quote
    q = _Quantity(start, end, value, kind=kind, confidence=0.9 if kind == "dig" else 0.7, raw=value)
    if tok.startswith("+"):
        q.change = "up"
    _currency_prefix(text, s0, q)
    _scale_and_unit(text, s1, q)
    if kind == "dig" and (q.unit in ("", "s") or q.spaced) and _capital_label(text, start, m.end(), s0, before):
        return None
    if kind == "dig" and re.match(r"[A-Za-z]", text[q.end:q.end + 1]):
        return None
    if tok.startswith("+") and q.unit not in ("%", "pp", "bp", "point"):
        q.change = None
    if q.unit == "a" and AGE_OF_RE.search(before):
        q.unit = "year of age"  # "under the age of 5 years"
    if q.unit in ("a", "month", "week", "d") and TIME_ANCHOR_RE.match(text, q.end, s1):
        return None  # "one year after the inspection", "two weeks ago": a time anchor
    _range(text, s1, q)
    if q.value_max is not None and q.kind == "dig" and not q.unit and _is_score(text, q, s0):
        q.drop = True
    return q


def _is_score(text: str, q: _Quantity, s0: int) -> bool:
    """True for a match score written as a range ("beat Charlton 2-1", "tied at 89-89", "a 9-2 lead")."""
    quote = text[q.start:q.end]
    if not re.fullmatch(r"\d{1,3}\s?[-–]\s?\d{1,3}", quote):
        return False
    if q.value_max is not None and q.value_max <= q.value:
        return True
    return bool(SCORE_CONTEXT_RE.search(text[max(s0, q.start - 25):q.start]) or SCORE_AFTER_RE.match(text, q.end))


def _slash_fraction(text: str, m: re.Match, s1: int) -> _Quantity | None:
    """A written fraction: of a unit ("1/2 pound", "1/16 of a pint") or a share ("1/3 of voters")."""
    value = parse_slash_fraction(m.group())
    start, end = m.span()
    of = re.compile(r"\s+of\s+(?:an?\s+)?(?:(?:US|U\.S\.|UK|imperial)\s+)?", re.I).match(text, end, s1)
    q = _Quantity(start, end, value, kind="dig", confidence=0.7, raw=value)
    _scale_and_unit(text, s1, q)
    if q.unit:
        return q
    if of:
        probe = _Quantity(of.end(), of.end(), value, kind="dig")
        unit, upos = _unit_at(text, of.end(), s1, probe)
        if unit and unit != "%":
            q.unit, q.end = unit, upos
            return q
        return _Quantity(start, end, round(100.0 * value, 6), unit="%", kind="frac", confidence=0.7)
    return None


def _word_ok(text: str, tok: str, start: int, end: int, s0: int, before: str) -> bool:
    """Filter number words that are labels or idioms ("Eight Steps", "one of", "three-dimensional")."""
    low = tok.lower()
    nxt = text[end:end + 30]
    if re.match(r"[-‐](?!old\b)(?!(?:year|month|week|day)s?[-\s]old)[a-z]", nxt, re.I) and not re.match(r"-(?:fold|thirds?|quarters?|fifths?|tenths?|halves)\b", nxt, re.I):
        return False
    if re.search(r"[\"“‘'][ ]?$", before) or re.search(r"\w[-‐]$", before):
        return False
    if tok[0].isupper() and start > s0 and re.match(r"\s+[A-Z]", nxt) and not text[s0:start].strip().endswith((".", ":")):
        return False
    if tok[0].isupper() and start > s0:
        prev = re.search(r"([A-Z][\w&.]*)\s+$", before)
        if prev and prev.group(1) not in LABEL_BEFORE_OK and not text[s0:start].strip().endswith((".", ":")):
            return False  # "BBC One", "the Kick Six"
    if re.search(r"\b(?:the|these|those)\s+$", before, re.I) and low != "one":
        # "these four cultural systems", "the two sides": a definite reference back to things already counted
        return False
    if low == "one" and PRONOUN_ONE_RE.search(before):
        return False  # "the same one", "a new one"
    if low == "one" and re.search(r"\b(?:a|an|the)\s+[\w-]+\s+$", before, re.I) and re.match(r"\s*(?:[,.;:)]|(?:and|or|that|which|who)\b|$)", nxt):
        return False  # "into a land-linked one and ...": a pronoun
    if low == "one" and re.match(r"\s+hand\b", nxt) and not re.search(r"\bon\s+(?:the\s+)?(?:other\s+)?$", before, re.I):
        return True
    if low in ("one", "a"):
        if IDIOM_AFTER_RE.match(nxt) or IDIOM_BEFORE_RE.search(before):
            return bool(re.match(r"\s+(?:hundred|thousand|million|billion|trillion|per\s*cent|percent)\b", nxt, re.I))
    return True


def _digit_label(text: str, tok: str, start: int, end: int, s0: int, before: str) -> bool:
    """True for digits that are part of a name or code ("Covid-19", "1+9", "5G", "No. 21")."""
    if re.search(r"[A-Za-z][-–]$|\+\s*$|#$|\bNo\.?\s*$|\bnumber\s*$", before) and not re.search(r"\b(?:minus|sub)[-–]$", before, re.I):
        return True
    if re.search(r"\d\s?[-–]$", before):
        return True  # the second half of a score or code whose first number was refused ("Charlton 2-1")
    if LABEL_NOUN_RE.search(before) or re.search(r"\b[A-Z]{2,}\s?\d+[-–:/]$", before):
        return True  # "category 4", "Game 7", "ISO 3888-2"
    if ERA_BEFORE_RE.search(before) or ERA_AFTER_RE.match(text, end):
        return True  # "between A.D. 1000 and 1260", "500 BC": years of an era
    if ADDRESS_RE.match(text, end):
        return True  # "49 Zorro Ranch Road", "16-18 Industrial Avenue"
    if re.search(r"[A-Z][\w.]*\s?\($", before) and text[end:end + 1] == ")":
        return True  # a shirt or footnote number: "Dak Prescott (4)"
    if re.match(r"\s?(?:GMT|UTC|EDT|EST|BST|CET|CEST|PST|PDT|ZIP|zip\s+code)\b", text[end:end + 9]):
        return True
    if re.match(r"\s*\+\s*\d", text[end:end + 4]):
        return True
    if re.match(r"[A-Z](?![a-z])", text[end:end + 2]) and not re.match(r"(?:GB|MB|TB|KB|GW|MW|kW|TW|GHz|MHz|Hz|HP|PS|M\b|B\b|K\b|L\b|W\b|V\b|TEU|Gt)", text[end:end + 4]):
        return True
    if re.match(r"\.\s", text[end:end + 2]) and (start == s0 or text[s0:start].strip() == "") and len(tok) <= 2:
        return True  # list numbering "2. ..."
    return False


ERA_BEFORE_RE = re.compile(r"\b(?:A\.D\.|AD)\s*(?:\d{1,4}\s*(?:and|to|-|–|or)\s*)?$")
ERA_AFTER_RE = re.compile(r"\s*(?:B\.C\.(?:E\.)?|BCE?\b|A\.D\.|AD\b|C\.E\.|CE\b)")
CAMEL_BEFORE_RE = re.compile(r"\b[a-z]{1,3}[A-Z][A-Za-z]+\s$")
PRODUCT_AFTER_RE = re.compile(r"\s(?:Max|Pro|Plus|Mini|Ultra|Lite|Edition|Series|Neo|XL|Turbo)\b")


def _capital_label(text: str, start: int, end: int, s0: int, before: str) -> bool:
    """True when a bare number follows a capitalised name ("Fortune Global 500", "Game 2")."""
    if CAMEL_BEFORE_RE.search(before) or PRODUCT_AFTER_RE.match(text, end):
        return True  # "iPhone 11", "two new 737 Max jets": a model number
    m = re.search(r"([A-Z][\w&/.-]*)\s$", before)
    if not m or m.group(1) in LABEL_BEFORE_OK or m.group(1).rstrip(".") in LABEL_BEFORE_OK:
        return False
    if re.fullmatch(r"(?:RMB|USD|CNY|EUR|GBP|JPY|HKD|US)", m.group(1)):
        return False
    return True


def _rank(text: str, m: re.Match, s0: int, s1: int, prior: list[_Quantity]) -> _Quantity | None:
    """An ordinal is a claim only in a ranking context ("ranking 2nd", "fourth-largest")."""
    start, end = m.span()
    before = text[max(s0, start - 30):start]
    after = text[end:end + 20]
    ok = bool(RANK_LEFT_RE.search(before) or RANK_RIGHT_RE.match(after))
    if not ok and prior and prior[-1].unit == "rank" and COORD_GAP_RE.match(text[prior[-1].end:start]):
        ok = True
    if not ok:
        return None
    return _Quantity(start, end, parse_ordinal(m.group()), unit="rank", kind="ord", confidence=0.85)


def _currency_prefix(text: str, s0: int, q: _Quantity) -> None:
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


def _scale_and_unit(text: str, s1: int, q: _Quantity) -> None:
    """Extend q rightwards over scale words and a unit; apply both to the value."""
    pos = q.end
    sci = SCI_RE.match(text, pos, s1)
    if sci:
        q.value *= 10.0 ** _exponent(sci.group("e"))
        pos = sci.end()
    for _ in range(2):  # "hundred million"
        m = SCALE_RE.match(text, pos, s1)
        if not m:
            break
        word = (m.group("long") or m.group("short")).lower()
        if m.group("short"):
            glued = not m.group().startswith(" ")
            if not glued:
                break
            capital = m.group("short") in ("M", "B")  # "4.3M sales": never metres or bytes
            if word == "m" and not q.currency and not capital and not _m_is_million(text, m.end(), s1):
                break
            if word in ("b", "k") and not q.currency and not capital and not re.match(r"[\s,.;)]|$", text[m.end():m.end() + 1]):
                break
            if word == "mil" and not q.currency:
                break
        q.value *= SCALES[word]
        pos = m.end()
        if q.kind == "word" and m.group("long"):
            more = WORD_TAIL_RE.match(text, pos, s1)  # "twenty-eight thousand six hundred forty-two"
            if more and parse_word_number(more.group("n")) < SCALES[word]:
                q.value += parse_word_number(more.group("n"))
                pos = more.end()
    if q.kind == "word" and SCALE_RE.match(text, q.end, s1) is None and pos == q.end and False:
        pos = q.end
    unit, upos = _unit_at(text, pos, s1, q)
    if not unit and not q.currency:
        cs = CURRENCY_SUFFIX_RE.match(text, pos, s1)
        if cs:
            q.unit, q.currency, pos = SUFFIX_CODES[cs.group("sym")], True, cs.end()
    if unit and not (q.currency and unit not in ("", "%")):
        if not q.currency or unit in ("%",):
            q.unit = unit
        pos = upos
    elif q.currency:
        m = re.match(r"\s?(?:US|U\.S\.)(?![\w$])", text[pos:pos + 6])
        if m:
            pos += m.end()
    per = PER_RE.match(text, pos, s1)
    if per and (q.unit or q.currency):
        denom = per.group("d") or "year"
        code = PER_UNITS.get(denom.lower(), PER_UNITS.get(denom.lower().rstrip("s"), ""))
        if code:
            q.unit = f"{q.unit}/{code}"
            pos = per.end()
    q.end = pos
    m = QUALIFIER_AFTER_RE.match(text, pos, s1)
    if m and m.group().strip() == "+":
        q.qualifier = ">="
        q.end = m.end()


def _unit_at(text: str, pos: int, s1: int, q: _Quantity) -> tuple[str, int]:
    """The unit starting at pos (code, end offset), or ("", pos)."""
    m = PERCENT_SIGN_RE.match(text, pos, s1)
    if m:
        return "%", m.end()
    m = AGE_RE.match(text, pos, s1)
    if m:
        return f"{m.group('u').lower()} of age", m.end()
    hy = 1 if text[pos:pos + 1] == "-" and q.kind == "dig" else 0
    if hy:
        m = SUSPENDED_RE.match(text, pos, s1)
        if m:  # "a 7- or 8-inch screen": the first number takes the unit written after the second
            code, _ = _unit_at(text, m.end(), s1, _Quantity(m.end(), m.end(), q.value, kind="dig"))
            if code:
                return code, pos + 1
    m = WORD_UNIT_RE.match(text, pos + hy, s1)
    if m:
        surface = m.group().strip()
        low = _WS_RE.sub(" ", surface.lower())
        if low in DECADE_WORDS:
            q.value *= DECADE_WORDS[low]
            return "a", m.end()
        code = word_unit_code(surface)
        if low in ("pounds", "pound"):
            return ("GBP" if q.value >= 1000 else "lb"), m.end()
        if code:
            return code, m.end()
    m = re.compile(r"\s?(?:decades?|centuries|century|millenni(?:um|a))\b", re.I).match(text, pos, s1)
    if m:
        q.value *= DECADE_WORDS[m.group().strip().lower()]
        return "a", m.end()
    m = ABBREV_UNIT_RE.match(text, pos + hy, s1)
    if m and not (hy and m.group().startswith(" ")):
        return ABBREV_UNITS[_WS_RE.sub(" ", m.group().strip())], m.end()
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
    if m and m.group("w").lower() not in NOT_MODIFIERS and m.group("w").lower() not in M.VERBS:
        u = WORD_UNIT_RE.match(text, m.end(), s1)
        if u:
            code = word_unit_code(u.group())
            if code in MODIFIED_UNIT_CODES:
                return code, u.end()  # "517 rushing yards", "50 previous years"
    return "", pos


POUNDS_RE = re.compile(r"\s?(?:pounds?|lbs?)\b", re.I)
AGE_OF_RE = re.compile(r"\bages?\s+of\s+$", re.I)
SUSPENDED_RE = re.compile(r"-,?\s+(?:(?:or|to|and)\s+)?\d+(?:\.\d+)?(?=-[A-Za-z])")
MODIFIER_RE = re.compile(r"\s+(?P<w>[a-z]+(?:-[a-z]+)?)(?=\s+[a-z])")
# Words that cannot stand between a number and its unit as a modifier.
NOT_MODIFIERS = M.DETERMINERS | M.PREPOSITIONS | {
    "and", "or", "but", "of", "to", "in", "on", "at", "by", "for", "from", "with", "per", "than", "a", "an", "the",
    "light", "is", "are", "was", "were", "be", "been", "has", "have", "had", "times", "percent", "cent", "that",
    "which", "who", "as", "out", "each", "apiece", "plus", "minus", "times", "hundred", "thousand", "million",
    "billion", "trillion", "dozen", "old", "ago", "later", "earlier", "before", "after", "last", "next", "this", "past",
    "coming", "following", "same", "fiscal", "financial"}


def _range(text: str, s1: int, q: _Quantity) -> None:
    """Merge "X to Y", "X-Y", "between X and Y", "two or three" into one quantity with value_max."""
    gap = RANGE_GAP_RE.match(text, q.end, s1)
    if not gap:
        return
    word = _WS_RE.sub(" ", gap.group().strip().lower())
    if word == "up to":
        if not re.search(r"\bfrom\s+\S*$", text[max(0, q.start - 15):q.start], re.I):
            return
        word = "to"
    if word == "and" and not re.search(r"\bbetween\s+(?:\S+\s+){0,2}$", text[max(0, q.start - 24):q.start], re.I):
        return
    if word == "through" or (word == "/" and not q.currency):
        return  # "$7/$9" is a range of two amounts; other slashes are ratios or dates
    left = text[max(0, q.start - 40):q.start]
    by_change = word == "to" and (CHANGE_LEFT_RE.search(left) or re.search(r"\bby\s+$", left[-6:]))
    if by_change and q.unit:
        return  # "increased by 5% to 20%": a change and a level, not a range
    nxt = NUMBER_RE.match(text, gap.end(), s1)
    pre = 0
    pre_code = ""
    if not nxt:
        cm = CURRENCY_FWD_RE.match(text, gap.end(), s1)
        if not cm:
            return
        pre = cm.end() - gap.end()
        pre_code = PREFIX_CODES[int(cm.lastgroup[1:])]  # type: ignore[index]
        nxt = NUMBER_RE.match(text, cm.end(), s1)
        if not nxt:
            return
    if nxt.lastgroup not in ("dig", "word") or nxt.group().lower() == "a" or nxt.group().lower().startswith(("minus", "+")):
        return
    if word in ("-", "–", "—") and (text[q.end - 1:q.end].isspace() != text[gap.end():gap.end() + 1].isspace()):
        return
    tail_raw = parse_digits(nxt.group()) if nxt.lastgroup == "dig" else parse_word_number(nxt.group())
    tail = _Quantity(nxt.start(), nxt.end(), tail_raw, kind=nxt.lastgroup, raw=tail_raw)
    if pre:
        if not q.currency or pre_code != q.unit.split("/")[0]:
            return
        tail.currency, tail.unit = q.currency, pre_code
    _scale_and_unit(text, s1, tail)
    if word == "or":
        if q.unit:
            return
        if not (float(q.value).is_integer() and float(tail_raw).is_integer() and q.value < tail_raw <= 2 * q.value + 1):
            return
    if by_change and not tail.unit:
        return
    scaled_tail = tail.raw is not None and tail.value != tail.raw and not tail.unit.startswith(("%", "pp"))
    if q.kind != tail.kind and not (q.unit or tail.unit or scaled_tail):
        return  # "one to 2" without a unit is too loose to call a range
    if not tail.unit and not q.unit and word == "to" and not scaled_tail and not re.search(r"\b(?:from|between)\s+\S*$", text[max(0, q.start - 15):q.start], re.I):
        return
    if q.unit and tail.unit.startswith(q.unit + "/"):
        q.unit = tail.unit  # "between $62 and $68 per share"
    if q.unit and q.unit != tail.unit:
        return
    first = q.value
    if not q.unit and tail.unit:
        q.unit = tail.unit
        q.currency = tail.currency
    q_scaled = q.raw is not None and q.value != q.raw and not q.currency
    if q.currency and q.raw is not None:
        q_scaled = abs(q.value - q.raw) > 1e-9
    if not q_scaled and q.raw is not None and tail.raw:
        scale = tail.value / tail.raw
        if scale > 1 and not tail.unit.startswith(("%", "pp")) and q.raw < tail.raw * 1.0001:
            first = q.raw * scale  # "$10 to $15 billion", "four to five thousand"
    q.value = first
    q.value_max = tail.value
    q.end = tail.end


# ---------------------------------------------------------------- units shared across quantities

# What may follow a number that stands alone, its unit left implicit ("the lowest is 74.07.").
BARE_AFTER_RE = re.compile(
    r"\s*(?:[,.;:)\]]|\(|$|(?:last|this|next|in|on|at|for|by|from|while|and|or|but|after|before|with|compared|"
    r"versus|vs|respectively|each|apiece)\b)", re.I)
INDEX_CUE_RE = re.compile(
    r"\b(?:ind(?:ex|ices|exes)|Dow|Nasdaq|NASDAQ|S&P|FTSE|DAX|CAC|Nikkei|Hang\s+Seng|Sensex|Nifty|Stoxx|TSX|KOSPI|"
    r"TA-\d+|Stock\s+Exchange|stocks?|benchmark)\b")
INDEX_LEVEL_BEFORE_RE = re.compile(r"(?:\bto|\bat|\bof|\(|\bfrom|\bclosed|\bended)\s*$", re.I)
UNSHARED_UNITS = {"", "%", "pp", "bp", "rank", "times", "point", "GBP-pence"}
BACK_COORD_RE = re.compile(r"\s*(?:,|or|and)\s*|\s*,\s*(?:or|and)\s+")
OF_THE_RE = re.compile(r"\s+of\s+(?:the|its|their|his|her|a|an)\s+", re.I)


def _shareable(u: _Quantity) -> bool:
    """True when u's unit can be understood for a neighbouring bare number."""
    return u.unit.split("/")[0] not in UNSHARED_UNITS and " of " not in u.unit


def _comparable(value: float, u: _Quantity) -> bool:
    """True when value is within a factor of five of u's value (or its upper bound)."""
    for ref in (u.value, u.value_max):
        if ref and value and 0.2 <= abs(value) / abs(ref) <= 5:
            return True
    return False


def _share_units(text: str, s0: int, s1: int, quants: list[_Quantity]) -> None:
    """Give bare numbers the unit the sentence leaves implicit, and spread a per-phrase over a bracket.

    - "C $6 (US $4.46) per share": the per-phrase closes the outer amount's phrase.
    - "about 8 or $9", "280 million of the 1.5 billion shekels": the unit of the next amount.
    - "rose 64.06 points to 4,577.10": an index level is in points.
    - "84.75 cents, while the lowest is 74.07": the unit of the nearest earlier amount of the same size.
    """
    for a, b in zip(quants, quants[1:]):
        if a.unit and "/" not in a.unit and re.fullmatch(r"\s*\(\s*", text[a.end:b.start]):
            close = re.compile(r"\s*\)").match(text, b.end, s1)
            per = PER_RE.match(text, close.end(), s1) if close else None
            if per:
                denom = (per.group("d") or "year").lower()
                code = PER_UNITS.get(denom, PER_UNITS.get(denom.rstrip("s"), ""))
                if code:
                    a.unit = f"{a.unit}/{code}"
    index_cue = None
    for i, q in enumerate(quants):
        if q.unit or q.kind != "dig" or q.drop:
            continue
        nxt = quants[i + 1] if i + 1 < len(quants) else None
        if nxt and _shareable(nxt) and q.value_max is None:
            gap = text[q.end:nxt.start]
            if (BACK_COORD_RE.fullmatch(gap) and _comparable(q.value, nxt)) or (OF_THE_RE.fullmatch(gap) and q.value <= nxt.value):
                q.unit, q.currency = nxt.unit, nxt.currency
                continue
        if not BARE_AFTER_RE.match(text, q.end, s1) and not re.match(r"\s+(?:up|down)\b", text[q.end:q.end + 6]):
            continue
        if q.value >= 100 and INDEX_LEVEL_BEFORE_RE.search(text, max(s0, q.start - 12), q.start):
            if index_cue is None:
                index_cue = bool(INDEX_CUE_RE.search(text, s0, s1))
            if index_cue and (any(o.unit == "point" for o in quants) or not float(q.value).is_integer()):
                q.unit = "point"
                continue
        if not BARE_AFTER_RE.match(text, q.end, s1):
            continue
        for o in reversed(quants[:i]):
            if q.start - o.end > 90:
                break
            if _shareable(o) and _comparable(q.value, o) and ";" not in text[o.end:q.start]:
                q.unit, q.currency = o.unit, o.currency
                break


# ---------------------------------------------------------------- context

def _qualify(text: str, s0: int, s1: int, q: _Quantity) -> None:
    """Set qualifier and change from the words around q."""
    before = text[max(s0, q.start - 60):q.start]
    m = QUALIFIER_RE.search(before)
    if m and q.qualifier == "=":
        q.qualifier = {"ge": ">=", "le": "<=", "lt": "<", "gt": ">", "ap": "~"}[m.lastgroup]  # type: ignore[index]
        before_q = before[:m.start()]
    else:
        before_q = before
    a = QUALIFIER_AFTER_RE.match(text, q.end, s1)
    if a and q.qualifier == "=":
        q.qualifier = ">=" if a.group("ge") else "<="
    c = CHANGE_LEFT_RE.search(before_q) or CHANGE_LEFT_RE.search(before)
    if c and q.unit != "rank":
        q.change = "up" if c.group("up") else "down"
    else:
        c = CHANGE_AFTER_RE.match(text, q.end, s1)
        if c and q.unit != "rank":
            q.change = "up" if c.group("up") else "down"
    if q.value < 0 and q.unit in ("%", "pp"):
        q.change = "down"


def _coordinate(text: str, quants: list[_Quantity]) -> None:
    """Share qualifier and change across a coordinated list ("up 44.1% and 41.8%")."""
    for prev, q in zip(quants, quants[1:]):
        gap = text[prev.end:q.start]
        if CONVERSION_GAP_RE.fullmatch(gap) and q.unit and prev.unit and not q.unit.startswith(("%", "pp")):
            # "just under 296 hp (224 kW / 300 PS)": a conversion says the same as the quantity it follows
            if q.qualifier == "=":
                q.qualifier = prev.qualifier
            if q.change is None:
                q.change = prev.change
            continue
        if re.fullmatch(r"\s*,?\s*or\s+", gap) and prev.change and q.change is None and q.unit in ("%", "pp"):
            q.change = prev.change  # "lost 190 points, or 0.6%"
            continue
        if q.unit.split("/")[0] != prev.unit.split("/")[0] and not (q.currency and prev.currency):
            continue
        if not COORD_GAP_RE.fullmatch(text[prev.end:q.start]) and not re.fullmatch(r"\s*(?:,\s*)?(?:and|or)\s+", text[prev.end:q.start]):
            continue
        if q.qualifier == "=" and prev.qualifier != "=":
            q.qualifier = prev.qualifier
        if q.change is None and prev.change is not None:
            q.change = prev.change


def _kind(sentence: str, periods: list[Period], published: dt.date | None) -> str:
    """fact, target or projection, from the sentence's modality."""
    if KIND_PROJECTION_RE.search(sentence):
        return "projection"
    if KIND_TARGET_RE.search(sentence):
        return "target"
    future = published is not None and any(p.role == "by" and p.begin and p.begin.year > published.year for p in periods)
    if WILL_RE.search(sentence) or future:
        return "target" if re.search(r"\b(?:we|our)\b", sentence, re.I) or future else "projection"
    return "fact"


def _assign_period(text: str, s0: int, q: _Quantity, periods: list[Period], state: _DocState, quants: list[_Quantity]) -> None:
    """Choose the period of q: bound right after it, else nearest before, else later, else carried."""
    usable = [p for p in periods if p.role != "mask"]
    dated = [p for p in usable if p.begin]
    if len(dated) >= 2 and AVERAGE_RE.search(text[max(s0, q.start - 60):q.start]):
        q.period = (min(p.begin for p in dated), max(p.finish or p.begin for p in dated))
        return
    chosen: Period | None = None
    for p in usable:
        if p.start >= q.end and BOUND_GAP_RE.fullmatch(text[q.end:p.start]):
            chosen = p
            break
    if chosen is None:
        before = [p for p in usable if p.end <= q.start]
        if before:
            chosen = before[-1]
    if chosen is None:
        after = [p for p in usable if p.start >= q.end and not _bound_to_other(text, p, quants, q)]
        if after:
            chosen = after[0]
    if chosen is None:
        if state.carry:
            q.period = state.carry
        return
    begin, finish = chosen.begin, chosen.finish
    if chosen.role == "since":
        finish = state.published
    if chosen.role == "by_end":
        since = [p for p in usable if p.role == "since"]
        if since:
            begin = since[0].begin
    q.period = (begin, finish)


def _bound_to_other(text: str, p: Period, quants: list[_Quantity], q: _Quantity) -> bool:
    """True when period p directly follows another quantity ("RMB 6.47 billion in 1978")."""
    return any(o is not q and o.end <= p.start and BOUND_GAP_RE.fullmatch(text[o.end:p.start]) for o in quants)


def _clause_words(text: str, s0: int, q: _Quantity, quants: list[_Quantity], periods: list[Period]) -> list[str]:
    """Tokens of the sentence before q, with other quantities and periods replaced by markers."""
    spans = sorted([(o.start, o.end, "<Q>") for o in quants if o.end <= q.start] +
                   [(p.start, p.end, "<P>") for p in periods if p.end <= q.start])
    words: list[str] = []
    pos = s0
    for a, b, mark in spans:
        if a < pos:
            continue
        words += M.tokens(text[pos:a])
        words.append(mark)
        pos = b
    words += M.tokens(text[pos:q.start])
    return words


_SKIP = M.QUALIFIER_WORDS | {"from", "at", "of", "to", "by", "for", "as", "<Q>", "<P>", ",", "with", "and", "or",
                             "in", "then", "respectively", "year-on-year", "(", ")", "put", "it", "which"}
_STOP = {"that", "which", "while", "as", "when", "where", "who", "than", "because", "if", "since", "including", "or"}


def _phrase_before(words: list[str], through_commas: bool = False) -> tuple[str, int]:
    """Noun phrase closing the clause before a number, skipping the verb group and earlier quantities."""
    i = len(words) - 1
    finite = False
    while i >= 0:
        w = words[i]
        low = w.lower()
        if w in (";", ":"):
            break
        if w == "," and finite:
            # "The Silk Road, spanning ..., stretches over N": the subject opens the sentence.
            return "", -2
        finite = finite or (low in M.VERBS and not low.endswith("ing"))
        if w in _SKIP or low in _SKIP or M.is_verb(w) or low in M.DETERMINERS or low.endswith("ly"):
            i -= 1
            continue
        # A locative "in China" / "within Gansu Province" is not the measured thing.
        j = i
        while j >= 0 and words[j][:1].isupper() and words[j] not in ("<Q>", "<P>"):
            j -= 1
        if j >= 0 and j < i and words[j].lower() in ("in", "within", "across", "at", "nationwide", "to"):
            i = j - 1
            continue
        break
    out: list[str] = []
    while i >= 0:
        w = words[i]
        low = w.lower()
        if w == "," and through_commas:
            out.append(w)
            i -= 1
            continue
        if w in (",", ";", ":", "(", ")", "<Q>", "<P>") or low in M.VERBS or (out and M.is_verb(w)) or low in _STOP:
            break
        out.append(w)
        i -= 1
    out.reverse()
    while out and (out[0].lower() in M.NP_LINKS | {"by", "at", "as"} or out[0] == ","):
        out.pop(0)
    return " ".join(out).replace(" ,", ","), i


def _first_phrase(text: str, s0: int, pos: int) -> str:
    """The sentence's opening noun phrase (its grammatical subject, usually)."""
    words = []
    for w in M.tokens(text[s0:pos]):
        if w in (",", ";", ":", "(") or w.lower() in M.VERBS:
            break
        words.append(w)
    return " ".join(words)


def _assign_measure(text: str, s0: int, s1: int, q: _Quantity, quants: list[_Quantity],
                    periods: list[Period], state: _DocState, sentence: str) -> None:
    """Set measure_text, measure key and subject of q, and adjust confidence."""
    after, after_end = "", q.end
    if not q.unit or q.unit in ("TEU", "times"):
        om = re.compile(r"\s+out\s+of\s+").match(text, q.end, s1)
        nxt = [o for o in quants if om and o.start >= om.end() - 1]
        if nxt:
            after, after_end = M.phrase_after(text, nxt[0].end, s1)
        elif not q.unit or q.unit == "TEU":
            after, after_end = M.phrase_after(text, q.end, s1)
    if not after and q.unit not in ("%", "pp", "rank"):
        om = re.compile(r"\s+(?:of|in)\s+(?=[a-z])").match(text, q.end, s1)
        if om:
            after, after_end = M.phrase_after(text, om.end(), s1)
    if after:
        part = PARTICIPLE_RE.match(text, after_end, s1)
        if part:
            after = f"{after} {part.group(1)}"
    words = _clause_words(text, s0, q, quants, periods)
    before, idx = _phrase_before(words)
    if idx == -2:
        before, idx = _first_phrase(text, s0, q.start), -1
    if before and all(w.lower() in GENERIC_HEADS or w.lower() in M.DETERMINERS for w in before.split()):
        more, _ = _phrase_before(words[:max(0, idx + 1)])
        before = f"{more} {before}".strip()
    owner, rest = M.possessor(before)
    prev = [o for o in quants if o.end <= q.start]
    left = text[max(s0, q.start - 30):q.start]
    measure_text = after or rest
    derived = ""
    if q.currency and prev and TOTALING_RE.search(left) and prev[-1].measure:
        derived = f"{prev[-1].measure} value"
    subject = owner if owner and not owner.lower().startswith(("its", "their")) else ""
    if not subject and measure_text and not after:
        name, rest2 = M.embedded_name(measure_text)
        if name:
            subject, measure_text = name, rest2
    if not subject:
        subject = M.clause_subject(text, s0, q.start)
    guessed = False
    if not subject or M.is_anaphor(subject) or M.is_anaphor(re.sub(r"[’']s$", "", subject)):
        subject = state.default_subject() or _first_phrase(text, s0, q.start)
        guessed = True
    key = derived or M.normalise(measure_text, sentence)
    same = [o for o in prev if o.unit == q.unit and o.measure]
    if not key and same:
        key, measure_text = same[-1].measure, same[-1].measure_text
    if q.unit in DIMENSION_WORDS and not after:
        if not key:
            key = M.normalise(_first_phrase(text, s0, q.start), sentence)
        key = f"{key} {DIMENSION_WORDS[q.unit]}".strip()
    subj_low = subject.lower()
    if subj_low and key.startswith(subj_low + " "):
        key = key[len(subj_low) + 1:]
    pct_before = [o for o in prev if o.unit == "%" and o.measure]
    compare = None
    if q.unit == "pp" and pct_before:
        compare = COMPARE_RE.search(text[max(s0, q.start - 60):q.start]) or COMPARE_AFTER_RE.match(text, q.end, s1)
    if compare:
        # "grew 3.8%, outpacing the country by 3.2 percentage points": the margin of the earlier rate
        ref = M.normalise(compare.group("ref") or "", sentence) or "reference"
        key = f"{pct_before[-1].measure} margin over {ref}"
    elif q.unit in ("%", "pp") and not derived:
        of = re.compile(r"\s+of\s+").match(text, q.end, s1)
        if SHARE_RE.search(text[max(s0, q.start - 50):q.start]) or (of and q.unit == "%" and not q.change):
            if not key and of:
                key = M.normalise(M.phrase_after(text, of.end(), s1)[0], sentence)
            key = f"{key} share".strip()
        elif q.change and not re.search(r"\b(?:growth|increase|decline|change|rise|drop)\b", key):
            key = f"{key} growth".strip()
    if q.unit == "rank":
        if any(o.change for o in prev) and "growth" not in key:
            key = f"{key} growth"
        key = f"{key} rank".strip()
    q.measure_text = measure_text
    q.measure = key
    q.subject = re.sub(r"^[Tt]he\s+(?=[A-Z])", "", subject)  # "the AIIB" -> "AIIB"
    q.guessed_subject = guessed
    if guessed:
        q.confidence -= 0.1
    if not key:
        q.confidence -= 0.25
    elif q.unit == "" and not after:
        q.confidence -= 0.1


def _respectively(text: str, s0: int, quants: list[_Quantity], periods: list[Period]) -> None:
    """Distribute measures (and listed years) over the list that "respectively" refers to."""
    groups: list[list[_Quantity]] = []
    for q in quants:
        if groups and COORD_GAP_RE.fullmatch(text[groups[-1][-1].end:q.start]) is not None:
            groups[-1].append(q)
        else:
            groups.append([q])
    for group in groups:
        if len(group) < 2:
            continue
        tail = text[group[-1].end:group[-1].end + 60]
        if not re.match(r"[\s,]*(?:(?:year[- ]on[- ]year|yoy|nationwide|nationally|in\s+\w+)[\s,]*)?respectively", tail, re.I):
            continue
        k = len(group)
        first = group[0]
        words = _clause_words(text, s0, first, quants, periods)
        before, _ = _phrase_before(words, through_commas=True)
        owner, rest = M.possessor(before)
        items = M.split_coordination(rest) if rest else []
        earlier = [o for o in quants if o.end <= first.start]
        if len(items) == k:
            for q, item in zip(group, items):
                q.measure_text = item
                key = M.normalise(item, text[first.start:first.end])
                if q.unit == "rank":
                    key = f"{key} rank"
                q.measure = key
                if owner and not owner.lower().startswith(("its", "their")):
                    q.subject = owner
        elif len(earlier) >= k:
            for q, src in zip(group, earlier[-k:]):
                q.measure_text = src.measure_text
                q.subject = src.subject
                suffix = " growth" if (q.change or q.unit == "%") and src.unit != q.unit else ""
                q.measure = (src.measure + suffix).strip()
        lists = [p for p in periods if p.role == "list" and len(p.years) == k]
        if lists:
            for q, y in zip(group, lists[0].years):
                q.period = (dt.date(y, 1, 1), dt.date(y, 12, 31))
