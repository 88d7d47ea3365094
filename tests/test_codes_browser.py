"""The 参与贡献 page as a maintainer sees it on a phone: templates to download, the example
comment and every finding code as a card, nothing wider than the screen, no outside request."""

from __future__ import annotations

import urllib.request

import pytest

from pipeline.core.codes import CODES, GROUPS
from tests.browser import PageWatch, screenshot, serve

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("viewport,name", [({"width": 390, "height": 844}, "contributing-phone"),
                                           ({"width": 1280, "height": 900}, "contributing-desktop")])
def test_contributing_page_lists_templates_and_every_code(built_demo_site, chromium, viewport, name):
    with serve(built_demo_site) as base:
        page = chromium.new_page(viewport=viewport)
        watch = PageWatch(page, base)
        page.goto(f"{base}/contributing/", wait_until="networkidle")
        assert page.locator("h1").first.inner_text() == "参与贡献：从 Excel 表格到公开数据"
        links = page.locator("ul.ledger-templates a")
        assert links.count() == 17  # one per resource a clerk fills, version 2's issue_events, duty_items, burden_reports and burden_cuts included
        assert links.nth(5).inner_text() == "问题填报模板"
        href = links.nth(5).get_attribute("href")
        with urllib.request.urlopen(f"{base}/contributing/{href}") as response:  # the link resolves to the workbook
            assert response.read(4) == b"PK\x03\x04"
        assert page.locator("table.ledger-codes tr[id^='code-']").count() == len(CODES)
        assert page.locator("h3[id^='codes-']").all_inner_texts() == list(GROUPS)
        card = page.locator("#code-type-error")
        assert card.is_visible()
        assert "提出日期写成 2024/1/5" in card.inner_text()
        # Nothing is wider than the screen: on a phone the code tables are cards, not scrolling tables.
        assert page.evaluate("document.documentElement.scrollWidth") == viewport["width"]
        assert page.evaluate("document.querySelector('table.ledger-codes').scrollWidth") <= viewport["width"]
        screenshot(page, name)
        page.close()
    assert watch.outside_requests == []
    assert watch.console_errors == []
