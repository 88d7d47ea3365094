"""Reusing the downloads of an earlier build when nothing they are made from has changed.

The key of a set of downloads is the SHA-256 of everything that decides
their bytes: the descriptor, the bytes of every data file, the source of the
code that writes them (this package, and the modules outside render and
validate), and the versions of Python, pyarrow, pandas, SQLite and zlib. A
rebuild with the same key links (or copies) the stored files into place
instead of writing them again; any other change writes them afresh. Stored
files are checked against their recorded size and SHA-256 before use, and an
entry that fails the check is ignored, so the cache can make a build faster
but never change what it publishes. Only the newest entry is kept: the
downloads of a million issues take 2.7 GB.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import sys
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from pipeline.cache import FileCache, tool_version
from pipeline.export.manifest import Download, file_sha256
from pipeline.package import DataPackage, resource_paths

FORMAT = 1  # bump when what is stored, or how a key is made, changes
FOLDER = "exports"
RECORD = "exported.json"
PIPELINE = Path(__file__).resolve().parent.parent
NOT_EXPORT_CODE = ("render", "validate")  # code that never reaches a download's bytes


def export_key(package: DataPackage) -> str:
    digest = hashlib.sha256()
    for part in fingerprint(package):
        digest.update(part.encode("utf-8") + b"\0")
    return digest.hexdigest()


def fingerprint(package: DataPackage) -> list[str]:
    """What the downloads' bytes depend on, as text."""
    parts = [f"format {FORMAT}", tool_version(), sys.version, f"sqlite {sqlite3.sqlite_version}",
             f"zlib {zlib.ZLIB_RUNTIME_VERSION}", json.dumps(package.descriptor, sort_keys=True, ensure_ascii=False),
             package.as_of.isoformat()]
    for source in sorted(PIPELINE.rglob("*.py")):
        rel = source.relative_to(PIPELINE)
        if rel.parts[0] not in NOT_EXPORT_CODE:
            parts.append(f"{rel.as_posix()} {hashlib.sha256(source.read_bytes()).hexdigest()}")
    files = sorted({rel for res in package.descriptor["resources"] for rel in resource_paths(res)})
    parts += [f"{rel} {file_sha256(package.root / rel)}" for rel in files]
    return parts


def entry(cache: FileCache | None, key: str) -> Path | None:
    return None if cache is None or cache.root is None else Path(cache.root) / FOLDER / key


def restore(folder: Path | None, docs: Path) -> tuple[list[Download], dict[str, list[str]]] | None:
    """The stored downloads placed into ``docs`` (each checked), or None when there is no sound entry."""
    if folder is None:
        return None
    try:
        record = json.loads((folder / RECORD).read_text(encoding="utf-8"))
        downloads = [Download(**item) for item in record["downloads"]]
        sheets = {name: list(names) for name, names in record["sheets"].items()}
        if not all(_intact(folder / d.path, d) for d in downloads):
            return None
        with ThreadPoolExecutor(max_workers=2) as pool:  # hashlib releases the GIL
            if not all(pool.map(lambda d: file_sha256(folder / d.path) == d.sha256, downloads)):
                return None
    except (OSError, ValueError, KeyError, TypeError):
        return None
    placed = []
    try:
        for item in downloads:
            _place(folder / item.path, docs / item.path)
            placed.append(docs / item.path)
    except OSError:  # the entry went away meanwhile: no link to it may stay, the writers would write through it
        for path in placed:
            path.unlink(missing_ok=True)
        return None
    return downloads, sheets


def store(folder: Path | None, docs: Path, downloads: list[Download], sheets: dict[str, list[str]]) -> None:
    """Keep the downloads under ``folder`` (linked when the file system allows), replacing older entries.

    A failure to store is not an error: the next build writes the downloads again."""
    if folder is None:
        return
    temporary = folder.parent / f".{folder.name}.{os.getpid()}.tmp"
    try:
        shutil.rmtree(temporary, ignore_errors=True)
        for item in downloads:
            _place(docs / item.path, temporary / item.path)
        record = {"downloads": [_fields(d) for d in downloads], "sheets": sheets}
        (temporary / RECORD).write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
        for old in folder.parent.iterdir():  # one entry at a time: entries are large
            if old != temporary:
                shutil.rmtree(old, ignore_errors=True)
        temporary.replace(folder)
    except OSError:
        shutil.rmtree(temporary, ignore_errors=True)


def _fields(item: Download) -> dict:
    return {"path": item.path, "format": item.format, "resource": item.resource, "rows": item.rows,
            "bytes": item.bytes, "sha256": item.sha256}


def _intact(path: Path, item: Download) -> bool:
    return path.is_file() and path.stat().st_size == item.bytes


def _place(source: Path, target: Path) -> None:
    """``target`` as a hard link to ``source`` (no copy), or a copy across file systems."""
    target.parent.mkdir(parents=True, exist_ok=True)
    target.unlink(missing_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)
