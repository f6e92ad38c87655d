"""Comparing claims: the key of a fact, the values a claim allows, and when periods are the same.

Pure functions over values: no session, no rows. `detect` feeds them claims read from the
database; tests feed them values directly.
"""
import math
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from itertools import combinations
from typing import Iterable, NamedTuple

from rapidfuzz import fuzz

from ..extract.measures import singular
from ..extract.units import CURRENCY_WORDS, PREFIX_CODES, base_units, word_unit_code

# Statuses of a group that needs (or had) a reviewer's decision; `consistent` groups agree.
CONFLICT_STATUSES = ("open", "unresolved", "resolved")
# Two stated periods are the same when they overlap for this share of the longer one: a year
# and its first quarter are different periods (a series), "2013 to 2022" and "2013 to
# November 2023" are the same cumulative figure.
SAME_PERIOD_OVERLAP = 0.9
# "About" widens a value stated to one or two significant digits by this share of it ("about
# 100", "around 23 million"), half as much for each further digit ("approximately 445,000": 5%),
# never less than an estimate's share, nor less than its stated precision.
APPROXIMATE_SHARE = 0.1
APPROXIMATE_DIGITS = 2
# Plain counts below this, written without decimals, are exact ("66 sister cities"); from a
# thousand up, trailing zeros are taken as rounding ("1,600 kilometers").
EXACT_COUNT_BELOW = 1000
# Figures other than exact counts are estimates, roundings or measurements: two from different
# sources agree within this share of each (45.7 and 45.4 million people; 25,720 and 25,770).
ESTIMATE_SHARE = 0.01
RELATIVE_EPSILON = 1e-9
# Units of rates, shares and ranks: their values may jump from one period to the next.
NOT_LEVELS = frozenset(("%", "pp", "bp", "rank", "point", "times"))
# A period of at most this many days inside a longer one is a date within it ("July 2003" in
# 2003): levels of the two within POINT_RATIO of each other are one figure and must agree; a
# level of a month against its year further apart is a part of a flow, not a conflict.
POINT_DAYS = 31
POINT_RATIO = 1.5
# Levels of periods at most this far apart (a year and the next, or the one after) that differ
# by more than this factor cannot both be right: a population six times another's a year
# later is an error, not growth. Periods further apart, and smaller ratios, make a series.
ADJACENT_PERIOD_DAYS = 2 * 366
WILD_RATIO = 3.0
# Measures of one subject, unit dimension, kind and change score 1 when their words are the
# same. From SAME_FACT_SCORE up (they differ by little words: "rate of unemployment") they are
# taken as one fact; from POSSIBLY_SAME_SCORE up (a word more: "total population" and
# "population", but also "urban population") a lead is asked whether they are.
SAME_FACT_SCORE = 0.92
POSSIBLY_SAME_SCORE = 0.5
# Words of at least this many letters that are this alike (rapidfuzz ratio, 0-100) are one word
# spelled two ways ("organisation", "organization"); shorter ones differ ("county", "country").
SAME_WORD_RATIO = 90
SAME_WORD_LETTERS = 7
# A word's weight is its rarity in English: this minus its Zipf frequency (7.7 for "the", 3.8
# for "fertility"), between the two bounds; numbers weigh the most ("route 1" is not "route 2").
ZIPF_CEILING = 7.5
LIGHTEST_WORD = 0.25
HEAVIEST_WORD = 8.0

# A measure's variant (from a unit description: "constant 2005 international $", "end of year change
# %") names another fact than the same measure's other variants, except in the words that only
# restate the unit or the default basis: figures are in current prices unless said otherwise.
VARIANT_LITTLE_WORDS = frozenset(("of", "the", "a", "an", "in", "at", "and", "for", "per", "to", "us", "u", "s",
                                  "international"))
DEFAULT_BASIS = frozenset(("current", "nominal"))
CONSTANT_BASIS = frozenset(("constant", "real", "chained"))
_CURRENCY_MARKS = re.compile(r"[$€£¥%]")

# Measures that are a rate of growth: a rise of the measure by a percentage is its value.
GROWTH_HEADS = frozenset(("growth",))
# The extractor's unit of an age given as "the age of N years".
AGE_IN_YEARS = "year of age"

_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")
_WORD = re.compile(r"[\w’'-]+")
_CURRENCIES = frozenset(PREFIX_CODES) | frozenset(v for v in CURRENCY_WORDS.values() if "-" not in v)


@dataclass(frozen=True)
class Dimension:
    """What a unit measures, and the factor from the unit to that dimension's base unit."""

    name: str
    factor: float


@lru_cache(maxsize=4096)
def dimension_of(unit: str) -> Dimension:
    """The dimension of a canonical unit code: lengths share one, each currency is its own."""
    if unit == "":
        return Dimension("count", 1.0)
    if unit == AGE_IN_YEARS:
        unit = "a"  # "a median age of 19 years" is the age "the median age is 19 years" states
    if unit in ("%", "pp", "bp", "rank", "point", "times"):
        return Dimension(unit, 1.0)
    if unit in _CURRENCIES:
        return Dimension(unit, 1.0)
    if unit.endswith(("-cent", "-sen")):
        return Dimension(unit.split("-")[0], 0.01)
    base = base_units(unit)
    if base is None or base.offset:
        # Unknown to pint, or degrees Celsius and Fahrenheit, whose offset no factor converts.
        return Dimension(f"unit:{unit}", 1.0)
    return Dimension(base.units, base.factor)


@lru_cache(maxsize=65536)
def fold_case_and_plurals(text: str) -> str:
    """A subject or measure reduced for comparison: case, punctuation, spacing and plurals."""
    return " ".join(singular(word) for word in _WORD.findall(text.casefold()))


@lru_cache(maxsize=65536)
def variant_key(variant: str) -> str:
    """What a measure's variant says beyond its unit and the default basis, as sorted words:
    "constant 2005 international $" -> "2005 constant", "current us$" and "us dollar" -> ""."""
    words = set()
    written = variant.casefold().split()
    if "per" in written:
        # A rate's unit says how it is counted, not which figure it is ("births per woman").
        written = written[:max(0, written.index("per") - 1)]
    for word in written:
        word = singular(word)
        if (word in VARIANT_LITTLE_WORDS or word in DEFAULT_BASIS or _CURRENCY_MARKS.search(word)
                or word_unit_code(word)):
            continue
        words.add(word)
    return " ".join(sorted(words))


def same_variant(a: str, b: str) -> bool:
    """True when two variant keys may state one figure: the same words, or one says nothing beyond its
    unit, unless the other is in constant prices ("constant 2005" is not the current figure)."""
    if a == b:
        return True
    if bool(CONSTANT_BASIS.intersection(a.split())) != bool(CONSTANT_BASIS.intersection(b.split())):
        return False
    return not a or not b


@dataclass(frozen=True)
class GroupKey:
    """Where a claim is compared: its block (subject, unit dimension, kind, change) and its measure."""

    block: str
    measure: str
    dimension: str
    # A level (a count, an amount, a size), not a change, a rate, a share or a rank.
    level: bool
    # The block and measure in one string (subject|measure|dimension...), as groups are keyed.
    key: str

    @property
    def subject(self) -> str:
        """The block's subject: the canonical entity key, or the folded name."""
        return self.block.partition("|")[0]

    def key_for(self, measure: str) -> str:
        """The group key of this block for another measure."""
        return _joined_key(self.block, measure)


def _joined_key(block: str, measure: str) -> str:
    subject, _, rest = block.partition("|")
    return f"{subject}|{measure}|{rest}"[:500]


@lru_cache(maxsize=65536)
def group_key(
    subject: str, measure: str, unit: str, kind: str, change: str | None, subject_key: str | None = None
) -> GroupKey | None:
    """Where a claim is compared; None when the subject or measure is unknown.

    The subject is the entity's canonical key when extraction found one, else the name folded.
    """
    subject = subject_key or fold_case_and_plurals(subject)
    measure = fold_case_and_plurals(measure)
    if not subject or not measure:
        return None
    dimension = dimension_of(unit).name
    if change == "up" and dimension == "%" and measure.split()[-1] in GROWTH_HEADS:
        # "The economy grew 2.4%" states the growth rate that "GDP growth was 2.4%" states.
        change = None
    parts = [subject, dimension]
    # A target or projection is a different fact from the outcome; a change from a level.
    if kind != "fact":
        parts.append(kind)
    if change:
        parts.append(change)
    block, measure = "|".join(parts)[:400], measure[:200]
    return GroupKey(block, measure, dimension[:64], not change and dimension not in NOT_LEVELS,
                    _joined_key(block, measure))


@lru_cache(maxsize=4096)
def word_weight(word: str) -> float:
    """How much a word of a measure tells: rare words much, common ones little, numbers most."""
    if any(c.isdigit() for c in word):
        return HEAVIEST_WORD
    # Imported on first use: wordfreq and the language data it loads take a fifth of a second,
    # which every `claimtrack` command and app process would pay at start-up without comparing a word.
    from wordfreq import zipf_frequency

    return min(HEAVIEST_WORD, max(LIGHTEST_WORD, ZIPF_CEILING - zipf_frequency(word, "en")))


def _spelled_alike(a: str, b: str) -> bool:
    return (min(len(a), len(b)) >= SAME_WORD_LETTERS and not any(c.isdigit() for c in a + b)
            and fuzz.ratio(a, b) >= SAME_WORD_RATIO)


@lru_cache(maxsize=262144)
def measure_similarity(a: str, b: str) -> float:
    """How alike two folded measures are, 0 to 1: the rarity-weighted Jaccard overlap of their words.

    Words are matched as sets (order does not count), spelling variants as one word; each
    weighs `word_weight`. Not rapidfuzz's token-set ratio, which scores a measure contained in
    another as identical ("population" in "urban population"): an extra word often names
    another fact, so it must lower the score by what it weighs.
    """
    if a == b:
        return 1.0
    words_a, words_b = set(a.split()), set(b.split())
    common = words_a & words_b
    only_a, only_b = sorted(words_a - common), sorted(words_b - common)
    for word in list(only_a):
        twin = next((w for w in only_b if _spelled_alike(word, w)), None)
        if twin is not None:
            common.add(word)
            only_a.remove(word)
            only_b.remove(twin)
    shared = sum(map(word_weight, common))
    if not shared:
        return 0.0
    return shared / (shared + sum(map(word_weight, only_a)) + sum(map(word_weight, only_b)))


class Learned:
    """Reviewers' equivalences and separations between measures, each for one subject or all ("")."""

    def __init__(self, rows: Iterable[tuple[str, str, str, bool]] = ()):
        self._same: dict[str, list[tuple[str, str]]] = defaultdict(list)
        self._apart: set[tuple[str, str, str]] = set()
        self._canonical: dict[str, dict[str, str]] = {}
        self.add(rows)

    def add(self, rows: Iterable[tuple[str, str, str, bool]]) -> None:
        """Take more (subject, measure, measure, same) rows into account."""
        for subject, a, b, same in rows:
            if same:
                self._same[subject].append((a, b))
            else:
                self._apart.add((subject, *sorted((a, b))))
        self._canonical.clear()

    def canonical(self, subject: str, measure: str) -> str:
        """The measure standing for all those a reviewer called the same as this one, for this subject."""
        table = self._canonical.get(subject)
        if table is None:
            table = self._canonical[subject] = self._components(subject)
        return table.get(measure, measure)

    def _components(self, subject: str) -> dict[str, str]:
        """Each measure of a learned equivalence mapped to the least measure it is linked with."""
        pairs = [*self._same.get("", ()), *self._same.get(subject, ())] if subject else self._same.get("", [])
        parent: dict[str, str] = {}

        def root(m: str) -> str:
            while parent.setdefault(m, m) != m:
                m = parent[m]
            return m

        for a, b in pairs:
            ra, rb = root(a), root(b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
        return {m: root(m) for m in parent}

    def apart(self, subject: str, a: str, b: str) -> bool:
        """True when a reviewer said these two measures are never the same fact for this subject."""
        pair = tuple(sorted((a, b)))
        return (subject, *pair) in self._apart or ("", *pair) in self._apart


def match_score(learned: Learned, subject: str, measure: str, other: str) -> float:
    """How surely two measures of one block state the same fact: reviewers' word first, then similarity."""
    if learned.canonical(subject, measure) == learned.canonical(subject, other):
        return 1.0
    if learned.apart(subject, measure, other):
        return 0.0
    return measure_similarity(measure, other)


# Quotes repeat (every document restating a figure quotes it the same way), so a full
# detection over a million claims parses each distinct one once.
@lru_cache(maxsize=65536)
def stated_step(quote: str, value: float, count: bool) -> float:
    """The size of the last digit the quote states (0 for an exact figure), in the claim's unit."""
    match = _NUMBER.search(quote)
    if match is None:
        # Written in words: "three" routes is exact; "one trillion" is one significant digit.
        if count and value == int(value) and abs(value) < EXACT_COUNT_BELOW:
            return 0.0
        return 10.0 ** math.floor(math.log10(abs(value))) if value else 0.0
    digits = match.group().replace(",", "")
    mantissa = float(digits)
    scale = value / mantissa if mantissa else 1.0
    if scale <= 0 or abs(math.log10(scale) - round(math.log10(scale))) > 1e-6:
        return 0.0  # a fraction or a conversion: the digits do not state the value's precision
    if "." in digits:
        step = 10.0 ** -len(digits.split(".")[1])
    elif mantissa < EXACT_COUNT_BELOW:
        step = 0.0 if count and round(scale) == 1 else 1.0
    else:
        trailing = len(digits) - len(digits.rstrip("0"))
        step = 10.0 ** trailing if trailing or not count or round(scale) != 1 else 0.0
    return step * scale


class Interval(NamedTuple):
    """The values a claim allows, in its dimension's base unit."""

    lo: float
    hi: float
    lo_open: bool = False
    hi_open: bool = False


def significant_digits(quote: str) -> int:
    """How many significant digits the quote's first number states (trailing zeros of a whole number do not count)."""
    match = _NUMBER.search(quote)
    if match is None:
        return 1
    digits = match.group().replace(",", "")
    whole, _, fraction = digits.partition(".")
    stated = (whole + fraction).lstrip("0") if fraction else whole.lstrip("0").rstrip("0")
    return max(1, len(stated))


def interval(
    value: float, value_max: float | None, qualifier: str, step: float, factor: float, exact: bool = True,
    digits: int = 1,
) -> Interval:
    """The values a claim allows given its qualifier, stated precision and whether it is exact."""
    top = value if value_max is None else value_max
    share = 0.0 if exact else ESTIMATE_SHARE
    if qualifier == "~":
        rough = APPROXIMATE_SHARE / 2 ** max(0, digits - APPROXIMATE_DIGITS)
        width = max(step, max(rough, ESTIMATE_SHARE) * abs(value))
        lo, hi, lo_open, hi_open = value - width, top + width, False, False
    else:
        # A rounded figure covers what rounds to it and what was cut off to it.
        lo, hi = value - max(step / 2, share * abs(value)), top + max(step, share * abs(top))
        lo_open = hi_open = False
        if step and step >= share * abs(top):
            hi_open = True
        if qualifier == ">":
            hi, hi_open, lo_open = math.inf, False, True
        elif qualifier == ">=":
            hi, hi_open = math.inf, False
        elif qualifier == "<":
            lo, lo_open, hi_open = -math.inf, False, True
        elif qualifier == "<=":
            lo, lo_open = -math.inf, False
    return Interval(lo * factor, hi * factor, lo_open, hi_open)


# Claims restating a figure quote it alike: a full detection works out each distinct one once.
@lru_cache(maxsize=262144)
def claim_interval(
    value: float, value_max: float | None, qualifier: str, quote: str, unit: str, corrected: bool,
    uncertainty: float | None = None,
) -> Interval:
    """The values a claim allows, in its dimension's base unit.

    A reviewer's correction and a small count stated to the unit ("66 sister cities") are
    exact; other figures are estimates, roundings or measurements (`ESTIMATE_SHARE`). A stated
    tolerance ("5 ± 0.2 K") widens the interval on both sides (`widened`).
    """
    step = 0.0 if corrected else stated_step(quote, value, unit in ("", "rank"))
    exact = corrected or (step == 0 and abs(value) < EXACT_COUNT_BELOW)
    digits = significant_digits(quote) if qualifier == "~" else 1
    factor = dimension_of(unit).factor
    return widened(interval(value, value_max, qualifier, step, factor, exact, digits), uncertainty, factor)


def widened(bounds: Interval, uncertainty: float | None, factor: float) -> Interval:
    """The interval with a stated tolerance (in the claim's unit) added to each finite bound, which it closes."""
    if not uncertainty or not math.isfinite(uncertainty):
        return bounds
    spread = abs(uncertainty) * factor
    lo_open, hi_open = bounds.lo_open, bounds.hi_open
    lo, hi = bounds.lo, bounds.hi
    if math.isfinite(lo):
        lo, lo_open = lo - spread, False
    if math.isfinite(hi):
        hi, hi_open = hi + spread, False
    return Interval(lo, hi, lo_open, hi_open)


def _apart(lo: float, lo_open: bool, hi: float, hi_open: bool) -> bool:
    """True when a lower bound lies above an upper bound, so nothing satisfies both."""
    epsilon = RELATIVE_EPSILON * max(abs(lo), abs(hi), 1.0) if math.isfinite(lo) and math.isfinite(hi) else 0.0
    if lo > hi + epsilon:
        return True
    return abs(lo - hi) <= epsilon and (lo_open or hi_open)


# Slots: a full detection holds one per claim.
@dataclass(slots=True)
class Statement:
    """One claim as the detector sees it."""

    id: int
    document_id: int
    group_id: int | None
    pinned: bool
    conflict_open: bool
    key: GroupKey | None
    active: bool
    eligible: bool
    period: tuple[date, date] | None
    bounds: Interval
    subject: str
    measure: str
    # `variant_key` of the claim's measure variant: claims of different variants state different facts.
    variant: str = ""


def claim_period(start: date | None, end: date | None) -> tuple[date, date] | None:
    """A claim's period as (first day, last day), one stated end standing for both; None if unstated."""
    if start is None and end is None:
        return None
    return (start or end, end or start)


def same_period(a: tuple[date, date] | None, b: tuple[date, date] | None) -> bool:
    """True when two periods are the same for comparing values (an unstated period matches any)."""
    if a is None or b is None or a == b:
        return True
    overlap = (min(a[1], b[1]) - max(a[0], b[0])).days + 1
    longest = max((a[1] - a[0]).days, (b[1] - b[0]).days) + 1
    return overlap >= SAME_PERIOD_OVERLAP * longest


class _Extremes:
    """The highest lower bounds and lowest upper bounds of a set of claims, two documents each.

    Two documents suffice: whether some pair from different documents is apart is decided by
    the extreme bound of each side and, when both extremes come from one document, the runner-up.
    An open bound is the more extreme at equal value ("over 30" excludes more than "at least 30").
    """

    def __init__(self, lows=(), highs=()):
        self.lows: list[tuple[float, bool, int]] = list(lows)
        self.highs: list[tuple[float, bool, int]] = list(highs)

    @classmethod
    def of(cls, statements: Iterable[Statement]) -> "_Extremes":
        """The extremes of these claims."""
        lows: dict[int, tuple[float, bool]] = {}
        highs: dict[int, tuple[float, bool]] = {}
        for s in statements:
            lo, hi, lo_open, hi_open = s.bounds
            doc = s.document_id
            low, high = lows.get(doc), highs.get(doc)
            if low is None or (lo, lo_open) > low:
                lows[doc] = (lo, lo_open)
            if high is None or (hi, not hi_open) < (high[0], not high[1]):
                highs[doc] = (hi, hi_open)
        # Groups are small: sorting beats heapq's setup for the two extremes.
        return cls(
            sorted(((lo, o, d) for d, (lo, o) in lows.items()), key=_low_order, reverse=True)[:2],
            sorted(((hi, o, d) for d, (hi, o) in highs.items()), key=_high_order)[:2],
        )

    def merged(self, other: "_Extremes") -> "_Extremes":
        """The extremes of both sets together."""
        return _Extremes(
            _two(self.lows + other.lows, key=_low_order, reverse=True),
            _two(self.highs + other.highs, key=_high_order, reverse=False),
        )

    def disagree(self) -> bool:
        """True when two claims from different documents allow no common value."""
        return any(
            lo_doc != hi_doc and _apart(lo, lo_open, hi, hi_open)
            for lo, lo_open, lo_doc in self.lows
            for hi, hi_open, hi_doc in self.highs
        )

    def apart_within(self, other: "_Extremes", ratio: float) -> bool:
        """True when a claim here lies above one there, from another document, by at most `ratio` times."""
        return any(
            lo_doc != hi_doc and _apart(lo, lo_open, hi, hi_open) and 0 < hi and lo <= ratio * hi
            for lo, lo_open, lo_doc in self.lows
            for hi, hi_open, hi_doc in other.highs
        )

    def wildly_above(self, other: "_Extremes") -> bool:
        """True when a claim here is more than WILD_RATIO times one there, from another document."""
        return any(
            lo_doc != hi_doc and 0 < hi < math.inf and lo > WILD_RATIO * hi
            for lo, _, lo_doc in self.lows
            for hi, _, hi_doc in other.highs
        )


def _low_order(bound: tuple) -> tuple:
    return bound[0], bound[1]


def _high_order(bound: tuple) -> tuple:
    return bound[0], not bound[1]


def _two(bounds: list, key, reverse: bool) -> list:
    """The two most extreme bounds from distinct documents."""
    kept: list = []
    for bound in sorted(bounds, key=key, reverse=reverse):
        if all(bound[2] != k[2] for k in kept):
            kept.append(bound)
            if len(kept) == 2:
                break
    return kept


@dataclass(frozen=True)
class Verdict:
    """Whether a group's claims disagree, and whether they span several periods."""

    conflict: bool
    is_series: bool


_AGREE, _SERIES = Verdict(False, False), Verdict(False, True)


def point_within(a: tuple[date, date], b: tuple[date, date]) -> bool:
    """True when one period is a date within the other: at most POINT_DAYS long and inside it."""
    short, long_ = sorted((a, b), key=lambda p: p[1] - p[0])
    return (short[1] - short[0]).days < POINT_DAYS and long_[0] <= short[0] and short[1] <= long_[1]


def adjacent_periods(a: tuple[date, date], b: tuple[date, date]) -> bool:
    """True when two stated periods do not overlap and lie at most ADJACENT_PERIOD_DAYS apart."""
    return 0 < max((b[0] - a[1]).days, (a[0] - b[1]).days) <= ADJACENT_PERIOD_DAYS


def evaluate(statements: Iterable[Statement]) -> Verdict:
    """Judge a group: active claims of the same dimension, variant and period must allow a common
    value, and levels of adjacent periods must not be wildly apart."""
    by_dimension: dict[str, dict[tuple, list[Statement]]] = {}
    levels: dict[str, bool] = {}
    documents: set[int] = set()
    for s in statements:
        if s.active:
            key = s.key
            dimension = key.dimension if key else ""
            cells = by_dimension.get(dimension)
            if cells is None:
                cells = by_dimension[dimension] = {}
            cell = (s.period, s.variant)
            members = cells.get(cell)
            if members is None:
                cells[cell] = [s]
            else:
                members.append(s)
            levels[dimension] = levels.get(dimension, True) and key is not None and key.level
            documents.add(s.document_id)
    if len(documents) < 2:
        # Claims disagree only across documents: one document's claims make at most a series.
        return _SERIES if any(_several_periods(cells) for cells in by_dimension.values()) else _AGREE
    conflict = series = False
    for dimension, cells in by_dimension.items():
        series = series or _several_periods(cells)
        if conflict:
            continue
        extremes = {cell: _Extremes.of(members) for cell, members in cells.items()}
        keys = list(cells)
        stated = [cell for cell in keys if cell[0] is not None]
        for i, a in enumerate(keys):
            if extremes[a].disagree():
                conflict = True
                break
            if any(same_variant(a[1], b[1]) and same_period(a[0], b[0]) and extremes[a].merged(extremes[b]).disagree()
                   for b in keys[i + 1:]):
                conflict = True
                break
        if conflict or not levels[dimension]:
            continue
        conflict = any(
            same_variant(a[1], b[1]) and not same_period(a[0], b[0]) and (
                (point_within(a[0], b[0]) and (extremes[a].apart_within(extremes[b], POINT_RATIO)
                                               or extremes[b].apart_within(extremes[a], POINT_RATIO)))
                or (adjacent_periods(a[0], b[0])
                    and (extremes[a].wildly_above(extremes[b]) or extremes[b].wildly_above(extremes[a])))
            )
            for a, b in combinations(stated, 2)
        )
    return Verdict(conflict, series)


def _several_periods(cells: dict[tuple, list]) -> bool:
    """True when the (period, variant) cells of one dimension state periods that are not the same."""
    stated = [cell[0] for cell in cells if cell[0] is not None]
    return len(stated) > 1 and any(not same_period(a, b) for a, b in combinations(stated, 2))


def next_status(current: str, conflict: bool, newcomer: bool) -> str:
    """A group's status after detection.

    A resolved group stays resolved while its remaining claims agree and re-opens when a
    claim disagrees; an unresolved one waits for an outside source and re-opens only when
    a new claim joins it.
    """
    if current == "resolved":
        return "open" if conflict else "resolved"
    if current == "unresolved" and conflict:
        return "open" if newcomer else "unresolved"
    return "open" if conflict else "consistent"

