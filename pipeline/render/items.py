"""赋权事项 section: the catalogue page, one page per department and per township/street,
and the JSON chunks the catalogue's filter loads on demand.

"放得下、接得住、管得好": was an item devolved (catalogue, dates, decision), can the
township handle it (cases, within-promise rate), is it used and evaluated
(零办件, 评估逾期). Every figure comes from a metric function of
``pipeline.figures.metrics`` through ``pipeline.figures.items``.
"""

from __future__ import annotations

from collections.abc import Iterator

from pipeline.core.ledger import Ledger
from pipeline.figures.metrics import Metric
from pipeline.render.env import render
from pipeline.render.items_catalogue import STATUS_ZH, api_files, department_names, item_records
from pipeline.figures.items import (CASE_METRICS, item_ledger, per_devolution, per_item, status_counts, table,
                                   time_saved, township_regions, uptake)
from pipeline.render.items_pages import department_page, figures, monthly, township_page
from pipeline.render.section import File, Part, Rendered, as_files, collect


def index_page(ledger: Ledger, records: list[dict], towns: list[dict], departments: list[dict]) -> str:
    part = item_ledger(ledger)
    types = ledger.labels("devolved_items", "power_type")
    present = {r["power_type"] for r in records}
    type_codes = [code for code in types if code in present]
    town_rows = table(part, "region", [t["code"] for t in towns])
    statuses = status_counts(ledger)
    return render(
        "items_index.md.j2",
        figures=figures(uptake(part)), total=len(records),
        statuses=[(STATUS_ZH[s], statuses[s]) for s in STATUS_ZH if statuses[s]],
        departments=departments, by_department=table(part, "department", [d["code"] for d in departments]),
        towns=towns, by_town=town_rows, towns_cases=uptake(part, ["cases_handled"])["cases_handled"],
        types=[(code, types[code]) for code in type_codes], by_type=table(part, "power_type", type_codes),
        monthly=monthly(part, "items-month", "每月办件量（全部乡镇、街道）"), saved=time_saved(part),
        zero_use=[r for r in records if r["zero_use"]], overdue=[r for r in records if r["review_overdue"]],
        town_names={t["code"]: t["name"] for t in towns}, as_of=ledger.as_of.strftime("%Y-%m-%d"),
    )


def stream(ledger: Ledger, metrics: dict[str, Metric]) -> Iterator[Part]:
    # --- Load inputs ---
    by_item = per_item(ledger, CASE_METRICS)
    by_devolution = per_devolution(ledger, CASE_METRICS)
    records = item_records(ledger, by_item)
    towns = township_regions(ledger)
    names = department_names(ledger)
    departments = [{"code": code, "name": names.get(code, code)}
                   for code in sorted({r["department"] for r in records if r["department"]})]
    # --- Render pages and API ---
    yield File("items/index.md", index_page(ledger, records, towns, departments))
    for department in departments:
        yield File(f"items/department/{department['code']}.md", department_page(
            ledger, department["code"], department["name"], records, towns, by_item))
    for town in towns:
        yield File(f"items/township/{town['code']}.md", township_page(ledger, town, records, by_devolution))
    yield from as_files(api_files(ledger, records, towns).items())


def render_section(ledger: Ledger, metrics: dict[str, Metric]) -> Rendered:
    return collect(stream(ledger, metrics), __name__)

