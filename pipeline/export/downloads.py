"""Write every download into the docs folder, then the pages that state their sizes and checksums.

Runs after rendering (the build driver calls it from ``copy_downloads``):
the downloads page, the dictionary pages, ``api/v1/downloads.json`` and the
DCAT catalogue ``data.json`` need the bytes and sha256 of files that exist
only once written.

Memory stays bounded whatever the number of rows: each resource is read by
pyarrow a block of rows at a time (``tables.Table.blocks``), and that one
reading feeds every format, formatted by Arrow's kernels (``columns``). Work
that runs without the GIL goes to background lanes (``lanes``): the package
ZIP, the database's inserts and the workbook's DEFLATE, so both cores work.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from pipeline.cache import FileCache
from pipeline.export import package_zip, reuse
from pipeline.export.csv_export import CsvWriter
from pipeline.export.json_export import JsonWriter
from pipeline.export.manifest import Download, describe
from pipeline.export.lanes import Lane
from pipeline.export.parquet_export import ParquetWriter, arrow_schema
from pipeline.export.sqlite_export import SqliteWriter
from pipeline.export.tables import Table, source_table
from pipeline.export.xlsx_export import Workbook
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


class Stopwatch:
    """Seconds per format, summed over the blocks each writer handles."""

    def __init__(self, seconds: dict[str, float]):
        self.seconds = seconds

    @contextmanager
    def __call__(self, fmt: str):
        start = time.monotonic()
        try:
            yield
        finally:
            self.add(fmt, time.monotonic() - start)

    def add(self, fmt: str, seconds: float) -> None:
        self.seconds[fmt] = round(self.seconds.get(fmt, 0.0) + seconds, 3)

    def wrap(self, fmt: str, fn: Callable) -> Callable:
        """``fn``, timed under ``fmt`` wherever it runs (a lane's thread included)."""
        def timed_call(*args):
            with self(fmt):
                return fn(*args)
        return timed_call


def base_name(package: DataPackage) -> str:
    return package_zip.folder_name(package)


def write_downloads(package: DataPackage, docs: Path) -> Exported:
    """Every format into ``docs/downloads``; returns what was written, in a fixed order.

    The package ZIP is written on a lane of its own (it only copies and deflates the source files);
    every other format is fed by one reading of each resource (``write_formats``)."""
    out = docs / DOWNLOADS
    result = Exported()
    timed = Stopwatch(result.seconds)
    stem = base_name(package)
    packaging = Lane("zip")
    try:
        packaging.run(timed.wrap("zip", write_package), package, out, stem)
        with timed("read"):  # counts rows and measures text; the writers read the files again, block by block
            tables = [source_table(package, name) for name in package.resource_names]
        result.sheets = write_formats(package, tables, out, stem, timed)
    except BaseException:
        packaging.abort()
        raise
    packaging.close()
    with timed("checksums"):
        result.downloads = manifest(package, tables, docs, stem)
    log.info("downloads_written files=%d bytes=%d seconds=%s", len(result.downloads),
             sum(d.bytes for d in result.downloads), result.seconds)
    return result


def write_package(package: DataPackage, out: Path, stem: str) -> None:
    """The descriptor with hashes, the unzipped package, and the ZIP."""
    descriptor = package_zip.descriptor_bytes(package_zip.descriptor_with_hashes(package))
    package_zip.write_package_folder(package, descriptor, out)
    package_zip.write_zip(package, descriptor, out / f"{stem}.zip")


def write_formats(package: DataPackage, tables: list[Table], out: Path, stem: str,
                  timed: Stopwatch) -> dict[str, list[str]]:
    """One reading of each resource's rows feeds its CSV, Excel CSV, JSON and Parquet files, the workbook
    and the database; returns resource → its sheets in the workbook.

    The database's inserts run on a lane (sqlite3 works without the GIL), the workbook compresses on
    one, so a block is formatted while the one before is stored."""
    as_of = package.as_of.isoformat()
    database = Lane("sqlite")
    sqlite = database.call(SqliteWriter, out / f"{stem}.db")
    try:
        with Workbook(package, tables, out / f"{stem}.xlsx", background=True) as book:
            for table in tables:
                resource = package.resource(table.name)
                database.run(timed.wrap("sqlite", sqlite.begin_table), resource)
                writers = ResourceWriters(table, out, as_of)
                fed = book.begin(table)
                try:
                    for batch in table.blocks():
                        writers.write(batch, timed)
                        database.run(timed.wrap("sqlite", sqlite.insert), resource, batch)
                        if fed:
                            with timed("xlsx"):
                                book.write(batch)
                finally:
                    writers.close(timed)
                with timed("xlsx"):
                    book.end(table)
                database.run(timed.wrap("sqlite", sqlite.end_table), resource)
            database.call(timed.wrap("sqlite", sqlite.close), package, tables)
        database.close()
    except BaseException:
        database.abort()
        sqlite.abort()
        raise
    return book.sheets


class ResourceWriters:
    """A resource's four files, each written as the blocks come."""

    def __init__(self, table: Table, out: Path, as_of: str):
        self.csv = CsvWriter(out / "csv" / f"{table.name}.csv", table.fields)
        self.excel = CsvWriter(out / "csv-excel" / f"{table.name}.csv", table.fields, for_excel=True)
        self.json = JsonWriter(out / "json" / f"{table.name}.json", table.fields)
        self.parquet = ParquetWriter(out / "parquet" / f"{table.name}.parquet", table.fields,
                                     arrow_schema(table.fields, table.name, table.title, as_of))

    def write(self, batch: pa.RecordBatch, timed: Stopwatch) -> None:
        with timed("csv"):
            lines = self.csv.write(batch)
        with timed("csv-excel"):
            self.excel.write(batch, canonical=lines)
        with timed("json"):
            self.json.write(batch)
        with timed("parquet"):
            self.parquet.write(batch)

    def close(self, timed: Stopwatch) -> None:
        for fmt, writer in (("csv", self.csv), ("csv-excel", self.excel), ("json", self.json),
                            ("parquet", self.parquet)):
            with timed(fmt):
                writer.close()


def manifest(package: DataPackage, tables: list[Table], docs: Path, stem: str) -> list[Download]:
    """Every written file with its size and sha256, in the order the pages list them."""
    out = docs / DOWNLOADS
    total = sum(t.rows for t in tables)
    files = [(out / DESCRIPTOR, "descriptor", None, None)]
    for table in tables:
        for rel, rows in zip(resource_paths(package.resource(table.name)), table.part_rows):
            files.append((out / rel, "source", table.name, rows))
    files += [(out / f"{stem}.zip", "zip", None, total), (out / f"{stem}.xlsx", "xlsx", None, total),
              (out / f"{stem}.db", "sqlite", None, total)]
    for fmt, folder, ext in PER_RESOURCE:
        for table in tables:
            files.append((out / folder / f"{table.name}.{ext}", fmt, table.name, table.rows))
    with ThreadPoolExecutor(max_workers=2) as pool:  # hashlib releases the GIL: two files at a time
        return list(pool.map(lambda spec: describe(docs, *spec), files))


def publish(ledger: Ledger, docs: Path, cache: FileCache | None = None, files_root: Path | None = None) -> Exported:
    """Downloads, then the pages and documents that describe them; never overwrites a rendered file.

    With a ``cache``, downloads made from the same data by the same code are reused (``reuse``).
    The download files go under ``files_root`` (default ``docs``): the build puts them beside the
    docs and moves them into the built site after mkdocs, which would copy gigabytes once more."""
    from pipeline.render.downloads_pages import described_files

    exported = written_or_reused(ledger.package, files_root or docs, cache)
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


def written_or_reused(package: DataPackage, docs: Path, cache: FileCache | None) -> Exported:
    start = time.monotonic()
    folder = reuse.entry(cache, reuse.export_key(package)) if cache is not None and cache.root is not None else None
    restored = reuse.restore(folder, docs)
    if restored is not None:
        downloads, sheets = restored
        log.info("downloads_reused files=%d", len(downloads))
        return Exported(downloads=downloads, sheets=sheets, seconds={"reused": round(time.monotonic() - start, 3)})
    exported = write_downloads(package, docs)
    reuse.store(folder, docs, exported.downloads, exported.sheets)
    return exported
