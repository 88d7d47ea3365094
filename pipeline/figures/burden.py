"""Burden metrics (data-standard.md, "Burden metrics"): what higher levels demanded of the townships
in the 12 calendar months ending with the month of ``as_of``, the change against the 12 months before,
and the cuts made. Registered after the version-2 metrics of pipeline/figures/callbacks.py (imported
at the end of pipeline/figures/metrics.py), so the methodology keeps its order.

A region's figures are those of the burden reports of its townships and streets
(pipeline/figures/scope.py); a cut without a region belongs to the whole jurisdiction.
"""

from __future__ import annotations

import pandas as pd

from pipeline.core.ledger import Ledger
from pipeline.figures.registry import Metric, count, exact_sum, metric

REPORT_DIMS = frozenset({"region"})
CUT_DIMS = frozenset({"region", "department"})
LOAD = ("documents_received", "meetings_attended", "report_forms")


def month_of(day: pd.Timestamp, back: int = 0) -> str:
    """"YYYY-MM" of the month ``back`` months before the month of ``day``."""
    index = day.year * 12 + day.month - 1 - back
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def window(ledger: Ledger, back: int = 0) -> tuple[str, str]:
    """(first, last) month of the 12 calendar months ending ``back`` months before the month of as_of."""
    return month_of(ledger.as_of, back + 11), month_of(ledger.as_of, back)


def reports_in(ledger: Ledger, months: tuple[str, str]) -> pd.DataFrame:
    """The burden reports whose month lies in ``months`` (first, last), both included."""
    reports = ledger.burden_reports
    month = reports["month"].fillna("")
    return reports[(month >= months[0]) & (month <= months[1]) & reports["month"].notna()]


def load_total(reports: pd.DataFrame, columns: tuple[str, ...] = LOAD) -> int:
    return exact_sum(reports, "burden_reports", *columns)


@metric("近12个月收到文件数",
        "月份在数据截止日所在月份及之前共12个自然月内的基层负担监测记录中，“收到文件数”的合计（只计乡镇、街道的记录）。",
        "sum", REPORT_DIMS, reads={"burden_reports": ("month", "documents_received")})
def documents_received_12m(ledger: Ledger) -> Metric:
    return count(load_total(reports_in(ledger, window(ledger)), ("documents_received",)))


@metric("近12个月参加会议数", "同一12个自然月内，“参加会议数”（上级要求乡镇、街道干部参加的会议场次）的合计。",
        "sum", REPORT_DIMS, reads={"burden_reports": ("month", "meetings_attended")})
def meetings_attended_12m(ledger: Ledger) -> Metric:
    return count(load_total(reports_in(ledger, window(ledger)), ("meetings_attended",)))


@metric("近12个月填报报表数", "同一12个自然月内，“填报报表数”（报表和数据报送任务）的合计。",
        "sum", REPORT_DIMS, reads={"burden_reports": ("month", "report_forms")})
def report_forms_12m(ledger: Ledger) -> Metric:
    return count(load_total(reports_in(ledger, window(ledger)), ("report_forms",)))


@metric("基层负担同比变化",
        "（数据截止日所在月份及之前12个自然月内的收到文件数 + 参加会议数 + 填报报表数）÷（再往前12个自然月内的同一合计）− 1；"
        "负数表示负担减轻。分子、分母分别是这两个12个月的合计；再往前12个月没有监测记录（或合计为0）时为空。",
        "change", REPORT_DIMS, reads={"burden_reports": ("month", *LOAD)})
def burden_change_rate(ledger: Ledger) -> Metric:
    recent = load_total(reports_in(ledger, window(ledger)))
    earlier_rows = reports_in(ledger, window(ledger, back=12))
    earlier = load_total(earlier_rows)
    if earlier_rows.empty or not earlier:
        return Metric(None, recent, earlier if not earlier_rows.empty else None)
    return Metric(recent / earlier - 1, recent, earlier)


@metric("减负事项数", "减负清单中取消日期不晚于数据截止日的事项数（证明、报表、政务应用程序、工作群、会议、文件、督查检查考核，逐项计）。",
        "count", CUT_DIMS, reads={"burden_cuts": ("cut_on",)})
def burden_cuts_count(ledger: Ledger) -> Metric:
    return count((ledger.burden_cuts["cut_on"] <= ledger.as_of).sum())
