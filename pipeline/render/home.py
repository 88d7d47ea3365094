"""首页: the headline figures, the monthly trend and the summary API document."""

from __future__ import annotations

import json
from collections.abc import Iterator

from pipeline.demo.manifest import MANIFEST
from pipeline.core.ledger import Ledger
from pipeline.figures.breakdowns import monthly_counts
from pipeline.figures.metrics import METRICS, Metric
from pipeline.render.burden import home_context
from pipeline.render.cards import Card
from pipeline.render.charts import Series, bar_chart
from pipeline.render.env import render
from pipeline.render.section import Block, File, Part, Rendered, collect

HEADLINE = ["issues_raised", "issues_resolved", "resolution_rate", "on_time_rate", "overdue_open",
            "median_days_to_resolve", "township_resolution_share", "escalated_count", "meetings_held",
            "persons_received", "items_devolved", "items_zero_use", "satisfaction_rate",
            "inspections_confirmed_rate", "issues_disputed"]



def headline_cards(metrics: dict[str, Metric]) -> list[Card]:
    return [Card(name, METRICS[name].title_zh, METRICS[name].definition_zh, METRICS[name].kind, metrics[name])
            for name in HEADLINE]


def trend_block(ledger: Ledger) -> str:
    rows = monthly_counts(ledger).to_dict("records")
    chart = bar_chart("每月提出与办结的问题数", [r["month"][2:] for r in rows],
                      [Series("提出", [r["raised"] for r in rows], "bar-a"),
                       Series("办结", [r["resolved"] for r in rows], "bar-b")],
                      chart_id="trend-monthly", unit="件")
    busiest = max(rows, key=lambda r: r["raised"]) if rows else None  # the first of the busiest months
    return render("block_trend.html.j2", chart=chart, rows=rows, busiest=busiest)


def headline_block(ledger: Ledger, metrics: dict[str, Metric]) -> str:
    return render("block_headline.html.j2", cards=headline_cards(metrics), as_of=ledger.as_of.strftime("%Y-%m-%d"),
                  title=ledger.package.descriptor.get("title", ""), burden=home_context(ledger, metrics))


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
