"""Quantity finding: number tokens assembled with sign, currency, scale, unit and range, labels left out."""
from __future__ import annotations

import dataclasses
import re

from .context import CHANGE_LEFT_RE, COORD_GAP_RE
from .labels import (
    SCORE, bare_number_reason, capital_label_reason, digit_label_reason, is_score, word_label_reason,
)
from .model import Dropped, Quantity
from .numbers import (
    NUMBER_RE, WORD_NUMBER, parse_digits, parse_fraction, parse_magnitude, parse_ordinal, parse_slash_fraction, parse_word_number,
)
from .symbols import NEWS, UnitContext
from .units import CURRENCY_FWD_RE, PREFIX_CODES, WHITESPACE_RE, currency_prefix, scale_and_unit, unit_at

# Why a number that is not a label is still not a claim (see `labels` for the label reasons).
AGE_BAND = "age-band"  # "men aged 18 to 34"
TIME_ANCHOR = "time-anchor"  # "two weeks ago"
GLUED_WORD = "glued-to-word"  # "5G", "3D"
NO_RANKING = "ordinal-not-rank"  # "the third time"
FRACTION_IDIOM = "fraction-idiom"  # "the second half", "half-time"
SLASH_NOT_FRACTION = "slash-not-fraction"  # "open 24/7"
VAGUE_EXTENT = "vague-extent"  # "thousands of years of history", "hundreds of miles long": a manner of speaking

RANK_LEFT_RE = re.compile(r"\b(?:rank(?:s|ed|ing)?|placed|came(?:\s+in)?|finish(?:ed|ing)?)\s+(?:(?:the|joint|in|at)\s+)*$", re.I)
RANK_RIGHT_RE = re.compile(
    r"(?:[\s-](?:place|position|spot)\b|-\w+est\b|\s+(?:largest|biggest|highest|lowest|best|busiest|richest|fastest)\b)",
    re.I,
)
TIME_ANCHOR_RE = re.compile(r"\s+(?:after|later|ago|before|earlier)\b", re.I)
AGED_RE = re.compile(r"\b(?:aged|ages)\s+(?:between\s+)?(?:\d+\s*(?:to|-|–|and)\s*)?$", re.I)
AGE_UNIT_AFTER_RE = re.compile(r"(?:\s*(?:to|-|–|and)\s*\d+(?:\.\d+)?)?[\s-]*(?:years?|yr|months?|weeks?|days?)\b", re.I)
HALF_PERIOD_RE = re.compile(r"\b(?:first|second|this|last|next|latter|other|back|front|opening|closing)\s+$", re.I)
AGE_OF_RE = re.compile(r"\bages?\s+of\s+$", re.I)
RANGE_GAP_RE = re.compile(r"-to-|\s+to-(?=\d)|\s*(?:-|–|—|to|and|through|or|up\s+to)\s*|/(?=\$)")
FROM_BEFORE_RE = re.compile(r"\bfrom\s+\S*$", re.I)
CHANGE_FROM_RE = re.compile(r"\bfrom\s+(?:about\s+|around\s+|approximately\s+|~\s?)?$", re.I)
RANGE_OPENS_RE = re.compile(r"\s?[-–]\s?\d")
BETWEEN_BEFORE_RE = re.compile(r"\bbetween\s+(?:\S+\s+){0,2}$", re.I)
FROM_OR_BETWEEN_BEFORE_RE = re.compile(r"\b(?:from|between)\s+\S*$", re.I)
BY_BEFORE_RE = re.compile(r"\bby\s+$")
# Spoken fractions joined by a hyphen to a word ("half-time", "quarter-final") are not shares.
HYPHEN_AFTER_RE = re.compile(r"[-‐]\w")
HYPHEN_END_RE = re.compile(r"[-‐]$")
SPOKEN_FRACTION_SEP_RE = re.compile(r"[-\s]")
HALF_OF_RE = re.compile(r"\s*(?:of|the|a|an|its|their|his|her|our|those|these|that)\b|\s*[,.;)]", re.I)
FRACTION_OF_RE = re.compile(r"\s*(?:of|the)\b|\s*[,.;)]", re.I)
LETTER_RE = re.compile(r"[A-Za-zα-ωΑ-Ω]")  # "5G", "3D", "2θ"
# A capitalised word glued to a scale word opens the next sentence ("46.9 millionIn the ...").
GLUED_SENTENCE_RE = re.compile(r"(?<=[a-z])[A-Z][a-z]")
# A transition whose bounds are apart by one word ("from 21 mpg combined to 23"), and a chain ("from $160
# to $180 to $200"). Bounds each dated ("from RMB 6.47 billion in 1978 to RMB 1.19 trillion in 2023") stay
# two levels, each with its period.
SPLIT_TRANSITION_GAP_RE = re.compile(r"\s+[a-z]+\s+to\s+(?:about\s+|around\s+)?")
CHAIN_GAP_RE = re.compile(r"\s+to\s+$")
RANGE_TAIL_RE = re.compile(r"\s+to\s+")
# A word after a bare bound that is a counted noun, so the bound counts something else ("to 12 rebounds").
NOUN_AFTER_BOUND_RE = re.compile(
    r"\s+(?!(?:for|in|on|by|at|and|or|as|from|with|a|an|the|last|this|next|over|after|before|during|since|until|"
    r"when|while|than|then|but)\b)[a-z]")
SLASH_OF_RE = re.compile(r"\s+of\s+(?:an?\s+)?(?:(?:US|U\.S\.|UK|imperial)\s+)?", re.I)
# Thousands grouped by a plain space ("816 000 t"): read as one number when a unit follows ...
SHORT_DIGITS_RE = re.compile(r"\d{1,3}")
SPACED_THOUSANDS_RE = re.compile(r"\x20(\d{3})(?![\d]|[.,]\d{3})")
# ... or, in technical text (which groups thousands so), when a counted word follows ("12 500 participants").
COUNTED_WORD_AFTER_RE = re.compile(r"\s(?!(?:and|or|nor|to|of|in|at|for|the|with|from|per|by|on|than|were|was|are|is)\b)[a-z]{3,}")
# A ratio in technical text ("a 1:50 dilution", "mixed 3:1 by mass"), told by the words around it.
RATIO_RE = re.compile(r":(?P<n>\d+(?:\.\d+)?)(?![\d:])")
RATIO_SPAN_RE = re.compile(r"\d+:\d+")
OF_RE = re.compile(r"\s+of\s+")
CURRENCY_CODE_RE = re.compile(r"[A-Z]{3}")  # ISO 4217, as the unit tables write every currency
WHOLE_COUNT_RE = re.compile(r"\d+|[A-Za-z\s-]+")
# "one in five adults", "three in 10 voters": a share of a population, read as a percentage. The
# whole (at most a thousand) is no year and no length of time ("3 in 2019", "5 in 10 days").
OUT_OF_RE = re.compile(
    rf"\s+(?P<word>out\s+of|in)\s+(?P<whole>\d{{1,4}}|{WORD_NUMBER})\b(?![.,]\d|\s*(?:%|percent|per\s*cent)"
    r"|\s+(?:years?|months?|weeks?|days?|hours?|minutes?|seconds?|decades?|centuries)\b)", re.I)
RATIO_CUE_RE = re.compile(
    r"\b(?:ratios?|dilut\w*|mix\w*|proportions?|scale|stoichiometr\w*|by\s+(?:mass|volume|weight)|dr|er|d\.r\.|e\.r\.)\b"
    r"|\b(?:v/v|w/w|w/v)\b", re.I)


def overlaps(spans: list[tuple[int, int]], s: int, e: int) -> bool:
    """True when [s, e) overlaps any span."""
    return any(a < e and s < b for a, b in spans)


def find_quantities(text: str, s0: int, s1: int, masks: list[tuple[int, int]],
                    dropped: list[Dropped] | None = None, ctx: UnitContext = NEWS) -> list[Quantity]:
    """Every quantity expression of the sentence, in order, with value and unit.

    Numbers refused as non-claims are appended to `dropped` (when given) with the reason; `ctx`
    says whether the sentence is technical text or speaks of money (see `symbols`).
    """
    out: list[Quantity] = []
    consumed = 0
    if any(RATIO_SPAN_RE.fullmatch(text, a, b) for a, b in masks) and ctx.symbols:
        # "a 1:50 dilution" reads like a clock time; the words around it say it is a ratio.
        masks = [(a, b) for a, b in masks if not (RATIO_SPAN_RE.fullmatch(text, a, b) and RATIO_CUE_RE.search(
            text, max(s0, a - 40), min(s1, b + 30)))]
    for m in NUMBER_RE.finditer(text, s0, s1):
        if m.start() < consumed or overlaps(masks, m.start(), m.end()):
            continue
        q = _build(text, m, s0, s1, out, ctx)
        if isinstance(q, str):
            if dropped is not None:
                dropped.append(Dropped(m.start(), m.end(), m.group(), q))
            continue
        if overlaps(masks, q.start, q.end):
            continue
        if q.value_max is None and out and _is_range_tail(text, out[-1], q):
            continue
        consumed = q.end
        if not q.drop:
            out.append(q)
        elif dropped is not None:
            dropped.append(Dropped(q.start, q.end, text[q.start:q.end], SCORE))
    return _transitions(text, s0, out)


def _transitions(text: str, s0: int, quants: list[Quantity]) -> list[Quantity]:
    """Read rising transitions the range rule cannot see: bounds apart, and chains of levels.

    Falling ones stay two levels, as everywhere (a range needs value <= value_max).
    """
    out: list[Quantity] = []
    for q in quants:
        prev = out[-1] if out else None
        if (prev is None or q.value_max is not None or q.kind != "dig" or (q.unit and q.unit != prev.unit)
                or (not q.unit and NOUN_AFTER_BOUND_RE.match(text, q.end))):
            out.append(q)
            continue
        gap = text[prev.end:q.start]
        if (prev.value_max is None and prev.unit and prev.value < q.value and SPLIT_TRANSITION_GAP_RE.fullmatch(gap)
                and FROM_BEFORE_RE.search(text[max(s0, prev.start - 15):prev.start])):
            prev.value_max, prev.end = q.value, q.end
            continue
        tail = list(RANGE_TAIL_RE.finditer(text, prev.start, prev.end))
        if prev.value_max is not None and tail and prev.value_max < q.value and CHAIN_GAP_RE.fullmatch(gap):
            q.start, q.value, q.value_max, q.unit = tail[-1].end(), prev.value_max, q.value, prev.unit
        out.append(q)
    return out


def _is_range_tail(text: str, prev: Quantity, q: Quantity) -> bool:
    """True when q is the already-merged upper bound of the previous range."""
    return prev.value_max is not None and q.start < prev.end


def _build(text: str, m: re.Match, s0: int, s1: int, prior: list[Quantity], ctx: UnitContext = NEWS) -> Quantity | str:
    """Assemble the quantity around one number token, or say why it is not a claim."""
    kind = m.lastgroup or "dig"
    tok = m.group()
    start, end = m.span()
    before = text[max(s0, start - 40):start]
    if kind == "ord":
        return _rank(text, m, s0, s1, prior) or NO_RANKING
    if kind == "sfrac":
        return _slash_fraction(text, m, s1, ctx) or SLASH_NOT_FRACTION
    if AGED_RE.search(before) and not (ctx.technical and AGE_UNIT_AFTER_RE.match(text, end, s1)):
        # "men aged 18 to 34": an age band describing who is counted; a study's "adults aged 40–69 years"
        # states its participants' ages, in the unit it names
        return AGE_BAND
    if kind == "frac":
        if HYPHEN_AFTER_RE.match(text[end:end + 2]) or HYPHEN_END_RE.search(before):
            return FRACTION_IDIOM
        if not SPOKEN_FRACTION_SEP_RE.search(tok):  # bare "half"
            if HALF_PERIOD_RE.search(before):
                return FRACTION_IDIOM  # "the second half", "this half": a period, not a share
            if not HALF_OF_RE.match(text[end:end + 10]):
                return FRACTION_IDIOM
        elif "-" not in tok and not FRACTION_OF_RE.match(text[end:end + 6]):
            return FRACTION_IDIOM
        return Quantity(start, end, parse_fraction(tok), unit="%", kind="frac", confidence=0.75)
    if kind == "vague":
        low, high = parse_magnitude(tok)
        q = Quantity(start, end, low, value_max=high, kind="vague", confidence=0.6, raw=low)
        of = OF_RE.match(text, end, s1)
        unit, unit_end = unit_at(text, of.end(), s1, q, ctx) if of else ("", end)
        if unit in ("%", "times"):
            unit = ""
        if unit and not CURRENCY_CODE_RE.fullmatch(unit):
            # An order of magnitude of people, things or money is a claim someone can check; of
            # years or kilometres it is a way of saying "long" or "far".
            return VAGUE_EXTENT
        if unit:
            q.unit, q.end = unit, unit_end
        return q
    share = _share_of_whole(text, m, s1) if kind in ("word", "dig") else None
    if share is not None:
        return share
    if kind == "word":
        reason = word_label_reason(text, tok, start, end, s0, before)
        if reason:
            return reason
        value = parse_word_number(tok)
    else:
        reason = digit_label_reason(text, tok, start, end, s0, before)
        if reason:
            return reason
        value = parse_digits(tok)
        if tok.startswith("+"):
            start += 1  # the sign is kept as a change, not in the quote
        group = SPACED_THOUSANDS_RE.match(text, end, s1) if SHORT_DIGITS_RE.fullmatch(tok) else None
        if group and (unit_at(text, group.end(), s1, Quantity(group.end(), group.end(), 0.0), ctx)[0]
                      or (ctx.technical and COUNTED_WORD_AFTER_RE.match(text, group.end(), s1))):
            value, end = parse_digits(tok + group.group(1)), group.end()
    q = Quantity(start, end, value, kind=kind, confidence=0.9 if kind == "dig" else 0.7, raw=value)
    if tok.startswith("+"):
        q.change = "up"
    currency_prefix(text, s0, q)
    scale_and_unit(text, s1, q, ctx)
    ratio = RATIO_RE.match(text, q.end, s1) if kind == "dig" and not q.unit else None
    if ratio and ctx.symbols:
        if float(ratio.group("n")) and RATIO_CUE_RE.search(text, max(s0, start - 40), min(s1, ratio.end() + 30)):
            q.value, q.unit, q.end = q.value / float(ratio.group("n")), "ratio", ratio.end()
    if kind == "dig" and (q.unit in ("", "s") or q.spaced):
        reason = capital_label_reason(text, start, m.end(), s0, before)
        if reason and not _range_takes_unit(text, s1, q, ctx):
            return reason
    if kind == "dig" and not q.unit:
        reason = bare_number_reason(text, q.end, before)
        if reason:
            return reason
    if kind == "dig" and LETTER_RE.match(text[q.end:q.end + 1]) and not GLUED_SENTENCE_RE.match(text, q.end):
        return GLUED_WORD
    if tok.startswith("+") and q.unit not in ("%", "pp", "bp", "point"):
        q.change = None
    if q.unit == "a" and AGE_OF_RE.search(before):
        q.unit = "year of age"  # "under the age of 5 years"
    if q.unit in ("a", "month", "week", "d") and TIME_ANCHOR_RE.match(text, q.end, s1):
        return TIME_ANCHOR  # "one year after the inspection", "two weeks ago": a time anchor
    _range(text, s1, q, ctx)
    if q.value_max is not None and q.kind == "dig" and not q.unit and is_score(text, q, s0):
        q.drop = True
    return q


def _range_takes_unit(text: str, s1: int, q: Quantity, ctx: UnitContext) -> bool:
    """True when q opens a range whose upper bound carries a unit ("Grains 10–50 μm"): a measurement, no name."""
    if q.unit:
        return False
    probe = dataclasses.replace(q)
    _range(text, s1, probe, ctx)
    return probe.value_max is not None and bool(probe.unit)


def _share_of_whole(text: str, m: re.Match, s1: int) -> Quantity | None:
    """ "one in five adults", "three in 10 voters": the part of a whole, as a percentage."""
    out_of = OUT_OF_RE.match(text, m.end(), s1)
    if not out_of:
        return None
    tok, whole_tok = m.group(), out_of.group("whole")
    if not WHOLE_COUNT_RE.fullmatch(tok):
        return None  # "2.5 in 10": no part of a count
    part = parse_digits(tok) if tok[0].isdigit() else parse_word_number(tok)
    whole = parse_digits(whole_tok) if whole_tok[0].isdigit() else parse_word_number(whole_tok)
    # A share is spoken as one of a round whole ("one in five", "one out of three", "1 in 50") or as
    # so many in ten, a hundred or a thousand ("three in 10 adults"). "won 5 out of 10 awards" and
    # "16 out of 156 projects" state counts.
    if part == 1:
        spoken_share = whole <= 10 or (whole <= 1000 and whole % 10 == 0)
    else:
        spoken_share = out_of.group("word").lower() == "in" and whole in (10, 100, 1000)
    if not (0 < part < whole and spoken_share):
        return None
    return Quantity(m.start(), out_of.end(), round(100.0 * part / whole, 6), unit="%", kind="frac", confidence=0.75)


def _slash_fraction(text: str, m: re.Match, s1: int, ctx: UnitContext = NEWS) -> Quantity | None:
    """A written fraction: of a unit ("1/2 pound", "1/16 of a pint") or a share ("1/3 of voters")."""
    value = parse_slash_fraction(m.group())
    start, end = m.span()
    of = SLASH_OF_RE.match(text, end, s1)
    q = Quantity(start, end, value, kind="dig", confidence=0.7, raw=value)
    scale_and_unit(text, s1, q, ctx)
    if q.unit:
        return q
    if of:
        probe = Quantity(of.end(), of.end(), value, kind="dig")
        unit, upos = unit_at(text, of.end(), s1, probe, ctx)
        if unit and unit != "%":
            q.unit, q.end = unit, upos
            return q
        return Quantity(start, end, round(100.0 * value, 6), unit="%", kind="frac", confidence=0.7)
    return None


def _rank(text: str, m: re.Match, s0: int, s1: int, prior: list[Quantity]) -> Quantity | None:
    """An ordinal is a claim only in a ranking context ("ranking 2nd", "fourth-largest")."""
    start, end = m.span()
    before = text[max(s0, start - 30):start]
    after = text[end:end + 20]
    ok = bool(RANK_LEFT_RE.search(before) or RANK_RIGHT_RE.match(after))
    if not ok and prior and prior[-1].unit == "rank" and COORD_GAP_RE.match(text[prior[-1].end:start]):
        ok = True
    if not ok:
        return None
    return Quantity(start, end, parse_ordinal(m.group()), unit="rank", kind="ord", confidence=0.85)


def _range(text: str, s1: int, q: Quantity, ctx: UnitContext = NEWS) -> None:
    """Merge "X to Y", "X-Y", "between X and Y", "two or three" into one quantity with value_max."""
    gap = RANGE_GAP_RE.match(text, q.end, s1)
    if not gap:
        return
    # "-to-" ("0-to-60-mph") reads as "to"; a bare hyphen stays one.
    word = WHITESPACE_RE.sub(" ", gap.group().strip("- \t\n").lower()) or gap.group().strip()
    if word == "up to":
        if not FROM_BEFORE_RE.search(text[max(0, q.start - 15):q.start]):
            return
        word = "to"
    if word == "and" and not BETWEEN_BEFORE_RE.search(text[max(0, q.start - 24):q.start]):
        return
    if word == "through" or (word == "/" and not q.currency):
        return  # "$7/$9" is a range of two amounts; other slashes are ratios or dates
    left = text[max(0, q.start - 40):q.start]
    by_change = word == "to" and (CHANGE_LEFT_RE.search(left) or BY_BEFORE_RE.search(left[-6:]))
    if (word == "to" and q.unit and ctx.technical and CHANGE_FROM_RE.search(left)
            and CHANGE_LEFT_RE.search(CHANGE_FROM_RE.sub("", left))):
        # "rose from 8.4 °C to 9.6 °C": in technical text a level before and one after, each with its unit,
        # are two quantities; "grew from 5 to 40 µm" names one range of sizes
        return
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
    if word == "to" and RANGE_OPENS_RE.match(text, nxt.end(), s1):
        return  # "from 24 to 33-35 billion": the upper bound opens a range of its own
    if word in ("-", "–", "—") and (text[q.end - 1:q.end].isspace() != text[gap.end():gap.end() + 1].isspace()):
        return
    tail_raw = parse_digits(nxt.group()) if nxt.lastgroup == "dig" else parse_word_number(nxt.group())
    tail = Quantity(nxt.start(), nxt.end(), tail_raw, kind=nxt.lastgroup, raw=tail_raw)
    if pre:
        if not q.currency or pre_code != q.unit.split("/")[0]:
            return
        tail.currency, tail.unit = q.currency, pre_code
    scale_and_unit(text, s1, tail, ctx)
    if word == "or":
        if q.unit:
            return
        if not (float(q.value).is_integer() and float(tail_raw).is_integer() and q.value < tail_raw <= 2 * q.value + 1):
            return
        if ctx.technical and tail.unit and tail_raw - q.value > 1:
            return  # "at 400 or 800 ppm": two settings to choose from; "2 or 3 days" stays a vague range
    if by_change and not tail.unit:
        return
    scaled_tail = tail.raw is not None and tail.value != tail.raw and not tail.unit.startswith(("%", "pp"))
    if q.kind != tail.kind and not (q.unit or tail.unit or scaled_tail):
        return  # "one to 2" without a unit is too loose to call a range
    if not tail.unit and not q.unit and word == "to" and not scaled_tail and not FROM_OR_BETWEEN_BEFORE_RE.search(text[max(0, q.start - 15):q.start]):
        return
    if q.unit and tail.unit.startswith(q.unit + "/"):
        q.unit = tail.unit  # "between $62 and $68 per share"
    if q.unit and q.unit != tail.unit:
        return
    # "30 to 25 million": the upper bound's scale does not lift a first bound written above it.
    falling = tail.value < q.value or (q.value == q.raw and tail.raw and tail.value != tail.raw
                                       and tail.raw < q.raw <= 5 * tail.raw)
    if falling and (word not in ("-", "–", "—") or q.unit or tail.unit):
        return  # a falling transition ("from 30 to 25 cents") is two levels: a range needs value <= value_max
    first = q.value
    if word == "and" and tail.unit and tail.value < first and ctx.technical:
        return  # "between 300 K and 77 K": two levels, not a range running backwards
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
