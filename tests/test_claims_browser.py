"""The 报道核对 page in headless Chromium: the complete table without JS, the filter with it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser import PageWatch, screenshot, serve

pytestmark = pytest.mark.browser

ROWS = "#claims-table tbody tr"
SHOWN = "#claims-table tbody tr:not([hidden])"
TOTAL = 70  # 11 demo claims + 59 real ones


def shown_ids(page) -> list[str]:
    return sorted(page.locator(SHOWN).evaluate_all("rows => rows.map(row => row.id.slice(6))"))


def test_filter_by_verdict_region_and_source(built_demo_site, chromium):
    with serve(built_demo_site) as base:
        page = chromium.new_page(viewport={"width": 1280, "height": 900})
        watch = PageWatch(page, base)
        page.goto(f"{base}/claims/", wait_until="networkidle")
        assert page.locator("h1").first.inner_text() == "报道核对"
        assert page.locator(ROWS).count() == TOTAL and page.locator(SHOWN).count() == TOTAL
        assert page.locator("#claims-filter").is_visible()
        assert page.locator("#claims-filter-status").inner_text() == f"显示 {TOTAL} / {TOTAL} 个报道数字"

        page.select_option("select[data-key=verdict]", "inconsistent")
        assert shown_ids(page) == ["C-005", "C-006", "C-007", "C-010"]
        assert page.locator("#claims-filter-status").inner_text() == f"显示 4 / {TOTAL} 个报道数字"
        assert page.url.endswith("/claims/?verdict=inconsistent")
        row = page.locator("#claim-C-005")
        assert "报道 − 台账 = +" in row.inner_text() and "pipeline." not in row.inner_text()
        definition = row.locator("dl.claims-calc a")
        assert definition.inner_text() == "提出问题数" and definition.get_attribute("href") == "../methodology/#def-issues_raised"
        screenshot(page, "claims-desktop-inconsistent")

        page.select_option("select[data-key=region]", "示例县")
        assert shown_ids(page) == ["C-005", "C-007"]
        page.click("#claims-filter button[type=reset]")
        expect(page.locator(SHOWN)).to_have_count(TOTAL)  # the filter applies just after the reset event

        page.select_option("select[data-key=source]", label="人民网《松绑减负激活力——\"我为群众办实事\"系列报道⑤》（2021-12-01）")
        assert shown_ids(page) == [f"R-C-{n:02d}" for n in range(1, 17)]
        page.click("#claims-filter button[type=reset]")
        expect(page.locator(SHOWN)).to_have_count(TOTAL)

        page.click(".claims-counts a[href^='?verdict=no_value']")  # the summary filters in place
        assert shown_ids(page) == ["C-008", "R-B-06", "R-B-07", "R-B-09", "R-B-13", "R-D-04"]
        assert page.locator("select[data-key=verdict]").input_value() == "no_value"
        page.close()
    assert watch.outside_requests == []
    assert watch.console_errors == []


def test_a_filtered_address_opens_filtered_on_a_phone(built_demo_site, chromium):
    with serve(built_demo_site) as base:
        page = chromium.new_page(viewport={"width": 390, "height": 844})
        watch = PageWatch(page, base)
        page.goto(f"{base}/claims/?verdict=consistent", wait_until="networkidle")
        expect(page.locator(SHOWN)).to_have_count(6)  # the script filters once it has run: wait for it, not for a tick
        assert shown_ids(page) == ["C-001", "C-002", "C-003", "C-004", "C-009", "C-011"]
        assert page.locator("select[data-key=verdict]").input_value() == "consistent"
        # On a phone every row is a card: no horizontal scrolling of the page.
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390
        screenshot(page, "claims-phone-consistent")
        page.goto(f"{base}/claims/#claim-R-C-11", wait_until="networkidle")
        assert "内部一致" in page.locator("#claim-R-C-11").inner_text()
        screenshot(page, "claims-phone-internal")
        page.close()
    assert watch.outside_requests == []
    assert watch.console_errors == []


def test_everything_is_readable_without_javascript(built_demo_site, chromium):
    with serve(built_demo_site) as base:
        context = chromium.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.goto(f"{base}/claims/?verdict=inconsistent", wait_until="load")
        assert page.locator(ROWS).count() == TOTAL
        assert page.locator("#claim-R-E-11").is_visible() and page.locator("#claim-C-001").is_visible()
        assert page.locator("#claims-filter").is_hidden()  # a filter that cannot work is not shown
        context.close()


def test_invented_quote_and_other_on_a_phone(built_demo_site, chromium):
    """Each real figure shows the source's own sentence as a quote, attributed to its source and date,
    readable on a phone; no claim reads as the metric name "（other）"."""
    with serve(built_demo_site) as base:
        page = chromium.new_page(viewport={"width": 390, "height": 844})
        watch = PageWatch(page, base)
        page.goto(f"{base}/claims/#claim-R-C-11", wait_until="networkidle")
        row = page.locator("#claim-R-C-11")
        quote = row.locator("figure.claims-quote")
        assert quote.locator("blockquote").inner_text() == (
            "在青海政务服务网形成本级行政许可事项和公共服务事项434项,可在线办理393项,总体网办率达90.55%")
        assert quote.locator("figcaption").inner_text() == (
            '——人民网《松绑减负激活力——"我为群众办实事"系列报道⑤》，2021年12月1日')
        assert "“总体网办率”在台账中没有对应的记录，无法核对。" in row.inner_text()
        box = quote.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390
        assert quote.locator("blockquote").evaluate("node => getComputedStyle(node).textAlign") in ("start", "left")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        screenshot(page, "claims-phone-quote")
        # every row: a quote and its source, never the metric's name
        assert page.locator(f"{ROWS} figure.claims-quote blockquote").count() == TOTAL
        assert page.locator(f"{ROWS} figure.claims-quote figcaption").count() == TOTAL
        body = page.locator("body").inner_text()
        assert "（other）" not in body and "对应的指标" not in body
        page.close()
    assert watch.outside_requests == []
    assert watch.console_errors == []
