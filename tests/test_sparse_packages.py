"""A valid package with no rows yet in some resources builds: a county's first weeks, before any
inspection, or a fork that has entered only its code lists.

A valid package with no inspections crashed the build (exit 3, "Can only use .str accessor with string
values"): the search index's officer filter read the inspectors of each issue as text, and with no
inspection at all that column held only NaN as floats.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.build import BuildConfig, build
from pipeline.core.package import load, resource_paths
from pipeline.render.issues_search import at_ids
from pipeline.validate import validate
from tests.browser import PageWatch, assert_clean, screenshot, serve
from tests.conftest import make_tiny

CODE_LISTS = {"regions", "departments", "holidays", "deadline_rules"}  # what a county enters first
VIEWPORTS = [({"width": 390, "height": 844}, "phone"), ({"width": 1280, "height": 900}, "desktop")]


def emptied(folder: Path, keep: set[str] | None = None, only: str | None = None) -> Path:
    """Every data file of ``only`` (or of every resource not in ``keep``) cut to its header."""
    for resource in load(folder).descriptor["resources"]:
        if (only is not None and resource["name"] != only) or (keep is not None and resource["name"] in keep):
            continue
        for rel in resource_paths(resource):
            path = folder / rel
            path.write_text(path.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    return folder


def api(site: Path, rel: str) -> dict:
    return json.loads((site / "api" / "v1" / rel).read_text(encoding="utf-8"))


def test_no_inspections_yet_builds(tiny, tmp_path):
    data = emptied(tiny, only="inspections")
    report, _ = validate(data)
    assert (report.valid, report.findings) == (True, ())
    build(BuildConfig(data=data, out=tmp_path / "public"))
    search = api(tmp_path / "public", "search/index.json")
    assert (search["officers"], search["issues"]) == ([], 8)  # every issue the tiny package publishes


@pytest.fixture(scope="module")
def code_lists_site(tmp_path_factory) -> Path:
    """The site of the tiny package's code lists alone, every other file a header."""
    folder = tmp_path_factory.mktemp("code-lists")
    data = emptied(make_tiny(folder / "tiny"), keep=CODE_LISTS)
    report, _ = validate(data)
    assert (report.valid, report.findings) == (True, ())
    build(BuildConfig(data=data, out=folder / "public"))
    return folder / "public"


def test_code_lists_alone_build_a_site_of_zeros(code_lists_site):
    summary = api(code_lists_site, "summary.json")
    assert summary["metrics"]["issues_raised"] == {"denominator": None, "numerator": 0, "value": 0}
    search = api(code_lists_site, "search/index.json")
    assert (search["officers"], search["issues"]) == ([], 0)


@pytest.mark.parametrize("viewport, name", VIEWPORTS)
def test_a_site_of_no_issues_searches_and_looks_up_without_error(chromium, code_lists_site, viewport, name):
    """What a citizen meets on a county's first site: a search that finds nothing, an id that is not there."""
    with serve(code_lists_site) as base:
        page = chromium.new_page(viewport=viewport)
        watch = PageWatch(page, base)
        page.goto(f"{base}/issue/", wait_until="networkidle")
        page.fill("#issue-q", "排查")
        page.click("form[aria-label=搜索问题] button")
        page.wait_for_selector(".search-summary")
        assert page.inner_text(".search-summary") == "找到 0 件问题（数据截止 2026年4月30日）。条件：关键词“排查”。"
        assert page.is_visible("text=没有符合条件的问题。可以减少关键词或筛选条件再试。")
        screenshot(page, f"no-issues-search-{name}")
        page.goto(f"{base}/issue/?id=Q-001", wait_until="networkidle")
        assert page.is_visible("text=未找到编号为 Q-001 的问题。")
        assert_clean(watch, page, viewport)
        page.close()


def test_issues_looked_up_in_no_inspections_are_text_columns_of_nothing():
    none = pd.DataFrame({"verdict": pd.Series([], dtype=object), "officers": pd.Series([], dtype=object)},
                        index=pd.Index([], dtype=object))
    found = at_ids(none, pd.Series(["Q-1", "Q-2"], dtype="string[pyarrow]"))
    assert [found[c].dtype for c in found.columns] == [np.dtype(object), np.dtype(object)]
    assert found["officers"].str.split(";").explode().dropna().tolist() == []
    assert found.isna().all().all()


def test_issues_looked_up_keep_what_was_found_and_nan_elsewhere():
    frame = pd.DataFrame({"verdict": ["resolved"], "officers": ["A;B"]}, index=pd.Index(["Q-2"], dtype=object))
    found = at_ids(frame, pd.Series(["Q-1", "Q-2", "Q-3"]))
    assert found["officers"].tolist()[1] == "A;B"
    assert found["verdict"].isna().tolist() == [True, False, True]
