"""When the issue data cannot be read (a request fails on a poor connection, or a host serves part of
the site), the search and lookup pages say so plainly in Chinese, and the browser's console keeps what
failed, so that the next person can tell a request from a script error. Headless Chromium, phone and
desktop; screenshots go to test-artifacts/screenshots/issues-unreadable-*.png."""

from __future__ import annotations

import pytest

from tests.browser import PageWatch, screenshot, serve

pytestmark = pytest.mark.browser

VIEWPORTS = [({"width": 390, "height": 844}, "phone"), ({"width": 1366, "height": 900}, "desktop")]
UNREADABLE = "暂时无法读取问题数据，请稍后重试，或下载全部问题数据查看。"


@pytest.fixture(scope="module")
def site(built_demo_site):
    with serve(built_demo_site) as base:
        yield base


def open_failing(chromium, base: str, path: str, failing: str, viewport: dict):
    """The page at ``path`` with every request matching ``failing`` failed, as a dropped connection fails."""
    page = chromium.new_page(viewport=viewport)
    watch = PageWatch(page, base)
    failed: list[str] = []
    page.route(failing, lambda route: (failed.append(route.request.url), route.abort("connectionreset")))
    page.goto(f"{base}{path}", wait_until="networkidle")
    page.wait_for_selector(".issue-error")
    return page, watch, failed


def download_link(chromium, page) -> tuple[str, str, bool]:
    """The message's link: its text, where it leads, and whether that page holds the issues' downloads."""
    link = page.locator(".issue-error a")
    href = link.evaluate("a => a.href")
    target = chromium.new_page()
    target.goto(href)
    found = target.locator("#issues").count() == 1
    target.close()
    return link.inner_text(), href, found


@pytest.mark.parametrize("viewport,name", VIEWPORTS)
def test_the_search_says_plainly_when_its_rows_cannot_be_read(chromium, site, viewport, name):
    page, watch, failed = open_failing(chromium, site, "/issues/search/?words=村+排查", "**/api/v1/search/rows/*.json",
                                       viewport)
    assert page.inner_text(".issue-error") == UNREADABLE
    assert download_link(chromium, page) == ("下载全部问题数据", f"{site}/data/#issues", True)
    assert page.locator(".search-results").count() == 0
    assert failed and all("/api/v1/search/rows/" in url for url in failed)
    logged = [e for e in watch.console_errors if e.startswith("issue")]  # with the stack: which step failed
    assert [e.splitlines()[0] for e in logged] == ["issue search: TypeError: Failed to fetch"]
    assert "at getJson" in logged[0]
    screenshot(page, f"issues-unreadable-search-{name}")
    page.close()
    assert watch.outside_requests == []


def test_the_lookup_says_plainly_when_its_shard_cannot_be_read(chromium, site, demo_ledger):
    issue = demo_ledger.issues["id"].iloc[0]
    page, watch, failed = open_failing(chromium, site, f"/issue/?id={issue}", "**/api/v1/issues/*.json",
                                       {"width": 390, "height": 844})
    assert page.inner_text(".issue-error") == UNREADABLE
    assert download_link(chromium, page) == ("下载全部问题数据", f"{site}/data/#issues", True)
    assert page.locator(".issue-record").count() == 0
    assert failed
    logged = [e for e in watch.console_errors if e.startswith("issue")]
    assert [e.splitlines()[0] for e in logged] == ["issue lookup: TypeError: Failed to fetch"]
    screenshot(page, "issues-unreadable-lookup-phone")
    page.close()
    assert watch.outside_requests == []
