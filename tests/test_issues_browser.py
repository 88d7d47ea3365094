"""问题办理 as a person sees it in headless Chromium: home → township page → one issue, on a phone and a desktop.

Every page is checked for console errors and requests to other hosts; screenshots go to
test-artifacts/screenshots/issues-*.png.
"""

from __future__ import annotations

import pytest

from pipeline.metrics import compute_all
from pipeline.render.env import percent
from pipeline.render.issues_groups import breakdown_figures
from tests.browser import PageWatch, screenshot, serve

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


def open_page(chromium, base, path, viewport):
    page = chromium.new_page(viewport=viewport)
    watch = PageWatch(page, base)
    page.goto(f"{base}{path}", wait_until="networkidle")
    return page, watch


def assert_clean(watch):
    assert watch.outside_requests == []
    assert watch.console_errors == []


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
