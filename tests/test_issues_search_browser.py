"""搜索问题 (issues/search/) as a person uses it in headless Chromium, on a phone and a desktop:
words and filters from the URL, pages, the CSV download and the printed list.

Expected lists are computed here from the ledger, independently of the index. Every page is
checked for console errors and requests to other hosts; screenshots go to
test-artifacts/screenshots/search-*.png.
"""

from __future__ import annotations

import csv
import io
import json

import pytest

from pipeline.render.issues_records import timing
from tests import browser
from tests.browser import assert_clean, PageWatch, screenshot, serve

pytestmark = pytest.mark.browser

VIEWPORTS = [({"width": 390, "height": 844}, "phone"), ({"width": 1366, "height": 900}, "desktop")]
TOWNSHIP = "990121001000"
COUNTY = "990102000000"  # 示例区: the 600-issue demo's two disputed issues are there


@pytest.fixture(scope="module")
def site(built_demo_site):
    with serve(built_demo_site) as base:
        yield base


@pytest.fixture(scope="module")
def listed(demo_ledger):
    """The issues newest first (the later id first on one day), with what the filters look at."""
    issues = demo_ledger.issues.sort_values(["raised_on", "id"], ascending=[False, False], kind="stable")
    checks = demo_ledger.inspections.sort_values(["inspected_on", "id"], kind="stable")
    last = checks.drop_duplicates("issue_id", keep="last").set_index("issue_id")["verdict"]
    return issues.assign(verdict=issues["id"].map(last), t=timing(issues, demo_ledger.as_of)["state"],
                         t_days=timing(issues, demo_ledger.as_of)["days"])


def open_page(chromium, base, path, viewport):
    page, watch = browser.open_page(chromium, base, path, viewport, accept_downloads=True)
    page.wait_for_selector(".search-summary")
    return page, watch


def shown_ids(page) -> list[str]:
    return [href.split("?id=")[1] for href in page.eval_on_selector_all(
        ".search-results a", "links => links.map(a => a.getAttribute('href'))")]



def in_township(demo_ledger, frame, code=TOWNSHIP):
    return frame["region_code"].isin(demo_ledger.region_codes(code))


@pytest.mark.parametrize("viewport,name", VIEWPORTS)
def test_a_query_lists_the_issues_holding_the_words(chromium, site, listed, viewport, name):
    text = listed["title"] + " " + listed["summary"].fillna("")
    want = listed.loc[text.str.contains("村") & text.str.contains("排查"), "id"].tolist()
    assert 20 < len(want)  # two pages
    page, watch = open_page(chromium, site, "/issues/search/?words=村+排查", viewport)
    assert shown_ids(page) == want[:20]
    assert page.inner_text(".search-summary").startswith(f"找到 {len(want)} 件问题")
    assert "关键词“村 排查”" in page.inner_text(".search-summary")
    assert page.input_value("#search-q") == "村 排查"
    links = page.eval_on_selector_all(".search-results a", "links => links.map(a => a.href)")
    assert links[0] == f"{site}/issue/?id={want[0]}"
    screenshot(page, f"search-words-{name}")
    page.close()
    assert_clean(watch)


@pytest.mark.parametrize("viewport,name", VIEWPORTS)
def test_filters_come_from_the_url_and_the_pages_follow(chromium, site, demo_ledger, listed, viewport, name):
    want = listed.loc[in_township(demo_ledger, listed) & listed["done"] & listed["verdict"].isna(), "id"].tolist()
    assert 20 < len(want) <= 40  # two pages
    page, watch = open_page(chromium, site, f"/issues/search/?place={TOWNSHIP}&uninspected=1&page=2", viewport)
    assert shown_ids(page) == want[20:40]
    assert page.input_value("#search-place") == TOWNSHIP
    assert page.is_checked("input[name=uninspected]") and not page.is_checked("input[name=disputed]")
    assert page.inner_text(".search-page-number") == "第 2 / 2 页"
    assert page.locator(".search-pages a[rel=next]").count() == 0
    page.click(".search-pages a[rel=prev]")
    page.wait_for_load_state("networkidle")
    assert page.url == f"{site}/issues/search/?place={TOWNSHIP}&uninspected=1"
    assert shown_ids(page) == want[:20]
    screenshot(page, f"search-township-uninspected-{name}")
    page.close()
    assert_clean(watch)


def test_a_place_and_a_department_by_name_and_the_disputed_flag(chromium, site, demo_ledger, listed):
    county = demo_ledger.regions.set_index("code").loc[COUNTY, "name"]
    want = listed.loc[in_township(demo_ledger, listed, COUNTY) & (listed["verdict"] == "not_resolved"), "id"].tolist()
    assert want
    page, watch = open_page(chromium, site, f"/issues/search/?place={county}&disputed=1", VIEWPORTS[1][0])
    assert shown_ids(page) == want[:20]
    department = demo_ledger.departments.iloc[0]
    want = listed.loc[(listed["lead_department"] == department["code"]) & (listed["t"] == "overdue"), "id"].tolist()
    page.goto(f"{site}/issues/search/?lead={department['name']}&overdue=1", wait_until="networkidle")
    assert shown_ids(page) == want[:20]
    assert f"牵头部门：{department['name']}；超期未办结" in page.inner_text(".search-summary")
    page.close()
    assert_clean(watch)


def test_an_unknown_place_says_so_and_lists_nothing(chromium, site):
    page, watch = open_page(chromium, site, "/issues/search/?place=没有这个镇", VIEWPORTS[0][0])
    assert page.inner_text(".issue-not-found") == "没有这样的地点“没有这个镇”。"
    assert shown_ids(page) == []
    page.close()
    assert_clean(watch)


def test_the_csv_holds_every_listed_issue_with_its_timing(chromium, site, demo_ledger, listed, tmp_path):
    page, watch = open_page(chromium, site, f"/issues/search/?place={TOWNSHIP}&status=archived", VIEWPORTS[1][0])
    archived = listed[in_township(demo_ledger, listed) & (listed["status"] == "archived")]
    # A title that a spreadsheet would run as a formula: the first listed issue's, changed in flight
    # (the list is shown; the download fetches the rows again).

    def poisoned(route):
        rows = json.loads(route.fetch().text())
        rows = [[r[0], "=HYPERLINK(\"http://x\",\"y\")" if r[0] == archived["id"].iloc[0] else r[1], *r[2:]]
                for r in rows]
        route.fulfill(status=200, content_type="application/json", body=json.dumps(rows, ensure_ascii=False))
    page.route("**/api/v1/search/rows/*.json", poisoned)
    with page.expect_download() as info:
        page.click(".search-csv")
    download = info.value
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    raw = path.read_bytes()
    assert download.suggested_filename == f"issues-search-{demo_ledger.as_of:%Y-%m-%d}.csv"
    assert raw.startswith("\ufeff".encode("utf-8"))
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == ["编号", "标题", "地点", "地点代码", "牵头部门", "状态", "类别", "提出日期", "办结期限", "办结日期",
                       "是否按期", "超期天数", "最近核查结论", "核查体验官"]
    assert [r[0] for r in rows[1:]] == archived["id"].tolist()
    assert rows[1][1] == "'=HYPERLINK(\"http://x\",\"y\")"
    by_id = {r[0]: r for r in rows[1:]}
    late = archived[archived["t"] == "late"].iloc[0]
    assert by_id[late["id"]][5] == "已归档"
    assert by_id[late["id"]][10:12] == [f"超期 {late['t_days']} 天办结", str(late["t_days"])]
    assert by_id[late["id"]][8] == f"{late['due']:%Y-%m-%d}"
    on_time = archived[archived["t"] == "on_time"].iloc[0]
    assert by_id[on_time["id"]][10:12] == ["按期办结", "0"]
    page.close()
    assert_clean(watch)


def test_the_printed_list_hides_the_form_and_says_its_filters(chromium, site):
    page, watch = open_page(chromium, site, f"/issues/search/?place={COUNTY}&disputed=1", VIEWPORTS[1][0])
    page.emulate_media(media="print")
    assert not page.is_visible(".search-form")
    assert not page.is_visible(".search-csv")
    assert page.is_visible(".search-summary")
    assert "条件：地点：" in page.inner_text(".search-summary") and "核查结论为“未解决”" in page.inner_text(".search-summary")
    screenshot(page, "search-print")
    page.close()
    assert_clean(watch)


def test_the_lookup_page_searches_by_words(chromium, site, listed):
    """查询问题 without an id: type words, tap 搜索, and the list is there."""
    text = listed["title"] + " " + listed["summary"].fillna("")
    want = listed.loc[text.str.contains("排查"), "id"].tolist()
    page = chromium.new_page(viewport=VIEWPORTS[0][0])
    watch = PageWatch(page, site)
    page.goto(f"{site}/issue/", wait_until="networkidle")
    page.fill("#issue-q", "排查")
    page.click("form[aria-label=搜索问题] button")
    page.wait_for_selector(".search-summary")
    assert page.url == f"{site}/issues/search/?words=%E6%8E%92%E6%9F%A5"
    assert shown_ids(page) == want[:20]
    page.close()
    assert_clean(watch)
