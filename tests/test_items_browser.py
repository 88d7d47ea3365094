"""The 赋权事项 catalogue as a person uses it, in headless Chromium, on a phone and a desktop:
choose a department and a power type, type part of a name, and see exactly the matching items —
loaded from small JSON chunks on demand, with no console error and no request to another host."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect

from tests.browser import PageWatch, screenshot, serve

pytestmark = pytest.mark.browser

VIEWPORTS = [({"width": 390, "height": 844}, "phone"), ({"width": 1280, "height": 900}, "desktop")]
PAGE_SIZE = 20  # rows the script shows before 显示更多


def shown_ids(page) -> list[str]:
    return page.locator("#items-results tbody tr").evaluate_all("rows => rows.map(r => r.dataset.id)")


def chunk_requests(page) -> list[str]:
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url) if "/api/v1/items/chunks/" in request.url else None)
    return requested


@pytest.mark.parametrize("viewport,name", VIEWPORTS)
def test_filter_by_department_type_and_name_fragment(built_demo_site, chromium, demo_ledger, viewport, name):
    items = demo_ledger.devolved_items
    expected = sorted(items.loc[items["from_department"].eq("sthjj") & items["power_type"].eq("penalty")
                                & items["name"].str.contains("污染"), "id"])
    # 对建筑施工扬尘污染的行政处罚, 对社会生活噪声污染的行政处罚 (of five sthjj penalties)
    assert len(expected) == 2
    with serve(built_demo_site) as base:
        page = chromium.new_page(viewport=viewport)
        watch = PageWatch(page, base)
        requested = chunk_requests(page)
        page.goto(f"{base}/items/", wait_until="networkidle")
        expect(page.locator("#items-results tbody tr")).to_have_count(PAGE_SIZE)  # no eval: the site's CSP forbids it
        assert page.locator("#items-more").is_visible()
        assert not page.locator(".items-nojs").is_visible()
        first_chunks = len(requested)
        assert 1 <= first_chunks < 6  # enough chunks for one page, not all twelve

        page.select_option("#items-department", "sthjj")
        page.select_option("#items-type", "penalty")
        page.locator("#items-q").press_sequentially("污染")
        expect(page.locator("#items-status")).to_have_text("共 2 项符合条件。")
        assert sorted(shown_ids(page)) == expected
        assert page.locator("#items-results tbody tr").first.locator("td").first.inner_text().startswith("对")
        assert not page.locator("#items-more").is_visible()
        assert any(url.endswith("/chunks/sthjj-1.json") for url in requested)
        assert parse_qs(urlparse(page.url).query) == {"type": ["penalty"], "department": ["sthjj"], "q": ["污染"]}
        screenshot(page, f"items-catalogue-{name}")
        page.close()
    assert watch.outside_requests == []
    assert watch.console_errors == []


def test_filter_by_township_counts_every_item_devolved_there(built_demo_site, chromium, demo_ledger):
    town = "990121001000"
    expected = set(demo_ledger.devolutions.loc[demo_ledger.devolutions["region_code"].eq(town), "item_id"])
    assert len(expected) > PAGE_SIZE
    with serve(built_demo_site) as base:
        page = chromium.new_page(viewport={"width": 1280, "height": 900})
        watch = PageWatch(page, base)
        page.goto(f"{base}/items/?township={town}", wait_until="networkidle")
        expect(page.locator("#items-status")).to_have_text(re.compile(f"^共 {len(expected)} 项"))
        assert page.locator("#items-township").input_value() == town  # restored from the address
        while page.locator("#items-more").is_visible():
            page.locator("#items-more").click()
            page.wait_for_timeout(50)
        assert set(shown_ids(page)) == expected
        page.close()
    assert watch.outside_requests == [] and watch.console_errors == []


def test_without_javascript_the_page_points_to_the_complete_tables(built_demo_site, chromium):
    with serve(built_demo_site) as base:
        context = chromium.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844})
        page = context.new_page()
        page.goto(f"{base}/items/")
        assert page.locator(".items-nojs").is_visible()
        assert not page.locator("#items-filter").is_visible()
        assert page.locator('a[href="department/sthjj/"]').count() >= 1
        assert page.locator('a[href="township/990121001000/"]').count() == 1
        context.close()


@pytest.mark.parametrize("viewport,name", VIEWPORTS)
@pytest.mark.parametrize("path,title", [("items/department/sthjj/", "示例市生态环境局：下放的事项"),
                                        ("items/township/990121001000/", "示例县青山镇：承接的事项")])
def test_department_and_township_pages(built_demo_site, chromium, viewport, name, path, title):
    with serve(built_demo_site) as base:
        page = chromium.new_page(viewport=viewport)
        watch = PageWatch(page, base)
        page.goto(f"{base}/{path}", wait_until="networkidle")
        assert page.locator("h1").first.inner_text() == title
        assert page.locator(".items-table tbody tr").count() > 5
        # On a phone the item table is a column of cards: nothing sticks out sideways.
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        screenshot(page, f"items-{path.split('/')[1]}-{name}")
        page.close()
    assert watch.outside_requests == [] and watch.console_errors == []
