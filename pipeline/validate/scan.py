"""Per-file work, done once per segment of a file and cached by the segment's bytes.

Each file is cut into segments of whole records (pipeline/validate/segments.py). A segment
whose bytes, schema and tool version were seen before brings its results back
from the cache; any other segment is parsed, checked row by row (shape, types,
constraints), typed by the schema and scanned for personal numbers. What spans
rows of several segments — keys, references, cross-field rules — is checked
later on the whole package, from the cached key columns and typed rows.

An unchanged file is recognised without reading it: the size, modification and
change times and inode recorded with its cut point at the same segments, as git
does for its index. A record written less than RACY_NS after the file was last
modified is not trusted (the file could have changed again within the clock's
resolution), so such a file is read and hashed again.

Each file's SHA-256 as validation read it (or as recorded with its cut) goes
into the plan: later stages check the bytes they publish against it.

Every entry is sealed by this machine (pipeline/core/cache.py) and checked for the
shape its reader expects; one that is not sound is worked on again, and bytes
whose UTF-8 check was left to an entry that turns out unusable are checked then.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.core import findings as fd
from pipeline.validate import privacy
from pipeline.core.cache import FileCache, to_frame, to_table, tool_version
from pipeline.core.codes import CODES
from pipeline.core.ledger import typed_frame
from pipeline.core.package import DataPackage, ResourceFile
from pipeline.validate.segments import Cut, Segment, cut
from pipeline.core.csv_read import read_text_table
from pipeline.validate.fast import key_field_names, local_errors
from pipeline.validate.files import FileFacts, utf8_problem

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


@dataclass
class FileWork:
    file: ResourceFile
    segments: list[SegmentWork]
    rework: Callable[[int], SegmentWork] | None = None  # segment index → worked on again from the file

    @property
    def records(self) -> int:
        return sum(s.records for s in self.segments)

    def table(self, index: int, part: str) -> pa.Table:
        """A segment's "typed" or "keys" table. A recalled one is loaded (its seal checked) only now, when
        it is used; one that is not sound has its segment worked on again."""
        segment = self.segments[index]
        table = getattr(segment, part)
        if table is None and segment.stored is not None:
            table = segment.stored(part)
            if table is None and self.rework is not None:
                self.segments[index] = segment = self.rework(index)
                table = getattr(segment, part)
        return table

    def take(self, part: str) -> pd.DataFrame:
        """The file's typed rows ("typed") or key text ("keys") as one pandas frame, each column in one
        piece (every later filter pays per piece); the segments let go of theirs (peak memory)."""
        tables = [self.table(index, part) for index in range(len(self.segments))]
        if not tables or tables[0].num_columns == 0:
            return pd.DataFrame(index=pd.RangeIndex(self.records))
        table = pa.concat_tables(tables).combine_chunks()
        for segment in self.segments:
            setattr(segment, part, None)
        return to_frame(table)


@dataclass
class FilePlan:
    file: ResourceFile
    cut: Cut
    keys: list[str]  # cache key of each segment
    stat_key: str | None  # where the file's cut is recorded under its stat facts
    sha256: str  # the file's bytes as validation read them (recalled: as they were when recorded)
    checked: frozenset[int] = frozenset()  # segments whose bytes were checked for UTF-8 in this run


class EncodingProblem(Exception):
    """A file cannot be read as it is: reported alone, as the file checks are."""

    def __init__(self, finding: fd.Finding):
        super().__init__(finding.message_en)
        self.finding = finding


def resource_salt(package: DataPackage, name: str) -> str:
    """What every cache key of the resource's segments depends on besides their bytes."""
    schema = json.dumps(package.resource(name)["schema"], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256((schema + tool_version() + f"|privacy {privacy.VERSION}").encode("utf-8")).hexdigest()


def segment_key(salt: str, segment: Segment) -> str:
    material = f"{salt}|{segment.digest}|{'header' if segment.with_header else 'body'}"
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


# --- phase 1: which segments, and are their bytes UTF-8 -------------------------------------

def plan_files(package: DataPackage, facts: dict[str, list[FileFacts]],
               cache: FileCache) -> tuple[list[fd.Finding], dict[str, list[FilePlan]]]:
    """Cut every file (or recall its cut) and check the bytes nobody checked before are UTF-8."""
    findings: list[fd.Finding] = []
    plans: dict[str, list[FilePlan]] = {}
    for name, file_facts in facts.items():
        salt = resource_salt(package, name)
        for fact in file_facts:
            try:
                plans.setdefault(name, []).append(_plan_file(fact.file, salt, cache))
            except EncodingProblem as problem:
                findings.append(problem.finding)
    return findings, plans


def _plan_file(file: ResourceFile, salt: str, cache: FileCache) -> FilePlan:
    stat_key = _stat_key(file, salt) if cache.root is not None else None
    recalled = _recall_cut(cache.get_json(stat_key, "cut.json"))
    if recalled is not None:
        file_cut, sha256 = recalled
        return FilePlan(file, file_cut, [segment_key(salt, s) for s in file_cut.segments], stat_key, sha256)
    data = file.abs.read_bytes()
    file_cut = cut(data)
    keys = [segment_key(salt, s) for s in file_cut.segments]
    checked = frozenset(i for i, key in enumerate(keys) if not cache.has(key, "segment.json"))  # cached: checked
    _check_utf8(file, data, [file_cut.header] + [(s.start, s.stop) for i, s in enumerate(file_cut.segments)
                                                 if i in checked])  # when first worked on
    return FilePlan(file, file_cut, keys, stat_key, hashlib.sha256(data).hexdigest(), checked)


def validated_digests(plans: dict[str, list[FilePlan]]) -> dict[str, str]:
    """Each data file's SHA-256 as validation read it: what the downloads are checked against."""
    return {plan.file.rel: plan.sha256 for items in plans.values() for plan in items}


def _check_utf8(file: ResourceFile, data: bytes, ranges: list[tuple[int, int]]) -> None:
    for start, stop in ranges:
        problem = utf8_problem(file, data, start, stop)
        if problem is not None:
            raise EncodingProblem(problem)


def _stat_key(file: ResourceFile, salt: str) -> str:
    info = file.abs.stat()
    material = f"{salt}|{file.abs.resolve()}|{info.st_size}|{info.st_mtime_ns}|{info.st_ctime_ns}|{info.st_ino}"
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def _recall_cut(stored) -> tuple[Cut, str] | None:
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


def _remember_cut(cache: FileCache, plan: FilePlan) -> None:
    cache.put_json(plan.stat_key, "cut.json", {
        "header": list(plan.cut.header), "sha256": plan.sha256,
        "segments": [[s.start, s.stop, s.digest, s.with_header, s.records] for s in plan.cut.segments],
        "times": [plan.file.abs.stat().st_mtime_ns, time.time_ns()]})


# --- phase 2: the work of each segment ---------------------------------------------------

def work_files(package: DataPackage, plans: dict[str, list[FilePlan]], cache: FileCache) -> dict[str, list[FileWork]]:
    """Every file's segments worked on or recalled, in file order."""
    return {name: [_work_file(package, name, plan, cache) for plan in plans.get(name, [])]
            for name in package.resource_names}


def _work_file(package: DataPackage, name: str, plan: FilePlan, cache: FileCache) -> FileWork:
    fields = package.fields(name)
    key_names = [f["name"] for f in fields if f["name"] in key_field_names(package, name)]
    works: list[SegmentWork | None] = [_recall_segment(cache, key, fields, key_names) for key in plan.keys]
    missed = [index for index, work in enumerate(works) if work is None]
    if missed:
        works = [*works]
        for index, work in _work_again(package, name, plan, cache, key_names, missed).items():
            works[index] = work
    _remember_cut(cache, plan)
    return FileWork(plan.file, works,  # type: ignore[arg-type]
                    lambda index: _work_again(package, name, plan, cache, key_names, [index])[index])


def _work_again(package: DataPackage, name: str, plan: FilePlan, cache: FileCache, key_names: list[str],
                indexes: list[int]) -> dict[int, SegmentWork]:
    """The segments at ``indexes`` worked on from the file's bytes (which must still be those planned), stored."""
    data = plan.file.abs.read_bytes()
    segments = [plan.cut.segments[index] for index in indexes]
    if any(_sha(data, s) != s.digest for s in segments):
        raise EncodingProblem(fd.make("package-error", path=plan.file.rel, resource=name,
                                      detail="文件在校验过程中被修改了，请重新运行校验"))
    _check_utf8(plan.file, data, [(s.start, s.stop) for i, s in zip(indexes, segments) if i not in plan.checked])
    works = dict(zip(indexes, _work_segments(package, name, data, segments, key_names)))
    for index, work in works.items():
        _store_segment(cache, plan.keys[index], work)
    return works


def _sha(data: bytes, segment: Segment) -> str:
    return hashlib.sha256(memoryview(data)[segment.start:segment.stop]).hexdigest()


def _work_segments(package: DataPackage, name: str, data: bytes, segments: list[Segment],
                   key_names: list[str]) -> list[SegmentWork]:
    """Segments of one file worked on together — one parse, one pass of each check — then split.

    Whole records joined are CSV again; per-segment pandas work would cost more than the work itself.
    """
    names = [f["name"] for f in package.fields(name)]
    if len(segments) == 1 and segments[0].with_header:
        table = read_text_table(data[segments[0].start:segments[0].stop], names, header=True)
        counts = [table.records]
    else:
        counts = [s.records for s in segments]
        table = read_text_table(b"".join(memoryview(data)[s.start:s.stop] for s in segments), names, header=False)
        if table.records != sum(counts):  # a bare carriage return also ends a record for the parser
            if len(segments) > 1:
                return [work for s in segments for work in _work_segments(package, name, data, [s], key_names)]
            counts = [table.records]
    whole = _work_table(package, name, table, key_names)
    return split_work(whole, counts)


def _work_table(package: DataPackage, name: str, table, key_names: list[str]) -> SegmentWork:
    fields = package.fields(name)
    names = [f["name"] for f in fields]
    errors, blank = local_errors(package, name, table, 0)
    typed = typed_frame(table.frame[names], fields)
    personal = list(personal_numbers(table.frame, names))  # every cell, as written
    keys = pa.table({n: _own_copy(table.frame[n]) for n in key_names})
    return SegmentWork(table.records, errors, sorted(blank), personal, to_table(typed), keys)


def split_work(whole: SegmentWork, counts: list[int]) -> list[SegmentWork]:
    """``whole`` (records of consecutive segments) cut back into the segments of ``counts`` records."""
    if len(counts) == 1:
        return [whole]
    parts = []
    start = 0
    for count in counts:
        stop = start + count
        parts.append(SegmentWork(
            count,
            [{**e, "rowNumber": e["rowNumber"] - start} for e in whole.errors if start <= e["rowNumber"] < stop],
            [i - start for i in whole.blank if start <= i < stop],
            [[c, i - start, k, m] for c, i, k, m in whole.personal if start <= i < stop],
            whole.typed.slice(start, count), whole.keys.slice(start, count) if whole.keys.num_columns else whole.keys))
        start = stop
    return parts


def _own_copy(column: pd.Series) -> pa.Array:
    """The column's cells in buffers of their own: keeping them must not keep the whole parse alive."""
    array = pa.array(column, type=pa.string())
    return pa.concat_arrays(array.chunks if isinstance(array, pa.ChunkedArray) else [array])


def personal_numbers(text: pd.DataFrame, columns: list[str]) -> Iterator[list]:
    """[field, row index, kind, masked text] of every personal number in the text cells of ``columns``.

    privacy.candidates (vectorised, one call for all the columns' distinct cells) picks the cells
    privacy.scan could find something in; scan reads those few, each distinct one once.
    """
    parts = []
    for column in columns:
        cells = pa.array(text[column])  # Arrow-backed text: its chunks, not a copy
        parts.append(_distinct(cells if isinstance(cells, pa.ChunkedArray) else pa.chunked_array([cells])))
    every = pa.chunked_array([chunk.cast(pa.large_string()) for values, _ in parts for chunk in
                              (values.chunks if isinstance(values, pa.ChunkedArray) else [values])],
                             type=pa.large_string())
    starts = np.cumsum([0] + [len(values) for values, _ in parts])
    found: dict[int, dict[int, list]] = {}  # part → value → matches
    positions = privacy.candidates(every)
    for position, cell in zip(positions, every.take(positions).to_pylist()):
        matches = list(privacy.scan(cell))
        if matches:
            part = int(np.searchsorted(starts, position, side="right")) - 1
            found.setdefault(part, {})[int(position - starts[part])] = matches
    for part, values in sorted(found.items()):
        codes = parts[part][1]
        rows = sorted(values) if codes is None else np.flatnonzero(np.isin(codes, list(values)))
        for row in rows:
            for match in values[int(row) if codes is None else int(codes[row])]:
                yield [columns[part], int(row), match.kind, match.masked]


def _distinct(cells: pa.ChunkedArray) -> tuple[pa.ChunkedArray | pa.Array, np.ndarray | None]:
    """The distinct cells and each row's position among them when cells repeat (codes, dates, lists);
    the cells themselves (and None) when they mostly differ (ids, prose): hashing those costs more
    than testing each."""
    sample = cells.slice(0, 1000)
    if cells.num_chunks == 0 or pc.count_distinct(sample).as_py() * 2 > len(sample):
        return cells, None
    encoded = pc.dictionary_encode(cells)  # one dictionary, grown chunk by chunk: the last holds all
    indices = pa.chunked_array([chunk.indices for chunk in encoded.chunks], type=encoded.type.index_type)
    return encoded.chunk(encoded.num_chunks - 1).dictionary, pc.fill_null(indices, -1).to_numpy()


def _store_segment(cache: FileCache, key: str, work: SegmentWork) -> None:
    if cache.root is None:
        return
    cache.put_table(key, "typed.arrow", work.typed)
    if work.keys.num_columns:
        cache.put_table(key, "keys.arrow", work.keys)
    # Written last: its presence says the segment's other entries are complete.
    cache.put_json(key, "segment.json", {"records": work.records, "errors": work.errors, "blank": work.blank,
                                         "personal": work.personal, "digests": work.digests,
                                         "schema": _schema(work.typed), "keys": _schema(work.keys)})


def _schema(table: pa.Table) -> list[list[str]]:
    return [[f.name, str(f.type)] for f in table.schema]


def _recall_segment(cache: FileCache, key: str, fields: list[dict], key_names: list[str]) -> SegmentWork | None:
    """A segment's stored work, or None when any part is missing, not sealed here or not of its shape."""
    stored = cache.get_json(key, "segment.json")
    names = [f["name"] for f in fields]
    if not _segment_shape(stored, names, key_names) or not cache.has(key, "typed.arrow") \
            or (key_names and not cache.has(key, "keys.arrow")):
        return None  # an entry that does not fit is rebuilt, never trusted
    records = stored["records"]

    def table(part: str) -> pa.Table | None:  # loaded when first used: a check recalled needs no rows
        if part == "keys" and not key_names:
            return pa.table({})
        found = cache.get_table(key, f"{part}.arrow")
        if found is None or _schema(found) != stored["schema" if part == "typed" else "keys"] \
                or found.num_rows != records:
            return None  # an entry that does not fit is rebuilt, never trusted
        return found

    return SegmentWork(records, stored["errors"], stored["blank"], stored["personal"], None, None, stored["digests"],
                       table)


def _segment_shape(stored, names: list[str], key_names: list[str]) -> bool:
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

    Equal values can digest apart only through bytes under null slots (a needless re-check, never a
    wrong one); different values never digest alike.
    """
    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    digest = hashlib.sha256(f"{array.type}|{len(array)}|{array.null_count}".encode("utf-8"))
    if array.null_count:
        digest.update(np.packbits(array.is_null().to_numpy(zero_copy_only=False)).tobytes())
    buffers = array.buffers()
    if pa.types.is_string(array.type) or pa.types.is_large_string(array.type):
        width = np.int64 if pa.types.is_large_string(array.type) else np.int32
        offsets = np.frombuffer(buffers[1], dtype=width)[array.offset:array.offset + len(array) + 1] \
            if buffers[1] is not None else np.zeros(1, dtype=width)
        digest.update(np.diff(offsets).astype(np.int64).tobytes())
        if len(array) and buffers[2] is not None:
            digest.update(memoryview(buffers[2])[int(offsets[0]):int(offsets[-1])])
    elif pa.types.is_boolean(array.type):
        digest.update(np.packbits(pc.fill_null(array, False).to_numpy(zero_copy_only=False)).tobytes())
    else:  # fixed width: timestamps, integers, numbers
        width = array.type.bit_width // 8
        digest.update(memoryview(buffers[1])[array.offset * width:(array.offset + len(array)) * width])
    return digest.hexdigest()[:32]


def table_digest(table: pa.Table) -> str:
    return hashlib.sha256("|".join(f"{n}={column_digest(table.column(n))}"
                                   for n in table.column_names).encode("utf-8")).hexdigest()[:32]


# --- putting a file back together --------------------------------------------------------

def personal_findings(name: str, work: FileWork):
    """The personal numbers found in a file, as findings on its spreadsheet rows."""
    offset = 0
    for segment in work.segments:
        for column, index, kind, masked in segment.personal:
            yield personal_finding(name, work.file.rel, offset + index + 2, column, kind, masked)
        offset += segment.records


def personal_finding(resource: str, path: str, row: int, field: str, kind: str, masked: str) -> fd.Finding:
    return fd.make(f"pii-{kind}", path=path, row=row, field=field, resource=resource, value=masked, masked=masked)


def local_file_errors(work: FileWork, start: int) -> tuple[list[dict], set[int]]:
    """The file's row-local errors and blank rows at resource positions from ``start``."""
    errors: list[dict] = []
    blank: set[int] = set()
    for segment in work.segments:
        errors += [{**e, "rowNumber": e["rowNumber"] + start} for e in segment.errors]
        blank.update(p + start for p in segment.blank)
        start += segment.records
    return errors, blank
