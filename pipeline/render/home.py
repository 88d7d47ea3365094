"""首页: the headline figures, the monthly trend and the summary API document."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline.demo.manifest import MANIFEST
from pipeline.core.ledger import Ledger
from pipeline.figures.metrics import METRICS, Metric
from pipeline.render.charts import Series, bar_chart
from pipeline.render.env import render
from pipeline.render.section import Block, File, Part, Rendered, collect

HEADLINE = ["issues_raised", "issues_resolved", "resolution_rate", "on_time_rate", "overdue_open",
            "median_days_to_resolve", "township_resolution_share", "escalated_count", "meetings_held",
            "persons_received", "items_devolved", "items_zero_use", "satisfaction_rate",
            "inspections_confirmed_rate", "issues_disputed"]


@dataclass(frozen=True)
class Card:
    name: str
    title: str
    definition: str
    kind: str
    metric: Metric
    interval: tuple[float, float] | None = None  # a 95 % Wilson interval, for survey rates


def headline_cards(metrics: dict[str, Metric]) -> list[Card]:
    return [Card(name, METRICS[name].title_zh, METRICS[name].definition_zh, METRICS[name].kind, metrics[name])
            for name in HEADLINE]


def year_month(dates: pd.Series) -> pd.Series:
    """Each date as YYYY-MM (missing stays missing), formatted once per distinct date, not per row."""
    codes, days = pd.factorize(dates, use_na_sentinel=True)
    months = np.append(pd.DatetimeIndex(days).strftime("%Y-%m").to_numpy(dtype=object), None)
    return pd.Series(months[codes], index=dates.index, dtype=object)


def monthly_counts(ledger: Ledger) -> pd.DataFrame:
    """Issues raised and resolved per month (by raised_on and resolved_on), every month in the period."""
    issues = ledger.issues
    raised = year_month(issues["raised_on"]).value_counts()
    resolved = year_month(issues.loc[issues["done"], "resolved_on"]).value_counts()
    if raised.empty:
        return pd.DataFrame(columns=["month", "raised", "resolved"])
    months = pd.period_range(min(raised.index), ledger.as_of.to_period("M"), freq="M").astype(str)
    return pd.DataFrame({"month": months,
                         "raised": [int(raised.get(m, 0)) for m in months],
                         "resolved": [int(resolved.get(m, 0)) for m in months]})


def trend_block(ledger: Ledger) -> str:
    table = monthly_counts(ledger)
    chart = bar_chart("每月提出与办结的问题数", list(table["month"].str[2:]),
                      [Series("提出", list(table["raised"]), "bar-a"), Series("办结", list(table["resolved"]), "bar-b")],
                      chart_id="trend-monthly", unit="件")
    busiest = table.loc[table["raised"].idxmax()] if len(table) else None
    return render("block_trend.html.j2", chart=chart, rows=table.to_dict("records"), busiest=busiest)


def headline_block(ledger: Ledger, metrics: dict[str, Metric]) -> str:
    return render("block_headline.html.j2", cards=headline_cards(metrics), as_of=ledger.as_of.strftime("%Y-%m-%d"),
                  title=ledger.package.descriptor.get("title", ""))


def demo_notice_block(ledger: Ledger) -> str:
    """The 示例数据 warning, only while the package is `ledger demo` output (it writes demo.json; real data has none)."""
    return render("block_demo_notice.html.j2") if (ledger.package.root / MANIFEST).is_file() else ""


def summary_document(ledger: Ledger, metrics: dict[str, Metric]) -> str:
    payload = {"as_of": ledger.as_of.strftime("%Y-%m-%d"),
               "metrics": {name: metric.to_dict() for name, metric in metrics.items()}}
    return json.dumps(payload, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def stream(ledger: Ledger, metrics: dict[str, Metric]) -> Iterator[Part]:
    yield Block("headline", headline_block(ledger, metrics))
    yield Block("trend", trend_block(ledger))
    yield Block("demo-notice", demo_notice_block(ledger))
    yield File("api/v1/summary.json", summary_document(ledger, metrics))


def render_section(ledger: Ledger, metrics: dict[str, Metric]) -> Rendered:
    return collect(stream(ledger, metrics), __name__)
