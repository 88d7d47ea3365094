"""What a built site weighs on disk, against GitHub Pages' 1 GB limit (issue #21).

``site_size(out)`` sums the bytes of every file (their sizes, as a Pages artifact
counts them: no gzip is ours to control there) by top-level folder, and splits
the total into what has to be published beside the pages (pages, assets, the
JSON API with the issue lookup and search shards: ``published_bytes``) and the
downloads (``downloads_bytes``), which a site with a downloads base URL hosts
elsewhere (release assets). ``benchmarks/run.py`` records it; run alone:

    .venv/bin/python benchmarks/site_size.py public
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

PAGES_LIMIT = 1_000_000_000  # GitHub Pages: a published site of at most 1 GB
DOWNLOADS = "downloads"
SHARDS = {"lookup_shards_bytes": "api/v1/issues", "search_shards_bytes": "api/v1/search"}


def _walk(folder: Path):
    """(relative posix path, size) of every file under ``folder``; symlinks are not followed."""
    for top, dirs, names in os.walk(folder):
        dirs.sort()
        for name in sorted(names):
            path = Path(top) / name
            if path.is_file() and not path.is_symlink():
                yield path.relative_to(folder).as_posix(), path.stat().st_size


def site_size(out: Path) -> dict:
    """Bytes by top-level folder (files at the top count under ``"."``), the pages + API + shards total,
    the downloads total, the lookup and search shards, and whether the published part fits Pages."""
    out = Path(out)
    by_folder: dict[str, int] = {}
    files: dict[str, int] = {}
    shards = dict.fromkeys(SHARDS, 0)
    for path, size in _walk(out):
        top = path.split("/", 1)[0] if "/" in path else "."
        by_folder[top] = by_folder.get(top, 0) + size
        files[top] = files.get(top, 0) + 1
        for key, prefix in SHARDS.items():
            if path.startswith(prefix + "/"):
                shards[key] += size
    downloads = by_folder.get(DOWNLOADS, 0)
    published = sum(by_folder.values()) - downloads
    return {"by_folder": dict(sorted(by_folder.items())), "files_by_folder": dict(sorted(files.items())),
            "published_bytes": published, "downloads_bytes": downloads, "total_bytes": published + downloads,
            **shards, "pages_limit_bytes": PAGES_LIMIT, "fits_pages": published <= PAGES_LIMIT,
            "fits_pages_with_downloads": published + downloads <= PAGES_LIMIT}


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("用法：python benchmarks/site_size.py 站点文件夹  Usage: python benchmarks/site_size.py SITE_DIR")
    print(json.dumps(site_size(Path(sys.argv[1])), ensure_ascii=False, indent=2))
