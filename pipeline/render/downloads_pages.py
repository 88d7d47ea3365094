"""The pages and documents that describe the downloads, rendered from the export stage's ``Manifest``.

data/index.md (数据下载), data/dictionary/<resource>.md, api/v1/downloads.json,
downloads/SHA256SUMS and the DCAT catalogue data.json all state sizes and
checksums of files that exist only once written: the export runs before
rendering and hands its manifest on (``render_all(..., manifest=...)``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from pipeline.core.ledger import Ledger
from pipeline.export.dcat import catalogue_json
from pipeline.export.manifest import FORMATS, PER_RESOURCE, Download, Manifest
from pipeline.render.api import API
from pipeline.render.env import render
from pipeline.render.reference import dictionary_page
from pipeline.render.section import File, Part

NOTES = {
    "zip": "描述文件和全部 CSV，解压后可用 frictionless 校验",
    "xlsx": "每个资源一个工作表，中文表头；“说明”表列出每一列的含义",
    "sqlite": "全部资源，含主键、外键和索引；可用 Datasette 打开",
    "descriptor": "数据包描述文件：字段、类型、约束、每个文件的字节数和 SHA-256",
}


def human_size(size: int) -> str:
    if size < 1024:
        return f"{size} 字节"
    for unit in ("KB", "MB", "GB"):
        size /= 1024
        if size < 1024 or unit == "GB":
            return f"{size:.1f} {unit}"
    raise AssertionError("unreachable")


SHORT = {"csv": "CSV", "csv-excel": "CSV（Excel）", "json": "JSON", "parquet": "Parquet"}


def row(item: Download) -> dict:
    return {**item.to_dict(), "name": item.name, "size": human_size(item.bytes), "note": NOTES.get(item.format, ""),
            "short": SHORT.get(item.format, item.label), "url": item.url}


def index_page(ledger: Ledger, manifest: Manifest) -> str:
    package = ledger.package
    by_format = {d.format: d for d in manifest.downloads if d.resource is None}
    whole = [row(by_format[f]) for f in ("zip", "xlsx", "sqlite", "descriptor")]
    resources = []
    for name in package.resource_names:
        files = {d.format: d for d in manifest.downloads if d.resource == name}
        res = package.resource(name)
        resources.append({"name": name, "title": res.get("title") or name, "rows": files["csv"].rows,
                          "files": [row(files[fmt]) for fmt, _, _ in PER_RESOURCE],
                          "sheets": manifest.sheets.get(name, [])})
    return render("data.md.j2", as_of=package.as_of.isoformat(), version=str(package.descriptor.get("version", "")),
                  licence=(package.descriptor.get("licenses") or [{}])[0], whole=whole, resources=resources,
                  formats=[{"key": fmt, "label": FORMATS[fmt][0]} for fmt, _, _ in PER_RESOURCE],
                  xlsx=row(by_format["xlsx"]), sqlite=row(by_format["sqlite"]), zip=row(by_format["zip"]),
                  folder=manifest.folder)


def dictionary_pages(ledger: Ledger, manifest: Manifest) -> dict[str, str]:
    pages = {}
    xlsx = next(d.path for d in manifest.downloads if d.format == "xlsx")
    for name in ledger.package.resource_names:
        files = [d for d in manifest.downloads if d.resource == name]
        ordered = [d for d in files if d.format == "source"] + [d for fmt, _, _ in PER_RESOURCE
                                                                for d in files if d.format == fmt]
        rows = next(d.rows for d in files if d.format == "csv") or 0
        pages[f"data/dictionary/{name}.md"] = dictionary_page(ledger.package, name, rows, [row(d) for d in ordered],
                                                              manifest.sheets.get(name, []), xlsx)
    return pages


def checksums(downloads: tuple[Download, ...]) -> str:
    """``sha256sum -c`` input, paths relative to the downloads folder."""
    lines = sorted(f"{d.sha256}  {d.path.split('/', 1)[1]}" for d in downloads)
    return "\n".join(lines) + "\n"


def manifest_document(ledger: Ledger, downloads: tuple[Download, ...]) -> str:
    payload = {"as_of": ledger.as_of.strftime("%Y-%m-%d"), "downloads": [d.to_dict() for d in downloads]}
    return json.dumps(payload, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def described_files(ledger: Ledger, manifest: Manifest) -> dict[str, str]:
    files = {"data/index.md": index_page(ledger, manifest),
             f"{API}/downloads.json": manifest_document(ledger, manifest.downloads),
             "downloads/SHA256SUMS": checksums(manifest.downloads),
             "data.json": catalogue_json(ledger.package, list(manifest.downloads))}
    files.update(dictionary_pages(ledger, manifest))
    return files


def stream(ledger: Ledger, manifest: Manifest) -> Iterator[Part]:
    """The files describing the downloads, as parts of the site (in the order the export wrote them before)."""
    for path, content in sorted(described_files(ledger, manifest).items()):
        yield File(path, content)
