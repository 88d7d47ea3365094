"""办理过程 on the issue page and 履职事项清单 on the township and county pages, in headless Chromium.

Phone (390×844) and desktop (1366×900); every page is checked for console errors and requests to
other hosts; screenshots go to test-artifacts/screenshots/history-*.png.
"""

from __future__ import annotations

import csv

import pytest

from tests.browser import assert_clean, open_page, screenshot, serve

pytestmark = pytest.mark.browser

VIEWPORTS = [({"width": 390, "height": 844}, "phone"), ({"width": 1366, "height": 900}, "desktop")]
LABELS = {"basic": "基本履职事项", "cooperative": "配合履职事项", "returned_up": "上级部门收回事项"}


def date_zh(value) -> str:
    return f"{value.year}年{value.month}月{value.day}日"


@pytest.fixture(scope="module")
def site(built_demo_site):
    with serve(built_demo_site) as base:
        yield base



def first_with(ledger, event: str) -> str:
    events = ledger.issue_events
    return sorted(events.loc[events["event"].eq(event), "issue_id"].unique())[0]


@pytest.mark.parametrize("viewport,name", VIEWPORTS)
def test_issue_page_lacks_event_history(chromium, site, demo_ledger, viewport, name):
    issue_id = first_with(demo_ledger, "extended")
    events = demo_ledger.issue_events[demo_ledger.issue_events["issue_id"].eq(issue_id)].sort_values("seq")
    kinds = demo_ledger.labels("issue_events", "event")
    issue = demo_ledger.issues[demo_ledger.issues["id"].eq(issue_id)].iloc[0]
    extended = events.loc[events["event"].eq("extended"), "new_due_on"].iloc[-1]
    page, watch = open_page(chromium, site, f"/issue/?id={issue_id}", viewport)
    page.wait_for_selector(".issue-record")
    history = page.locator("table.issue-table[aria-label='办理过程记录']")
    rows = history.locator("tbody tr")
    assert rows.count() == len(events)
    assert [rows.nth(n).locator("td").nth(1).inner_text() for n in range(len(events))] == \
        [kinds[e] for e in events["event"]]
    assert [rows.nth(n).locator("td").nth(0).inner_text() for n in range(len(events))] == \
        [date_zh(d) for d in events["on"]]
    # The extended due date stands beside the first one, and the page says which one 按期 is judged by.
    due_step = page.locator(".issue-steps li").nth(2)
    assert due_step.locator(".issue-step-name").inner_text() == "办结期限"
    assert due_step.locator(".issue-step-date").inner_text().startswith(date_zh(issue["due"]))
    assert due_step.locator(".issue-step-date").inner_text().endswith(f"；经批准延期至 {date_zh(extended)}")
    assert page.locator(".issue-when-note").inner_text() == (
        f"是否按期以首次确定的办结期限 {date_zh(issue['due'])} 计算，经批准的延期不改变这一判断；"
        f"延期后的期限 {date_zh(extended)} 仅列在旁边供参考。")
    history.scroll_into_view_if_needed()
    screenshot(page, f"history-issue-extended-{name}")
    page.close()
    assert_clean(watch)


@pytest.mark.parametrize("viewport,name", VIEWPORTS)
def test_reopened_issue_not_marked_at_top(chromium, site, demo_ledger, viewport, name):
    issue_id = first_with(demo_ledger, "reopened")
    page, watch = open_page(chromium, site, f"/issue/?id={issue_id}", viewport)
    page.wait_for_selector(".issue-record")
    badge = page.locator(".issue-state .issue-badges .issue-reopened")
    times = int(demo_ledger.issue_events[demo_ledger.issue_events["issue_id"].eq(issue_id)]["event"]
                .eq("reopened").sum())
    assert badge.inner_text() == ("重办" if times == 1 else f"重办 {times} 次")
    assert badge.bounding_box()["y"] < viewport["height"]  # in the first screen
    screenshot(page, f"history-issue-reopened-{name}")
    page.close()
    assert_clean(watch)


def recount(demo_dir, as_of: str) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    with open(demo_dir / "duty_items.csv", encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            if row["effective_on"] <= as_of and not (row["removed_on"] and row["removed_on"] <= as_of):
                town = counts.setdefault(row["region_code"], dict.fromkeys(LABELS, 0))
                town[row["list_type"]] += 1
    return counts


@pytest.mark.parametrize("viewport,name", VIEWPORTS)
def test_township_duty_lists_unreadable(chromium, site, demo_dir, demo_ledger, viewport, name):
    counts = recount(demo_dir, demo_ledger.as_of.strftime("%Y-%m-%d"))
    town = sorted(counts)[0]
    page, watch = open_page(chromium, site, f"/issues/region/{town}/#duties", viewport)
    # The township page counts the lists; each count leads to its list on the lists' own page.
    link = page.locator("ul.duty-lists a").first
    assert link.inner_text() == f"{LABELS['basic']}（{counts[town]['basic']} 项）"
    link.click()
    page.wait_for_load_state("networkidle")
    assert page.url.endswith(f"/issues/region/{town}/duties/#duties-basic")
    assert page.locator("h1").inner_text() == f"{demo_ledger.regions.set_index('code').at[town, 'name']} 履职事项清单"
    for list_type, label in LABELS.items():
        details = page.locator(f"details#duties-{list_type}")
        assert details.locator("summary").inner_text() == f"{label}（{counts[town][list_type]} 项）"
        if list_type != "basic":  # the list the link named is open already: the browser opens the target
            details.locator("summary").click()
        assert details.evaluate("d => d.open")
        assert details.locator("tbody tr").count() == counts[town][list_type]
        box = details.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]  # no sideways scroll for the cards
    page.locator("details#duties-basic").scroll_into_view_if_needed()
    screenshot(page, f"history-duties-township-{name}")
    # A duty resting on a devolved power links to that power's row on its item page.
    link = page.locator("a[href*='items/department/']").first
    target = link.get_attribute("href").split("#")[1]
    link.click()
    page.wait_for_load_state("networkidle")
    assert page.locator(f"[id='{target}']").count() == 1
    page.close()
    assert_clean(watch)


@pytest.mark.parametrize("viewport,name", VIEWPORTS)
def test_county_comparison_unreadable_on_a_phone(chromium, site, demo_dir, demo_ledger, viewport, name):
    counts = recount(demo_dir, demo_ledger.as_of.strftime("%Y-%m-%d"))
    regions = demo_ledger.regions
    county = regions.loc[regions["code"].eq(sorted(counts)[0]), "parent_code"].iloc[0]
    towns = [c for c in regions.loc[regions["parent_code"].eq(county), "code"] if c in counts]
    page, watch = open_page(chromium, site, f"/issues/region/{county}/#duties", viewport)
    table = page.locator("table.duty-compare")
    rows = table.locator("tbody tr")
    assert rows.count() == len(towns)
    for n, town in enumerate(towns):
        cells = [int(t) for t in rows.nth(n).locator("td").all_inner_texts()]
        assert cells[:4] == [*counts[town].values(), sum(counts[town].values())]
    wrap = page.locator(".ledger-scroll[aria-label$='各乡镇（街道）的履职事项数']")
    box = wrap.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]
    wrap.scroll_into_view_if_needed()
    screenshot(page, f"history-duties-county-{name}")
    page.close()
    assert_clean(watch)
