"""``group_medians``: each group's median as pandas' groupby gives it, by counting whole days or, beyond
that, by pandas itself; and the region pairs made once per ledger."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.figures import breakdowns
from pipeline.figures.breakdowns import COUNT_CELLS, _region_pairs, group_medians, region_cross


def pandas_medians(values: np.ndarray, codes: np.ndarray, groups: int) -> np.ndarray:
    found = pd.Series(values, dtype="float64").groupby(codes, sort=False).median()
    out = np.full(groups, np.nan)
    out[found.index.to_numpy(dtype=np.intp)] = found.to_numpy()
    return out


@st.composite
def grouped(draw, whole: bool):
    groups = draw(st.integers(1, 12))
    n = draw(st.integers(0, 60))
    codes = np.array(draw(st.lists(st.integers(0, groups - 1), min_size=n, max_size=n)), dtype=np.intp)
    if whole:
        values = draw(st.lists(st.integers(-5, 400), min_size=n, max_size=n))
    else:
        values = draw(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=n, max_size=n))
    return np.array(values, dtype=np.float64), codes, groups


@settings(max_examples=300, deadline=None)
@given(grouped(whole=True))
def test_whole_days_are_counted_and_match_pandas(case):
    values, codes, groups = case
    np.testing.assert_array_equal(group_medians(values, codes, groups), pandas_medians(values, codes, groups))


@settings(max_examples=300, deadline=None)
@given(grouped(whole=False))
def test_any_numbers_match_pandas(case):
    values, codes, groups = case
    np.testing.assert_array_equal(group_medians(values, codes, groups), pandas_medians(values, codes, groups))


def test_even_count_is_the_mean_of_the_middle_two_and_an_empty_group_is_nan():
    values = np.array([3.0, 1.0, 10.0, 4.0, 7.0], dtype=np.float64)
    codes = np.array([0, 0, 0, 0, 2], dtype=np.intp)
    np.testing.assert_array_equal(group_medians(values, codes, 3), [3.5, np.nan, 7.0])


def test_no_values_gives_nan_for_every_group():
    np.testing.assert_array_equal(group_medians(np.array([], dtype=np.float64), np.array([], dtype=np.intp), 2),
                                  [np.nan, np.nan])


def test_counting_is_used_for_whole_days_and_pandas_beyond_the_cell_bound(monkeypatch):
    calls = []
    original = pd.Series.groupby
    monkeypatch.setattr(pd.Series, "groupby", lambda self, *a, **k: calls.append(1) or original(self, *a, **k))
    days = np.array([0.0, 2.0, 5.0, 9.0])
    codes = np.array([0, 1, 1, 1], dtype=np.intp)
    np.testing.assert_array_equal(group_medians(days, codes, 2), [0.0, 5.0])
    assert calls == []  # counted
    np.testing.assert_array_equal(group_medians(days + 0.5, codes, 2), [0.5, 5.5])
    assert calls == [1]  # not whole: pandas
    infinite = np.array([1.0, np.inf, 3.0])
    np.testing.assert_array_equal(group_medians(infinite, np.array([0, 0, 0], dtype=np.intp), 1), [3.0])
    assert calls == [1, 1]  # not finite: pandas
    wide = np.array([0.0, float(COUNT_CELLS)])
    np.testing.assert_array_equal(group_medians(wide, np.array([0, 0], dtype=np.intp), 1), [COUNT_CELLS / 2])
    assert calls == [1, 1, 1]  # a span past the bound: pandas


def test_region_pairs_are_made_once_per_ledger_and_read_only(demo_ledger, monkeypatch):
    made = []
    original = breakdowns._pairs_made
    monkeypatch.setattr(breakdowns, "_pairs_made", lambda *a: made.append(1) or original(*a))
    ledger = demo_ledger.view({"issues": tuple(c for c in demo_ledger.issues.columns if not c.startswith("_"))})
    for dimension in ("month", "mechanism", "tier"):
        region_cross(ledger, dimension)
    assert made == [1]
    positions, codes, _ = _region_pairs(ledger, ledger.issues)
    assert not positions.flags.writeable and not codes.flags.writeable
    _region_pairs(ledger, ledger.issues.head(3))  # other issues than the ledger's: made afresh
    assert made == [1, 1]
    with pytest.raises(ValueError):
        positions[0] = 1
