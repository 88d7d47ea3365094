"""The home page as a person sees it, in headless Chromium, on a phone and a desktop."""

from __future__ import annotations

import pytest

from tests.browser import PageWatch, screenshot, serve

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("viewport,name", [({"width": 390, "height": 844}, "home-phone"),
                                           ({"width": 1280, "height": 900}, "home-desktop")])
def test_home_page_shows_headline_figures_without_outside_requests(built_demo_site, chromium, viewport, name):
    with serve(built_demo_site) as base:
        page = chromium.new_page(viewport=viewport)
        watch = PageWatch(page, base)
        page.goto(f"{base}/", wait_until="networkidle")
        assert page.locator("h1").first.inner_text() == "阳光台账"
        assert page.locator("#metric-issues_raised .ledger-value").inner_text() == "600"
        assert "数据截止日：2026年10月31日" in page.locator(".ledger-asof").inner_text()
        assert page.locator("svg#trend-monthly rect").count() > 20
        screenshot(page, name)
        page.close()
    assert watch.outside_requests == []
    assert watch.console_errors == []


def test_chinese_site_search_finds_pages(built_demo_site, chromium):
    """The search index is segmented with jieba, so a Chinese word finds the pages that use it."""
    from playwright.sync_api import expect

    with serve(built_demo_site) as base:
        page = chromium.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{base}/", wait_until="networkidle")
        page.locator("input.md-search__input").click()
        box = page.locator("input.md-search__input")
        box.fill("方法")
        box.press("End")  # a key event: Material starts searching on keyboard input
        expect(page.locator(".md-search-result__item").first).to_be_visible()
        assert "方法说明" in page.locator(".md-search-result").inner_text().replace("\u200b", "")
        page.close()
