"""Accessibility: axe-core finds no serious or critical violation on the key pages, on a phone
and on a desktop, in headless Chromium.

axe-core comes inside the pinned PyPI wheel axe-playwright-python (axe.min.js, axe 4.12),
injected with page.evaluate, which the pages' Content-Security-Policy does not govern.
Theme-level fixes live in site/overrides (search dialog name, colours, link underlines).
"""

from __future__ import annotations

import os

import pytest

from tests.browser import PageWatch, screenshot, serve

pytestmark = pytest.mark.browser

VIEWPORTS = [({"width": 390, "height": 844}, "phone"), ({"width": 1280, "height": 900}, "desktop")]
TOWNSHIP = "990121001000"
KEY_PAGES = {"home": "/", "township": f"/issues/region/{TOWNSHIP}/", "items": "/items/",
             "issue": "/issue/?id=Q-2025-00004", "search": f"/issues/search/?place={TOWNSHIP}&uninspected=1"}
MORE_PAGES = ["/claims/", "/outcomes/negative/", "/data/", "/contributing/"]
DESKTOP_KEYS = ("home", "items")  # the sidebars appear; the other pages repeat the same theme

# Violations in sections still being built, reported to their owners: (rule, selector fragment).
# The issues charts scroll sideways on a phone but their wrapper takes no keyboard focus
# (fix: tabindex="0", role="region" and an aria-label on .issues-chart-scroll).
PENDING: set[tuple[str, str]] = set()  # (rule, target fragment) of a known violation being fixed elsewhere


@pytest.fixture(scope="module")
def axe():
    try:
        from axe_playwright_python.sync_playwright import Axe
    except ImportError:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but axe-playwright-python is not installed (pip install -r requirements.lock)")
        pytest.skip("axe-playwright-python is not installed (pip install -e '.[dev]')")
    return Axe()


def serious(axe, page) -> list[str]:
    found = []
    for violation in axe.run(page).response["violations"]:
        if violation["impact"] not in ("serious", "critical"):
            continue
        for node in violation["nodes"]:
            target = " ".join(map(str, node["target"]))
            if any(violation["id"] == rule and fragment in target for rule, fragment in PENDING):
                continue
            found.append(f"{violation['id']} {target}: {violation['help']}")
    return found


@pytest.mark.parametrize("viewport,name", VIEWPORTS)
def test_key_pages_have_no_serious_violation(built_demo_site, chromium, axe, viewport, name):
    with serve(built_demo_site) as base:
        page = chromium.new_page(viewport=viewport)
        watch = PageWatch(page, base)
        for key, path in KEY_PAGES.items():
            if name == "desktop" and key not in DESKTOP_KEYS:
                continue
            page.goto(f"{base}{path}", wait_until="networkidle")
            if key == "issue":
                page.wait_for_selector(".issue-record")
            if key == "items":
                page.wait_for_selector("#items-results tbody tr")
            assert "阳光台账" in page.title()  # Chinese text rendered, not a fallback page
            assert serious(axe, page) == [], path
            screenshot(page, f"a11y-{key}-{name}")
        page.close()
    assert watch.console_errors == [] and watch.outside_requests == []


def test_more_pages_have_no_serious_violation(built_demo_site, chromium, axe):
    with serve(built_demo_site) as base:
        page = chromium.new_page(viewport={"width": 390, "height": 844})
        problems = {}
        for path in MORE_PAGES:
            page.goto(f"{base}{path}", wait_until="networkidle")
            problems[path] = serious(axe, page)
        page.close()
    assert {path: found for path, found in problems.items() if found} == {}


def test_axe_really_reports(built_demo_site, chromium, axe):
    """The positive control: a nameless search dialog and a low-contrast link are serious."""
    with serve(built_demo_site) as base:
        page = chromium.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{base}/", wait_until="networkidle")
        page.evaluate("document.querySelector('.md-search').removeAttribute('aria-label');"
                      "document.querySelector('article a').style.color = '#bbbbbb'")
        rules = {line.split()[0] for line in serious(axe, page)}
        page.close()
    assert {"aria-dialog-name", "color-contrast"} <= rules
