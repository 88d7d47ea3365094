"""Byte-deterministic ZIP archives: fixed timestamps, fixed permissions, no extra fields, zlib-ng's DEFLATE.

Python's zipfile stamps each entry with the current time. Here every entry
gets the snapshot date at 00:00 and mode 0644, so the same content always
gives the same bytes.

zipfile compresses with the system's zlib. ``deflating`` swaps in zlib-ng's raw
DEFLATE (the same format, read by every unzip): on the package's CSV files and
the workbook's sheets it is 1.5-1.7 times as fast at a few per cent fewer bytes
(docs/scale.md). Unlike the system zlib's, zlib-ng's bytes depend on how the input
is cut into calls, so it is given the content in pieces of exactly ``PIECE`` bytes
whatever the writes: the archive's bytes depend on the content alone, as before
(the same for any block size of the export and with or without its lane).
"""

from __future__ import annotations

import datetime as dt
import shutil
import zipfile
from pathlib import Path
from typing import IO

from zlib_ng import zlib_ng

MODE = 0o100644  # a regular file, rw-r--r--
LEVEL = 6  # zlib-ng's 6: smaller than the system zlib's 6 (zipfile's default) in about 60 % of its time
PIECE = 1 << 16  # the bytes zlib-ng is given at a time (the last of an entry may be fewer); 16 KiB-1 MiB: as fast


def entry(name: str, when: dt.date, size: int | None = None) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=(when.year, when.month, when.day, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 3  # unix, so that external_attr means a unix mode
    info.external_attr = MODE << 16
    if size is not None:
        info.file_size = size  # lets zipfile decide on zip64 before it streams the file
    return info


def deflating(archive: zipfile.ZipFile, info: zipfile.ZipInfo, level: int = LEVEL) -> IO[bytes]:
    """``archive.open(info, "w")``, compressing with zlib-ng at ``level``.

    zipfile makes the entry's compressor (``_compressor``, the name from Python 3.6 to 3.14) when the entry
    opens and first uses it on the first write: swapped before that, every byte goes through zlib-ng.
    tests/test_ziputil.py checks the entry's bytes are zlib-ng's, so a renamed attribute fails there."""
    if info.compress_type != zipfile.ZIP_DEFLATED:
        raise ValueError(f"{info.filename}: a DEFLATE entry only")
    stream = archive.open(info, "w")
    if not hasattr(stream, "_compressor"):
        stream.close()
        raise RuntimeError("zipfile no longer names its compressor _compressor: pipeline/export/ziputil.py needs updating")
    stream._compressor = EvenPieces(level)
    return stream


class EvenPieces:
    """zlib-ng's raw DEFLATE, given the data in pieces of ``PIECE`` bytes however it is written."""

    def __init__(self, level: int):
        self._deflate = zlib_ng.compressobj(level, zlib_ng.DEFLATED, -zlib_ng.MAX_WBITS)
        self._held = bytearray()

    def compress(self, data: bytes | memoryview) -> bytes:
        data = memoryview(data).cast("B")
        out = []
        if self._held:  # first fill the piece begun by earlier writes
            take = min(PIECE - len(self._held), len(data))
            self._held += data[:take]
            data = data[take:]
            if len(self._held) < PIECE:
                return b""
            out.append(self._deflate.compress(self._held))
            self._held = bytearray()
        whole = len(data) - len(data) % PIECE
        out += [self._deflate.compress(data[start:start + PIECE]) for start in range(0, whole, PIECE)]
        self._held += data[whole:]  # a copy: nothing of the caller's buffer is kept
        return b"".join(out)

    def flush(self) -> bytes:
        out = self._deflate.compress(self._held) + self._deflate.flush()
        self._held = bytearray()
        return out


def add_file(archive: zipfile.ZipFile, name: str, source: Path, when: dt.date, level: int = LEVEL) -> None:
    with source.open("rb") as handle, deflating(archive, entry(name, when, source.stat().st_size), level) as target:
        shutil.copyfileobj(handle, target, 1 << 20)


def add_bytes(archive: zipfile.ZipFile, name: str, data: bytes, when: dt.date, level: int = LEVEL) -> None:
    with deflating(archive, entry(name, when, len(data)), level) as target:
        target.write(data)
