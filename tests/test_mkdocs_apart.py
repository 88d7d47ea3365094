"""mkdocs in a process of its own (pipeline/render/mkdocs_run.py): the same site, the same failures.

A build of a large package runs mkdocs apart from the render (``MKDOCS_APART_ISSUES``), so that the
scripts' data, written meanwhile, do not share one interpreter lock with it. These tests lower the
threshold to run the demo's build that way, and call both runners on a folder mkdocs refuses.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline import build as build_module
from pipeline.build import BuildConfig, BuildError, build
from pipeline.render import mkdocs_run
from tests.test_build_incremental import Counted, assert_same_tree


def test_mkdocs_apart_builds_the_same_site(demo_copy, tmp_path, monkeypatch, built_demo_site):
    in_process = Counted(build_module.run_mkdocs)
    apart = Counted(build_module.run_mkdocs_apart)
    monkeypatch.setattr(build_module, "run_mkdocs", in_process)
    monkeypatch.setattr(build_module, "run_mkdocs_apart", apart)
    monkeypatch.setattr(build_module, "MKDOCS_APART_ISSUES", 0)
    build(BuildConfig(data=demo_copy, out=tmp_path / "public"))
    assert (in_process.calls, apart.calls) == (0, 1)
    assert_same_tree(tmp_path / "public", built_demo_site)  # the session's build, mkdocs on a thread


def test_a_small_package_runs_mkdocs_on_a_thread(tiny, tmp_path, monkeypatch):
    in_process = Counted(build_module.run_mkdocs)
    apart = Counted(build_module.run_mkdocs_apart)
    monkeypatch.setattr(build_module, "run_mkdocs", in_process)
    monkeypatch.setattr(build_module, "run_mkdocs_apart", apart)
    build(BuildConfig(data=tiny, out=tmp_path / "public"))
    assert (in_process.calls, apart.calls) == (1, 0)


@pytest.fixture
def refused_docs(tmp_path) -> tuple[Path, Path]:
    """A site mkdocs --strict refuses: its page links a page that does not exist."""
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text("# 首页\n\n[缺页](missing.md)\n", encoding="utf-8")
    (tmp_path / "mkdocs.yml").write_text("site_name: 测试\n", encoding="utf-8")
    return tmp_path / "mkdocs.yml", tmp_path / "docs"


@pytest.mark.parametrize("runner", [mkdocs_run.run_mkdocs, mkdocs_run.run_mkdocs_apart])
def test_a_refused_site_fails_alike_either_way(refused_docs, tmp_path, runner):
    config, docs = refused_docs
    with pytest.raises(BuildError) as raised:
        runner(config, docs, tmp_path / "site", "1767225600")
    assert str(raised.value) == (
        "mkdocs build failed: Aborted with 1 warnings in strict mode!\n"
        "  - Doc file 'index.md' contains a link 'missing.md', but the target is not found among documentation files.")


def test_a_process_that_dies_says_why(refused_docs, tmp_path, monkeypatch):
    monkeypatch.setattr(mkdocs_run, "MODULE", "pipeline.render.no_such_module")
    config, docs = refused_docs
    with pytest.raises(BuildError) as raised:
        mkdocs_run.run_mkdocs_apart(config, docs, tmp_path / "site", "1767225600")
    assert str(raised.value).startswith("mkdocs build failed (exit 1): ")
    assert "No module named pipeline.render.no_such_module" in str(raised.value)


def test_the_process_dates_the_site_by_the_data(refused_docs, tmp_path, monkeypatch):
    """The epoch reaches the child: the sitemap is dated by it, not by the clock."""
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    config, docs = refused_docs
    (docs / "index.md").write_text("# 首页\n", encoding="utf-8")
    config.write_text("site_name: 测试\nsite_url: https://example.invalid/\n", encoding="utf-8")  # a sitemap lists pages
    mkdocs_run.run_mkdocs_apart(config, docs, tmp_path / "site", "1767225600")  # 2026-01-01
    assert "<lastmod>2026-01-01</lastmod>" in (tmp_path / "site" / "sitemap.xml").read_text(encoding="utf-8")
