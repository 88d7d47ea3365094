"""基层减负: the section page, each township's burden trend, the home page's burden figures and the cuts feed.

Page ``burden/index.md``: the five burden metrics (``pipeline.figures.burden``, through ``compute_all``)
with numerator and denominator, each linked to its methodology entry; the jurisdiction's monthly trend
of documents, meetings and report forms (a line chart and its data table); every township's latest
month, linked to its own trend on its 问题办理 page; the departments that demanded the most of what was
cut, stated as what the data shows; the cut list, newest first, which a small script filters by kind
and department (``?kind=…&department=…``; without the script it is the full list). Feed
``feeds/burden-cuts.xml``: the newest cuts. Every figure comes from ``pipeline.figures.burden_views``
or the metric functions; this module names things and hands them to templates.

A package without the two burden resources (a version-1 package, or one that has not adopted them)
gets a short page saying so, and nothing on the home and township pages.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from urllib.parse import quote

import pandas as pd

from pipeline.core.ledger import Ledger
from pipeline.figures.burden_views import (NONE_VALUE, MonthLoad, cut_list, demanders, filter_options, latest_reported,
                                           monthly_series, town_series, uneven_coverage)
from pipeline.figures.metrics import METRICS, Metric
from pipeline.render.charts import Line, hbar_chart, line_chart
from pipeline.render.env import render
from pipeline.render.feeds import AUTHOR, Entry, atom, newest, tag
from pipeline.render.cards import Card
from pipeline.render.duties import TOWN_LEVELS, towns_of
from pipeline.render.section import File, Part, Rendered, collect

RESOURCES = ("burden_reports", "burden_cuts")
METRIC_NAMES = ("documents_received_12m", "meetings_attended_12m", "report_forms_12m", "burden_change_rate",
                "burden_cuts_count")
PAGE = "burden/index.md"
FEED = "feeds/burden-cuts.xml"
LINES = (("documents", "文件（件）", "line-a"), ("meetings", "会议（次）", "line-b"),
         ("report_forms", "报表（份）", "line-c"))
DEMANDERS_CHARTED = 10  # departments in the demanders chart; the table lists all


def available(ledger: Ledger) -> bool:
    """Whether the package carries both burden resources."""
    frames = ledger.__dict__.get("frames", {})
    return all(name in ledger.package.resource_names and name in frames for name in RESOURCES)


def _names(frame: pd.DataFrame) -> dict[str, str]:
    frame = frame.dropna(subset=["code"])
    return dict(zip(frame["code"], frame["name"]))


def cards(metrics: dict[str, Metric]) -> list[Card]:
    return [Card(name, METRICS[name].title_zh, METRICS[name].definition_zh, METRICS[name].kind, metrics[name],
                 href=f"methodology/#def-{name}") for name in METRIC_NAMES if name in metrics and name in METRICS]


def trend(series: list[MonthLoad], chart_id: str, title: str) -> dict | None:
    """A line chart of the three loads, its data table (oldest first) and what its summary says."""
    if not series:
        return None
    chart = line_chart(title, [m.month[2:] for m in series],
                       [Line(label, [getattr(m, attr) for m in series], css) for attr, label, css in LINES],
                       chart_id=chart_id)
    return {"chart": chart, "rows": series, "first": series[0].month, "last": series[-1].month,
            "months": len(series), "latest": latest_reported(series),
            "missing": [m.month for m in series if not m.reports], "uneven": uneven_coverage(series)}


def town_rows(ledger: Ledger, series: dict[str, list[MonthLoad]]) -> list[dict]:
    """Every township and street, county by county in the order of regions.csv, with its latest month."""
    names = _names(ledger.regions)
    return [{"code": town, "name": names[town], "county": names[county],
             "href": f"../issues/region/{town}/#burden", "latest": latest_reported(series.get(town, []))}
            for county in _of_level(ledger, ("county",)) for town in towns_of(ledger, county)]


def _of_level(ledger: Ledger, levels: tuple[str, ...]) -> list[str]:
    """Region codes of ``levels``, in the order of regions.csv."""
    regions = ledger.regions
    return list(dict.fromkeys(regions.loc[regions["level"].isin(levels), "code"].dropna()))


def towns(ledger: Ledger) -> list[str]:
    return _of_level(ledger, TOWN_LEVELS)


def town_trends(ledger: Ledger, codes: list[str]) -> dict[str, dict]:
    """Township (street) code → its burden trend, for its 问题办理 page (an empty dict without burden data)."""
    if not available(ledger):
        return {}
    wanted = [c for c in codes if c in set(towns(ledger))]
    return {code: trend(s, f"burden-{code}", "每月收到的文件、参加的会议和填报的报表")
            for code, s in town_series(ledger.burden_reports, ledger.as_of, wanted).items()}


def cut_anchor(cut_id: str) -> str:
    return "cut-" + quote(cut_id, safe="-._~")


def section_page(ledger: Ledger, metrics: dict[str, Metric]) -> str:
    as_of = ledger.as_of.strftime("%Y-%m-%d")
    if not available(ledger):
        return render("burden_index.md.j2", available=False, as_of=as_of, feed=FEED, root="../")
    kinds = ledger.labels("burden_cuts", "kind")
    departments = _names(ledger.departments)
    cuts = cut_list(ledger.burden_cuts, ledger.as_of, kinds, departments, _names(ledger.regions))
    kind_options, department_options = filter_options(cuts, kinds)
    ranking = demanders(ledger.burden_cuts, ledger.as_of, departments, kinds)
    charted = ranking.rows[:DEMANDERS_CHARTED]
    chart = hbar_chart("减负清单中各部门被列为提出要求方的事项数", [r.name for r in charted], [r.cuts for r in charted],
                       chart_id="burden-demanders-chart", unit="项") if charted else ""
    series = town_series(ledger.burden_reports, ledger.as_of, towns(ledger))
    return render("burden_index.md.j2", available=True, as_of=as_of, feed=FEED, root="../", cards=cards(metrics),
                  trend=trend(monthly_series(ledger.burden_reports, ledger.as_of), "burden-trend",
                              "全部乡镇（街道）每月收到的文件、参加的会议和填报的报表"),
                  towns=town_rows(ledger, series), ranking=ranking, demanders_chart=chart,
                  charted=len(charted), cuts=[{"cut": c, "anchor": cut_anchor(c.id), "department": c.department or NONE_VALUE}
                        for c in cuts],
                  kind_options=kind_options, department_options=department_options)


def home_context(ledger: Ledger, metrics: dict[str, Metric]) -> dict | None:
    """What the home page shows of burden reduction: the metric cards and the section's address (None without data)."""
    if not available(ledger):
        return None
    return {"cards": cards(metrics), "href": "burden/"}


def cut_entries(ledger: Ledger) -> list[Entry]:
    kinds = ledger.labels("burden_cuts", "kind")
    cuts = cut_list(ledger.burden_cuts, ledger.as_of, kinds, _names(ledger.departments), _names(ledger.regions))
    entries = []
    for cut in cuts:
        parts = [f"范围：{cut.region_label}", f"提出要求的部门：{cut.department_label}",
                 f"{cut.cut_on} 取消", f"依据：{cut.source_ref}" if cut.source_ref else ""]
        entries.append(Entry(id=tag(ledger, f"burden-cut/{cut.id}"), title=f"{cut.kind_label}：{cut.name}",
                             updated=dt.date.fromisoformat(cut.cut_on), content="；".join(p for p in parts if p) + "。",
                             link=f"../burden/#{cut_anchor(cut.id)}", categories=((cut.kind, cut.kind_label),)))
    return newest(entries)


def cut_feed(ledger: Ledger) -> bytes:
    title = ledger.package.descriptor.get("title") or AUTHOR
    return atom(ledger, "burden-cuts", f"{title}：基层减负清单", "按取消日期最新的减负事项", "burden-cuts.xml",
                "../burden/", cut_entries(ledger))


def stream(ledger: Ledger, metrics: dict[str, Metric]) -> Iterator[Part]:
    yield File(PAGE, section_page(ledger, metrics))
    if available(ledger):
        yield File(FEED, cut_feed(ledger))


def render_section(ledger: Ledger, metrics: dict[str, Metric]) -> Rendered:
    return collect(stream(ledger, metrics), __name__)
