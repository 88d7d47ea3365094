"""基层减负 pages (pipeline/render/burden.py): the section, a township's trend, the home cards, the cuts feed."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from pipeline.core.cache import FileCache
from pipeline.figures.metrics import compute_all
from pipeline.render import burden, home
from pipeline.render.charts import Line, line_chart
from pipeline.render.issues_pages import Context, region_page
from pipeline.validate import validate
from tests.conftest import make_tiny
from tests.golden import check_golden
from tests.test_burden_version import without_burden_package

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(scope="module")
def section(tiny_ledger) -> dict:
    return burden.render_section(tiny_ledger, compute_all(tiny_ledger)).files


def rows_of(page: str, table_id: str) -> list[str]:
    body = page.split(f'id="{table_id}"', 1)[1].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r"<tr[^>]*>.*?</tr>", body, flags=re.S)


def test_cut_list_newest_first_with_filter_keys(section):
    page = section["burden/index.md"]
    rows = rows_of(page, "burden-cut-table")
    assert [re.search(r'id="([^"]+)"', r).group(1) for r in rows] == ["cut-JF-004", "cut-JF-003", "cut-JF-002",
                                                                     "cut-JF-001"]
    assert [re.search(r'data-kind="([^"]+)" data-department="([^"]+)"', r).groups() for r in rows] == [
        ("meeting", "-"), ("work_group", "-"), ("report_form", "jtj"), ("certificate", "zrzyj")]
    assert '<td data-label="提出要求的部门">示例市交通运输局</td>' in rows[2]
    assert '<td class="burden-nowrap" data-label="范围">甲镇</td>' in rows[1]


def test_cut_filter_is_hidden_without_script(section):
    """Without JavaScript the form stays hidden and every row is shown: the full list."""
    page = section["burden/index.md"]
    assert ('<form class="claims-filter" id="burden-filter" data-filter-table="burden-cut-table" '
            'data-filter-status="burden-filter-status" data-filter-unit="项" '
            'data-filter-links="#burden-demanders-table a[href^=\'?\']" hidden>') in page
    assert " hidden" not in page.split('id="burden-cut-table"', 1)[1]
    assert '<option value="-">未注明（2）</option>' in page
    assert '<script src="../assets/js/table-filter.js"></script>' in page


def test_demanders_ranking_states_its_caveat(section):
    page = section["burden/index.md"]
    assert "这是数据显示的情况，不是对部门负担大小的评价。" in page
    assert "另有 2 项未注明提出要求的部门，不计入任何部门。" in page
    names = re.findall(r'<th scope="row"><a href="\?department=([^"#]+)#burden-cuts">([^<]+)</a></th>',
                       page.split('id="burden-demanders-table"', 1)[1].split("</table>", 1)[0])
    assert names == [("jtj", "示例市交通运输局"), ("zrzyj", "示例市自然资源和规划局")]


def test_section_trend_table_holds_every_month(section):
    rows = rows_of(section["burden/index.md"], "burden-trend-section")  # the section holds one table
    assert len(rows) == 16
    assert rows[0] == ('<tr><th scope="row">2025-01</th><td class="ledger-num">30</td><td class="ledger-num">12</td>'
                       '<td class="ledger-num">20</td><td class="ledger-num">1</td></tr>')
    assert "各月报告的乡镇（街道）数不同" in section["burden/index.md"]


def test_section_names_its_feed(section):
    front = section["burden/index.md"].split("---", 2)[1]
    assert 'feed: "feeds/burden-cuts.xml"' in front


def test_feed_of_cuts_newest_first(section):
    root = ET.fromstring(section["feeds/burden-cuts.xml"])
    entries = root.findall(f"{ATOM}entry")
    assert [e.find(f"{ATOM}id").text for e in entries] == [
        f"tag:sunshine-ledger,2026:burden-cut/JF-00{n}" for n in (4, 3, 2, 1)]
    assert entries[2].find(f"{ATOM}title").text == "报表：交通安全隐患月报表"
    assert entries[2].find(f"{ATOM}content").text == ("范围：全域；提出要求的部门：示例市交通运输局；2025-09-15 取消；"
                                                      "依据：县委办〔2025〕12号。")
    assert root.find(f"{ATOM}updated").text == "2026-03-01T00:00:00+08:00"


def test_cut_name_with_markup_is_escaped(tmp_path):
    folder = make_tiny(tmp_path / "tiny")
    path = folder / "burden_cuts.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("居住证明", "<b>居住</b>&证明"), encoding="utf-8")
    report, ledger = validate(folder, cache=FileCache(None))
    assert report.valid
    files = burden.render_section(ledger, compute_all(ledger)).files
    assert "<b>居住</b>" not in files["burden/index.md"]
    assert "&lt;b&gt;居住&lt;/b&gt;&amp;证明" in files["burden/index.md"]
    assert "<title>证明事项：&lt;b&gt;居住&lt;/b&gt;&amp;证明</title>" in files["feeds/burden-cuts.xml"].decode()


def test_feed_is_deterministic(tiny_ledger):
    assert burden.cut_feed(tiny_ledger) == burden.cut_feed(tiny_ledger)


def test_package_without_burden_gets_no_burden_content(tmp_path):
    """A fork's version-2 package from before issue #22: a short section page, no feed, nothing on the
    township and home pages."""
    report, ledger = validate(without_burden_package(tmp_path / "v2"), cache=FileCache(None))
    assert report.valid
    metrics = compute_all(ledger)
    files = burden.render_section(ledger, metrics).files
    assert list(files) == ["burden/index.md"]
    assert "暂无内容" in files["burden/index.md"] and "feed:" not in files["burden/index.md"]
    assert 'id="home-burden"' not in home.headline_block(ledger, metrics)
    assert "{#burden}" not in region_page(Context.of(ledger), "990121001000")


def test_township_page_has_its_burden_trend(tiny_ledger):
    page = region_page(Context.of(tiny_ledger), "990121001000")
    assert "## 基层负担 {#burden}" in page
    assert 'id="burden-990121001000"' in page
    table = page.split("## 基层负担", 1)[1]
    assert '<tr><th scope="row">2026-04</th><td class="ledger-num">22</td><td class="ledger-num">8</td>' in table
    assert '<a href="../../../burden/">基层减负</a>' in table


def test_county_page_has_no_burden_trend(tiny_ledger):
    assert "{#burden}" not in region_page(Context.of(tiny_ledger), "990121000000")


def test_month_without_report_breaks_the_line():
    svg = line_chart("t", ["a", "b", "c", "d"], [Line("文件", [1, None, 2, 3], "line-a")], chart_id="x")
    (path,) = re.findall(r'<path class="line-a" d="([^"]+)"/>', svg)
    assert [part[0] for part in path.split(" ") if part[0].isalpha()] == ["M", "M", "L"]
    assert svg.count("<circle") == 3


@pytest.mark.parametrize("path", ["burden/index.md", "feeds/burden-cuts.xml"])
def test_rendered_file_matches_golden(section, path):
    content = section[path]
    check_golden(f"burden_tiny/{path}", content.decode("utf-8") if isinstance(content, bytes) else content)


def test_line_chart_axis_has_whole_numbers():
    """A top of 50 split in quarters would label the axis 12.5 and 37.5 (counts are whole)."""
    svg = line_chart("t", ["a", "b"], [Line("文件", [31, 48], "line-a")], chart_id="x")
    assert re.findall(r'text-anchor="end">([^<]+)</text>', svg) == ["0", "10", "20", "30", "40", "50"]


def test_section_metrics_link_their_definitions(section, tiny_ledger):
    page = section["burden/index.md"]
    metrics = compute_all(tiny_ledger)
    for name in burden.METRIC_NAMES:
        card = page.split(f'id="burden-{name}"', 1)[1].split("</section>", 1)[0]
        assert f'<a href="../methodology/#def-{name}">定义</a>' in card
    change = metrics["burden_change_rate"]
    assert (change.numerator, change.denominator) == (837, 232)
    card = page.split('id="burden-burden_change_rate"', 1)[1].split("</section>", 1)[0]
    assert '<p class="ledger-value">+260.8%</p>' in card and '<p class="ledger-fraction">837 ÷ 232 − 1</p>' in card
    card = page.split('id="burden-burden_cuts_count"', 1)[1].split("</section>", 1)[0]
    assert metrics["burden_cuts_count"].value == 4 and '<p class="ledger-value">4</p>' in card


def test_home_shows_burden_metrics_linking_to_the_section(tiny_ledger):
    block = home.headline_block(tiny_ledger, compute_all(tiny_ledger))
    part = block.split('id="home-burden"', 1)[1]
    assert re.findall(r'<section class="ledger-card" id="home-burden-([a-z_0-9]+)"', part) == list(burden.METRIC_NAMES)
    assert '<a href="methodology/#def-burden_change_rate">定义</a>' in part
    assert '<p class="ledger-fraction">837 ÷ 232 − 1</p>' in part
    assert '<a href="burden/">基层减负</a>' in part


def test_bundled_section_matches_golden(bundled_demo):
    """The section for the bundled demo (12 townships and streets over 24 months, 98 cuts)."""
    _, ledger = validate(bundled_demo)
    files = burden.render_section(ledger, compute_all(ledger)).files
    check_golden("burden_bundled/burden/index.md", files["burden/index.md"])
    check_golden("burden_bundled/feeds/burden-cuts.xml", files["feeds/burden-cuts.xml"].decode("utf-8"))
