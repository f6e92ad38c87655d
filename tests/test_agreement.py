"""Agreement statistics: published worked examples, the reference implementations, and the report on both databases."""
import math
import random
from collections import Counter
from datetime import date, datetime, timezone

import krippendorff
import numpy as np
import pytest
import sqlalchemy as sa

from claimtrack import agreement, review, second_review
from claimtrack.claim_filters import FilterError
from models import ANSWER_TYPES, SecondReview, answer_columns

from .factories import ClaimFactory, UserFactory

NAN = float("nan")


def cohen_kappa(first: list, second: list) -> float:
    """Cohen's (1960) kappa as the textbook writes it: (p_o - p_e) / (1 - p_e), from the two raters' marginals."""
    n = len(first)
    observed = sum(a == b for a, b in zip(first, second)) / n
    expected = sum(first.count(label) * second.count(label) for label in set(first) | set(second)) / n ** 2
    return (observed - expected) / (1 - expected)

# Krippendorff, K. (2011). "Computing Krippendorff's Alpha-Reliability", Annenberg School for
# Communication, University of Pennsylvania, section C: four observers, twelve units, missing values.
# Published: nominal alpha = 0.743, interval alpha = 0.849.
KRIPPENDORFF_2011_C = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, NAN, NAN, NAN],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NAN, 3],
    [NAN, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NAN],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NAN],
]
# Ibid., section A: binary data, two observers, ten units, no missing values. Published: alpha = 0.095.
KRIPPENDORFF_2011_A = [
    [0, 1, 0, 0, 0, 0, 0, 0, 1, 0],
    [1, 1, 1, 0, 0, 1, 0, 0, 0, 0],
]


def _units(matrix):
    return [[row[j] for row in matrix if not math.isnan(row[j])] for j in range(len(matrix[0]))]


def _table(cells):
    """Two raters' labels from a contingency table {(first, second): count}."""
    first = [a for (a, _), n in cells.items() for _ in range(n)]
    second = [b for (_, b), n in cells.items() for _ in range(n)]
    return first, second


def test_agreement_alpha_matches_krippendorff_2011_worked_examples():
    assert round(agreement.krippendorff_alpha(_units(KRIPPENDORFF_2011_C), "nominal"), 3) == 0.743
    assert round(agreement.krippendorff_alpha(_units(KRIPPENDORFF_2011_C), "interval"), 3) == 0.849
    assert round(agreement.krippendorff_alpha(_units(KRIPPENDORFF_2011_A), "nominal"), 3) == 0.095


def test_agreement_kappa_matches_published_examples():
    # Fleiss, J. L. (1981). Statistical Methods for Rates and Proportions, 2nd ed., ch. 13: two
    # psychiatrists' diagnoses of 100 patients (psychotic, neurotic, organic); kappa = 0.676.
    fleiss = {("P", "P"): 75, ("P", "N"): 1, ("P", "O"): 4, ("N", "P"): 5, ("N", "N"): 4, ("N", "O"): 1,
              ("O", "O"): 10}
    assert round(agreement.cohen_kappa(*_table(fleiss)), 3) == 0.676
    # Cohen, J. (1960). "A coefficient of agreement for nominal scales", Educational and Psychological
    # Measurement 20(1): kappa = (p_o - p_c) / (1 - p_c); with p_o = 0.70 and p_c = 0.50 (a 2x2 table of
    # 50 items: 20 and 15 agreeing, 5 and 10 not) kappa = 0.400.
    two_by_two = {("yes", "yes"): 20, ("yes", "no"): 5, ("no", "yes"): 10, ("no", "no"): 15}
    assert round(agreement.cohen_kappa(*_table(two_by_two)), 3) == 0.400


@pytest.mark.parametrize("seed", range(5))
def test_agreement_matches_the_reference_implementations(seed):
    rng = random.Random(seed)
    labels = ["verify", "reject", "needs_info", "km", "t"][: rng.randint(2, 5)]
    first = [rng.choice(labels) for _ in range(200)]
    second = [a if rng.random() < 0.7 else rng.choice(labels) for a in first]
    result = agreement.measure("decision", list(zip(first, second)), "nominal")
    assert result.kappa == pytest.approx(cohen_kappa(first, second), abs=1e-9)
    codes = {label: i for i, label in enumerate(labels)}
    assert result.alpha == pytest.approx(krippendorff.alpha(
        [[codes[a] for a in first], [codes[b] for b in second]], level_of_measurement="nominal"), abs=1e-9)
    values = [(x, x if rng.random() < 0.8 else x * rng.uniform(0.5, 2)) for x in
              (rng.uniform(1, 1000) for _ in range(150))]
    result = agreement.measure("value", values, "interval")
    assert result.alpha == pytest.approx(krippendorff.alpha(np.array(values).T, level_of_measurement="interval"),
                                         abs=1e-9)


def test_agreement_jackknife_interval_matches_leaving_each_claim_out():
    rng = random.Random(7)
    pairs = [(a, a if rng.random() < 0.75 else rng.choice("xyz")) for a in (rng.choice("xyz") for _ in range(30))]
    result = agreement.measure("unit", pairs, "nominal")
    left_out = [krippendorff.alpha(np.array([p for j, p in enumerate(pairs) if j != i]).T.tolist(),
                                   level_of_measurement="nominal", value_domain=list("xyz")) for i in range(30)]
    error = math.sqrt(29 / 30 * sum((x - sum(left_out) / 30) ** 2 for x in left_out))
    low, high = result.alpha_ci
    assert low == pytest.approx(max(-1, result.alpha - 1.959963984540054 * error), abs=1e-9)
    assert high == pytest.approx(min(1, result.alpha + 1.959963984540054 * error), abs=1e-9)


def test_agreement_raw_agreement_and_missing_values():
    result = agreement.measure("value_max", [(None, None), (5.0, 5.0), (5.0, None), (3.0, 4.0)], "interval")
    assert (result.claims, result.agreed, result.raw_agreement) == (4, 2, 0.5)
    low, high = result.raw_agreement_ci
    assert low < 0.5 < high
    assert agreement.measure("unit", [], "nominal").raw_agreement is None
    # Everyone said the same: agreement is total, but chance-corrected measures are undefined.
    same = agreement.measure("unit", [("km", "km")] * 5, "nominal")
    assert (same.raw_agreement, same.kappa, same.alpha) == (1.0, None, None)


NOW = datetime(2026, 6, 1, 10, 0, tzinfo=timezone.utc)


def test_agreement_report_counts_reviews_in_the_date_range(db_session):
    lead = UserFactory(username="lia", role="lead")
    ana, ben = UserFactory(username="ana"), UserFactory(username="ben")
    second_review.set_policy(db_session, lead, now=NOW, share=100)
    outcomes = [("verify", {}), ("verify", {}), ("verify", {"unit": "t"}), ("reject", {})]
    for i, (decision, values) in enumerate(outcomes):
        claim = ClaimFactory()
        review.decide(db_session, claim, ana, "verify", version=claim.version, now=NOW, check_lease=False)
        given = {**second_review.extracted_values(claim), **values}
        second_review.decide_second(db_session, claim, ben, decision, values=given, version=claim.version,
                                    now=datetime(2026, 6, 1 + i, 12, tzinfo=timezone.utc),
                                    note="no" if decision == "reject" else "")
    result = agreement.report(db_session)
    assert (result.reviewed_twice, result.agreed, result.adjudication) == (4, 2, 2)
    decision = result.measures[0]
    assert (decision.name, decision.claims, decision.agreed) == ("decision", 4, 3)
    unit = next(m for m in result.measures if m.name == "unit")
    assert (unit.claims, unit.agreed) == (4, 3)
    assert {r.username: (r.reviews, r.final) for r in result.reviewers} == {"ana": (2, 2), "ben": (2, 2)}
    narrow = agreement.report(db_session, date(2026, 6, 2), date(2026, 6, 3))
    assert narrow.reviewed_twice == 2
    with pytest.raises(FilterError, match="before the start"):
        agreement.report(db_session, date(2026, 6, 3), date(2026, 6, 2))
    assert result.as_dict()["measures"][0]["name"] == "decision"


def _report_from_json(db_session) -> list[agreement.Measure]:
    """The measures as the report counted them before the answers had columns: grouped by JSON fields."""
    measures = []
    for name in ("decision", *second_review.COMPARED_FIELDS):
        level = agreement.LEVELS.get(name, "nominal")
        first, second = SecondReview.first_values[name], SecondReview.second_values[name]
        first, second = (first.as_float(), second.as_float()) if level == "interval" else (first.as_string(),
                                                                                             second.as_string())
        rows = db_session.execute(sa.select(first, second, sa.func.count())
                                  .where(SecondReview.second_review_id.is_not(None)).group_by(first, second))
        measures.append(agreement.measure_patterns(name, Counter({(a, b): n for a, b, n in rows}), level))
    return measures


def test_agreement_report_from_answer_columns_equals_the_json_documents(db_session):
    lead = UserFactory(username="lia", role="lead")
    ana, ben = UserFactory(username="ana"), UserFactory(username="ben")
    second_review.set_policy(db_session, lead, now=NOW, share=100)
    rng = random.Random(7)
    changes = [{}, {}, {}, {"unit": "t"}, {"value": 7.5}, {"value_max": 99.0}, {"qualifier": ">"},
               {"period_start": date(2020, 1, 1)}, {"subject": "Velmar"}, {"measure": "dockings"}, {"kind": "target"}]
    seconds = []
    for i in range(40):
        claim = ClaimFactory()
        first = rng.choice(("verify", "verify", "reject", "needs_info"))
        review.decide(db_session, claim, ana, first, version=claim.version, now=NOW, check_lease=False,
                      values={**second_review.extracted_values(claim), **rng.choice(changes)},
                      note="" if first == "verify" else "why")
        decision = first if rng.random() < 0.7 else rng.choice(("verify", "reject", "needs_info"))
        given = {**second_review.extracted_values(claim), **rng.choice(changes)}
        made = second_review.decide_second(db_session, claim, ben, decision, values=given, version=claim.version,
                                           now=NOW, note="" if decision == "verify" else "why").review
        row = second_review.standing(db_session, claim.id)
        if row.state == "adjudication" and i % 2:
            second_review.adjudicate(db_session, claim, lead, "verify", choices=dict.fromkeys(row.disagreements, "second"),
                                     version=claim.version, now=NOW, note="settled")
        else:
            seconds.append(made)
    # Undoing second reviews puts their rows back to awaiting, and a new second review replaces the
    # answers: the answer columns must follow both.
    cy = UserFactory(username="cy")
    for n, undone in enumerate(seconds[:5]):
        review.undo(db_session, undone, lead, NOW)
        if n < 3:
            claim = undone.claim
            second_review.decide_second(db_session, claim, cy, "reject", version=claim.version, now=NOW, note="why",
                                        values={**second_review.extracted_values(claim), "unit": "kg"})
    db_session.expire_all()
    for row in db_session.scalars(sa.select(SecondReview)):
        assert ({f"{side}_{name}": getattr(row, f"{side}_{name}") for side in ("first", "second")
                 for name in ANSWER_TYPES}
                == {**answer_columns("first", row.first_values), **answer_columns("second", row.second_values)})
    result = agreement.report(db_session)
    assert result.reviewed_twice == 38
    assert result.adjudication and result.adjudicated and result.agreed
    assert sum(m.agreed < m.claims for m in result.measures) >= 5
    assert result.measures == _report_from_json(db_session)
