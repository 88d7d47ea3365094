"""The ranking page as a person sees it, in headless Chromium, on a phone and a desktop."""

from __future__ import annotations

import json

import pytest

from tests.browser import assert_clean, open_page, screenshot, serve
from tests.test_build import bundled_site  # noqa: F401  (the session's build of the bundled demo)

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("viewport,name", [({"width": 390, "height": 844}, "rankings-phone"),
                                           ({"width": 1366, "height": 900}, "rankings-desktop")])
def test_ranking_page_unreadable_on_a_phone(bundled_site, chromium, viewport, name):  # noqa: F811
    """The latest ranking, reached from the home page: every unit's rank (or 样本不足), score and rates, the
    statement of what the ranking does not measure, and no table wider than the screen."""
    latest = json.loads((bundled_site / "api/v1/rankings/index.json").read_text(encoding="utf-8"))["periods"][0]
    document = json.loads((bundled_site / f"api/v1/rankings/{latest['period']}.json").read_text(encoding="utf-8"))
    with serve(bundled_site) as base:
        page, watch = open_page(chromium, base, "/", viewport)
        page.locator(".ledger-rankings-latest a").first.click()
        page.wait_for_load_state("networkidle")
        assert page.url == f"{base}/rankings/{latest['period']}/"
        assert page.locator("h1").inner_text() == f"{latest['period']} 乡镇（街道）回访排名"
        assert "排名只衡量接受了回访的问题，不是本期全部问题的办理情况" in page.locator("article").inner_text()
        rows = page.locator("#ranking-table tbody tr")
        assert rows.count() == len(document["units"])
        first, unit = rows.nth(0), document["units"][0]
        assert first.locator('td[data-label="排名"]').inner_text() == "1"
        assert first.locator("th a").first.inner_text() == unit["name"]
        assert first.locator('td[data-label="综合成绩"]').inner_text() == f"{unit['composite_score']:.2f}"
        unranked = [i for i, u in enumerate(document["units"]) if u["rank"] is None]
        assert rows.nth(unranked[0]).locator('td[data-label="排名"]').inner_text() == "样本不足"
        width = page.evaluate("document.documentElement.clientWidth")
        box = page.locator(".ledger-scroll:has(#ranking-table)").bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width + 1
        shown = page.evaluate("[...document.querySelectorAll('.ledger-scroll')].map(e => e.scrollWidth - e.clientWidth)")
        assert max(shown) <= 1  # nothing hidden sideways: every column is on screen
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        screenshot(page, name)
        page.close()
    assert watch.outside_requests == []
    assert watch.console_errors == []


@pytest.mark.parametrize("viewport,name", [({"width": 390, "height": 844}, "ranking-history-phone"),
                                           ({"width": 1366, "height": 900}, "ranking-history-desktop")])
def test_unit_history_missing_its_score_chart(bundled_site, chromium, viewport, name):  # noqa: F811
    """From the latest ranking, 历次 opens the unit's history: a bar per ranked period, a row per period."""
    index = json.loads((bundled_site / "api/v1/rankings/index.json").read_text(encoding="utf-8"))
    first = json.loads((bundled_site / index["periods"][0]["path"]).read_text(encoding="utf-8"))["units"][0]
    ranks = []
    for period in index["periods"]:
        units = json.loads((bundled_site / period["path"]).read_text(encoding="utf-8"))["units"]
        ranks.append(next(u["rank"] for u in units if u["region_code"] == first["region_code"]))
    with serve(bundled_site) as base:
        page, watch = open_page(chromium, base, f"/rankings/{index['periods'][0]['period']}/", viewport)
        page.locator("#ranking-table tbody tr").first.get_by_text("历次").click()
        page.wait_for_load_state("networkidle")
        assert page.url == f"{base}/rankings/unit/{first['region_code']}/"
        assert page.locator("h1").inner_text() == f"{first['name']} 历次回访排名"
        assert page.locator(f"svg#ranking-history-{first['region_code']} rect.bar-a title").count() == \
            sum(r is not None for r in ranks)
        cells = page.locator('#ranking-history tbody td[data-label="排名"]').all_inner_texts()
        assert cells == ["样本不足" if r is None else str(r) for r in ranks]
        assert page.evaluate("document.documentElement.scrollWidth") <= page.evaluate(
            "document.documentElement.clientWidth")
        screenshot(page, name)
        page.close()
    assert watch.outside_requests == []
    assert watch.console_errors == []


@pytest.mark.parametrize("viewport,name", [({"width": 390, "height": 844}, "township-ranking-phone"),
                                           ({"width": 1366, "height": 900}, "township-ranking-desktop")])
def test_township_page_hides_its_ranking(bundled_site, chromium, viewport, name):  # noqa: F811
    """A township's own page shows its latest standing, the score chart and recent periods; 历次排名 opens
    the whole history."""
    index = json.loads((bundled_site / "api/v1/rankings/index.json").read_text(encoding="utf-8"))
    histories = {}
    for period in index["periods"]:
        for unit in json.loads((bundled_site / period["path"]).read_text(encoding="utf-8"))["units"]:
            histories.setdefault(unit["region_code"], []).append(unit["rank"])
    code = next(c for c, ranks in sorted(histories.items()) if any(ranks))  # a unit ranked at least once
    with serve(bundled_site) as base:
        page, watch = open_page(chromium, base, f"/issues/region/{code}/", viewport)
        section = page.locator("h2#ranking")
        assert section.inner_text().startswith("回访排名")
        section.scroll_into_view_if_needed()
        assert page.locator(f"svg#ranking-{code} rect.bar-a title").count() == \
            sum(r is not None for r in histories[code])
        cells = page.locator('#ranking-recent tbody td[data-label="排名"]').all_inner_texts()
        assert cells == ["样本不足" if r is None else str(r) for r in histories[code][:6]]
        screenshot(page, name)
        page.get_by_role("link", name="历次排名").first.click()
        page.wait_for_load_state("networkidle")
        assert page.url == f"{base}/rankings/unit/{code}/"
        assert_clean(watch, page, viewport)
        page.close()
