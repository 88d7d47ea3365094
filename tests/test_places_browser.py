"""地点 as a person sees it in headless Chromium: home → township in two taps, home → village page.

On a phone (390×844) and a desktop; every page is checked for console errors, requests to other
hosts and sideways scrolling. Screenshots go to test-artifacts/screenshots/places-*.png.
"""

from __future__ import annotations

import pandas as pd
import pytest

from pipeline.build import BuildConfig, build
from pipeline.render.env import fraction, percent
from pipeline.figures.breakdowns import breakdown_figures, meetings_by_region
from tests.browser import ARTIFACTS, assert_clean, open_page, PageWatch, screenshot, serve
from tests.conftest import make_tiny

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
VIEWPORTS = [(PHONE, "phone"), ({"width": 1280, "height": 900}, "desktop")]
TOWNSHIP = "990121001000"  # 青山镇 in 示例县


@pytest.fixture(scope="module")
def site(built_demo_site):
    with serve(built_demo_site) as base:
        yield base



def in_view(locator, viewport) -> bool:
    box = locator.bounding_box()
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"]


def county_of(ledger, code: str) -> str:
    parents = dict(zip(ledger.regions["code"], ledger.regions["parent_code"]))
    names = dict(zip(ledger.regions["code"], ledger.regions["name"]))
    return names[parents[code]]


@pytest.mark.parametrize("viewport,name", VIEWPORTS)
def test_two_taps_from_home_reach_a_township(chromium, site, demo_ledger, viewport, name):
    page, watch = open_page(chromium, site, "/", viewport)
    county = page.locator("details.place-county", has_text=county_of(demo_ledger, TOWNSHIP))
    summary = county.locator("> summary")
    assert in_view(summary, viewport)  # tap 1 needs no scrolling
    screenshot(page, f"places-home-{name}")
    summary.click()  # tap 1
    link = county.locator(f"a.place-town-link[href='issues/region/{TOWNSHIP}/']")
    assert in_view(link, viewport)  # tap 2 needs no scrolling either
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"places-home-open-{name}.png"))  # what the second tap sees
    link.click()  # tap 2
    page.wait_for_load_state("networkidle")
    assert page.url.endswith(f"/issues/region/{TOWNSHIP}/")
    assert page.locator("h1").first.inner_text() == "青山镇 问题办理"
    assert_clean(watch, page, viewport)
    page.close()


def test_every_township_is_two_taps_away_on_a_phone_without_scrolling(chromium, site, demo_ledger):
    """Measured for each county: its summary is on the first screen, and once it is open, so is
    every township link under it (tap targets at least 44 px high)."""
    regions = demo_ledger.regions
    counties = regions.loc[regions["level"].eq("county"), "code"]
    measured = 0
    for county in counties:
        page, watch = open_page(chromium, site, "/", PHONE)
        details = page.locator("details.place-county").nth(list(counties).index(county))
        assert in_view(details.locator("> summary"), PHONE)
        details.locator("> summary").click()
        towns = regions.loc[regions["parent_code"].eq(county) & regions["level"].isin(["township", "street"]), "code"]
        for town in towns:
            link = details.locator(f"a.place-town-link[href='issues/region/{town}/']")
            assert in_view(link, PHONE), town
            assert link.bounding_box()["height"] >= 44, town
            measured += 1
        assert_clean(watch, page, PHONE)
        page.close()
    assert measured == regions["level"].isin(["township", "street"]).sum() == 12


def test_without_javascript_the_picker_still_takes_two_taps(chromium, site):
    context = chromium.new_context(java_script_enabled=False, viewport=PHONE)
    page = context.new_page()
    page.goto(f"{site}/", wait_until="networkidle")
    county = page.locator("details.place-county", has_text="示例县")
    county.locator("> summary").click()
    county.locator(f"a.place-town-link[href='issues/region/{TOWNSHIP}/']").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").first.inner_text() == "青山镇 问题办理"
    page.goto(f"{site}/place/?code=990121001001", wait_until="networkidle")
    note = page.locator(".place-needs-js")
    assert "需要启用 JavaScript" in note.inner_text() and note.locator("a[href='../']").count() == 1
    context.close()


@pytest.mark.parametrize("viewport,name", VIEWPORTS)
def test_home_to_village_page_shows_the_villages_figures(chromium, site, demo_ledger, viewport, name):
    regions, issues = demo_ledger.regions, demo_ledger.issues
    is_open = ~issues["done"] & ~issues["withdrawn"]
    # The first village of 青山镇 (in regions.csv order) with an open issue.
    village = regions[regions["parent_code"].eq(TOWNSHIP) & regions["code"].isin(issues.loc[is_open, "region_code"])
                      ].iloc[0]
    code = village["code"]
    figures = {**breakdown_figures(demo_ledger, "region", [code])[code],
               **meetings_by_region(demo_ledger, [code])[code]}
    page, watch = open_page(chromium, site, "/", viewport)
    county = page.locator("details.place-county", has_text="示例县")
    county.locator("> summary").click()
    town = county.locator("li.place-town", has=page.locator(f"a[href='issues/region/{TOWNSHIP}/']"))
    town.locator("details.place-villages > summary").click()
    screenshot(page, f"places-home-villages-{name}")
    town.locator(f"a[href='place/?code={code}']").click()
    page.wait_for_selector(".place-cards")
    assert page.locator("article h1").inner_text() == village["name"]
    assert page.title().startswith(village["name"])
    assert page.locator("#place-issues_raised .ledger-value").inner_text() == str(figures["issues_raised"].value)
    assert page.locator("#place-on_time_rate .ledger-value").inner_text() == percent(figures["on_time_rate"])
    assert page.locator("#place-on_time_rate .ledger-fraction").inner_text() == fraction(figures["on_time_rate"])
    assert page.locator("#place-overdue_open .ledger-value").inner_text() == str(figures["overdue_open"].value)
    assert page.locator("#place-meetings_held .ledger-value").inner_text() == str(figures["meetings_held"].value)
    open_ids = set(issues.loc[issues["region_code"].eq(code) & is_open, "id"])
    links = page.locator(".place-open a[href*='issue/?id=']")
    assert links.count() == min(len(open_ids), 30) > 0
    assert set(links.all_inner_texts()) <= open_ids
    crumbs = page.locator(".place-crumbs a")
    assert crumbs.all_inner_texts() == ["示例县", "青山镇"]
    screenshot(page, f"places-village-{name}")
    assert_clean(watch, page, viewport)
    first = links.first.inner_text()
    links.first.click()  # the issue's own record
    page.wait_for_selector(".issue-record")
    assert page.locator(".issue-fields dd").first.inner_text() == first
    page.go_back()
    page.wait_for_selector(".place-crumbs")
    page.locator(".place-crumbs a", has_text="青山镇").click()
    page.wait_for_load_state("networkidle")
    assert page.url.endswith(f"/issues/region/{TOWNSHIP}/")
    assert watch.console_errors == [] and watch.outside_requests == []
    page.close()


@pytest.mark.parametrize("code", ["990199999999", TOWNSHIP, "<b>x</b>", ""])
def test_a_village_code_that_does_not_exist_says_so_in_chinese(chromium, site, code):
    page, watch = open_page(chromium, site, f"/place/?code={code}", PHONE)
    message = page.locator(".place-message")
    if code:
        page.locator(".place-not-found").wait_for()
        assert message.inner_text().startswith(f"未找到区划代码为 {code} 的村（社区）。")
    else:
        assert message.inner_text() == "请在首页选择所在的县（区）、乡镇（街道）和村（社区）。"
    assert message.locator("a[href='../']").inner_text() == "首页"
    assert page.locator("#place-view b").count() == 0  # shown as text, never as markup
    if code == "990199999999":
        screenshot(page, "places-unknown-phone")
    assert_clean(watch, page, PHONE)
    page.close()


@pytest.fixture(scope="module")
def markup_site(tmp_path_factory):
    """The tiny package built with a village and its township named in markup characters."""
    folder = make_tiny(tmp_path_factory.mktemp("places-markup") / "tiny")
    regions = pd.read_csv(folder / "regions.csv", dtype=str, keep_default_na=False)
    names = {"990121001001": '<img src=x onerror=alert(1)>"&', "990121001000": "<b>甲镇</b>"}
    regions["name"] = [names.get(c, n) for c, n in zip(regions["code"], regions["name"])]
    regions.to_csv(folder / "regions.csv", index=False, lineterminator="\n")
    out = tmp_path_factory.mktemp("places-markup-site") / "public"
    assert build(BuildConfig(data=folder, out=out)).report.valid
    return out


def test_names_with_markup_are_text_on_the_picker_and_the_village_page(chromium, markup_site):
    dialogs: list[str] = []
    with serve(markup_site) as base:
        page = chromium.new_page(viewport=PHONE)
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        watch = PageWatch(page, base)
        page.goto(f"{base}/", wait_until="networkidle")
        town = page.locator("li.place-town").first
        assert town.locator("a.place-town-link").inner_text() == "<b>甲镇</b>"
        town.locator("details.place-villages > summary").click()
        town.locator("a[href='place/?code=990121001001']").click()
        page.wait_for_selector(".place-cards")
        assert page.locator("article h1").inner_text() == '<img src=x onerror=alert(1)>"&'
        assert page.locator(".place-crumbs a").all_inner_texts() == ["示例县", "<b>甲镇</b>"]
        assert page.locator("article img, article b").count() == 0
        assert_clean(watch, page, PHONE)
        page.close()
    assert dialogs == []


@pytest.mark.parametrize("viewport,name", VIEWPORTS)
def test_open_picker_and_village_page_have_no_serious_accessibility_violation(chromium, site, viewport, name):
    try:
        from axe_playwright_python.sync_playwright import Axe
    except ImportError:
        pytest.fail("axe-playwright-python is not installed (pip install -r requirements.lock)")
    from tests.test_a11y import serious

    axe = Axe()
    page, watch = open_page(chromium, site, "/", viewport)
    county = page.locator("details.place-county", has_text="示例县")
    county.locator("> summary").click()
    county.locator("details.place-villages > summary").first.click()
    page.mouse.move(0, viewport["height"] - 1)  # no link left hovered: the theme's hover colour is not the resting one
    assert serious(axe, page) == []
    page.goto(f"{site}/place/?code=990121001001", wait_until="networkidle")
    page.wait_for_selector(".place-cards")
    assert serious(axe, page) == []
    assert_clean(watch, page, viewport)
    page.close()
