"""Measures of agreement between the first and the blind second review of claims.

Plain Python over a Session. For the decision and each compared field: the number of claims
reviewed twice, raw agreement, Cohen's kappa (the first review against the second, for nominal
variables) and Krippendorff's alpha across all reviewers (nominal for decisions, units and the
other labels; interval for values), each with a 95 % interval (Wilson's for raw agreement, the
jackknife over claims for kappa and alpha); and per reviewer, how often their decision was final.

The statistics are computed from closed forms over flat arrays (Krippendorff 2011, "Computing
Krippendorff's Alpha-Reliability": alpha = 1 - D_o / D_e from the coincidences of pairable values;
Cohen 1960: kappa = (p_o - p_e) / (1 - p_e)), so a hundred thousand claims cost milliseconds,
and leaving each claim out in turn (the jackknife) is one subtraction per distinct pair of
answers. The `krippendorff` package builds a units x values x values array, which at that size
does not fit in memory, and scikit-learn would be a hundred megabytes installed for one formula. The tests check these against that package, scikit-learn's
`cohen_kappa_score` and the published worked examples.
"""
import math
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

import numpy as np
import sqlalchemy as sa
import sqlalchemy.orm as so

from models import COMPARED_FIELDS, Claim, Review, SecondReview, User

from .claim_filters import FilterError

LEVELS = {"decision": "nominal", "value": "interval", "value_max": "interval"}
STATUS_DECISION = {"verified": "verify", "rejected": "reject", "needs_info": "needs_info"}


# --- the statistics ------------------------------------------------------------------------------

Z = 1.959963984540054  # the 97.5th percentile of the standard normal: a two-sided 95 % interval


def _codes(values: list[Any]) -> np.ndarray:
    """Integer codes for nominal values (equal values, equal codes)."""
    index: dict[Any, int] = {}
    return np.fromiter((index.setdefault(v, len(index)) for v in values), dtype=np.int64, count=len(values))


def krippendorff_alpha(units: list[list[Any]], level: str = "nominal") -> float | None:
    """Krippendorff's alpha of reliability data given as the values each unit received (missing ones left out).

    `level` is "nominal" or "interval". Units with fewer than two values cannot be paired and
    are left out (Krippendorff 2011). None when nothing can be paired or all values are one.
    """
    pairable = [u for u in units if len(u) >= 2]
    if not pairable:
        return None
    m = np.array([len(u) for u in pairable], dtype=float)
    unit = np.repeat(np.arange(len(pairable)), m.astype(int))
    flat = [v for u in pairable for v in u]
    n = m.sum()
    if level == "nominal":
        codes = _codes(flat)
        size = int(codes.max()) + 1
        keys, counts = np.unique(unit * size + codes, return_counts=True)
        same = np.bincount(keys // size, weights=counts.astype(float) ** 2, minlength=len(pairable))
        within = ((m ** 2 - same) / (m - 1)).sum()
        across = n ** 2 - (np.bincount(codes).astype(float) ** 2).sum()
    else:
        x = np.asarray(flat, dtype=float)
        x = x - x.mean()
        sums = np.bincount(unit, weights=x, minlength=len(pairable))
        squares = np.bincount(unit, weights=x ** 2, minlength=len(pairable))
        within = (2 * m * (squares - sums ** 2 / m) / (m - 1)).sum()
        across = 2 * n * (x ** 2).sum() - 2 * x.sum() ** 2
    return float(1 - (n - 1) * within / across) if across > 0 else None


def wilson_interval(agreed: int, total: int) -> tuple[float, float] | None:
    """Wilson's score interval for a proportion (Wilson 1927), for raw agreement."""
    if total == 0:
        return None
    p = agreed / total
    centre = (p + Z ** 2 / (2 * total)) / (1 + Z ** 2 / total)
    half = Z * math.sqrt(p * (1 - p) / total + Z ** 2 / (4 * total ** 2)) / (1 + Z ** 2 / total)
    return max(0.0, centre - half), min(1.0, centre + half)


def _jackknife(estimate: float, left_out: np.ndarray, counts: np.ndarray) -> tuple[float, float] | None:
    """A normal interval from the jackknife standard error; `left_out[p]` is the estimate without one claim of pattern p."""
    total = counts.sum()
    if total < 2 or not np.all(np.isfinite(left_out)):
        return None
    mean = (counts * left_out).sum() / total
    error = math.sqrt((total - 1) / total * (counts * (left_out - mean) ** 2).sum())
    return max(-1.0, estimate - Z * error), min(1.0, estimate + Z * error)


def _pair_alpha(a: np.ndarray, b: np.ndarray, counts: np.ndarray, level: str) -> tuple[float, np.ndarray]:
    """Alpha for claims with the value pair (a[p], b[p]) seen counts[p] times, and alpha with one such claim left out.

    With two values per claim, the disagreement within claims and across all values are sums
    over claims, so leaving one claim out is a subtraction: alpha = 1 - (n - 1) D_within / D_across.
    """
    n = 2 * counts.sum()
    if level == "nominal":
        within = 2.0 * (a != b)
        size = int(max(a.max(), b.max())) + 1
        totals = np.bincount(a, counts, size) + np.bincount(b, counts, size)
        squares = (totals ** 2).sum()
        across = n ** 2 - squares
        across_left = (n - 2) ** 2 - (squares - 2 * totals[a] - 2 * totals[b] + 2 + 2 * (a == b))
    else:
        centre = (counts * (a + b)).sum() / n
        a, b = a - centre, b - centre
        within = 2.0 * (a - b) ** 2
        s1, s2 = (counts * (a + b)).sum(), (counts * (a ** 2 + b ** 2)).sum()
        across = 2 * n * s2 - 2 * s1 ** 2
        across_left = 2 * (n - 2) * (s2 - a ** 2 - b ** 2) - 2 * (s1 - a - b) ** 2
    observed = (counts * within).sum()
    estimate = 1 - (n - 1) * observed / across if across > 0 else math.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        left = np.where(across_left > 0, 1 - (n - 3) * (observed - within) / across_left, np.nan)
    return float(estimate), left


def _pair_kappa(a: np.ndarray, b: np.ndarray, counts: np.ndarray) -> tuple[float, np.ndarray]:
    """Cohen's kappa of labels a (first) against b (second), and kappa with one claim of each pattern left out."""
    total = counts.sum()
    size = int(max(a.max(), b.max())) + 1
    rows, columns = np.bincount(a, counts, size), np.bincount(b, counts, size)
    same = (counts * (a == b)).sum()
    products = (rows * columns).sum()
    chance = products / total ** 2
    estimate = (same / total - chance) / (1 - chance) if chance < 1 else math.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        left_chance = (products - columns[a] - rows[b] + (a == b)) / (total - 1) ** 2
        left = np.where(left_chance < 1, ((same - (a == b)) / (total - 1) - left_chance) / (1 - left_chance), np.nan)
    return float(estimate), left


def cohen_kappa(first: list[Any], second: list[Any]) -> float | None:
    """Cohen's kappa of two raters' labels for the same items; None when chance agreement is total."""
    if not first:
        return None
    patterns = Counter(zip(first, second))
    codes = _codes([v for pair in patterns for v in pair]).reshape(-1, 2)
    kappa, _ = _pair_kappa(codes[:, 0], codes[:, 1], np.array(list(patterns.values()), dtype=float))
    return _finite(kappa)


def _finite(value: float) -> float | None:
    return None if math.isnan(value) else value


# --- the report ---------------------------------------------------------------------------------

@dataclass
class Measure:
    """Agreement on one variable (the decision or a compared field) between first and second reviews."""

    name: str
    level: str
    claims: int
    agreed: int
    raw_agreement: float | None
    raw_agreement_ci: tuple[float, float] | None
    kappa: float | None
    kappa_ci: tuple[float, float] | None
    alpha: float | None
    alpha_ci: tuple[float, float] | None
    # For the decision: specific agreement on each decision (2 n_cc / (n_c. + n_.c)).
    by_category: dict[str, float] = field(default_factory=dict)


@dataclass
class ReviewerAgreement:
    """How often one reviewer's decision was the final one, over settled claims they reviewed."""

    username: str
    reviews: int
    final: int

    @property
    def share(self) -> float:
        """Share of their reviews that matched the final decision."""
        return self.final / self.reviews if self.reviews else 0.0


@dataclass
class Report:
    """The agreement report for second reviews made in a date range."""

    date_from: date | None
    date_to: date | None
    reviewed_twice: int
    agreed: int
    adjudication: int
    adjudicated: int
    # Adjudicated by one of the claim's two reviewers (the team had no other lead).
    adjudicated_by_party: int
    awaiting: int
    measures: list[Measure]
    reviewers: list[ReviewerAgreement]
    method: str

    def as_dict(self) -> dict[str, Any]:
        """The report as plain JSON-safe data."""
        out = asdict(self)
        out["date_from"] = self.date_from.isoformat() if self.date_from else None
        out["date_to"] = self.date_to.isoformat() if self.date_to else None
        for reviewer, entry in zip(self.reviewers, out["reviewers"]):
            entry["share"] = reviewer.share
        return out


def measure(name: str, pairs: list[tuple[Any, Any]], level: str) -> Measure:
    """Raw agreement, kappa (nominal only) and alpha, each with a 95 % interval, for (first, second) pairs.

    Pairs where either side is missing (None) count for raw agreement only when both are None,
    and are left out of kappa and alpha.
    """
    return measure_patterns(name, Counter(pairs), level)


def measure_patterns(name: str, patterns: Counter, level: str) -> Measure:
    """`measure` for pairs given as {(first, second): how many claims}."""
    total = sum(patterns.values())
    agreed = sum(n for (a, b), n in patterns.items() if a == b)
    out = Measure(name, level, total, agreed, agreed / total if total else None,
                  wilson_interval(agreed, total), None, None, None, None)
    present = [(pair, n) for pair, n in patterns.items() if pair[0] is not None and pair[1] is not None]
    if not present:
        return out
    counts = np.array([n for _, n in present], dtype=float)
    if level == "nominal":
        codes = _codes([v for pair, _ in present for v in pair]).reshape(-1, 2)
        a, b = codes[:, 0], codes[:, 1]
        kappa, left = _pair_kappa(a, b, counts)
        out.kappa = _finite(kappa)
        out.kappa_ci = _jackknife(kappa, left, counts) if out.kappa is not None else None
    else:
        a = np.array([pair[0] for pair, _ in present], dtype=float)
        b = np.array([pair[1] for pair, _ in present], dtype=float)
    alpha, left = _pair_alpha(a, b, counts, level)
    out.alpha = _finite(alpha)
    out.alpha_ci = _jackknife(alpha, left, counts) if out.alpha is not None else None
    if name == "decision":
        for category in sorted({v for pair, _ in present for v in pair}):
            made = sum(n * ((x == category) + (y == category)) for (x, y), n in present)
            out.by_category[category] = 2 * patterns[(category, category)] / made
    return out


def parse_day(name: str, text: str | None) -> date | None:
    """A day written YYYY-MM-DD (None when blank); FilterError naming `name` otherwise."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        if len(text) != 10 or not text.isascii():
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise FilterError({name: f"{name}: use YYYY-MM-DD"}) from None


def _day_bounds(date_from: date | None, date_to: date | None) -> list[sa.ColumnElement[bool]]:
    conditions = []
    if date_from is not None:
        conditions.append(SecondReview.second_at >= datetime.combine(date_from, time(), timezone.utc))
    if date_to is not None:
        conditions.append(SecondReview.second_at < datetime.combine(date_to + timedelta(days=1), time(), timezone.utc))
    return conditions


def _patterns(session: so.Session, name: str, window: list) -> Counter:
    """{(first, second): claims} for one variable over the second reviews in `window`."""
    first, second = getattr(SecondReview, f"first_{name}"), getattr(SecondReview, f"second_{name}")
    rows = session.execute(sa.select(first, second, sa.func.count()).where(*window).group_by(first, second))
    return Counter({(a, b): n for a, b, n in rows})


def _reviewers(session: so.Session, window: list) -> list[ReviewerAgreement]:
    """Each reviewer's settled claims and how many of their decisions were the final one."""
    first, second = SecondReview.first_decision, SecondReview.second_decision
    pair = (SecondReview.first_user_id, SecondReview.second_user_id, first, second)
    # Agreed claims' final decision is the first one; only the adjudicated few need the claim's
    # status, so the join to a million claims is made for them alone.
    agreed = session.execute(
        sa.select(*pair, sa.func.count()).where(*window, SecondReview.state == "agreed").group_by(*pair)).all()
    adjudicated = session.execute(
        sa.select(*pair, Claim.status, sa.func.count())
        .join(Claim, Claim.id == SecondReview.claim_id)
        .where(*window, SecondReview.state == "adjudicated")
        .group_by(*pair, Claim.status)
    ).all()
    tally: dict[int, list[int]] = {}
    rows = [(*row[:4], row[2], row[4]) for row in agreed]
    rows += [(*row[:4], STATUS_DECISION.get(row[4]), row[5]) for row in adjudicated]
    for first_user, second_user, first_decision, second_decision, final, n in rows:
        for user_id, decision in ((first_user, first_decision), (second_user, second_decision)):
            counts = tally.setdefault(user_id, [0, 0])
            counts[0] += n
            counts[1] += n * (decision == final)
    names = dict(session.execute(sa.select(User.id, User.username).where(User.id.in_(tally))).all()) if tally else {}
    return sorted((ReviewerAgreement(names[i], n, k) for i, (n, k) in tally.items()), key=lambda r: r.username)


def report(session: so.Session, date_from: date | None = None, date_to: date | None = None) -> Report:
    """Agreement between first and second reviews made from `date_from` to `date_to` (UTC days, inclusive)."""
    if date_from and date_to and date_to < date_from:
        raise FilterError({"to": "The end date is before the start date."})
    window = [SecondReview.second_review_id.is_not(None), *_day_bounds(date_from, date_to)]
    # Everything is counted in the database (one GROUP BY per variable over the answer columns),
    # so the page reads a few hundred rows rather than two JSON documents per claim.
    states = Counter(dict(session.execute(
        sa.select(SecondReview.state, sa.func.count()).where(*window).group_by(SecondReview.state)).all()))
    awaiting = session.scalar(sa.select(sa.func.count()).select_from(SecondReview)
                              .where(SecondReview.state == "awaiting")) or 0
    final = so.aliased(Review)
    by_party = session.scalar(
        sa.select(sa.func.count()).select_from(SecondReview)
        .join(final, final.id == SecondReview.final_review_id)
        .where(*window, SecondReview.state == "adjudicated",
               final.user_id.in_([SecondReview.first_user_id, SecondReview.second_user_id]))) or 0
    measures = [measure_patterns(name, _patterns(session, name, window), LEVELS.get(name, "nominal"))
                for name in ("decision", *COMPARED_FIELDS)]
    reviewers = _reviewers(session, window)
    method = ("95 % intervals: Wilson's score interval for raw agreement; for kappa and alpha, the jackknife "
              "standard error (each claim left out in turn) with the normal approximation. Kappa is the first "
              "review against the second; alpha pools all reviewers (nominal; interval for values).")
    return Report(date_from, date_to, sum(states.values()), states["agreed"], states["adjudication"],
                  states["adjudicated"], by_party,
                  awaiting, measures, reviewers, method)
