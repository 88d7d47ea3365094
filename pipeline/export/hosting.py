"""Downloads hosted elsewhere: a base URL for the files too large to publish beside the pages.

GitHub Pages publishes at most 1 GB, and at a million issues the downloads alone weigh several.
``mkdocs.yml`` sets, under ``extra.ledger`` (or through the environment, as the deploy workflow does):

- ``downloads_url`` (``LEDGER_DOWNLOADS_URL``): the base address of a static host, for example the
  repository's release assets ``https://github.com/OWNER/REPO/releases/download/TAG/``. Unset (the
  default): every download is published in the site, as before.
- ``downloads_over`` (``LEDGER_DOWNLOADS_OVER``): only files of more than this many bytes go there
  (default 0: all of them).
- ``downloads_max`` (``LEDGER_DOWNLOADS_MAX``): the largest file that host takes, in bytes (default 0:
  no limit). GitHub takes release assets under 2 GiB, and at ten million issues four downloads are
  larger (the issues as JSON: 6.4 GB): a larger file refuses the build, before anything is published,
  with what to do, rather than failing the upload after the site is built.

A file hosted elsewhere keeps its size and SHA-256 on the download pages, which link it at
``downloads_url`` + its asset name (its path under downloads/ with "/" as "-": ``csv-issues.csv``, since
release assets have no folders). The build moves it out of the site into the release folder, from which
the deploy workflow uploads it. A link is not a request: no page loads anything from that host.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass, replace
from pathlib import Path

from pipeline.core import folders
from pipeline.export.manifest import DOWNLOADS, Manifest

HTTPS_BASE = re.compile(r"https://[A-Za-z0-9.-]+(?::\d+)?(?:/[A-Za-z0-9._~%!$&()*+,;=:@/-]*)?\Z")
RELEASE_MARKER = folders.RELEASE_MARKER


class HostingError(ValueError):
    """A downloads_url or downloads_over that cannot be used (the message is Chinese, one line)."""


@dataclass(frozen=True)
class Hosting:
    base_url: str | None = None  # None: every download stays in the site
    over: int = 0  # only files of more than this many bytes are hosted elsewhere
    largest: int = 0  # the largest file the host takes (0: no limit)

    @classmethod
    def of(cls, extra: dict | None) -> "Hosting":
        """From mkdocs.yml's ``extra.ledger`` (already read, ``!ENV`` resolved); checked loudly."""
        ledger = (extra or {}).get("ledger") or {}
        url = str(ledger.get("downloads_url") or "").strip()
        if url and not HTTPS_BASE.match(url):
            raise HostingError(f"mkdocs.yml 中 extra.ledger.downloads_url（下载文件的存放地址）必须是 https:// 地址，"
                               f"现在是“{url}”。")
        over = _bytes(ledger.get("downloads_over"))
        if over is None:
            raise HostingError(f"mkdocs.yml 中 extra.ledger.downloads_over（超过多少字节的下载文件放到别处）必须是"
                               f"不小于 0 的整数，现在是“{ledger.get('downloads_over')}”。")
        largest = _bytes(ledger.get("downloads_max"))
        if largest is None:
            raise HostingError(f"mkdocs.yml 中 extra.ledger.downloads_max（存放地址能接收的最大文件字节数，0 为不限）"
                               f"必须是不小于 0 的整数，现在是“{ledger.get('downloads_max')}”。")
        return cls(base_url=(url.rstrip("/") + "/") if url else None, over=over, largest=largest)

    def elsewhere(self, size: int) -> bool:
        return self.base_url is not None and size > self.over


def _bytes(value: object) -> int | None:
    """A byte count as mkdocs.yml or the environment gives it ("" and None: 0); None when it is not one."""
    try:
        number = int(str(value).strip() or 0) if value is not None else 0
    except ValueError:
        return None
    return number if number >= 0 else None


def asset_name(path: str) -> str:
    """downloads/csv/issues.csv → csv-issues.csv: a release asset's name (release assets have no folders)."""
    return path.split("/", 1)[1].replace("/", "-")


def hosted(manifest: Manifest, hosting: Hosting) -> Manifest:
    """The manifest with each download hosted elsewhere given its address (``Download.url``)."""
    if hosting.base_url is None:
        return manifest
    names: dict[str, str] = {}
    downloads = []
    for item in manifest.downloads:
        if hosting.elsewhere(item.bytes):
            name = asset_name(item.path)
            if name in names:
                raise HostingError(f"下载文件 {item.path} 和 {names[name]} 放到别处后同名（{name}）。")
            names[name] = item.path
            if hosting.largest and item.bytes > hosting.largest:
                raise HostingError(
                    f"下载文件 {item.path} 有 {item.bytes:,} 字节，超过存放地址能接收的最大文件 {hosting.largest:,} 字节"
                    f"（extra.ledger.downloads_max，GitHub 发布附件须小于 2 GiB）。请把 downloads_url "
                    f"改为没有这个限制的静态存放地址（例如对象存储），并把 downloads_max 设为 0。")
            item = replace(item, url=hosting.base_url + name)
        downloads.append(item)
    return replace(manifest, downloads=tuple(downloads))


def release_folder(out: Path) -> Path:
    """Where a build puts the files hosted elsewhere: beside the site, ``<out>-release``."""
    return out.with_name(out.name + "-release")


def move_hosted(manifest: Manifest, files_root: Path, release: Path) -> None:
    """Move each download hosted elsewhere out of ``files_root`` (the site's verbatim files) into a fresh
    ``release`` folder under its asset name. A release folder left by an earlier build (it holds the marker)
    is replaced; any other existing, non-empty folder is refused and left untouched."""
    if release.is_symlink() or (release.exists() and not release.is_dir()):
        raise HostingError(f"{release} 不是文件夹，不能存放要上传到别处的下载文件。")
    if release.is_dir() and any(release.iterdir()):
        if not (release / RELEASE_MARKER).is_file():
            raise HostingError(f"{release} 已有其他文件，不是 ledger build 写出的发布文件夹：请移走或删除后再构建。")
        shutil.rmtree(release)
    moved = [item for item in manifest.downloads if item.url is not None]
    if not moved:
        return
    release.mkdir(parents=True, exist_ok=True)
    (release / RELEASE_MARKER).write_text("ledger build: downloads hosted elsewhere\n", encoding="utf-8")
    for item in moved:
        source = files_root / item.path
        assert item.path.startswith(DOWNLOADS + "/") and source.is_file(), f"{item.path} was not exported"
        os.replace(source, release / asset_name(item.path))
        folder = source.parent  # a folder left empty (downloads/issues/ of year files) goes too
        while folder != files_root / DOWNLOADS and not any(folder.iterdir()):
            folder.rmdir()
            folder = folder.parent
