"""Site search as a person uses it: the index keeps names whole and holds every village, the query is cut
as the index was (site/overrides/assets/javascripts/workers/ledger-search.js), and a page that is only
read loads no index. Browser tests on a phone (390×844) and a desktop (1366×900)."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from pipeline.render.issues_pages import VILLAGE_LEVELS
from tests.browser import PageWatch, assert_clean, screenshot, serve

TOWNSHIP = "990121001000"  # 青山镇 (village names differ with the demo's seed: see first_hits)
# query → the page a person expects first (benchmarks/site_search.py measures the same list)
FIRST = {
    "青山镇": f"issues/region/{TOWNSHIP}/",
    "<village>": "place/?code=<village>",
    "示例市交通运输局": "items/department/jtj/",
    "农村公路路政巡查": "items/department/jtj/",
    "道路": "items/department/jtj/",
    "超期未办结": "issues/overdue/",
    "报道核对": "claims/",
    "基层减负": "burden/",
    "青山镇道路": f"issues/search/?place={TOWNSHIP}&words={quote('道路')}",
}
VIEWPORTS = [({"width": 390, "height": 844}, "phone"), ({"width": 1366, "height": 900}, "desktop")]


def first_hits(ledger) -> dict[str, str]:
    """FIRST with 青山镇's first village, whose name depends on the demo's seed."""
    regions = ledger.regions
    village = regions[(regions["parent_code"] == TOWNSHIP) & regions["level"].isin(VILLAGE_LEVELS)].iloc[0]
    return {(village["name"] if q == "<village>" else q): (f"place/?code={village['code']}" if q == "<village>" else p)
            for q, p in FIRST.items()}


def _pages(site) -> dict:
    return json.loads((site / "search" / "pages.json").read_text(encoding="utf-8"))


def _title(pages: dict, location: str) -> list[str]:
    return next(doc["title"] for doc in pages["docs"] if doc["location"] == location).split("\u200b")


def test_jieba_cut_township_name_apart(built_demo_site):
    # jieba's own dictionary cuts 青山镇 into 青 | 山镇, so typing 青山镇 matched no word of its page.
    assert _title(_pages(built_demo_site), f"issues/region/{TOWNSHIP}/")[0] == "青山镇"


def test_village_has_no_search_entry(built_demo_site, demo_ledger):
    regions = demo_ledger.regions
    villages = dict(zip(regions["code"], regions["name"]))
    wanted = {f"place/?code={code}": villages[code]
              for code in regions.loc[regions["level"].isin(VILLAGE_LEVELS), "code"]}
    found = {doc["location"]: doc["title"].replace("\u200b", "") for doc in _pages(built_demo_site)["docs"]
             if doc["location"].startswith("place/?")}
    assert found == wanted


def test_every_page_loads_the_whole_search_index(built_demo_site):
    # Material fetched search/search_index.json (1.1 MB for the bundled data) on every page load.
    stub = json.loads((built_demo_site / "search" / "search_index.json").read_text(encoding="utf-8"))
    assert stub["docs"] == [] and set(stub["config"]) == {"lang", "separator", "pipeline", "fields"}
    assert (built_demo_site / "search" / "search_index.json").stat().st_size < 1024
    assert not (built_demo_site / "search" / "names.json").exists()  # the build's input, not published


def test_query_dictionary_is_the_index_words(built_demo_site):
    pages = _pages(built_demo_site)
    tokens = {t for doc in pages["docs"] for field in (doc["title"], doc["text"]) for t in field.split("\u200b")}
    assert {"青山镇", "竹园村", "道路"} <= set(pages["words"])
    assert all(word in tokens or any(word in t for t in tokens) for word in pages["words"])
    assert pages["places"]["青山镇"] == TOWNSHIP and pages["total"] > 60_000_000


def _search(page, base: str, query: str, viewport: dict):
    # A phone opens the search from the header's magnifier, a toggle: clicked while the search is still open
    # (the last query's Escape not handled yet on a busy machine) it would close it.
    if viewport["width"] < 960 and not page.locator("#__search").is_checked():
        page.locator("label.md-header__button[for='__search']").click()
    box = page.locator("input.md-search__input")
    box.click()
    box.fill(query)
    box.press("End")  # a key event: Material searches on keyboard input
    first = page.locator(".md-search-result__item > a").first
    first.wait_for()
    page.wait_for_timeout(200)  # results of the last keystroke
    return first.get_attribute("href")[len(base) + 1:]


@pytest.fixture(scope="module")
def site(built_demo_site):
    with serve(built_demo_site) as base:
        yield base


@pytest.mark.browser
@pytest.mark.parametrize("viewport,name", VIEWPORTS)
def test_query_not_cut_as_the_index(chromium, site, demo_ledger, viewport, name):
    """Each query of the list finds its page first; a page that is only read fetches no index, the
    first query fetches it once, later ones nothing."""
    context = chromium.new_context(viewport=viewport)
    page = context.new_page()
    requests: list[str] = []
    context.on("request", lambda r: requests.append(r.url[len(site):]))
    watch = PageWatch(page, site)
    page.goto(f"{site}/", wait_until="networkidle")
    page.wait_for_timeout(300)
    assert "/search/pages.json" not in requests and "/search/search_index.json" in requests
    expected, firsts = first_hits(demo_ledger), {}
    for query in expected:
        firsts[query] = _search(page, site, query, viewport)
        if query == "青山镇":
            screenshot(page, f"site-search-{name}")
        page.keyboard.press("Escape")
    assert firsts == expected
    assert requests.count("/search/pages.json") == 1
    page.wait_for_timeout(600)  # on a phone Material shrinks its scaled-up search overlay (transform .3s after .1s): till then it is wider than the page
    assert_clean(watch, page, viewport)
    context.close()


@pytest.mark.browser
def test_words_held_apart_not_found(chromium, site):
    # Material cut 道路维修 greedily over the index's terms and kept only 道路: 维修 was never searched.
    page = chromium.new_page(viewport={"width": 1366, "height": 900})
    watch = PageWatch(page, site)
    page.goto(f"{site}/", wait_until="networkidle")
    _search(page, site, "道路维修", {"width": 1366})
    marked = set(page.locator(".md-search-result mark").all_inner_texts())
    assert {"道路", "维修"} <= marked
    link = page.locator(".md-search-result__item > a", has_text="在全部问题中查找“道路 维修”")
    assert link.get_attribute("href") == f"{site}/issues/search/?words={quote('道路 维修').replace('%20', '+')}"
    assert_clean(watch)
    page.close()
