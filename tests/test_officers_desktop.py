"""体验官待核查清单 on a desktop (1366×900): the worksheet has the page's width and no column wraps a
character per line (地点 did: the table shared 680 px with two empty sidebars). Screenshot:
test-artifacts/screenshots/officers-desktop-columns.png."""

from __future__ import annotations

import pytest

from tests.browser import assert_clean, open_page, screenshot
from tests.test_officers_browser import disputed_town, lists, site  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1366, "height": 900}
LINES = """cell => {
  const range = document.createRange();
  range.selectNodeContents(cell);
  return new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top))).size;
}"""


def test_officer_table_wraps_place_per_character(chromium, site, disputed_town):  # noqa: F811
    page, watch = open_page(chromium, site, f"/officers/?town={disputed_town}", DESKTOP)
    table = page.locator("table.officer-table").first
    table.wait_for()
    assert table.bounding_box()["width"] > 900  # the page's width, not the 680 px column beside empty sidebars
    cells = (page.locator("table.officer-table th").all()
             + page.locator("table.officer-table td[data-label='地点']").all()
             + page.locator("table.officer-table td[data-label='牵头部门']").all()
             + page.locator("table.officer-table td[data-label='办结日期']").all())
    lines = {cell.inner_text(): cell.evaluate(LINES) for cell in cells if cell.is_visible()}
    assert lines and {text: n for text, n in lines.items() if n != 1} == {}
    screenshot(page, "officers-desktop-columns")
    assert_clean(watch, page, DESKTOP)
    page.close()
