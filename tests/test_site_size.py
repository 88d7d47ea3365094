"""benchmarks/site_size.py: bytes by top-level folder, pages + API + shards apart from the downloads."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

SPEC = importlib.util.spec_from_file_location("site_size", Path(__file__).resolve().parents[1] / "benchmarks" / "site_size.py")
site_size_module = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(site_size_module)
site_size = site_size_module.site_size


def write(root: Path, path: str, size: int) -> None:
    target = root / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(b"x" * size)


def test_site_size_counts_downloads_apart(tmp_path):
    write(tmp_path, "index.html", 100)
    write(tmp_path, "issues/index.html", 50)
    write(tmp_path, "api/v1/issues/0.json", 7)
    write(tmp_path, "api/v1/issues/index.json", 3)
    write(tmp_path, "api/v1/search/terms/0.json", 11)
    write(tmp_path, "api/v1/summary.json", 2)
    write(tmp_path, "downloads/csv/issues.csv", 1000)
    got = site_size(tmp_path)
    assert got["by_folder"] == {".": 100, "api": 23, "downloads": 1000, "issues": 50}
    assert got["files_by_folder"] == {".": 1, "api": 4, "downloads": 1, "issues": 1}
    assert (got["published_bytes"], got["downloads_bytes"], got["total_bytes"]) == (173, 1000, 1173)
    assert (got["lookup_shards_bytes"], got["search_shards_bytes"]) == (10, 11)
    assert got["fits_pages"] is True and got["fits_pages_with_downloads"] is True


def test_site_size_over_the_pages_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(site_size_module, "PAGES_LIMIT", 150)
    write(tmp_path, "index.html", 100)
    write(tmp_path, "downloads/a.zip", 100)
    got = site_size(tmp_path)
    assert got["fits_pages"] is True and got["fits_pages_with_downloads"] is False
    write(tmp_path, "assets/big.js", 51)
    assert site_size(tmp_path)["fits_pages"] is False


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_site_size_does_not_follow_symlinks(tmp_path):
    write(tmp_path / "elsewhere", "big.bin", 500)
    (tmp_path / "site").mkdir()
    write(tmp_path / "site", "index.html", 10)
    os.symlink(tmp_path / "elsewhere", tmp_path / "site" / "linked")
    assert site_size(tmp_path / "site")["total_bytes"] == 10
