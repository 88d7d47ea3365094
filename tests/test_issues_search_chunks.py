"""The issue search's chunked index, counted in Chromium: a query fetches exactly the files
pipeline.render.issues_search.query_files names (the manifest, one term bucket per key it needs, the
row chunks of its first page) and no other file of the index, so at a million issues a query loads
what it needs, not the index (benchmarks/run.py measures those bytes at scale)."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from pipeline.render.issues_search import SEARCH_DIR, query_files
from tests.browser import PageWatch, assert_clean

pytestmark = pytest.mark.browser
TOWNSHIP = "990121001000"  # 青山镇
QUERIES = [{"words": "道路"}, {"words": "道路 维修"}, {"place": TOWNSHIP}, {"place": TOWNSHIP, "words": "道路"},
           {"place": TOWNSHIP, "disputed": "1"}, {}]


@pytest.fixture(scope="module")
def site(built_demo_site):
    from tests.browser import serve

    with serve(built_demo_site) as base:
        yield base


@pytest.mark.parametrize("params", QUERIES, ids=lambda p: urlencode(p) or "browse")
def test_query_loads_index_chunks_it_does_not_need(chromium, site, built_demo_site, params):
    page = chromium.new_page(viewport={"width": 390, "height": 844})
    fetched: list[str] = []
    page.on("request", lambda r: fetched.append(r.url[len(site) + 1:].split("?")[0])
            if f"/{SEARCH_DIR}/" in r.url else None)
    watch = PageWatch(page, site)
    page.goto(f"{site}/issues/search/?{urlencode(params)}", wait_until="networkidle")
    page.wait_for_selector(".search-summary")
    needed, _ = query_files(lambda path: (built_demo_site / path).read_bytes(), params)
    assert sorted(set(fetched)) == sorted(set(needed))
    assert len(fetched) == len(set(fetched))  # none fetched twice
    assert_clean(watch)
    page.close()
