"""Checks on each file before anything reads its records: present, not too large (to read, or to
push to a git host), not empty,
not UTF-16, no byte-order mark. (Whether the bytes are UTF-8 is checked as they are read, segment
by segment: pipeline/validate/scan.py.)

Validation opens each data file once (``FileBytes``): these checks, the file's cut and SHA-256
(scan.py), its header (structural.py) and the work on its records all take the same bytes.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import threading

import pyarrow as pa
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from pipeline.core import findings as fd
from pipeline.core.folders import RELEASE_MARKER, SITE_MARKER
from pipeline.core.layout import SPLIT_BY, kind, split_names
from pipeline.core.package import HOST_FILE_BYTES, MAX_FILE_BYTES, DataPackage, ResourceFile

CHUNK = 1 << 20
HELD_BYTES = 512 << 20  # files held whole between their reads; beyond, a file is read again (a megacity's 4 GB)
STILL_READ = {"file-over-host-limit", "unlisted-file"}  # findings after which the records are still checked
# Files a clerk means as data: a table under another name, or a workbook put in data/ instead of inbox/.
DATA_SUFFIXES = {".csv", ".tsv", ".xlsx", ".xlsm", ".xls", ".ods", ".et"}
INBOX = "inbox"  # the web inbox's folder (pipeline/contribute/inbox.py), at a repository's top


@dataclass(frozen=True)
class FileFacts:
    """What later stages need to know about a readable file."""

    file: ResourceFile
    records: int | None  # CSV records after the header (a multi-line quoted cell is one record), once counted


class FileBytes:
    """Each data file's bytes as validation holds them, every file opened at most once while they fit.

    A file is read whole, unless ``head_end`` gives where its header record ends: then only that much
    is read (scan.py asks for this when the file's cut is recorded under its stat facts and every
    segment's work is stored, so no record needs its bytes). A file that starts with a byte-order
    mark is read whole all the same, from the same open file: its bytes are checked here.

    At most ``budget`` bytes of whole files are held (a megacity's year is 4 GB of CSV): a file read
    whole beyond it is handed over and not kept, and whoever needs it again reads it again (``whole``
    says which; its work checks that the bytes are still those that were cut, scan.py).
    """

    def __init__(self, head_end: Callable[[ResourceFile], int | None] | None = None, budget: int | None = None):
        self._head_end = head_end or (lambda file: None)
        self._held: dict[str, tuple[bytes, bool]] = {}  # file → (bytes, whole)
        self._budget, self._total = HELD_BYTES if budget is None else budget, 0
        self._lock = threading.Lock()  # files are read on two threads (scan.py)

    def read(self, file: ResourceFile) -> bytes:
        """The file's bytes: whole, or its head up to the end of its header record (``whole`` says which)."""
        with self._lock:
            if file.rel in self._held:
                return self._held[file.rel][0]
        end = self._head_end(file)
        if end is None:
            data, whole = file.abs.read_bytes(), True
        else:
            with file.abs.open("rb") as handle:
                data = handle.read(end)
                whole = len(data) < end
                if data.startswith(codecs.BOM_UTF8) and not whole:
                    data, whole = data + handle.read(), True
        with self._lock:
            if file.rel in self._held:
                return self._held[file.rel][0]
            if whole and self._total + len(data) > self._budget:
                return data  # beyond the budget: not kept
            self._held[file.rel] = (data, whole)
            self._total += len(data) if whole else 0
        return data

    def head(self, file: ResourceFile, size: int | None) -> bytes:
        """At least the file's first ``size`` bytes (None: whole), without reading a file whole that
        would not be kept."""
        with self._lock:
            if file.rel in self._held:
                return self._held[file.rel][0]
            fits = self._total + file.abs.stat().st_size <= self._budget
        if size is None or fits or self._head_end(file) is not None:  # read as ``read`` would, and kept
            return self.read(file)
        with file.abs.open("rb") as handle:
            return handle.read(size)

    def whole(self, file: ResourceFile) -> bool:
        """The file's bytes are held whole."""
        with self._lock:
            return file.rel in self._held and self._held[file.rel][1]

    def forget(self) -> None:
        """Let go of every file's bytes (whoever took them keeps them only as long as it needs them)."""
        with self._lock:
            self._held.clear()
            self._total = 0


def check_files(package: DataPackage, held: FileBytes | None = None
                ) -> tuple[list[fd.Finding], dict[str, list[FileFacts]]]:
    """Findings on every file's size and first bytes, and the files whose records can be read.

    The bytes come from ``held`` (a fresh ``FileBytes``, reading whole files, if None)."""
    held = held or FileBytes()
    findings: list[fd.Finding] = []
    facts: dict[str, list[FileFacts]] = {}
    for name in package.resource_names:
        for file in package.files(name):
            problems = list(_check_one(file, held, split_how(package, name, file.rel)))
            findings.extend(problems)
            if all(problem.code in STILL_READ for problem in problems):
                facts.setdefault(name, []).append(FileFacts(file, None))
    findings += [fd.make("unlisted-file", path=rel) for rel in unlisted_files(package)]
    return findings, facts


def unlisted_files(package: DataPackage) -> list[str]:
    """Tables and workbooks in the data folder that no resource lists, relative to it, sorted. Their rows
    would be neither validated nor published: an upload under another name (``issues/2026(1).csv``) or
    a new year's file not yet listed must not pass unseen. Hidden files and folders are not looked at, nor
    are the folders the tools own when the data folder is a repository's top (datapackage.json beside
    public/): a built site, its hosted downloads and the web inbox of workbooks."""
    root = Path(package.root)
    listed = package.listed()
    found = []
    for folder, folders, names in os.walk(root):
        folders[:] = sorted(f for f in folders if not f.startswith(".") and not _tools_own(Path(folder) / f, root))
        for name in names:
            rel = (Path(folder) / name).relative_to(root).as_posix()
            if not name.startswith(".") and Path(name).suffix.lower() in DATA_SUFFIXES and rel not in listed:
                found.append(rel)
    return sorted(found)


def _tools_own(folder: Path, root: Path) -> bool:
    return (folder / SITE_MARKER).is_file() or (folder / RELEASE_MARKER).is_file() \
        or (folder.parent == root and folder.name == INBOX)


def _check_one(file: ResourceFile, held: FileBytes, how: tuple[str, str]) -> Iterator[fd.Finding]:
    if not file.abs.is_file():
        yield fd.make("missing-file", path=file.rel, resource=file.resource, value=file.rel)
        return
    size = file.abs.stat().st_size
    if size > MAX_FILE_BYTES:
        yield fd.make("file-too-large", path=file.rel, resource=file.resource, value=size, limit=MAX_FILE_BYTES)
        return
    if size > HOST_FILE_BYTES:
        yield fd.make("file-over-host-limit", path=file.rel, resource=file.resource, value=size,
                      limit=HOST_FILE_BYTES, split=split_names(file.rel, file.resource), how=how[0], how_en=how[1])
    if size == 0:
        yield fd.make("empty-file", path=file.rel, resource=file.resource)
        return
    head = held.head(file, 4)[:4]
    if head.startswith(codecs.BOM_UTF8):
        yield fd.make("bom-present", path=file.rel, row=1, resource=file.resource)
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        yield fd.make("encoding-error", path=file.rel, row=1, resource=file.resource,
                      detail="文件是 UTF-16 编码（Excel 的“Unicode 文本”）")
        return
    if head.startswith(codecs.BOM_UTF8):  # not read further, so its bytes are checked here
        data = held.read(file)
        problem = utf8_problem(file, data, 0, len(data))
        if problem is not None:
            yield problem


def split_how(package: DataPackage, resource: str, rel: str) -> tuple[str, str]:
    """How the file ``rel`` of ``resource`` is split (pipeline/core/layout.py), in Chinese and English."""
    field = SPLIT_BY.get(resource)
    if kind(rel, resource) in ("month", "part"):
        return "行的顺序（已是一个月的文件）", "the order of its rows (it holds one month)"
    if field is None:
        return "行的顺序（这个资源没有日期列）", "the order of its rows (the resource has no date)"
    title = package.field(resource, field).get("title", field)
    return f"每行 {field}（{title}）的月份", f"the month of each row's {field}"


def utf8_problem(file: ResourceFile, data: bytes, start: int, stop: int) -> fd.Finding | None:
    """The first byte of data[start:stop] that is not UTF-8, as a finding with its line; None if all are."""
    if stop <= start or _arrow_says_utf8(data, start, stop):
        return None
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(data)
    position = start
    for offset in range(start, stop, CHUNK):
        chunk = bytes(view[offset:min(offset + CHUNK, stop)])
        try:
            decoder.decode(chunk, final=offset + len(chunk) >= stop)
        except UnicodeDecodeError as exc:
            position = offset + max(exc.start, 0)  # the decoder may hold a partial character from before
            break
    else:
        return None  # arrow and Python disagree: trust Python, which the rest of the tool uses
    row = data.count(b"\n", 0, position) + 1
    sample = bytes(view[position:position + 8])
    guess = "可能是 GBK/GB18030 编码" if _looks_gb18030(sample) else "不是 UTF-8"
    return fd.make("encoding-error", path=file.rel, row=row, resource=file.resource,
                   value=sample.hex(" "), detail=f"第 {position} 个字节起，{guess}")


def _arrow_says_utf8(data: bytes, start: int, stop: int) -> bool:
    # Arrow's validator is several times faster than decoding into a Python string.
    offsets = pa.array([0, stop - start], type=pa.int64()).buffers()[1]
    text = pa.Array.from_buffers(pa.large_string(), 1, [None, offsets, pa.py_buffer(memoryview(data)[start:stop])])
    try:
        text.validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def _looks_gb18030(sample: bytes) -> bool:
    try:
        sample[:2].decode("gb18030")
    except UnicodeDecodeError:
        return False
    return True


def with_record_counts(facts: dict[str, list[FileFacts]],
                       held: dict[str, bytes] | None = None) -> dict[str, list[FileFacts]]:
    """Count the records of every file (the frictionless engine needs them to map row positions), from
    the bytes validation read (``held``: file → bytes) where it has them."""
    held = held or {}
    return {name: [FileFacts(f.file, count_records(f.file, held.get(f.file.rel))) for f in items]
            for name, items in facts.items()}


def count_records(file: ResourceFile, data: bytes | None = None) -> int:
    """Records after the header, counted the way a CSV parser (and frictionless) counts rows."""
    raw = io.BytesIO(data) if data is not None else file.abs.open("rb")
    with io.TextIOWrapper(raw, encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        next(reader, None)
        return sum(1 for _ in reader)
