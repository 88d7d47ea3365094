"""What the scan keeps in the cache for a file and for each segment, and how it is recalled.

A file's cut (its segments, its SHA-256) is recorded under its stat facts — size, modification
and change times, inode — as git does for its index; a record written less than RACY_NS after
the file was last modified is not trusted (the file could have changed again within the clock's
resolution). A segment's work (``SegmentWork``: row-local errors, blank rows, personal numbers,
typed rows, key text and each column's digest) is stored under its segment key.

Every entry is sealed by this machine (pipeline/core/cache.py) and checked here for the shape its
reader expects before anything is taken from it: an entry that does not fit is rebuilt, never
trusted. The flow that uses these records is pipeline/validate/scan.py.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.core.cache import FileCache
from pipeline.core.codes import CODES
from pipeline.core.package import ResourceFile
from pipeline.validate.segments import Cut, Segment

RACY_NS = 2_000_000_000


@dataclass
class SegmentWork:
    """What one segment's records gave; row indexes count from the segment's first record."""

    records: int
    errors: list[dict]  # row-local errors in frictionless' shape, "rowNumber" = record index
    blank: list[int]  # record indexes of blank rows
    personal: list[list]  # [field, record index, kind, masked text] of each personal number found
    typed: pa.Table | None  # the records typed by the schema (recalled: None until ``stored`` loads it)
    keys: pa.Table | None  # text of the fields other rows or resources refer to (no columns when there are none)
    digests: dict[str, str] | None = None  # each typed column's content, and "keys" for the key text
    stored: Callable[[str], pa.Table | None] | None = None  # a recalled segment's "typed"/"keys" table, or None

    def __post_init__(self) -> None:
        if self.digests is None:
            self.digests = {**{name: column_digest(self.typed.column(name)) for name in self.typed.column_names},
                            "keys": table_digest(self.keys)}


# --- a file's cut, recorded under its stat facts ------------------------------------------

def cut_key(file: ResourceFile, salt: str) -> str:
    """Where a file's cut is recorded: its resource's salt and its stat facts (size, times, inode)."""
    info = file.abs.stat()
    material = f"{salt}|{file.abs.resolve()}|{info.st_size}|{info.st_mtime_ns}|{info.st_ctime_ns}|{info.st_ino}"
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def recall_cut(stored) -> tuple[Cut, str] | None:
    """The recorded cut and SHA-256 of a file, or None when the record is missing, racy or misshapen."""
    if not (isinstance(stored, dict) and _ints(stored.get("header"), 2) and _ints(stored.get("times"), 2)
            and _hex(stored.get("sha256")) and isinstance(stored.get("segments"), list)
            and all(_segment_record(item) for item in stored["segments"])):
        return None  # an entry that does not fit is rebuilt, never trusted
    mtime_ns, written_ns = stored["times"]
    if written_ns - mtime_ns < RACY_NS:
        return None
    return Cut(tuple(stored["header"]), [Segment(*item) for item in stored["segments"]]), stored["sha256"]


def _segment_record(item) -> bool:
    return (isinstance(item, list) and len(item) == 5 and _ints(item[:2], 2) and _hex(item[2])
            and type(item[3]) is bool and (item[4] is None or _ints([item[4]], 1)))


def _ints(value, count: int) -> bool:
    return isinstance(value, list) and len(value) == count and all(type(v) is int and v >= 0 for v in value)


def _hex(value) -> bool:
    return isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef" for c in value)


def remember_cut(cache: FileCache, key: str | None, file: ResourceFile, file_cut: Cut, sha256: str) -> None:
    """Record the file's cut and SHA-256 under ``key`` (``cut_key``), with the time it was written."""
    cache.put_json(key, "cut.json", {
        "header": list(file_cut.header), "sha256": sha256,
        "segments": [[s.start, s.stop, s.digest, s.with_header, s.records] for s in file_cut.segments],
        "times": [file.abs.stat().st_mtime_ns, time.time_ns()]})


# --- a file's last cut, recorded under its path --------------------------------------------

def last_cut_key(file: ResourceFile, salt: str) -> str:
    """Where a file's last cut is recorded: its resource's salt and its path (whatever its bytes)."""
    return hashlib.sha256(f"{salt}|{file.abs.resolve()}|last cut".encode("utf-8")).hexdigest()


def remember_last_cut(cache: FileCache, key: str | None, file_cut: Cut) -> None:
    """Record the digest and size of each body segment of the file's cut: once the file changes, the
    segments its new cut no longer has lend their records' work to the new ones (reuse.py)."""
    cache.put_json(key, "last.json", [[s.digest, s.stop - s.start] for s in file_cut.segments if not s.with_header])


def recall_last_cut(stored) -> list[tuple[str, int]] | None:
    """The recorded (digest, size) of each segment of a file's last cut, or None when misshapen."""
    if not (isinstance(stored, list) and all(isinstance(item, list) and len(item) == 2 and _hex(item[0])
                                             and _ints(item[1:], 1) for item in stored)):
        return None  # an entry that does not fit is rebuilt, never trusted
    return [(digest, size) for digest, size in stored]


# --- a segment's work --------------------------------------------------------------------

RECORDS_CODEC = "lz4"  # a segment's bytes, kept for reuse.py: CSV to about a sixth, at about a gigabyte a second


def store_records(cache: FileCache, key: str, data) -> None:
    """A segment's bytes (whole records), compressed, beside its work."""
    if cache.root is not None:
        cache.put_bytes(key, "records.lz4", pa.compress(data, codec=RECORDS_CODEC, asbytes=True))


def recall_records(cache: FileCache, key: str, digest: str, size: int) -> bytes | None:
    """A segment's stored bytes, or None when missing, not sealed here, or not the bytes of ``digest``."""
    stored = cache.get_bytes(key, "records.lz4")
    if stored is None:
        return None
    try:
        data = pa.decompress(stored, decompressed_size=size, codec=RECORDS_CODEC, asbytes=True)
    except (pa.ArrowInvalid, pa.ArrowIOError, OSError, ValueError):
        return None
    return data if hashlib.sha256(data).hexdigest() == digest else None


def store_segment(cache: FileCache, key: str, work: SegmentWork, records=None) -> None:
    """A segment's work, and its bytes (``records``; an uncut file's are not kept: never reused)."""
    if cache.root is None:
        return
    cache.put_table(key, "typed.arrow", work.typed)
    if work.keys.num_columns:
        cache.put_table(key, "keys.arrow", work.keys)
    if records is not None:
        store_records(cache, key, records)
    # Written last: its presence says the segment's other entries are complete.
    cache.put_json(key, "segment.json", {"records": work.records, "errors": work.errors, "blank": work.blank,
                                         "personal": work.personal, "digests": work.digests,
                                         "schema": _schema(work.typed), "keys": _schema(work.keys)})


def _schema(table: pa.Table) -> list[list[str]]:
    return [[f.name, str(f.type)] for f in table.schema]


def recall_segment(cache: FileCache, key: str, fields: list[dict], key_names: list[str]) -> SegmentWork | None:
    """A segment's stored work, or None when any part is missing, not sealed here or not of its shape."""
    stored = cache.get_json(key, "segment.json")
    names = [f["name"] for f in fields]
    if not segment_shape(stored, names, key_names) or not cache.has(key, "typed.arrow") \
            or (key_names and not cache.has(key, "keys.arrow")):
        return None  # an entry that does not fit is rebuilt, never trusted
    return SegmentWork(stored["records"], stored["errors"], stored["blank"], stored["personal"], None, None,
                       stored["digests"], _stored_tables(cache, key, stored["records"],
                                                         {"typed": stored["schema"], "keys": stored["keys"]}))


def stored_from_now_on(cache: FileCache, key: str, work: SegmentWork) -> SegmentWork:
    """``work``, just stored under ``key``, without its tables: they are loaded from the cache when used,
    as a recalled segment's are (a megacity's typed rows do not fit in memory all at once)."""
    return SegmentWork(work.records, work.errors, work.blank, work.personal, None, None, work.digests,
                       _stored_tables(cache, key, work.records, {"typed": _schema(work.typed),
                                                                 "keys": _schema(work.keys)}))


def _stored_tables(cache: FileCache, key: str, records: int,
                   schemas: dict[str, list[list[str]]]) -> Callable[[str], pa.Table | None]:
    def table(part: str) -> pa.Table | None:  # loaded when first used: a check recalled needs no rows
        if part == "keys" and not schemas["keys"]:
            return pa.table({})
        found = cache.get_table(key, f"{part}.arrow")
        if found is None or _schema(found) != schemas[part] or found.num_rows != records:
            return None  # an entry that does not fit is rebuilt, never trusted
        return found

    return table


def segment_shape(stored, names: list[str], key_names: list[str]) -> bool:
    """``stored`` has every part of a segment's record, each of the type later stages read."""
    if not isinstance(stored, dict):
        return False
    records, errors, blank, personal = (stored.get(k) for k in ("records", "errors", "blank", "personal"))
    digests, schema, keys = stored.get("digests"), stored.get("schema"), stored.get("keys")
    return (type(records) is int and records >= 0
            and isinstance(errors, list) and all(error_shape(e, records, names) for e in errors)
            and isinstance(blank, list) and all(type(i) is int and 0 <= i < records for i in blank)
            and isinstance(personal, list) and all(_personal_shape(p, records, names) for p in personal)
            and _schema_shape(schema, names) and _schema_shape(keys, key_names)
            and isinstance(digests, dict) and set(digests) == {*names, "keys"}
            and all(isinstance(v, str) for v in digests.values()))


def error_shape(error, rows: int | None, names: list[str]) -> bool:
    """An error as the fast engine makes it (frictionless' shape): its type, a row below ``rows``
    (None: any row), and the field it names is one of ``names``."""
    return (isinstance(error, dict) and isinstance(error.get("type"), str)
            and type(error.get("rowNumber")) is int and 0 <= error["rowNumber"] < (rows if rows is not None else 2**62)
            and error.get("fieldName") in (None, "", *names)
            and all(isinstance(error.get(k, ""), str) for k in ("note", "message"))
            and all(isinstance(error.get(k, []), list) for k in ("cells", "fieldNames", "fieldCells")))


def _personal_shape(item, records: int, names: list[str]) -> bool:
    return (isinstance(item, list) and len(item) == 4 and item[0] in names and type(item[1]) is int
            and 0 <= item[1] < records and f"pii-{item[2]}" in CODES and isinstance(item[3], str))


def _schema_shape(schema, names: list[str]) -> bool:
    return (isinstance(schema, list) and [s[0] if isinstance(s, list) and len(s) == 2 else None for s in schema] == names
            and all(isinstance(s[1], str) for s in schema))


def column_digest(column: pa.ChunkedArray | pa.Array) -> str:
    """A digest of a column's values, read straight from its buffers (a slice reads only its rows).

    Equal values digest alike and different values never do: the bytes under a null slot, which
    differ between a column parsed and one taken from others (reuse.py), are not read.
    """
    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    digest = hashlib.sha256(f"{array.type}|{len(array)}|{array.null_count}".encode("utf-8"))
    nulls = array.is_null().to_numpy(zero_copy_only=False) if array.null_count else None
    if nulls is not None:
        digest.update(np.packbits(nulls).tobytes())
    if pa.types.is_string(array.type) or pa.types.is_large_string(array.type):
        buffers, offsets = _text_buffers(array)
        if nulls is not None and np.diff(offsets)[nulls].any():  # a null slot spanning bytes: rare, so copied only then
            buffers, offsets = _text_buffers(pc.fill_null(array, ""))
        digest.update(np.diff(offsets).astype(np.int64).tobytes())
        if len(array) and buffers[2] is not None:
            digest.update(memoryview(buffers[2])[int(offsets[0]):int(offsets[-1])])
    elif pa.types.is_boolean(array.type):
        digest.update(np.packbits(pc.fill_null(array, False).to_numpy(zero_copy_only=False)).tobytes())
    else:  # fixed width: timestamps, integers, numbers
        width = array.type.bit_width // 8
        values = memoryview(array.buffers()[1])[array.offset * width:(array.offset + len(array)) * width]
        if nulls is not None:
            cells = np.frombuffer(values, dtype=np.uint8).reshape(len(array), width).copy()
            cells[nulls] = 0
            values = cells.tobytes()
        digest.update(values)
    return digest.hexdigest()[:32]


def _text_buffers(array: pa.Array) -> tuple[list, np.ndarray]:
    """A text array's buffers and the offsets of its own cells (a slice's, from its offset)."""
    buffers = array.buffers()
    width = np.int64 if pa.types.is_large_string(array.type) else np.int32
    offsets = np.frombuffer(buffers[1], dtype=width)[array.offset:array.offset + len(array) + 1] \
        if buffers[1] is not None else np.zeros(1, dtype=width)
    return buffers, offsets


def table_digest(table: pa.Table) -> str:
    return hashlib.sha256("|".join(f"{n}={column_digest(table.column(n))}"
                                   for n in table.column_names).encode("utf-8")).hexdigest()[:32]
