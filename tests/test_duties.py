"""履职事项清单 on the region pages, checked against an independent count and a golden page.

The independent count reads ``duty_items.csv`` with the csv module and applies the data
standard's words ("duty items with effective_on ≤ as_of and not removed on or before it";
list types basic 基本履职事项 · cooperative 配合履职事项 · returned_up 上级部门收回事项), then
compares with the counts the township and county pages show.
"""

from __future__ import annotations

import csv
import re
import shutil
from collections import Counter
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.core.ledger import Ledger
from pipeline.figures.duties import county_duties, town_duties
from pipeline.figures.metrics import compute_all
from pipeline.render import issues
from pipeline.validate import validate
from tests.golden import check_golden

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "history"
LABELS = {"basic": "基本履职事项", "cooperative": "配合履职事项", "returned_up": "上级部门收回事项"}
JIA, YI, COUNTY = "990121001000", "990121002000", "990121000000"


def recount(folder: Path, as_of: str) -> tuple[Counter, Counter]:
    """((region, list type) → items in force, region → items in force resting on a devolved power)."""
    lists, devolved = Counter(), Counter()
    with open(folder / "duty_items.csv", encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            in_force = row["effective_on"] <= as_of and not (row["removed_on"] and row["removed_on"] <= as_of)
            if in_force:
                lists[row["region_code"], row["list_type"]] += 1
                devolved[row["region_code"]] += bool(row["devolved_item_id"])
    return lists, devolved


def shown_lists(page: str) -> dict[str, int]:
    """List label → the count a township page's <summary> shows."""
    return {label: int(n) for label, n in re.findall(r"<summary>(\S+事项)（(\d+) 项）</summary>", page)}


def linked_lists(page: str) -> dict[str, int]:
    """List label → the count a township page shows, each linked to the list on the township's lists page."""
    return {label: int(n) for kind, label, n in
            re.findall(r'<li><a href="duties/#duties-(\w+)">(\S+事项)（(\d+) 项）</a></li>', page)
            if LABELS[kind] == label}


def shown_county(page: str) -> dict[str, list[int]]:
    """Township code → the numbers of its row in the county's comparison table."""
    table = page[page.index('class="ledger-table issues-table duty-compare"'):]
    table = table[:table.index("</table>")]
    return {code: [int(n) for n in re.findall(r"<td>(\d+)</td>", cells)]
            for code, cells in re.findall(r'<tr><th scope="row"><a href="\.\./(\d+)/duties/">[^<]*</a></th>(.*?)</tr>',
                                          table)}


def rendered(folder: Path) -> dict:
    report, ledger = validate(folder)
    assert report.valid, report
    return issues.render_section(ledger, compute_all(ledger)).files


def test_duty_counts_shown_recompute_from_the_csv(demo_dir):
    files = rendered(demo_dir)
    as_of = re.search(r'"as_of":\s*"([\d-]+)"', (demo_dir / "datapackage.json").read_text(encoding="utf-8")).group(1)
    lists, devolved = recount(demo_dir, as_of)
    towns = {code for code, _ in lists}
    assert len(towns) >= 5  # the demo gives every township and street a list
    for town in towns:
        page, lists_page = files[f"issues/region/{town}.md"], files[f"issues/region/{town}/duties.md"]
        expected = {LABELS[t]: lists[town, t] for t in LABELS}
        assert linked_lists(page) == expected and shown_lists(lists_page) == expected, town
        assert "duty-details" not in page and "<table class=\"ledger-table issues-list duty-list\">" not in page  # on their own page
        total = sum(lists[town, t] for t in LABELS)
        for shown in (page, lists_page):
            assert f"履职事项清单共 {total:,} 项" in shown and f"其中 {devolved[town]:,} 项依托上级下放的赋权事项" in shown
    compared = {}
    for path, page in files.items():
        if path.endswith(".md") and "duty-compare" in page:
            compared.update(shown_county(page))
    assert set(compared) == towns
    for town, numbers in compared.items():
        counts = [lists[town, t] for t in LABELS]
        assert numbers == counts + [sum(counts), devolved[town]], town


def test_township_page_lacks_duty_lists(tiny_ledger):
    files = issues.render_section(tiny_ledger, compute_all(tiny_ledger)).files
    check_golden(f"duties_tiny/issues/region/{JIA}.md", files[f"issues/region/{JIA}.md"])
    check_golden(f"duties_tiny/issues/region/{JIA}/duties.md", files[f"issues/region/{JIA}/duties.md"])
    assert linked_lists(files[f"issues/region/{JIA}.md"]) == {"基本履职事项": 2, "配合履职事项": 1, "上级部门收回事项": 1}
    page = files[f"issues/region/{JIA}/duties.md"]
    assert shown_lists(page) == {"基本履职事项": 2, "配合履职事项": 1, "上级部门收回事项": 1}
    assert '<a href="../">甲镇</a> › <span aria-current="page">履职事项清单</span></nav>' in page
    assert f"issues/region/{COUNTY}/duties.md" not in files  # a county compares its townships on its own page
    # The items resting on a devolved power link to that power's row on its department's item page.
    assert '<a href="../../../../items/department/zrzyj/#item-D1">乡村建设规划许可证核发</a>' in page
    assert '<a href="../../../../items/department/jtj/#item-D3">农村公路检查</a>' in page
    assert '<li>示例市交通运输局：1 项</li>' in page


def test_county_page_lacks_township_comparison(tiny_ledger):
    page = issues.render_section(tiny_ledger, compute_all(tiny_ledger)).files[f"issues/region/{COUNTY}.md"]
    assert shown_county(page) == {JIA: [2, 1, 1, 4, 2], YI: [0, 0, 0, 0, 0]}
    assert '<tfoot><tr><th scope="row">合计</th><td>2</td><td>1</td><td>1</td><td>4</td><td>2</td></tr></tfoot>' in page


def test_duty_items_not_in_force_are_counted(tiny, tmp_path):
    """An item removed on as_of itself is no longer in its list; one that takes effect on as_of is."""
    shutil.copy(FIXTURES / "duty_items_not_in_force.csv", tiny / "duty_items.csv")
    files = rendered(tiny)
    lists, _ = recount(tiny, "2026-04-30")
    assert shown_lists(files[f"issues/region/{JIA}/duties.md"]) == {"基本履职事项": 2, "配合履职事项": 1, "上级部门收回事项": 1}
    assert shown_lists(files[f"issues/region/{YI}/duties.md"]) == {"基本履职事项": 0, "配合履职事项": 1, "上级部门收回事项": 0}
    assert linked_lists(files[f"issues/region/{YI}.md"]) == {"基本履职事项": 0, "配合履职事项": 1, "上级部门收回事项": 0}
    assert lists[YI, "cooperative"] == 1 and lists[JIA, "cooperative"] == 1
    assert shown_county(files[f"issues/region/{COUNTY}.md"]) == {JIA: [2, 1, 1, 4, 2], YI: [0, 1, 0, 1, 1]}


DATES = st.dates(min_value=pd.Timestamp("2025-01-01").date(), max_value=pd.Timestamp("2026-12-31").date())
ROWS = st.lists(st.tuples(st.sampled_from([JIA, YI]), st.sampled_from(list(LABELS)), DATES,
                          st.one_of(st.none(), DATES), st.booleans()), max_size=30)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=ROWS)
def test_duty_figures_match_the_standard_rule(tiny_ledger, rows):
    frame = pd.DataFrame({
        "id": [f"LZ-{n}" for n in range(len(rows))], "region_code": [r[0] for r in rows],
        "name": [f"事项{n}" for n in range(len(rows))], "list_type": [r[1] for r in rows],
        "department": ["jtj" if r[1] != "basic" else None for r in rows],
        "devolved_item_id": ["D1" if r[4] else None for r in rows], "source_ref": ["文号"] * len(rows),
        "effective_on": pd.to_datetime([r[2] for r in rows]), "removed_on": pd.to_datetime([r[3] for r in rows]),
    }, columns=["id", "region_code", "name", "list_type", "department", "devolved_item_id", "source_ref",
                "effective_on", "removed_on"])
    ledger = Ledger(package=tiny_ledger.package, as_of=tiny_ledger.as_of,
                    frames={**tiny_ledger.frames, "duty_items": frame}, calendar=tiny_ledger.calendar,
                    descendants=tiny_ledger.descendants)
    as_of = tiny_ledger.as_of.date()
    live = [r for r in rows if r[2] <= as_of and not (r[3] is not None and r[3] <= as_of)]
    compared = county_duties(ledger, [JIA, YI])
    for town, row in zip([JIA, YI], compared["rows"]):
        expected = {t: sum(1 for r in live if r[0] == town and r[1] == t) for t in LABELS}
        assert row["counts"] == expected
        assert row["devolved"] == sum(1 for r in live if r[0] == town and r[4])
        figures = town_duties(ledger, town)
        assert {e["type"]: e["count"] for e in figures["lists"]} == expected
        assert figures["total"] == sum(expected.values())
        assert figures["shared"] == expected["cooperative"] + expected["returned_up"]
        assert figures["departments"]["cooperative"] == (
            [{"code": "jtj", "name": "示例市交通运输局", "count": expected["cooperative"]}]
            if expected["cooperative"] else [])
