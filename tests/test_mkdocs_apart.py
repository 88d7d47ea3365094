"""mkdocs in a process of its own (pipeline/render/mkdocs_run.py): the same site, the same failures.

A build of a large package runs mkdocs apart from the render (``MKDOCS_APART_ISSUES``), so that the
scripts' data, written meanwhile, do not share one interpreter lock with it. These tests lower the
threshold to run the demo's build that way, and call both runners on a folder mkdocs refuses.
"""

from __future__ import annotations

import signal
import threading
import time
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
        "网站源文件有 1 处问题，mkdocs 在严格模式下停止了生成：index.md 中的链接 missing.md 指向的页面不存在。 "
        "mkdocs build failed: Aborted with 1 warnings in strict mode!\n"
        "  - Doc file 'index.md' contains a link 'missing.md', but the target is not found among documentation files.")


def test_a_process_that_dies_says_why(refused_docs, tmp_path, monkeypatch):
    monkeypatch.setattr(mkdocs_run, "MODULE", "pipeline.render.no_such_module")
    config, docs = refused_docs
    with pytest.raises(BuildError) as raised:
        mkdocs_run.run_mkdocs_apart(config, docs, tmp_path / "site", "1767225600")
    assert str(raised.value).startswith("mkdocs build failed (exit status 1): ")
    assert "No module named pipeline.render.no_such_module" in str(raised.value)


def test_the_process_dates_the_site_by_the_data(refused_docs, tmp_path, monkeypatch):
    """The epoch reaches the child: the sitemap is dated by it, not by the clock."""
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    config, docs = refused_docs
    (docs / "index.md").write_text("# 首页\n", encoding="utf-8")
    config.write_text("site_name: 测试\nsite_url: https://example.invalid/\n", encoding="utf-8")  # a sitemap lists pages
    mkdocs_run.run_mkdocs_apart(config, docs, tmp_path / "site", "1767225600")  # 2026-01-01
    assert "<lastmod>2026-01-01</lastmod>" in (tmp_path / "site" / "sitemap.xml").read_text(encoding="utf-8")


@pytest.fixture
def slow_mkdocs(monkeypatch) -> list:
    """mkdocs apart replaced by a child that works for five minutes; the list gets each child started."""
    started = []
    start = mkdocs_run.start_module

    def recorded(module, job):
        started.append(start(module, job))
        return started[-1]
    monkeypatch.setattr(mkdocs_run, "MODULE", "tests.slow_process")
    monkeypatch.setattr(mkdocs_run, "start_module", recorded)
    return started


def test_a_stopped_build_kills_mkdocs_apart(refused_docs, tmp_path, slow_mkdocs):
    config, docs = refused_docs
    stop = threading.Event()
    failed = []

    def run() -> None:
        try:
            mkdocs_run.run_mkdocs_apart(config, docs, tmp_path / "site", "1767225600", stop)
        except BuildError as exc:
            failed.append(str(exc))
    runner = threading.Thread(target=run)
    runner.start()
    while not slow_mkdocs:
        runner.join(0.05)
    stop.set()
    runner.join(60)
    assert not runner.is_alive()
    assert failed == ["mkdocs build stopped: the build failed elsewhere"]
    assert slow_mkdocs[0].returncode == -signal.SIGKILL


def test_a_render_that_fails_does_not_wait_for_mkdocs(tiny, tmp_path, monkeypatch, slow_mkdocs):
    """The render fails after mkdocs started apart: the build fails with the render's error, the child is
    killed (not waited for five minutes), and nothing is left beside the output folder."""
    from pipeline.render import officers

    monkeypatch.setattr(build_module, "MKDOCS_APART_ISSUES", 0)

    def broken(ledger, metrics):  # fails once mkdocs has started
        for _ in range(600):
            if slow_mkdocs:
                break
            time.sleep(0.05)
        raise RuntimeError("render broke")
        yield
    monkeypatch.setattr(officers, "data_stream", broken)  # the scripts' data: written after mkdocs started
    parent = tmp_path / "out"
    parent.mkdir()
    with pytest.raises(RuntimeError, match="render broke"):
        build(BuildConfig(data=tiny, out=parent / "public"))
    assert len(slow_mkdocs) == 1 and slow_mkdocs[0].returncode == -signal.SIGKILL
    assert sorted(p.name for p in parent.iterdir()) == []
