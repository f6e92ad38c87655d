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
    DECADE_WORDS, NUMBER_RE, SCALE_RE, SCALES, parse_digits, parse_fraction, parse_ordinal,
    parse_word_number,
)
from .periods import Period, find_periods
from .sentences import Sentence, iter_sentences
from .units import (
    ABBREV_UNIT_RE, AGE_RE, CURRENCY_PREFIX_RE, GLUED_UNIT_RE, GLUED_UNITS, PER_RE, PER_UNITS,
    PERCENT_SIGN_RE, PREFIX_CODES, WORD_UNIT_RE, ABBREV_UNITS, word_unit_code,
)

EXTRACTOR_VERSION = "rules-1.0"

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
    r"\b(?:(?P<up>increase[sd]?|increasing|rose|rise[sn]?|rising|grew|grow(?:s|n|ing)?|growths?|up|gain(?:s|ed)?|jump(?:s|ed)?|surge[sd]?|surging|climb(?:s|ed)?|soar(?:s|ed)?|advance[sd]?|added|boost(?:s|ed)?|expand(?:s|ed)|raised?|widened|hike[sd]?|edged\s+up|ticked\s+up|higher|outpacing|outpaced)"
    r"|(?P<down>decrease[sd]?|decreasing|fell|fall(?:s|en|ing)?|drop(?:s|ped)?|dropping|decline[sd]?|declining|down|lost|loses|losing|slid|slip(?:s|ped)|plunge[sd]?|plummet(?:s|ed)?|tumble[sd]?|shed|sank|slump(?:s|ed)?|dip(?:s|ped)|eased|edged\s+down|shr[aiu]nk|contract(?:s|ed)|cut|reduced?|lower|narrowed|minus))"
    rf"(?:\s+{_FILL})*\s*$",
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
SHARE_RE = re.compile(r"\b(?:account(?:ed|s|ing)?\s+for|compris(?:ing|ed|es)|made\s+up|represent(?:ed|ing|s)?)\s+(?:\w+\s+){0,3}$", re.I)
RESPECTIVELY_RE = re.compile(r"\brespectively\b", re.I)
COORD_GAP_RE = re.compile(r"\s*(?:,\s*(?:and\s+)?|and\s+|&\s+)\s*$")
RANGE_GAP_RE = re.compile(r"\s*(?:-|–|—|to|and|through)\s*")
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


@dataclass
class _DocState:
    """What carries across sentences: publication date, subject tally, paragraph period."""

    published: dt.date | None
    subjects: Counter = field(default_factory=Counter)
    carry: tuple[dt.date | None, dt.date | None] | None = None

    def default_subject(self) -> str:
        """Most frequent proper-noun subject so far."""
        return self.subjects.most_common(1)[0][0] if self.subjects else ""


def iter_claims(text: str, published: dt.date | None = None) -> Iterator[ExtractedClaim]:
    """Yield the claims of `text` sentence by sentence (memory does not grow with the text)."""
    if not isinstance(text, str):
        return
    state = _DocState(published if isinstance(published, dt.date) else None)
    for sent in iter_sentences(text):
        try:
            claims = _sentence_claims(text, sent, state)
        except (ValueError, IndexError, KeyError, OverflowError, RecursionError):
            # A malformed sentence must not stop the document; it simply yields nothing.
            continue
        yield from claims


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
    subj = M.clause_subject(text, s0, s1)
    if subj and not M.is_anaphor(subj) and not M.is_title_name(subj):
        state.subjects[subj] += 1
    for m in re.finditer(r"((?:[A-Z][\w-]+\s+)*[A-Z][\w-]+)[’']s\b", text[s0:s1]):
        if not M.is_title_name(m.group(1)):
            state.subjects[m.group(1)] += 1
    quants = _find_quantities(text, s0, s1, masks)
    if not quants:
        _update_carry(state, periods)
        return []
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
        out.append(q)
        consumed = q.end
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
    if kind == "frac":
        if re.match(r"[-‐]\w", text[end:end + 2]) or re.search(r"[-‐]$", before):
            return None
        if not re.search(r"[-\s]", tok):  # bare "half"
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
    q = _Quantity(start, end, value, kind=kind, confidence=0.9 if kind == "dig" else 0.7)
    _currency_prefix(text, s0, q)
    _scale_and_unit(text, s1, q)
    if kind == "dig" and not q.unit and _capital_label(text, start, s0, before):
        return None
    if kind == "dig" and re.match(r"[A-Za-z]", text[q.end:q.end + 1]):
        return None
    _range(text, s1, q)
    return q


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
    if re.search(r"\b(?:the|these|those)\s+$", before, re.I) and low != "one":
        return False
    if low in ("one", "a"):
        if IDIOM_AFTER_RE.match(nxt) or IDIOM_BEFORE_RE.search(before):
            return bool(re.match(r"\s+(?:hundred|thousand|million|billion|trillion|per\s*cent|percent)\b", nxt, re.I))
    return True


def _digit_label(text: str, tok: str, start: int, end: int, s0: int, before: str) -> bool:
    """True for digits that are part of a name or code ("Covid-19", "1+9", "5G", "No. 21")."""
    if re.search(r"[A-Za-z][-–]$|\+\s*$|#$|\bNo\.?\s*$|\bnumber\s*$", before):
        return True
    if re.match(r"\s*\+\s*\d", text[end:end + 4]):
        return True
    if re.match(r"[A-Z](?![a-z])", text[end:end + 2]) and not re.match(r"(?:GB|MB|TB|KB|GW|MW|kW|TW|GHz|MHz|Hz|HP|PS|M\b|B\b|K\b|L\b|W\b|V\b|TEU|Gt)", text[end:end + 4]):
        return True
    if re.match(r"\.\s", text[end:end + 2]) and (start == s0 or text[s0:start].strip() == "") and len(tok) <= 2:
        return True  # list numbering "2. ..."
    return False


def _capital_label(text: str, start: int, s0: int, before: str) -> bool:
    """True when a bare number follows a capitalised name ("Fortune Global 500", "Game 2")."""
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
    for _ in range(2):  # "hundred million"
        m = SCALE_RE.match(text, pos, s1)
        if not m:
            break
        word = (m.group("long") or m.group("short")).lower()
        if m.group("short"):
            glued = not m.group().startswith(" ")
            if not glued:
                break
            if word == "m" and not q.currency and not re.match(r"\s+of\b", text[m.end():m.end() + 5]):
                break
            if word in ("b", "k") and not q.currency and not re.match(r"[\s,.;)]|$", text[m.end():m.end() + 1]):
                break
        q.value *= SCALES[word]
        pos = m.end()
    if q.kind == "word" and SCALE_RE.match(text, q.end, s1) is None and pos == q.end and False:
        pos = q.end
    unit, upos = _unit_at(text, pos, s1, q)
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
    if text[pos:pos + 1] != "-":
        m = ABBREV_UNIT_RE.match(text, pos, s1)
        if m:
            return ABBREV_UNITS[_WS_RE.sub(" ", m.group().strip())], m.end()
        m = GLUED_UNIT_RE.match(text, pos, s1)
        if m and q.kind == "dig":
            return GLUED_UNITS[m.group()], m.end()
    m = re.compile(r"\s?(?:pounds?|lbs?)\b", re.I).match(text, pos, s1)
    if m:
        return "lb", m.end()
    return "", pos


def _range(text: str, s1: int, q: _Quantity) -> None:
    """Merge "X to Y", "X-Y", "between X and Y" into one quantity with value_max."""
    gap = RANGE_GAP_RE.match(text, q.end, s1)
    if not gap:
        return
    word = gap.group().strip().lower()
    if word == "and" and not re.search(r"\bbetween\s+(?:\S+\s+)?$", text[max(0, q.start - 20):q.start], re.I):
        return
    if word == "through":
        return
    if word == "to" and (CHANGE_LEFT_RE.search(text[max(0, q.start - 40):q.start]) or re.search(r"\bby\s+$", text[max(0, q.start - 6):q.start])):
        return  # "increased by X to Y": a change and a level, not a range
    nxt = NUMBER_RE.match(text, gap.end(), s1)
    pre = 0
    if not nxt:
        cm = re.compile(r"(?:US\s?\$|\$|€|£|¥|RMB\s?|HK\$)").match(text, gap.end(), s1)
        if not cm:
            return
        pre = cm.end() - gap.end()
        nxt = NUMBER_RE.match(text, cm.end(), s1)
        if not nxt:
            return
    if nxt.lastgroup not in ("dig", "word") or (nxt.lastgroup == "word") != (q.kind == "word"):
        return
    if word in ("-", "–", "—") and (text[q.end - 1:q.end].isspace() != text[gap.end():gap.end() + 1].isspace()):
        return
    tail = _Quantity(nxt.start(), nxt.end(), parse_digits(nxt.group()) if nxt.lastgroup == "dig" else parse_word_number(nxt.group()), kind=nxt.lastgroup)
    if pre:
        if not q.currency:
            return
        tail.currency, tail.unit = q.currency, q.unit
    _scale_and_unit(text, s1, tail)
    if not tail.unit and not q.unit and word == "to" and not re.search(r"\b(?:from|between)\s+\S*$", text[max(0, q.start - 15):q.start], re.I):
        return
    if q.unit and q.unit != tail.unit:
        return
    raw_first = q.value
    if not q.unit and tail.unit:
        q.unit = tail.unit
        q.currency = tail.currency
        first_raw = parse_digits(text[q.start:q.end]) if q.kind == "dig" and re.fullmatch(r"[-−]?[\d,]+(?:\.\d+)?", text[q.start:q.end]) else None
        scale = tail.value / (parse_digits(nxt.group()) if nxt.lastgroup == "dig" and parse_digits(nxt.group()) else 1)
        if first_raw is not None and scale > 1 and first_raw * scale <= tail.value * 1.0001 * 10 and first_raw < parse_digits(nxt.group()) * 1.0001:
            raw_first = first_raw * scale
    q.value = raw_first
    q.value_max = tail.value
    q.end = tail.end


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
    if q.unit in ("%", "pp") and not derived:
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
    q.subject = subject
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
