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

from ..extract.measures import singular
from ..extract.units import CURRENCY_WORDS, PREFIX_CODES, registry

# Statuses of a group that needs (or had) a reviewer's decision; `consistent` groups agree.
CONFLICT_STATUSES = ("open", "unresolved", "resolved")
# Two stated periods are the same when they overlap for this share of the longer one: a year
# and its first quarter are different periods (a series), "2013 to 2022" and "2013 to
# November 2023" are the same cumulative figure.
SAME_PERIOD_OVERLAP = 0.9
# "About" widens a value by this share of it, unless its stated precision is coarser.
APPROXIMATE_SHARE = 0.1
# Plain counts below this, written without decimals, are exact ("66 sister cities"); from a
# thousand up, trailing zeros are taken as rounding ("1,600 kilometers").
EXACT_COUNT_BELOW = 1000
RELATIVE_EPSILON = 1e-9

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
    if unit in ("%", "pp", "bp", "rank", "point", "times"):
        return Dimension(unit, 1.0)
    if unit in _CURRENCIES:
        return Dimension(unit, 1.0)
    if unit.endswith(("-cent", "-sen")):
        return Dimension(unit.split("-")[0], 0.01)
    try:
        expression = re.sub(r"([A-Za-z])(\d)", r"\1**\2", unit)
        base = registry().Quantity(1, expression).to_base_units()
        zero = registry().Quantity(0, expression).to_base_units().magnitude
    except Exception:  # pint's parser raises many types (even tokenize errors) on odd text
        return Dimension(f"unit:{unit}", 1.0)
    if zero:
        # Degrees Celsius and Fahrenheit have an offset: no factor converts them.
        return Dimension(f"unit:{unit}", 1.0)
    return Dimension(str(base.units), float(base.magnitude))


@lru_cache(maxsize=65536)
def fold_case_and_plurals(text: str) -> str:
    """A subject or measure reduced for comparison: case, punctuation, spacing and plurals."""
    return " ".join(singular(word) for word in _WORD.findall(text.casefold()))


@dataclass(frozen=True)
class GroupKey:
    """The bucket a claim falls in."""

    key: str
    dimension: str


@lru_cache(maxsize=65536)
def group_key(subject: str, measure: str, unit: str, kind: str, change: str | None) -> GroupKey | None:
    """The key of claims stating the same fact; None when the subject or measure is unknown."""
    subject, measure = fold_case_and_plurals(subject), fold_case_and_plurals(measure)
    if not subject or not measure:
        return None
    dimension = dimension_of(unit).name
    parts = [subject, measure, dimension]
    # A target or projection is a different fact from the outcome; a change from a level.
    if kind != "fact":
        parts.append(kind)
    if change:
        parts.append(change)
    return GroupKey("|".join(parts)[:500], dimension[:64])


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


def interval(value: float, value_max: float | None, qualifier: str, step: float, factor: float) -> Interval:
    """The values a claim allows given its qualifier and stated precision."""
    top = value if value_max is None else value_max
    if qualifier == "~":
        width = max(step, APPROXIMATE_SHARE * abs(value))
        lo, hi, lo_open, hi_open = value - width, top + width, False, False
    else:
        # A rounded figure covers what rounds to it and what was cut off to it.
        lo, hi = value - step / 2, top + step
        lo_open = hi_open = False
        if step:
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


def evaluate(statements: Iterable[Statement]) -> Verdict:
    """Judge a group: active claims of the same dimension and period must allow a common value."""
    by_dimension: dict[str, dict] = defaultdict(lambda: defaultdict(list))
    for s in statements:
        if s.active:
            by_dimension[s.key.dimension if s.key else ""][s.period].append(s)
    conflict = series = False
    for cells in by_dimension.values():
        extremes = {period: _Extremes.of(members) for period, members in cells.items()}
        periods = list(cells)
        stated = [p for p in periods if p is not None]
        series = series or any(not same_period(a, b) for a, b in combinations(stated, 2))
        if conflict:
            continue
        for i, a in enumerate(periods):
            if extremes[a].disagree():
                conflict = True
                break
            if any(same_period(a, b) and extremes[a].merged(extremes[b]).disagree() for b in periods[i + 1:]):
                conflict = True
                break
    return Verdict(conflict, series)


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

