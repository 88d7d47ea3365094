"""Files within the host's limit (data standard, "Files at scale"): how a resource's file is split.

A git host warns at 50 MB and refuses 100 MB, so no data file may exceed ``HOST_FILE_BYTES``. A file
over it is split one level at a time, by the month of the resource's date (``SPLIT_BY``), into files
of the same header, each of them at most ``SPLIT_SHARE`` of the limit (room for later edits):

- a year file ``issues/2026.csv`` → its months ``issues/2026/2026-01.csv`` … ``issues/2026/2026-12.csv``;
- a single file ``evaluations.csv`` → its years ``evaluations/2025.csv`` …, and a year still too
  large → its months ``evaluations/2026/2026-03.csv`` …;
- a month still too large → parts in row order ``issues/2026/2026-03-1.csv``, ``…-2.csv``;
- a resource without a date (regions, …), or whose rows are not in month order (evaluations and
  issue_events follow their issues, not their own dates), or a year file holding a row of another
  year → parts in row order: ``evaluations/evaluations-1.csv`` …, ``issues/2026/2026-1.csv`` ….

A split never reorders rows: the new files, read one after the other in the order ``path`` lists
them (where the old file stood), give the old file's rows in its order. Records are moved as bytes
(a quoted cell may span lines): nothing in a row changes. Deterministic: the same file gives the
same files.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from pipeline.core import folders
from pipeline.core.package import DESCRIPTOR, HOST_FILE_BYTES, PackageError, load, resource_paths

# The date whose month places a row, per resource (a required field of each).
SPLIT_BY = {"meetings": "held_on", "issues": "raised_on", "issue_events": "on", "evaluations": "evaluated_on",
            "inspections": "inspected_on", "claims": "source_date", "surveys": "period_start",
            "holidays": "date", "devolved_items": "effective_on", "duty_items": "effective_on"}
SPLIT_SHARE = 0.9  # a file made by a split is at most 90% of the limit, so that edits fit
YEAR, MONTH, PART = re.compile(r"^\d{4}$"), re.compile(r"^\d{4}-\d{2}$"), re.compile(r"^(\d{4}-\d{2}|.+)-\d+$")
DATE = re.compile(rb"^\d{4}-\d{2}-\d{2}$")


class LayoutError(Exception):
    """A file cannot be split as the layout says (the message, in Chinese, says why and what to do)."""


@dataclass(frozen=True)
class Piece:
    rel: str
    rows: int
    bytes: int


def kind(rel: str, resource: str) -> str:
    """What a data file is in the layout: ``year``, ``month``, ``part`` or ``whole``."""
    stem = PurePosixPath(rel).stem
    if YEAR.match(stem):
        return "year"
    if MONTH.match(stem):
        return "month"
    parent = PurePosixPath(rel).parent.name
    if PART.match(stem) and (MONTH.match(stem.rsplit("-", 1)[0]) or stem.rsplit("-", 1)[0] == parent):
        return "part"
    return "whole"


def split_names(rel: str, resource: str) -> str:
    """The names a split of ``rel`` gives, as the finding shows them."""
    path = PurePosixPath(rel)
    folder = "" if str(path.parent) == "." else f"{path.parent}/"
    stem, what = path.stem, kind(rel, resource)
    if what == "year":
        return f"{folder}{stem}/{stem}-01.csv … {folder}{stem}/{stem}-12.csv"
    if what == "month":
        return f"{folder}{stem}-1.csv、{folder}{stem}-2.csv …"
    if what == "part":
        base, number = f"{folder}{stem}".rsplit("-", 1)
        return (f"{folder}{stem}.csv、{base}-{int(number) + 1}.csv（它已是分片，ledger split 不再拆：把后面的行移到"
                "新的分片，它之后的分片依次改号）")
    if what == "whole" and resource in SPLIT_BY:
        return f"{folder}{stem}/2025.csv、{folder}{stem}/2026.csv …（每年一个；一年仍超过上限时按月：{folder}{stem}/2026/2026-01.csv …）"
    return f"{folder}{stem}/{stem}-1.csv、{folder}{stem}/{stem}-2.csv …"


def records(handle) -> Iterator[bytes]:
    """The CSV records of a binary file as bytes, each with its line end (a quoted cell may hold line ends)."""
    pending: list[bytes] = []
    quotes = 0
    for line in handle:
        pending.append(line)
        quotes += line.count(b'"')
        if quotes % 2 == 0:
            yield b"".join(pending) if len(pending) > 1 else line
            pending, quotes = [], 0
    if pending:
        yield b"".join(pending)


def _cell(record: bytes, index: int) -> bytes:
    if b'"' not in record:
        cells = record.rstrip(b"\r\n").split(b",")
        return cells[index] if index < len(cells) else b""
    row = next(csv.reader([record.decode("utf-8", "replace")]), [])  # only a date is looked for
    return row[index].encode("utf-8") if index < len(row) else b""


class _Router:
    """Which new file each record of ``rel`` goes to (``target``), once the sizes are known."""

    def __init__(self, rel: str, resource: str, header: bytes, limit: int):
        path = PurePosixPath(rel)
        self.folder = "" if str(path.parent) == "." else f"{path.parent}/"
        self.stem, self.kind, self.resource = path.stem, kind(rel, resource), resource
        self.rel, self.header, self.target_bytes = rel, header, int(limit * SPLIT_SHARE)
        if self.kind == "part":
            raise LayoutError(f"{rel} 已是按大小切出的分片，不能再拆：请把这个月的分片合并成一个文件后重新拆分。")
        names = next(csv.reader([header.decode("utf-8-sig")]), [])
        field = SPLIT_BY.get(resource) if self.kind in ("year", "whole") else None
        self.index = names.index(field) if field in names else None
        self.field, self.ordered, self.last = field, self.index is not None, ""
        self.years: dict[str, int] = {}
        self.months: dict[str, int] = {}
        self.parts: dict[str, list[int]] = {}  # group → [part number, bytes in it]

    def month(self, record: bytes) -> str | None:
        """The record's month (YYYY-MM), once the rows are known to be in month order; None otherwise."""
        if self.index is None or not self.ordered:
            return None
        value = _cell(record, self.index)
        return value[:7].decode("ascii") if DATE.match(value) else None

    def count(self, record: bytes) -> None:
        """First pass: every month's bytes, and whether the rows are in month order (else: parts)."""
        month = self.month(record)
        if month is None or month < self.last or (self.kind == "year" and month[:4] != self.stem):
            self.ordered = False  # a split by month would reorder the rows: cut into parts in row order
            return
        self.last = month
        self.years[month[:4]] = self.years.get(month[:4], 0) + len(record)
        self.months[month] = self.months.get(month, 0) + len(record)

    def fits(self, size: int) -> bool:
        return len(self.header) + size <= self.target_bytes

    def group(self, month: str | None) -> tuple[str, bool]:
        """The file (without ``.csv``) of a record's month, and whether it must be cut into parts."""
        if month is None:  # a month file, a resource without a date, rows not in month order: parts
            base = self.folder + self.stem if self.kind == "month" else f"{self.folder}{self.stem}/{self.stem}"
            return base, True
        if self.kind == "year":
            return f"{self.folder}{self.stem}/{month}", not self.fits(self.months[month])
        if self.fits(self.years[month[:4]]):
            return f"{self.folder}{self.stem}/{month[:4]}", False
        return f"{self.folder}{self.stem}/{month[:4]}/{month}", not self.fits(self.months[month])

    def target(self, month: str | None, size: int) -> str:
        base, cut = self.group(month)
        if not cut:
            return f"{base}.csv"
        part = self.parts.setdefault(base, [1, 0])
        if part[1] and len(self.header) + part[1] + size > self.target_bytes:
            part[0], part[1] = part[0] + 1, 0
        part[1] += size
        return f"{base}-{part[0]}.csv"


def split_file(root: Path, rel: str, resource: str, limit: int | None = None) -> list[Piece]:
    """Write the files a split of ``root/rel`` gives (the file itself is left as it is); return them in order.

    Two passes over the file, holding no records: the first measures every month, the second writes.
    The new files are written under temporary names and renamed only once every one is complete and
    read back (rows and bytes equal to the source's); an existing file of a new name is refused."""
    return _write_pieces(root, rel, resource, limit or HOST_FILE_BYTES)[0]


def _write_pieces(root: Path, rel: str, resource: str, limit: int, check=None) -> tuple[list[Piece], list[Path]]:
    """``split_file``, and the folders it made. ``check(pieces)`` may refuse the pieces
    before they are renamed: then, as on any failure, no file and no folder it made is left."""
    source = root / rel
    with source.open("rb") as handle:
        stream = records(handle)
        header = next(stream, b"")
        router = _Router(rel, resource, header, limit)
        for record in stream:
            router.count(record)
    pieces: dict[str, list[int]] = {}
    handles: dict[str, object] = {}
    made: list[Path] = []
    try:
        with source.open("rb") as handle:
            stream = records(handle)
            next(stream, b"")
            for record in stream:
                if not record.endswith(b"\n"):
                    record += b"\n"
                name = router.target(router.month(record), len(record))
                if name not in handles:
                    if (root / name).exists() or name == rel:
                        raise LayoutError(f"拆分 {rel} 要写出 {name}，但这个文件已经存在：没有改动任何文件。"
                                          "请先查看它是不是别的数据，移走后再拆分。")
                    made += folders.make((root / name).parent, stop=root)
                    handles[name] = _partial(root / name).open("wb")
                    handles[name].write(header)
                    pieces[name] = [0, len(header)]
                handles[name].write(record)
                pieces[name][0] += 1
                pieces[name][1] += len(record)
        for out in handles.values():
            out.close()
        order = sorted(pieces, key=_order_key)
        _check_read_back(root, rel, order, pieces)
        if check is not None:
            check([Piece(name, *pieces[name]) for name in order])
    except BaseException:
        for name, out in handles.items():
            out.close()
            _partial(root / name).unlink(missing_ok=True)
        folders.remove_if_empty(made)
        raise
    for name in order:
        _partial(root / name).replace(root / name)
    return [Piece(name, *pieces[name]) for name in order], made


def _partial(path: Path) -> Path:
    return path.with_name(f".{path.name}.partial")


def _order_key(name: str) -> list:
    # Parts in number order (…-2 before …-10); everything else by name (years, then months, in time order).
    return [int(piece) if piece.isdigit() else piece for piece in re.split(r"(\d+)", name)]


def _check_read_back(root: Path, rel: str, order: list[str], pieces: dict[str, list[int]]) -> None:
    """The new files hold exactly the source's records: as many rows, and every record's bytes once."""
    with (root / rel).open("rb") as handle:
        stream = records(handle)
        header = next(stream, b"")
        total_rows, total_bytes = 0, 0
        for record in stream:
            total_rows += 1
            total_bytes += len(record) + (0 if record.endswith(b"\n") else 1)
    rows = bytes_ = 0
    for name in order:
        with _partial(root / name).open("rb") as handle:
            stream = records(handle)
            if next(stream, b"") != header:
                raise LayoutError(f"拆分 {rel} 时写出的 {name} 表头与原文件不同：没有改动任何文件。")
            for record in stream:
                rows += 1
                bytes_ += len(record)
    if (rows, bytes_) != (total_rows, total_bytes):
        raise LayoutError(f"拆分 {rel} 后读回 {rows} 行，原文件有 {total_rows} 行：没有改动任何文件。")


def replace_path(paths: str | list[str], rel: str, pieces: list[Piece]) -> list[str]:
    """The resource's path list with ``rel`` replaced, where it stood, by the new files in order."""
    listed = [paths] if isinstance(paths, str) else list(paths)
    at = listed.index(rel)
    return listed[:at] + [piece.rel for piece in pieces] + listed[at + 1:]


def within_limit(root: Path, resource: str, paths: str | list[str], limit: int | None = None) -> str | list[str]:
    """Split every file of the resource over ``limit`` (removing it once its pieces are written); return the
    resource's new path (unchanged, as given, when no file is over the limit). For ``ledger demo``."""
    limit = limit or HOST_FILE_BYTES
    listed = [paths] if isinstance(paths, str) else list(paths)
    changed = False
    for rel in list(listed):
        if (root / rel).stat().st_size > limit:
            pieces = split_file(root, rel, resource, limit)
            listed = replace_path(listed, rel, pieces)
            (root / rel).unlink()
            changed = True
    return listed if changed else paths


@dataclass(frozen=True)
class Split:
    resource: str
    rel: str  # the file that was split (and removed)
    pieces: tuple[Piece, ...]


def split_package(root: Path, rels: list[str] | None = None, limit: int | None = None) -> list[Split]:
    """``ledger split``: split the named data files (default: every file over ``limit``) of the package in
    ``root``, one file at a time, each safely: its new files are written and read back (same header,
    every record once: pipeline/core/layout.py ``split_file``), then ``datapackage.json`` is replaced
    atomically with the new paths in place of the old one and must still load, and only then is the old
    file removed — the one file the command deletes, which it has just replaced. A crash leaves either
    the old layout, or the new one beside an unlisted old file: never a row lost."""
    limit = limit or HOST_FILE_BYTES
    try:
        load(root)
    except PackageError as exc:
        raise LayoutError(f"{root / DESCRIPTOR} 有问题（{exc}）：请先按 ledger validate 的提示改正，再拆分；"
                          "没有改动任何文件。") from None
    descriptor_path = root / DESCRIPTOR
    descriptor = json.loads(descriptor_path.read_text(encoding="utf-8"))
    listed = {rel: res["name"] for res in descriptor.get("resources", []) for rel in resource_paths(res)}
    if rels is None:
        rels = [rel for rel in listed if (root / rel).is_file() and (root / rel).stat().st_size > limit]
    for rel in rels:
        if rel not in listed:
            raise LayoutError(f"{rel} 不在 {DESCRIPTOR} 的任何资源的 path 中：只拆分数据包列出的文件"
                              "（路径相对于数据文件夹，例如 issues/2026.csv）。")
        if not (root / rel).is_file():
            raise LayoutError(f"找不到 {root / rel}：没有改动任何文件。")
    done: list[Split] = []
    for rel in rels:
        try:
            done.append(_split_one(root, descriptor, rel, listed[rel], limit))
        except LayoutError as exc:
            if done:
                raise LayoutError(f"{exc}（在此之前已拆分 {'、'.join(d.rel for d in done)}，这些改动已保存）") from None
            raise
    return done


def _split_one(root: Path, descriptor: dict, rel: str, resource: str, limit: int) -> Split:
    descriptor_path = root / DESCRIPTOR

    def worth_it(pieces: list[Piece]) -> None:
        if not pieces:
            raise LayoutError(f"{rel} 只有表头、没有数据行，无需拆分；没有改动任何文件。")
        if len(pieces) == 1:  # a file within the limit, whose rows all fall into one new file
            raise LayoutError(f"{rel} 拆分后仍只有一个文件（{pieces[0].rel}）：它不超过上限，无需拆分；没有改动任何文件。")
        over = [p.rel for p in pieces if p.bytes > limit]
        if over:  # a single record larger than the limit: the layout cannot help
            raise LayoutError(f"拆分 {rel} 后 {over[0]} 仍超过上限（其中有一行本身就很大）：没有改动任何文件。")

    pieces, made = _write_pieces(root, rel, resource, limit, worth_it)
    before = descriptor_path.read_bytes()
    for res in descriptor["resources"]:
        if res.get("name") == resource:
            res["path"] = replace_path(res["path"], rel, pieces)
    _write_atomically(descriptor_path, json.dumps(descriptor, ensure_ascii=False, indent=2) + "\n")
    try:
        load(root)
    except PackageError as exc:
        _write_atomically(descriptor_path, before.decode("utf-8"))
        _remove(root, pieces)
        folders.remove_if_empty(made)
        raise LayoutError(f"拆分 {rel} 后 {DESCRIPTOR} 无法读取（{exc}）：已恢复原样。") from None
    (root / rel).unlink()  # the one file removed: its rows are now in the pieces, listed in its place
    return Split(resource, rel, tuple(pieces))


def _remove(root: Path, pieces: list[Piece]) -> None:
    for piece in pieces:
        (root / piece.rel).unlink(missing_ok=True)


def _write_atomically(path: Path, text: str) -> None:
    partial = _partial(path)
    try:
        partial.write_text(text, encoding="utf-8", newline="\n")
        partial.replace(path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
