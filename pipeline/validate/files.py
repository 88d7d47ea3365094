"""Checks on the bytes of each file, before anything parses them.

A file that is not UTF-8 cannot be parsed meaningfully, so these come first
and say exactly where the first bad byte is and how to convert the file.
"""

from __future__ import annotations

import codecs
import hashlib
import csv
from collections.abc import Iterator
from dataclasses import dataclass

from pipeline import findings as fd
from pipeline.package import MAX_FILE_BYTES, DataPackage, ResourceFile

CHUNK = 1 << 20


@dataclass(frozen=True)
class FileFacts:
    """What later stages need to know about a readable file."""

    file: ResourceFile
    records: int | None  # CSV records after the header (a multi-line quoted cell is one record), once counted
    digest: str | None = None  # SHA-256 of the bytes, read in the same pass as the UTF-8 check


def check_files(package: DataPackage) -> tuple[list[fd.Finding], dict[str, list[FileFacts]]]:
    findings: list[fd.Finding] = []
    facts: dict[str, list[FileFacts]] = {}
    digests: dict[str, str] = {}
    for name in package.resource_names:
        for file in package.files(name):
            problems = list(_check_one(file, digests))
            findings.extend(problems)
            if not problems:
                facts.setdefault(name, []).append(FileFacts(file, None, digests.get(file.rel)))
    return findings, facts


def _check_one(file: ResourceFile, digests: dict[str, str]) -> Iterator[fd.Finding]:
    if not file.abs.is_file():
        yield fd.make("missing-file", path=file.rel, resource=file.resource, value=file.rel)
        return
    size = file.abs.stat().st_size
    if size > MAX_FILE_BYTES:
        yield fd.make("file-too-large", path=file.rel, resource=file.resource, value=size, limit=MAX_FILE_BYTES)
        return
    if size == 0:
        yield fd.make("empty-file", path=file.rel, resource=file.resource)
        return
    with file.abs.open("rb") as handle:
        head = handle.read(4)
    if head.startswith(codecs.BOM_UTF8):
        yield fd.make("bom-present", path=file.rel, row=1, resource=file.resource)
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        yield fd.make("encoding-error", path=file.rel, row=1, resource=file.resource,
                      detail="文件是 UTF-16 编码（Excel 的“Unicode 文本”）")
        return
    digests[file.rel], bad = _scan_bytes(file)
    if bad is not None:
        row, offset, sample = bad
        guess = "可能是 GBK/GB18030 编码" if _looks_gb18030(sample) else "不是 UTF-8"
        yield fd.make("encoding-error", path=file.rel, row=row, resource=file.resource,
                      value=sample.hex(" "), detail=f"第 {offset} 个字节起，{guess}")


def _scan_bytes(file: ResourceFile) -> tuple[str, tuple[int, int, bytes] | None]:
    """One pass over the bytes: their SHA-256 (the cache key) and the first byte that is not UTF-8.

    The second value is (row, byte offset, a few bytes), or None when the file is UTF-8.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    digest = hashlib.sha256()
    offset = 0
    with file.abs.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                # The decoder may have buffered a partial character from the previous chunk.
                position = offset + max(exc.start, 0)
                return digest.hexdigest(), (_row_at(file, position), position, _bytes_at(file, position))
            offset += len(chunk)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return digest.hexdigest(), (_row_at(file, offset), offset, b"")
    return digest.hexdigest(), None


def _row_at(file: ResourceFile, position: int) -> int:
    """The line a byte offset is on (only computed when there is an error to report)."""
    lines, read = 1, 0
    with file.abs.open("rb") as handle:
        while read < position and (chunk := handle.read(min(CHUNK, position - read))):
            lines += chunk.count(b"\n")
            read += len(chunk)
    return lines


def _bytes_at(file: ResourceFile, position: int) -> bytes:
    with file.abs.open("rb") as handle:
        handle.seek(position)
        return handle.read(8)


def _looks_gb18030(sample: bytes) -> bool:
    try:
        sample[:2].decode("gb18030")
    except UnicodeDecodeError:
        return False
    return True


def with_record_counts(facts: dict[str, list[FileFacts]]) -> dict[str, list[FileFacts]]:
    """Count the records of every file (the frictionless engine needs them to map row positions)."""
    return {name: [FileFacts(f.file, count_records(f.file), f.digest) for f in items] for name, items in facts.items()}


def count_records(file: ResourceFile) -> int:
    """Records after the header, counted the way a CSV parser (and frictionless) counts rows."""
    with file.abs.open("r", encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        next(reader, None)
        return sum(1 for _ in reader)
