"""`ledger import` into a package split by month (pipeline/core/layout.py): which file a row belongs to.

An import merges into the one file ``--out`` names. In the month layout each row belongs to the file of
its month (a year not split: the year's file), so an import is refused, with the file each stray row
belongs to, when ``--out`` is a month file (or a part of one) and a row is of another month, or when
``--out`` is a file the layout has replaced (``issues/2026.csv`` once ``issues/2026/…`` is listed).
After the merge, a file over the host's limit is split like `ledger split` does (``split_after``).
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

from pipeline.contribute.importer import Imported
from pipeline.core import layout
from pipeline.core.layout import SPLIT_BY, Split, kind, split_package
from pipeline.core.package import DataPackage


def relative(package: DataPackage, out_path: Path) -> str | None:
    """``out_path`` relative to the data folder, with forward slashes; None when it lies outside."""
    try:
        return Path(os.path.abspath(out_path)).relative_to(os.path.abspath(package.root)).as_posix()
    except ValueError:
        return None


def home(listed: list[str], resource: str, month: str) -> str:
    """The listed file a row of ``month`` (YYYY-MM) belongs to, or the file it would start."""
    folder = next((base for rel in listed if (base := _base(rel, resource)) is not None), resource)
    year = month[:4]
    parts = [rel for rel in listed if PurePosixPath(rel).stem.startswith(f"{month}-")]
    for candidate in (f"{folder}/{year}/{month}.csv", *parts[-1:], f"{folder}/{year}.csv"):
        if candidate in listed:
            return candidate
    if any(rel.startswith(f"{folder}/{year}/") for rel in listed):
        return f"{folder}/{year}/{month}.csv"
    return f"{folder}/{year}.csv"


def _base(rel: str, resource: str) -> str | None:
    """The folder that holds a resource's year files (``issues``), from one of its year, month or part files."""
    path = PurePosixPath(rel)
    what = kind(rel, resource)
    if what == "year":
        return path.parent.as_posix()
    if what in ("month", "part") and path.parent.name.isdigit():
        return path.parent.parent.as_posix()
    return None


def refusal(package: DataPackage, resource: str, out_path: Path, table: Imported) -> str | None:
    """Why ``table`` may not be merged into ``out_path`` in this package's layout; None when it may."""
    rel = relative(package, out_path)
    listed = [file.rel for file in package.files(resource)]
    if rel is None:
        return None
    folder = rel.removesuffix(".csv") + "/"
    replaced = [other for other in listed if other.startswith(folder)]
    if rel not in listed and replaced:
        return (f"{rel} 已按月拆分（datapackage.json 列出的是 {replaced[0]} … {replaced[-1]}），不能再导入到它："
                f"请用 --out 指向这些行所在月份的文件，例如 {replaced[-1]}")
    field = SPLIT_BY.get(resource)
    if rel not in listed or kind(rel, resource) not in ("month", "part") or field not in table.fields:
        return None
    month = PurePosixPath(rel).stem[:7]
    index = table.fields.index(field)
    title = package.field(resource, field).get("title", field)
    for position, row in enumerate(table.rows):
        value = row[index]
        if value[:7] != month:
            return (f"{table.where or '导入的文件'} 第 {table.sheet_row(position)} 行的 {field}（{title}）是 {value or '空'}，"
                    f"不属于 {rel}（{month} 月的文件）：按月拆分的数据，每行导入到它所在月份的文件，"
                    f"这一行应导入到 {home(listed, resource, value[:7]) if len(value) >= 7 else '它所在月份的文件'}")
    return None


def unlisted(package: DataPackage, resource: str, out_path: Path) -> str | None:
    """Why ``out_path`` may not be written: it lies in the data folder and the package does not list it, so
    its rows would be neither validated nor published (``issues/2027.csv`` at the turn of a year). None when
    it is listed, or lies outside the data folder (a file the clerk keeps for themselves)."""
    rel = relative(package, out_path)
    if rel is None or rel in package.listed():
        return None
    listed = [file.rel for file in package.files(resource)]
    shown = "、".join(f'"{other}"' for other in listed[-3:]) if listed else "（没有文件）"
    return (f"{rel} 在数据文件夹里，但 datapackage.json 没有列出它：写进去的行既不会校验，也不会发布。"
            f"要新建这个文件，请先在 datapackage.json 中 {resource} 资源的 \"path\" 列表里加上 \"{rel}\""
            f"（现在列出的有 {shown}），保存后再导入；否则请用 --out 指向已列出的文件")


def split_after(package: DataPackage, resource: str, out_path: Path) -> Split | None:
    """Split ``out_path`` if the merge took it over the host's limit and the package lists it."""
    rel = relative(package, out_path)
    if rel is None or rel not in [file.rel for file in package.files(resource)]:
        return None
    if out_path.stat().st_size <= layout.HOST_FILE_BYTES:
        return None
    (done,) = split_package(package.root, [rel])
    return done


def part_overflow(package: DataPackage, resource: str, out_path: Path, size: int) -> str | None:
    """Why a merge of ``size`` bytes may not be written into ``out_path``: it is a part of a month (which
    is not cut again) and would go over the host's limit. None when it may."""
    rel = relative(package, out_path)
    if rel is None or size <= layout.HOST_FILE_BYTES or kind(rel, resource) != "part":
        return None
    base, number = rel.removesuffix(".csv").rsplit("-", 1)
    return (f"合并后 {rel} 将有 {size} 字节，超过 50 MB；它已是按大小切出的分片，不再拆分：请把新增的行另存为 "
            f"{base}-{int(number) + 1}.csv 导入（--out），并在 datapackage.json 中 {rel} 之后列出它")
