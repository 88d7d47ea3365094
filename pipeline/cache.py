"""A checksum cache for per-file work: parse, row-local checks, typed frame, privacy scan.

The key of a file is the SHA-256 of its bytes, of its resource's schema and of
the tool version, so a cached entry can never describe different data: a file
whose bytes, schema and tool have not changed is not parsed or checked again.
Checks that span files or resources (unique keys, foreign keys, cross-field
rules) always run, on the cached columns. An entry that cannot be read is
ignored and rebuilt; the cache never decides whether data is valid.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.feather as feather

import pipeline

FORMAT = 1  # bump when what is cached, or how it is computed, changes


def tool_version() -> str:
    from importlib.metadata import version

    return f"{FORMAT}|{pipeline.__version__}|pandas {pd.__version__}|pyarrow {pa.__version__}|{version('frictionless')}"


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()


def file_key(path: Path, schema: dict, digest: str | None = None) -> str:
    """The cache key of a file; ``digest`` is its SHA-256 when the caller already read the bytes."""
    material = json.dumps(schema, sort_keys=True, ensure_ascii=False) + tool_version() + (digest or file_digest(path))
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


@dataclass
class FileCache:
    """Entries under ``root``; ``None`` root means no caching at all."""

    root: Path | None

    @classmethod
    def from_env(cls, default: Path | None = None) -> "FileCache":
        configured = os.environ.get("LEDGER_CACHE_DIR")
        return cls(Path(configured) if configured else default)

    def _path(self, key: str, part: str) -> Path:
        return self.root / key[:2] / f"{key}.{part}"  # type: ignore[operator]

    def get_frame(self, key: str | None, part: str) -> pd.DataFrame | None:
        if self.root is None or key is None:
            return None
        path = self._path(key, part)
        try:
            return feather.read_table(path, memory_map=True).to_pandas(types_mapper=_pandas_types)
        except (OSError, pa.ArrowInvalid):
            return None

    def put_frame(self, key: str | None, part: str, frame: pd.DataFrame) -> None:
        if self.root is None or key is None:
            return
        path = self._path(key, part)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(path.suffix + f".{os.getpid()}.tmp")
        feather.write_feather(frame.reset_index(drop=True), temporary, compression="uncompressed")
        temporary.replace(path)  # readers never see half an entry

    def get_json(self, key: str | None, part: str):
        if self.root is None or key is None:
            return None
        try:
            return json.loads(self._path(key, part).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def put_json(self, key: str | None, part: str, value) -> None:
        if self.root is None or key is None:
            return
        path = self._path(key, part)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(path.suffix + f".{os.getpid()}.tmp")
        temporary.write_text(json.dumps(value, ensure_ascii=False), encoding="utf-8")
        temporary.replace(path)


def _pandas_types(arrow_type: pa.DataType):
    """Back to the dtypes the frames were written with: text, and nullable numbers and booleans."""
    from pipeline.tables import TEXT

    if arrow_type in (pa.string(), pa.large_string()):
        return TEXT
    return {pa.int64(): pd.Int64Dtype(), pa.float64(): pd.Float64Dtype(), pa.bool_(): pd.BooleanDtype()}.get(arrow_type)
