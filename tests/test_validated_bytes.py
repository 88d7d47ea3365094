"""Everything published is exactly the bytes validation checked: a data file changed after validation
stops the build (the previous site stays), whether the downloads would be written or recalled."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

import pipeline.export
from pipeline.build import SITE_MARKER, SITE_MARKER_TEXT, BuildConfig, BuildError, build
from pipeline.core.cache import FileCache
from pipeline.validate import validate
from tests.test_validate import edit_cell

CHANGED = "文件 issues/2026.csv 在校验之后被修改，请重新构建"


def tree_digest(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def change_after_validation(monkeypatch, change) -> None:
    """Run ``change`` between validation and the export (the build calls pipeline.export.start)."""
    real = pipeline.export.start

    def start(*args, **kwargs):
        change()
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline.export, "start", start)


@pytest.fixture
def previous_site(tiny, tmp_path) -> Path:
    out = tmp_path / "public"
    out.mkdir()
    (out / "index.html").write_text("previous", encoding="utf-8")
    (out / SITE_MARKER).write_text(SITE_MARKER_TEXT, encoding="utf-8")  # a site an earlier build wrote
    return out


def test_validation_records_the_sha256_of_the_bytes_it_read(tiny, tmp_path):
    expected = {rel: hashlib.sha256((tiny / rel).read_bytes()).hexdigest()
                for rel in ("issues/2026.csv", "regions.csv", "holidays.csv")}
    for cache in (FileCache(None), FileCache(tmp_path / "cache"), FileCache(tmp_path / "cache")):  # cold, then recalled
        _, ledger = validate(tiny, cache=cache)
        assert {rel: ledger.validated[rel] for rel in expected} == expected
        assert set(ledger.validated) == {p.relative_to(tiny).as_posix() for p in tiny.rglob("*.csv")}


def test_downloads_re_read_the_data_after_validation(tiny, previous_site, monkeypatch):
    issues = tiny / "issues" / "2026.csv"
    forged = issues.read_bytes().replace("村道路灯".encode(), "伪造的行".encode(), 1)
    assert forged != issues.read_bytes()
    change_after_validation(monkeypatch, lambda: issues.write_bytes(forged))
    with pytest.raises(BuildError) as info:
        build(BuildConfig(data=tiny, out=previous_site))
    assert str(info.value) == CHANGED
    assert tree_digest(previous_site) == {"index.html": hashlib.sha256(b"previous").hexdigest(),
                                          SITE_MARKER: hashlib.sha256(SITE_MARKER_TEXT.encode()).hexdigest()}
    assert not any(p.name.startswith(".public.staging") for p in previous_site.parent.iterdir())


def test_a_recalled_export_is_checked_against_the_bytes_validation_read(tiny, tmp_path, monkeypatch):
    cache_dir, out = tmp_path / "cache", tmp_path / "public"
    issues = tiny / "issues" / "2026.csv"
    validated = issues.read_bytes()
    edit_cell(tiny, "issues/2026.csv", 3, "title", "村道路灯损坏需要维修（旧版本）")
    older = issues.read_bytes()
    build(BuildConfig(data=tiny, out=out, cache=FileCache(cache_dir)))  # the cache now holds the older downloads
    site, stored = tree_digest(out), tree_digest(cache_dir / "exports")
    issues.write_bytes(validated)
    change_after_validation(monkeypatch, lambda: issues.write_bytes(older))  # swapped back after validation
    with pytest.raises(BuildError) as info:
        build(BuildConfig(data=tiny, out=out, cache=FileCache(cache_dir)))
    assert str(info.value) == CHANGED
    assert tree_digest(out) == site and tree_digest(cache_dir / "exports") == stored
