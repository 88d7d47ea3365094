"""A foreign key checked again only against what the resource it refers to gained.

A pull request that resolves a hundred issues and adds ten changes the issues' key text, so each
foreign key into issues (the events', the evaluations', the inspections': a million rows and more at
a million issues) was checked again in full, although none of the rows that refer changed. When the
referring rows are unchanged and no key of the referred resource was lost, a reference found before
is found still, and one that was missing is found now only if the referred resource's new segments
bring its key. A key can have been lost only from a segment the last run had and this one does not;
every key of those segments must be among the keys of this run's new segments, or the foreign key
is checked in full.

What the last check saw is recorded under the check's name (``record``): the digest of the referring
rows' key text, the cache key of each segment of the referred resource, and the
errors. Text keys only (the fields' text is their value); any other foreign key, a resource that
refers to itself, a changed referring resource or a record that is missing or misshapen: in full.
``tests/test_foreign_delta.py`` compares the outcome with the full check's.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.core.cache import FileCache, to_frame
from pipeline.core.csv_read import TEXT
from pipeline.core.package import DataPackage
from pipeline.validate.fast import ResourceText
from pipeline.validate.keys import _joined_key, _key_typed
from pipeline.validate.scan import FileWork, _key_names
from pipeline.validate.scan_store import error_shape, recall_segment
from pipeline.validate.stages import StageCache

PART = "fk-last.json"


def record_key(stages: StageCache, stage: str) -> str | None:
    """Where what check ``stage`` last saw is recorded (whatever the data)."""
    if stages.cache.root is None:
        return None
    return hashlib.sha256(f"{stages.salt}|{stage}|last".encode("utf-8")).hexdigest()


def segments_of(works: list[FileWork]) -> list[str]:
    """The cache key of each segment of a resource, in order (a key names the segment's bytes)."""
    return [key for work in works for key in work.cache_keys]


def record(stages: StageCache, stage: str, referring: str | None, works: list[FileWork], errors: list[dict]) -> None:
    stages.cache.put_json(record_key(stages, stage), PART,
                          {"referring": referring, "referred": segments_of(works), "errors": errors})


def text_keys(package: DataPackage, name: str, fk: dict) -> bool:
    """Every field of the foreign key, on both sides, is text (no other type's value is its text)."""
    source = fk["reference"]["resource"]
    return source != name and all(
        package.field(resource, field).get("type", "string") == "string"
        for resource, names in ((name, fk["fields"]), (source, fk["reference"]["fields"])) for field in names)


def delta_errors(package: DataPackage, name: str, fk: dict, stage: str, referring: str | None,
                 works: dict[str, list[FileWork]], stages: StageCache,
                 referred_text: Callable[[], ResourceText], memo: dict) -> list[dict] | None:
    """The foreign key's errors from the last check's and the referred resource's new keys (read from
    ``referred_text()``, its key text with each row's position); None when they cannot be had so (the
    caller checks in full). ``memo`` (one per run) keeps the keys found lost and gained, which the
    foreign keys into one resource share."""
    if referring is None or not text_keys(package, name, fk):
        return None
    last = stages.cache.get_json(record_key(stages, stage), PART)
    source = fk["reference"]["resource"]
    if not (_shaped(last, len(fk["fields"])) and last["referring"] == referring
            and all(error_shape(e, None, stages.fields[name]) for e in last["errors"])):
        return None
    before = set(last["referred"])
    present = set(segments_of(works[source]))
    removed = frozenset(key for key in before if key not in present)
    fields = tuple(fk["reference"]["fields"])

    def remembered(what: tuple, make: Callable[[], pa.Array | None]) -> pa.Array | None:
        if what not in memo:
            memo[what] = make()
        return memo[what]

    lost = remembered((source, fields, "lost", removed), lambda: _keys(
        package, source, fk, _stored_keys(stages.cache, package, source, sorted(removed))))
    gained = remembered((source, fields, "gained", frozenset(before)), lambda: _keys(
        package, source, fk, _rows_of(referred_text(), _new_rows(works[source], before), list(fields))))
    if lost is None or gained is None or not _all_in(lost, gained):
        return None
    errors = last["errors"]
    if not errors:
        return []
    cells = pd.DataFrame({field: pd.Series([e["fieldCells"][i] for e in errors], dtype=TEXT)
                          for i, field in enumerate(fk["fields"])})
    still_missing = ~pc.is_in(_joined_key(cells), value_set=gained).to_numpy(zero_copy_only=False)
    return [error for error, keep in zip(errors, still_missing) if keep]


def _shaped(stored, width: int) -> bool:
    """A record of ``record``'s shape, each error naming ``width`` cells (text or none)."""
    return (isinstance(stored, dict) and isinstance(stored.get("referring"), str)
            and isinstance(stored.get("referred"), list) and isinstance(stored.get("errors"), list)
            and all(isinstance(key, str) for key in stored["referred"])
            and all(isinstance(e, dict) and isinstance(e.get("fieldCells"), list) and len(e["fieldCells"]) == width
                    and all(c is None or isinstance(c, str) for c in e["fieldCells"]) for e in stored["errors"]))


def _rows_of(text: ResourceText, rows: np.ndarray, fields: list[str]) -> list[pa.Table]:
    """Those rows of the key text, as a table of ``fields`` (none when there are no rows)."""
    return [pa.Table.from_pandas(text.frame.iloc[rows][fields], preserve_index=False)] if len(rows) else []


def _stored_keys(cache: FileCache, package: DataPackage, name: str, keys: list[str]) -> list[pa.Table | None]:
    fields, key_names = package.fields(name), _key_names(package, name)
    tables = []
    for key in keys:
        work = recall_segment(cache, key, fields, key_names)
        tables.append(None if work is None or work.stored is None else work.stored("keys"))
    return tables


def _new_rows(works: list[FileWork], before: set[str]) -> np.ndarray:
    """The row numbers, in the resource's key text, of the segments not in ``before`` (cache keys)."""
    rows, start = [], 0
    for work in works:
        for key, segment in zip(work.cache_keys, work.segments):
            if key not in before:
                rows.append(np.arange(start, start + segment.records))
            start += segment.records
    return np.concatenate(rows) if rows else np.empty(0, dtype=np.int64)


def _keys(package: DataPackage, name: str, fk: dict, tables: list[pa.Table | None]) -> pa.Array | None:
    """The comparable keys (``keys._joined_key``) the referred fields hold in ``tables``; None when one is missing."""
    if any(table is None for table in tables):
        return None
    fields = fk["reference"]["fields"]
    if not tables:
        return pa.array([], type=pa.string())
    text = to_frame(pa.concat_tables([table.select(fields) for table in tables]))  # type: ignore[union-attr]
    frame = pd.DataFrame({f: _key_typed(text[f], package.field(name, f)) for f in fields})
    missing = np.logical_and.reduce([frame[f].isna().to_numpy(dtype=bool) for f in fields])
    return _joined_key(frame[~missing])


def _all_in(values: pa.Array, value_set: pa.Array) -> bool:
    return len(values) == 0 or bool(pc.all(pc.is_in(values, value_set=value_set)).as_py())
