"""满意度与核查 pages: figures equal the metric functions, 样本不足 below n = 10, exact lists.

The tiny package is hand-computable (see tests/test_metrics.py); the 600-issue
demo checks that breakdowns add up and that every rate shown is the metric
function's value for that part of the ledger.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest

from pipeline.figures import metrics as m
from pipeline.figures.scope import metric_for
from pipeline.figures.metrics import compute_all
from pipeline.render import outcomes
from pipeline.render.env import percent
from pipeline.figures.outcomes import quarter_label, quarter_months, quarter_of, quarters
from pipeline.figures.stats import wilson_interval
from tests.golden import check_golden

PAGES = ["outcomes/index.md", "outcomes/satisfaction.md", "outcomes/surveys.md", "outcomes/negative.md",
         "outcomes/inspections.md"]


# --- a small reader for the tables and lists the templates write -----------------------

class Page(HTMLParser):
    """Tables (by id) as rows of cells; each cell keeps its class, data-n, main text and the small print."""

    def __init__(self, html: str):
        super().__init__()
        self.tables: dict[str, list[dict]] = {}
        self.cells: list[dict] = []  # every td/th in document order
        self.links: list[str] = []
        self.items: dict[str, list[str]] = {}  # id of a list → its data-issue values
        self._table: str | None = None
        self._row: dict | None = None
        self._cell: dict | None = None
        self._spans: list[bool] = []  # open spans: is it small print?
        self._list: str | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table":
            self._table = a.get("id")
            if self._table:
                self.tables[self._table] = []
        elif tag == "tr" and self._table:
            self._row = {"key": a.get("data-key"), "cells": []}
        elif tag in ("td", "th") and self._row is not None:
            self._cell = {"class": a.get("class", ""), "n": a.get("data-n"), "text": "", "small": ""}
        elif tag == "span":
            self._spans.append("ledger-frac" in (a.get("class") or ""))
        elif tag == "a":
            self.links.append(a.get("href", ""))
        elif tag == "ol" and a.get("id"):
            self._list = a["id"]
            self.items[self._list] = []
        elif tag == "li" and self._list and a.get("data-issue"):
            self.items[self._list].append(a["data-issue"])

    def handle_endtag(self, tag):
        if tag == "span" and self._spans:
            self._spans.pop()
        elif tag in ("td", "th") and self._cell is not None:
            self._cell = {**self._cell, "text": self._cell["text"].strip(), "small": self._cell["small"].strip()}
            self._row["cells"].append(self._cell)
            self.cells.append(self._cell)
            self._cell = None
        elif tag == "tr" and self._row is not None:
            if self._row["key"] is not None:  # body rows carry data-key; header rows do not
                self.tables[self._table].append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None
        elif tag == "ol":
            self._list = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell["small" if any(self._spans) else "text"] += data

    def rows(self, table: str) -> dict[str, dict]:
        """Body rows by data-key ('' is the 全部 row), each with its cells' main texts."""
        return {r["key"]: r for r in self.tables[table]}


def texts(row: dict) -> list[str]:
    return [c["text"] for c in row["cells"]]


def as_int(text: str) -> int:
    return int(text.replace(",", ""))


# --- fixtures --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def tiny_files(tiny_ledger):
    return outcomes.render_section(tiny_ledger, compute_all(tiny_ledger)).files


@pytest.fixture(scope="module")
def demo_files(demo_ledger):
    return outcomes.render_section(demo_ledger, compute_all(demo_ledger)).files


# --- golden pages ------------------------------------------------------------------------

@pytest.mark.parametrize("path", PAGES + ["api/v1/outcomes.json"])
def test_tiny_pages_match_golden(tiny_files, path):
    name = "outcomes_" + path.rsplit("/", 1)[1].replace("outcomes.json", "api.json")
    check_golden(name, tiny_files[path])


def test_section_renders_exactly_these_files(tiny_files):
    assert sorted(tiny_files) == sorted(PAGES + ["api/v1/outcomes.json"])


def test_generated_pages_are_searchable_but_their_data_tables_are_not(tiny_files):
    for path in PAGES:
        text = tiny_files[path]
        assert text.startswith("---\ntitle: \""), path
        assert "exclude: true" not in text, path
        assert '<div class="ledger-scroll"' not in text and '<div class="ledger-cards"' not in text, path


# --- tiny: hand-computed figures ---------------------------------------------------------

def test_tiny_evaluations_by_department(tiny_files):
    page = Page(tiny_files["outcomes/satisfaction.md"])
    rows = page.rows("evaluations-by-department")
    # name, n, 满意率, 非常满意率, then grades 5…1
    assert texts(rows[""]) == ["全部", "4", "样本不足", "样本不足", "1", "0", "1", "1", "1"]
    assert texts(rows["jtj"]) == ["示例市交通运输局", "2", "样本不足", "样本不足", "1", "0", "0", "1", "0"]
    assert texts(rows["zrzyj"]) == ["示例市自然资源和规划局", "2", "样本不足", "样本不足", "0", "0", "1", "0", "1"]
    assert rows["jtj"]["cells"][2]["small"] == "1 / 2"


def test_tiny_surveys_show_rate_and_wilson_interval_only_from_ten_answers(tiny_files):
    page = Page(tiny_files["outcomes/surveys.md"])
    county = texts(page.rows("surveys-by-county")["990121000000"])
    # name, n, 满意率, interval, grades 5…1, surveys
    assert county == ["示例县", "45", "86.7%", "73.8%–93.7%", "11", "22", "6", "3", "3", "2"]
    township = page.rows("surveys-by-township")
    assert texts(township["990121001000"])[:4] == ["甲镇", "5", "样本不足", "样本不足"]
    assert texts(township["990121002000"])[:4] == ["乙镇", "0", "—", "—"]
    listed = page.rows("surveys-list")
    assert texts(listed["S1"])[6:] == ["40", "87.5%", "73.9%–94.5%"]
    assert texts(listed["S2"])[3:] == ["示例县 甲镇", "工作机制：周一夜访", "问卷", "5", "样本不足", "样本不足"]


def test_tiny_negative_list_order_and_days(tiny_files):
    html = tiny_files["outcomes/negative.md"]
    order = re.findall(r'data-evaluation="([^"]+)"', html)
    assert order == ["E3", "E2"]  # not yet rectified first
    assert "评价后已过 20 天" in html  # E3: 2026-04-10 → as_of 2026-04-30
    assert "2026年3月20日 完成<span class=\"ledger-frac\">用时 8 天</span>" in html  # E2: 03-12 → 03-20
    assert '<a href="../../issue/?id=Q-008">Q-008</a> 农田灌溉渠堵塞' in html
    rows = Page(html).rows("negative-by-department")
    # name, 评价数, 差评数, 已整改, 未整改, 整改率
    assert texts(rows[""]) == ["全部", "4", "2", "1", "1", "样本不足"]
    assert texts(rows["jtj"]) == ["示例市交通运输局", "2", "1", "1", "0", "样本不足"]
    assert texts(rows["zrzyj"]) == ["示例市自然资源和规划局", "2", "1", "0", "1", "样本不足"]


def test_tiny_disputed_list_comes_first_with_every_check(tiny_files):
    html = tiny_files["outcomes/inspections.md"]
    assert html.index('id="disputed-list"') < html.index('id="inspections-by-county"')
    assert Page(html).items == {"disputed-list": ["Q-002"]}
    item = html[html.index('data-issue="Q-002"'):html.index("</ol>")]
    for expected in ['<a href="../../issue/?id=Q-002">Q-002</a> 河道垃圾长期无人清理', "<dd>示例县 甲镇 甲一村</dd>",
                     "<dd>示例市交通运输局</dd>", "<dd>2026年3月9日</dd>", "2026年3月13日", "<code>TYG-02</code>",
                     "河道仍有垃圾", "2026年3月30日", "<code>TYG-03</code>"]:
        assert expected in item
    assert item.count("未解决") == 2
    rows = Page(html).rows("inspections-by-township")
    # name, n, 确认解决率, 存疑问题数, confirmed, partly, not_resolved
    assert texts(rows["990121001000"]) == ["甲镇", "3", "样本不足", "1", "1", "0", "2"]
    assert texts(rows["990121002000"]) == ["乙镇", "1", "样本不足", "0", "0", "1", "0"]


def test_index_links_the_latest_disputed_issue_one_level_up(tiny_files):
    html = tiny_files["outcomes/index.md"]
    assert '<a href="../issue/?id=Q-002">Q-002</a>' in html
    assert html.index("{ #disputed }") < html.index('class="ledger-cards"')


def test_list_is_cut_at_the_limit_and_says_so(tiny_ledger, monkeypatch):
    monkeypatch.setattr(outcomes, "LIST_LIMIT", 1)
    html = outcomes.render_section(tiny_ledger, compute_all(tiny_ledger)).files["outcomes/negative.md"]
    assert re.findall(r'data-evaluation="([^"]+)"', html) == ["E3"]
    assert "差评共 2 条，此处列出前 1 条；全部记录见 evaluations.csv。" in html


# --- 样本不足 on every rendered rate -------------------------------------------------------

PERCENT = re.compile(r"\d{1,3}\.\d%")
INTERVAL = re.compile(r"\d{1,3}\.\d%–\d{1,3}\.\d%")


def check_suppression(files) -> tuple[int, int]:
    suppressed = shown = 0
    for path in PAGES:
        for cell in Page(files[path]).cells:
            if "ledger-rate" not in cell["class"] and "ledger-interval" not in cell["class"]:
                continue
            n = int(cell["n"])
            pattern = INTERVAL if "ledger-interval" in cell["class"] else PERCENT
            if n == 0:
                assert cell["text"] == "—", (path, cell)
            elif n < 10:
                assert cell["text"] == "样本不足", (path, cell)
                suppressed += 1
            else:
                assert pattern.fullmatch(cell["text"]), (path, cell)
                shown += 1
    return suppressed, shown


def test_rates_below_ten_cases_are_suppressed_on_tiny_pages(tiny_files):
    suppressed, shown = check_suppression(tiny_files)
    assert suppressed > 20 and shown >= 6  # both branches are exercised


def test_rates_below_ten_cases_are_suppressed_on_demo_pages(demo_files):
    suppressed, shown = check_suppression(demo_files)
    assert suppressed > 0 and shown > 50


def test_cards_suppress_small_samples_too(tiny_files):
    html = tiny_files["outcomes/index.md"]
    card = html[html.index('id="metric-satisfaction_rate"'):html.index("</section>", html.index('id="metric-satisfaction_rate"'))]
    assert '<p class="ledger-value">样本不足</p>' in card and "2 / 4" in card
    survey = html[html.index('id="metric-survey_satisfaction_rate"'):]
    assert "<p class=\"ledger-value\">86.7%</p>" in survey and "73.8%–93.7%" in survey


# --- demo: every figure is the metric function's --------------------------------------------

DIMENSIONS = {"county": "region", "township": "region", "department": "department", "mechanism": "mechanism"}


@pytest.mark.parametrize("dim", ["county", "township", "department", "mechanism", "quarter"])
def test_evaluation_rows_equal_metric_functions(demo_ledger, demo_files, dim):
    rows = Page(demo_files["outcomes/satisfaction.md"]).rows(f"evaluations-by-{dim}")
    total = rows.pop("")
    assert as_int(texts(total)[1]) == m.evaluations_count(demo_ledger).value
    assert sum(as_int(texts(r)[1]) for r in rows.values()) == m.evaluations_count(demo_ledger).value
    for key, row in rows.items():
        for column, name in ((1, "evaluations_count"), (2, "satisfaction_rate"), (3, "very_satisfied_rate")):
            expected = quarter_metric(demo_ledger, name, key) if dim == "quarter" else metric_for(
                demo_ledger, name, **{DIMENSIONS[dim]: key})
            shown = texts(row)[column]
            assert shown == (f"{expected.value:,}" if column == 1 else percent(expected)), (dim, key, name)
        grades = [as_int(t) for t in texts(row)[4:9]]
        assert sum(grades) == as_int(texts(row)[1])


def quarter_metric(ledger, name, quarter):
    """The quarter's figure built independently from the month breakdown of aggregate."""
    parts = [metric_for(ledger, name, month=month) for month in quarter_months(quarter)]
    if m.METRICS[name].kind == "count":
        return m.count(sum(p.value for p in parts))
    return m.rate(sum(p.numerator for p in parts), sum(p.denominator for p in parts))


def test_negative_counts_by_department_add_up_to_the_total(demo_ledger, demo_files):
    rows = Page(demo_files["outcomes/negative.md"]).rows("negative-by-department")
    total = rows.pop("")
    negative, rectified = m.negative_count(demo_ledger), m.negative_rectified_rate(demo_ledger)
    assert [as_int(t) for t in texts(total)[2:5]] == [negative.value, rectified.numerator,
                                                      rectified.denominator - rectified.numerator]
    assert sum(as_int(texts(r)[2]) for r in rows.values()) == negative.value
    assert sum(as_int(texts(r)[3]) for r in rows.values()) == rectified.numerator
    for key, row in rows.items():
        assert texts(row)[5] == percent(metric_for(demo_ledger, "negative_rectified_rate", department=key))
    html = demo_files["outcomes/negative.md"]
    assert len(re.findall(r"data-evaluation=", html)) == min(negative.value, outcomes.LIST_LIMIT)
    assert html.count('class="ledger-open"') == rectified.denominator - rectified.numerator


@pytest.mark.parametrize("dim", ["county", "township", "department", "mechanism", "quarter"])
def test_survey_rows_equal_metric_functions_with_their_interval(demo_ledger, demo_files, dim):
    rows = Page(demo_files["outcomes/surveys.md"]).rows(f"surveys-by-{dim}")
    rows.pop("")
    assert rows, dim
    for key, row in rows.items():
        expected = quarter_metric(demo_ledger, "survey_satisfaction_rate", key) if dim == "quarter" else metric_for(
            demo_ledger, "survey_satisfaction_rate", **{DIMENSIONS[dim]: key})
        cells = texts(row)
        assert as_int(cells[1]) == expected.denominator
        assert cells[2] == percent(expected)
        if not expected.small_sample and expected.denominator:
            low, high = wilson_interval(expected.numerator, expected.denominator)
            assert cells[3] == f"{low * 100:.1f}%–{high * 100:.1f}%"


def test_inspection_rows_equal_metric_functions(demo_ledger, demo_files):
    page = Page(demo_files["outcomes/inspections.md"])
    disputed = m.issues_disputed(demo_ledger).value
    assert len(page.items["disputed-list"]) == disputed
    for dim in ("county", "township", "department"):
        rows = page.rows(f"inspections-by-{dim}")
        total = rows.pop("")
        assert as_int(texts(total)[1]) == m.inspections_confirmed_rate(demo_ledger).denominator
        assert sum(as_int(texts(r)[1]) for r in rows.values()) == as_int(texts(total)[1])
        for key, row in rows.items():
            kwargs = {DIMENSIONS[dim]: key}
            assert texts(row)[2] == percent(metric_for(demo_ledger, "inspections_confirmed_rate", **kwargs))
            assert as_int(texts(row)[3]) == metric_for(demo_ledger, "issues_disputed", **kwargs).value
            verdicts = [as_int(t) for t in texts(row)[4:7]]
            assert sum(verdicts) == as_int(texts(row)[1])
            assert verdicts[0] == metric_for(demo_ledger, "inspections_confirmed_rate", **kwargs).numerator


def test_officers_appear_only_by_code(demo_files):
    html = demo_files["outcomes/inspections.md"]
    codes = re.findall(r"<code>([^<]*)</code>", html)
    assert codes and all(re.fullmatch(r"[A-Z]{2,6}-\d{2,6}", c) for c in codes)


def test_api_document_carries_the_wilson_interval(demo_ledger, demo_files):
    doc = json.loads(demo_files["api/v1/outcomes.json"])
    rate = m.survey_satisfaction_rate(demo_ledger)
    total = doc["surveys"]["total"]
    assert total["metrics"]["survey_satisfaction_rate"] == rate.to_dict()
    assert total["wilson_95"] == list(wilson_interval(rate.numerator, rate.denominator))
    assert sum(r["metrics"]["negative_count"]["value"] for r in doc["evaluations"]["by"]["department"]) == \
        m.negative_count(demo_ledger).value
    assert doc["as_of"] == "2026-10-31" and doc["small_sample"] == 10


# --- quarters ---------------------------------------------------------------------------------

def test_quarter_helpers():
    assert [quarter_of(f"2025-{mm:02d}") for mm in (1, 3, 4, 6, 7, 9, 10, 12)] == [
        "2025Q1", "2025Q1", "2025Q2", "2025Q2", "2025Q3", "2025Q3", "2025Q4", "2025Q4"]
    assert quarter_months("2026Q4") == ["2026-10", "2026-11", "2026-12"]
    assert quarter_label("2026Q2") == "2026年第2季度"


def test_quarters_run_without_gaps_from_first_to_last_record(tiny_ledger):
    # evaluations 2026-03/04, inspections 2026-03, surveys end 2026-03
    assert quarters(tiny_ledger) == ["2026Q1", "2026Q2"]
