"""The disputed-issue list and the 差评 list as an officer sees them, on a phone and a desktop."""

from __future__ import annotations

import pytest

from pipeline.figures import metrics as m
from pipeline.validate import validate
from tests.browser import PageWatch, screenshot, serve

pytestmark = pytest.mark.browser

VIEWPORTS = [({"width": 390, "height": 844}, "phone"), ({"width": 1280, "height": 900}, "desktop")]


@pytest.fixture(scope="module")
def demo_metrics(demo_dir):
    report, ledger = validate(demo_dir)
    assert report.valid
    return m.compute_all(ledger)


@pytest.mark.parametrize("viewport,name", VIEWPORTS)
def test_disputed_list_comes_first_and_fits_the_screen(built_demo_site, chromium, demo_metrics, viewport, name):
    disputed = demo_metrics["issues_disputed"].value
    assert disputed > 0  # the demo has disputed issues, so the list is really shown
    with serve(built_demo_site) as base:
        page = chromium.new_page(viewport=viewport)
        watch = PageWatch(page, base)
        page.goto(f"{base}/outcomes/inspections/", wait_until="networkidle")
        assert page.locator("h1").first.inner_text() == "改革体验官核查"
        assert page.locator("#disputed-count").inner_text() == str(disputed)
        items = page.locator("#disputed-list > li")
        assert items.count() == disputed
        first = items.first
        link = first.locator(".ledger-disputed-title a")
        assert link.get_attribute("href").startswith("../../issue/?id=")
        # The first card is on screen without scrolling sideways, and comes before every summary table.
        box = first.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        table_top = page.locator("#inspections-by-county").bounding_box()["y"]
        assert box["y"] < table_top
        first.scroll_into_view_if_needed()
        screenshot(page, f"outcomes-disputed-{name}")
        page.close()
    assert watch.outside_requests == []
    assert watch.console_errors == []


def test_a_disputed_issue_opens_on_the_lookup_page(built_demo_site, chromium):
    """The link is relative (../../issue/?id=…): it lands on the issue lookup page, which shows that issue."""
    with serve(built_demo_site) as base:
        page = chromium.new_page(viewport={"width": 390, "height": 844})
        watch = PageWatch(page, base)
        page.goto(f"{base}/outcomes/inspections/", wait_until="networkidle")
        first = page.locator("#disputed-list > li").first
        issue_id = first.get_attribute("data-issue")
        title = first.locator(".ledger-disputed-title").inner_text().split(" ", 1)[1]
        with page.expect_navigation():
            first.locator(".ledger-disputed-title a").click()
        assert page.url == f"{base}/issue/?id={issue_id}"
        page.locator(".md-content").get_by_text(title).first.wait_for(timeout=10_000)
        page.close()
    assert watch.outside_requests == []
    assert watch.console_errors == []


@pytest.mark.parametrize("viewport,name", VIEWPORTS)
def test_outcome_pages_load_cleanly(built_demo_site, chromium, demo_metrics, viewport, name):
    with serve(built_demo_site) as base:
        page = chromium.new_page(viewport=viewport)
        watch = PageWatch(page, base)
        for path in ("outcomes/", "outcomes/satisfaction/", "outcomes/surveys/", "outcomes/negative/"):
            page.goto(f"{base}/{path}", wait_until="networkidle")
            # Wide tables scroll inside their own box; the page itself never scrolls sideways.
            assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"], path
        negative = demo_metrics["negative_count"].value
        assert page.locator("#negative-list tbody tr").count() == negative
        screenshot(page, f"outcomes-negative-{name}")
        page.goto(f"{base}/outcomes/", wait_until="networkidle")
        card = page.locator("#metric-survey_satisfaction_rate")
        assert "95%置信区间" in card.inner_text()
        screenshot(page, f"outcomes-index-{name}")
        page.close()
    assert watch.outside_requests == []
    assert watch.console_errors == []
