"""Byte-deterministic ZIP archives: fixed timestamps, fixed permissions, no extra fields.

Python's zipfile stamps each entry with the current time; so does every
library that writes through it (openpyxl). Here every entry gets the snapshot
date at 00:00 and mode 0644, so the same content always gives the same bytes.
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


def restamp(path: Path, when: dt.date, replace: dict[str, bytes] | None = None) -> None:
    """Rewrite an archive another library wrote, keeping its entry order, with fixed stamps
    (and the entries in ``replace`` swapped for the given bytes)."""
    replace = replace or {}
    tmp = path.with_name(path.name + ".tmp")
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(tmp, "w") as target:
        for info in source.infolist():
            data = replace.get(info.filename)
            add_bytes(target, info.filename, source.read(info) if data is None else data, when)
    tmp.replace(path)
