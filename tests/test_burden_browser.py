"""基层减负 as a person sees it, in headless Chromium, on a phone (390×844) and a desktop (1366×900).

The site is built from the tiny package (22 monthly reports of 甲镇 and 乙镇, 4 cuts), so the counts
asserted here are the fixture's: tests/fixtures/tiny/burden_*.csv.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from pipeline.build import BuildConfig, build
from tests.browser import assert_clean, open_page, screenshot, serve
from tests.conftest import make_tiny
from tests.test_a11y import axe, serious  # noqa: F401  (the axe-core fixture and its filter)

pytestmark = pytest.mark.browser

VIEWPORTS = [({"width": 390, "height": 844}, "phone"), ({"width": 1366, "height": 900}, "desktop")]
JIA = "990121001000"


@pytest.fixture(scope="module")
def tiny_site(tmp_path_factory) -> Path:
    folder = make_tiny(tmp_path_factory.mktemp("burden-tiny") / "tiny")
    return build(BuildConfig(data=folder, out=folder.parent / "public")).out


def visible_cuts(page) -> list[str]:
    """The cut rows a person sees: laid out with a size (a hidden row stacked as a block on a phone still shows)."""
    return page.evaluate("[...document.querySelectorAll('#burden-cut-table tbody tr')]"
                         ".filter(r => r.getBoundingClientRect().height > 0).map(r => r.id)")


@pytest.mark.parametrize("viewport,name", VIEWPORTS)
def test_cut_filter_unusable(tiny_site, chromium, viewport, name):
    """The filter narrows the list by kind and by department, mirrors itself in the URL, opens from a URL,
    and the demanders table's links filter in place; the chart keeps 11 px text legible on a phone."""
    with serve(tiny_site) as base:
        page, watch = open_page(chromium, base, "/burden/", viewport)
        assert page.locator("h1").inner_text() == "基层减负"
        assert visible_cuts(page) == ["cut-JF-004", "cut-JF-003", "cut-JF-002", "cut-JF-001"]
        assert page.locator("#burden-filter-status").inner_text() == "显示 4 / 4 项"
        page.select_option("#burden-filter select[name=kind]", "report_form")
        assert visible_cuts(page) == ["cut-JF-002"]
        assert page.url == f"{base}/burden/?kind=report_form"
        page.select_option("#burden-filter select[name=kind]", "")
        page.select_option("#burden-filter select[name=department]", "-")
        assert visible_cuts(page) == ["cut-JF-004", "cut-JF-003"]
        page.locator("#burden-filter button[type=reset]").click()
        # expect(), not wait_for_function: its polling evaluates the string, which the site's CSP forbids
        # (it failed whenever the reset had not yet been applied at the first check)
        expect(page.locator("#burden-filter-status")).to_have_text("显示 4 / 4 项")
        page.locator("#burden-demanders-table a", has_text="示例市交通运输局").click()
        assert visible_cuts(page) == ["cut-JF-002"]
        assert page.locator("#burden-filter select[name=department]").input_value() == "jtj"
        # 11 px chart text stays at least 11 px: the chart is drawn at least as wide as its view box.
        assert page.evaluate("document.getElementById('burden-trend').getBoundingClientRect().width") >= 640
        assert page.locator("svg#burden-trend path.line-a").count() == 1
        screenshot(page, f"burden-{name}")
        assert_clean(watch, page, viewport)
        page.close()
        opened, watch = open_page(chromium, base, "/burden/?kind=certificate&department=zrzyj", viewport)
        assert visible_cuts(opened) == ["cut-JF-001"]
        assert_clean(watch, opened, viewport)
        opened.close()


def test_cut_list_without_javascript_hides_nothing(tiny_site, chromium):
    with serve(tiny_site) as base:
        page, watch = open_page(chromium, base, "/burden/?kind=report_form", {"width": 390, "height": 844},
                                java_script_enabled=False)
        assert not page.locator("#burden-filter").is_visible()
        assert visible_cuts(page) == ["cut-JF-004", "cut-JF-003", "cut-JF-002", "cut-JF-001"]
        assert page.locator("#burden-cut-table tbody tr").nth(2).is_visible()
        assert_clean(watch, page, {"width": 390, "height": 844})
        page.close()


@pytest.mark.parametrize("viewport,name", VIEWPORTS)
def test_township_trend_unreachable(tiny_site, chromium, viewport, name):
    """From the section's township table to 甲镇's own trend: a line per load and a row per month."""
    with serve(tiny_site) as base:
        page, watch = open_page(chromium, base, "/burden/", viewport)
        page.locator("#burden-town-table a", has_text="甲镇").click()
        page.wait_for_load_state("networkidle")
        assert page.url == f"{base}/issues/region/{JIA}/#burden"
        assert page.locator(f"svg#burden-{JIA} path").count() == 3
        page.locator("#burden ~ details summary", has_text="甲镇每月数据表").click()
        rows = page.locator("#burden ~ details tbody tr")
        assert rows.count() == 12  # the latest 12 months; the earlier 4 are in the chart (a page stays < 200 KB)
        assert rows.nth(11).inner_text().split() == ["2026-04", "22", "8", "13", "1"]
        assert "更早的 4 个月（" in page.locator("#burden ~ details").inner_text()
        assert page.evaluate(f"document.getElementById('burden-{JIA}').getBoundingClientRect().width") >= 640
        screenshot(page, f"burden-town-{name}")
        assert_clean(watch, page, viewport)
        page.close()


@pytest.mark.parametrize("viewport,name", VIEWPORTS)
def test_burden_pages_inaccessible(tiny_site, chromium, axe, viewport, name):  # noqa: F811
    """axe-core finds no serious or critical violation on the section and a township's trend."""
    with serve(tiny_site) as base:
        for path in ("/burden/", f"/issues/region/{JIA}/"):
            page, watch = open_page(chromium, base, path, viewport)
            assert serious(axe, page) == [], path
            assert_clean(watch, page, viewport)
            page.close()
