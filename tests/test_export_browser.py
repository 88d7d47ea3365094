"""The download pages as a person sees them: phone and desktop, no overflow, no outside request."""

from __future__ import annotations

import pytest

from tests.browser import PageWatch, screenshot, serve

pytestmark = pytest.mark.browser

PAGES = [("data/", "downloads"), ("data/dictionary/issues/", "dictionary-issues"), ("data/api/", "api"),
         ("data/changelog/", "changelog")]


@pytest.mark.parametrize("viewport,device", [({"width": 390, "height": 844}, "phone"),
                                             ({"width": 1280, "height": 900}, "desktop")])
def test_download_pages_fit_the_screen_without_outside_requests(built_demo_site, chromium, viewport, device):
    with serve(built_demo_site) as base:
        for path, name in PAGES:
            page = chromium.new_page(viewport=viewport)
            watch = PageWatch(page, base)
            page.goto(f"{base}/{path}", wait_until="networkidle")
            assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"], path
            screenshot(page, f"export-{name}-{device}")
            page.close()
            assert watch.outside_requests == [] and watch.console_errors == [], path


def test_a_download_link_serves_the_stated_bytes(built_demo_site, chromium):
    import hashlib
    import urllib.request

    with serve(built_demo_site) as base:
        page = chromium.new_page()
        page.goto(f"{base}/data/", wait_until="networkidle")
        item = page.locator("#file-zip")
        href = item.locator("a").first.get_attribute("href")
        stated = item.locator("code").inner_text()
        page.close()
        with urllib.request.urlopen(f"{base}/data/{href}") as response:  # noqa: S310 - loopback test server
            assert hashlib.sha256(response.read()).hexdigest() == stated
