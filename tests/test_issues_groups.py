"""The issues pages' grouped figures are exactly the metric functions' output.

``figures.breakdowns`` totals, per group in one pass, the per-issue terms the issue metrics count and
applies each metric's own formula (``metrics.ISSUE_TERMS`` / ``ISSUE_COMBINE``); here every group is
checked against ``scope.metric_for``, which reaches the group another way (scoping the ledger, regions
with everything below them): on the tiny package against the full ledger, on the 600-issue demo against
a ledger that keeps only the issues, which is all the issue metrics read, so scoping is fast. A
row-by-row recomputation from the written definitions is in tests/test_figures_registry.py.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from pipeline.figures.scope import metric_for, scope
from pipeline.figures.metrics import METRICS, Metric
from pipeline.figures.breakdowns import (DIMENSIONS, ISSUE_METRICS, all_breakdowns, breakdown_figures,
                                       dimension_values, issue_figures, league_window, region_cross)


def issues_only(ledger):
    """The ledger with every frame but issues emptied: issue metrics and scope() behave the same, faster."""
    frames = {name: frame if name == "issues" else frame.iloc[0:0] for name, frame in ledger.frames.items()}
    frames["regions"] = ledger.regions
    return replace(ledger, frames=frames)


@pytest.mark.parametrize("dimension", DIMENSIONS)
def test_every_group_equals_metric_for_on_tiny(tiny_ledger, dimension):
    groups = breakdown_figures(tiny_ledger, dimension)
    assert list(groups) == dimension_values(tiny_ledger, dimension)
    for value, figures in groups.items():
        for name in ISSUE_METRICS:
            assert figures[name] == metric_for(tiny_ledger, name, **{dimension: value}), (dimension, value, name)


@pytest.mark.parametrize("dimension", DIMENSIONS)
def test_every_group_equals_metric_for_on_demo(demo_ledger, dimension):
    ledger = issues_only(demo_ledger)
    groups = all_breakdowns(demo_ledger)[dimension]
    assert len(groups) == len(dimension_values(demo_ledger, dimension))
    for value, figures in groups.items():
        scoped = scope(ledger, **{dimension: value})  # what metric_for does, once per group
        assert figures == {name: METRICS[name].fn(scoped) for name in ISSUE_METRICS}, (dimension, value)


@pytest.mark.parametrize("dimension", ["month", "mechanism", "tier"])
def test_region_cross_tables_equal_metric_for_with_two_filters(tiny_ledger, dimension):
    cross = region_cross(tiny_ledger, dimension)
    for region in tiny_ledger.regions["code"]:
        for value in dimension_values(tiny_ledger, dimension):
            scoped = scope(tiny_ledger, region=region, **{dimension: value})  # metric_for, once per pair
            want = {name: METRICS[name].fn(scoped) for name in ISSUE_METRICS}
            got = cross.get((region, value))
            if got is None:  # absent pairs are pairs without issues
                assert want["issues_raised"].value == 0, (region, value)
            else:
                assert got == want, (region, value)


def test_region_cross_on_demo_for_a_county_and_a_township(demo_ledger):
    ledger = issues_only(demo_ledger)
    cross = region_cross(demo_ledger, "month")
    for region in ("990121000000", "990121001000", "990102001000"):
        for month in dimension_values(demo_ledger, "month"):
            scoped = scope(ledger, region=region, month=month)
            want = {name: METRICS[name].fn(scoped) for name in ISSUE_METRICS}
            assert cross.get((region, month), None) in (want, None)
            if (region, month) not in cross:
                assert want["issues_raised"].value == 0


def test_single_group_figures_are_the_metric_functions(tiny_ledger):
    issues = tiny_ledger.issues
    escalated = issues[issues["escalated"]]
    figures = issue_figures(tiny_ledger, escalated)
    assert figures["issues_raised"] == Metric(1, 1, None)
    assert figures["overdue_open"] == Metric(1, 1, None)
    assert figures["on_time_rate"] == Metric(None, 0, 0)


def test_tiny_breakdowns_by_hand(tiny_ledger):
    by_region = breakdown_figures(tiny_ledger, "region")
    # 甲镇: Q-001, Q-002 (甲一村), Q-006 withdrawn and Q-007 registered (Q-006 at the township itself).
    assert by_region["990121001000"]["issues_raised"] == Metric(4, 4, None)
    assert by_region["990121001000"]["resolution_rate"] == Metric(2 / 3, 2, 3)
    assert by_region["990121001000"]["on_time_rate"] == Metric(1 / 2, 1, 2)  # Q-002 late
    # 乙镇: Q-003 on time, Q-008 late, Q-004 overdue, Q-005 open.
    assert by_region["990121002000"]["overdue_open"] == Metric(1, 1, None)
    assert by_region["990121002000"]["median_days_to_resolve"] == Metric(8, None, 2)  # 15 and 1 days
    by_department = breakdown_figures(tiny_ledger, "department")
    assert by_department["jtj"]["issues_raised"].value == 4
    assert by_department["zrzyj"]["township_resolution_share"] == Metric(1.0, 2, 2)


@pytest.mark.parametrize("dimension", DIMENSIONS)
@pytest.mark.parametrize("name", ["issues_raised", "issues_resolved", "overdue_open", "escalated_count"])
def test_counts_add_up_to_the_total(demo_ledger, dimension, name):
    groups = all_breakdowns(demo_ledger)[dimension]
    total = METRICS[name].fn(demo_ledger).value
    if dimension == "region":
        # Regions nest: the counties add up to the whole (the city itself has no issues in the demo).
        counties = demo_ledger.regions.loc[demo_ledger.regions["level"].eq("county"), "code"]
        assert sum(groups[c][name].value for c in counties) == total
        root = demo_ledger.regions.loc[demo_ledger.regions["parent_code"].isna(), "code"].iloc[0]
        assert groups[root][name].value == total
    else:
        assert sum(f[name].value for f in groups.values()) == total


def test_league_window_is_twelve_months_ending_with_as_of(tiny_ledger):
    window = league_window(tiny_ledger)
    assert (window.first, window.last) == ("2025-05", "2026-04")
    assert len(window.issues(tiny_ledger)) == 8
