"""Downloads hosted elsewhere (pipeline/export/hosting.py): mkdocs.yml's extra.ledger.downloads_url and
downloads_over. Unset, the site is what it was; set, the download pages link each large file at that base
with its size and SHA-256, the built site does not hold it and ``<out>-release`` does, for the deploy
workflow to upload; the site never requests anything from that host by itself."""

from __future__ import annotations

import hashlib
import json
import re

import pytest
from hypothesis import given, settings, strategies as st

from pipeline.build import BuildConfig, BuildError, Refused, build
from pipeline.export.hosting import RELEASE_MARKER, Hosting, HostingError, asset_name, hosted, release_folder
from pipeline.export.manifest import Download, Manifest
from pipeline.render.downloads_pages import described_files
from tests.conftest import make_tiny

BASE = "https://github.com/example/ledger/releases/download/site-2026-04-30/"


def manifest() -> Manifest:
    files = [("downloads/demo.zip", "zip", None, 5000), ("downloads/csv/issues.csv", "csv", "issues", 900),
             ("downloads/csv-excel/issues.csv", "csv-excel", "issues", 903)]
    return Manifest(downloads=tuple(Download(path, fmt, res, 8, size, hashlib.sha256(path.encode()).hexdigest())
                                    for path, fmt, res, size in files), sheets={}, folder="demo")


def test_downloads_url_unset_hosts_everything_in_the_site():
    assert Hosting.of({"ledger": {"downloads_url": "", "downloads_over": "0"}}) == Hosting(None, 0)
    assert Hosting.of(None) == Hosting(None, 0)
    assert hosted(manifest(), Hosting.of(None)) == manifest()


def test_downloads_url_and_threshold_are_read_and_checked():
    got = Hosting.of({"ledger": {"downloads_url": BASE.rstrip("/"), "downloads_over": "1000"}})
    assert got == Hosting(BASE, 1000)
    with pytest.raises(HostingError, match="必须是 https:// 地址，现在是“http://example.org/”"):
        Hosting.of({"ledger": {"downloads_url": "http://example.org/"}})
    with pytest.raises(HostingError, match="必须是不小于 0 的整数，现在是“-5”"):
        Hosting.of({"ledger": {"downloads_url": BASE, "downloads_over": "-5"}})
    with pytest.raises(HostingError, match="现在是“1 GB”"):
        Hosting.of({"ledger": {"downloads_url": BASE, "downloads_over": "1 GB"}})


def test_the_largest_file_the_host_takes_is_read_and_checked():
    assert Hosting.of({"ledger": {"downloads_url": BASE, "downloads_max": "2147483647"}}) == Hosting(BASE, 0, 2147483647)
    assert Hosting.of({"ledger": {"downloads_url": BASE, "downloads_max": ""}}) == Hosting(BASE, 0, 0)
    with pytest.raises(HostingError) as refused:
        Hosting.of({"ledger": {"downloads_url": BASE, "downloads_max": "2 GiB"}})
    assert str(refused.value) == ("mkdocs.yml 中 extra.ledger.downloads_max（存放地址能接收的最大文件字节数，0 为不限）"
                                  "必须是不小于 0 的整数，现在是“2 GiB”。")


def test_a_hosted_file_larger_than_the_host_takes_is_refused_with_what_to_do():
    with pytest.raises(HostingError) as refused:
        hosted(manifest(), Hosting(BASE, 900, 4000))
    assert str(refused.value) == (
        "下载文件 downloads/demo.zip 有 5,000 字节，超过存放地址能接收的最大文件 4,000 字节"
        "（extra.ledger.downloads_max，GitHub 发布附件须小于 2 GiB）。请把 downloads_url 改为没有这个限制的"
        "静态存放地址（例如对象存储），并把 downloads_max 设为 0。")
    # Only what goes to that host is limited: files that stay in the site, or a limit they are within, pass.
    assert [d.url for d in hosted(manifest(), Hosting(BASE, 5000, 1000)).downloads] == [None, None, None]
    assert [d.url for d in hosted(manifest(), Hosting(BASE, 900, 5000)).downloads] == [
        BASE + "demo.zip", None, BASE + "csv-excel-issues.csv"]


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(max_size=60), st.builds("https://{}".format, st.text(max_size=40)),
                 st.builds("https://example.org/{}".format, st.text(max_size=40))))
def test_downloads_url_never_anything_but_https(url):
    try:
        hosting = Hosting.of({"ledger": {"downloads_url": url}})
    except HostingError:
        return
    assert hosting.base_url is None or (hosting.base_url.startswith("https://") and
                                        not re.search(r"[\s\"'<>\\]", hosting.base_url))


def test_files_over_the_threshold_get_their_release_asset_address():
    got = hosted(manifest(), Hosting(BASE, 900))
    assert [d.url for d in got.downloads] == [BASE + "demo.zip", None, BASE + "csv-excel-issues.csv"]
    assert [asset_name(d.path) for d in got.downloads] == ["demo.zip", "csv-issues.csv", "csv-excel-issues.csv"]
    assert got.downloads[0].to_dict()["url"] == BASE + "demo.zip"
    assert "url" not in got.downloads[1].to_dict()  # in the site: downloads.json as before


def test_download_pages_link_hosted_files_with_size_and_sha256(tiny_ledger):
    files = [Download(f"downloads/{fmt}/{name}.{ext}", fmt, name, 3, 2048, "ab" * 32)
             for name in tiny_ledger.package.resource_names
             for fmt, ext in (("csv", "csv"), ("csv-excel", "csv"), ("json", "json"), ("parquet", "parquet"))]
    whole = [Download(f"downloads/demo.{ext}", fmt, None, 9, 4096, "cd" * 32)
             for fmt, ext in (("zip", "zip"), ("xlsx", "xlsx"), ("sqlite", "sqlite"), ("descriptor", "json"))]
    plain = Manifest(downloads=tuple(whole + files), sheets={}, folder="demo")
    before = described_files(tiny_ledger, plain)
    assert described_files(tiny_ledger, hosted(plain, Hosting())) == before
    after = described_files(tiny_ledger, hosted(plain, Hosting(BASE, 3000)))
    page = after["data/index.md"]
    assert f'<a href="{BASE}demo.zip" download>demo.zip</a>' in page
    assert '<a href="../downloads/csv/issues.csv" download>' in page  # 2 KB: stays in the site
    assert '<span title="4096 字节">4.0 KB</span>' in page and "cd" * 32 in page
    assert json.loads(after["api/v1/downloads.json"])["downloads"][0]["url"] == BASE + "demo.zip"
    assert BASE + "demo.zip" in after["data.json"]


@pytest.fixture
def tiny_data(tmp_path):
    return make_tiny(tmp_path / "data")


def test_hosted_downloads_leave_the_site_for_the_release_folder(tiny_data, tmp_path, monkeypatch):
    monkeypatch.setenv("LEDGER_DOWNLOADS_URL", BASE)
    monkeypatch.setenv("LEDGER_DOWNLOADS_OVER", "4096")
    out = tmp_path / "public"
    build(BuildConfig(data=tiny_data, out=out))
    release = release_folder(out)
    listed = json.loads((out / "api/v1/downloads.json").read_text(encoding="utf-8"))["downloads"]
    away = [d for d in listed if "url" in d]
    assert away and all(d["bytes"] > 4096 for d in away) and all(d["bytes"] <= 4096 for d in listed if "url" not in d)
    assert sorted(p.name for p in release.iterdir()) == sorted([RELEASE_MARKER] + [asset_name(d["path"]) for d in away])
    for d in away:
        assert not (out / d["path"]).exists()
        data = (release / asset_name(d["path"])).read_bytes()
        assert (len(data), hashlib.sha256(data).hexdigest()) == (d["bytes"], d["sha256"])
        assert d["url"] == BASE + asset_name(d["path"])
    for d in listed:
        if "url" not in d:
            assert (out / d["path"]).is_file()
    page = (out / "data/index.html").read_text(encoding="utf-8")
    assert all(f'href="{d["url"]}"' in page for d in away)
    assert [p for p in (out / "downloads").rglob("*") if p.is_dir() and not any(p.iterdir())] == []
    # Built again without the address: everything is back in the site, the old release folder stays.
    monkeypatch.delenv("LEDGER_DOWNLOADS_URL")
    build(BuildConfig(data=tiny_data, out=out))
    assert all((out / d["path"]).is_file() for d in listed)


def test_hosted_downloads_refuse_a_release_folder_the_build_did_not_write(tiny_data, tmp_path, monkeypatch):
    monkeypatch.setenv("LEDGER_DOWNLOADS_URL", BASE)
    out = tmp_path / "public"
    release = release_folder(out)
    release.mkdir()
    (release / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(Refused, match="不是 ledger build 写出的发布文件夹"):
        build(BuildConfig(data=tiny_data, out=out))
    assert not out.exists() and (release / "notes.txt").read_text(encoding="utf-8") == "mine"


def test_a_download_larger_than_the_host_takes_refuses_the_build_and_keeps_the_old_site(tiny_data, tmp_path,
                                                                                         monkeypatch):
    out = tmp_path / "public"
    build(BuildConfig(data=tiny_data, out=out))
    before = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    largest = max(d["bytes"] for d in json.loads((out / "api/v1/downloads.json").read_text(encoding="utf-8"))["downloads"])
    monkeypatch.setenv("LEDGER_DOWNLOADS_URL", BASE)
    monkeypatch.setenv("LEDGER_DOWNLOADS_OVER", "4096")
    monkeypatch.setenv("LEDGER_DOWNLOADS_MAX", str(largest - 1))
    with pytest.raises(BuildError, match=f"超过存放地址能接收的最大文件 {largest - 1:,} 字节"):
        build(BuildConfig(data=tiny_data, out=out))
    assert {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert not release_folder(out).exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "public"]  # no staging left behind
    monkeypatch.setenv("LEDGER_DOWNLOADS_MAX", str(largest))  # within the limit: built, the files moved out
    build(BuildConfig(data=tiny_data, out=out))
    assert release_folder(out).is_dir()


def test_downloads_url_over_http_refuses_the_build(tiny_data, tmp_path, monkeypatch):
    monkeypatch.setenv("LEDGER_DOWNLOADS_URL", "http://example.org/files/")
    with pytest.raises(Refused, match="downloads_url"):
        build(BuildConfig(data=tiny_data, out=tmp_path / "public"))
    assert not (tmp_path / "public").exists()


def test_moving_every_year_file_leaves_no_empty_folder(tmp_path):
    from pipeline.export.hosting import move_hosted

    root = tmp_path / "verbatim"
    files = {"downloads/issues/2025.csv": 20, "downloads/issues/2026.csv": 30, "downloads/csv/regions.csv": 5}
    for path, size in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(b"x" * size)
    listed = Manifest(tuple(Download(p, "source", "issues", 1, n, "0" * 64) for p, n in files.items()), {}, "demo")
    move_hosted(hosted(listed, Hosting(BASE, 10)), root, tmp_path / "public-release")
    assert sorted(p.relative_to(root).as_posix() for p in root.rglob("*")) == [
        "downloads", "downloads/csv", "downloads/csv/regions.csv"]
    assert sorted(p.name for p in (tmp_path / "public-release").iterdir()) == [
        RELEASE_MARKER, "issues-2025.csv", "issues-2026.csv"]
