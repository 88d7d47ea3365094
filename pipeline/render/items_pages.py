"""赋权事项: one page per department (what it devolved, to whom, uptake) and per township/street
(what it received, cases per month, within-promise rate). Figures come from the metric functions."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.core.ledger import Ledger
from pipeline.figures.items import CASE_METRICS, case_months, item_ledger, table, time_saved, uptake, zero_use_ids
from pipeline.figures.metrics import METRICS, Metric
from pipeline.figures.scope import scope
from pipeline.render.charts import Series, bar_chart
from pipeline.render.env import render


@dataclass(frozen=True)
class Figure:
    name: str
    title: str
    kind: str
    definition: str
    metric: Metric


def figures(metrics: dict[str, Metric]) -> list[Figure]:
    return [Figure(name, METRICS[name].title_zh, METRICS[name].kind, METRICS[name].definition_zh, metric)
            for name, metric in metrics.items()]


def monthly(ledger: Ledger, chart_id: str, title: str) -> dict:
    """Cases and within-promise per month (every month from the first item's effect to as_of), with a chart."""
    months = case_months(ledger)
    rows = table(ledger, "month", months, CASE_METRICS)
    chart = bar_chart(title, [m[2:] for m in months],
                      [Series("办件量", [rows[m]["cases_handled"].value for m in months], "bar-a"),
                       Series("承诺时限内办结", [rows[m]["within_promise_rate"].numerator for m in months], "bar-b")],
                      chart_id=chart_id, unit="件")
    busiest = max(months, key=lambda m: (rows[m]["cases_handled"].value, m)) if months else None
    return {"months": months, "rows": rows, "chart": chart, "busiest": busiest}


def department_page(ledger: Ledger, code: str, name: str, records: list[dict], towns: list[dict],
                    by_item: dict[str, dict[str, Metric]]) -> str:
    """What one department devolved, to which townships, and its uptake; ``by_item`` is ``per_item`` of
    the case metrics over the whole ledger (a department never splits an item, so it holds here too)."""
    part = scope(item_ledger(ledger), department=code)
    mine = [r for r in records if r["department"] == code]
    received = {c for r in mine for c in r["townships"]}
    places = [t for t in towns if t["code"] in received]
    by_town = table(part, "region", [t["code"] for t in places], ["items_devolved", "cases_handled",
                                                                   "within_promise_rate"])
    town_names = {t["code"]: t["name"] for t in towns}
    return render("items_department.md.j2", code=code, name=name, figures=figures(uptake(part)), items=mine,
                  places=places, by_town=by_town, town_names=town_names, by_item=by_item, saved=time_saved(part),
                  as_of=ledger.as_of.strftime("%Y-%m-%d"))


def township_page(ledger: Ledger, town: dict, records: list[dict],
                  by_devolution: dict[tuple[str, str], dict[str, Metric]]) -> str:
    """What one township/street received, its cases per month, and each item's local figures
    (``by_devolution``: ``per_devolution`` of the case metrics)."""
    part = scope(item_ledger(ledger), region=town["code"])
    devolutions = part.devolutions
    took_effect = dict(zip(devolutions["item_id"], devolutions["effective_on"].fillna(devolutions["item_effective_on"])))
    mine = [r for r in records if town["code"] in r["townships"]]
    here = {r["id"]: {"since": took_effect.get(r["id"]), **by_devolution[(town["code"], r["id"])]} for r in mine}
    return render("items_township.md.j2", town=town, figures=figures(uptake(part)), items=mine, here=here,
                  zero_here=set(zero_use_ids(part)),
                  monthly=monthly(part, f"items-month-{town['code']}", f"{town['name']}每月办件量"),
                  as_of=ledger.as_of.strftime("%Y-%m-%d"))

