"""Per-file work, done once per segment of a file and cached by the segment's bytes.

Each file is cut into segments of whole records (pipeline/validate/segments.py). A segment
whose bytes, schema and tool version were seen before brings its results back
from the cache; any other segment is parsed, checked row by row (shape, types,
constraints), typed by the schema and scanned for personal numbers. What spans
rows of several segments — keys, references, cross-field rules — is checked
later on the whole package, from the cached key columns and typed rows.

An unchanged file is recognised without reading its records: the size, modification
and change times and inode recorded with its cut point at the same segments, as git
does for its index (pipeline/validate/scan_store.py: what is recorded for a file
and a segment, and how a record is recalled and checked); only its header is read
(``Planner``).

Each file is opened once (pipeline/validate/files.py's ``FileBytes``): the bytes the
file checks looked at are cut, hashed, checked for UTF-8 and worked on, and let go
once the file is worked on. Beyond ``HELD_BYTES`` of held files (a megacity's year) a
file is read again when it is worked on, and its segments' digests are checked first.
Each file's SHA-256 as validation read it (or as recorded with its cut) goes into the
plan: later stages check the bytes they publish against it.

Every entry is sealed by this machine (pipeline/core/cache.py) and checked for the
shape its reader expects (scan_store.py); one that is not sound is worked on again,
and bytes whose UTF-8 check was left to an entry that turns out unusable are checked then.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.core import findings as fd
import pipeline.validate.privacy as privacy
from pipeline.core.cache import FileCache, to_frame, to_table, tool_version
from pipeline.core.ledger import EVERY, typed_frame
from pipeline.core.package import DataPackage, ResourceFile
from pipeline.validate.segments import Cut, Segment, cut
from pipeline.core.csv_read import read_text_table
from pipeline.validate.fast import local_errors
from pipeline.validate.keys import key_field_names
from pipeline.validate.files import FileBytes, FileFacts, utf8_problem
from pipeline.validate.reuse import Matching, PreviousSegment, assembled_work, matched, split_records
from pipeline.validate.scan_store import (SegmentWork, cut_key, last_cut_key, recall_cut, recall_last_cut,
                                          recall_records, recall_segment, remember_cut, remember_last_cut,
                                          store_segment, stored_from_now_on)


FILE_WORKERS = 2  # files planned and worked on at once: the machine's two cores; more only adds memory
# Beyond this much CSV (a megacity's year: 4 GB at ten million issues) the segments' typed rows and key
# text, about as large as the CSV, are not held in memory from their work to their use (``beyond_memory``).
HELD_TABLES_BYTES = 1 << 30
ONE_THREAD_BYTES = 4 << 20  # a package of less data is validated on one thread (``one_thread``)


@dataclass
class FileWork:
    file: ResourceFile
    segments: list[SegmentWork]
    rework: Callable[[int], SegmentWork] | None = None  # segment index → worked on again from the file
    cache_keys: list[str] = field(default_factory=list)  # each segment's cache key (``segment_key``)

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

    def taken(self, index: int, part: str) -> pa.Table:
        """A segment's "typed" or "keys" table (``table``); the segment lets go of it (peak memory)."""
        table = self.table(index, part)
        setattr(self.segments[index], part, None)
        return table

    def tables(self, part: str) -> list[pa.Table]:
        """The segments' "typed" or "keys" tables, in order, each let go by its segment (``taken``)."""
        return [self.taken(index, part) for index in range(len(self.segments))]

    def take(self, part: str) -> pd.DataFrame:
        """The file's typed rows ("typed") or key text ("keys") as one pandas frame, each column in one
        piece (every later filter pays per piece)."""
        tables = self.tables(part)
        if not tables or tables[0].num_columns == 0:
            return pd.DataFrame(index=pd.RangeIndex(self.records))
        return to_frame(pa.concat_tables(tables).combine_chunks())


@dataclass
class FilePlan:
    file: ResourceFile
    cut: Cut
    keys: list[str]  # cache key of each segment
    stat_key: str | None  # where the file's cut is recorded under its stat facts
    sha256: str  # the file's bytes as validation read them (recalled: as they were when recorded)
    salt: str = ""  # its resource's (``resource_salt``)
    last_key: str | None = None  # where the file's last cut is recorded (``last_cut_key``)
    checked: frozenset[int] = frozenset()  # segments whose bytes were checked for UTF-8 in this run
    data: bytes | None = field(default=None, repr=False)  # the bytes cut and hashed, held until worked on


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

class Planner:
    """What validation knows of each file before it reads it, and the bytes it reads (``held``).

    A file whose cut is recorded under its stat facts, with every segment's work stored, is read only
    up to the end of its header (its checks need no more); any other file is read whole, once, and
    those bytes are cut, hashed, checked and worked on (``FilePlan.data``)."""

    def __init__(self, package: DataPackage, cache: FileCache):
        self.package, self.cache = package, cache
        self.held = FileBytes(self.head_end)
        self._salts: dict[str, str] = {}
        self._recalled: dict[str, tuple[str | None, tuple[Cut, str] | None]] = {}

    def salt(self, name: str) -> str:
        if name not in self._salts:
            self._salts[name] = resource_salt(self.package, name)
        return self._salts[name]

    def recall(self, file: ResourceFile) -> tuple[str | None, tuple[Cut, str] | None]:
        """Where the file's cut is recorded, and the cut and SHA-256 recorded there when every segment's
        work is stored too (asked once per file: its answer decides how much of the file is read)."""
        if file.rel not in self._recalled:
            salt = self.salt(file.resource)
            stat_key = cut_key(file, salt) if self.cache.root is not None else None
            recalled = recall_cut(self.cache.get_json(stat_key, "cut.json"))
            if recalled is not None and not all(self.cache.has(segment_key(salt, s), "segment.json")
                                                for s in recalled[0].segments):
                recalled = None  # a segment to work on again: the file is read whole, once
            self._recalled[file.rel] = (stat_key, recalled)
        return self._recalled[file.rel]

    def head_end(self, file: ResourceFile) -> int | None:
        """Where the header record ends, when only that much of the file need be read; else None."""
        _, recalled = self.recall(file)
        return recalled[0].header[1] if recalled is not None and recalled[0].header[1] > 0 else None


def plan_files(package: DataPackage, facts: dict[str, list[FileFacts]],
               planner: Planner) -> tuple[list[fd.Finding], dict[str, list[FilePlan]]]:
    """Cut every file (or recall its cut) and check the bytes nobody checked before are UTF-8."""
    def planned(file: ResourceFile) -> FilePlan | fd.Finding:
        try:
            return _plan_file(file, planner)
        except EncodingProblem as problem:
            return problem.finding

    order = [(name, fact.file) for name, file_facts in facts.items() for fact in file_facts]
    with ThreadPoolExecutor(max_workers=FILE_WORKERS) as pool:  # cutting and hashing release the GIL
        done = list(pool.map(lambda item: planned(item[1]), order))
    findings: list[fd.Finding] = []
    plans: dict[str, list[FilePlan]] = {}
    for (name, _), result in zip(order, done):
        if isinstance(result, fd.Finding):
            findings.append(result)
        else:
            plans.setdefault(name, []).append(result)
    return findings, plans


def _plan_file(file: ResourceFile, planner: Planner) -> FilePlan:
    salt, cache = planner.salt(file.resource), planner.cache
    stat_key, recalled = planner.recall(file)
    last_key = last_cut_key(file, salt) if cache.root is not None else None
    if recalled is not None:
        file_cut, sha256 = recalled
        return FilePlan(file, file_cut, [segment_key(salt, s) for s in file_cut.segments], stat_key, sha256,
                        salt, last_key)
    data = planner.held.read(file)  # whole: the bytes the file checks looked at
    file_cut = cut(data)
    keys = [segment_key(salt, s) for s in file_cut.segments]
    checked = frozenset(i for i, key in enumerate(keys) if not cache.has(key, "segment.json"))  # cached: checked
    _check_utf8(file, data, [file_cut.header] + [(s.start, s.stop) for i, s in enumerate(file_cut.segments)
                                                 if i in checked])  # when first worked on
    return FilePlan(file, file_cut, keys, stat_key, hashlib.sha256(data).hexdigest(), salt, last_key, checked,
                    data if planner.held.whole(file) else None)  # not held: read again when worked on


def validated_digests(plans: dict[str, list[FilePlan]]) -> dict[str, str]:
    """Each data file's SHA-256 as validation read it: what the downloads are checked against."""
    return {plan.file.rel: plan.sha256 for items in plans.values() for plan in items}


def _check_utf8(file: ResourceFile, data: bytes, ranges: list[tuple[int, int]]) -> None:
    for start, stop in ranges:
        problem = utf8_problem(file, data, start, stop)
        if problem is not None:
            raise EncodingProblem(problem)


# --- phase 2: the work of each segment ---------------------------------------------------

def work_files(package: DataPackage, plans: dict[str, list[FilePlan]], cache: FileCache,
               kept: dict[str, set[str]] | None = None) -> dict[str, list[FileWork]]:
    """Every file's segments worked on or recalled, in file order, two files at a time.

    ``kept`` (resource → field names; ``EVERY`` for all) names the typed columns later stages read: a
    segment worked on here holds only those once it is stored (at a million issues the titles and
    other text, read by no rule, held most of a cold validation's memory); None keeps every column.

    In three steps: each file's stored segments are recalled and the records of its changed ones
    matched with its previous segments' (reuse.py); the records found nowhere are worked on, all of a
    resource's in one parse (a parse of a few records costs about 80 ms at any size, so one per file
    would cost more than the records); then each file's segments are put together, or worked on whole.

    Parsing, hashing, Arrow kernels and the cache's writes release the GIL, so a second file's
    work overlaps the first's Python parts; each file's result is its own, and they are gathered in
    file order, so the outcome is the same as one at a time. The first problem in file order is raised."""
    order = [(name, plan) for name in package.resource_names for plan in plans.get(name, [])]
    stored_only = cache.root is not None and beyond_memory(plans)
    with ThreadPoolExecutor(max_workers=1 if one_thread(plans) else FILE_WORKERS) as pool:
        started = list(pool.map(lambda item: _start_file(package, item[0], item[1], cache), order))
        worked = fresh_records_worked(package, [(name, start.matching) for (name, _), start in zip(order, started)])
        done = list(pool.map(lambda item: _finish_file(package, *item[0], cache, None if kept is None else
                                                       kept.get(item[0][0], set()), stored_only, *item[1:]),
                             zip(order, started, worked)))
    works: dict[str, list[FileWork]] = {name: [] for name in package.resource_names}
    for (name, _), work in zip(order, done):
        works[name].append(work)
    return works


def data_bytes(plans: dict[str, list[FilePlan]]) -> int:
    return sum(s.stop - s.start for items in plans.values() for plan in items for s in plan.cut.segments)


def beyond_memory(plans: dict[str, list[FilePlan]]) -> bool:
    """Whether the package's data files are more than ``HELD_TABLES_BYTES``: then every segment's tables
    are let go once stored and loaded again when used, and the key checks and the rules' ledger run one
    after the other, not side by side (pipeline/validate/__init__.py)."""
    return data_bytes(plans) > HELD_TABLES_BYTES


def one_thread(plans: dict[str, list[FilePlan]]) -> bool:
    """Whether the package is small enough (``ONE_THREAD_BYTES``) to be worked on by one thread: each file's,
    rule's and key check's work is then a few milliseconds of Python, and a second thread only adds the
    hand-overs of the interpreter lock (fifteen validations of the tiny package, its files worked on by one
    thread: 0.90x the processor time; docs/scale.md)."""
    return data_bytes(plans) < ONE_THREAD_BYTES


@dataclass
class _Started:
    """A file between its recall and its work: its recalled segments (None where missed), and the records
    of the missed ones matched with its previous segments' where some were found (``matching``)."""

    works: list[SegmentWork | None]
    missed: list[int]
    previous: list[PreviousSegment]
    matching: Matching | None


def _start_file(package: DataPackage, name: str, plan: FilePlan, cache: FileCache) -> _Started:
    fields = package.fields(name)
    key_names = _key_names(package, name)
    works: list[SegmentWork | None] = [recall_segment(cache, key, fields, key_names) for key in plan.keys]
    missed = [index for index, work in enumerate(works) if work is None]
    segments = [plan.cut.segments[index] for index in missed]
    previous = previous_segments(cache, plan, fields, key_names) \
        if missed and not any(s.with_header for s in segments) else []
    matching = None
    if previous:
        body = memoryview(_segment_bytes(name, plan, missed))
        matching = matched([bytes(body[s.start:s.stop]) for s in segments], previous)
        for segment in previous:
            segment.records = []  # matched: only the previous segments' work is read from now on
    return _Started(works, missed, previous if matching is not None else [], matching)


def fresh_records_worked(package: DataPackage, matchings: list[tuple[str, Matching | None]]) -> list[SegmentWork | None]:
    """The work of each file's fresh records (``Matching.fresh``), from one parse of all of a resource's,
    in file order; None for a file with none, or whose resource's records do not parse one row each
    (its segments are then worked on whole)."""
    worked: list[SegmentWork | None] = [None] * len(matchings)
    for name in dict.fromkeys(name for name, _ in matchings):
        numbers = [n for n, (of, matching) in enumerate(matchings)
                   if of == name and matching is not None and matching.fresh]
        if not numbers:
            continue
        counts = [len(matchings[n][1].fresh) for n in numbers]  # type: ignore[union-attr]
        whole = _work_records(package, name, b"".join(matchings[n][1].records for n in numbers),  # type: ignore[union-attr]
                              sum(counts), _key_names(package, name))
        if whole is not None:
            for number, part in zip(numbers, split_work(whole, counts)):
                worked[number] = part
    return worked


def _finish_file(package: DataPackage, name: str, plan: FilePlan, cache: FileCache, kept: set[str] | None,
                 stored_only: bool, started: _Started, worked: SegmentWork | None) -> FileWork:
    key_names = _key_names(package, name)
    works = started.works
    if started.missed:
        works = [*works]
        reused = assembled_work(started.matching, started.previous, worked) if started.matching else None
        for index, work in _work_again(package, name, plan, cache, key_names, started.missed, reused).items():
            works[index] = stored_from_now_on(cache, plan.keys[index], work) if stored_only else \
                with_typed_columns(work, kept)
    remember_cut(cache, plan.stat_key, plan.file, plan.cut, plan.sha256)
    remember_last_cut(cache, plan.last_key, plan.cut)
    plan.data = None  # worked on: a segment worked on again later reads the file again
    return FileWork(plan.file, works,  # type: ignore[arg-type]
                    lambda index: _work_again(package, name, plan, cache, key_names, [index])[index], plan.keys)


def _key_names(package: DataPackage, name: str) -> list[str]:
    keys = key_field_names(package, name)  # once: it walks every resource's foreign keys
    return [f["name"] for f in package.fields(name) if f["name"] in keys]


PREVIOUS_BYTES = 256 << 20  # a file's previous segments read for reuse, at most: a megacity's month file is ~150 MB


def previous_segments(cache: FileCache, plan: FilePlan, fields: list[dict],
                      key_names: list[str]) -> list[PreviousSegment]:
    """The segments of the file's last cut that its new cut does not have, each with its bytes and work,
    where both are stored, sound and agree (reuse.py); none without a cache or a record of the last cut."""
    last = recall_last_cut(cache.get_json(plan.last_key, "last.json")) or []
    now = {segment.digest for segment in plan.cut.segments}
    previous = []
    held = 0
    for digest, size in last:
        if digest in now or held + size > PREVIOUS_BYTES:
            continue
        held += size
        key = segment_key(plan.salt, Segment(0, size, digest))
        data = recall_records(cache, key, digest, size)
        work = recall_segment(cache, key, fields, key_names) if data is not None else None
        if work is None or work.stored is None:
            continue
        work.typed, work.keys = work.stored("typed"), work.stored("keys")
        records = split_records(data)  # type: ignore[arg-type]
        if work.typed is not None and work.keys is not None and records is not None and len(records) == work.records:
            previous.append(PreviousSegment(records, work))
    return previous


def _work_again(package: DataPackage, name: str, plan: FilePlan, cache: FileCache, key_names: list[str],
                indexes: list[int], done: list[SegmentWork] | None = None) -> dict[int, SegmentWork]:
    """The segments at ``indexes`` worked on from the file's bytes (which must still be those planned), or
    their work ``done`` already (reuse.py), stored with their bytes."""
    data = _segment_bytes(name, plan, indexes)
    segments = [plan.cut.segments[index] for index in indexes]
    works = dict(zip(indexes, done if done is not None else _work_segments(package, name, data, segments, key_names)))
    body = memoryview(data)
    for index, work in works.items():
        segment = plan.cut.segments[index]
        store_segment(cache, plan.keys[index], work,
                      None if segment.with_header else body[segment.start:segment.stop])
    return works


def _segment_bytes(name: str, plan: FilePlan, indexes: list[int]) -> bytes:
    """The file's bytes, with the segments at ``indexes`` checked for UTF-8 where not yet.

    They are those the plan read and cut; only a segment whose stored work turns out unsound after
    that (or whose cut was recalled) reads the file again, and is checked against its digest."""
    segments = [plan.cut.segments[index] for index in indexes]
    data = plan.data  # the bytes the cut was made from
    if data is None:
        data = plan.file.abs.read_bytes()
        if any(_sha(data, s) != s.digest for s in segments):
            raise EncodingProblem(fd.make("package-error", path=plan.file.rel, resource=name,
                                          detail="文件在校验过程中被修改了，请重新运行校验"))
    _check_utf8(plan.file, data, [(s.start, s.stop) for i, s in zip(indexes, segments) if i not in plan.checked])
    return data


def _work_records(package: DataPackage, name: str, records: bytes, count: int,
                  key_names: list[str]) -> SegmentWork | None:
    """Whole records (no header) worked on as one segment; None when they do not parse as ``count`` rows."""
    table = read_text_table(records, [f["name"] for f in package.fields(name)], header=False)
    return _work_table(package, name, table, key_names) if table.records == count else None


def with_typed_columns(work: SegmentWork, kept: set[str] | None) -> SegmentWork:
    """``work`` holding only the typed columns in ``kept`` (all of them for None or ``EVERY``), once
    worked on: the segments of one parse share its buffers, so a column is let go when every one drops it."""
    if kept is None or EVERY in kept or work.typed is None:
        return work
    work.typed = work.typed.select([n for n in work.typed.column_names if n in kept])
    return work


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
    keys = pa.table({n: _own_copy(_blank_as_missing(table.frame[n], blank)) for n in key_names})
    return SegmentWork(table.records, errors, sorted(blank), personal, to_table(typed), keys)


def _blank_as_missing(column: pd.Series, blank: set[int]) -> pd.Series:
    """A key column with a blank row's cells missing, however the parse gave them: Arrow's parser gives a
    blank line empty cells, the csv module (when some row of the same parse has too few or too many
    cells) none, and a row's work must not depend on the rows parsed with it (reuse.py)."""
    if not blank:
        return column
    column = column.copy()
    column.iloc[sorted(blank)] = None
    return column


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
