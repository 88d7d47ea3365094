"""The static JSON API: per-region and per-department metric documents, and every endpoint documented."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.figures.scope import metric_for
from pipeline.render.api import API, ENDPOINTS, api_files, documented_regions, endpoint_for, metrics_for
from pipeline.figures.metrics import METRICS
from pipeline.render import DOWNLOAD_PAGES, SECTIONS


@pytest.fixture(scope="module")
def tiny_api(tiny_ledger) -> dict[str, dict]:
    return {path: json.loads(text) for path, text in api_files(tiny_ledger).items()}


def test_scoped_once_equals_metric_for_for_every_metric(tiny_ledger):
    for dimension, values in (("region", [c for c, *_ in documented_regions(tiny_ledger)] + ["990121001001"]),
                              ("department", ["jtj", "zrzyj", "nosuch"])):
        for value in values:
            got = metrics_for(tiny_ledger, dimension, value)
            want = {name: metric_for(tiny_ledger, name, **{dimension: value}).to_dict()
                    for name, spec in METRICS.items() if dimension in spec.dims}
            assert got == want, (dimension, value)


def test_regions_with_documents_are_the_levels_with_pages(tiny_api):
    assert tiny_api[f"{API}/regions.json"] == {"as_of": "2026-04-30", "regions": [
        {"code": "990100000000", "name": "示例市", "level": "city", "level_label": "市", "parent_code": None,
         "path": f"{API}/regions/990100000000.json"},
        {"code": "990121000000", "name": "示例县", "level": "county", "level_label": "县(市、区)",
         "parent_code": "990100000000", "path": f"{API}/regions/990121000000.json"},
        {"code": "990121001000", "name": "甲镇", "level": "township", "level_label": "乡镇",
         "parent_code": "990121000000", "path": f"{API}/regions/990121001000.json"},
        {"code": "990121002000", "name": "乙镇", "level": "township", "level_label": "乡镇",
         "parent_code": "990121000000", "path": f"{API}/regions/990121002000.json"},
    ]}
    assert sorted(p for p in tiny_api if p.startswith(f"{API}/regions/")) == \
        [r["path"] for r in tiny_api[f"{API}/regions.json"]["regions"]]


def test_a_township_document_counts_its_villages(tiny_api):
    jia = tiny_api[f"{API}/regions/990121001000.json"]
    assert jia["as_of"] == "2026-04-30" and jia["region"]["name"] == "甲镇"
    # in 甲一村 and Q-006 in 甲镇 itself; are done, Q-006 withdrawn
    assert jia["metrics"]["issues_raised"] == {"value": 4, "numerator": 4, "denominator": None}
    assert jia["metrics"]["issues_resolved"] == {"value": 2, "numerator": 2, "denominator": None}
    assert jia["metrics"]["resolution_rate"] == {"value": 2 / 3, "numerator": 2, "denominator": 3}
    assert set(jia["metrics"]) == {n for n, s in METRICS.items() if "region" in s.dims}


def test_a_department_document_has_the_department_metrics(tiny_api):
    jtj = tiny_api[f"{API}/departments/jtj.json"]
    assert jtj["department"] == {"code": "jtj", "name": "示例市交通运输局", "region_code": "990100000000"}
    assert jtj["metrics"]["issues_raised"]["value"] == 4
    assert set(jtj["metrics"]) == {n for n, s in METRICS.items() if "department" in s.dims}
    assert [d["code"] for d in tiny_api[f"{API}/departments.json"]["departments"]] == ["jtj", "zrzyj"]


def test_metric_catalogue_lists_the_vocabulary(tiny_api):
    catalogue = tiny_api[f"{API}/metrics.json"]["metrics"]
    assert [m["name"] for m in catalogue] == list(METRICS)
    assert catalogue[0] == {"name": "issues_raised", "title": METRICS["issues_raised"].title_zh,
                            "definition": METRICS["issues_raised"].definition_zh, "kind": "count",
                            "dimensions": sorted(METRICS["issues_raised"].dims)}


def test_endpoint_patterns_match_one_segment_per_placeholder():
    assert endpoint_for("api/v1/regions/990121001000.json").pattern == "api/v1/regions/{code}.json"
    assert endpoint_for("api/v1/regions.json").pattern == "api/v1/regions.json"
    assert endpoint_for("api/v1/regions/a/b.json") is None
    assert endpoint_for("api/v1/issues/17.json").pattern == "api/v1/issues/{n}.json"
    assert endpoint_for("api/v1/summary.jsonx") is None


def _api_files(site: Path) -> list[str]:
    return sorted(p.relative_to(site).as_posix() for p in (site / API).rglob("*") if p.is_file())


def test_every_built_endpoint_is_documented(built_demo_site):
    files = _api_files(built_demo_site)
    assert files, "the build wrote no API file"
    undocumented = [path for path in files if endpoint_for(path) is None]
    assert undocumented == [], ("files under api/v1/ that data/api.md does not document: add an Endpoint to "
                                f"ENDPOINTS in pipeline/render/api.py — {undocumented[:10]}")


def test_every_documented_endpoint_of_a_listed_section_is_built_with_its_example(built_demo_site, demo_dir):
    from pipeline.validate import validate

    _, ledger = validate(demo_dir)
    files = set(_api_files(built_demo_site))
    writers = set(SECTIONS) | {DOWNLOAD_PAGES}
    for endpoint in ENDPOINTS:
        if endpoint.section not in writers:
            continue  # written by a section that is not (yet) in the build
        example = endpoint.example(ledger)
        assert example in files, f"{endpoint.pattern}: example {example} is not in the build"
        assert json.loads((built_demo_site / example).read_text(encoding="utf-8")), example


def test_api_page_lists_every_endpoint_and_feed(built_demo_site):
    html = (built_demo_site / "data/api/index.html").read_text(encoding="utf-8")
    for endpoint in ENDPOINTS:
        assert f"<code>{endpoint.pattern}</code>" in html, endpoint.pattern
    for feed in sorted((built_demo_site / "feeds").glob("*.xml")):
        assert f"<code>feeds/{feed.name}</code>" in html, feed.name
