"""问题办理 overview and one page per county and township/street.

Each page's figures are the metric functions' output for that place (through
``figures.breakdowns``); Python passes data, the templates own the markup. Lists of
issues and meetings are bounded, so page size grows with regions, not issues.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from pipeline.core.ledger import Ledger
from pipeline.figures.metrics import METRICS, Metric, is_open
from pipeline.render.charts import Series, bar_chart, hbar_chart
from pipeline.render.env import render
from pipeline.figures.breakdowns import (ISSUE_METRICS, MEETING_METRICS, Figures, all_breakdowns, by_region,
                                       empty_figures, escalated_issues, issue_figures, issue_flags, issue_states,
                                       meetings_by_region, months, region_cross, region_rows)
from pipeline.render.burden import town_trends
from pipeline.render.duties import duty_context
from pipeline.figures.rankings import HistoryPoint, history, rankings
from pipeline.render.rankings import township_ranking
from pipeline.render.issues_records import Names, meeting_rows, open_issue_rows

PAGE_LEVELS = ("county", "township", "street")  # a region of these levels gets its own page
VILLAGE_LEVELS = ("village", "community")  # shown by the one page place/?code=… (render/places.py)
OPEN_LIMIT = 30  # open issues listed on a region page
MEETING_LIMIT = 20  # meetings listed on a region page
ESCALATED_LIMIT = 20  # open escalated issues listed on the overview


@dataclass(frozen=True)
class Card:
    name: str
    title: str
    kind: str
    metric: Metric
    definition: str = ""


@dataclass(frozen=True)
class Context:
    """What every issues page reads, computed once per build."""

    ledger: Ledger
    names: Names
    linked: frozenset[str]  # regions that have a page
    breakdowns: dict[str, dict[str, Figures]]  # dimension → value → figures, over all issues
    cross: dict[str, dict[tuple[str, str], Figures]]  # dimension → (region, value) → figures, where issues exist
    meetings: dict[str, Figures]  # region → meeting figures

    @classmethod
    def of(cls, ledger: Ledger) -> "Context":
        regions = ledger.regions.dropna(subset=["code"])
        flags = issue_flags(ledger, ledger.issues)  # what each metric counts, per issue: shared by every breakdown
        return cls(ledger=ledger, names=Names.of(ledger),
                   linked=frozenset(regions.loc[regions["level"].isin(PAGE_LEVELS), "code"]),
                   breakdowns=all_breakdowns(ledger, flags),
                   cross={d: region_cross(ledger, d, flags) for d in ("month", "mechanism", "tier")},
                   meetings=meetings_by_region(ledger, list(regions["code"])))

    @cached_property
    def issue_groups(self) -> dict[str, np.ndarray]:
        """Region → positions of the issues placed at exactly it (one groupby, shared by every page)."""
        return by_region(self.ledger.issues)

    @cached_property
    def ranking_history(self) -> dict[str, list[HistoryPoint]]:
        """Township or street → its row in every ranking period (the 排名 section computes the same)."""
        return history(rankings(self.ledger))

    @cached_property
    def burden(self) -> dict[str, dict]:
        """Township (street) → its 基层减负 trend (none without burden data)."""
        return town_trends(self.ledger, sorted(self.linked))

    @cached_property
    def meeting_groups(self) -> dict[str, np.ndarray]:
        return by_region(self.ledger.meetings)

    def within(self, code: str, dimension: str, values: list[str]) -> dict[str, Figures]:
        """A region's figures by ``dimension``, from the cross table."""
        cross = self.cross[dimension]
        return {v: cross.get((code, v)) or empty_figures() for v in values}

    def roots(self) -> list[str]:
        regions = self.ledger.regions.dropna(subset=["code"])
        return list(regions.loc[regions["parent_code"].isna(), "code"])

    def children(self, code: str) -> list[str]:
        regions = self.ledger.regions
        return list(regions.loc[regions["parent_code"].eq(code), "code"])

    def root_below(self) -> str | None:
        """With one root (the city), places are named below it."""
        roots = self.roots()
        return roots[0] if len(roots) == 1 else None


def cards(figures: Figures, *, definitions: bool) -> list[Card]:
    return [Card(name, METRICS[name].title_zh, METRICS[name].kind, metric,
                 METRICS[name].definition_zh if definitions else "") for name, metric in figures.items()]


def trend(ctx: Context, figures: dict[str, Figures], chart_id: str) -> dict:
    """Issues raised each month (by raised_on) and how many of them are done."""
    span = months(ctx.ledger)
    rows = [{"label": m, "figures": figures[m]} for m in span]
    raised = [figures[m]["issues_raised"].value for m in span]
    done = [figures[m]["issues_resolved"].value for m in span]
    chart = bar_chart("每月提出的问题及其中已办结的", [m[2:] for m in span],
                      [Series("提出", raised, "bar-a"), Series("其中已办结", done, "bar-b")],
                      chart_id=chart_id, unit="件")
    if not any(raised):
        return {"chart": chart, "rows": rows, "summary": "没有问题记录。"}
    peak, last = span[raised.index(max(raised))], span[-1]
    summary = (f"{span[0]} 至 {last} 共 {len(span)} 个月，提出最多的是 {peak}（{max(raised):,} 件）；"
               f"最近一个月 {last} 提出 {raised[-1]:,} 件，其中已办结 {done[-1]:,} 件。")
    return {"chart": chart, "rows": rows, "summary": summary}


def enum_rows(ctx: Context, dimension: str, figures: dict[str, Figures]) -> list[dict]:
    labels = ctx.ledger.labels("issues", dimension)
    return [{"label": labels[code], "href": None, "note": "", "figures": figures[code], "code": code}
            for code in labels]


def mechanism_chart(rows: list[dict], chart_id: str) -> dict:
    shown = [r for r in rows if r["figures"]["issues_raised"].value]
    chart = hbar_chart("各机制提出的问题数", [r["label"] for r in shown],
                       [r["figures"]["issues_raised"].value for r in shown], chart_id=chart_id, unit="件")
    top = max(shown, key=lambda r: r["figures"]["issues_raised"].value, default=None)
    summary = ("" if top is None else
               f"提出问题最多的机制是{top['label']}（{top['figures']['issues_raised'].value:,} 件）。")
    return {"chart": chart, "summary": summary}


def tier_rows(ctx: Context, figures: dict[str, Figures]) -> list[dict]:
    units = ctx.ledger.labels("deadline_rules", "unit")
    rules = ctx.ledger.deadline_rules
    rule = {t: (u, lim) for t, u, lim in zip(rules["tier"], rules["unit"], rules["limit"])}
    rows = enum_rows(ctx, "tier", figures)
    for row in rows:
        unit, limit = rule.get(row["code"], (None, None))
        row["note"] = ("（期限：当日）" if unit == "same_day" else
                       f"（期限：{limit} 个{units.get(unit, unit)}）" if unit else "（未规定期限）")
    return rows


def child_rows(ctx: Context, code: str, href_prefix: str, village_href: str | None = None) -> list[dict]:
    """One row per region directly below ``code``, plus 本级 for issues placed at ``code`` itself.

    A village or community links to ``village_href`` + its code (the village page), when given.
    Counts in these rows add up to the region's own figures (tests/test_issues_pages.py).
    """
    regions = ctx.breakdowns["region"]

    def href(c: str) -> str | None:
        if c in ctx.linked:
            return f"{href_prefix}{c}/"
        if village_href is not None and ctx.names.levels.get(c) in VILLAGE_LEVELS:
            return f"{village_href}{c}"
        return None

    rows = [{"label": ctx.names.regions[c], "href": href(c), "note": "",
             "code": c, "figures": regions[c]} for c in ctx.children(code)]
    own = ctx.ledger.issues.iloc[ctx.issue_groups.get(code, np.array([], dtype=np.intp))]
    if len(own) or not rows:
        rows.append({"label": "本级", "href": None, "note": "（直接登记在本区划的问题）", "code": code,
                     "figures": issue_figures(ctx.ledger, own)})
    return rows


def escalations(ctx: Context) -> dict:
    escalated = escalated_issues(ctx.ledger)
    states = issue_states(ctx.ledger, escalated)
    return {"total": states["total"], "done": states["done"], "withdrawn": states["withdrawn"],
            "open_total": states["open"],
            "open": open_issue_rows(ctx.ledger, escalated, ctx.names, below=ctx.root_below(), limit=ESCALATED_LIMIT),
            "figures": issue_figures(ctx.ledger, escalated)}


def overview_page(ctx: Context, metrics: dict[str, Metric]) -> str:
    """The headline figures are ``metrics`` (compute_all: the same values as api/v1/summary.json)."""
    headline = {name: metrics[name] for name in ISSUE_METRICS + MEETING_METRICS}
    mechanisms = enum_rows(ctx, "mechanism", ctx.breakdowns["mechanism"])
    counties = [{"label": ctx.names.regions[c], "href": f"region/{c}/" if c in ctx.linked else None, "note": "",
                 "figures": ctx.breakdowns["region"][c], "children": child_rows(ctx, c, "region/")}
                for root in ctx.roots() for c in ctx.children(root)]
    return render(
        "issues_index.md.j2", as_of=ctx.ledger.as_of.strftime("%Y-%m-%d"), cards=cards(headline, definitions=True),
        metrics=metrics, trend=trend(ctx, ctx.breakdowns["month"], "issues-trend"), mechanisms=mechanisms,
        mechanism_chart=mechanism_chart(mechanisms, "issues-mechanisms"),
        tiers=tier_rows(ctx, ctx.breakdowns["tier"]), categories=enum_rows(ctx, "category", ctx.breakdowns["category"]),
        counties=counties, escalated=escalations(ctx), root="../")


def crumbs_of(ctx: Context, code: str) -> list[dict]:
    """The region's parents, top first, each linked (relative to a region page) where it has a page."""
    names = ctx.names
    return [{"name": names.regions.get(c, c), "href": f"../{c}/" if c in ctx.linked else None}
            for c in names.chain(code)[:-1]]


def level_label(ctx: Context, code: str) -> str:
    level = ctx.names.levels.get(code)
    return ctx.ledger.labels("regions", "level").get(level, level)


def region_page(ctx: Context, code: str, duties: dict | None = None) -> str:
    """``duties``: its 履职事项清单 section (render/duties.duty_context), when the caller has it already
    (region_pages: once for this page and the lists' page); computed here when not given."""
    ledger, names = ctx.ledger, ctx.names
    duties = duty_context(ledger, names, code, ctx.linked) if duties is None else duties
    # Only the region's open issues become a frame: the page lists a few of them and counts the rest.
    rows = region_rows(ledger, ctx.issue_groups, code)
    still_open = is_open(ledger.issues[["done", "withdrawn"]].iloc[rows]).to_numpy(dtype=bool)
    open_issues = ledger.issues.iloc[rows[still_open]]
    meetings = ledger.meetings.iloc[region_rows(ledger, ctx.meeting_groups, code)]
    figures = {**ctx.breakdowns["region"][code], **ctx.meetings[code]}
    level = names.levels.get(code)
    by_mechanism = ctx.within(code, "mechanism", list(ledger.labels("issues", "mechanism")))
    return render(
        "issues_region.md.j2", as_of=ledger.as_of.strftime("%Y-%m-%d"), code=code, name=names.regions[code],
        level=level_label(ctx, code), is_county=level == "county", crumbs=crumbs_of(ctx, code),
        cards=cards(figures, definitions=False), figures=figures,
        trend=trend(ctx, ctx.within(code, "month", months(ledger)), f"trend-{code}"),
        mechanisms=[r for r in enum_rows(ctx, "mechanism", by_mechanism) if r["figures"]["issues_raised"].value],
        tiers=tier_rows(ctx, ctx.within(code, "tier", list(ledger.labels("issues", "tier")))),
        children=child_rows(ctx, code, "../", village_href="../../../place/?code="),
        open_rows=open_issue_rows(ledger, open_issues, names, below=code, limit=OPEN_LIMIT),
        open_total=len(open_issues), open_limit=OPEN_LIMIT,
        meetings=meeting_rows(ledger, meetings, names, below=code, limit=MEETING_LIMIT),
        meeting_total=len(meetings), duties=duties,
        ranking=township_ranking(ledger, code, ctx.ranking_history.get(code)), burden=ctx.burden.get(code),
        root="../../../")


def duties_page(ctx: Context, code: str, town: dict) -> str:
    """A township's (street's) 履职事项清单, every item: its page shows the counts and links here."""
    return render("issues_duties_page.md.j2", as_of=ctx.ledger.as_of.strftime("%Y-%m-%d"), code=code,
                  name=ctx.names.regions[code], level=level_label(ctx, code), crumbs=crumbs_of(ctx, code),
                  duties=town, root="../../../../")


def region_pages(ctx: Context) -> Iterator[tuple[str, str]]:
    for code in sorted(ctx.linked):
        duties = duty_context(ctx.ledger, ctx.names, code, ctx.linked)
        yield f"issues/region/{code}.md", region_page(ctx, code, duties)
        if duties is not None and duties["town"] is not None:
            yield f"issues/region/{code}/duties.md", duties_page(ctx, code, duties["town"])
