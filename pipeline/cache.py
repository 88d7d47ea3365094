"""A checksum cache: entries under keys that are SHA-256 digests of what they were computed from.

Validation keys each segment of a file by the SHA-256 of its bytes, of its
resource's schema and of the tool version (pipeline/validate/scan.py), so an
entry can never describe different data: bytes, schema and tool that have not
changed are not parsed or checked again. Checks that span rows, files or
resources (unique keys, foreign keys, cross-field rules) always run, on the
cached columns. An entry that cannot be read is ignored and rebuilt; the cache
never decides whether data is valid.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.feather as feather

import pipeline

FORMAT = 4  # bump when what is cached, or how it is computed, changes


def tool_version() -> str:
    from importlib.metadata import version

    return f"{FORMAT}|{pipeline.__version__}|pandas {pd.__version__}|pyarrow {pa.__version__}|{version('frictionless')}"


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

    def has(self, key: str | None, part: str) -> bool:
        return self.root is not None and key is not None and self._path(key, part).is_file()

    def get_table(self, key: str | None, part: str) -> pa.Table | None:
        """A stored Arrow table, memory-mapped (its pages are read only when used)."""
        if self.root is None or key is None:
            return None
        try:
            return feather.read_table(self._path(key, part), memory_map=True)
        except (OSError, pa.ArrowInvalid):
            return None

    def put_table(self, key: str | None, part: str, table: pa.Table) -> None:
        if self.root is None or key is None:
            return
        path = self._path(key, part)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(path.suffix + f".{os.getpid()}.tmp")
        feather.write_feather(table, temporary, compression="uncompressed")
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


def to_table(frame: pd.DataFrame) -> pa.Table:
    return pa.Table.from_pandas(frame.reset_index(drop=True), preserve_index=False)


def to_frame(table: pa.Table) -> pd.DataFrame:
    """Back to the dtypes the frames were made with: text, and nullable numbers and booleans."""
    return table.to_pandas(types_mapper=_pandas_types)


def _pandas_types(arrow_type: pa.DataType):
    """Back to the dtypes the frames were written with: text, and nullable numbers and booleans."""
    from pipeline.tables import TEXT

    if arrow_type in (pa.string(), pa.large_string()):
        return TEXT
    return {pa.int64(): pd.Int64Dtype(), pa.float64(): pd.Float64Dtype(), pa.bool_(): pd.BooleanDtype()}.get(arrow_type)
