"""A package saved with Windows line endings (CRLF, as Excel's CSV and Notepad write them) publishes what
the same package with LF endings publishes. Only the published copies of the source files differ, and so
do the files that state their SHA-256: the descriptor, the package ZIP, the pages and API documents that
list checksums. Every derived download (per-resource CSV, JSON and Parquet, the workbook, the database)
is the same bytes, and no carriage return reaches a page, a document or a download.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from pipeline.build import BuildConfig, build
from tests.test_build_incremental import tree

TEXT = {".html", ".json", ".xml", ".js", ".txt", ".csv", ".atom", ".svg", ".md"}


def checksums(site: Path) -> dict[str, str]:
    listed = json.loads((site / "api" / "v1" / "downloads.json").read_text(encoding="utf-8"))
    return {d["path"]: d["sha256"] for d in listed["downloads"]}


def test_a_crlf_package_publishes_what_the_lf_package_publishes(tiny, tmp_path):
    crlf = tmp_path / "crlf"
    shutil.copytree(tiny, crlf)
    sources = sorted(p.relative_to(crlf).as_posix() for p in crlf.rglob("*.csv"))
    for rel in sources:
        path = crlf / rel
        path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    build(BuildConfig(data=tiny, out=tmp_path / "lf-site"))
    build(BuildConfig(data=crlf, out=tmp_path / "crlf-site"))

    lf_sums, crlf_sums = checksums(tmp_path / "lf-site"), checksums(tmp_path / "crlf-site")
    assert sorted(lf_sums) == sorted(crlf_sums)
    changed = sorted(path for path in lf_sums if lf_sums[path] != crlf_sums[path])
    assert changed == sorted([f"downloads/{rel}" for rel in sources]
                             + ["downloads/datapackage.json", "downloads/sunshine-ledger.zip"])

    lf, published = tree(tmp_path / "lf-site"), tree(tmp_path / "crlf-site")
    assert sorted(lf) == sorted(published)
    stated = [crlf_sums[path].encode() for path in changed]  # a checksum of a changed file, as a page states it
    for path, content in published.items():
        if content != lf[path] and path not in changed:
            assert any(s in content for s in stated), f"{path} differs without stating a changed checksum"
        if Path(path).suffix in TEXT and path not in changed:
            assert b"\r" not in content, path
