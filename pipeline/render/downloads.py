"""数据下载 section, the parts that need no finished download: the JSON API documents,
the Atom feeds, the API page (data/api.md) and the changelog page (data/changelog.md).

The downloads themselves are written before rendering, by the export stage
(``pipeline.export.start``); the pages that state their sizes are rendered
from its manifest (``pipeline.render.downloads_pages``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from pipeline.figures.scope import metric_ledger
from pipeline.contribute.changelog import load_releases
from pipeline.core import project
from pipeline.render.api import ENDPOINTS, api_files
from pipeline.render.burden import FEED as BURDEN_FEED, available as burden_available
from pipeline.render.feeds import LIMIT, feed_files, township_codes
from pipeline.render.rankings import feed_path, ranked_units
from pipeline.core.ledger import Ledger
from pipeline.figures.metrics import Metric
from pipeline.render.env import render
from pipeline.render.section import File, Part, Rendered, as_files, collect

EXCERPT_ITEMS = 2  # list entries / metrics kept in an inline example


def excerpt(text: str) -> str:
    """A short, valid-looking example of a JSON document: long lists and maps cut to a few entries."""
    def cut(value: object, depth: int = 0) -> object:
        if isinstance(value, list):
            kept = [cut(v, depth + 1) for v in value[:EXCERPT_ITEMS]]
            return kept + ([f"…（共 {len(value)} 项）"] if len(value) > EXCERPT_ITEMS else [])
        if isinstance(value, dict):
            keys = sorted(value)
            if depth > 0 and len(keys) > 6:
                kept = {k: cut(value[k], depth + 1) for k in keys[:EXCERPT_ITEMS]}
                kept["…"] = f"共 {len(keys)} 项"
                return kept
            return {k: cut(value[k], depth + 1) for k in keys}
        return value

    return json.dumps(cut(json.loads(text)), ensure_ascii=False, indent=2)


def api_page(ledger: Ledger, files: dict[str, str | bytes]) -> str:
    endpoints = []
    for endpoint in ENDPOINTS:
        example = endpoint.example(ledger)
        endpoints.append({"pattern": endpoint.pattern, "title": endpoint.title, "description": endpoint.description,
                          "example": example,
                          "excerpt": excerpt(files[example]) if example in files else None})
    feeds = [{"path": path, "title": title} for path, title in (
        ("feeds/resolved.xml", "最近办结的问题（全部）"), ("feeds/items.xml", "赋权事项的下放与收回"),
        ("feeds/claims.xml", "公开报道的数据"))]
    if burden_available(ledger):
        feeds.append({"path": BURDEN_FEED, "title": "基层减负清单"})
    towns = [{"path": f"feeds/resolved-{code}.xml", "title": name} for code, name in township_codes(ledger)]
    towns += [{"path": feed_path(code), "title": f"{name}：回访排名"} for code, name in ranked_units(ledger)]
    return render("api_page.md.j2", endpoints=endpoints, feeds=feeds, towns=towns, limit=LIMIT,
                  as_of=ledger.as_of.strftime("%Y-%m-%d"))


def changelog_page(ledger: Ledger) -> str:
    releases = load_releases(project.releases())
    package = ledger.package
    titles = {r["name"]: r.get("title") or r["name"] for r in package.descriptor["resources"]}
    as_of = package.as_of.isoformat()
    recorded = any(r["as_of"] == as_of for r in releases)
    order = {name: number for number, name in enumerate(package.resource_names)}
    shown = [{**r, "rows": [{"name": name, "title": titles.get(name, name), **r["resources"][name]}
                            for name in sorted(r["resources"], key=lambda n: (order.get(n, len(order)), n))]}
             for r in releases]
    return render("downloads_changelog.md.j2", releases=shown, as_of=as_of, recorded=recorded)


def stream(ledger: Ledger, metrics: dict[str, Metric]) -> Iterator[Part]:
    # A few dozen small documents of scoped metrics (the API page quotes some of them), scoped from
    # the narrowed ledger: the same values at a fraction of the cost (tests/test_aggregate.py).
    api = api_files(metric_ledger(ledger))
    yield from as_files(api.items())
    yield from as_files(feed_files(ledger).items())
    yield File("data/api.md", api_page(ledger, api))
    yield File("data/changelog.md", changelog_page(ledger))


def render_section(ledger: Ledger, metrics: dict[str, Metric]) -> Rendered:
    return collect(stream(ledger, metrics), __name__)
