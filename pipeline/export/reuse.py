"""Reusing the downloads of an earlier build when nothing they are made from has changed.

The key of a set of downloads is the SHA-256 of everything that decides their
bytes: the descriptor, each data file's SHA-256 as validation read it (the
files are not read again for the key), the export code's version and the
versions of Python, pyarrow, pandas, SQLite and zlib. The export code's version
is the digest of the source of pipeline/export/downloads.py and of every module
of this package it imports, directly or not (found by reading the imports, so
moving a module between folders changes nothing).

A rebuild with the same key links (or copies) the stored files into place
instead of writing them again. The entry's record is sealed by this machine
(pipeline/core/cache.py) and names the source digests and code version it was made
from; it is used only when both match this build's, when each stored file's
size and SHA-256 match the record, and when each stored copy of a data file has
the SHA-256 validation recorded. Anything else writes the downloads afresh, so
the cache can make a build faster but never change what it publishes. Only the
newest entry is kept: the downloads of a million issues take 2.7 GB.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import shutil
import sys
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import fields
from functools import lru_cache
from pathlib import Path, PurePosixPath

from pipeline.core.cache import FileCache, place_file, tool_version
from pipeline.export.manifest import FORMATS, Download, file_sha256
from pipeline.export.sqlite_export import sqlite_version
from pipeline.core.package import DataPackage, resource_paths

FORMAT = 2  # bump when what is stored, or how a key is made, changes
FOLDER = "exports"
RECORD = "exported.json"
PIPELINE = Path(__file__).resolve().parent.parent
WRITER = PIPELINE / "export" / "downloads.py"  # where every download's bytes are made
# what a record keeps of each download: the export's own fields. ``url`` is not one: hosting
# (pipeline/export/hosting.py) sets it in the build after the export, so a stored download never has one.
DOWNLOAD_FIELDS = {f.name for f in fields(Download)} - {"url"}


def export_key(package: DataPackage, validated: dict[str, str]) -> str:
    digest = hashlib.sha256()
    for part in fingerprint(package, validated):
        digest.update(part.encode("utf-8") + b"\0")
    return digest.hexdigest()


def fingerprint(package: DataPackage, validated: dict[str, str]) -> list[str]:
    """What the downloads' bytes depend on, as text (``validated``: data file → SHA-256 as validation read it)."""
    parts = [f"format {FORMAT}", tool_version(), sys.version, f"sqlite {sqlite_version()}",
             f"zlib {zlib.ZLIB_RUNTIME_VERSION}", json.dumps(package.descriptor, sort_keys=True, ensure_ascii=False),
             package.as_of.isoformat()]
    parts += [f"{rel} {digest}" for rel, digest in export_code().items()]
    parts += [f"{rel} {validated[rel]}" for rel in data_files(package)]
    return parts


def data_files(package: DataPackage) -> list[str]:
    return sorted({rel for res in package.descriptor["resources"] for rel in resource_paths(res)})


def code_version() -> str:
    return hashlib.sha256(json.dumps(export_code(), sort_keys=True).encode("utf-8")).hexdigest()


@lru_cache(maxsize=1)
def export_code() -> dict[str, str]:
    """Source file (relative to the package) → SHA-256, for the module that writes the downloads and every
    module of this package it imports, directly or not (imports for type checking only excepted), and the packages' ``__init__`` files on the way."""
    seen: set[Path] = set()
    todo = [WRITER]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for package_init in _package_inits(path):
            seen.add(package_init)
        todo += [found for name in _imported(path) for found in _module_files(name)]
    return {p.relative_to(PIPELINE).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(seen)}


def _imported(path: Path) -> set[str]:
    """Every module named by an import in ``path`` (a ``from X import y`` names X and X.y)."""
    names: set[str] = set()
    for node in _walk_runtime(ast.parse(path.read_bytes(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the module's own package
                package = path.relative_to(PIPELINE.parent).with_suffix("").parts[:-node.level]
                base = ".".join([*package, *([base] if base else [])])
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def _walk_runtime(tree: ast.AST):
    """``ast.walk`` without the bodies of ``if TYPE_CHECKING:`` (never run)."""
    todo = [tree]
    while todo:
        node = todo.pop()
        yield node
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            todo += node.orelse
            continue
        todo += ast.iter_child_nodes(node)


def _module_files(name: str) -> list[Path]:
    if name.split(".")[0] != PIPELINE.name:
        return []
    base = PIPELINE.parent.joinpath(*name.split("."))
    return [p for p in (base.with_suffix(".py"), base / "__init__.py") if p.is_file()]


def _package_inits(path: Path) -> list[Path]:
    folders = [f for f in path.parents if f == PIPELINE or PIPELINE in f.parents]
    return [f / "__init__.py" for f in folders if (f / "__init__.py").is_file()]


# --- the stored entry ---------------------------------------------------------------------------

def restore(cache: FileCache | None, key: str | None, docs: Path,
            validated: dict[str, str]) -> tuple[list[Download], dict[str, list[str]]] | None:
    """The stored downloads placed into ``docs`` (each checked), or None when there is no sound entry."""
    folder = None if cache is None else cache.folder(key, FOLDER)
    if folder is None:
        return None
    sealed = cache.read_sealed(folder / RECORD, key, RECORD)  # type: ignore[union-attr, arg-type]
    try:
        record = json.loads(sealed.decode("utf-8")) if sealed is not None else None
    except ValueError:
        return None
    if not _record_shape(record) or record["sources"] != validated or record["code"] != code_version():
        return None
    downloads = [Download(**item) for item in record["downloads"]]
    sheets = {name: list(names) for name, names in record["sheets"].items()}
    copies = {d.path: d.sha256 for d in downloads if d.format == "source"}
    if copies != {f"downloads/{rel}": digest for rel, digest in validated.items()}:
        return None  # the stored copies of the data files must be the bytes validation read
    if not all(_intact(folder / d.path, d) for d in downloads):
        return None
    with ThreadPoolExecutor(max_workers=2) as pool:  # hashlib releases the GIL
        try:
            if not all(pool.map(lambda d: file_sha256(folder / d.path) == d.sha256, downloads)):
                return None
        except OSError:
            return None
    placed = []
    try:
        for item in downloads:
            place_file(folder / item.path, docs / item.path)
            placed.append(docs / item.path)
    except OSError:  # the entry went away meanwhile: no link to it may stay, the writers would write through it
        for path in placed:
            path.unlink(missing_ok=True)
        return None
    return downloads, sheets


def store(cache: FileCache | None, key: str | None, docs: Path, downloads: list[Download],
          sheets: dict[str, list[str]], validated: dict[str, str]) -> None:
    """Keep the downloads (linked when the file system allows) under a sealed record, replacing older entries.

    A failure to store is not an error: the next build writes the downloads again."""
    folder = None if cache is None else cache.folder(key, FOLDER)
    if folder is None:
        return
    temporary = folder.parent / f".{folder.name}.{os.getpid()}.tmp"
    try:
        shutil.rmtree(temporary, ignore_errors=True)
        for item in downloads:
            place_file(docs / item.path, temporary / item.path)
        record = {"downloads": [_fields(d) for d in downloads], "sheets": sheets, "sources": validated,
                  "code": code_version()}
        cache.write_sealed(temporary / RECORD, key, RECORD,  # type: ignore[union-attr, arg-type]
                           json.dumps(record, ensure_ascii=False).encode("utf-8"))
        for old in folder.parent.iterdir():  # one entry at a time: entries are large
            if old != temporary:
                shutil.rmtree(old, ignore_errors=True)
        temporary.replace(folder)
    except OSError:
        shutil.rmtree(temporary, ignore_errors=True)


def _record_shape(record) -> bool:
    """A record as ``store`` writes it: every download a file inside downloads/, every value of its type."""
    return (isinstance(record, dict) and set(record) == {"downloads", "sheets", "sources", "code"}
            and isinstance(record["downloads"], list) and all(_download_shape(d) for d in record["downloads"])
            and isinstance(record["sheets"], dict)
            and all(isinstance(v, list) and all(isinstance(s, str) for s in v) for v in record["sheets"].values()))


def _download_shape(item) -> bool:
    if not (isinstance(item, dict) and set(item) == DOWNLOAD_FIELDS):
        return False
    path = item["path"]
    safe = isinstance(path, str) and path.startswith("downloads/") and ".." not in PurePosixPath(path).parts \
        and "\\" not in path and not PurePosixPath(path).is_absolute()
    return (safe and item["format"] in FORMATS and (item["resource"] is None or isinstance(item["resource"], str))
            and (item["rows"] is None or type(item["rows"]) is int) and type(item["bytes"]) is int
            and isinstance(item["sha256"], str))


def _fields(item: Download) -> dict:
    return {name: getattr(item, name) for name in sorted(DOWNLOAD_FIELDS)}


def _intact(path: Path, item: Download) -> bool:
    return path.is_file() and path.stat().st_size == item.bytes

