"""Burden claims on 报道核对 (figures/claims.py): a claim naming a burden metric is held against the
burden records of its region and period, and only there: a cut without a region is the whole
jurisdiction's (counted for the top region, not for a county or township), the 12-month windows
are taken at the period's last day, and a change is compared in percentage points."""

from __future__ import annotations

import pytest

from pipeline.figures.claims import Claim, check_claim
from pipeline.figures.scope import metric_for


def claim(metric: str, value: float | None, region: str | None, unit: str = "项", start: str | None = None,
          end: str | None = None) -> Claim:
    return Claim(id="T-1", region_name="示例", region_code=region, subject="为基层减负", metric=metric, value=value,
                 unit=unit, period_start=start, period_end=end, source_title="示例", source_publisher="示例日报",
                 source_date="2026-04-30", source_url=None, quote="示例")


def test_cuts_without_a_region_count_for_the_whole_jurisdiction_only(tiny_ledger):
    # tiny cuts: JF-001, JF-002, JF-004 without a region; JF-003 甲镇's own work group
    assert metric_for(tiny_ledger, "burden_cuts_count", region="990100000000").value == 4  # the city: the top
    assert metric_for(tiny_ledger, "burden_cuts_count", region="990121000000").value == 1  # the county: 甲镇's
    assert metric_for(tiny_ledger, "burden_cuts_count", region="990121002000").value == 0
    assert metric_for(tiny_ledger, "burden_cuts_count", department="jtj").value == 1


def test_burden_claim_of_a_township_in_its_period(tiny_ledger):
    check = check_claim(tiny_ledger, claim("burden_cuts_count", 1, "990121001000", start="2026-01-01", end="2026-03-31"))
    assert (check.verdict, check.records, check.computed.value) == ("consistent", 1, 1)
    check = check_claim(tiny_ledger, claim("burden_cuts_count", 3, "990100000000", start="2025-01-01", end="2025-12-31"))
    assert (check.verdict, check.computed.value, check.difference) == ("inconsistent", 2, 1)


def test_burden_claim_of_a_place_without_cuts_is_unverifiable(tiny_ledger):
    check = check_claim(tiny_ledger, claim("burden_cuts_count", 2, "990121002000"))
    assert (check.verdict, check.reason) == ("unverifiable", "该地区在统计期间内没有减负事项记录。")


def test_burden_claim_without_a_region_code_is_unverifiable(tiny_ledger):
    # 青海省税务系统 累计为基层减负 25 项 (R-C-02): the metric matches, the place is not in the ledger
    check = check_claim(tiny_ledger, claim("burden_cuts_count", 25, None))
    assert (check.verdict, check.reason) == ("unverifiable", "该地区不在本台账的区划表中（没有区划代码），台账中没有它的记录。")
    assert check.resource == "burden_cuts" and check.computed is None


def test_twelve_month_claim_is_taken_at_the_period_end(tiny_ledger):
    # 甲镇 documents 2025-02…2026-01: 22+31+29+28+27+26+25+26+25+33+35+24 = 331
    check = check_claim(tiny_ledger, claim("documents_received_12m", 331, "990121001000", unit="件",
                                           start="2025-06-01", end="2026-01-31"))
    assert (check.verdict, check.as_of, check.computed.value) == ("consistent", "2026-01-31", 331)


@pytest.mark.parametrize(("claimed", "verdict"), [(260.8, "consistent"), (260.3, "consistent"),
                                                (259.0, "inconsistent")])
def test_burden_change_claim_in_percentage_points(tiny_ledger, claimed, verdict):
    # the county at 2026-04-30: 837 in 2025-05…2026-04 against 232 in 2024-05…2025-04 → +260.78 %
    check = check_claim(tiny_ledger, claim("burden_change_rate", claimed, "990121000000", unit="%"))
    assert check.verdict == verdict
    assert (check.computed.numerator, check.computed.denominator) == (837, 232)


def test_burden_change_claim_not_in_percent_is_unverifiable(tiny_ledger):
    check = check_claim(tiny_ledger, claim("burden_change_rate", -0.2, "990121000000", unit=None))
    assert (check.verdict, check.reason) == ("unverifiable", "比率应以百分数（单位 %）报道，才能与台账比较。")
