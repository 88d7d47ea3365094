"""The cache: results of earlier runs on this machine, each bound to what it was computed from and
to this machine.

What. Validation stores each segment's row-local errors, blank rows, personal-data scan, typed
rows, key text, column digests and its bytes (compressed, so that a changed segment's unchanged
records can take their work from it: validate/reuse.py) under the SHA-256 of its bytes, its
resource's schema and the tool version; each file's last cut under its path; and each file's cut
and SHA-256 under its stat facts — path, size, modification and
change times, inode — which stand in for its bytes as in git's index (pipeline/validate/scan.py,
scan_store.py); the key checks and cross-field rules are stored under the digests of the columns
they read (validate/stages.py); the build stores its downloads under the descriptor, the validated
digests of the data files and the digest of the export code (export/reuse.py). Every key is a
SHA-256 digest of what its entry depends on, ``tool_version()`` included (this module's FORMAT and
the versions of the package, pandas, pyarrow and frictionless), so an entry can never describe
other data or come from other code.

Trust. The cache never decides whether data is valid or what is published, because an entry
counts only when this machine wrote it. Each user has a secret (32 random bytes in a file of mode
0600 in the user cache folder, never in a repository). An entry's file name is the HMAC-SHA256 of
its key under that secret, and its bytes are sealed with their own HMAC (bound to the key and the
part). An entry of many files (``folder``: the downloads) is a folder whose sealed record lists
each file's size and SHA-256, checked by its reader. A cache from another machine, or one
committed to a repository, is never even found; an entry whose bytes were altered, truncated or
sealed with another secret is ignored and rebuilt, and so is one whose content is not of the shape
its reader expects (each reader checks that).

Where. ``$LEDGER_CACHE_DIR``, or by default ``cache/`` in the user cache folder
(``$XDG_CACHE_HOME/sunshine-ledger``, else ``~/.cache/sunshine-ledger``), where the secret lives.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import mmap
import os
import secrets
import shutil
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.feather as feather

import pipeline

FORMAT = 6  # bump when what is cached, or how it is computed, changes
APP = "sunshine-ledger"
SECRET = "secret.key"
SECRET_BYTES = 32
CHUNK = 1 << 20
SEAL = 64  # bytes before an entry's content: its HMAC in hex (a multiple of 64: Arrow's buffers stay aligned)
log = logging.getLogger("ledger.cache")


@lru_cache(maxsize=1)
def tool_version() -> str:
    from importlib.metadata import version

    return f"{FORMAT}|{pipeline.__version__}|pandas {pd.__version__}|pyarrow {pa.__version__}|{version('frictionless')}"


def user_cache_dir() -> Path:
    """This user's cache folder for the tool: $XDG_CACHE_HOME/sunshine-ledger or ~/.cache/sunshine-ledger."""
    configured = os.environ.get("XDG_CACHE_HOME", "")
    base = Path(configured) if configured and Path(configured).is_absolute() else Path.home() / ".cache"
    return base / APP


def machine_secret(folder: Path | None = None) -> bytes:
    """The secret every entry is bound to: read from ``folder/secret.key``, created there (0600) when
    absent, replaced when it is not a private file of this user."""
    folder = folder or user_cache_dir()
    path = folder / SECRET
    found = _read_secret(path)
    if found is not None:
        return found
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = folder / f".{SECRET}.{os.getpid()}.tmp"
    temporary.unlink(missing_ok=True)
    handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    try:
        os.fchmod(handle, 0o600)
        os.write(handle, secrets.token_bytes(SECRET_BYTES))
        os.fsync(handle)
    finally:
        os.close(handle)
    try:
        try:
            os.link(temporary, path)  # never replaces a secret another process has just made
        except FileExistsError:
            if _read_secret(path) is None:
                os.replace(temporary, path)
        found = _read_secret(path)
    finally:
        temporary.unlink(missing_ok=True)
    if found is None:
        raise OSError(f"the cache secret {path} cannot be read back")
    return found


def _read_secret(path: Path) -> bytes | None:
    try:
        handle = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    try:
        info = os.fstat(handle)
        private = info.st_mode & 0o077 == 0 and (not hasattr(os, "getuid") or info.st_uid == os.getuid())
        if not (private and info.st_size == SECRET_BYTES and path.is_file()):
            return None
        data = os.read(handle, SECRET_BYTES + 1)
    finally:
        os.close(handle)
    return data if len(data) == SECRET_BYTES else None


@dataclass
class FileCache:
    """Entries under ``root``; ``None`` root means no caching at all.

    ``secret`` binds the entries to this machine (default: ``machine_secret()``); without one that
    can be read or made, nothing is cached."""

    root: Path | None
    secret: bytes | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.root is not None and self.secret is None:
            try:
                self.secret = machine_secret()
            except (OSError, RuntimeError) as exc:  # RuntimeError: no home folder
                log.warning("cache_disabled reason=%r", str(exc))
                self.root = None

    @classmethod
    def from_env(cls, default: Path | None = None) -> "FileCache":
        """``$LEDGER_CACHE_DIR``, else ``default``, else ``cache/`` in the user cache folder."""
        configured = os.environ.get("LEDGER_CACHE_DIR")
        if configured:
            return cls(Path(configured))
        if default is not None:
            return cls(default)
        try:
            return cls(user_cache_dir() / "cache")
        except RuntimeError as exc:
            log.warning("cache_disabled reason=%r", str(exc))
            return cls(None)

    # --- names and seals -----------------------------------------------------------------------

    def name(self, key: str) -> str:
        """The file name of ``key``'s entries: unguessable without this machine's secret."""
        return hmac.new(self.secret or b"", b"name\0" + key.encode("utf-8"), hashlib.sha256).hexdigest()

    def _path(self, key: str, part: str) -> Path:
        name = self.name(key)
        return self.root / name[:2] / f"{name}.{part}"  # type: ignore[operator]

    def folder(self, key: str | None, part: str) -> Path | None:
        """A folder for an entry of many files (``part``/name), or None without a cache."""
        if self.root is None or key is None:
            return None
        return self.root / part / self.name(key)

    def _seal(self, key: str, part: str, content=b"", chunks=()) -> bytes:
        mac = hmac.new(self.secret or b"", f"entry\0{key}\0{part}\0".encode("utf-8"), hashlib.sha256)
        mac.update(content)
        for chunk in chunks:
            mac.update(chunk)
        return mac.hexdigest().encode("ascii")

    def _opened(self, key: str, part: str, sealed) -> memoryview | None:
        """The content of a sealed entry, or None when its seal is not this machine's for ``key``."""
        view = memoryview(sealed)
        if len(view) < SEAL:
            return None
        content = view[SEAL:]
        return content if hmac.compare_digest(bytes(view[:SEAL]), self._seal(key, part, content)) else None

    def read_sealed(self, path: Path, key: str, part: str) -> bytes | None:
        try:
            with path.open("rb") as handle:
                opened = self._opened(key, part, handle.read())
        except OSError:
            return None
        return None if opened is None else opened.tobytes()

    def write_sealed(self, path: Path, key: str, part: str, content) -> None:
        """``content`` (bytes or any buffer) sealed into ``path``, which readers see whole or not at all."""
        path.parent.mkdir(parents=True, exist_ok=True)
        # pid and thread: two threads may store the same entry (identical segments of two files)
        temporary = path.with_name(path.name + f".{os.getpid()}.{threading.get_ident()}.tmp")
        with temporary.open("wb") as handle:
            handle.write(self._seal(key, part, content))
            handle.write(content)
        temporary.replace(path)

    # --- entries -------------------------------------------------------------------------------

    def has(self, key: str | None, part: str) -> bool:
        """An entry file exists (whether it holds anything usable is known only once it is read)."""
        return self.root is not None and key is not None and self._path(key, part).is_file()

    def get_table(self, key: str | None, part: str) -> pa.Table | None:
        """A stored Arrow table, memory-mapped once its seal is checked; None if absent or not sound.

        The seal is checked by reading the file (its pages are not mapped into this process until a
        column is used); the map is of the same open file."""
        if self.root is None or key is None:
            return None
        try:
            with self._path(key, part).open("rb") as handle:
                seal = handle.read(SEAL)
                content = self._seal(key, part, chunks=iter(lambda: handle.read(CHUNK), b""))
                if len(seal) < SEAL or not hmac.compare_digest(seal, content):
                    return None
                mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)  # the table keeps the map
            return pa.ipc.open_file(pa.py_buffer(mapped).slice(SEAL)).read_all()
        except (OSError, ValueError, pa.ArrowInvalid):
            return None

    def put_table(self, key: str | None, part: str, table: pa.Table) -> None:
        if self.root is None or key is None:
            return
        sink = pa.BufferOutputStream()
        feather.write_feather(table, sink, compression="uncompressed")
        self.write_sealed(self._path(key, part), key, part, sink.getvalue())  # a buffer: sealed and written uncopied

    def get_bytes(self, key: str | None, part: str) -> bytes | None:
        """Stored bytes, or None if absent or not sound."""
        if self.root is None or key is None:
            return None
        return self.read_sealed(self._path(key, part), key, part)

    def put_bytes(self, key: str | None, part: str, content) -> None:
        if self.root is None or key is None:
            return
        self.write_sealed(self._path(key, part), key, part, content)

    def get_json(self, key: str | None, part: str):
        """A stored JSON value (of any shape: the reader checks it), or None if absent or not sound."""
        if self.root is None or key is None:
            return None
        content = self.read_sealed(self._path(key, part), key, part)
        try:
            return None if content is None else json.loads(content.decode("utf-8"))
        except ValueError:
            return None

    def put_json(self, key: str | None, part: str, value) -> None:
        if self.root is None or key is None:
            return
        self.write_sealed(self._path(key, part), key, part, json.dumps(value, ensure_ascii=False).encode("utf-8"))


def to_table(frame: pd.DataFrame) -> pa.Table:
    return pa.Table.from_pandas(frame.reset_index(drop=True), preserve_index=False)


def to_frame(table: pa.Table) -> pd.DataFrame:
    """Back to the dtypes the frames were made with: text, and nullable numbers and booleans."""
    return table.to_pandas(types_mapper=_pandas_types)


def _pandas_types(arrow_type: pa.DataType):
    """Back to the dtypes the frames were written with: text, and nullable numbers and booleans."""
    from pipeline.core.csv_read import TEXT

    if arrow_type in (pa.string(), pa.large_string()):
        return TEXT
    return {pa.int64(): pd.Int64Dtype(), pa.float64(): pd.Float64Dtype(), pa.bool_(): pd.BooleanDtype()}.get(arrow_type)


def place_file(source: Path, target: Path) -> None:
    """``target`` as a hard link to ``source`` (no copy), or a copy across file systems: how the caches hand stored files back."""
    target.parent.mkdir(parents=True, exist_ok=True)
    target.unlink(missing_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)
