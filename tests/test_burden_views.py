"""基层减负 views (pipeline/figures/burden_views.py) on small hand-made frames: exact values."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.figures.burden_views import (Cut, Demander, MonthLoad, Option, cut_list, demanders, filter_options,
                                           month_span, monthly_series, town_series,
                                           latest_reported, uneven_coverage)

AS_OF = pd.Timestamp("2026-03-15")
KINDS = {"certificate": "证明事项", "report_form": "报表", "app": "政务应用程序", "work_group": "工作群",
         "meeting": "会议", "document": "文件", "inspection": "督查检查考核"}
DEPARTMENTS = {"civil": "民政局", "health": "卫健局", "police": "公安局"}
REGIONS = {"990101": "东湖镇", "990102": "西山街道"}


def reports(rows: list[tuple]) -> pd.DataFrame:
    """(region_code, month, documents, meetings, report_forms) rows, typed as the ledger types them."""
    frame = pd.DataFrame(rows, columns=["region_code", "month", "documents_received", "meetings_attended",
                                        "report_forms"])
    return frame.astype({c: "Int64" for c in ("documents_received", "meetings_attended", "report_forms")})


def cuts(rows: list[tuple]) -> pd.DataFrame:
    """(id, region_code, kind, name, cut_on, department, source_ref) rows."""
    frame = pd.DataFrame(rows, columns=["id", "region_code", "kind", "name", "cut_on", "department", "source_ref"])
    frame["cut_on"] = pd.to_datetime(frame["cut_on"]).astype("datetime64[us]")
    return frame


def test_month_span_crosses_year():
    assert month_span("2025-11", "2026-02") == ["2025-11", "2025-12", "2026-01", "2026-02"]
    assert month_span("2026-03", "2026-02") == []


def test_monthly_series_sums_townships_per_month():
    frame = reports([("990101", "2026-01", 10, 4, 3), ("990102", "2026-01", 5, 2, 1),
                     ("990101", "2026-02", 8, 3, 2), ("990102", "2026-03", 6, 1, 0)])
    assert monthly_series(frame, AS_OF) == [MonthLoad("2026-01", 15, 6, 4, 2), MonthLoad("2026-02", 8, 3, 2, 1),
                                            MonthLoad("2026-03", 6, 1, 0, 1)]
    assert monthly_series(frame, AS_OF)[0].total == 25


def test_month_without_report_is_not_zero():
    """A month nobody reported is listed with no values, never as a month of zero load."""
    frame = reports([("990101", "2025-12", 10, 4, 3), ("990101", "2026-02", 8, 3, 2)])
    assert monthly_series(frame, AS_OF) == [MonthLoad("2025-12", 10, 4, 3, 1), MonthLoad("2026-01", None, None, None, 0),
                                            MonthLoad("2026-02", 8, 3, 2, 1), MonthLoad("2026-03", None, None, None, 0)]
    assert monthly_series(frame, AS_OF)[1].total is None


def test_report_after_as_of_month_not_counted():
    frame = reports([("990101", "2026-03", 1, 1, 1), ("990101", "2026-04", 100, 100, 100), ("990101", None, 9, 9, 9)])
    assert monthly_series(frame, AS_OF) == [MonthLoad("2026-03", 1, 1, 1, 1)]


def test_monthly_series_of_no_reports_is_empty():
    assert monthly_series(reports([]), AS_OF) == []
    assert town_series(reports([]), AS_OF, ["990101"]) == {"990101": []}


def test_town_series_share_the_jurisdiction_span():
    """A township that began reporting later still gets the same months, empty before its first report;
    a township without reports gets every month empty."""
    frame = reports([("990101", "2026-01", 10, 4, 3), ("990102", "2026-02", 5, 2, 1)])
    series = town_series(frame, AS_OF, ["990101", "990102", "990103"])
    assert series["990101"] == [MonthLoad("2026-01", 10, 4, 3, 1), MonthLoad("2026-02", None, None, None, 0),
                                MonthLoad("2026-03", None, None, None, 0)]
    assert series["990102"] == [MonthLoad("2026-01", None, None, None, 0), MonthLoad("2026-02", 5, 2, 1, 1),
                                MonthLoad("2026-03", None, None, None, 0)]
    assert [m.reports for m in series["990103"]] == [0, 0, 0]


def test_sum_over_changing_number_of_reports_is_flagged():
    """A month summing two townships next to months summing one is not a rise in load: flagged."""
    even = monthly_series(reports([("990101", "2026-01", 1, 1, 1), ("990101", "2026-03", 1, 1, 1)]), AS_OF)
    uneven = monthly_series(reports([("990101", "2026-01", 1, 1, 1), ("990101", "2026-02", 1, 1, 1),
                                     ("990102", "2026-02", 1, 1, 1)]), AS_OF)
    assert (uneven_coverage(even), uneven_coverage(uneven)) == (False, True)
    assert latest_reported(even) == MonthLoad("2026-03", 1, 1, 1, 1)
    assert latest_reported(uneven) == MonthLoad("2026-02", 2, 2, 2, 2)
    assert latest_reported([MonthLoad("2026-01", None, None, None, 0)]) is None


CUTS = cuts([
    ("C1", None, "certificate", "居住证明", "2025-06-01", "police", "县减负办〔2025〕3号"),
    ("C2", "990101", "report_form", "低保月报", "2026-01-10", "civil", "县减负办〔2026〕1号"),
    ("C3", None, "app", "健康打卡", "2026-01-10", "health", "县减负办〔2026〕1号"),
    ("C4", None, "report_form", "养老统计表", "2025-09-01", "civil", "县减负办〔2025〕5号"),
    ("C5", "990102", "work_group", "防疫群", "2026-02-01", None, "西山街道通知"),
    ("C6", None, "certificate", "亲属关系证明", "2026-04-01", "police", "县减负办〔2026〕9号"),
    ("C7", None, "certificate", "无犯罪证明", "2025-11-01", "police", "县减负办〔2025〕7号"),
])


def test_cut_list_newest_first_with_chinese_labels():
    rows = cut_list(CUTS, AS_OF, KINDS, DEPARTMENTS, REGIONS)
    assert [r.id for r in rows] == ["C5", "C2", "C3", "C7", "C4", "C1"]  # same day: by id
    assert rows[0] == Cut(id="C5", name="防疫群", kind="work_group", kind_label="工作群", cut_on="2026-02-01",
                          department=None, department_label="未注明", region_code="990102", region_label="西山街道",
                          source_ref="西山街道通知")
    assert rows[1].kind_label == "报表" and rows[1].department_label == "民政局" and rows[1].region_label == "东湖镇"
    assert rows[2].region_label == "全域"


def test_cut_after_as_of_not_listed():
    assert "C6" not in [r.id for r in cut_list(CUTS, AS_OF, KINDS, DEPARTMENTS, REGIONS)]


def test_unknown_department_code_shown_as_code():
    frame = cuts([("X", None, "meeting", "例会", "2026-01-01", "gone", "通知")])
    assert cut_list(frame, AS_OF, KINDS, DEPARTMENTS, REGIONS)[0].department_label == "gone"


def test_demanders_ranked_by_attributed_cuts():
    ranking = demanders(CUTS, AS_OF, DEPARTMENTS, KINDS)
    assert ranking.rows == [Demander(1, "civil", "民政局", 2, {"报表": 2}),
                            Demander(1, "police", "公安局", 2, {"证明事项": 2}),
                            Demander(3, "health", "卫健局", 1, {"政务应用程序": 1})]
    assert (ranking.attributed, ranking.unattributed) == (5, 1)


def test_demanders_tie_shares_rank_and_kinds_in_standard_order():
    frame = cuts([("A", None, "app", "a", "2026-01-01", "civil", "s"),
                  ("B", None, "certificate", "b", "2026-01-01", "civil", "s"),
                  ("C", None, "certificate", "c", "2026-01-01", "health", "s"),
                  ("D", None, "app", "d", "2026-01-01", "health", "s")])
    ranking = demanders(frame, AS_OF, DEPARTMENTS, KINDS)
    assert [(r.rank, r.code) for r in ranking.rows] == [(1, "civil"), (1, "health")]
    assert list(ranking.rows[0].by_kind) == ["证明事项", "政务应用程序"]


def test_cut_filter_options_hold_counts():
    kinds, departments = filter_options(cut_list(CUTS, AS_OF, KINDS, DEPARTMENTS, REGIONS), KINDS)
    assert kinds == [Option("certificate", "证明事项", 2), Option("report_form", "报表", 2),
                     Option("app", "政务应用程序", 1), Option("work_group", "工作群", 1)]
    assert departments == [Option("police", "公安局", 2), Option("civil", "民政局", 2),
                           Option("health", "卫健局", 1), Option("-", "未注明", 1)]


# --- properties -------------------------------------------------------------------------------

MONTHS = [f"{y}-{m:02d}" for y in (2024, 2025, 2026) for m in range(1, 13) if f"{y}-{m:02d}" <= "2026-03"]
report_rows = st.lists(st.tuples(st.sampled_from(["990101", "990102", "990103"]), st.sampled_from(MONTHS),
                                 st.integers(0, 500), st.integers(0, 500), st.integers(0, 500)),
                       unique_by=lambda r: (r[0], r[1]), max_size=40)


@settings(max_examples=60, deadline=None)
@given(report_rows)
def test_series_add_up_to_the_reports(rows):
    """The jurisdiction's series holds every report's counts once; the townships' series add up to it."""
    frame = reports(rows)
    series = monthly_series(frame, AS_OF)
    assert sum(m.documents or 0 for m in series) == sum(r[2] for r in rows)
    assert sum(m.report_forms or 0 for m in series) == sum(r[4] for r in rows)
    assert sum(m.reports for m in series) == len(rows)
    towns = town_series(frame, AS_OF, ["990101", "990102", "990103"])
    for i, month in enumerate(series):
        parts = [t[i] for t in towns.values()]
        assert all(p.month == month.month for p in parts)
        assert sum(p.meetings or 0 for p in parts) == (month.meetings or 0)
