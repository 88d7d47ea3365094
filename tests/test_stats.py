"""The Wilson score interval and the grade counts of pipeline.figures.stats.

References are computed here a second, independent way: the Wilson bounds are
the two roots of the quadratic (p̂ − p)² = z² p (1 − p) / n in p. Several
values are also pinned by hand to 4 decimals.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.figures.stats import (GRADES, Z95, Distribution, category_counts, rating_distribution, survey_distribution,
                            wilson_interval)


def quadratic_roots(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """(1 + z²/n) p² − (2p̂ + z²/n) p + p̂² = 0, solved with the quadratic formula."""
    phat = k / n
    a = 1 + z * z / n
    b = -(2 * phat + z * z / n)
    c = phat * phat
    root = math.sqrt(b * b - 4 * a * c)
    return (-b - root) / (2 * a), (-b + root) / (2 * a)


def test_z_is_the_975_normal_quantile():
    # Φ(z) = 0.975  ⇔  erfc(z/√2) = 0.05
    assert math.erfc(Z95 / math.sqrt(2)) == pytest.approx(0.05, abs=1e-15)


@pytest.mark.parametrize("k,n,low,high", [
    (81, 263, 0.2553, 0.3662),   # the worked example usually published for Wilson intervals
    (0, 10, 0.0, 0.2775),
    (10, 10, 0.7225, 1.0),
    (5, 10, 0.2366, 0.7634),
    (39, 45, 0.7382, 0.9374),    # the tiny fixture's two surveys together
    (35, 40, 0.7389, 0.9454),    # tiny survey S1 alone
])
def test_wilson_interval_pinned_to_four_decimals(k, n, low, high):
    got = wilson_interval(k, n)
    assert got is not None
    assert (round(got[0], 4), round(got[1], 4)) == (low, high)


@pytest.mark.parametrize("k,n", [(81, 263), (0, 10), (10, 10), (5, 10), (1, 1), (0, 1), (3, 7), (12943, 13681)])
def test_wilson_interval_equals_the_roots_of_its_quadratic(k, n):
    low, high = wilson_interval(k, n)
    ref_low, ref_high = quadratic_roots(k, n)
    assert low == pytest.approx(ref_low, abs=1e-12)
    assert high == pytest.approx(ref_high, abs=1e-12)


def test_wilson_interval_is_exact_at_the_edges():
    assert wilson_interval(0, 10)[0] == 0.0
    assert wilson_interval(10, 10)[1] == 1.0
    assert wilson_interval(0, 1) == (0.0, pytest.approx(0.7935, abs=5e-5))


def test_wilson_interval_without_cases_is_none():
    assert wilson_interval(0, 0) is None


@pytest.mark.parametrize("k,n", [(-1, 10), (11, 10), (0, -1)])
def test_wilson_interval_refuses_impossible_counts(k, n):
    with pytest.raises(ValueError, match="need 0 ≤ successes ≤ n"):
        wilson_interval(k, n)


@given(st.integers(min_value=1, max_value=100_000).flatmap(
    lambda n: st.tuples(st.integers(min_value=0, max_value=n), st.just(n))))
def test_wilson_interval_holds_the_observed_rate_inside_zero_one(pair):
    k, n = pair
    low, high = wilson_interval(k, n)
    assert 0.0 <= low <= k / n <= high <= 1.0
    assert low < high


def test_interval_narrows_with_more_answers_at_the_same_rate():
    widths = [hi - lo for lo, hi in (wilson_interval(n // 2, n) for n in (10, 100, 1000))]
    assert widths == sorted(widths, reverse=True)


# --- grade counts ------------------------------------------------------------------

def test_grades_follow_the_haocha_scale():
    assert [(g.rating, g.label) for g in GRADES] == [(5, "非常满意"), (4, "满意"), (3, "基本满意"), (2, "不满意"),
                                                     (1, "非常不满意")]
    assert [g.field for g in GRADES] == ["very_satisfied", "satisfied", "basic", "dissatisfied", "very_dissatisfied"]


def test_rating_distribution_counts_each_grade_and_skips_missing_or_off_scale():
    dist = rating_distribution([5, 2, 1, 3, None, float("nan"), 7, 0, "x", 2])
    assert dist.counts == (1, 0, 1, 2, 1)
    assert (dist.n, dist.satisfied, dist.negative) == (5, 2, 3)
    assert dist.count(2) == 2
    assert dist.to_dict() == {"very_satisfied": 1, "satisfied": 0, "basic": 1, "dissatisfied": 2,
                              "very_dissatisfied": 1}


def test_rating_distribution_of_pandas_nullable_integers():
    import pandas as pd

    dist = rating_distribution(pd.Series([5, pd.NA, 4], dtype="Int64"))
    assert dist.counts == (1, 1, 0, 0, 0)


def test_survey_distribution_sums_the_tiny_surveys():
    s1 = {"very_satisfied": 10, "satisfied": 20, "basic": 5, "dissatisfied": 3, "very_dissatisfied": 2}
    s2 = {"very_satisfied": 1, "satisfied": 2, "basic": 1, "dissatisfied": 0, "very_dissatisfied": 1}
    dist = survey_distribution([s1, s2])
    assert dist == Distribution((11, 22, 6, 3, 3))
    assert (dist.n, dist.satisfied, dist.negative) == (45, 39, 6)


def test_survey_distribution_of_nothing_is_zero():
    assert survey_distribution([]).n == 0
    assert survey_distribution([{"very_satisfied": None, "satisfied": 4}]).counts == (0, 4, 0, 0, 0)


def test_category_counts_keep_the_given_order_and_ignore_others():
    counts = category_counts(["partly", "confirmed", "x", None, "confirmed"], ["confirmed", "partly", "not_resolved"])
    assert list(counts.items()) == [("confirmed", 2), ("partly", 1), ("not_resolved", 0)]


@pytest.mark.parametrize("dtype", ["Int64", "int64", "category"])
def test_a_pandas_column_is_counted_as_its_values_one_by_one(dtype):
    import pandas as pd

    values = [5, 2, 1, 3, 7, 0, 2, 4, 4, 4, -1]
    column = pd.Series(values, dtype=dtype)
    assert rating_distribution(column) == rating_distribution(list(values))
    if dtype == "Int64":
        with_missing = pd.Series([*values, pd.NA], dtype=dtype)
        assert rating_distribution(with_missing) == rating_distribution([*values, None])


@pytest.mark.parametrize("dtype", ["str", "object", "category"])
def test_category_counts_of_a_pandas_column_equal_those_of_its_values(dtype):
    import pandas as pd

    values = ["partly", "confirmed", "x", None, "confirmed", "not_resolved", "confirmed"]
    order = ["confirmed", "partly", "not_resolved", "never"]
    assert category_counts(pd.Series(values, dtype=dtype), order) == category_counts(values, order)
