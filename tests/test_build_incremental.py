"""Incremental builds: a build with the cache of an earlier one publishes exactly the bytes of a cold build of
the same data, and redoes only the stages (and parts) whose inputs changed (pipeline/core/stage_cache.py)."""

from __future__ import annotations

import functools

import csv
import io
import shutil
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pipeline.build as build_module
from pipeline.build import BuildConfig, build
from pipeline.core import stage_cache
from pipeline.core.cache import FileCache
from pipeline.render import issues_search_grams as grams
from tests.realistic_edit import realistic_edit


def tree(folder: Path) -> dict[str, bytes]:
    """Every file below ``folder`` with its bytes (the whole built site)."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def assert_same_tree(one: Path, two: Path) -> None:
    first, second = tree(one), tree(two)
    assert sorted(first) == sorted(second)
    different = [path for path in first if first[path] != second[path]]
    assert different == []


class Counted:
    """Counts the calls of a stage function while still running it."""

    def __init__(self, fn):
        self.fn, self.calls = fn, 0
        functools.update_wrapper(self, fn)  # the same name: the site's key names its stage functions

    def __call__(self, *args, **kwargs):
        self.calls += 1
        return self.fn(*args, **kwargs)


@pytest.fixture
def small_blocks(monkeypatch):
    """Blocks of 100 texts in the search index, so that the small demo has several."""
    monkeypatch.setattr(grams, "TEXT_ROWS", 100)
    counted = Counted(grams.block_grams)
    monkeypatch.setattr(grams, "block_grams", counted)
    return counted


def test_realistic_pull_request_rebuilds_incrementally_to_the_bytes_of_a_cold_build(demo_copy, tmp_path, small_blocks):
    cache = FileCache(tmp_path / "cache")
    # --- a cold build, with a cache ---
    build(BuildConfig(data=demo_copy, out=tmp_path / "incremental", cache=cache))
    blocks = small_blocks.calls
    assert blocks == 6  # 600 issues, blocks of 100 texts
    # --- the pull request: resolves open issues, re-tiers one, adds ten ---
    changed = realistic_edit(demo_copy)
    assert changed == {"resolved": 8, "retiered": 1, "added": 10}
    small_blocks.calls = 0
    build(BuildConfig(data=demo_copy, out=tmp_path / "incremental", cache=cache))
    # The newest block only: the ten new issues (raised on the newest day, with the next ids) take the
    # positions after the 600, so 610 texts cut from the first leave the six blocks of 100 as they were
    # (recalled) and a block of 10 that holds the new ones.
    assert small_blocks.calls == 1
    # --- the same edited data, built cold into another folder without any cache ---
    build(BuildConfig(data=demo_copy, out=tmp_path / "cold"))
    assert_same_tree(tmp_path / "incremental", tmp_path / "cold")


def test_unchanged_inputs_rebuild_without_rendering(demo_copy, tmp_path, monkeypatch, built_demo_site):
    cache = FileCache(tmp_path / "cache")
    build(BuildConfig(data=demo_copy, out=tmp_path / "one", cache=cache))
    mkdocs = Counted(build_module.run_mkdocs)
    render = Counted(build_module.render_all)
    monkeypatch.setattr(build_module, "run_mkdocs", mkdocs)
    monkeypatch.setattr(build_module, "render_all", render)
    result = build(BuildConfig(data=demo_copy, out=tmp_path / "one", cache=cache))
    assert (mkdocs.calls, render.calls) == (0, 0)
    assert result.pages == sum(1 for _ in (tmp_path / "one").rglob("*.html"))
    assert_same_tree(tmp_path / "one", built_demo_site)  # the session's cold build of the same data, no cache


def test_stored_site_altered_through_a_hard_link_is_not_published(tiny, tmp_path, monkeypatch):
    """The published files share their bytes with the cache entry: one edited in place is caught by the record.
    (The tiny package: what is checked is the stored site's record, whatever the data.)"""
    cache = FileCache(tmp_path / "cache")
    build(BuildConfig(data=tiny, out=tmp_path / "one", cache=cache))
    page = tmp_path / "one" / "index.html"
    with page.open("r+b") as handle:  # in place: the cache entry's link sees the change
        handle.write(b"X")
    mkdocs = Counted(build_module.run_mkdocs)
    monkeypatch.setattr(build_module, "run_mkdocs", mkdocs)
    build(BuildConfig(data=tiny, out=tmp_path / "one", cache=cache))
    assert mkdocs.calls == 1
    assert not (tmp_path / "one" / "index.html").read_bytes().startswith(b"X")


def test_changed_site_source_rebuilds(tiny, tmp_path, monkeypatch):
    site = tmp_path / "site"
    shutil.copytree(BuildConfig(data=tiny, out=tmp_path / "x").site, site)
    cache = FileCache(tmp_path / "cache")
    build(BuildConfig(data=tiny, out=tmp_path / "one", site=site, cache=cache))
    about = sorted(site.rglob("*.md"))[0]
    about.write_text(about.read_text(encoding="utf-8") + "\n本页已更新。\n", encoding="utf-8")
    mkdocs = Counted(build_module.run_mkdocs)
    monkeypatch.setattr(build_module, "run_mkdocs", mkdocs)
    build(BuildConfig(data=tiny, out=tmp_path / "one", site=site, cache=cache))
    assert mkdocs.calls == 1


def test_stage_key_separates_its_parts():
    assert stage_cache.key("ab", "c") != stage_cache.key("a", "bc")
    assert stage_cache.key("a") == stage_cache.key("a")


# --- the search index's grams, per block, from the cache ---------------------------------------------

TEXT = st.text(alphabet=st.sampled_from(list("问题办理 街道社区abcAB１２\n\t")), max_size=12)


def postings_of(texts: list[str]) -> tuple[list[str], list[int], list[int]]:
    postings = grams.Grams(texts).postings()
    return postings.keys, postings.bounds.tolist(), postings.positions.tolist()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(old=st.lists(TEXT, max_size=40), new=st.lists(TEXT, max_size=8), rows=st.integers(1, 9))
def test_cached_grams_blocks_give_the_postings_of_a_cold_scan(tmp_path_factory, monkeypatch, old, new, rows):
    """Any texts, any block size, any newest texts added: the postings from cached blocks are a cold scan's."""
    monkeypatch.setattr(grams, "TEXT_ROWS", rows)
    cache = FileCache(tmp_path_factory.mktemp("grams"))
    with stage_cache.using(cache):
        assert postings_of(old) == postings_of(old)  # the second from the cache
        warm = postings_of(old + new)
    monkeypatch.setattr(grams, "TEXT_ROWS", 1 << 14)  # one block: how the index was cut before it was cached
    assert warm == postings_of(old + new)


@given(st.lists(st.integers(0, 1 << 40), max_size=200))
def test_search_grams_unique_by_sort(values):
    array = np.array(values, dtype=np.int64)
    assert grams.sorted_unique(array).tolist() == np.unique(array).tolist()


def test_realistic_edit_changes_statuses_tiers_and_adds_issues(demo_copy):
    before = (demo_copy / "issues" / "2026.csv").read_text(encoding="utf-8")
    realistic_edit(demo_copy, resolve=3, add=2)
    after = list(csv.DictReader(io.StringIO((demo_copy / "issues" / "2026.csv").read_text(encoding="utf-8"))))
    old = {row["id"]: row for row in csv.DictReader(io.StringIO(before))}
    assert len(after) == len(old) + 2
    changed = [row["id"] for row in after if row["id"] in old and row != old[row["id"]]]
    assert len(changed) == 4  # three resolved, one re-tiered
