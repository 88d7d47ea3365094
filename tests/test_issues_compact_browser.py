"""The compact lookup shards (rows-v2) as Chromium decodes them: exactly the records the page showed
before the format changed (``reference_records``: one dict per issue, the original implementation),
and the lookup fetches only index.json and the one shard its id hashes to, from the site itself."""

from __future__ import annotations

import json

import pytest

from tests.browser import assert_clean, open_page, serve
from tests.test_issues_shards import reference_records

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 900}

DECODE_ALL = """async () => {
  const get = async (path) => (await fetch(path)).json();
  const index = await get("../api/v1/issues/index.json");
  const out = {};
  for (let n = 0; n < index.shards; n++) {
    Object.assign(out, window.IssueRecords.decode(index, await get(`../api/v1/issues/${n}.json`)));
  }
  return JSON.stringify(out);
}"""


@pytest.fixture(scope="module")
def site(built_demo_site):
    with serve(built_demo_site) as base:
        yield base


def test_compact_shards_decode_in_chromium_to_the_records_shown_before(chromium, site, demo_ledger):
    page, watch = open_page(chromium, site, "/issue/", DESKTOP)
    decoded = json.loads(page.evaluate(DECODE_ALL))
    page.close()
    assert decoded == reference_records(demo_ledger)
    assert_clean(watch)


def test_compact_lookup_loads_the_index_and_one_shard(chromium, site, demo_ledger, built_demo_site):
    issue_id = sorted(demo_ledger.issues["id"])[17]
    page = chromium.new_page(viewport=DESKTOP)
    loaded: list[str] = []
    page.on("request", lambda request: loaded.append(request.url) if "/api/" in request.url else None)
    page.goto(f"{site}/issue/?id={issue_id.lower()}", wait_until="networkidle")
    page.wait_for_selector(".issue-record")
    assert page.locator(".issue-fields dd").first.inner_text() == issue_id
    assert page.locator("h2.issue-title").inner_text() == reference_records(demo_ledger)[issue_id]["title"]
    index = json.loads((built_demo_site / "api/v1/issues/index.json").read_text(encoding="utf-8"))
    assert index["format"] == "rows-v2"
    shards = sorted(url.rsplit("/", 1)[1] for url in loaded)
    assert "index.json" in shards and len(shards) <= 3  # the index, then the shard of each spelling tried
    assert all(url.startswith(site) for url in loaded)
    page.close()


def test_lighthouse_finds_an_issue_in_compact_shards(built_demo_site):
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location(
        "lighthouse_bench", Path(__file__).resolve().parents[1] / "benchmarks" / "lighthouse.py")
    lighthouse = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(lighthouse)
    shard = json.loads((built_demo_site / "api/v1/issues/0.json").read_text(encoding="utf-8"))
    assert lighthouse.first_issue_id(built_demo_site) == min(row[0] for row in shard["issues"])
