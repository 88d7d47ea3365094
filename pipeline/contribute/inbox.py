"""The web inbox: workbooks a clerk uploads into ``inbox/`` through the git host's web page.

A clerk with only a browser fills the Excel template, uploads it into ``inbox/`` on a new
branch and opens a pull request. The pull-request check runs ``check``: every workbook is
imported exactly as ``ledger import FILE --resource R --out data/PATH`` would (merged onto the
existing file by primary key) onto a temporary copy of ``data/``; the copy is validated and
every finding on an imported row is told in the sheet's terms (workbook, sheet, Excel row,
column header). Once it is clean a maintainer runs ``apply`` (a workflow_dispatch workflow or
a GitLab manual job, from the default branch's code) on the pull request's files: the same
import, validated again, written into ``data/``, the workbooks removed from ``inbox/``.

Uploads are untrusted: only regular ``.xlsx`` files (ZIP bytes) up to MAX_UPLOAD_BYTES, unpacking
to at most MAX_UNPACKED_BYTES, are opened; anything else is a finding, not an error of this code.
Which resource a workbook holds is told by its header row (the template's Chinese headers);
which file, when a resource has one per year, by the year in its name (问题-2026.xlsx).

    python -m pipeline.contribute.inbox check [--data data] [--inbox inbox] [--report DIR]
    python -m pipeline.contribute.inbox apply [--data data] [--inbox inbox]

Exit codes as ``ledger``: 0 clean (warnings allowed), 1 findings (nothing written), 2 refused, 3 a bug.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import shutil
import sys
import tempfile
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path

from openpyxl.utils.cell import get_column_letter

from pipeline.contribute.diff import ResourceChanges, diff_tables, to_markdown
from pipeline.contribute.cells import _NON_ASCII
from pipeline.contribute.importer import (ENCRYPTED_PACKAGE, OLE2_MAGIC, Imported, ImportFailed, fold, import_table,
                                          read_sheet)
from pipeline.contribute.merge import merge, typo_findings
from pipeline.contribute.sheets import Unreadable
from pipeline.core import findings as fd
from pipeline.core import lock_file
from pipeline.core.cache import FileCache
from pipeline.core.package import DataPackage, PackageError, load

MAX_UPLOAD_BYTES = 20 * 1024 * 1024  # a template with thousands of rows is well under 1 MB
MAX_UNPACKED_BYTES = 200 * 1024 * 1024  # a "zip bomb" is refused before openpyxl unpacks it
KEPT = {"README.md", ".gitkeep"}  # the inbox's own files, never imported nor removed
HEADER_ROWS = 5  # the header is looked for in this many rows (a title row may stand above it)


@dataclass(frozen=True)
class Upload:
    path: Path  # the workbook in the inbox
    shown: str  # "inbox/问题-2026.xlsx"
    resource: str
    target: str  # the data file it goes into, relative to the data folder: "issues/2026.csv"


@dataclass(frozen=True)
class Outcome:
    report: fd.Report
    changes: list[ResourceChanges]
    written: dict[str, str]  # data file (relative) → its new text
    uploads: list[Upload]

    @property
    def clean(self) -> bool:
        return self.report.valid and bool(self.uploads)


# --- What is in the inbox ------------------------------------------------------------------------

def entries(inbox: Path) -> list[Path]:
    """The uploads, in name order: everything in the inbox but its README."""
    if not inbox.is_dir():
        return []
    return sorted((p for p in inbox.iterdir() if p.name not in KEPT), key=lambda p: p.name)


def refusal(path: Path, shown: str) -> fd.Finding | None:
    """Why this upload is not opened, or None. Looks at the bytes, never follows a link."""
    def refused(code: str, detail: str, detail_en: str) -> fd.Finding:
        return fd.make(code, path=shown, value=path.name, detail=detail, detail_en=detail_en)

    if path.is_symlink():
        return refused("inbox-not-xlsx", "它是一个符号链接", "it is a symbolic link")
    if path.is_dir():
        return refused("inbox-not-xlsx", "它是一个文件夹，收件箱里只能直接放工作簿", "it is a folder")
    suffix = path.suffix.lower()
    if suffix != ".xlsx":
        kind = {".csv": "CSV 文件", ".xls": "旧版 .xls 文件", ".et": "WPS 表格文件", ".xlsm": "带宏的工作簿"}
        return refused("inbox-not-xlsx", f"扩展名是 {path.suffix or '（无）'}" + (f"，这是 {kind[suffix]}" if suffix in kind else ""),
                       f"its extension is {path.suffix or '(none)'}")
    size = path.stat().st_size
    if size > MAX_UPLOAD_BYTES:
        return refused("inbox-too-large", f"{_mb(size)}，上限 {_mb(MAX_UPLOAD_BYTES)}",
                       f"{_mb(size)}, at most {_mb(MAX_UPLOAD_BYTES)}")
    with path.open("rb") as handle:
        head = handle.read(len(OLE2_MAGIC))
    if head.startswith(OLE2_MAGIC) and ENCRYPTED_PACKAGE in path.read_bytes():  # at most MAX_UPLOAD_BYTES
        return refused("inbox-not-xlsx", "它设置了打开密码（已加密），打不开：请在 Excel 或 WPS 中用密码打开它，取消密码后保存",
                       "it has a password to open (encrypted): remove the password in Excel or WPS and save it")
    if head.startswith(OLE2_MAGIC):
        return refused("inbox-not-xlsx", "扩展名是 .xlsx，内容却是旧版 .xls 或 WPS 表格（.et）文件",
                       "it is named .xlsx but it is an old .xls or WPS .et file")
    if not head.startswith(b"PK\x03\x04"):
        return refused("inbox-not-xlsx", "扩展名是 .xlsx，内容却不是 Excel 工作簿（可能是改了扩展名的其他文件）",
                       "it is named .xlsx but its bytes are not a workbook")
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return refused("inbox-not-xlsx", "文件已损坏（上传不完整？），打不开", "it is damaged (an incomplete upload?)")
    if unpacked > MAX_UNPACKED_BYTES:
        return refused("inbox-too-large", f"解压后 {_mb(unpacked)}，上限 {_mb(MAX_UNPACKED_BYTES)}",
                       f"{_mb(unpacked)} unpacked, at most {_mb(MAX_UNPACKED_BYTES)}")
    return None


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def header_row(rows: list[list[object]], fields: list[dict]) -> tuple[int, int]:
    """(index of the row among the first HEADER_ROWS holding most of these fields' headers, how many it holds)."""
    labels = _labels(fields)
    scores = [sum(1 for cell in row if cell is not None and fold(str(cell)) in labels) for row in rows[:HEADER_ROWS]]
    best = max(scores, default=0)
    return (scores.index(best) if scores else 0), best


def identify(path: Path, shown: str, package: DataPackage) -> Upload | fd.Finding:
    """The resource whose headers the workbook's header row carries, and its data file."""
    try:
        rows = read_sheet(path).rows
    except Unreadable:
        rows = []  # import_table names the problem itself
    # A resource is a candidate when its header row holds at least half of its columns (and two): one
    # word such as 内容 that happens to be a column's title does not make a sheet a template.
    matched = ((header_row(rows, package.fields(name))[1], name) for name in package.resource_names)
    best = sorted(((n, name) for n, name in matched
                   if n >= 2 and 2 * n >= len(package.fields(name))), reverse=True)
    if not best:
        return _which(shown, path, f"前 {HEADER_ROWS} 行里没有填报模板的表头", "no row holds the template's headers")
    if len(best) > 1 and best[1][0] == best[0][0]:
        return _which(shown, path, f"表头同样符合“{best[0][1]}”和“{best[1][1]}”两个资源",
                      f"its headers fit both {best[0][1]} and {best[1][1]}")
    resource = best[0][1]
    paths = [file.rel for file in package.files(resource)]
    if len(paths) == 1:
        return Upload(path, shown, resource, paths[0])
    named = [rel for rel in paths if Path(rel).stem in path.stem]
    if len(named) != 1:
        stems = [Path(rel).stem for rel in paths]
        return _which(shown, path, f"资源 {resource} 分为 {'、'.join(stems)} {len(stems)} 个文件，"
                                   f"文件名里要写明其中一个（例如 {resource}-{stems[-1]}.xlsx）",
                      f"{resource} has one file per year ({', '.join(stems)}) and the name gives none")
    return Upload(path, shown, resource, named[0])


def _labels(fields: list[dict]) -> set[str]:
    return {fold(str(f.get("title") or f["name"])) for f in fields} | {f["name"] for f in fields}


def _which(shown: str, path: Path, detail: str, detail_en: str) -> fd.Finding:
    return fd.make("inbox-which-table", path=shown, value=path.name, detail=detail, detail_en=detail_en)


# --- Import, validate, tell in the sheet's terms ----------------------------------------------------

def import_onto(data: Path, package: DataPackage, upload: Upload) -> tuple[str, Imported]:
    """What ``ledger import UPLOAD --resource R --out DATA/TARGET --replace`` writes (merged onto an
    existing file), and the imported table; ImportFailed with the command's findings.

    Changes to existing records are not refused here as the command refuses them without --replace:
    the pull-request comment lists each changed record field by field (diff.md), and the maintainer
    who starts ``apply`` confirms them, as --replace does. A new id that looks like a typo of an
    existing one is refused, as the command refuses it (there is no --new-id on the web path: the
    clerk corrects the id, or a maintainer imports it by hand)."""
    table = import_table(upload.path, package, upload.resource)
    out = data / upload.target
    if not out.exists():
        return table.csv(), table
    key = package.resource(upload.resource)["schema"].get("primaryKey") or table.fields
    merged = merge(out.read_bytes(), table, [key] if isinstance(key, str) else key,
                   path=f"{data.name}/{upload.target}", source=upload.path.name, resource=upload.resource)
    typos = typo_findings(merged, table, upload.resource, set())
    if typos:
        raise ImportFailed(typos)
    return merged.text, table


def key_of(package: DataPackage, resource: str) -> list[str]:
    key = package.resource(resource)["schema"].get("primaryKey") or [f["name"] for f in package.fields(resource)]
    return [key] if isinstance(key, str) else list(key)


def _keys(text: str, key: list[str]) -> list[tuple[str, ...]]:
    """The key of every line of a CSV text: index 0 is the header (Excel row 1)."""
    rows = list(csv.reader(io.StringIO(text, newline="")))
    header = rows[0] if rows else []
    where = [header.index(name) for name in key if name in header]
    return [tuple(row[i] if i < len(row) else "" for i in where) for row in rows]


@dataclass(frozen=True)
class SheetMap:
    """Where each record imported from one workbook sits: data file row → (workbook, sheet, Excel row)."""
    upload: Upload
    sheet: str | None
    rows: dict[int, int]  # data file row (header = 1) → Excel row
    columns: dict[str, str]  # field → "牵头部门（C 列）", or "lead_department（牵头部门，C 列）" under an English header

    @property
    def where(self) -> str:
        return self.upload.shown if self.sheet is None else f"{self.upload.shown}（工作表“{self.sheet}”）"


def sheet_map(upload: Upload, package: DataPackage, text: str, table: Imported) -> SheetMap:
    """Row i of the imported table came from the Excel row i + 1 below the header (row 1 but for title rows)."""
    sheet = read_sheet(upload.path)
    fields = package.fields(upload.resource)
    by_label = {fold(str(f.get("title") or f["name"])): f["name"] for f in fields}
    by_label.update({f["name"]: f["name"] for f in fields})
    titles = {f["name"]: f["title"] for f in fields if f.get("title")}
    top, _ = header_row(sheet.rows, fields)
    columns = {}
    for column, cell in enumerate(sheet.rows[top] if sheet.rows else [], start=1):
        name = by_label.get(fold(str(cell))) if cell is not None else None
        if name and name not in columns:
            header, title = fold(str(cell)), titles.get(name)
            columns[name] = (f"{header}（{get_column_letter(column)} 列）" if title is None or _NON_ASCII.search(header)
                             else f"{header}（{title}，{get_column_letter(column)} 列）")  # a field name: its title too
    for f in fields:  # a field the sheet has no column for: its Chinese title
        columns.setdefault(f["name"], f"{f.get('title') or f['name']}（表中没有这一列）")
    key = key_of(package, upload.resource)
    where = [table.fields.index(name) for name in key]
    sheet_row = {tuple(row[i] for i in where): top + index + 2 for index, row in enumerate(table.rows)}
    rows = {line: sheet_row[k] for line, k in enumerate(_keys(text, key), start=1) if line > 1 and k in sheet_row}
    return SheetMap(upload, sheet.name, rows, columns)


def in_sheet_terms(finding: fd.Finding, maps: dict[str, list[SheetMap]]) -> fd.Finding:
    """A finding on a row a workbook brought, told by workbook, sheet, Excel row and column header."""
    for where in reversed(maps.get(finding.path, [])):  # the last workbook that wrote the row
        if finding.row in where.rows:
            field = where.columns.get(finding.field or "", finding.field)
            return replace(finding, path=where.where, row=where.rows[finding.row], field=field)
    return finding


def run(data: Path, inbox: Path) -> Outcome:
    """Import every upload onto a temporary copy of ``data`` and validate it; ``data`` is not touched."""
    from pipeline.validate import validate

    with tempfile.TemporaryDirectory(prefix="ledger-inbox-") as tmp:
        # Load inputs
        copy = Path(tmp) / data.name
        shutil.copytree(data, copy, symlinks=True)  # a link stays a link: the loader refuses it
        package = load(copy)
        findings: list[fd.Finding] = []
        uploads: list[Upload] = []
        for path in entries(inbox):
            shown = f"{inbox.name}/{path.name}"
            found = refusal(path, shown) or identify(path, shown, package)
            if isinstance(found, fd.Finding):
                findings.append(found)
            else:
                uploads.append(found)
        resources = list(dict.fromkeys(u.resource for u in uploads))
        before = {file.rel: _read(file.abs) for name in resources for file in package.files(name)}
        # Process data: each workbook as `ledger import` would, in name order, onto the copy
        maps: dict[str, list[SheetMap]] = {}
        imported = 0
        for upload in uploads:
            try:
                text, table = import_onto(copy, package, upload)
            except ImportFailed as exc:
                findings += [_in_inbox(f, upload)
                             for f in fd.with_field_titles(exc.findings, package.descriptor, upload.resource)]
                continue
            (copy / upload.target).parent.mkdir(parents=True, exist_ok=True)
            (copy / upload.target).write_text(text, encoding="utf-8", newline="")
            maps.setdefault(upload.target, []).append(sheet_map(upload, package, text, table))
            imported += 1
        after = {rel: _read(copy / rel) for rel in before}
        if imported:
            report, _ = validate(copy, cache=FileCache(None), ledger_needed=False)
            findings += [in_sheet_terms(f, maps) for f in report.findings]
    # Save outputs: the findings, the changes per resource, the files to write
    changes = [diff_tables(name, key_of(package, name),
                           [t for rel, t in before.items() if t is not None and _of(package, name, rel)],
                           [t for rel, t in after.items() if t is not None and _of(package, name, rel)])
               for name in resources]
    written = {rel: text for rel, text in after.items() if text is not None and text != before[rel]}
    # The report becomes the pull request's public comment: a personal number in a cell the import could
    # not read (a mobile typed into the date column) is shown masked there, as validation shows its own.
    from pipeline.validate import personal_values_masked
    return Outcome(fd.Report.of(personal_values_masked(findings)), changes, written, uploads)


def _of(package: DataPackage, resource: str, rel: str) -> bool:
    return rel in {file.rel for file in package.files(resource)}


def _in_inbox(finding: fd.Finding, upload: Upload) -> fd.Finding:
    """The importer names the workbook by its file name: name it by its place in the repository."""
    name = upload.path.name
    return replace(finding, path=upload.shown + finding.path[len(name):]) if finding.path.startswith(name) else finding


def _read(path: Path) -> str | None:
    try:
        return path.read_bytes().decode("utf-8")
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None


# --- Entry point ---------------------------------------------------------------------------------------

def write_report(outcome: Outcome, folder: Path) -> None:
    """validate.json, validate.md and diff.md as `ledger validate` and `ledger diff` write them (pr-comment reads them)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "validate.json").write_text(fd.to_json(outcome.report), encoding="utf-8")
    (folder / "validate.md").write_text(fd.to_markdown(outcome.report), encoding="utf-8")
    (folder / "diff.md").write_text(to_markdown(outcome.changes), encoding="utf-8")


def apply(data: Path, outcome: Outcome) -> list[str]:
    """Write the imported files into ``data`` (each replaced whole, atomically) and remove the workbooks."""
    assert outcome.clean, "apply runs only on a clean outcome"
    for rel, text in outcome.written.items():
        target = data / rel
        partial = target.with_name(f".{target.name}.partial")
        partial.write_text(text, encoding="utf-8", newline="")
        partial.replace(target)
    for upload in outcome.uploads:
        upload.path.unlink()
    return sorted(outcome.written)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline.contribute.inbox", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name, words in (("check", "导入并校验收件箱里的工作簿（只在临时副本上，不改 data/）"),
                        ("apply", "校验通过后写入 data/，并从收件箱删除工作簿")):
        command = sub.add_parser(name, help=words)
        command.add_argument("--data", type=Path, default=Path("data"))
        command.add_argument("--inbox", type=Path, default=Path("inbox"))
        command.add_argument("--debug", action="store_true", help="出错时显示完整的 Python 调用栈")
        if name == "check":
            command.add_argument("--report", type=Path, default=None,
                                 help="写出 validate.json、validate.md、diff.md 的文件夹（拉取请求评论读取它们）")
    args = parser.parse_args(argv)
    for folder, option in ((args.data, "--data"), (args.inbox, "--inbox")):
        if folder.is_symlink():  # a link could lead the import, and apply's deletions, anywhere
            print(f"错误：{folder} 是符号链接，拒绝读取：请用 {option} 指定真实的文件夹。", file=sys.stderr)
            return 2
    if not (args.data / "datapackage.json").is_file():
        print(f"错误：{args.data} 中没有 datapackage.json：请用 --data 指定数据文件夹。", file=sys.stderr)
        return 2
    # apply reads the package and writes into it: no import or split may change it in between
    try:
        with lock_file.data_package(args.data) if args.command == "apply" else contextlib.nullcontext():
            return _check_or_apply(args)
    except lock_file.DataLocked as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2


def _check_or_apply(args: argparse.Namespace) -> int:
    try:
        outcome = run(args.data, args.inbox)
    except PackageError as exc:
        print(fd.to_text(fd.Report.of(exc.findings)), end="", file=sys.stderr)
        print(f"错误：无法读取 {args.data}/datapackage.json，没有导入任何工作簿。", file=sys.stderr)
        return 1
    except Exception as exc:  # noqa: BLE001 - one line for the job log; --debug shows the traceback
        if args.debug:
            raise
        print(f"内部错误（程序缺陷），没有写入任何文件：{exc.__class__.__name__}: {' '.join(str(exc).split())}。"
              "详情请加 --debug 重新运行。", file=sys.stderr)
        return 3
    if not outcome.uploads and outcome.report.valid:
        print(f"收件箱 {args.inbox} 里没有要导入的工作簿。The inbox holds no workbook.")
        if args.command == "check" and args.report:
            write_report(outcome, args.report)
        return 0
    print(fd.to_text(outcome.report), end="")
    if args.command == "check":
        if args.report:
            write_report(outcome, args.report)
        for upload in outcome.uploads:
            print(f"{upload.shown} → {args.data.name}/{upload.target}（资源 {upload.resource}）")
        return 0 if outcome.report.valid else 1
    if not outcome.clean:
        print("没有写入任何文件：请先按上面的问题改好工作簿。Nothing was written.", file=sys.stderr)
        return 1
    for rel in apply(args.data, outcome):
        print(f"已写入 {args.data.name}/{rel}")
    for upload in outcome.uploads:
        print(f"已从收件箱删除 {upload.shown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
