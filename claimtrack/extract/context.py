"""Context of a quantity: qualifier, change, kind, period, units shared across quantities, and what
carries from sentence to sentence."""
from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field

from . import entities, lexicon
from .measures import (
    BRACKET_RE, PER_HEAD_RE, VERBS, bracketed_basis, clause_words, measure_key, phrase_before, possessor, split_coordination, tokens,
)
from .model import Quantity
from .periods import Period
from .units import PER_RE, PER_UNITS, described_unit, word_unit_code

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
# The words of a rise and of a fall ("rose", "edged down"): a change right before a figure here, and the
# sign that a level moved in `link_movements`.
UP_WORDS = r"increase[sd]?|increasing|rose|rise[sn]?|rising|grew|grow(?:s|n|ing)?|growths?|up|gain(?:s|ed|ing)?|jump(?:s|ed|ing)?|surge[sd]?|surging|climb(?:s|ed|ing)?|soar(?:s|ed|ing)?|advance[sd]?|advancing|added|adding|boost(?:s|ed|ing)?|expand(?:s|ed|ing)|raised?|raising|widened|hike[sd]?|hiking|rall(?:y|ied|ies|ying)|edged\s+up|ticked\s+up|higher|outpacing|outpaced"
DOWN_WORDS = r"decrease[sd]?|decreasing|fell|fall(?:s|en|ing)?|drop(?:s|ped)?|dropping|decline[sd]?|declining|down|lost|loses|losing|slid|sliding|slip(?:s|ped|ping)?|plunge[sd]?|plunging|plummet(?:s|ed|ing)?|tumble[sd]?|tumbling|shed|shedding|sank|sinking|slump(?:s|ed|ing)?|dip(?:s|ped|ping)?|eased|easing|edged\s+down|shr[aiu]nk|shrinking|contract(?:s|ed|ing)|cut(?:ting)?|reduced?|reducing|lower|narrowed|minus"
CHANGE_LEFT_RE = re.compile(
    rf"\b(?:(?P<up>{UP_WORDS})|(?P<down>{DOWN_WORDS}))"
    rf"(?:(?:\s+{_FILL})*|(?:\s+(?!by\b)[a-z]+){{1,3}}\s+by)\s*$",
    re.I,
)
CHANGE_AFTER_RE = re.compile(
    r"\s*(?:year[- ]on[- ]year\s+|yoy\s+|y-o-y\s+)?(?:(?P<up>increase|rise|growth|gain|jump|surge|hike|higher)|(?P<down>decrease|decline|drop|fall|loss|reduction|contraction|lower))\b",
    re.I,
)
KIND_PROJECTION_RE = re.compile(
    r"\b(?:it\s+is\s+(?:estimated|expected|projected|forecast|predicted)|(?:is|are)\s+(?:expected|projected|forecast|estimated|predicted|likely)\s+to|will\s+likely|forecasts?|projections?|projected|predicts?|anticipated)\b",
    re.I,
)
KIND_TARGET_RE = re.compile(
    r"\b(?:aim(?:s|ed|ing)?\s+to|target(?:s|ed)?|goal|strive[sd]?\s+to|striving\s+to|(?-i:plan(?:s|ned)?)\s+to|seek(?:s)?\s+to|endeavou?r(?:ing)?\s+to|pledge[sd]?|commit(?:ted|s)?\s+to|should|must|need(?:s)?\s+to|shall|we\s+will|compress)\b",
    re.I,
)
WILL_RE = re.compile(r"\bwill\b", re.I)
# Where one clause of a sentence gives way to another, for what a figure's modality covers.
CLAUSE_BREAK_RE = re.compile(r";|,\s*(?:and|but|while|whereas|although|though|yet)\b|\s(?:while|whereas)\b", re.I)
# Auxiliaries that make a clause's verb finite though they are their own lemma.
MODALS = {"will", "would", "can", "could", "may", "might", "shall", "should", "must", "do", "does", "did"}
VARIANT_PUNCT_RE = re.compile(r"[^\w$%€£¥]+")
# Words that say in which prices a figure is counted, in a unit description.
PRICE_BASIS_WORDS = {"current", "constant", "nominal", "real", "chained"}
RESPECTIVELY_RE = re.compile(r"\brespectively\b", re.I)
CONVERSION_GAP_RE = re.compile(r"\s*(?:\(\s*|/\s*|,\s*or\s+)")
COORD_GAP_RE = re.compile(r"\s*(?:,\s*(?:and\s+)?|and\s+|&\s+)\s*$")
AVERAGE_RE = re.compile(r"\baverage\s+annual\b|\bannual\s+average\b|\bCAGR\b|\bon\s+average\b", re.I)
BOUND_GAP_RE = re.compile(r"[\s,]*(?:(?:year[- ]on[- ]year|yoy|y-o-y|respectively|as\s+of|in|for|during|at|by|on|of|over|since|through)\s+)*(?:the\s+)?", re.I)

# What may follow a number that stands alone, its unit left implicit ("the lowest is 74.07.").
# A measure that has no unit named right before a bare number ("a b-value of 0.9", "a Hill coefficient of
# 1.2", "the ratio was 0.4"): the number takes no unit from an earlier amount.
UNITLESS_MEASURE_BEFORE_RE = re.compile(
    r"\b(?:[a-z]+-values?|ratios?|index|indices|coefficients?|factors?|exponents?|albedo|slopes?|"
    r"(?:Reynolds|Mach|Prandtl|Nusselt|Rossby|Froude)\s+numbers?)\s*(?:of\s+|was\s+|were\s+|is\s+|=\s?|≈\s?|~\s?)$", re.I)
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
# The first bound of a falling transition written with one unit at the end ("from 30 to 25 cents").
TRANSITION_GAP_RE = re.compile(r"\s+to\s+")
FROM_BEFORE_RE = re.compile(r"\bfrom\s+$", re.I)
BY_BEFORE_RE = re.compile(r"\b(?:increase[sd]?|decrease[sd]?|rose|fell|dropped|declined|grew|gained|lost|climbed|slipped)\s+by\s+$", re.I)
OPEN_BRACKET_GAP_RE = re.compile(r"\s*\(\s*")
CLOSE_BRACKET_RE = re.compile(r"\s*\)")
UP_DOWN_AFTER_RE = re.compile(r"\s+(?:up|down)\b")
# "lost 190 points, or 0.6%": the rate restates the change.
OR_GAP_RE = re.compile(r"\s*,?\s*or\s+")
AND_OR_GAP_RE = re.compile(r"\s*(?:,\s*)?(?:and|or)\s+")
FIRST_PERSON_RE = re.compile(r"\b(?:we|our)\b", re.I)
# A movement written from one level to another: "fell from $2,415 to $2,315", "from 20 mpg in 2008 to
# 29 mpg in 2020". The words before the earlier level, and what may stand between it and the later one
# (a time or a place, never a second clause).
MOVEMENT_FROM_RE = re.compile(
    r"\bfrom\s+(?:(?:about|around|roughly|nearly|almost|some|an\s+estimated|just\s+(?:over|under))\s+)?$", re.I)
WORD_AFTER_RE = re.compile(r"\s+([A-Za-z]+)")
# A word of change in the clause before a movement's "from" ("fell", "went", "creeping upward"): without
# one, "from 6 depots to 14 terminals" or "from 2 airports to 40 airports" tells where, not how a level moved.
MOVEMENT_VERB_RE = re.compile(
    rf"\b(?:{UP_WORDS}|{DOWN_WORDS}|ris(?:e|es|en|ing)|f[ae]ll(?:s|en|ing)?|sl(?:id|ide|ides|iding)"
    r"|slow(?:s|ed|ing)?|narrow(?:s|ed|ing)?|widen(?:s|ed|ing)?|eas(?:e|ed|es|ing)|shr(?:ink|inks|ank|unk|inking)"
    r"|went|go(?:es|ing)?|gone|mov(?:e|ed|es|ing)|cut(?:s|ting)?|rais(?:e|ed|es|ing)|lower(?:s|ed|ing)?"
    r"|improv(?:e|ed|es|ing)|s[au]nk|sink(?:s|ing)?|creep(?:s|ing)?|crept|edg(?:e|ed|es|ing)|upwards?|downwards?"
    r"|chang(?:e|ed|es|ing)|shift(?:s|ed|ing)?|sw(?:ung|ing|ings|inging)|reduc(?:e|ed|es|ing)"
    r"|expand(?:s|ed|ing)?|contract(?:s|ed|ing)?)\b", re.I)
MOVEMENT_CLAUSE_CHARS = 80
MOVEMENT_GAP_RE = re.compile(
    r"(?:(?!\b(?:and|but|while|whereas|or|from)\b)[^;:!?()\[\]]){0,40}?\bto\s+"
    r"(?:(?:about|around|roughly|nearly|almost|some|an\s+estimated|just\s+(?:over|under))\s+)?", re.I)
RESPECTIVELY_AFTER_RE = re.compile(r"[\s,]*(?:(?:year[- ]on[- ]year|yoy|nationwide|nationally|in\s+\w+)[\s,]*)?respectively", re.I)


@dataclass
class DocState:
    """What carries across sentences: publication date, subject tally, paragraph period, table header."""

    published: dt.date | None
    subjects: Counter = field(default_factory=Counter)
    carry: tuple[dt.date | None, dt.date | None] | None = None
    prescanned_to: int = 0  # sentences before this offset were tallied up front
    table_header: str = ""  # measure words of the table whose rows may follow, one per line
    technical: bool | None = None  # the opening reads as technical text; None until asked (engine._technical_document)
    sentences: tuple | None = None  # all the sentences of a document no longer than the prescan, split once (engine)

    def default_subject(self) -> str:
        """Most frequent proper-noun subject so far."""
        return self.subjects.most_common(1)[0][0] if self.subjects else ""


def describe_unit(text: str, s0: int, q: Quantity, quants: list[Quantity]) -> None:
    """Read the unit and the variant of q's measure from the bracketed unit description before it:
    "GNI, PPP (current international $) in Chile was 21,310" is in dollars, of the variant "current
    international $" (shown to reviewers in the measure text): one measure, counted two ways, is not
    one figure to compare."""
    brackets = list(BRACKET_RE.finditer(text, s0, q.start))
    if not brackets:
        return
    last = brackets[-1]
    if any(last.start() <= o.start < q.start for o in quants if o is not q):
        return  # a bracket holding a figure, or a figure between it and q: not q's unit
    description = " ".join(last.group(1).split())
    if not describes_unit(description):
        return  # "(Central Intelligence Agency)", "(2001 estimate)": a source or a date, not how q is counted
    q.unit = q.unit or described_unit(description) or _unit_per_head(description)
    q.measure_text = f"{q.measure_text} ({description})".strip()
    q.measure_variant = " ".join(VARIANT_PUNCT_RE.sub(" ", description.casefold()).split())[:200]
    q.measure = bracketed_basis(q.measure, description)


def _unit_per_head(description: str) -> str:
    """The unit of a figure described per head of population ("metric tons per capita" -> "t"), or ""."""
    m = PER_HEAD_RE.search(description)
    return word_unit_code(description[:m.start()]) if m else ""


def describes_unit(description: str) -> bool:
    """True when a bracket says how a figure is counted: a unit, a currency, a rate ("births per
    woman") or a price basis ("constant 2005 international $")."""
    words = description.casefold().split()
    return (bool(described_unit(description)) or "per" in words or bool(PRICE_BASIS_WORDS.intersection(words))
            or any(word_unit_code(w) for w in words))


def update_carry(state: DocState, periods: list[Period]) -> None:
    """Remember the sentence's last resolved period for the following sentences of the paragraph."""
    for p in periods:
        if p.role in ("point", "list", "by_end") and p.begin:
            state.carry = (p.begin, p.finish)


def _shareable(u: Quantity) -> bool:
    """True when u's unit can be understood for a neighbouring bare number."""
    return u.unit.split("/")[0] not in UNSHARED_UNITS and " of " not in u.unit


def _comparable(value: float, u: Quantity) -> bool:
    """True when value is within a factor of five of u's value (or its upper bound)."""
    for ref in (u.value, u.value_max):
        if ref and value and 0.2 <= abs(value) / abs(ref) <= 5:
            return True
    return False


def _list_member(value: float, u: Quantity) -> bool:
    """True when value can take u's unit as a member of the same list: of a like size, or, for a physical
    unit, within three orders of magnitude (a dose series "0.1, 1 and 10 μM"); amounts of money stay alike."""
    if _comparable(value, u):
        return True
    return bool(u.unit) and not u.currency and u.unit not in ("%", "times", "rank") and any(
        ref and value and 1e-3 <= abs(value) / abs(ref) <= 1e3 for ref in (u.value, u.value_max))


def share_units(text: str, s0: int, s1: int, quants: list[Quantity]) -> None:
    """Give bare numbers the unit the sentence leaves implicit, and spread a per-phrase over a bracket.

    - "C $6 (US $4.46) per share": the per-phrase closes the outer amount's phrase.
    - "about 8 or $9", "from 30 to 25 cents", "280 million of the 1.5 billion shekels": the unit of the next amount.
    - "rose 64.06 points to 4,577.10": an index level is in points.
    - "84.75 cents, while the lowest is 74.07": the unit of the nearest earlier amount of the same size.
    """
    for a, b in zip(quants, quants[1:]):
        if a.unit and "/" not in a.unit and OPEN_BRACKET_GAP_RE.fullmatch(text[a.end:b.start]):
            close = CLOSE_BRACKET_RE.match(text, b.end, s1)
            per = PER_RE.match(text, close.end(), s1) if close else None
            if per:
                denom = (per.group("d") or "year").lower()
                code = PER_UNITS.get(denom, PER_UNITS.get(denom.rstrip("s"), ""))
                if code:
                    a.unit = f"{a.unit}/{code}"
    # Back to front, so a list takes the unit written after its last member ("at 10, 20 and 40 K").
    for q, nxt in reversed(list(zip(quants, quants[1:]))):
        if q.unit or q.kind != "dig" or q.drop or not _shareable(nxt) or q.value_max is not None:
            continue
        gap = text[q.end:nxt.start]
        if (BACK_COORD_RE.fullmatch(gap) and _list_member(q.value, nxt)) or (OF_THE_RE.fullmatch(gap) and q.value <= nxt.value):
            q.unit, q.currency = nxt.unit, nxt.currency
    index_cue = None
    for i, q in enumerate(quants):
        if q.unit or q.kind != "dig" or q.drop:
            continue
        nxt = quants[i + 1] if i + 1 < len(quants) else None
        if nxt and q.value_max is None:
            gap = text[q.end:nxt.start]
            # "from 4.8 to 4.7 percent" names its unit once for both bounds, even a percentage
            # (lists and "of the" were shared back to front above).
            transition = (TRANSITION_GAP_RE.fullmatch(gap) and FROM_BEFORE_RE.search(text, s0, q.start)
                          and nxt.unit not in ("", "rank", "times") and " of " not in nxt.unit)
            scale = nxt.value / nxt.raw if transition and nxt.raw and not nxt.unit.startswith("%") else 1.0
            if transition and scale > 1 and not _comparable(q.value, nxt) and _comparable(q.value * scale, nxt):
                q.value *= scale  # "from 30 to 25 million dollars", "from 24 to 30-32 billion": the scale too
            if transition and _comparable(q.value, nxt):
                q.unit, q.currency = nxt.unit, nxt.currency
                continue
        if not BARE_AFTER_RE.match(text, q.end, s1) and not UP_DOWN_AFTER_RE.match(text[q.end:q.end + 6]):
            continue
        if q.value >= 100 and INDEX_LEVEL_BEFORE_RE.search(text, max(s0, q.start - 12), q.start):
            if index_cue is None:
                index_cue = bool(INDEX_CUE_RE.search(text, s0, s1))
            if index_cue and (any(o.unit == "point" for o in quants) or not float(q.value).is_integer()):
                q.unit = "point"
                continue
        if not BARE_AFTER_RE.match(text, q.end, s1) or UNITLESS_MEASURE_BEFORE_RE.search(text, max(s0, q.start - 40), q.start):
            continue
        for o in reversed(quants[:i]):
            if q.start - o.end > 90:
                break
            # "rose by 2 percent but fell by 1": two changes set side by side share even a percentage.
            parallel = o.unit in ("%", "pp") and BY_BEFORE_RE.search(text, s0, q.start) and BY_BEFORE_RE.search(text, s0, o.start)
            if (_shareable(o) or parallel) and _comparable(q.value, o) and ";" not in text[o.end:q.start]:
                q.unit, q.currency = o.unit, o.currency
                break


def qualify(text: str, s0: int, s1: int, q: Quantity) -> None:
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
    c = CHANGE_LEFT_RE.search(before_q)
    if not c and before_q != before:
        # The whole left context, qualifier included, is searched too; when nothing was cut off it is
        # the text just searched.
        c = CHANGE_LEFT_RE.search(before)
    if c and q.unit != "rank":
        q.change = "up" if c.group("up") else "down"
    else:
        c = CHANGE_AFTER_RE.match(text, q.end, s1)
        if c and q.unit != "rank":
            q.change = "up" if c.group("up") else "down"
    if q.value < 0 and q.unit in ("%", "pp"):
        q.change = "down"


def coordinate(text: str, quants: list[Quantity]) -> None:
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
        if OR_GAP_RE.fullmatch(gap) and prev.change and q.change is None and q.unit in ("%", "pp"):
            q.change = prev.change  # "lost 190 points, or 0.6%"
            continue
        if q.unit.split("/")[0] != prev.unit.split("/")[0] and not (q.currency and prev.currency):
            continue
        if not COORD_GAP_RE.fullmatch(text[prev.end:q.start]) and not AND_OR_GAP_RE.fullmatch(text[prev.end:q.start]):
            continue
        if q.qualifier == "=" and prev.qualifier != "=":
            q.qualifier = prev.qualifier
        if q.change is None and prev.change is not None:
            q.change = prev.change


def link_movements(text: str, quants: list[Quantity]) -> None:
    """Mark a level reached from an earlier one written before it ("dropped from 208 pounds to 193"): the
    later quantity's `moved_from` is the earlier one's start. Both stay claims of their own (each is a
    level at its own time); a range ("from 5 to 7 per cent") is a span of values, never a movement's end."""
    for prev, q in zip(quants, quants[1:]):
        if prev.value_max is not None or q.value_max is not None or prev.unit == "rank":
            continue
        if prev.unit != q.unit and not (prev.currency and q.currency and prev.unit.split("/")[0] == q.unit.split("/")[0]):
            continue  # "from 50 km/h to 60 km" is no movement; "from $75 per barrel to $45.88" is
        if not prev.unit and _counted_noun(text, prev.end) not in ("to", _counted_noun(text, q.end)) and not (
                BARE_AFTER_RE.match(text, q.end)):
            continue  # "from 12 cities to 40 destinations": two counts of different things
        if not MOVEMENT_FROM_RE.search(text, max(0, prev.start - 40), prev.start):
            continue
        clause = CLAUSE_BREAK_RE.split(text[max(0, prev.start - MOVEMENT_CLAUSE_CHARS):prev.start])[-1]
        if not MOVEMENT_VERB_RE.search(clause):
            continue
        if MOVEMENT_GAP_RE.fullmatch(text, prev.end, q.start):
            q.moved_from = prev.start


def _counted_noun(text: str, end: int) -> str:
    """The word right after a bare number, singular ("lots" -> "lot"), or "" when none follows."""
    word = WORD_AFTER_RE.match(text, end)
    return lexicon.lemma(word.group(1).lower()) if word else ""


def _modality(clause: str, periods: list[Period], published: dt.date | None) -> str | None:
    """target or projection when the clause says so, else None."""
    if KIND_PROJECTION_RE.search(clause):
        return "projection"
    if KIND_TARGET_RE.search(clause):
        return "target"
    future = published is not None and any(p.role == "by" and p.begin and p.begin.year > published.year for p in periods)
    if WILL_RE.search(clause) or future:
        return "target" if FIRST_PERSON_RE.search(clause) or future else "projection"
    return None


def _has_finite_verb(clause: str) -> bool:
    """True when a clause has a verb of its own ("and is predicted to reach"), not one continuing an
    earlier verb ("is expected to grow 5%, and reach 6%") or none ("and 6% in 2026")."""
    for word in tokens(clause):
        low = word.lower()
        # Every word of VERBS is in simplemma's dictionary, so the cached table gives simplemma's own
        # lemma without loading its dictionary (a third of a second) on the first clause.
        if low in MODALS or (low in VERBS and lexicon.lemma(low) != low):
            return True
    return False


def claim_kinds(text: str, s0: int, s1: int, quants: list[Quantity], periods: list[Period],
                published: dt.date | None) -> list[str]:
    """fact, target or projection for each quantity: the modality of its clause, so "is 3.9 million,
    and is predicted to reach 4.6 million" states one fact and one projection. A clause without a
    finite verb of its own continues the one before it."""
    bounds = [s0, *(m.start() for m in CLAUSE_BREAK_RE.finditer(text, s0, s1)), s1]
    clauses: list[tuple[int, str]] = []
    for a, b in zip(bounds, bounds[1:]):
        clause = text[a:b]
        kind = _modality(clause, [p for p in periods if a <= p.start < b], published)
        if kind is None:
            kind = clauses[-1][1] if clauses and not _has_finite_verb(clause) else "fact"
        clauses.append((b, kind))
    return [next((kind for end, kind in clauses if q.start < end), clauses[-1][1]) for q in quants]


def assign_period(text: str, s0: int, q: Quantity, periods: list[Period], state: DocState, quants: list[Quantity]) -> None:
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


def _bound_to_other(text: str, p: Period, quants: list[Quantity], q: Quantity) -> bool:
    """True when period p directly follows another quantity ("RMB 6.47 billion in 1978")."""
    return any(o is not q and o.end <= p.start and BOUND_GAP_RE.fullmatch(text[o.end:p.start]) for o in quants)


def respectively(text: str, s0: int, quants: list[Quantity], periods: list[Period]) -> None:
    """Distribute measures (and listed years) over the list that "respectively" refers to."""
    groups: list[list[Quantity]] = []
    for q in quants:
        if groups and COORD_GAP_RE.fullmatch(text[groups[-1][-1].end:q.start]) is not None:
            groups[-1].append(q)
        else:
            groups.append([q])
    for group in groups:
        if len(group) < 2:
            continue
        tail = text[group[-1].end:group[-1].end + 60]
        if not RESPECTIVELY_AFTER_RE.match(tail):
            continue
        k = len(group)
        first = group[0]
        words = clause_words(text, s0, first, quants, periods)
        before, _ = phrase_before(words, through_commas=True)
        owner, rest = possessor(before)
        items = split_coordination(rest) if rest else []
        earlier = [o for o in quants if o.end <= first.start]
        if len(items) == k:
            for q, item in zip(group, items):
                q.measure_text = item
                key = measure_key(item, text[first.start:first.end])
                if q.unit == "rank":
                    key = f"{key} rank"
                q.measure = key
                if owner and not owner.lower().startswith(("its", "their")):
                    entity = entities.resolve_subject(owner)
                    q.subject, q.subject_key = entity.name, entity.key
        elif len(earlier) >= k:
            for q, src in zip(group, earlier[-k:]):
                q.measure_text = src.measure_text
                q.subject, q.subject_key = src.subject, src.subject_key
                suffix = " growth" if (q.change or q.unit == "%") and src.unit != q.unit else ""
                q.measure = (src.measure + suffix).strip()
        lists = [p for p in periods if p.role == "list" and len(p.years) == k]
        if lists:
            for q, y in zip(group, lists[0].years):
                q.period = (dt.date(y, 1, 1), dt.date(y, 12, 31))
