"""Stage outputs keyed by the hash of their inputs (owid/etl style): a stage reruns only when they change.

What. A stage's key is the SHA-256 of everything that decides its output, as text parts
(``key(...)``): the data files' SHA-256s as validation read them, the digest of the code that
runs (``code_digest()``: every source file and template of the package, and ``tool_version()``),
and its configuration (the site sources, mkdocs.yml). Two kinds of entry use it:

- a *tree* (``restore_tree`` / ``store_tree``): a folder of output files, stored as hard links
  (copies across file systems) under a record sealed by this machine that lists each file's size
  and SHA-256; a restore checks every file against the record before it links it into place, so a
  stored file altered since (a hard link shares its bytes) is never published. Only the newest
  entry of a kind is kept (a built site at a million issues takes gigabytes).
- a *part* (``FileCache.get_table`` / ``put_table`` under a part's own key): e.g. one block of the
  search index's grams, keyed by that block's texts, so that a pull request that adds ten issues
  recomputes the last block only.

Trust is the FileCache's (pipeline/core/cache.py): an entry counts only when this machine sealed it;
anything absent, altered or of the wrong shape is ignored and the stage runs.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path, PurePosixPath

from pipeline.core.cache import FileCache, place_file, tool_version
from pipeline.core.remove import remove_tree

FORMAT = 1  # bump when what is stored, or how a key is made, changes
RECORD = "stage.json"
PACKAGE = Path(__file__).resolve().parent.parent
CHUNK = 1 << 20

# The cache of the build that is running (set by the build driver around its stages): sections reach
# their per-part entries through it without a cache parameter on every ``stream``.
_CURRENT: contextvars.ContextVar[FileCache | None] = contextvars.ContextVar("stage_cache", default=None)


@contextlib.contextmanager
def using(cache: FileCache | None) -> Iterator[None]:
    token = _CURRENT.set(cache if cache is not None and cache.root is not None else None)
    try:
        yield
    finally:
        _CURRENT.reset(token)


def current() -> FileCache | None:
    """The running build's cache, or None (no cache, or not inside a build)."""
    return _CURRENT.get()


def key(*parts: str) -> str:
    """The SHA-256 of the parts (each ended by a NUL, so ("ab", "c") and ("a", "bc") differ)."""
    digest = hashlib.sha256(f"stage-cache {FORMAT}\0".encode("utf-8"))
    for part in parts:
        digest.update(part.encode("utf-8") + b"\0")
    return digest.hexdigest()


# Outside the package, what else decides a built page's bytes.
DISTRIBUTIONS = ("mkdocs", "mkdocs-material", "markdown", "pymdown-extensions", "jinja2", "numpy", "jieba")


@lru_cache(maxsize=1)
def code_digest() -> str:
    """Every file of the package that can decide an output (sources, templates, standard, scripts),
    with ``tool_version()`` and the versions of the site's tools: any change to the code makes every
    stage run again."""
    from importlib.metadata import PackageNotFoundError, version

    digest = hashlib.sha256(tool_version().encode("utf-8") + b"\0")
    for name in DISTRIBUTIONS:
        try:
            digest.update(f"{name} {version(name)}".encode("utf-8") + b"\0")
        except PackageNotFoundError:
            digest.update(f"{name} -".encode("utf-8") + b"\0")
    for path in sorted(p for p in PACKAGE.rglob("*") if p.is_file() and "__pycache__" not in p.parts
                       and p.suffix not in (".pyc", ".pyo")):
        digest.update(path.relative_to(PACKAGE).as_posix().encode("utf-8") + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).hexdigest().encode("ascii") + b"\0")
    return digest.hexdigest()


def folder_digest(folder: Path) -> str:
    """Every file below ``folder`` (path and SHA-256): a stage's configuration, e.g. the site sources."""
    digest = hashlib.sha256()
    for path in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
        digest.update(path.relative_to(folder).as_posix().encode("utf-8") + b"\0")
        digest.update(file_sha256(path).encode("ascii") + b"\0")
    return digest.hexdigest()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


# --- trees: a stage's whole output folder -------------------------------------------------------------

def restore_tree(cache: FileCache | None, kind: str, entry_key: str | None, target: Path) -> bool:
    """The tree stored under ``entry_key`` linked into the empty or missing folder ``target``; False (and
    ``target`` left empty) when there is no sound entry."""
    folder = None if cache is None else cache.folder(entry_key, f"stages/{kind}")
    if folder is None or not folder.is_dir():
        return False
    sealed = cache.read_sealed(folder / RECORD, entry_key, RECORD)  # type: ignore[union-attr]
    try:
        record = json.loads(sealed.decode("utf-8")) if sealed is not None else None
    except ValueError:
        return False
    if not _record_shape(record):
        return False
    files = record["files"]

    def intact(item: list) -> bool:
        stored = folder / "tree" / item[0]  # type: ignore[operator]
        return (not stored.is_symlink() and stored.is_file() and stored.stat().st_size == item[1]
                and file_sha256(stored) == item[2])

    try:
        with ThreadPoolExecutor(max_workers=2) as pool:  # hashlib releases the GIL: two files at a time
            if not all(pool.map(intact, files)):
                return False
        for rel, _, _ in files:
            place_file(folder / "tree" / rel, target / rel)
    except OSError:
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True, exist_ok=True)
        return False
    return True


def store_tree(cache: FileCache | None, kind: str, entry_key: str | None, source: Path) -> None:
    """Keep ``source``'s files (linked where the file system allows) under a sealed record, replacing the
    older entry of ``kind``. A failure to store is not an error: the next run does the work again."""
    folder = None if cache is None else cache.folder(entry_key, f"stages/{kind}")
    if folder is None:
        return
    temporary = folder.parent / f".{folder.name}.{os.getpid()}.tmp"
    try:
        shutil.rmtree(temporary, ignore_errors=True)
        paths = sorted(p for p in source.rglob("*") if p.is_file() and not p.is_symlink())
        with ThreadPoolExecutor(max_workers=2) as pool:  # hashlib releases the GIL: two files at a time
            digests = list(pool.map(file_sha256, paths))
        files = []
        for path, sha256 in zip(paths, digests):
            rel = path.relative_to(source).as_posix()
            place_file(path, temporary / "tree" / rel)
            files.append([rel, path.stat().st_size, sha256])
        cache.write_sealed(temporary / RECORD, entry_key, RECORD,  # type: ignore[union-attr]
                           json.dumps({"files": files}, ensure_ascii=False).encode("utf-8"))
        for old in folder.parent.iterdir():  # one entry of a kind at a time: entries are large
            if old != temporary:
                remove_tree(old)  # a stored site: as many files as the site
        temporary.replace(folder)
    except OSError:
        shutil.rmtree(temporary, ignore_errors=True)


def _record_shape(record: object) -> bool:
    """A record as ``store_tree`` writes it: every file a relative path inside the tree, sizes and digests typed."""
    if not (isinstance(record, dict) and set(record) == {"files"} and isinstance(record["files"], list)):
        return False
    return all(isinstance(item, list) and len(item) == 3 and _safe(item[0]) and type(item[1]) is int
               and isinstance(item[2], str) for item in record["files"])


def _safe(rel: object) -> bool:
    return (isinstance(rel, str) and bool(rel) and "\\" not in rel and not PurePosixPath(rel).is_absolute()
            and all(part not in ("", ".", "..") for part in rel.split("/")))

