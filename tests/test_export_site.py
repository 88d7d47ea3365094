"""The built site's download pages, checksums file and DCAT catalogue state the true files."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

from pipeline.core.dictionary import dictionary_rows, header_titles
from pipeline.core.package import load
from pipeline.render.downloads_pages import human_size

HREF = re.compile(r'href="([^"#?]+)"')


@pytest.fixture(scope="module")
def manifest(built_demo_site) -> list[dict]:
    return json.loads((built_demo_site / "api/v1/downloads.json").read_text(encoding="utf-8"))["downloads"]


def test_manifest_states_every_file_truly(built_demo_site, manifest):
    resources = json.loads((built_demo_site / "downloads/datapackage.json").read_text(encoding="utf-8"))["resources"]
    sources = [rel for r in resources for rel in ([r["path"]] if isinstance(r["path"], str) else r["path"])]
    # whole-package files (ZIP, XLSX, SQLite, descriptor), the source files, 4 formats × each resource
    assert len(manifest) == 4 + len(sources) + 4 * len(resources)
    assert (len(resources), len(sources)) == (17, 18)  # the demo: 15 resources + burden_reports, burden_cuts
    for item in manifest:
        data = (built_demo_site / item["path"]).read_bytes()
        assert item["bytes"] == len(data) and item["sha256"] == hashlib.sha256(data).hexdigest(), item["path"]


def test_sha256sums_checks_every_download(built_demo_site, manifest):
    lines = (built_demo_site / "downloads/SHA256SUMS").read_text(encoding="utf-8").splitlines()
    assert lines == sorted(f"{d['sha256']}  {d['path'].removeprefix('downloads/')}" for d in manifest)


def test_downloads_page_states_size_rows_and_sha256_of_each_whole_file(built_demo_site, manifest):
    html = (built_demo_site / "data/index.html").read_text(encoding="utf-8")
    for item in (d for d in manifest if d["resource"] is None):
        assert f"<code>{item['sha256']}</code>" in html and human_size(item["bytes"]) in html, item["path"]
        assert f'href="../{item["path"]}"' in html
    for name in load_names(built_demo_site):
        assert f'<li id="{name}"><strong><a href="dictionary/{name}/">' in html


def load_names(site: Path) -> list[str]:
    return [r["name"] for r in json.loads((site / "downloads/datapackage.json").read_text(encoding="utf-8"))["resources"]]


def test_each_dictionary_page_states_its_downloads_and_fields(built_demo_site, manifest, demo_dir):
    package = load(demo_dir)
    for name in package.resource_names:
        html = (built_demo_site / f"data/dictionary/{name}/index.html").read_text(encoding="utf-8")
        for item in (d for d in manifest if d["resource"] == name):
            assert f"<code>{item['sha256']}</code>" in html, (name, item["path"])
            assert f'href="../../../{item["path"]}"' in html
        for row in dictionary_rows(package, name):
            assert f'<li id="field-{row.name}"><strong>{row.title}</strong> <code>{row.name}</code>：' in html


def test_every_link_on_the_download_pages_resolves(built_demo_site):
    pages = [built_demo_site / "data/index.html", built_demo_site / "data/api/index.html",
             built_demo_site / "data/changelog/index.html"] + sorted((built_demo_site / "data/dictionary").rglob("*.html"))
    for page in pages:
        for href in HREF.findall(page.read_text(encoding="utf-8")):
            if href.startswith(("http://", "https://", "mailto:")) or "assets/" in href:
                continue
            target = (page.parent / href).resolve()
            assert target.is_file() or (target / "index.html").is_file(), (page.relative_to(built_demo_site), href)


def test_dcat_catalogue_describes_every_distribution(built_demo_site, manifest):
    catalogue = json.loads((built_demo_site / "data.json").read_text(encoding="utf-8"))
    assert catalogue["@type"] == "dcat:Catalog"
    assert catalogue["@context"]["dcat"] == "http://www.w3.org/ns/dcat#"
    assert catalogue["dct:license"]["@id"] == "https://creativecommons.org/licenses/by/4.0/"
    distributions = {d["dcat:downloadURL"]["@id"]: d for ds in catalogue["dcat:dataset"] for d in ds["dcat:distribution"]}
    assert set(distributions) == {d["path"] for d in manifest if d["format"] != "source"}
    for item in manifest:
        if item["format"] == "source":
            continue
        d = distributions[item["path"]]
        assert d["dcat:byteSize"]["@value"] == str(item["bytes"])
        assert d["spdx:checksum"]["spdx:checksumValue"]["@value"] == item["sha256"]
        assert d["dcat:mediaType"]["@id"].endswith("/" + item["media_type"])
        assert d["dct:license"]["@id"] == "https://creativecommons.org/licenses/by/4.0/"
    assert [ds["@id"] for ds in catalogue["dcat:dataset"]] == ["#sunshine-ledger"] + \
        [f"#{n}" for n in load_names(built_demo_site)]


def test_changelog_page_shows_the_committed_releases(built_demo_site):
    html = (built_demo_site / "data/changelog/index.html").read_text(encoding="utf-8")
    assert "版本 1.0.0（截止 2026年10月31日）" in html


def test_dictionary_rows_read_the_schema():
    descriptor = json.loads((Path(__file__).resolve().parent.parent / "pipeline/standard.json").read_text("utf-8"))
    rows = {r.name: r for r in dictionary_rows(descriptor, "issues")}
    assert rows["status"].title == "办理状态" and rows["status"].required
    assert rows["status"].categories[:2] == (("registered", "已登记"), ("assigned", "已交办"))
    assert rows["co_departments"].type_label == "列表" and "多个值用“;”分隔" in rows["co_departments"].constraints
    assert rows["title"].constraints == ("必填", "至少 4 字", "最多 120 字")
    assert header_titles(descriptor, "issues")[:3] == ["问题编号", "来源机制", "会议编号"]
    assert len(set(header_titles(descriptor, "surveys"))) == len(rows_of(descriptor, "surveys"))


def rows_of(descriptor: dict, name: str) -> list:
    return dictionary_rows(descriptor, name)
