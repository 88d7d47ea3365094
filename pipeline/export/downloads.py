"""Write every download into the docs folder, then the pages that state their sizes and checksums.

Runs after rendering (the build driver calls it from ``copy_downloads``):
the downloads page, the dictionary pages, ``api/v1/downloads.json`` and the
DCAT catalogue ``data.json`` need the bytes and sha256 of files that exist
only once written. Downloads stream to disk, so a million-row package never
sits in memory as a finished file.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.export import package_zip
from pipeline.export.csv_export import write_csv
from pipeline.export.json_export import write_json
from pipeline.export.manifest import Download, describe
from pipeline.export.parquet_export import write_parquet
from pipeline.export.sqlite_export import write_sqlite
from pipeline.export.tables import Table, read_table
from pipeline.export.xlsx_export import write_xlsx
from pipeline.frames import Ledger
from pipeline.package import DESCRIPTOR, DataPackage, resource_paths

log = logging.getLogger("ledger.export")
DOWNLOADS = "downloads"
# per-resource formats: folder under downloads/, file extension
PER_RESOURCE = [("csv", "csv", "csv"), ("csv-excel", "csv-excel", "csv"), ("json", "json", "json"),
                ("parquet", "parquet", "parquet")]


@dataclass
class Exported:
    downloads: list[Download] = field(default_factory=list)
    sheets: dict[str, list[str]] = field(default_factory=dict)  # resource → XLSX sheet names
    seconds: dict[str, float] = field(default_factory=dict)  # format → seconds spent writing


def base_name(package: DataPackage) -> str:
    return package_zip.folder_name(package)


def write_downloads(package: DataPackage, docs: Path) -> Exported:
    """Every format into ``docs/downloads``; returns what was written, in a fixed order."""
    out = docs / DOWNLOADS
    result = Exported()
    as_of = package.as_of.isoformat()
    tables = [read_table(package, name) for name in package.resource_names]
    stem = base_name(package)

    def timed(fmt: str, start: float) -> None:
        result.seconds[fmt] = round(result.seconds.get(fmt, 0.0) + time.monotonic() - start, 3)

    # --- The package: descriptor with hashes, its files, and the ZIP ---
    start = time.monotonic()
    descriptor = package_zip.descriptor_bytes(package_zip.descriptor_with_hashes(package))
    package_zip.write_package_folder(package, descriptor, out)
    result.downloads.append(describe(docs, out / DESCRIPTOR, "descriptor", None, None))
    for table in tables:
        for rel, rows in zip(resource_paths(package.resource(table.name)), table.part_rows):
            result.downloads.append(describe(docs, out / rel, "source", table.name, rows))
    package_zip.write_zip(package, descriptor, out / f"{stem}.zip")
    total = sum(t.rows for t in tables)
    result.downloads.append(describe(docs, out / f"{stem}.zip", "zip", None, total))
    timed("zip", start)
    # --- Whole-package files: the workbook and the database ---
    start = time.monotonic()
    result.sheets = write_xlsx(package, tables, out / f"{stem}.xlsx")
    result.downloads.append(describe(docs, out / f"{stem}.xlsx", "xlsx", None, total))
    timed("xlsx", start)
    start = time.monotonic()
    write_sqlite(package, tables, out / f"{stem}.db")
    result.downloads.append(describe(docs, out / f"{stem}.db", "sqlite", None, total))
    timed("sqlite", start)
    # --- One file per resource and format ---
    for fmt, folder, ext in PER_RESOURCE:
        start = time.monotonic()
        for table in tables:
            path = out / folder / f"{table.name}.{ext}"
            rows = _write_one(fmt, table, path, as_of)
            result.downloads.append(describe(docs, path, fmt, table.name, rows))
        timed(fmt, start)
    log.info("downloads_written files=%d bytes=%d seconds=%s", len(result.downloads),
             sum(d.bytes for d in result.downloads), result.seconds)
    return result


def _write_one(fmt: str, table: Table, path: Path, as_of: str) -> int:
    if fmt == "csv":
        return write_csv(table, path)
    if fmt == "csv-excel":
        return write_csv(table, path, for_excel=True)
    if fmt == "json":
        return write_json(table, path)
    return write_parquet(table, path, as_of)


def publish(ledger: Ledger, docs: Path) -> Exported:
    """Downloads, then the pages and documents that describe them; never overwrites a rendered file."""
    from pipeline.render.downloads_pages import described_files

    exported = write_downloads(ledger.package, docs)
    start = time.monotonic()
    for rel, content in sorted(described_files(ledger, exported).items()):
        target = docs / rel
        if target.exists():
            raise FileExistsError(f"{rel} was already rendered by a site section; the export would overwrite it")
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8", newline="\n")
    exported.seconds["pages"] = round(time.monotonic() - start, 3)
    return exported
