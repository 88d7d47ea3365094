"""排名: a page and an API document per period, the index of periods, and the home page's link to the latest.

Pages ``rankings/<period>.md`` and ``rankings/index.md``; documents ``api/v1/rankings/<period>.json`` and
``api/v1/rankings/index.json``. The figures come from ``pipeline.figures.rankings``; templates own the markup.
A period's page and document say nothing that changes with the snapshot date unless the period is still
running (the one holding as_of), so a published period stays the same until its data changes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from pipeline.core.ledger import Ledger
from pipeline.figures.metrics import METRICS, Metric, scoring
from pipeline.figures.rankings import HistoryPoint, Ranking, history, periods, rankings, units
from pipeline.render.api import API, dump
from pipeline.render.charts import Series, bar_chart
from pipeline.render.feeds import AUTHOR, Entry, atom, newest, tag
from pipeline.render.env import render
from pipeline.render.section import Block, File, Part, Rendered, collect

RATE_NAMES = ("response_rate", "solved_rate", "satisfied_rate")


def document(ranking: Ranking, ledger: Ledger) -> dict:
    payload = {"period": ranking.period, "first_day": ranking.first_day, "last_day": ranking.last_day,
               "scoring": scoring(ledger), "units": [row.to_dict() for row in ranking.rows]}
    if ranking.running(ledger.as_of):
        payload["as_of"] = ledger.as_of.strftime("%Y-%m-%d")  # the running period: counted up to as_of
    return payload


def index_document(ledger: Ledger, tables: list[Ranking]) -> dict:
    return {"as_of": ledger.as_of.strftime("%Y-%m-%d"), "scoring": scoring(ledger),
            "periods": [{"period": r.period, "path": f"{API}/rankings/{r.period}.json",
                         "page": f"rankings/{r.period}/", "ranked": r.ranked}
                        for r in reversed(tables)]}


def titles() -> dict[str, str]:
    return {name: METRICS[name].title_zh for name in (*RATE_NAMES, "composite_score")}


def page(ranking: Ranking, ledger: Ledger, before: Ranking | None, after: Ranking | None) -> str:
    return render("rankings_period.md.j2", ranking=ranking, before=before, after=after, scoring=scoring(ledger),
                  running=ranking.running(ledger.as_of), as_of=ledger.as_of.strftime("%Y-%m-%d"), titles=titles(),
                  rate_names=RATE_NAMES, definitions={n: METRICS[n].definition_zh for n in titles()})


def index_page(ledger: Ledger, tables: list[Ranking]) -> str:
    return render("rankings_index.md.j2", tables=list(reversed(tables)), scoring=scoring(ledger),
                  as_of=ledger.as_of.strftime("%Y-%m-%d"), titles=titles())


RECENT_ON_TOWNSHIP_PAGE = 6  # periods in the township page's table; the unit page lists them all


def history_chart(code: str, points: list[HistoryPoint], chart_id: str) -> str:
    """A unit's composite score in every period it was ranked (empty when it never was)."""
    ranked = [p for p in points if p.row.rank is not None]
    return bar_chart(f"{points[0].row.name}历次综合成绩", [p.period for p in ranked],
                     [Series("综合成绩", [round(p.row.composite_score, 2) for p in ranked], "bar-a")],
                     chart_id=chart_id, unit="分") if ranked else ""


def unit_page(ledger: Ledger, code: str, points: list[HistoryPoint]) -> str:
    """rankings/unit/<code>.md: a unit's composite score in every period it was ranked, and its rank."""
    return render("rankings_unit.md.j2", name=points[0].row.name, code=code,
                  chart=history_chart(code, points, f"ranking-history-{code}"), feed=feed_path(code),
                  points=list(reversed(points)), scoring=scoring(ledger))


def township_ranking(ledger: Ledger, code: str, points: list[HistoryPoint] | None) -> dict | None:
    """The 回访排名 part of a township's page: its score chart and its latest periods, newest first."""
    if not points:
        return None
    return {"chart": history_chart(code, points, f"ranking-{code}"), "feed": feed_path(code),
            "recent": list(reversed(points[-RECENT_ON_TOWNSHIP_PAGE:])), "periods": len(points),
            "scoring": scoring(ledger)}


def ranked_units(ledger: Ledger) -> list[tuple[str, str]]:
    """(code, name) of the units with a ranking feed: every township and street, when there is a ranking."""
    return [(u.code, u.name) for u in units(ledger).itertuples()] if periods(ledger) else []


def feed_path(code: str) -> str:
    return f"feeds/rankings-{code}.xml"


def unit_feed(ledger: Ledger, code: str, points: list[HistoryPoint]) -> bytes:
    """feeds/rankings-<code>.xml: an entry per period, dated by its last day (as_of for the running one)."""
    as_of = ledger.as_of.strftime("%Y-%m-%d")
    entries = []
    for p in points:
        row = p.row
        standing = "样本不足，未排名" if row.rank is None else f"第 {row.rank} 名，综合成绩 {row.composite_score:.2f}"
        rates = "，".join(f"{titles()[n]} {m.value * 100:.1f}%（{m.numerator:g}/{m.denominator:g}）"
                         for n, m in row.rates.items() if m.value is not None)
        entries.append(Entry(id=tag(ledger, f"ranking/{p.period}/{code}"), title=f"{row.name} {p.period} 回访排名：{standing}",
                             updated=dt.date.fromisoformat(min(p.last_day, as_of)),
                             content=f"回访评价 {row.evaluations} 条。{rates}。", link=f"../rankings/{p.period}/"))
    title = ledger.package.descriptor.get("title") or AUTHOR
    name = points[0].row.name
    return atom(ledger, f"rankings/{code}", f"{title}：{name}回访排名", f"{name}每期的回访排名，最新的在前",
                f"rankings-{code}.xml", f"../rankings/unit/{code}/", newest(entries))


def stream(ledger: Ledger, metrics: dict[str, Metric]) -> Iterator[Part]:
    tables = rankings(ledger)
    yield Block("rankings-latest", render("rankings_latest.html.j2", latest=tables[-1] if tables else None))
    yield File("rankings/index.md", index_page(ledger, tables))
    yield File(f"{API}/rankings/index.json", dump(index_document(ledger, tables)))
    for i, ranking in enumerate(tables):
        before = tables[i - 1] if i else None
        after = tables[i + 1] if i + 1 < len(tables) else None
        yield File(f"rankings/{ranking.period}.md", page(ranking, ledger, before, after))
        yield File(f"{API}/rankings/{ranking.period}.json", dump(document(ranking, ledger)))
    for code, points in history(tables).items():
        yield File(f"rankings/unit/{code}.md", unit_page(ledger, code, points))
        yield File(feed_path(code), unit_feed(ledger, code, points))


def render_section(ledger: Ledger, metrics: dict[str, Metric]) -> Rendered:
    return collect(stream(ledger, metrics), __name__)
