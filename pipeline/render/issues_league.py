"""部门 league table and the list of overdue open issues.

Fairness of the league table: one stated window (the 12 calendar months ending
with the month of as_of, by raised_on); each issue is judged against its own
deadline, which already allows for how hard it is (tier); speed is a median, so
a few very old cases do not dominate; and a department is ranked only when it
has at least ``MIN_CASES`` resolved issues in the window (the on-time rate's
denominator) — below that it is shown as 样本不足, unranked.
"""

from __future__ import annotations

import csv
import io

from pipeline.export.csv_export import BOM, guard, quoted_line
from pipeline.core.ledger import Ledger
from pipeline.figures.metrics import Metric
from pipeline.render.charts import hbar_chart
from pipeline.render.env import render
from pipeline.figures.breakdowns import Figures, breakdown_figures, league_window
from pipeline.render.issues_pages import Context
from pipeline.render.issues_records import Names, open_issue_rows

MIN_CASES = 20  # resolved issues in the window before a department is ranked
OVERDUE_PAGE_LIMIT = 350  # rows on the overdue page; the CSV beside it lists every one


def rank_key(figures: Figures) -> tuple:
    """Higher on-time rate first, then the shorter median, then the higher resolution rate."""
    on_time = figures["on_time_rate"].value or 0
    median = figures["median_days_to_resolve"].value
    resolution = figures["resolution_rate"].value or 0
    return (-on_time, float("inf") if median is None else median, -resolution)


def league_rows(ledger: Ledger, names: Names) -> tuple[list[dict], list[dict]]:
    """(ranked rows in rank order, unranked rows in the departments file's order)."""
    window = league_window(ledger)
    figures = breakdown_figures(ledger, "department", issues=window.issues(ledger))
    eligible = {code: f for code, f in figures.items() if (f["on_time_rate"].denominator or 0) >= MIN_CASES}
    ordered = sorted(eligible, key=lambda code: (rank_key(eligible[code]), code))
    ranked, previous, rank = [], None, 0
    for position, code in enumerate(ordered, start=1):
        key = rank_key(eligible[code])
        rank = rank if key == previous else position  # equal figures share a rank (1, 2, 2, 4)
        previous = key
        ranked.append({"code": code, "name": names.department(code), "rank": rank, "figures": eligible[code]})
    unranked = [{"code": code, "name": names.department(code), "rank": None, "figures": f}
                for code, f in figures.items() if code not in eligible and f["issues_raised"].value]
    return ranked, unranked


def departments_page(ledger: Ledger, names: Names) -> str:
    window = league_window(ledger)
    ranked, unranked = league_rows(ledger, names)
    chart = hbar_chart("已排名部门的按期办结率", [r["name"] for r in ranked],
                       [round(r["figures"]["on_time_rate"].value * 100, 1) for r in ranked],
                       value_labels=[f"{r['figures']['on_time_rate'].value * 100:.1f}%" for r in ranked],
                       chart_id="issues-league", css_class="bar-b")
    idle = len(names.departments) - len(ranked) - len(unranked)
    summary = ""
    if ranked:
        best, worst = ranked[0], ranked[-1]
        summary = (f"{len(ranked)} 个部门达到排名门槛：按期办结率最高的是{best['name']}"
                   f"（{best['figures']['on_time_rate'].value * 100:.1f}%），"
                   f"最低的是{worst['name']}（{worst['figures']['on_time_rate'].value * 100:.1f}%）；")
    summary += f"{len(unranked)} 个部门样本不足、未排名。"
    return render("issues_departments.md.j2", as_of=ledger.as_of.strftime("%Y-%m-%d"), first=window.first,
                  last=window.last, min_cases=MIN_CASES, ranked=ranked, unranked=unranked, chart=chart,
                  summary=summary, idle=idle, root="../../")


def overdue_page(ctx: Context, metrics: dict[str, Metric]) -> str:
    ledger, names = ctx.ledger, ctx.names
    rows = open_issue_rows(ledger, ledger.issues, names, below=ctx.root_below(), overdue_only=True,
                           limit=OVERDUE_PAGE_LIMIT)
    by_department = ctx.breakdowns["department"]
    departments = sorted(((names.department(code), f["overdue_open"].value) for code, f in by_department.items()
                          if f["overdue_open"].value), key=lambda pair: (-pair[1], pair[0]))
    return render("issues_overdue.md.j2", as_of=ledger.as_of.strftime("%Y-%m-%d"), rows=rows,
                  total=metrics["overdue_open"].value, departments=departments, root="../../")


def overdue_csv(ledger: Ledger, names: Names) -> str:
    """Every overdue open issue, for download (the page lists at most OVERDUE_PAGE_LIMIT).

    Made for Excel, like the downloads' csv-excel variant: BOM, and text that a spreadsheet would
    take for a formula gets a leading apostrophe; a row with a carriage return is fully quoted.
    """
    rows = open_issue_rows(ledger, ledger.issues, names, overdue_only=True)
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["id", "title", "region_code", "place", "lead_department", "lead_department_name", "tier", "due",
                     "days_overdue", "escalated"])
    for r in rows:
        cells = [guard(str(c)) for c in (r["id"], r["title"], r["region_code"], r["place"], r["lead_code"],
                                         r["lead"], r["tier"], r["due"])]
        cells += [str(r["days"]), "true" if r["escalated"] else "false"]
        if any("\r" in c for c in cells):
            out.write(quoted_line(cells))
        else:
            writer.writerow(cells)
    return out.getvalue()
