"""Claim verdicts on the hand-computed tiny package (as_of 2026-04-30) and the exact arithmetic behind them.

Expected values are worked out by hand from tests/fixtures/tiny; the comments say how.
"""

from __future__ import annotations

from fractions import Fraction

import pytest

from pipeline.figures.claims import (INTERNAL_PAIRS, RESOURCE, Claim, check_claim, claims_of, decimals, exact,
                             internal_checks, period_scope, rate_points, round_half_up, verdict_counts,
                             within_tolerance)
from pipeline.figures.metrics import METRICS

COUNTY, TOWN_A, TOWN_B = "990121000000", "990121001000", "990121002000"


def claim(**fields) -> Claim:
    base = dict(id="T-1", region_name="示例县", region_code=COUNTY, subject="测试", metric="issues_raised", value=8.0,
                unit="个", period_start=None, period_end=None, source_title="测试报道", source_publisher="测试日报",
                source_date="2026-04-30", source_url=None, quote="测试")
    return Claim(**(base | fields))


def verdict(ledger, **fields) -> str:
    return check_claim(ledger, claim(**fields)).verdict


# --- exact arithmetic --------------------------------------------------------------------

def test_numbers_are_compared_as_exact_decimals():
    assert exact(90.55) == Fraction(9055, 100)
    assert exact(0.1) == Fraction(1, 10)  # not 0.1000000000000000055511151231257827…
    assert exact(15039) == 15039
    assert rate_points(393, 434) == Fraction(39300, 434)
    assert decimals(90.55) == 2 and decimals(3.0) == 0 and decimals(100.0) == 0 and decimals(22000.0) == 0


def test_rounding_is_half_up_and_exact():
    assert round_half_up(Fraction(7, 2), 0) == 4
    assert round_half_up(Fraction(-7, 2), 0) == -4
    assert round_half_up(Fraction(5, 2), 0) == 3  # not banker's rounding
    assert round(2.675, 2) == 2.67  # the float trap …
    assert round_half_up(exact(2.675), 2) == Fraction(268, 100)  # … avoided


@pytest.mark.parametrize("claimed,numerator,denominator,consistent", [
    (50.5, 1, 2, True),    # exactly 0.5 points above: consistent
    (49.5, 1, 2, True),    # exactly 0.5 points below: consistent
    (50.51, 1, 2, False),  # 0.51 points: inconsistent
    (49.49, 1, 2, False),
    (90.55, 393, 434, True),  # 90.5530 %
    (100, 15039, 15039, True),
    (29.5, 29, 100, True),   # float says 0.5000000000000036
    (28.5, 29, 100, True),
    (57.5, 57, 100, True),   # float says 0.5000000000000071
    (29.51, 29, 100, False),
])
def test_tolerance_edge_is_inclusive_and_float_safe(claimed, numerator, denominator, consistent):
    assert within_tolerance(exact(claimed), rate_points(numerator, denominator)) is consistent


def test_the_float_trap_is_real():
    # What a naive float comparison would do with the two cases above.
    assert abs(29.5 - 29 / 100 * 100) > 0.5
    assert abs(57.5 - 57 / 100 * 100) > 0.5


# --- period scope --------------------------------------------------------------------------

def test_period_scope_restricts_each_resource_by_its_own_date(tiny_ledger):
    march = period_scope(tiny_ledger, "2026-03-01", "2026-03-31")
    assert sorted(march.issues["id"]) == ["Q-001", "Q-002", "Q-003", "Q-004"]  # by raised_on
    assert sorted(march.meetings["id"]) == ["M-001", "M-002"]  # by held_on
    assert sorted(march.evaluations["id"]) == ["E1", "E2", "E4"]  # by evaluated_on (E3: 04-10)
    assert sorted(march.inspections["id"]) == ["I1", "I2", "I3", "I4"]  # by inspected_on
    assert list(march.item_cases["month"]) == []  # no case row in 2026-03
    assert list(march.surveys["id"]) == []  # both surveys cover 2026-01-01..03-31: not wholly inside March
    assert str(march.as_of.date()) == "2026-03-31"


def test_period_scope_bounds_are_inclusive_and_months_count_whole(tiny_ledger):
    edge = period_scope(tiny_ledger, "2026-03-02", "2026-03-05")
    assert sorted(edge.issues["id"]) == ["Q-001", "Q-002", "Q-003"]  # raised 03-02, 03-03, 03-05
    partial = period_scope(tiny_ledger, "2026-01-15", "2026-01-20")
    assert list(partial.item_cases["cases"]) == [5]  # the 2026-01 row counts although the period is 6 days
    quarter = period_scope(tiny_ledger, "2026-01-01", "2026-03-31")
    assert sorted(quarter.surveys["id"]) == ["S1", "S2"]
    assert len(period_scope(tiny_ledger, "2026-01-02", "2026-03-31").surveys) == 0  # not wholly inside
    assert period_scope(tiny_ledger, None, None).as_of == tiny_ledger.as_of


# --- verdicts on the tiny package --------------------------------------------------------------

@pytest.mark.parametrize("fields,expected", [
    # counts: equal or not
    ({"metric": "issues_raised", "value": 8.0}, "consistent"),
    ({"metric": "issues_raised", "value": 9.0}, "inconsistent"),
    ({"metric": "issues_raised", "value": 4.0, "region_code": TOWN_A}, "consistent"),  # Q-001, -002, -006, -007
    ({"metric": "issues_raised", "value": 3.0, "period_start": "2026-03-02", "period_end": "2026-03-05"}, "consistent"),
    ({"metric": "issues_resolved", "value": 3.0, "period_start": "2026-03-01", "period_end": "2026-03-31"},
     "consistent"),  # Q-003 (Q-004 open)
    ({"metric": "issues_resolved", "value": 1.0, "period_start": "2026-04-01", "period_end": "2026-04-30"},
     "consistent"),
    ({"metric": "meetings_held", "value": 2.0, "period_start": "2026-03-01", "period_end": "2026-03-31"},
     "consistent"),
    ({"metric": "persons_received", "value": 35.0, "period_start": "2026-03-01", "period_end": "2026-03-31"},
     "consistent"),
    ({"metric": "persons_received", "value": 0.0, "period_start": "2026-04-01", "period_end": "2026-04-30"},
     "consistent"),  # M-003 exists, persons empty
    ({"metric": "cases_handled", "value": 8.0, "period_start": "2026-01-01", "period_end": "2026-02-28"},
     "consistent"),  # 5 + 3
    ({"metric": "cases_handled", "value": 3.0, "period_start": "2025-01-01", "period_end": "2025-12-31"},
     "consistent"),  # 2 + 1
    ({"metric": "cases_handled", "value": 5.0, "region_code": TOWN_A, "period_start": "2026-01-01",
      "period_end": "2026-04-30"}, "consistent"),
    # rates: 0.5 points inclusive (on_time_rate 2 / 4 = 50 %)
    ({"metric": "on_time_rate", "value": 50.0, "unit": "%"}, "consistent"),
    ({"metric": "on_time_rate", "value": 50.5, "unit": "%"}, "consistent"),
    ({"metric": "on_time_rate", "value": 49.5, "unit": "%"}, "consistent"),
    ({"metric": "on_time_rate", "value": 50.51, "unit": "%"}, "inconsistent"),
    ({"metric": "on_time_rate", "value": 49.49, "unit": "%"}, "inconsistent"),
    # satisfaction in March: E1 5, E2 2, E4 3 → 2 / 3 = 66.667 %
    ({"metric": "satisfaction_rate", "value": 67.16, "unit": "%", "period_start": "2026-03-01",
      "period_end": "2026-03-31"}, "consistent"),
    ({"metric": "satisfaction_rate", "value": 67.2, "unit": "%", "period_start": "2026-03-01",
      "period_end": "2026-03-31"}, "inconsistent"),
    ({"metric": "survey_satisfaction_rate", "value": 86.67, "unit": "%", "period_start": "2026-01-01",
      "period_end": "2026-03-31"}, "consistent"),  # 39 / 45
    # a median at the precision the source printed: 3.5 days
    ({"metric": "median_days_to_resolve", "value": 3.5, "unit": "天"}, "consistent"),
    ({"metric": "median_days_to_resolve", "value": 4.0, "unit": "天"}, "consistent"),
    ({"metric": "median_days_to_resolve", "value": 3.0, "unit": "天"}, "inconsistent"),
    # states at the period's end
    ({"metric": "items_devolved", "value": 3.0}, "consistent"),  # D3 revoked 2026-02-01
    ({"metric": "items_devolved", "value": 3.0, "period_start": "2026-01-01", "period_end": "2026-01-31"},
     "consistent"),  # D1, D2, D3 (not yet revoked); D4 not yet effective
    ({"metric": "items_devolved", "value": 2.0, "period_end": "2025-05-31"}, "consistent"),  # D3 from 06-01
    ({"metric": "items_zero_use", "value": 1.0, "period_end": "2025-12-31"}, "consistent"),  # D1: first case 2026-01
    ({"metric": "overdue_open", "value": 1.0}, "consistent"),
    # cannot be checked
    ({"metric": "overdue_open", "value": 1.0, "period_end": "2026-03-31"}, "unverifiable"),  # past state
    ({"metric": "items_review_overdue", "value": 1.0, "period_end": "2026-03-31"}, "unverifiable"),
    ({"metric": "items_devolved", "value": 0.0, "period_end": "2025-01-31"}, "unverifiable"),  # none in effect yet
    ({"metric": "inspections_confirmed_rate", "value": 25.0, "unit": "%", "period_start": "2026-04-01",
      "period_end": "2026-04-30"}, "unverifiable"),  # no inspection in April
    ({"metric": "survey_satisfaction_rate", "value": 86.67, "unit": "%", "period_start": "2026-01-02",
      "period_end": "2026-03-31"}, "unverifiable"),  # no survey wholly inside
    ({"metric": "negative_rectified_rate", "value": 0.0, "unit": "%", "period_start": "2026-03-25",
      "period_end": "2026-03-31"}, "unverifiable"),  # E4 only, rated 3: no 差评, denominator 0
    ({"metric": "on_time_rate", "value": 0.5, "unit": None}, "unverifiable"),  # a rate must be in %
    ({"metric": "other", "value": 8.0}, "unverifiable"),
    ({"region_code": None}, "unverifiable"),
    ({"region_code": "990199000000"}, "unverifiable"),  # not in regions
    ({"period_end": "2026-05-31"}, "unverifiable"),  # beyond as_of
    # the source printed no number: decided first
    ({"value": None}, "no_value"),
    ({"value": None, "metric": "other", "region_code": None}, "no_value"),
])
def test_verdict(tiny_ledger, fields, expected):
    assert verdict(tiny_ledger, **fields) == expected


def test_inconsistent_check_carries_both_numbers_and_the_difference(tiny_ledger):
    check = check_claim(tiny_ledger, claim(metric="on_time_rate", value=62.5, unit="%"))
    assert check.verdict == "inconsistent"
    assert (check.computed.numerator, check.computed.denominator) == (2, 4)
    assert check.computed_in_unit == 50 and check.difference == Fraction(25, 2)
    assert check.region_name == "示例县" and check.records == 8 and check.resource == "issues"
    count = check_claim(tiny_ledger, claim(metric="issues_raised", value=9.0))
    assert (count.computed_in_unit, count.difference) == (8, 1)


def test_state_metrics_report_the_day_they_are_taken_at(tiny_ledger):
    at_end = check_claim(tiny_ledger, claim(metric="items_devolved", value=2.0, period_end="2025-05-31"))
    assert at_end.as_of == "2025-05-31" and at_end.records == 2
    issues = check_claim(tiny_ledger, claim(metric="issues_resolved", value=3.0, period_start="2026-03-01",
                                             period_end="2026-03-31"))
    assert issues.as_of == "2026-04-30"  # statuses are the snapshot's


def test_unverifiable_and_no_value_say_why(tiny_ledger):
    assert check_claim(tiny_ledger, claim(value=None)).reason == "出处未给出数字。"
    assert "没有区划代码" in check_claim(tiny_ledger, claim(region_code=None)).reason
    assert check_claim(tiny_ledger, claim(metric="inspections_confirmed_rate", value=1.0, unit="%",
                                          period_start="2026-04-01")).reason == "该地区在统计期间内没有体验官核查记录。"


def test_every_metric_of_the_vocabulary_has_a_resource():
    assert set(RESOURCE) == set(METRICS)


def test_claims_of_reads_the_fixture_claim(tiny_ledger):
    [only] = claims_of(tiny_ledger)
    assert only == claim(id="C-1", subject="办结问题", metric="issues_resolved", value=4.0, period_start="2026-01-01",
                         period_end="2026-04-30", source_title="示例县改革简报", source_publisher="示例日报",
                         quote="示例县已办结问题4个")
    checks = [check_claim(tiny_ledger, only)]
    assert verdict_counts(checks) == {"consistent": 1, "inconsistent": 0, "unverifiable": 0, "no_value": 0}


# --- internal consistency ----------------------------------------------------------------------

def source(id_: str, value: float | None, unit: str, **fields) -> Claim:
    return claim(id=id_, value=value, unit=unit, region_code=None, metric="other", **fields)


def test_internal_pairs_of_the_dari_report():
    claims = [source("R-C-09", 434.0, "项"), source("R-C-10", 393.0, "项"), source("R-C-11", 90.55, "%"),
              source("R-C-13", 15039.0, "件"), source("R-C-14", 15039.0, "件"), source("R-C-15", 100.0, "%")]
    checks = internal_checks(claims)
    assert sorted(checks) == ["R-C-11", "R-C-15"]
    online = checks["R-C-11"]
    assert online.verdict == "consistent"
    assert online.computed_in_unit == Fraction(39300, 434)
    assert online.difference == Fraction(9055, 100) - Fraction(39300, 434)  # −0.00300 points
    assert checks["R-C-15"].verdict == "consistent" and checks["R-C-15"].difference == 0


@pytest.mark.parametrize("rate,expected", [(29.5, "consistent"), (28.5, "consistent"), (29.51, "inconsistent"),
                                           (None, "no_value")])
def test_internal_check_edges(rate, expected):
    pairs = {"X-3": ("X-1", "X-2")}
    claims = [source("X-1", 29.0, "件"), source("X-2", 100.0, "件"), source("X-3", rate, "%")]
    assert internal_checks(claims, pairs)["X-3"].verdict == expected


def test_internal_pair_needs_one_source_and_a_percentage():
    pairs = {"X-3": ("X-1", "X-2")}
    other = source("X-2", 100.0, "件", source_title="另一篇报道")
    # Claims are data from pull requests: a pair that no longer holds is unverifiable, not a crash.
    [(verdict, reason)] = [(c.verdict, c.reason) for c in internal_checks(
        [source("X-1", 29.0, "件"), other, source("X-3", 29.0, "%")], pairs).values()]
    assert (verdict, reason) == ("unverifiable", "比率与分子、分母不在同一报道中")
    [(verdict, reason)] = [(c.verdict, c.reason) for c in internal_checks(
        [source("X-1", 29.0, "件"), source("X-2", 100.0, "件"), source("X-3", 29.0, "件")], pairs).values()]
    assert (verdict, reason) == ("unverifiable", "比率的单位不是 %，或分子、分母的单位不同")
    assert internal_checks([source("X-1", 29.0, "件")], pairs) == {}  # a pair whose claims are absent


def test_the_bundled_pairs_link_rates_to_their_counts():
    assert INTERNAL_PAIRS == {"R-C-11": ("R-C-10", "R-C-09"), "R-C-15": ("R-C-14", "R-C-13")}



@pytest.mark.parametrize(("subject", "reason"), [
    ("问责处理", "“问责处理”在台账中没有对应的记录，无法核对。"),
    ("向基层下沉编制（原文：2.2万余）", "“向基层下沉编制”在台账中没有对应的记录，无法核对。"),  # the note of the wording goes
    ("每周一晚上走村入社的区级领导（3月16日起）", "“每周一晚上走村入社的区级领导（3月16日起）”在台账中没有对应的记录，无法核对。"),
    ("（原文：3万余）", "“（原文：3万余）”在台账中没有对应的记录，无法核对。"),  # never an empty name
])
def test_other_metric_reason_reads_other(tiny_ledger, subject, reason):
    """The defect: the reason read "台账中没有对应的指标（other）"; it now names what the claim counts."""
    check = check_claim(tiny_ledger, claim(metric="other", subject=subject))
    assert (check.verdict, check.reason) == ("unverifiable", reason)
