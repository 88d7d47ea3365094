"""体验官待核查清单 as a reform experience officer uses it in headless Chromium (issue #17).

On a phone (390×844) and a desktop (1366×900): from the township page and from 改革体验官核查 to
the list; the list itself (disputed first, then not-yet-inspected oldest first, matching
pipeline.figures.inspections); the officer filter as a shareable URL parameter; the waiting-time
filter; and the printed worksheet (print media: site name, township, as-of date, an empty 备注
column, no form). Every page is checked for console errors, requests to other hosts and sideways
scrolling. Screenshots go to test-artifacts/screenshots/officers-*.png.
"""

from __future__ import annotations

import pandas as pd
import pytest

from pipeline.figures import inspections as fi
from tests.browser import assert_clean, open_page, screenshot, serve
from tests.test_a11y import axe, serious  # noqa: F401 (axe is a fixture)

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
VIEWPORTS = [(PHONE, "phone"), (DESKTOP, "desktop")]


@pytest.fixture(scope="module")
def site(built_demo_site):
    with serve(built_demo_site) as base:
        yield base


@pytest.fixture(scope="module")
def lists(demo_ledger):
    return fi.uninspected(demo_ledger), fi.disputed(demo_ledger)


@pytest.fixture(scope="module")
def disputed_town(lists) -> str:
    """A township with a still-disputed issue (the demo has some)."""
    _, still = lists
    assert len(still) > 0
    return still["town"].iloc[0]



def open_list(chromium, site, query: str, viewport):
    page, watch = open_page(chromium, site, f"/officers/?{query}", viewport)
    page.wait_for_selector("#officer-list[data-ready='1']")
    return page, watch


def cell_texts(page, section: str, label: str) -> list[str]:
    return page.locator(f"#{section} td[data-label='{label}']").all_inner_texts()


@pytest.mark.parametrize("viewport,name", VIEWPORTS)
def test_township_list_shows_disputed_and_uninspected_oldest_first(chromium, site, demo_ledger, lists,
                                                                    disputed_town, viewport, name):
    waiting, still = lists
    page, watch = open_list(chromium, site, f"town={disputed_town}", viewport)
    town_name = dict(zip(demo_ledger.regions["code"], demo_ledger.regions["name"]))[disputed_town]
    assert page.locator("h1").first.inner_text() == f"{town_name} 体验官待核查清单"
    mine = waiting[waiting["town"].eq(disputed_town)]
    assert cell_texts(page, "uninspected", "编号") == mine["id"].tolist()
    assert cell_texts(page, "uninspected", "等待") == [f"{d} 天" for d in mine["waiting_days"]]
    days = [int(d) for d in mine["waiting_days"]]
    assert days == sorted(days, reverse=True)  # waiting longest first
    assert cell_texts(page, "disputed", "编号") == still.loc[still["town"].eq(disputed_town), "id"].tolist()
    # The 备注 column is for paper: hidden on screen.
    assert page.locator("#uninspected th.officer-note").is_hidden()
    link = page.locator("#disputed td[data-label='编号'] a").first
    assert link.get_attribute("href").startswith("../issue/?id=")
    screenshot(page, f"officers-list-{name}")
    assert_clean(watch, page, viewport)
    page.close()


@pytest.mark.parametrize("viewport,name", VIEWPORTS)
def test_officer_filter_is_a_shareable_url_parameter(chromium, site, demo_ledger, lists, disputed_town,
                                                      viewport, name):
    _, still = lists
    issue = still.loc[still["town"].eq(disputed_town), "id"].iloc[0]
    checks = fi.checks_of(demo_ledger, still["id"])[issue]
    officer = checks[-1]["officer"]
    page, watch = open_list(chromium, site, f"town={disputed_town}", viewport)
    page.select_option("#officer-code", officer)  # choosing submits the form: the filter goes into the URL
    page.wait_for_url(f"**/officers/?town={disputed_town}&officer={officer}")
    page.wait_for_selector("#officer-list[data-ready='1']")
    assert issue in cell_texts(page, "disputed", "编号")
    assert page.locator("#officer-code").input_value() == officer
    assert page.locator(".officer-check-mine").count() >= 1
    screenshot(page, f"officers-filter-{name}")
    assert_clean(watch, page, viewport)
    page.close()
    # Another officer who never checked that issue: the shared link lists no disputed issue of it.
    other, watch = open_list(chromium, site, f"town={disputed_town}&officer=ZZ-999", viewport)
    assert issue not in cell_texts(other, "disputed", "编号")
    assert other.locator("#disputed .officer-count").inner_text().startswith("共 0 件")
    assert_clean(watch, other, viewport)
    other.close()


def test_waiting_filter_keeps_issues_waiting_at_least_that_long(chromium, site, lists, disputed_town):
    waiting, _ = lists
    mine = waiting[waiting["town"].eq(disputed_town)]
    page, watch = open_list(chromium, site, f"town={disputed_town}&wait=365", PHONE)
    assert cell_texts(page, "uninspected", "编号") == mine.loc[mine["waiting_days"] >= 365, "id"].tolist()
    assert page.locator("#officer-wait").input_value() == "365"
    assert_clean(watch, page, PHONE)
    page.close()


@pytest.mark.parametrize("viewport,name", VIEWPORTS)
def test_printed_worksheet_has_site_township_date_and_notes_column(chromium, site, demo_ledger, disputed_town,
                                                                  viewport, name):
    page, watch = open_list(chromium, site, f"town={disputed_town}", viewport)
    page.emulate_media(media="print")
    head = page.locator(".officer-print-head")
    assert head.is_visible()
    town_name = dict(zip(demo_ledger.regions["code"], demo_ledger.regions["name"]))[disputed_town]
    assert head.locator(".officer-print-site").inner_text() == "阳光台账"
    assert town_name in head.locator(".officer-print-town").inner_text()
    assert "数据截止日：2026年10月31日" in head.inner_text()
    notes = page.locator("#uninspected th.officer-note")
    assert notes.is_visible() and notes.inner_text() == "备注"
    assert set(page.locator("#uninspected td.officer-note").all_inner_texts()) == {""}
    for hidden in (".officer-form", ".officer-print", ".officer-towns", ".md-header"):
        assert page.locator(hidden).first.is_hidden()
    screenshot(page, f"officers-print-{name}")
    assert watch.console_errors == []
    page.close()


@pytest.mark.parametrize("viewport,name", VIEWPORTS)
def test_list_is_linked_from_township_page_and_inspections_page(chromium, site, disputed_town, viewport, name):
    page, watch = open_page(chromium, site, f"/issues/region/{disputed_town}/", viewport)
    page.locator(f"a[href$='officers/?town={disputed_town}']").click()
    page.wait_for_selector("#officer-list[data-ready='1']")
    assert page.url.endswith(f"/officers/?town={disputed_town}")
    page.goto(f"{site}/outcomes/inspections/", wait_until="networkidle")
    page.locator("a[href='../../officers/']").click()
    page.wait_for_load_state("networkidle")
    assert page.locator(f".officer-towns a[href='./?town={disputed_town}']").count() == 1
    screenshot(page, f"officers-towns-{name}")
    assert_clean(watch, page, viewport)
    page.close()


def test_unknown_township_says_so(chromium, site):
    page, watch = open_page(chromium, site, "/officers/?town=990999999000", PHONE)
    assert page.locator(".officer-error").inner_text() == "没有区划代码为 990999999000 的乡镇（街道）。请在下表中选择。"
    page.close()
    page, watch = open_page(chromium, site, "/officers/?town=<b>x", PHONE)
    assert page.locator(".officer-error").inner_text() == "“<b>x”不是乡镇（街道）的区划代码（12 位数字）。请在下表中选择。"
    assert page.locator(".officer-error b").count() == 0  # text, never markup
    page.close()


@pytest.mark.parametrize("viewport,name", VIEWPORTS)
def test_list_and_township_table_have_no_serious_accessibility_violation(chromium, site, axe, disputed_town,
                                                                         viewport, name):
    page, watch = open_list(chromium, site, f"town={disputed_town}&officer=TYG-001", viewport)
    assert serious(axe, page) == []
    page.goto(f"{site}/officers/", wait_until="networkidle")
    assert serious(axe, page) == []
    assert_clean(watch, page, viewport)
    page.close()


@pytest.fixture(scope="module")
def small_chunk_site(demo_dir, tmp_path_factory):
    """The small demo built with 20 not-yet-inspected issues to a file, so every township has several."""
    from pipeline.build import BuildConfig, build
    from pipeline.render import officers

    out = tmp_path_factory.mktemp("officers-chunks") / "public"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(officers, "CHUNK", 20)
        build(BuildConfig(data=demo_dir, out=out))
    with serve(out) as base:
        yield base


def chunks_of(ids: list[str]) -> tuple[list[int], list[str]]:
    """Where the township's chunks end in the small-chunk site (about 20 issues each, cut by the ids), and
    their files."""
    from pipeline.render import officers

    hashes = officers.id_hashes(pd.Series(ids, dtype=object))
    bounds = officers.chunk_bounds(hashes, 20)
    return bounds[1:], [f"{name}.json" for name in officers.chunk_names(hashes, bounds[:-1])]


def test_more_button_loads_further_chunks_oldest_first(chromium, small_chunk_site, lists):
    waiting, _ = lists
    town = waiting["town"].value_counts().index[0]
    mine = waiting.loc[waiting["town"].eq(town), "id"].tolist()
    ends, _ = chunks_of(mine)
    assert len(ends) >= 2
    page, watch = open_list(chromium, small_chunk_site, f"town={town}", PHONE)
    assert cell_texts(page, "uninspected", "编号") == mine[:ends[0]]
    more = page.locator("#uninspected .officer-more")
    while more.is_visible():
        shown = len(cell_texts(page, "uninspected", "编号"))
        more.click()
        page.locator("#uninspected tbody tr").nth(shown).wait_for()  # the page's CSP allows no eval
    assert cell_texts(page, "uninspected", "编号") == mine
    assert_clean(watch, page, PHONE)
    page.close()


def test_waiting_filter_fetches_no_chunk_that_cannot_match(chromium, small_chunk_site, lists):
    """The list is oldest first, so "at least N days" is a prefix: chunks past it are never requested."""
    waiting, _ = lists
    town = waiting["town"].value_counts().index[0]
    mine = waiting[waiting["town"].eq(town)]
    ends, files = chunks_of(mine["id"].tolist())
    wait = int(mine["waiting_days"].iloc[ends[0] + 5]) + 1  # the first chunk and a few of the next match
    expected = mine.loc[mine["waiting_days"] >= wait, "id"].tolist()
    assert ends[0] < len(expected) < ends[1]
    page = chromium.new_page(viewport=DESKTOP)
    fetched = []
    page.on("request", lambda r: fetched.append(r.url.rsplit("/officers/", 1)[1]) if "/api/v1/officers/" in r.url else None)
    page.goto(f"{small_chunk_site}/officers/?town={town}&wait={wait}", wait_until="networkidle")
    page.wait_for_selector("#officer-list[data-ready='1']")
    page.locator("#uninspected .officer-more").click()
    page.locator("#uninspected tbody tr").nth(len(expected) - 1).wait_for()
    page.wait_for_load_state("networkidle")
    assert cell_texts(page, "uninspected", "编号") == expected
    assert page.locator("#uninspected .officer-more").is_hidden()
    assert fetched == [f"{town}/index.json", f"{town}/{files[0]}", f"{town}/{files[1]}"]
    page.close()
