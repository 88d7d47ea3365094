"""Site search finds the page a person names: a township, a department, a section. Data tables and
lists that grow with the records are not indexed (they would be walls of cell text)."""

from __future__ import annotations

import json

import pytest

from tests.browser import PageWatch, serve


def _index(site):
    # The whole index: search/search_index.json keeps only the configuration (render/site_hooks.py).
    return json.loads((site / "search" / "pages.json").read_text(encoding="utf-8"))["docs"]


def test_every_place_and_department_page_is_in_the_search_index(built_demo_site, demo_ledger):
    pages = {doc["location"].split("#")[0] for doc in _index(built_demo_site)}
    regions = demo_ledger.regions
    for code in regions.loc[regions["level"].isin(["county", "township", "street"]), "code"]:
        assert f"issues/region/{code}/" in pages
    assert {"claims/", "data/", "issues/overdue/", "issues/departments/", "issue/"} <= pages


def test_search_index_holds_no_table_walls(built_demo_site):
    text = " ".join(doc["text"].replace("\u200b", "") for doc in _index(built_demo_site))
    for wall in ("编号问题地点牵头部门", "村（社区）提出已办结", "月份提出办结"):
        assert wall not in text


@pytest.mark.browser
@pytest.mark.parametrize("query,first", [("青山镇", "issues/region/990121001000/"), ("超期未办结", "issues/overdue/"),
                                         ("报道核对", "claims/"), ("数据下载", "data/")])
def test_typing_a_name_finds_its_page_first(built_demo_site, chromium, query, first):
    with serve(built_demo_site) as base:
        page = chromium.new_page(viewport={"width": 1366, "height": 900})
        watch = PageWatch(page, base)
        page.goto(f"{base}/", wait_until="networkidle")
        page.locator("input.md-search__input").click()
        box = page.locator("input.md-search__input")
        box.fill(query)
        box.press("End")  # a key event: Material starts searching on keyboard input
        result = page.locator(".md-search-result__item > a").first
        result.wait_for()
        assert result.get_attribute("href") == f"{base}/{first}"
        page.close()
    assert watch.console_errors == [] and watch.outside_requests == []
