"""Every metric of the vocabulary on the hand-computed tiny package (tests/fixtures/tiny).

The expected values were worked out by hand from the CSVs; the comments say how.
"""

from __future__ import annotations

import pytest

from pipeline.figures.scope import breakdown, metric_for, scope
from pipeline.figures.metrics import METRICS, Metric, compute_all, last_twelve_months

# as_of 2026-04-30.
EXPECTED = {
    "issues_raised": Metric(8, 8, None),
    "issues_resolved": Metric(4, 4, None),  # Q-001 archived, Q-002 evaluated, Q-003 resolved, Q-008 archived
    "resolution_rate": Metric(4 / 7, 4, 7),  # 8 rows − 1 withdrawn
    # Q-001 same day; Q-002 due 03-06 resolved 03-09 (late); Q-003 due 03-26 resolved 03-20;
    # Q-008 explicit due_on 04-02, resolved 04-03 (late).
    "on_time_rate": Metric(2 / 4, 2, 4),
    # open: Q-004 (due 03-12 < as_of), Q-005 (due 05-06: 劳动节 May 1–5), Q-007 (not assigned: no due).
    "overdue_open": Metric(1, 1, None),
    "median_days_to_resolve": Metric(3.5, None, 4),  # days 0, 6, 15, 1
    "township_resolution_share": Metric(3 / 4, 3, 4),  # Q-002 at county
    "escalated_count": Metric(1, 1, None),
    "meetings_held": Metric(3, 3, None),
    "persons_received": Metric(35, 35, None),  # 10 + 25, M-003 empty
    "items_devolved": Metric(3, 3, None),  # D3 revoked 2026-02-01
    "items_zero_use": Metric(2, 2, None),  # D2 last case 2025-04 (window 2025-05..2026-04), D4 none
    "cases_handled": Metric(11, 11, None),
    "within_promise_rate": Metric(7 / 8, 7, 8),  # rows with within_promise: 4/5, 2/2, 1/1
    "items_review_overdue": Metric(1, 1, None),  # D2: never reviewed, effective 2025-03-01 (425 days)
    "evaluations_count": Metric(4, 4, None),
    "satisfaction_rate": Metric(2 / 4, 2, 4),  # ratings 5, 2, 1, 3
    "very_satisfied_rate": Metric(1 / 4, 1, 4),
    "negative_count": Metric(2, 2, None),
    "negative_rectified_rate": Metric(1 / 2, 1, 2),
    "survey_satisfaction_rate": Metric(39 / 45, 39, 45),  # (10+20+5) + (1+2+1) over 40 + 5
    "inspections_confirmed_rate": Metric(1 / 4, 1, 4),
    "issues_disputed": Metric(1, 1, None),  # Q-002, inspected twice
    # Callbacks: contacted true, false, (empty), true; resolved_view resolved, not_resolved, (empty), partly.
    "response_rate": Metric(2 / 3, 2, 3),
    "solved_rate": Metric(1 / 3, 1, 3),  # partly is not resolved
    "satisfied_rate": Metric(1.9 / 4, 1.9, 4),  # ratings 5, 2, 1, 3: one 4–5 plus 0.9 × one 3
    "composite_score": Metric(100 * (0.1 * 2 / 3 + 0.5 * 1 / 3 + 0.4 * 1.9 / 4), None, 4),
    # Events: Q-002 returned, reassigned, extended; Q-008 reopened. Ever assigned: all but.
    "returned_rate": Metric(1 / 6, 1, 6),
    "reopened_rate": Metric(1 / 4, 1, 4),  # of the four done issues
    "extended_rate": Metric(1 / 6, 1, 6),
    # Duty items: 乙镇's J001 removed 2026-03-31, before as_of; 甲镇's four are in force (S001 from 2026-02-01).
    "duty_items_active": Metric(4, 4, None),
    "duty_shared_share": Metric(2 / 4, 2, 4),  # P001 cooperative, S001 returned_up
    # Burden reports 2025-05…2026-04: 甲镇 312 documents, 122 meetings, 205 forms; 乙镇 (from 2025-11) 99, 39, 60.
    # The 12 months before (2024-05…2025-04): 甲镇's 2025-01…04 only, 112 + 45 + 75. All four cuts by as_of.
    "documents_received_12m": Metric(411, 411, None),
    "meetings_attended_12m": Metric(161, 161, None),
    "report_forms_12m": Metric(265, 265, None),
    "burden_change_rate": Metric(837 / 232 - 1, 837, 232),
    "burden_cuts_count": Metric(4, 4, None),
}


def test_every_metric_of_the_vocabulary_is_pinned():
    assert set(EXPECTED) == set(METRICS)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_metric_on_hand_computed_fixture(tiny_ledger, name):
    got = METRICS[name].fn(tiny_ledger)
    want = EXPECTED[name]
    assert got.numerator == want.numerator and got.denominator == want.denominator
    assert got.value == pytest.approx(want.value)


def test_computed_due_dates_follow_the_calendar(tiny_ledger):
    due = dict(zip(tiny_ledger.issues["id"], tiny_ledger.issues["due"].dt.strftime("%Y-%m-%d")))
    assert due["Q-001"] == "2026-03-02"
    assert due["Q-002"] == "2026-03-06"
    assert due["Q-003"] == "2026-03-26"
    assert due["Q-005"] == "2026-05-06"
    assert due["Q-008"] == "2026-04-02"  # given explicitly


def test_rates_are_fractions_with_numerator_and_denominator(tiny_ledger):
    for name, metric in compute_all(tiny_ledger).items():
        if METRICS[name].kind == "rate":
            assert 0 <= metric.value <= 1
            assert metric.value == pytest.approx(metric.numerator / metric.denominator)


def test_rate_over_nothing_has_no_value(tiny_ledger):
    empty = scope(tiny_ledger, department="no-such-department")
    assert METRICS["on_time_rate"].fn(empty) == Metric(None, 0, 0)


def test_region_includes_everything_below_it(tiny_ledger):
    county = metric_for(tiny_ledger, "issues_raised", region="990121000000")
    by_township = breakdown(tiny_ledger, "issues_raised", "region", ["990121001000", "990121002000"])
    assert county.value == 8
    assert {k: m.value for k, m in by_township.items()} == {"990121001000": 4, "990121002000": 4}
    village = metric_for(tiny_ledger, "issues_raised", region="990121001001")
    assert village.value == 3


@pytest.mark.parametrize("dimension,values", [
    ("department", ["jtj", "zrzyj"]),
    ("mechanism", ["city_meets_in_town", "town_meets_in_village", "monday_night_visit", "hotline", "grid",
                   "villagers_say", "other"]),
    ("month", ["2026-03", "2026-04"]),
    ("region", ["990121001000", "990121002000"]),
])
@pytest.mark.parametrize("name", ["issues_raised", "issues_resolved", "overdue_open", "escalated_count",
                                  "evaluations_count", "negative_count"])
def test_count_breakdowns_add_up_to_the_total(tiny_ledger, name, dimension, values):
    parts = breakdown(tiny_ledger, name, dimension, values)
    assert sum(m.value for m in parts.values()) == METRICS[name].fn(tiny_ledger).value


def test_devolved_items_by_region_count_items_devolved_there(tiny_ledger):
    parts = breakdown(tiny_ledger, "items_devolved", "region", ["990121001000", "990121002000"])
    assert {k: m.value for k, m in parts.items()} == {"990121001000": 2, "990121002000": 2}


def test_meetings_by_department_count_meetings_the_department_attended(tiny_ledger):
    assert metric_for(tiny_ledger, "meetings_held", department="jtj").value == 2
    assert metric_for(tiny_ledger, "meetings_held", department="zrzyj").value == 1


def test_survey_by_mechanism_uses_subject_reference(tiny_ledger):
    assert metric_for(tiny_ledger, "survey_satisfaction_rate", mechanism="monday_night_visit") == Metric(4 / 5, 4, 5)


def test_unsupported_breakdown_is_refused(tiny_ledger):
    with pytest.raises(ValueError, match="items_devolved cannot be broken down by \\['mechanism'\\]"):
        metric_for(tiny_ledger, "items_devolved", mechanism="hotline")


def test_last_twelve_months_window():
    import pandas as pd

    assert last_twelve_months(pd.Timestamp("2026-04-30")) == ("2025-05", "2026-04")
    assert last_twelve_months(pd.Timestamp("2026-01-01")) == ("2025-02", "2026-01")
