"""What the export stage wrote: one ``Download`` per file, with the size, rows and SHA-256 the pages state,
gathered in a ``Manifest``, the export's output and the input of the pages that describe the downloads
(rendered afterwards by pipeline/render/downloads_pages.py: the export writes no page)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

CHUNK = 1 << 20
DOWNLOADS = "downloads"  # the folder every download is written into
# per-resource formats, in the order the pages list them: format, folder under downloads/, file extension
PER_RESOURCE = [("csv", "csv", "csv"), ("csv-excel", "csv-excel", "csv"), ("json", "json", "json"),
                ("parquet", "parquet", "parquet")]

# format → (Chinese label, media type, file extension shown to people)
FORMATS = {
    "zip": ("完整数据包（ZIP）", "application/zip", "ZIP"),
    "xlsx": ("Excel 工作簿", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "XLSX"),
    "sqlite": ("SQLite 数据库", "application/vnd.sqlite3", "SQLite"),
    "descriptor": ("数据包描述文件", "application/json", "JSON"),
    "source": ("原始文件", "text/csv", "CSV"),
    "csv": ("CSV（UTF-8）", "text/csv", "CSV"),
    "csv-excel": ("CSV（供 Excel，带 BOM）", "text/csv", "CSV"),
    "json": ("JSON", "application/json", "JSON"),
    "parquet": ("Parquet", "application/vnd.apache.parquet", "Parquet"),
}


@dataclass(frozen=True)
class Download:
    path: str  # inside the docs folder, forward slashes (downloads/csv/issues.csv)
    format: str  # a key of FORMATS
    resource: str | None  # None for a file holding every resource
    rows: int | None  # data rows (all resources for a whole-package file)
    bytes: int
    sha256: str
    url: str | None = None  # hosted elsewhere (pipeline/export/hosting.py): its address; None: in the site

    @property
    def label(self) -> str:
        return FORMATS[self.format][0]

    @property
    def media_type(self) -> str:
        return FORMATS[self.format][1]

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]

    def to_dict(self) -> dict:
        out = {"path": self.path, "format": self.format, "label": self.label, "media_type": self.media_type,
               "resource": self.resource, "rows": self.rows, "bytes": self.bytes, "sha256": self.sha256}
        return out if self.url is None else {**out, "url": self.url}


@dataclass(frozen=True)
class Manifest:
    """Every download the export wrote (or reused), in the order the pages list them, with what the pages
    say of them: each resource's sheets in the workbook and the folder name inside the package ZIP."""

    downloads: tuple[Download, ...]
    sheets: dict[str, list[str]]  # resource → its sheets in the XLSX workbook
    folder: str  # the package ZIP's folder, also the stem of the whole-package files


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def describe(docs: Path, path: Path, fmt: str, resource: str | None, rows: int | None) -> Download:
    return Download(path=path.relative_to(docs).as_posix(), format=fmt, resource=resource, rows=rows,
                    bytes=path.stat().st_size, sha256=file_sha256(path))
