"""Validation of the burden resources (data-standard.md, "Burden reduction — 基层减负").

Each defect has its fixture in tests/fixtures/burden/, named after it: the tiny package's
burden_reports.csv or burden_cuts.csv with that one defect. Both engines must report exactly the
same findings; the exact file, spreadsheet row, field and code are asserted. The rules: a report
belongs to a township or a street; its month is not after the month of as_of; cut_on ≤ as_of;
foreign keys (regions, departments); primary key (region_code, month); kind from the list.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.core import findings as fd
from pipeline.core.codes import CODES
from pipeline.validate import validate
from tests.conftest import make_tiny

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "burden"
REPORTS, CUTS = "burden_reports.csv", "burden_cuts.csv"


def both(folder: Path) -> list[fd.Finding]:
    """The findings, after asserting that both engines report exactly the same ones."""
    fast, _ = validate(folder, engine="fast")
    reference, _ = validate(folder, engine="frictionless")
    assert fast.findings == reference.findings
    return list(fast.findings)


def with_fixture(tiny: Path, defect: str) -> list[fd.Finding]:
    """The tiny package with the burden file carrying ``defect`` in place of its own."""
    source = FIXTURES / f"{defect}.csv"
    target = REPORTS if source.read_text(encoding="utf-8").startswith("region_code,month,") else CUTS
    shutil.copy(source, tiny / target)
    return both(tiny)


def flat(findings: list[fd.Finding]) -> list[tuple]:
    return [(f.path, f.row, f.field, f.code) for f in findings]


def test_the_tiny_burden_rows_are_valid(tiny):
    assert both(tiny) == []
    _, ledger = validate(tiny, engine="fast")
    assert (len(ledger.frames["burden_reports"]), len(ledger.frames["burden_cuts"])) == (22, 4)


def test_every_defect_has_its_test():
    tests = {name[len("test_"):] for name in globals() if name.startswith("test_")}
    assert {path.stem for path in FIXTURES.glob("*.csv")} <= tests


# --- burden_reports --------------------------------------------------------------------------------

def test_report_of_a_village(tiny):
    found = with_fixture(tiny, "report_of_a_village")
    assert flat(found) == [(REPORTS, 3, "region_code", "burden-level")]
    assert found[0].message_zh == ("基层负担监测的乡镇（街道）（region_code）990121001001 是村，"
                                   "负担监测每行只记一个乡镇或街道。")
    assert found[0].fix_zh.startswith("填写被监测的乡镇或街道的区划代码")
    assert found[0].severity == fd.ERROR


def test_report_of_a_county(tiny):
    found = with_fixture(tiny, "report_of_a_county")
    assert flat(found) == [(REPORTS, 4, "region_code", "burden-level")]
    assert "990121000000 是县(市、区)" in found[0].message_zh


def test_report_of_an_unknown_region(tiny):
    assert flat(with_fixture(tiny, "report_of_an_unknown_region")) == [(REPORTS, 5, "region_code", "foreign-key")]


def test_report_month_after_as_of(tiny):
    found = with_fixture(tiny, "report_month_after_as_of")
    assert flat(found) == [(REPORTS, 23, "month", "date-after-as-of")]
    assert found[0].message_zh == "字段 month 的日期 2026-05 晚于数据截止日 2026-04-30。"


def test_report_month_of_as_of_is_fine(tiny):
    assert with_fixture(tiny, "report_month_after_as_of") != []
    shutil.copy(FIXTURES.parent / "tiny" / REPORTS, tiny / REPORTS)  # 2026-04 is the month of as_of
    assert both(tiny) == []


def test_report_month_written_as_a_date(tiny):
    assert flat(with_fixture(tiny, "report_month_written_as_a_date")) == [(REPORTS, 6, "month", "type-error")]


def test_report_twice_for_a_month(tiny):
    found = with_fixture(tiny, "report_twice_for_a_month")
    assert flat(found) == [(REPORTS, 7, "region_code+month", "primary-key")]
    assert found[0].message_zh == "这一行的 region_code+month 组合与第 6 行重复。"


def test_report_negative_meetings(tiny):
    found = with_fixture(tiny, "report_negative_meetings")
    assert flat(found) == [(REPORTS, 8, "meetings_attended", "constraint-error")]
    assert found[0].message_zh == "字段 meetings_attended 的值“-3”不符合要求：不能小于 0。"


def test_report_without_documents(tiny):
    assert flat(with_fixture(tiny, "report_without_documents")) == [
        (REPORTS, 9, "documents_received", "constraint-error")]


# --- burden_cuts -------------------------------------------------------------------------------------

def test_cut_after_as_of(tiny):
    found = with_fixture(tiny, "cut_after_as_of")
    assert flat(found) == [(CUTS, 5, "cut_on", "date-after-as-of")]
    assert found[0].message_zh == "字段 cut_on 的日期 2026-05-04 晚于数据截止日 2026-04-30。"


def test_cut_of_an_unknown_kind(tiny):
    found = with_fixture(tiny, "cut_of_an_unknown_kind")
    assert flat(found) == [(CUTS, 2, "kind", "constraint-error")]
    assert found[0].message_zh == (
        "字段 kind 的值“证明事项”不符合要求：只能是以下之一：certificate（证明事项）、report_form（报表）、"
        "app（政务应用程序）、work_group（工作群）、meeting（会议）、document（文件）、inspection（督查检查考核）。")


def test_cut_of_an_unknown_department(tiny):
    assert flat(with_fixture(tiny, "cut_of_an_unknown_department")) == [(CUTS, 3, "department", "foreign-key")]


def test_cut_of_an_unknown_region(tiny):
    assert flat(with_fixture(tiny, "cut_of_an_unknown_region")) == [(CUTS, 4, "region_code", "foreign-key")]


def test_cut_id_twice(tiny):
    assert flat(with_fixture(tiny, "cut_id_twice")) == [(CUTS, 3, "id", "unique-error")]


def test_cut_without_source_ref(tiny):
    assert flat(with_fixture(tiny, "cut_without_source_ref")) == [(CUTS, 5, "source_ref", "constraint-error")]


def test_burden_level_code_is_catalogued():
    info = CODES["burden-level"]
    assert (info.group, info.title_zh) == ("跨字段规则", "负担监测不属于乡镇（街道）")


# --- the rules against a plain reading of the standard (hypothesis) -------------------------------------

# tiny regions: 甲镇, 乙镇 (townships), 甲一村 (village), 示例县 (county), and a code that is not there
REGIONS = {"990121001000": "township", "990121002000": "township", "990121001001": "village",
           "990121000000": "county", "990121009000": None}
COUNTS = ("documents_received", "meetings_attended", "report_forms")
AS_OF_MONTH = "2026-04"


def expected(rows: list[tuple[str, str, int, int, int]]) -> list[tuple]:
    """What the standard says of these burden_reports rows, in the order validation reports."""
    structural, keys, foreign, rules = [], [], [], []
    seen: dict[tuple[str, str], int] = {}
    for number, (region, month, *counts) in enumerate(rows, start=2):
        structural += [(REPORTS, number, name, "constraint-error") for name, n in zip(COUNTS, counts) if n < 0]
        if (region, month) in seen:
            keys.append((REPORTS, number, "region_code+month", "primary-key"))
        seen.setdefault((region, month), number)
        if REGIONS[region] is None:
            foreign.append((REPORTS, number, "region_code", "foreign-key"))
        if month > AS_OF_MONTH:
            rules.append((REPORTS, number, "month", "date-after-as-of"))
    levels = [(REPORTS, n, "region_code", "burden-level")
              for n, (region, *_rest) in enumerate(rows, start=2) if REGIONS[region] in ("village", "county")]
    return structural, keys, foreign, rules + levels


ROWS = st.lists(st.tuples(st.sampled_from(sorted(REGIONS)),
                          st.sampled_from(["2025-04", "2025-12", "2026-04", "2026-05", "2027-01"]),
                          st.integers(-1, 60), st.integers(-1, 30), st.integers(-1, 40)),
                min_size=1, max_size=6)


@pytest.fixture(scope="module")
def tiny_for_reports(tmp_path_factory) -> Path:
    return make_tiny(tmp_path_factory.mktemp("burden") / "tiny")


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=ROWS)
def test_burden_report_rules_match_the_standard(tiny_for_reports, rows):
    with (tiny_for_reports / REPORTS).open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["region_code", "month", *COUNTS, "inspections_received", "work_groups"])
        writer.writerows([[*row, "", ""] for row in rows])
    found = flat(both(tiny_for_reports))
    structural, keys, foreign, rules = expected(rows)
    assert sorted(found) == sorted(structural + keys + foreign + rules)
