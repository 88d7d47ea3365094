"""问题办理 as a person sees it in headless Chromium: home → township page → one issue, on a phone and a desktop.

Every page is checked for console errors and requests to other hosts; screenshots go to
test-artifacts/screenshots/issues-*.png.
"""

from __future__ import annotations

import re
import time

import pytest

from pipeline.figures.metrics import compute_all
from pipeline.render.env import percent
from pipeline.figures.breakdowns import breakdown_figures
from pipeline.render.issues_pages import PAGE_LEVELS
from pipeline.render.issues_records import Names, timing
from tests.browser import assert_clean, open_page, PageWatch, screenshot, serve

pytestmark = pytest.mark.browser

VIEWPORTS = [({"width": 390, "height": 844}, "phone"), ({"width": 1280, "height": 900}, "desktop")]
TOWNSHIP = "990121001000"


@pytest.fixture(scope="module")
def evaluated_issue(demo_ledger):
    """The first (by id) resolved issue with both an evaluation and an inspection."""
    issues = demo_ledger.issues
    both = set(demo_ledger.evaluations["issue_id"]) & set(demo_ledger.inspections["issue_id"])
    row = issues[issues["done"] & issues["id"].isin(both)].sort_values("id").iloc[0]
    return row


@pytest.fixture(scope="module")
def site(built_demo_site):
    with serve(built_demo_site) as base:
        yield base



@pytest.mark.parametrize("viewport,name", VIEWPORTS)
def test_home_leads_to_the_issues_section(chromium, site, viewport, name):
    page, watch = open_page(chromium, site, "/", viewport)
    page.locator("article a[href='issues/']").first.click()
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").first.inner_text() == "问题办理"
    screenshot(page, f"issues-overview-{name}")
    page.close()
    assert_clean(watch)


@pytest.mark.parametrize("viewport,name", VIEWPORTS)
def test_township_page_shows_its_figures_and_open_issues(chromium, site, demo_ledger, viewport, name):
    figures = breakdown_figures(demo_ledger, "region", [TOWNSHIP])[TOWNSHIP]
    page, watch = open_page(chromium, site, f"/issues/region/{TOWNSHIP}/", viewport)
    assert page.locator("h1").first.inner_text() == "青山镇 问题办理"
    assert page.locator("#issues-issues_raised .ledger-value").inner_text() == str(figures["issues_raised"].value)
    assert page.locator("#issues-on_time_rate .ledger-value").inner_text() == percent(figures["on_time_rate"])
    links = page.locator("table.issues-list a[href*='issue/?id=']")
    assert links.count() >= 1
    screenshot(page, f"issues-township-{name}")
    first_id = links.first.inner_text()
    links.first.click()
    page.wait_for_selector(".issue-record")
    assert page.locator(".issue-fields dd").first.inner_text() == first_id
    page.close()
    assert_clean(watch)


@pytest.mark.parametrize("viewport,name", VIEWPORTS)
def test_lookup_shows_a_resolved_issue_with_its_evaluation(chromium, site, evaluated_issue, demo_ledger,
                                                           viewport, name):
    issue_id = evaluated_issue["id"]
    page, watch = open_page(chromium, site, f"/issue/?id={issue_id}", viewport)
    page.wait_for_selector(".issue-record")
    assert page.locator("h2.issue-title").inner_text() == evaluated_issue["title"]
    resolved = evaluated_issue["resolved_on"]
    assert f"{resolved.year}年{resolved.month}月{resolved.day}日" in page.locator(".issue-steps").inner_text()
    evaluation = demo_ledger.evaluations[demo_ledger.evaluations["issue_id"] == issue_id].iloc[0]
    tables = page.locator("table.issue-table")
    assert evaluation["evaluator"] in tables.nth(0).inner_text()
    officer = demo_ledger.inspections.loc[demo_ledger.inspections["issue_id"] == issue_id, "officer"].iloc[0]
    assert officer in tables.nth(1).inner_text()
    assert page.title().startswith(evaluated_issue["title"])
    screenshot(page, f"issues-lookup-{name}")
    page.close()
    assert_clean(watch)


def test_lookup_says_plainly_when_an_id_is_unknown(chromium, site):
    for unknown in ("Q-9999-99999", "<b>x</b>"):
        page, watch = open_page(chromium, site, f"/issue/?id={unknown}", {"width": 390, "height": 844})
        message = page.locator(".issue-not-found")
        message.wait_for()
        assert message.inner_text().startswith(f"未找到编号为 {unknown} 的问题")
        assert page.locator("#issue-lookup b").count() == 0  # shown as text, never as markup
        # The space kept for a record says where else to look, with links that lead to real pages.
        hints = page.locator(".issue-hints a")
        assert hints.all_inner_texts() == ["搜索问题", "超期问题清单", "问题办理总览", "下载全部问题数据"]
        assert [hints.nth(n).get_attribute("href") for n in range(4)] == \
            ["../issues/search/", "../issues/overdue/", "../issues/", "../data/#issues"]
        for n in range(4):
            target = page.evaluate("(a) => a.href.split('#')[0]", hints.nth(n).element_handle())
            assert page.request.get(target).status == 200, target
        example = page.locator("#issue-lookup").get_attribute("data-example")
        assert page.inner_text(".issue-hints-foot") == f"问题编号形如 {example}，见问题清单和各地页面，大小写均可。"
        if unknown.startswith("Q"):
            screenshot(page, "issues-lookup-unknown-phone")
        page.close()
        assert_clean(watch)


def test_lookup_without_javascript_offers_the_overdue_list_and_download(chromium, site):
    context = chromium.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(f"{site}/issue/?id=Q-2025-00001", wait_until="networkidle")
    note = page.locator(".issue-needs-js")
    assert "需要启用 JavaScript" in note.inner_text()
    assert note.locator("a[href='../issues/overdue/']").count() == 1
    assert note.locator("a[href='../data/#issues']").count() == 1
    context.close()


def test_league_table_sorts_and_every_department_is_there_without_javascript(chromium, site, demo_ledger):
    page, watch = open_page(chromium, site, "/issues/departments/", {"width": 1280, "height": 900})
    rows = page.locator("#issues-league-table tbody tr")
    departments = demo_ledger.departments
    assert rows.count() == departments["code"].isin(
        demo_ledger.issues.loc[demo_ledger.issues["month"] >= "2025-11", "lead_department"]).sum()
    header = page.locator("#issues-league-table th", has_text="牵头问题")
    header.locator("button").click()
    assert header.get_attribute("aria-sort") == "descending"
    counts = [int(t) for t in page.locator("#issues-league-table tbody tr td:nth-child(3)").all_inner_texts()]
    assert counts == sorted(counts, reverse=True)
    header.locator("button").click()
    counts = [int(t) for t in page.locator("#issues-league-table tbody tr td:nth-child(3)").all_inner_texts()]
    assert counts == sorted(counts)
    screenshot(page, "issues-departments-desktop")
    page.close()
    assert_clean(watch)


def test_overdue_page_lists_every_overdue_issue(chromium, site, demo_ledger):
    page, watch = open_page(chromium, site, "/issues/overdue/", {"width": 390, "height": 844})
    overdue = compute_all(demo_ledger)["overdue_open"].value
    assert page.locator("table.issues-list tbody tr").count() == overdue
    screenshot(page, "issues-overdue-phone")
    page.close()
    assert_clean(watch)


# --- One issue, as an experience officer reads it on site and prints it (issue #17) ---------------------------

LOOKUP_VIEWPORTS = [({"width": 390, "height": 844}, "phone"), ({"width": 1366, "height": 900}, "desktop")]
ISO_DATE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}")
# Byte-mode capacity of QR versions 1–10 at error correction level M (ISO/IEC 18004, table 7).
QR_BYTES_M = [14, 26, 42, 62, 84, 106, 122, 152, 180, 213]

# Layout shifts since the page started (buffered), those right after a person's input excepted.
CLS_SCRIPT = """() => new Promise(resolve => {
  let total = 0;
  new PerformanceObserver(list => {
    for (const entry of list.getEntries()) { if (!entry.hadRecentInput) total += entry.value; }
  }).observe({type: 'layout-shift', buffered: true});
  setTimeout(() => resolve(total), 300);
})"""


@pytest.fixture(scope="module")
def disputed_issue(demo_ledger):
    """The first (by id) issue whose latest inspection found it 未解决 although the ledger calls it done."""
    checks = demo_ledger.inspections.sort_values(["inspected_on", "id"], kind="stable")
    latest = checks.groupby("issue_id")["verdict"].last()
    disputed = sorted(latest.index[latest == "not_resolved"])
    assert disputed, "the demo has a disputed issue"
    issues = demo_ledger.issues
    return issues[issues["id"] == disputed[0]].iloc[0]


def qr_modules(url: str) -> int:
    """Modules per side of the smallest level-M QR code that holds ``url`` in byte mode."""
    version = next(v for v, capacity in enumerate(QR_BYTES_M, start=1) if len(url.encode("utf-8")) <= capacity)
    return 17 + 4 * version


def open_slow_record(chromium, base, path, viewport):
    """The lookup page with its shard held back 400 ms: the record arrives after the first paint, as on a slow phone."""
    page = chromium.new_page(viewport=viewport)
    watch = PageWatch(page, base)

    def late(route):
        time.sleep(0.4)
        route.continue_()

    page.route("**/api/v1/issues/*.json", late)
    page.goto(f"{base}{path}", wait_until="networkidle")
    page.wait_for_selector(".issue-record")
    return page, watch


@pytest.mark.parametrize("viewport,name", LOOKUP_VIEWPORTS)
def test_disputed_state_only_at_the_bottom(chromium, site, disputed_issue, demo_ledger, viewport, name):
    """An issue the officer found 未解决 says so at the top, above its fields, in the first screen."""
    page, watch = open_slow_record(chromium, site, f"/issue/?id={disputed_issue['id']}", viewport)
    state = page.locator(".issue-record .issue-state")
    assert "体验官核查未解决" in state.locator(".issue-badges").inner_text()
    alert = state.locator(".issue-alert-disputed")
    check = demo_ledger.inspections[demo_ledger.inspections["issue_id"] == disputed_issue["id"]].sort_values(
        ["inspected_on", "id"]).iloc[-1]
    day = check["inspected_on"]
    assert alert.inner_text().startswith(f"体验官核查未解决：台账记为“{demo_ledger.labels('issues', 'status')[disputed_issue['status']]}”"
                                         f"，但改革体验官 {check['officer']} 于 {day.year}年{day.month}月{day.day}日现场核查")
    if isinstance(check["note"], str):
        assert alert.inner_text().endswith(check["note"])
    top = state.bounding_box()
    assert top["y"] + top["height"] <= viewport["height"]  # seen without scrolling
    assert top["y"] < page.locator(".issue-fields").bounding_box()["y"]
    screenshot(page, f"issues-lookup-disputed-{name}")
    page.close()
    assert_clean(watch)


def test_record_has_no_links(chromium, site, disputed_issue, demo_ledger):
    """The place, the lead department: links to pages that exist in the built site (a village: its township)."""
    names = Names.of(demo_ledger)
    page, watch = open_page(chromium, site, f"/issue/?id={disputed_issue['id']}", {"width": 390, "height": 844})
    page.wait_for_selector(".issue-record")
    place = page.locator(".issue-fields a.issue-place-link")
    region = names.page_region(disputed_issue["region_code"], PAGE_LEVELS)
    assert place.get_attribute("href") == f"../issues/region/{region}/"
    assert place.inner_text() == " › ".join(names.regions[c] for c in names.chain(disputed_issue["region_code"]))
    lead = page.locator(".issue-fields a.issue-lead-link")
    code = disputed_issue["lead_department"]
    assert lead.get_attribute("href") == f"../issues/departments/#dept-{code}"
    assert lead.inner_text() == names.department(code)
    meeting = disputed_issue["meeting_id"]
    if isinstance(meeting, str):  # no meeting has a page: its id and date are text
        assert f"会议编号 {meeting}" in page.locator(".issue-fields").inner_text()
    place.click()
    page.wait_for_load_state("networkidle")
    assert page.url == f"{site}/issues/region/{region}/"
    assert page.locator("h1").first.inner_text() == f"{names.regions[region]} 问题办理"
    page.go_back()
    page.wait_for_selector(".issue-record")
    page.locator(".issue-fields a.issue-lead-link").click()
    page.wait_for_load_state("networkidle")
    assert page.url == f"{site}/issues/departments/#dept-{code}"
    row = page.locator(f"#dept-{code}")
    assert row.count() == 1 and row.locator("th").inner_text() == names.department(code)
    page.close()
    assert_clean(watch)


def test_days_not_calendar_days_and_two_date_formats(chromium, site, disputed_issue, demo_ledger):
    """Every count of days says 自然日; every date in the record reads 2025年3月22日, none 2025-03-22."""
    overdue = demo_ledger.issues[~demo_ledger.issues["done"] & ~demo_ledger.issues["withdrawn"]]
    when = timing(overdue, demo_ledger.as_of)
    late_id = overdue.loc[when["state"] == "overdue", "id"].sort_values().iloc[0]
    days = int(when.loc[overdue.index[overdue["id"] == late_id][0], "days"])
    for issue_id, expected in ((late_id, f"已超期 {days} 个自然日"), (disputed_issue["id"], None)):
        page, watch = open_page(chromium, site, f"/issue/?id={issue_id}", {"width": 1366, "height": 900})
        page.wait_for_selector(".issue-record")
        record = page.locator(".issue-record")
        shown = record.inner_text().replace(record.locator(".issue-qr").inner_text(), "")  # the URL is no date
        assert ISO_DATE.findall(shown) == []
        assert " 天" not in shown and "个自然日" in shown
        if expected:
            assert expected in page.locator(".issue-badges").inner_text()
            assert f"是否按期：{expected}（截至数据截止日 " in shown
            screenshot(page, "issues-lookup-overdue-desktop")
        else:
            raised, resolved = disputed_issue["raised_on"], disputed_issue["resolved_on"]
            assert f"（从提出起用时 {(resolved - raised).days} 个自然日）" in shown
        page.close()
        assert_clean(watch)


@pytest.mark.parametrize("viewport,name", LOOKUP_VIEWPORTS)
def test_printout_holds_the_search_box_and_no_site_url_or_date(chromium, site, disputed_issue, demo_ledger,
                                                               viewport, name):
    page, watch = open_page(chromium, site, f"/issue/?id={disputed_issue['id']}", viewport)
    page.wait_for_selector(".issue-record")
    head = page.locator(".issue-print-head")
    assert not head.is_visible()  # on screen the theme's header says it
    page.emulate_media(media="print")
    forms = page.locator(".issue-form")  # the id form and the words form
    assert forms.count() == 2
    assert [forms.nth(i).is_visible() for i in range(forms.count())] == [False, False]
    assert not page.locator(".md-header").is_visible() and not page.locator(".md-footer").is_visible()
    assert head.is_visible()
    as_of = demo_ledger.as_of
    assert [line for line in head.inner_text().split("\n") if line] == [
        "阳光台账", f"网址：{site}/issue/?id={disputed_issue['id']}",
        f"数据截止日：{as_of.year}年{as_of.month}月{as_of.day}日"]
    assert head.bounding_box()["y"] < page.locator("h1").first.bounding_box()["y"]  # first on the paper
    assert page.locator(".issue-record .issue-alert-disputed").is_visible()
    # Paper does not scroll: every table of the record fits the page's width.
    assert page.evaluate("Array.from(document.querySelectorAll('.issue-record .ledger-scroll'))"
                         ".every(w => w.scrollWidth <= w.clientWidth)")
    screenshot(page, f"issues-lookup-print-{name}")
    page.close()
    assert_clean(watch)


@pytest.mark.parametrize("viewport,name", LOOKUP_VIEWPORTS)
def test_no_qr_code_for_officers_on_site(chromium, site, disputed_issue, viewport, name):
    """A QR code of the issue's address, drawn in the page by the vendored library: the right size, finder
    patterns where a scanner looks for them, an accessible name, no request elsewhere."""
    page, watch = open_page(chromium, site, f"/issue/?id={disputed_issue['id'].lower()}", viewport)
    page.wait_for_selector(".issue-record")
    url = f"{site}/issue/?id={disputed_issue['id']}"  # the id as published, whatever case was typed
    code = page.locator("canvas.issue-qr-code")
    assert code.get_attribute("role") == "img"
    assert code.get_attribute("aria-label") == f"本页网址的二维码：{url}"
    modules = qr_modules(url)
    assert int(code.get_attribute("data-modules")) == modules
    assert page.locator(".issue-qr figcaption .issue-qr-url").inner_text() == url
    # Dark or light at the centre of module (row, col): a finder's ring, its gap, its core, its separator.
    dark = page.evaluate("""([modules, cells]) => {
      const canvas = document.querySelector('canvas.issue-qr-code');
      const cell = canvas.width / (modules + 8);
      const ctx = canvas.getContext('2d');
      return cells.map(([r, c]) => ctx.getImageData((c + 4.5) * cell, (r + 4.5) * cell, 1, 1).data[0] < 128);
    }""", [modules, [[0, 0], [1, 1], [3, 3], [7, 7], [0, modules - 1], [3, modules - 4], [modules - 1, 0],
                     [modules - 4, 3], [6, 8], [6, 9]]])
    assert dark == [True, False, True, False, True, True, True, True, True, False]  # [6,8..] the timing pattern
    box = code.bounding_box()
    assert box["width"] == box["height"] >= 150
    page.close()
    assert_clean(watch)


@pytest.mark.parametrize("viewport,name", LOOKUP_VIEWPORTS)
def test_page_jumps_when_the_record_loads(chromium, site, disputed_issue, viewport, name):
    """Cumulative layout shift below 0.1 (Core Web Vitals' "good") while the record arrives late; without the
    reserved space it was 0.66 on a phone. A page without an id, or with an unknown one, does not jump either."""
    for path in (f"/issue/?id={disputed_issue['id']}", "/issue/", "/issue/?id=Q-9999-99999"):
        page = chromium.new_page(viewport=viewport)
        watch = PageWatch(page, site)
        page.route("**/api/v1/issues/*.json", lambda route: (time.sleep(0.4), route.continue_()))
        page.goto(f"{site}{path}", wait_until="networkidle")
        page.wait_for_selector(".issue-record, .issue-message")
        page.wait_for_timeout(200)
        assert page.evaluate(CLS_SCRIPT) < 0.1, path
        page.close()
        assert_clean(watch)


def test_reserved_space_only_when_an_id_is_asked_for(chromium, site):
    """The screen-high reservation is there only when the address names an issue: the empty page keeps its height."""
    page = chromium.new_page(viewport={"width": 390, "height": 844})
    page.goto(f"{site}/issue/", wait_until="networkidle")
    assert page.locator("#issue-lookup").get_attribute("class") == "issue-lookup"
    assert page.locator("#issue-lookup").bounding_box()["height"] < 200
    page.goto(f"{site}/issue/?id=Q-9999-99999", wait_until="networkidle")
    assert page.locator("#issue-lookup").get_attribute("class") == "issue-lookup issue-lookup-wait"
    page.close()
