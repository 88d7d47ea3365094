"""The built demo site (600 issues): page count, page sizes, links and published figures of 问题办理."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlparse

import pytest

from pipeline.figures.metrics import compute_all
from pipeline.render.env import percent
from pipeline.figures.breakdowns import ISSUE_METRICS
from pipeline.render.issues_lookup import SHARD_LIMIT

MAX_PAGE = 200 * 1024


def issue_pages(site: Path) -> list[Path]:
    return sorted([*(site / "issues").rglob("index.html"), site / "issue" / "index.html"])


def test_issue_pages_grow_with_regions(built_demo_site, demo_ledger):
    regions = demo_ledger.regions
    expected = {"issues/index.html", "issues/departments/index.html", "issues/overdue/index.html",
                "issue/index.html", "issues/search/index.html"} | {
        f"issues/region/{c}/index.html" for c in regions.loc[regions["level"].isin(["county", "township", "street"]), "code"]} | {
        f"issues/region/{c}/duties/index.html" for c in regions.loc[regions["level"].isin(["township", "street"]), "code"]}
    assert {str(p.relative_to(built_demo_site)) for p in issue_pages(built_demo_site)} == expected
    assert len(expected) == 31


def test_no_page_over_200_kb_and_shards_small(built_demo_site):
    sizes = {str(p.relative_to(built_demo_site)): p.stat().st_size for p in built_demo_site.rglob("*.html")}
    largest = max(sizes, key=sizes.get)
    assert sizes[largest] <= MAX_PAGE, (largest, sizes[largest])
    shards = list((built_demo_site / "api" / "v1" / "issues").glob("[0-9]*.json"))
    assert shards and max(p.stat().st_size for p in shards) <= SHARD_LIMIT


def test_summary_api_and_pages_show_the_metric_functions(built_demo_site, demo_ledger):
    metrics = compute_all(demo_ledger)
    summary = json.loads((built_demo_site / "api" / "v1" / "summary.json").read_text(encoding="utf-8"))
    for name in ISSUE_METRICS:
        assert summary["metrics"][name] == metrics[name].to_dict(), name
    page = (built_demo_site / "issues" / "index.html").read_text(encoding="utf-8")
    for name in ("issues_raised", "on_time_rate", "overdue_open", "resolution_rate"):
        card = re.search(rf'id="issues-{name}".*?<p class="ledger-value">(.*?)</p>', page, re.S).group(1)
        shown = percent(metrics[name]) if name.endswith("rate") else f"{metrics[name].value:,}"
        assert re.sub(r"<[^>]+>", "", card) == shown, name


def test_breakdowns_api_adds_up(built_demo_site, demo_ledger):
    doc = json.loads((built_demo_site / "api" / "v1" / "issues" / "breakdowns.json").read_text(encoding="utf-8"))
    total = compute_all(demo_ledger)["issues_raised"].value
    for dimension in ("department", "mechanism", "category", "tier", "month"):
        assert sum(v["issues_raised"]["value"] for v in doc["dimensions"][dimension].values()) == total, dimension
    counties = demo_ledger.regions.loc[demo_ledger.regions["level"].eq("county"), "code"]
    assert sum(doc["dimensions"]["region"][c]["overdue_open"]["value"] for c in counties) == \
        compute_all(demo_ledger)["overdue_open"].value


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.targets: list[str] = []

    def handle_starttag(self, tag, attrs):
        for key, value in attrs:
            if key in ("href", "src") and value and tag in ("a", "script", "link", "img"):
                self.targets.append(value)


@pytest.mark.parametrize("page", ["issues/index.html", "issues/departments/index.html", "issues/overdue/index.html",
                                  "issue/index.html", "issues/search/index.html", "issues/region/990121001000/index.html",
                                  "issues/region/990121000000/index.html"])
def test_every_link_on_the_issues_pages_resolves(built_demo_site, page):
    parser = Links()
    parser.feed((built_demo_site / page).read_text(encoding="utf-8"))
    base = f"http://site/{page}"
    checked = 0
    for target in parser.targets:
        url = urlparse(urljoin(base, target))
        if url.netloc != "site":
            continue
        path = built_demo_site / url.path.lstrip("/")
        if url.path.endswith("/"):
            path = path / "index.html"
        assert path.is_file(), (page, target)
        checked += 1
    assert checked > 10
