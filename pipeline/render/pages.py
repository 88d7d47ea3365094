"""Page content from the ledger: the blocks injected into hand-written pages,
the generated pages, and the API documents. Pure: data in, text out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pandas as pd

from pipeline.codes import CODES
from pipeline.frames import Ledger
from pipeline.metrics import METRICS, Metric, compute_all
from pipeline.package import DataPackage, resource_paths
from pipeline.render.charts import Series, bar_chart
from pipeline.render.env import render

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


def headline_cards(metrics: dict[str, Metric]) -> list[Card]:
    return [Card(name, METRICS[name].title_zh, METRICS[name].definition_zh, METRICS[name].kind, metrics[name])
            for name in HEADLINE]


def monthly_counts(ledger: Ledger) -> pd.DataFrame:
    """Issues raised and resolved per month (by raised_on and resolved_on), every month in the period."""
    issues = ledger.issues
    raised = issues["raised_on"].dt.strftime("%Y-%m").value_counts()
    done = issues[issues["done"]]
    resolved = done["resolved_on"].dt.strftime("%Y-%m").value_counts()
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


def metric_definitions_block() -> str:
    return render("block_metrics.html.j2", specs=list(METRICS.values()))


def codes_block() -> str:
    return render("block_codes.html.j2", codes=list(CODES.values()))


def constraint_text(field: dict) -> list[str]:
    c = field.get("constraints", {})
    parts = []
    if c.get("required"):
        parts.append("必填")
    if c.get("unique"):
        parts.append("不重复")
    if "pattern" in c:
        parts.append(f"格式 {c['pattern']}")
    if "minimum" in c:
        parts.append(f"≥ {c['minimum']}")
    if "maximum" in c:
        parts.append(f"≤ {c['maximum']}")
    if "minLength" in c:
        parts.append(f"至少 {c['minLength']} 字")
    if "maxLength" in c:
        parts.append(f"最多 {c['maxLength']} 字")
    if field.get("type") == "list":
        parts.append(f"多个值用“{field.get('delimiter', ',')}”分隔")
    return parts


TYPE_NAMES = {"string": "文本", "integer": "整数", "number": "数字", "date": "日期 YYYY-MM-DD",
              "yearmonth": "年月 YYYY-MM", "boolean": "true / false", "list": "列表"}


def data_page(package: DataPackage, ledger: Ledger) -> str:
    resources = []
    for res in package.descriptor["resources"]:
        schema = res["schema"]
        fields = [{"name": f["name"], "title": f.get("title", ""), "type": TYPE_NAMES.get(f.get("type"), f.get("type")),
                   "constraints": constraint_text(f), "description": f.get("description", ""),
                   "categories": f.get("categories", []), "example": f.get("example", "")}
                  for f in schema["fields"]]
        keys = [{"fields": fk["fields"], "resource": fk["reference"]["resource"] or res["name"],
                 "target": fk["reference"]["fields"]} for fk in schema.get("foreignKeys", [])]
        resources.append({"name": res["name"], "title": res.get("title", ""), "description": res.get("description", ""),
                          "paths": resource_paths(res), "rows": len(ledger.frames[res["name"]]), "fields": fields,
                          "primary_key": schema.get("primaryKey", []), "foreign_keys": keys})
    licence = package.descriptor.get("licenses", [{}])[0]
    return render("data.md.j2", resources=resources, licence=licence, as_of=package.as_of.isoformat())


def summary_document(ledger: Ledger, metrics: dict[str, Metric]) -> str:
    payload = {"as_of": ledger.as_of.strftime("%Y-%m-%d"),
               "metrics": {name: metric.to_dict() for name, metric in metrics.items()}}
    return json.dumps(payload, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def render_all(ledger: Ledger) -> tuple[dict[str, str], dict[str, str]]:
    """(blocks to inject into hand-written pages by marker, generated files by docs path)."""
    metrics = compute_all(ledger)
    blocks = {
        "headline": headline_block(ledger, metrics),
        "trend": trend_block(ledger),
        "metric-definitions": metric_definitions_block(),
        "finding-codes": codes_block(),
    }
    files = {
        "data/index.md": data_page(ledger.package, ledger),
        "api/v1/summary.json": summary_document(ledger, metrics),
    }
    return blocks, files
