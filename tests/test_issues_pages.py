"""The 问题办理 section's files: golden pages on the tiny package, figures that add up, a fair league.

Golden files: tests/golden/issues_tiny/ holds what the section renders for the tiny package.
After an intended change, regenerate with UPDATE_GOLDEN=1 and read the diff before committing.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from pipeline.figures.metrics import compute_all
from pipeline.render import issues, issues_search
from pipeline.render.env import percent
from pipeline.figures.breakdowns import league_window
from pipeline.render.issues_league import MIN_CASES, league_rows
from pipeline.render.issues_pages import Context, child_rows
from pipeline.validate import validate

GOLDEN = Path(__file__).resolve().parent / "golden" / "issues_tiny"
JS = Path(__file__).resolve().parent.parent / "site" / "assets" / "js"
GOLDEN_PATHS = ["issues/index.md", "issues/region/990121000000.md", "issues/region/990121002000.md",
                "issues/departments.md", "issues/overdue.md", "issues/overdue.csv", "issue/index.md",
                "api/v1/issues/0.json", "api/v1/issues/index.json", "api/v1/issues/breakdowns.json",
                "issues/search.md", "api/v1/search/index.json", "api/v1/search/terms/0.json", "api/v1/search/rows/0.json"]
FIXED_PAGES = {"issues/index.md", "issues/departments.md", "issues/overdue.md", "issue/index.md", "issues/search.md"}


def section_files(ledger) -> dict:
    """The 问题办理 section's files and its search's (a section of its own, rendered last)."""
    metrics = compute_all(ledger)
    return {**issues.render_section(ledger, metrics).files, **issues_search.render_section(ledger, metrics).files}


@pytest.fixture(scope="module")
def tiny_files(tiny_ledger):
    return section_files(tiny_ledger)


@pytest.mark.parametrize("path", GOLDEN_PATHS)
def test_rendered_file_matches_golden(tiny_files, path):
    golden = GOLDEN / path
    content = tiny_files[path]  # the lookup shards are UTF-8 bytes, the pages text
    content = content if isinstance(content, bytes) else content.encode("utf-8")
    if os.environ.get("UPDATE_GOLDEN") == "1":
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_bytes(content)
    assert content == golden.read_bytes(), f"{path} differs from {golden}"


def page_set(files: dict) -> set[str]:
    return {path for path in files if path.endswith(".md")}


def test_pages_are_one_per_county_and_township_plus_five(tiny_files):
    """And each township's (street's) 履职事项清单 on a page of its own."""
    assert page_set(tiny_files) == FIXED_PAGES | {f"issues/region/{c}.md" for c in
                                                  ("990121000000", "990121001000", "990121002000")} | {
        f"issues/region/{c}/duties.md" for c in ("990121001000", "990121002000")}


def test_page_count_follows_regions_not_issues(demo_ledger):
    files = section_files(demo_ledger)
    regions = demo_ledger.regions
    pages = regions["level"].isin(["county", "township", "street"]).sum()
    towns = regions["level"].isin(["township", "street"]).sum()  # each with its duty lists' page
    assert len(page_set(files)) == 5 + pages + towns == 31  # 600 issues; the bundled 3,000 give the same count
    shards = [p for p in files if re.fullmatch(r"api/v1/issues/\d+\.json", p)]
    assert 1 < len(shards) < len(demo_ledger.issues) / 10


def card_value(page: str, name: str) -> str:
    match = re.search(rf'id="issues-{name}".*?<p class="ledger-value">(.*?)</p>', page, re.S)
    assert match, name
    return re.sub(r"<[^>]+>", "", match.group(1))


def test_overview_headline_is_compute_all(demo_ledger):
    metrics = compute_all(demo_ledger)
    page = issues.render_section(demo_ledger, metrics).files["issues/index.md"]
    assert card_value(page, "issues_raised") == f"{metrics['issues_raised'].value:,}" == "600"
    assert card_value(page, "on_time_rate") == percent(metrics["on_time_rate"])
    assert card_value(page, "overdue_open") == str(metrics["overdue_open"].value)
    on_time = metrics["on_time_rate"]
    assert f"{on_time.numerator:,} / {on_time.denominator:,}" in page


def test_tiny_overview_figures_by_hand(tiny_files):
    page = tiny_files["issues/index.md"]
    assert card_value(page, "issues_raised") == "8"
    assert card_value(page, "on_time_rate") == "样本不足"  # 2 / 4
    assert card_value(page, "overdue_open") == "1"
    assert card_value(page, "median_days_to_resolve") == "3.5天"
    assert "超期未办结问题（1 件）" in page


def test_region_rows_add_up_to_the_region(demo_ledger):
    ctx = Context.of(demo_ledger)
    for code in ctx.linked:
        rows = child_rows(ctx, code, "../")
        total = ctx.breakdowns["region"][code]
        for name in ("issues_raised", "issues_resolved", "overdue_open", "escalated_count"):
            assert sum(r["figures"][name].value for r in rows) == total[name].value, (code, name)
        for name in ("resolution_rate", "on_time_rate", "township_resolution_share"):
            assert sum(r["figures"][name].numerator for r in rows) == total[name].numerator, (code, name)
            assert sum(r["figures"][name].denominator for r in rows) == total[name].denominator, (code, name)


def test_overview_county_tables_add_up_to_the_whole(demo_ledger):
    ctx = Context.of(demo_ledger)
    counties = [c for root in ctx.roots() for c in ctx.children(root)]
    assert sum(ctx.breakdowns["region"][c]["issues_raised"].value for c in counties) == 600


def test_league_ranks_only_departments_with_enough_cases(demo_ledger):
    ctx = Context.of(demo_ledger)
    ranked, unranked = league_rows(demo_ledger, ctx.names)
    assert ranked and unranked  # the 600-issue demo has both
    assert all(r["figures"]["on_time_rate"].denominator >= MIN_CASES for r in ranked)
    assert all((r["figures"]["on_time_rate"].denominator or 0) < MIN_CASES for r in unranked)
    assert [r["rank"] for r in ranked][0] == 1
    rates = [r["figures"]["on_time_rate"].value for r in ranked]
    assert rates == sorted(rates, reverse=True)
    for before, after in zip(ranked, ranked[1:]):  # ties share a rank, otherwise rank = position
        assert after["rank"] in (before["rank"], ranked.index(after) + 1)
    window = league_window(demo_ledger).issues(demo_ledger)
    assert sum(r["figures"]["issues_raised"].value for r in ranked + unranked) == len(window)


def test_tiny_league_is_all_small_samples(tiny_files):
    page = tiny_files["issues/departments.md"]
    assert "统计期间：2025-05 至 2026-04" in page
    assert page.count("样本不足</td>") == 2 and "0 个部门达到排名门槛" not in page


def test_data_is_escaped_in_pages(tiny):
    issues_csv = tiny / "issues" / "2026.csv"
    text = issues_csv.read_text(encoding="utf-8").replace("村口桥梁护栏缺失", "<b>护栏</b>&缺失")
    issues_csv.write_text(text, encoding="utf-8")
    report, ledger = validate(tiny)
    assert report.valid
    files = issues.render_section(ledger, compute_all(ledger)).files
    assert "&lt;b&gt;护栏&lt;/b&gt;&amp;缺失" in files["issues/overdue.md"]
    assert "<b>护栏" not in files["issues/overdue.md"]


@pytest.mark.parametrize("script", ["issue-lookup.js", "sortable-table.js"])
def test_own_javascript_never_parses_data_as_html_and_calls_nothing_outside(script):
    source = (JS / script).read_text(encoding="utf-8")
    for forbidden in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "http://",
                      "https://", "//cdn"):
        assert forbidden not in source, forbidden


def test_lookup_page_names_its_script_and_shards(tiny_files):
    page = tiny_files["issue/index.md"]
    assert '<script src="../assets/js/issue-lookup.js" defer></script>' in page
    assert 'data-shards="1"' in page and 'data-api="../api/v1/issues/"' in page
    assert "需要启用 JavaScript" in page and 'href="../issues/overdue/"' in page


def test_golden_folder_has_no_stale_files():
    on_disk = {str(p.relative_to(GOLDEN)) for p in GOLDEN.rglob("*") if p.is_file()}
    assert on_disk == set(GOLDEN_PATHS)


def test_render_is_deterministic(tiny_ledger, tiny_files):
    again = section_files(tiny_ledger)
    assert again == tiny_files

