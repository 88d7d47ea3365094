"""Byte-deterministic ZIP archives: fixed timestamps, fixed permissions, no extra fields.

Python's zipfile stamps each entry with the current time. Here every entry
gets the snapshot date at 00:00 and mode 0644, so the same content always
gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import shutil
import zipfile
from pathlib import Path

MODE = 0o100644  # a regular file, rw-r--r--


def entry(name: str, when: dt.date, size: int | None = None) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=(when.year, when.month, when.day, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 3  # unix, so that external_attr means a unix mode
    info.external_attr = MODE << 16
    if size is not None:
        info.file_size = size  # lets zipfile decide on zip64 before it streams the file
    return info


def add_file(archive: zipfile.ZipFile, name: str, source: Path, when: dt.date) -> None:
    with source.open("rb") as handle, archive.open(entry(name, when, source.stat().st_size), "w") as target:
        shutil.copyfileobj(handle, target, 1 << 20)


def add_bytes(archive: zipfile.ZipFile, name: str, data: bytes, when: dt.date) -> None:
    archive.writestr(entry(name, when, len(data)), data)
