"""Write every download, from exactly the bytes validation checked.

Starts before rendering (the build driver calls ``pipeline.export.start`` from
``export_downloads``): its ``Manifest`` of the files written, with their bytes
and SHA-256, is what the downloads page, the dictionary pages,
``api/v1/downloads.json``, ``downloads/SHA256SUMS`` and the DCAT catalogue
``data.json`` are rendered from (pipeline/render/downloads_pages.py).

The data files are read once more (validation read them once), as they are copied
into the downloads, and each copy's SHA-256 is compared with the one validation
recorded as it read the file (``Ledger.validated``): a file changed since stops the
build, the manifest takes that SHA-256 for the copy, and every other format, the
package descriptor and the ZIP are made from those checked copies, never from the
data folder again.

Memory stays bounded whatever the number of rows: each resource is read by
pyarrow a block of rows at a time (``tables.ExportTable.blocks``), and that one
reading feeds every per-resource format and the workbook, formatted by Arrow's
kernels (``columns``); the database reads the blocks once more. In a build all
of this but the copies is the work of a process of its own
(``downloads_process``), which uses the second core while the pages render;
within it, work that runs without the GIL goes to background lanes (``lanes``):
the package ZIP and the workbook's DEFLATE.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from pipeline.core.cache import FileCache
from pipeline.core.errors import BuildError
from pipeline.core.memory import release_freed_memory
from pipeline.export import package_zip, reuse
from pipeline.export.csv_export import CsvWriter
from pipeline.export.downloads_process import DownloadsProcess, exported_downloads, run_job
from pipeline.export.json_export import JsonWriter
from pipeline.export.manifest import DOWNLOADS, PER_RESOURCE, Download, Manifest, describe
from pipeline.export.lanes import Lane
from pipeline.export.parquet_export import ParquetWriter, arrow_schema
from pipeline.export.sqlite_export import SqliteWriter
from pipeline.export.tables import ExportTable, source_table
from pipeline.export.xlsx_export import Workbook
from pipeline.core.package import DESCRIPTOR, DataPackage, resource_paths
from pipeline.core.process_end import end_process

log = logging.getLogger("ledger.export")
CHUNK = 1 << 20


@dataclass
class Exported:
    downloads: list[Download] = field(default_factory=list)
    sheets: dict[str, list[str]] = field(default_factory=dict)  # resource → XLSX sheet names
    seconds: dict[str, float] = field(default_factory=dict)  # format → seconds spent writing
    folder: str = ""  # the package ZIP's folder (package_zip.folder_name)

    @property
    def manifest(self) -> Manifest:
        """What was written, as the pages that describe the downloads read it."""
        return Manifest(downloads=tuple(self.downloads), sheets=self.sheets, folder=self.folder)


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


def write_downloads(package: DataPackage, docs: Path, validated: dict[str, str] | None = None) -> Exported:
    """Every format into ``docs/downloads``, in this process; returns what was written, in a fixed order.

    The data files are copied first, each checked against ``validated`` (data file → SHA-256 as
    validation read it; None: not checked, for tools and tests), and everything else is made from
    those copies (``write_from_copies``)."""
    seconds: dict[str, float] = {}
    with Stopwatch(seconds)("copy"):
        copies = checked_copies(package, docs / DOWNLOADS, validated)
    result = write_from_copies(copies, docs, validated)
    result.seconds = {**seconds, **result.seconds}
    return result


def write_from_copies(package: DataPackage, docs: Path, validated: dict[str, str] | None) -> Exported:
    """Every download but the copies themselves, made from ``package``, whose files are the checked copies
    in ``docs/downloads``: the descriptor and ZIP (on a lane of their own: they only copy and deflate),
    the per-resource formats, the workbook and the database from one reading of each resource
    (``write_formats``), then every file's size and SHA-256. What the downloads' process runs
    (``downloads_process``), and ``write_downloads`` in the caller's own process."""
    out = docs / DOWNLOADS
    stem = base_name(package)
    result = Exported(folder=stem)
    timed = Stopwatch(result.seconds)
    packaging = Lane("zip")
    try:
        packaging.run(timed.wrap("zip", write_package), package, out, stem)
        with timed("read"):  # counts rows and measures text; the writers read the files again, block by block
            tables = [source_table(package, name) for name in package.resource_names]
        result.sheets = write_formats(package, tables, out, stem, timed)
        # the formats' blocks: in a build this process runs beside the render
        release_freed_memory(sum(table.rows for table in tables))
        packaging.close()
    except BaseException:
        packaging.abort()
        raise
    with timed("checksums"):
        result.downloads = manifest(package, tables, docs, stem, validated)
    return result


class PendingDownloads:
    """Downloads whose process may still be working: ``finish()`` waits for it and returns what was
    written; ``abort()`` stops it (the build calls it when a later stage fails)."""

    def __init__(self, result: Exported, process: DownloadsProcess | None,
                 complete: Callable[[Exported], None] = lambda result: None):
        self._result, self._process, self._complete = result, process, complete
        self._finished = process is None

    def finish(self) -> Exported:
        if not self._finished:
            timed = Stopwatch(self._result.seconds)
            try:
                with timed("waiting for the downloads"):
                    written = self._process.wait()
                self._result.downloads = exported_downloads(written)
                self._result.sheets = written["sheets"]
                self._result.seconds.update(written["seconds"])
                log.info("downloads_written files=%d bytes=%d seconds=%s", len(self._result.downloads),
                         sum(d.bytes for d in self._result.downloads), self._result.seconds)
                self._complete(self._result)
            except BaseException:
                self.abort()
                raise
            self._finished = True
        return self._result

    def abort(self) -> None:
        """Stop the downloads' process, unless it finished."""
        if not self._finished:
            self._process.abort()
        self._finished = True


def start_downloads(package: DataPackage, docs: Path, validated: dict[str, str] | None = None,
                    then: Callable[[Exported], None] = lambda result: None) -> PendingDownloads:
    """``write_downloads``, but everything after the copies is written by a process of its own
    (``downloads_process``), which may still be working when this returns (the build renders
    meanwhile); ``then(result)`` once it is done."""
    result = Exported(folder=base_name(package))
    with Stopwatch(result.seconds)("copy"):
        copies = checked_copies(package, docs / DOWNLOADS, validated)
    return PendingDownloads(result, DownloadsProcess(copies, docs, validated), then)


def checked_copies(package: DataPackage, out: Path, validated: dict[str, str] | None) -> DataPackage:
    """The data files copied into ``out`` (the unzipped package among the downloads), each compared on the
    way with the SHA-256 validation recorded; returns the package read from those copies."""
    for rel in package_zip.package_files(package):
        target = out / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        with (package.root / rel).open("rb") as source, target.open("wb") as copy:
            for chunk in iter(lambda: source.read(CHUNK), b""):
                digest.update(chunk)
                copy.write(chunk)
        if validated is not None and validated.get(rel) != digest.hexdigest():
            raise changed_after_validation(rel)
    return dataclasses.replace(package, root=out)


def changed_after_validation(rel: str, message: str | None = None) -> Exception:
    """The build's error for a data file whose bytes are not the ones validation read."""
    return BuildError(message or f"文件 {rel} 在校验之后被修改，请重新构建")


def write_package(package: DataPackage, out: Path, stem: str) -> None:
    """The descriptor with hashes beside the copied files (the unzipped package), and the ZIP."""
    descriptor = package_zip.descriptor_bytes(package_zip.descriptor_with_hashes(package))
    (out / DESCRIPTOR).write_bytes(descriptor)
    package_zip.write_zip(package, descriptor, out / f"{stem}.zip")


def write_formats(package: DataPackage, tables: list[ExportTable], out: Path, stem: str,
                  timed: Stopwatch) -> dict[str, list[str]]:
    """One reading of each resource's rows feeds its CSV, Excel CSV, JSON and Parquet files, the workbook
    and the database (parsing every file a second time for the database alone cost 2.3 s at a million
    issues); returns resource → its sheets in the workbook. The workbook compresses on a lane, so a block
    is formatted while the one before is stored."""
    as_of = package.as_of.isoformat()
    database = SqliteWriter(out / f"{stem}.db", rows=sum(table.rows for table in tables))
    try:
        with Workbook(package, tables, out / f"{stem}.xlsx", background=True) as book:
            for table in tables:
                resource = package.resource(table.name)
                writers = ResourceWriters(table, out, as_of)
                fed = book.begin(table)
                with timed("sqlite"):
                    database.begin_table(resource)
                try:
                    for batch in table.blocks():
                        writers.write(batch, timed)
                        if fed:
                            with timed("xlsx"):
                                book.write(batch)
                        with timed("sqlite"):
                            database.insert(resource, batch)
                finally:
                    writers.close(timed)
                with timed("xlsx"):
                    book.end(table)
                with timed("sqlite"):
                    database.end_table(resource)
        with timed("sqlite"):
            database.close(package, tables)
    except BaseException:
        database.abort()
        raise
    return book.sheets


class ResourceWriters:
    """A resource's four files, each written as the blocks come."""

    def __init__(self, table: ExportTable, out: Path, as_of: str):
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


def manifest(package: DataPackage, tables: list[ExportTable], docs: Path, stem: str,
             validated: dict[str, str] | None = None) -> list[Download]:
    """Every written file with its size and sha256, in the order the pages list them.

    A copy of a data file checked against ``validated`` (``checked_copies``) has the SHA-256 recorded
    there: it is not hashed again."""
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
    known = {out / rel: digest for rel, digest in (validated or {}).items()}

    def described(path: Path, fmt: str, resource: str | None, rows: int | None) -> Download:
        if fmt == "source" and path in known:
            return Download(path=path.relative_to(docs).as_posix(), format=fmt, resource=resource, rows=rows,
                            bytes=path.stat().st_size, sha256=known[path])
        return describe(docs, path, fmt, resource, rows)

    with ThreadPoolExecutor(max_workers=2) as pool:  # hashlib releases the GIL: two files at a time
        return list(pool.map(lambda spec: described(*spec), files))


def written_or_reused(package: DataPackage, docs: Path, cache: FileCache | None,
                      validated: dict[str, str]) -> PendingDownloads:
    """The downloads of ``package``, whose data files validation read with the SHA-256s ``validated``:
    reused from the cache when an entry made from those bytes by this code is sound (``reuse``),
    else written from copies checked against them (and stored once the downloads' process is done)."""
    start = time.monotonic()
    for rel in package_zip.package_files(package):
        if rel not in validated:
            raise changed_after_validation(rel, f"文件 {rel} 没有经过这次校验，请重新构建")
    key = reuse.export_key(package, validated) if cache is not None and cache.root is not None else None
    restored = reuse.restore(cache, key, docs, validated)
    if restored is not None:
        downloads, sheets = restored
        log.info("downloads_reused files=%d", len(downloads))
        return PendingDownloads(Exported(downloads=downloads, sheets=sheets, folder=base_name(package),
                                         seconds={"reused": round(time.monotonic() - start, 3)}), None)
    return start_downloads(package, docs, validated, then=lambda exported: reuse.store(
        cache, key, docs, exported.downloads, exported.sheets, validated))


if __name__ == "__main__":  # the downloads' process (downloads_process.DownloadsProcess)
    run_job(write_from_copies)
    end_process(0)  # everything is written and said: Arrow's teardown must not turn that into a failure
