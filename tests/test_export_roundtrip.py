"""Every download read back with an ordinary tool gives exactly the source rows.

CSV and Parquet and JSON through pandas, XLSX through openpyxl, SQLite through
sqlite3 with foreign keys on. The source is the package's CSV text, parsed
here independently of the exporter.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import math
import sqlite3
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from pipeline.core.dictionary import header_titles
from pipeline.export.downloads import write_downloads
from pipeline.export.xlsx_export import README, parts, write_xlsx
from pipeline.export.tables import read_table
from pipeline.core.package import load
from tests.test_validate import edit_cell

NASTY = ["=1+2 测试", "+86 热线回访", "-减少噪音", "@SUM(A1)", "\t=1+1", "\r=1", "#N/A", '引号"和,逗号\n换行']


# --- the source, parsed here ---------------------------------------------------------------

def source_rows(root: Path, package, name: str) -> list[dict[str, str]]:
    rows = []
    for file in package.files(name):
        with file.abs.open(encoding="utf-8", newline="") as handle:  # newline="": a quoted \r stays \r
            rows += list(csv.DictReader(handle))
    return rows


def norm(value, field: dict):
    """Any tool's value of a cell → one comparable Python value (None for missing)."""
    ftype = field.get("type", "string")
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, str) and value == "":
        return None
    if ftype == "integer":
        return int(value)
    if ftype == "number":
        return float(value)
    if ftype == "boolean":
        return {"true": True, "false": False}[value] if isinstance(value, str) else bool(value)
    if ftype == "date":
        if isinstance(value, (dt.datetime, pd.Timestamp)):
            return value.strftime("%Y-%m-%d")
        return value.isoformat() if isinstance(value, dt.date) else str(value)
    if ftype == "list":
        return tuple(value.split(field.get("delimiter", ","))) if isinstance(value, str) else tuple(value)
    return str(value)


def expected(root: Path, package, name: str) -> list[tuple]:
    fields = package.fields(name)
    return [tuple(norm(row[f["name"]], f) for f in fields) for row in source_rows(root, package, name)]


def from_frame(frame: pd.DataFrame, fields: list[dict]) -> list[tuple]:
    assert list(frame.columns) == [f["name"] for f in fields]
    columns = [[norm(v, f) for v in frame[f["name"]].tolist()] for f in fields]
    return list(zip(*columns))


# --- fixtures ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def exported(demo_dir, tmp_path_factory):
    docs = tmp_path_factory.mktemp("export-docs")
    package = load(demo_dir)
    return package, docs, write_downloads(package, docs)


@pytest.fixture(scope="module")
def nasty(tmp_path_factory):
    """The tiny package with formula-like and awkward text, and a negative number."""
    from tests.conftest import make_tiny

    root = make_tiny(tmp_path_factory.mktemp("nasty") / "tiny")
    for number, text in enumerate(NASTY[:4]):
        edit_cell(root, "issues/2026.csv", number + 2, "title", text)
    path = root / "issues/2026.csv"
    rows = list(csv.reader(path.open(encoding="utf-8", newline="")))
    for number, text in enumerate(NASTY[4:]):
        rows[number + 1][rows[0].index("summary")] = text
    with path.open("w", encoding="utf-8", newline="") as handle:  # all quoted: a bare \r must be inside quotes
        csv.writer(handle, lineterminator="\n", quoting=csv.QUOTE_ALL).writerows(rows)
    edit_cell(root, "claims.csv", 2, "value", "-5")
    edit_cell(root, "claims.csv", 2, "unit", "-个")
    package = load(root)
    docs = root.parent / "docs"
    return package, docs, write_downloads(package, docs)


def download(exp, fmt: str, resource: str | None = None) -> Path:
    package, docs, result = exp
    item = next(d for d in result.downloads if d.format == fmt and d.resource == resource)
    return docs / item.path


# --- round trips ----------------------------------------------------------------------------------

def test_every_download_is_listed_with_its_true_size_and_sha256(exported):
    package, docs, result = exported
    assert {d.format for d in result.downloads} == {"zip", "xlsx", "sqlite", "descriptor", "source", "csv",
                                                   "csv-excel", "json", "parquet"}
    for item in result.downloads:
        data = (docs / item.path).read_bytes()
        assert item.bytes == len(data) and item.sha256 == hashlib.sha256(data).hexdigest(), item.path
    per_resource = [d for d in result.downloads if d.format == "csv"]
    assert [d.resource for d in per_resource] == package.resource_names


@pytest.mark.parametrize("fixture", ["exported", "nasty"])
def test_csv_utf8_is_the_source_text(fixture, request):
    exp = request.getfixturevalue(fixture)
    package = exp[0]
    for name in package.resource_names:
        path = download(exp, "csv", name)
        assert not path.read_bytes().startswith(b"\xef\xbb\xbf")
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
        assert from_frame(frame, package.fields(name)) == expected(package.root, package, name), name


@pytest.mark.parametrize("fixture", ["exported", "nasty"])
def test_csv_for_excel_has_a_bom_and_only_guarded_text_differs(fixture, request):
    exp = request.getfixturevalue(fixture)
    package = exp[0]
    for name in package.resource_names:
        path = download(exp, "csv-excel", name)
        assert path.read_bytes().startswith(b"\xef\xbb\xbf")
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        fields = package.fields(name)
        for f in fields:
            if f.get("type", "string") in ("string", "list"):
                frame[f["name"]] = [v[1:] if v[:1] == "'" and v[1:2] in ("=", "+", "-", "@", "\t", "\r") else v
                                    for v in frame[f["name"]]]
        assert from_frame(frame, fields) == expected(package.root, package, name), name


def test_csv_for_excel_guards_exactly_the_formula_starts(nasty):
    with download(nasty, "csv-excel", "issues").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["title"] for r in rows[:4]] == ["'=1+2 测试", "'+86 热线回访", "'-减少噪音", "'@SUM(A1)"]
    assert [r["summary"] for r in rows[:4]] == ["'\t=1+1", "'\r=1", "#N/A", '引号"和,逗号\n换行']
    with download(nasty, "csv-excel", "claims").open(encoding="utf-8-sig", newline="") as handle:
        claims = list(csv.DictReader(handle))
    assert claims[0]["value"] == "-5"  # a number stays a number
    assert claims[0]["unit"] == "'-个"  # text that starts like one does not


@pytest.mark.parametrize("fixture", ["exported", "nasty"])
def test_json_reads_back_in_pandas(fixture, request):
    exp = request.getfixturevalue(fixture)
    package = exp[0]
    for name in package.resource_names:
        frame = pd.read_json(download(exp, "json", name), orient="records", dtype=False)
        fields = package.fields(name)
        if frame.empty:
            assert expected(package.root, package, name) == []
            continue
        assert from_frame(frame[[f["name"] for f in fields]], fields) == expected(package.root, package, name), name


@pytest.mark.parametrize("fixture", ["exported", "nasty"])
def test_parquet_reads_back_in_pandas_with_schema_types(fixture, request):
    import pyarrow.parquet as pq

    exp = request.getfixturevalue(fixture)
    package = exp[0]
    for name in package.resource_names:
        path = download(exp, "parquet", name)
        frame = pd.read_parquet(path)
        assert from_frame(frame, package.fields(name)) == expected(package.root, package, name), name
    schema = pq.read_schema(download(exp, "parquet", "issues"))
    assert str(schema.field("raised_on").type) == "date32[day]"
    assert str(schema.field("escalated").type) == "bool"
    assert str(schema.field("co_departments").type) == "list<element: string>"
    assert schema.field("raised_on").metadata[b"title"].decode() == "提出日期"
    assert schema.metadata[b"as_of"] == package.as_of.isoformat().encode()


def in_xml(value):
    """XLSX is XML, where a carriage return reads back as a line feed; the writer says so explicitly."""
    return value.replace("\r\n", "\n").replace("\r", "\n") if isinstance(value, str) else value


def _sheet_rows(book, sheets: list[str], headers: list[str]) -> list[tuple]:
    rows = []
    for name in sheets:
        values = list(book[name].iter_rows(values_only=True))
        assert list(values[0]) == headers
        rows += [tuple(r) + (None,) * (len(headers) - len(r)) for r in values[1:]]
    return rows


@pytest.mark.parametrize("fixture", ["exported", "nasty"])
def test_xlsx_has_chinese_headers_and_the_source_rows(fixture, request):
    exp = request.getfixturevalue(fixture)
    package, _, result = exp
    book = openpyxl.load_workbook(download(exp, "xlsx"), read_only=True)
    assert book.sheetnames == [README] + [s for name in package.resource_names for s in result.sheets[name]]
    for name in package.resource_names:
        fields = package.fields(name)
        rows = _sheet_rows(book, result.sheets[name], header_titles(package, name))
        got = [tuple(norm(v, f) for v, f in zip(row, fields)) for row in rows]
        assert got == [tuple(in_xml(v) for v in row) for row in expected(package.root, package, name)], name


def test_xlsx_text_is_never_a_formula_and_numbers_stay_numbers(nasty):
    package, _, result = nasty
    book = openpyxl.load_workbook(download(nasty, "xlsx"))  # full mode: cell types visible
    sheet = book[result.sheets["issues"][0]]
    titles = [sheet.cell(row=r, column=7) for r in range(2, 6)]
    assert [c.value for c in titles] == NASTY[:4]
    assert {c.data_type for c in titles} == {"s"}
    summaries = [sheet.cell(row=r, column=19) for r in range(2, 6)]
    assert [c.value for c in summaries] == [in_xml(v) for v in NASTY[4:]] and {c.data_type for c in summaries} == {"s"}
    assert sheet.cell(row=2, column=5).is_date and sheet.cell(row=2, column=6).data_type == "s"  # code as text
    claims = book[result.sheets["claims"][0]]
    assert claims.cell(row=2, column=6).value == -5 and claims.cell(row=2, column=6).data_type == "n"


def test_xlsx_splits_a_resource_by_year_past_the_row_limit(demo_dir, tmp_path):
    package = load(demo_dir)
    issues = read_table(package, "issues")
    years = sorted({d[:4] for d in issues.text["raised_on"]})
    split = parts(issues, max_rows=issues.rows - 1)
    assert [suffix for suffix, _ in split] == years
    assert sum(len(rows) for _, rows in split) == issues.rows
    small = max(len(rows) for _, rows in split) // 2 + 1  # every year needs two sheets
    sheets = write_xlsx(package, [issues], tmp_path / "split.xlsx", max_rows=small)["issues"]
    assert sheets == [f"问题 {y} ({n})" for y in years for n in (1, 2)]
    rows = _sheet_rows(openpyxl.load_workbook(tmp_path / "split.xlsx", read_only=True), sheets,
                       header_titles(package, "issues"))
    fields = package.fields("issues")
    by_year = sorted(expected(package.root, package, "issues"), key=lambda r: r[4][:4])  # stable: file order in a year
    assert [tuple(norm(v, f) for v, f in zip(row, fields)) for row in rows] == by_year


@pytest.mark.parametrize("fixture", ["exported", "nasty"])
def test_sqlite_has_every_row_and_its_foreign_keys_hold(fixture, request):
    exp = request.getfixturevalue(fixture)
    package = exp[0]
    db = sqlite3.connect(download(exp, "sqlite"))
    db.execute("PRAGMA foreign_keys = ON")
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    assert db.execute("PRAGMA page_size").fetchall() == [(4096,)]  # a small database: SQLite's default
    for name in package.resource_names:
        fields = package.fields(name)
        cursor = db.execute(f'SELECT * FROM "{name}" ORDER BY rowid')
        assert [c[0] for c in cursor.description] == [f["name"] for f in fields]
        got = [tuple(norm(v, f) for v, f in zip(row, fields)) for row in cursor.fetchall()]
        assert got == expected(package.root, package, name), name
    declared = {(table, row[2], row[3]) for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'")
                for row in db.execute(f'PRAGMA foreign_key_list("{table}")')}
    assert ("issues", "meetings", "meeting_id") in declared and ("regions", "regions", "parent_code") in declared
    assert ("item_cases", "devolutions", "item_id") in declared
    indexes = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    assert {"idx_issues_region_code", "idx_issues_lead_department", "idx_evaluations_issue_id"} <= indexes
    db.close()


def test_sqlite_refuses_a_row_that_breaks_a_foreign_key(exported):
    db = sqlite3.connect(download(exported, "sqlite"))
    db.execute("PRAGMA foreign_keys = ON")
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        db.execute("UPDATE issues SET region_code = '000000000000' WHERE rowid = 1")
    db.rollback()
    db.close()


def test_two_exports_are_byte_identical(exported, tmp_path):
    package, docs, result = exported
    again = write_downloads(package, tmp_path).downloads
    assert [(d.path, d.bytes, d.sha256) for d in again] == [(d.path, d.bytes, d.sha256) for d in result.downloads]
    first = {p.relative_to(docs): p.read_bytes() for p in (docs / "downloads").rglob("*") if p.is_file()}
    assert first == {p.relative_to(tmp_path): p.read_bytes() for p in (tmp_path / "downloads").rglob("*") if p.is_file()}


def test_a_large_database_is_written_in_the_largest_pages(tmp_path):
    """From LARGE_ROWS rows the database takes 64 KiB pages (faster to write at a million issues, 2 % smaller);
    below, 4 KiB pages (a small database's tables would each take a 64 KiB page at least)."""
    from pipeline.export.sqlite_export import LARGE_ROWS, SqliteWriter, page_size

    assert [page_size(n) for n in (0, LARGE_ROWS - 1, LARGE_ROWS, 10 * LARGE_ROWS)] == [4096, 4096, 65536, 65536]
    resource = {"name": "t", "schema": {"fields": [{"name": "id", "type": "string"}], "primaryKey": ["id"]}}
    for rows, expected in ((LARGE_ROWS - 1, 4096), (LARGE_ROWS, 65536)):
        writer = SqliteWriter(tmp_path / f"{rows}.db", rows=rows)
        writer.begin_table(resource)
        writer.execute("COMMIT")
        assert writer.execute("PRAGMA page_size") == [(expected,)]
        writer.abort()


def test_the_database_is_written_by_the_pinned_drivers_sqlite_and_the_cache_key_names_it(exported):
    """The database's bytes follow the SQLite that wrote it (its header records that version): the driver's
    own, from the pinned wheel, not the machine's. The downloads' cache key names the same version, so a
    cache filled with another SQLite is not reused."""
    from pipeline.export.reuse import data_files, fingerprint
    from pipeline.export.sqlite_export import sqlite_version

    major, minor, patch = (int(part) for part in sqlite_version().split("."))
    header = download(exported, "sqlite").read_bytes()[:100]
    assert header[:16] == b"SQLite format 3\x00"
    assert int.from_bytes(header[96:100], "big") == major * 1_000_000 + minor * 1_000 + patch
    package, _, _ = exported
    validated = {rel: "0" * 64 for rel in data_files(package)}
    assert f"sqlite {sqlite_version()}" in fingerprint(package, validated)
