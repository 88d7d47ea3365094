"""Integers the site can publish exactly (issue #15): no count or total above 2⁵³−1, none wrapped.

The standard gives integer fields a minimum of 0 and no maximum, so counts up to 2⁶³−1 passed
validation and the metric sums wrapped around int64 silently: surveys.very_satisfied =
9223372036854775807 made survey_satisfaction_rate 1.0 over −9223372036854775808, two item_cases.cases at
that value made cases_handled 1. Now validation refuses such data in both engines (integer-too-large,
total-too-large: pipeline/validate/rules_totals.py) and the figures sum exactly or stop the build.
Each fixture in tests/fixtures/overflow/ is the tiny package's file carrying the defect it is named after.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.build import BuildConfig, InvalidData, build
from pipeline.core.errors import BuildError
from pipeline.core.ledger import build_ledger
from pipeline.core.package import load
from pipeline.figures import items as figure_items
from pipeline.figures import metrics as m
from pipeline.figures.registry import METRICS
from pipeline.validate import validate
from pipeline.validate.rules import RULES, run_rule
from pipeline.validate.rules_totals import SAFE_INTEGER, TOTALLED, exact_total
from tests.conftest import make_tiny

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "overflow"
INT64_MAX = 2 ** 63 - 1
HALF = 2 ** 52  # two of them make 2⁵³, one more than the largest exact integer

# fixture → (the tiny package's file it replaces, the findings both engines give: file, row, field, code, value)
DEFECTS = {
    "surveys_count_near_int64_max": ("surveys.csv", [
        ("surveys.csv", 2, "very_satisfied", "integer-too-large", str(INT64_MAX))]),
    "surveys_grades_total_over_2_53": ("surveys.csv", [
        ("surveys.csv", 2, "very_satisfied", "total-too-large", str(HALF))]),
    "item_cases_near_int64_max": ("item_cases.csv", [
        ("item_cases.csv", 2, "cases", "integer-too-large", str(INT64_MAX)),
        ("item_cases.csv", 3, "cases", "integer-too-large", str(INT64_MAX))]),
    "item_cases_total_over_2_53": ("item_cases.csv", [
        ("item_cases.csv", 2, "cases", "total-too-large", str(HALF))]),
    "meetings_persons_total_over_2_53": ("meetings.csv", [
        ("meetings.csv", 2, "persons_received", "total-too-large", str(HALF))]),
    "devolved_items_limit_over_2_53": ("devolved_items.csv", [
        ("devolved_items.csv", 2, "statutory_limit", "integer-too-large", str(2 ** 53))]),
}


def with_defect(folder: Path, fixture: str) -> Path:
    target, _ = DEFECTS.get(fixture, ("item_cases.csv", None))
    shutil.copy(FIXTURES / f"{fixture}.csv", folder / target)
    return folder


def flat(report) -> list[tuple]:
    return [(f.path, f.row, f.field, f.code, f.value) for f in report.findings]


@pytest.mark.parametrize("fixture", sorted(DEFECTS))
def test_counts_beyond_2_53_pass_validation(tiny, fixture):
    """Both engines refuse the defect with the same exact findings, and nothing else."""
    with_defect(tiny, fixture)
    fast, _ = validate(tiny, engine="fast")
    reference, _ = validate(tiny, engine="frictionless")
    assert flat(fast) == DEFECTS[fixture][1]
    assert [(f.message_zh, f.fix_zh) for f in reference.findings] == [(f.message_zh, f.fix_zh) for f in fast.findings]
    assert flat(reference) == flat(fast)
    assert all(f.severity == "error" for f in fast.findings)


def test_integer_too_large_names_the_field_its_title_the_rule_and_the_fix(tiny):
    with_defect(tiny, "surveys_count_near_int64_max")
    report, _ = validate(tiny)
    (finding,) = report.findings
    assert finding.message_zh == ("字段 very_satisfied（非常满意）的值 9223372036854775807 超过 9007199254740991（2⁵³−1）："
                                  "网站的脚本和多数 JSON 读取程序无法精确表示这么大的整数，公布出来的数字会是错的。")
    assert finding.fix_zh == "核对该行的数值：是否多输入了数字，或把编号、证件号等误填进了这一列；人次、件数不会这么大。"
    assert finding.record == "S1"


def test_total_too_large_names_the_total_and_the_row_with_the_largest_value(tiny):
    with_defect(tiny, "item_cases_total_over_2_53")
    report, _ = validate(tiny)
    (finding,) = report.findings
    assert finding.message_zh == ("cases（办件量）在全部数据中的合计为 9007199254740995，超过 9007199254740991（2⁵³−1）："
                                  "网站的脚本和多数 JSON 读取程序无法精确表示这么大的整数，公布的合计会是错的。"
                                  "本行的 cases（办件量）为 4503599627370496，是其中最大的值。")
    assert finding.fix_zh.startswith("核对该行的数值：")


def test_survey_grades_total_over_2_53_counts_all_five_grades(tiny):
    """Each grade's own total fits, but the survey rate's denominator adds the five: that is refused."""
    with_defect(tiny, "surveys_grades_total_over_2_53")
    report, _ = validate(tiny)
    (finding,) = report.findings
    assert "very_satisfied（非常满意）、satisfied（满意）、basic（基本满意）、dissatisfied（不满意）、" \
           "very_dissatisfied（非常不满意）在全部数据中的合计为 9007199254741007" in finding.message_zh


# --- defence in depth: the figures never wrap ---------------------------------------------------

def unvalidated_ledger(folder: Path):
    return build_ledger(load(folder))


def test_cases_handled_wraps_around_int64(tiny):
    ledger = unvalidated_ledger(with_defect(tiny, "item_cases_near_int64_max"))
    with pytest.raises(BuildError) as raised:
        m.cases_handled(ledger)
    assert str(raised.value) == ("item_cases.cases 的合计 18446744073709551617 超出能精确公布的范围（0 至 9007199254740991），"
                                 "未发布任何内容；请运行 ledger validate，按提示核对这些数值后重新构建。")
    with pytest.raises(BuildError, match="^item_cases.within_promise 的合计|^item_cases.cases 的合计"):
        m.within_promise_rate(ledger)


def test_survey_satisfaction_rate_wraps_around_int64(tiny):
    ledger = unvalidated_ledger(with_defect(tiny, "surveys_count_near_int64_max"))
    with pytest.raises(BuildError, match="^surveys.very_satisfied、surveys.satisfied、surveys.basic 的合计 "
                                         "9223372036854775836 超出能精确公布的范围"):
        m.survey_satisfaction_rate(ledger)


def test_persons_received_total_over_2_53_is_rounded(tiny):
    ledger = unvalidated_ledger(with_defect(tiny, "meetings_persons_total_over_2_53"))
    with pytest.raises(BuildError, match="^meetings.persons_received 的合计 9007199254740992 "):
        m.persons_received(ledger)


def test_time_saved_limit_over_2_53_is_rounded(tiny):
    ledger = unvalidated_ledger(with_defect(tiny, "devolved_items_limit_over_2_53"))
    with pytest.raises(BuildError, match="^devolved_items.statutory_limit 的合计 9007199254740992 "):
        figure_items.time_saved(ledger)


# --- the built summary ---------------------------------------------------------------------------

def sane(summary: dict) -> list[str]:
    """What in summary.json no count or rate may be: negative counts, rates outside [0, 1], unsafe integers."""
    wrong = []
    for name, metric in summary["metrics"].items():
        numbers = [metric[k] for k in ("value", "numerator", "denominator") if isinstance(metric[k], int)]
        if any(n < 0 or n > SAFE_INTEGER for n in numbers):
            wrong.append(f"{name}: {metric}")
        if METRICS[name].kind == "rate" and metric["value"] is not None and not 0 <= metric["value"] <= 1:
            wrong.append(f"{name}: {metric}")
    return wrong


def test_summary_holds_a_wrapped_count(tmp_path):
    """The issue's data is refused (nothing is published); the largest total that fits is published exactly."""
    for fixture in ("surveys_count_near_int64_max", "item_cases_near_int64_max"):
        folder = with_defect(make_tiny(tmp_path / fixture / "data"), fixture)
        out = tmp_path / fixture / "public"
        with pytest.raises(InvalidData) as refused:
            build(BuildConfig(data=folder, out=out))
        assert {f.code for f in refused.value.report.errors} == {"integer-too-large"}
        assert not (out / "api/v1/summary.json").exists()
    folder = make_tiny(tmp_path / "fits" / "data")
    shutil.copy(FIXTURES / "item_cases_total_exactly_2_53_minus_1.csv", folder / "item_cases.csv")
    result = build(BuildConfig(data=folder, out=tmp_path / "fits" / "public"))
    summary = json.loads((result.out / "api/v1/summary.json").read_text(encoding="utf-8"))
    assert summary["metrics"]["cases_handled"] == {"value": SAFE_INTEGER, "numerator": SAFE_INTEGER, "denominator": None}
    assert sane(summary) == []


# --- property tests --------------------------------------------------------------------------------

@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(-(2 ** 63), INT64_MAX), max_size=40))
def test_exact_total_of_int64_wraps(values):
    assert exact_total(np.array(values, dtype=np.int64)) == sum(values)
    assert exact_total(pd.Series(values + [None], dtype="Int64")) == sum(values)


COUNT = st.one_of(st.integers(0, INT64_MAX), st.integers(0, 2 ** 20), st.integers(HALF - 8, HALF + 8),
                  st.integers(SAFE_INTEGER - 2, SAFE_INTEGER + 2), st.none())
TOTAL_RULES = [spec for spec in RULES if spec.name in ("integers_publishable", "totals_publishable")]


@settings(max_examples=150, deadline=None)
@given(cases=st.lists(COUNT, min_size=1, max_size=8))
def test_total_finding_iff_exact_total_over_2_53(tiny_ledger, cases):
    """Random non-negative counts in item_cases.cases: a cell above 2⁵³−1 is integer-too-large; otherwise one
    total-too-large, on the first row holding the largest value, exactly when the exact total is above 2⁵³−1."""
    frame = pd.DataFrame({"_path": "item_cases.csv", "_row": range(2, 2 + len(cases)),
                          "cases": pd.array(cases, dtype="Int64"), "within_promise": pd.array([None] * len(cases), dtype="Int64")})
    ledger = replace(tiny_ledger, frames={**tiny_ledger.frames, "item_cases": frame})
    found = sorted((f.row, f.field, f.code, f.value) for spec in TOTAL_RULES for f in run_rule(spec, ledger)
                   if f.resource == "item_cases")
    given_ = [c for c in cases if c is not None]
    too_large = [(i + 2, "cases", "integer-too-large", str(c)) for i, c in enumerate(cases) if c is not None and c > SAFE_INTEGER]
    if too_large:
        assert found == too_large
    elif sum(given_) > SAFE_INTEGER:
        largest = max(given_)
        assert found == [(cases.index(largest) + 2, "cases", "total-too-large", str(largest))]
        (finding,) = [f for spec in TOTAL_RULES for f in run_rule(spec, ledger)]
        assert f"合计为 {sum(given_)}，" in finding.message_zh
    else:
        assert found == []


def test_totalled_fields_are_integer_fields_of_the_standard(tiny_ledger):
    """The rule's data names only integer fields the standard has (burden_reports is added with its resource)."""
    package = tiny_ledger.package
    for resource, groups in TOTALLED.items():
        for group in groups:
            assert {package.field(resource, f)["type"] for f in group} == {"integer"}
