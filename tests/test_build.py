"""The build driver: the bundled demo builds, output is deterministic, failures change nothing.

The whole-site golden files come from the bundled demo generated afresh (the bundled_demo fixture), not
from data/: a fork replaces data/, and CI's site job builds that.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from pipeline import build as build_module
from pipeline.build import BuildConfig, BuildError, InvalidData, build
from pipeline.figures.metrics import compute_all
from pipeline.render.home import headline_block
from pipeline.validate import validate
from tests.golden import check_golden
from tests.conftest import REPO, made_once
from tests.test_validate import edit_cell



def tree_digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="session")
def bundled_site(bundled_demo, tmp_path_factory) -> Path:
    """A real build of the bundled demo — what `make site` does with the data/ this repository ships —
    once for the whole run (``made_once``: every worker's ``bundled_demo`` holds the same bytes)."""
    def make(folder: Path) -> None:
        result = build(BuildConfig(data=bundled_demo, out=folder / "public"))
        assert result.report.valid

    return made_once(tmp_path_factory, "bundled-site", make) / "public"


@pytest.mark.slow
def test_bundled_data_builds_the_site(bundled_site):
    assert (bundled_site / "index.html").is_file()
    html = (bundled_site / "index.html").read_text(encoding="utf-8")
    assert '<html lang="zh"' in html
    assert "fonts.googleapis.com" not in html and "fonts.gstatic.com" not in html


@pytest.mark.slow
def test_summary_json_is_the_metric_functions_output(bundled_demo, bundled_site):
    _, ledger = validate(bundled_demo)
    summary = json.loads((bundled_site / "api/v1/summary.json").read_text(encoding="utf-8"))
    assert summary["as_of"] == "2026-10-31"
    assert summary["metrics"] == {name: m.to_dict() for name, m in compute_all(ledger).items()}
    check_golden("summary.json", (bundled_site / "api/v1/summary.json").read_text(encoding="utf-8"))


def test_home_headline_block_golden(bundled_demo):
    _, ledger = validate(bundled_demo)
    check_golden("home_headline.html", headline_block(ledger, compute_all(ledger)))


def test_build_is_deterministic(tiny, tmp_path):
    first = build(BuildConfig(data=tiny, out=tmp_path / "one")).out
    second = build(BuildConfig(data=tiny, out=tmp_path / "two")).out
    assert tree_digest(first) == tree_digest(second)


def test_no_outside_url_is_requested_by_any_page(built_demo_site):
    for page in built_demo_site.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        for needle in ('src="http', "src='http", 'href="//', "@import url(http", "fonts.googleapis"):
            assert needle not in html, f"{page.relative_to(built_demo_site)} loads an outside resource: {needle}"


@pytest.fixture
def previous_site(tmp_path):
    out = tmp_path / "public"
    out.mkdir()
    (out / "index.html").write_text("previous", encoding="utf-8")
    (out / build_module.SITE_MARKER).write_text(build_module.SITE_MARKER_TEXT, encoding="utf-8")  # built earlier
    return out


def _boom(*args, **kwargs):
    raise RuntimeError("injected failure")


@pytest.mark.parametrize("stage", ["validate", "compute_all", "render_all", "inject_blocks", "export_downloads", "run_mkdocs"])
def test_failure_at_any_stage_leaves_the_previous_site(tiny, previous_site, monkeypatch, stage):
    monkeypatch.setattr(build_module, stage, _boom)
    with pytest.raises(RuntimeError, match="injected failure"):
        build(BuildConfig(data=tiny, out=previous_site))
    assert sorted(p.name for p in previous_site.iterdir()) == [build_module.SITE_MARKER, "index.html"]
    assert (previous_site / "index.html").read_text(encoding="utf-8") == "previous"
    assert not any(p.name.startswith(".public.") for p in previous_site.parent.iterdir())


def test_failed_swap_restores_the_previous_site(tiny, previous_site, monkeypatch):
    real_rename = Path.rename

    def rename(self, target):
        if self.name == "site":  # the new site moving into place
            raise OSError("injected failure")
        return real_rename(self, target)

    monkeypatch.setattr(Path, "rename", rename)
    with pytest.raises(OSError, match="injected failure"):
        build(BuildConfig(data=tiny, out=previous_site))
    assert (previous_site / "index.html").read_text(encoding="utf-8") == "previous"


def test_invalid_data_never_publishes(tiny, previous_site):
    edit_cell(tiny, "issues/2026.csv", 2, "title", "村民身份证11010519491231002X")
    with pytest.raises(InvalidData) as info:
        build(BuildConfig(data=tiny, out=previous_site))
    assert [f.code for f in info.value.report.errors] == ["pii-id-number"]
    assert (previous_site / "index.html").read_text(encoding="utf-8") == "previous"


def test_unknown_marker_in_a_hand_written_page_stops_the_build(tiny, tmp_path):
    site = tmp_path / "site"
    shutil.copytree(REPO / "site", site)
    (site / "about.md").write_text("# 关于\n\n<!-- ledger:no-such-block -->\n", encoding="utf-8")
    with pytest.raises(BuildError) as failed:
        build(BuildConfig(data=tiny, out=tmp_path / "public", site=site))
    assert str(failed.value).startswith("about.md 中有未知的区块标记 no-such-block，生成已停止：请改正或删除它（可用的标记：")
    assert not (tmp_path / "public").exists()


def test_a_marker_taken_out_of_the_hand_written_pages_stops_the_build_in_chinese(tiny, tmp_path):
    """An office that rewrites its home page without the headline marker would publish it without the figures."""
    site = tmp_path / "site"
    shutil.copytree(REPO / "site", site)
    home = site / "index.md"
    home.write_text(home.read_text(encoding="utf-8").replace("<!-- ledger:headline -->", ""), encoding="utf-8")
    with pytest.raises(BuildError) as failed:
        build(BuildConfig(data=tiny, out=tmp_path / "public", site=site))
    assert str(failed.value) == (
        "网站源文件的页面里没有区块标记 <!-- ledger:headline -->，这些数字和列表不会出现在网站上，生成已停止：请把标记放回页面"
        "（原来在 index.md、about.md 等页面中）。 No hand-written page has the marker(s) ['headline']; the figures would "
        "not appear.")
    assert not (tmp_path / "public").exists()
